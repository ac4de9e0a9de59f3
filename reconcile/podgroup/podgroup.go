package podgroup

import (
	"context"
	"errors"
	"fmt"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

const groupIndex = "podgroup/pod-group"

// Config configures the controller.
type Config struct {
	// Store is where PodGroup status is written. Required.
	Store store.Store
	// Informers on Store. Default to informers of the controller's own.
	PodGroups *informer.Informer[*api.PodGroup]
	Pods      *informer.Informer[*api.Pod]
	// Workers is how many groups are handled at once. Defaults to 2.
	Workers int
	// Options: clock, logger, metrics, leader election and retry limits.
	reconcile.Options
}

// Controller is the PodGroup controller. Safe for concurrent use.
type Controller struct {
	cfg  Config
	ctrl *reconcile.Controller
}

var _ reconcile.Reconciler = (*Controller)(nil)

// New returns a controller; Start runs it.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("podgroup: no store: %w", store.ErrInvalid)
	}
	cfg.Options = cfg.Options.WithDefaults()
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	var err error
	if cfg.PodGroups, err = reconcile.InformerOr(cfg.PodGroups, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("podgroup: %w", err)
	}
	if cfg.Pods, err = reconcile.InformerOr(cfg.Pods, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("podgroup: %w", err)
	}
	// The index is added to shared informers too.
	if err := cfg.Pods.AddIndexers(map[string]informer.IndexFunc[*api.Pod]{groupIndex: informer.LabelIndex[*api.Pod](api.LabelPodGroup)}); err != nil {
		return nil, fmt.Errorf("podgroup: %w", err)
	}
	c := &Controller{cfg: cfg}
	c.ctrl, err = reconcile.New(cfg.Options.Config("podgroup", c, cfg.Workers))
	if err != nil {
		return nil, err
	}
	reconcile.Watch(c.ctrl, cfg.PodGroups, reconcile.ForObject())
	reconcile.Watch(c.ctrl, cfg.Pods, func(o api.Object) []reconcile.Request {
		if g, ok := o.Meta().Labels[api.LabelPodGroup]; ok {
			return []reconcile.Request{{Kind: api.KindPodGroup, Namespace: o.Meta().Namespace, Name: g}}
		}
		return nil
	})
	return c, nil
}

// Start runs the controller until ctx ends; see reconcile.Controller.Start.
func (c *Controller) Start(ctx context.Context) error { return c.ctrl.Start(ctx) }

// Reconcile writes one PodGroup's status.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	g, ok := c.cfg.PodGroups.Get(req.Namespace, req.Name)
	if !ok {
		return reconcile.Result{}, nil
	}
	var pods []*api.Pod
	for _, p := range c.cfg.Pods.ByIndex(groupIndex, g.Name) {
		if p.Namespace == g.Namespace {
			pods = append(pods, p)
		}
	}
	st := Status(g.Spec.MinMember, pods)
	st.ObservedGeneration = g.Generation
	if st == g.Status {
		return reconcile.Result{}, nil
	}
	cp := g.DeepCopy()
	cp.Status = st
	if _, err := c.cfg.Store.UpdateStatus(ctx, cp); err != nil && !errors.Is(err, store.ErrNotFound) {
		return reconcile.Result{}, fmt.Errorf("podgroup: update status of %s/%s: %w", g.Namespace, g.Name, err)
	}
	return reconcile.Result{}, nil
}

// Status computes a gang's status (without observedGeneration) from its
// member pods.
func Status(minMember int32, pods []*api.Pod) api.PodGroupStatus {
	var st api.PodGroupStatus
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		switch p.Status.Phase {
		case api.PodSucceeded:
			st.Succeeded++
		case api.PodFailed:
			st.Failed++
		case api.PodRunning:
			st.Running++
			st.Scheduled++
		default:
			if p.Spec.NodeName != "" {
				st.Scheduled++
			}
		}
	}
	alive := int32(0)
	for _, p := range pods {
		if p.DeletionTimestamp == nil && p.Status.Phase != api.PodFailed {
			alive++
		}
	}
	switch {
	case minMember > 0 && st.Succeeded >= minMember && st.Running == 0:
		st.Phase = api.PodGroupFinished
	case st.Running+st.Succeeded >= minMember && st.Running > 0:
		st.Phase = api.PodGroupRunning
	case st.Failed > 0 && alive < minMember:
		st.Phase = api.PodGroupFailed
	case st.Scheduled+st.Succeeded >= minMember && st.Scheduled > 0:
		st.Phase = api.PodGroupScheduled
	default:
		st.Phase = api.PodGroupPending
	}
	return st
}
