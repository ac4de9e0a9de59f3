package replicaset

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// Config configures the controller.
type Config struct {
	// Store is where pods and ReplicaSets are written. Required.
	Store store.Store
	// Pods and ReplicaSets are informers on Store, shared with other
	// controllers. Default to informers of the controller's own.
	Pods        *informer.Informer[*api.Pod]
	ReplicaSets *informer.Informer[*api.ReplicaSet]
	// Workers is how many ReplicaSets are reconciled at once. Defaults to 4.
	Workers int
	// BurstReplicas caps creations or deletions per reconcile. Defaults
	// to 500.
	BurstReplicas int
	// ExpectationsTTL is how long to wait for the informer to show the
	// controller's own writes before counting anyway. Defaults to 5m.
	ExpectationsTTL time.Duration
	// Options: clock, logger, metrics, leader election and retry limits.
	reconcile.Options
}

// Controller is the ReplicaSet controller. Safe for concurrent use.
type Controller struct {
	cfg  Config
	ctrl *reconcile.Controller
	exp  *expectations
}

var _ reconcile.Reconciler = (*Controller)(nil)

// New returns a controller; Start runs it.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("replicaset: no store: %w", store.ErrInvalid)
	}
	cfg.Options = cfg.Options.WithDefaults()
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.BurstReplicas <= 0 {
		cfg.BurstReplicas = 500
	}
	if cfg.ExpectationsTTL <= 0 {
		cfg.ExpectationsTTL = 5 * time.Minute
	}
	var err error
	if cfg.Pods, err = reconcile.InformerOr(cfg.Pods, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("replicaset: %w", err)
	}
	if cfg.ReplicaSets, err = reconcile.InformerOr(cfg.ReplicaSets, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("replicaset: %w", err)
	}
	c := &Controller{cfg: cfg, exp: newExpectations()}
	c.ctrl, err = reconcile.New(cfg.Options.Config("replicaset", c, cfg.Workers))
	if err != nil {
		return nil, err
	}
	reconcile.Watch(c.ctrl, cfg.ReplicaSets, reconcile.ForObject())
	reconcile.WatchHandler(c.ctrl, cfg.Pods, informer.HandlerFuncs[*api.Pod]{
		AddFunc: func(p *api.Pod) {
			if p.DeletionTimestamp != nil {
				c.podDeleted(p)
				return
			}
			c.podChanged(p, true)
		},
		UpdateFunc: func(old, p *api.Pod) {
			c.podChanged(old, false)
			if p.DeletionTimestamp != nil && old.DeletionTimestamp == nil {
				c.podDeleted(p)
				return
			}
			c.podChanged(p, false)
		},
		DeleteFunc: c.podDeleted,
	})
	return c, nil
}

// Start runs the controller until ctx ends; see reconcile.Controller.Start.
func (c *Controller) Start(ctx context.Context) error { return c.ctrl.Start(ctx) }

func rsKey(ns, name string) reconcile.Request {
	return reconcile.Request{Kind: api.KindReplicaSet, Namespace: ns, Name: name}
}

// podChanged enqueues the pod's controller, or, for an orphan, every
// ReplicaSet that may adopt it. A newly seen pod lowers its owner's
// creation expectations.
func (c *Controller) podChanged(p *api.Pod, added bool) {
	if ref := podutil.ControllerOf(&p.ObjectMeta); ref != nil {
		if ref.Kind != string(api.KindReplicaSet) {
			return
		}
		k := rsKey(p.Namespace, ref.Name)
		if added {
			c.exp.observeCreate(k)
		}
		c.ctrl.Queue().Add(k)
		return
	}
	if p.DeletionTimestamp != nil {
		return
	}
	for _, rs := range c.cfg.ReplicaSets.ListInNamespace(p.Namespace, nil) {
		if sel, err := api.LabelSelectorAsSelector(rs.Spec.Selector); err == nil && sel.Matches(p.Labels) {
			c.ctrl.Queue().Add(rsKey(rs.Namespace, rs.Name))
		}
	}
}

func (c *Controller) podDeleted(p *api.Pod) {
	if ref := podutil.ControllerOf(&p.ObjectMeta); ref != nil && ref.Kind == string(api.KindReplicaSet) {
		k := rsKey(p.Namespace, ref.Name)
		c.exp.observeDelete(k, p.Name)
		c.ctrl.Queue().Add(k)
	}
}

// Reconcile brings one ReplicaSet's pods to spec.replicas.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	rs, ok := c.cfg.ReplicaSets.Get(req.Namespace, req.Name)
	if !ok {
		c.exp.forget(req)
		return reconcile.Result{}, nil
	}
	now := c.cfg.Clock.Now()
	sel, err := api.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return reconcile.Result{}, reconcile.Terminal(fmt.Errorf("replicaset: %s/%s: %w: %w", rs.Namespace, rs.Name, store.ErrInvalid, err))
	}
	// Expectations are checked before the pods are listed, never after
	// (as in Kubernetes). The informer updates its cache before its
	// handlers run, so once observeCreate/observeDelete have satisfied the
	// expectations, any later list shows every pod this controller made or
	// deleted. Checked after the list, the handlers could satisfy them in
	// between: the list would miss pods just created, manage would create
	// them again, and the ReplicaSet would briefly have more pods than
	// spec.replicas (a Deployment with maxSurge 0 had replicas + 1 pods).
	needsSync := rs.DeletionTimestamp == nil && c.exp.satisfied(req, now, c.cfg.ExpectationsTTL)
	pods, err := c.claim(ctx, rs, sel)
	if err != nil {
		return reconcile.Result{}, err
	}
	var manageErr error
	if needsSync {
		manageErr = c.manage(ctx, req, rs, pods)
	}
	after, err := c.updateStatus(ctx, rs, pods, now, manageErr)
	if manageErr != nil {
		return reconcile.Result{}, manageErr
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: after}, nil
}

// claim returns the active pods rs controls, adopting matching orphans and
// releasing owned pods that no longer match.
func (c *Controller) claim(ctx context.Context, rs *api.ReplicaSet, sel api.Selector) ([]*api.Pod, error) {
	var owned []*api.Pod
	for _, p := range c.cfg.Pods.ListInNamespace(rs.Namespace, nil) {
		ref := podutil.ControllerOf(&p.ObjectMeta)
		matches := sel.Matches(p.Labels)
		switch {
		case ref != nil && ref.UID == rs.UID:
			if !matches {
				if err := c.release(ctx, p, rs); err != nil {
					return nil, err
				}
				continue
			}
		case ref == nil && matches && p.DeletionTimestamp == nil && rs.DeletionTimestamp == nil:
			np, err := c.adopt(ctx, p, rs)
			if err != nil {
				return nil, err
			}
			if np == nil {
				continue
			}
			p = np
		default:
			continue
		}
		if podutil.IsActive(p) {
			owned = append(owned, p)
		}
	}
	return owned, nil
}

func (c *Controller) adopt(ctx context.Context, p *api.Pod, rs *api.ReplicaSet) (*api.Pod, error) {
	cp := p.DeepCopyObject().(*api.Pod)
	cp.OwnerReferences = append(cp.OwnerReferences, podutil.ControllerRef(rs))
	out, err := c.cfg.Store.Update(ctx, cp)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replicaset: adopt pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	c.cfg.Logger.Info("adopted pod", "replicaset", rs.Name, "pod", p.Name)
	return out.(*api.Pod), nil
}

func (c *Controller) release(ctx context.Context, p *api.Pod, rs *api.ReplicaSet) error {
	cp := p.DeepCopyObject().(*api.Pod)
	cp.OwnerReferences = slices.DeleteFunc(cp.OwnerReferences, func(r api.OwnerReference) bool { return r.UID == rs.UID })
	_, err := c.cfg.Store.Update(ctx, cp)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("replicaset: release pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	c.cfg.Logger.Info("released pod", "replicaset", rs.Name, "pod", p.Name)
	return nil
}

// manage creates or deletes pods to reach spec.replicas.
func (c *Controller) manage(ctx context.Context, req reconcile.Request, rs *api.ReplicaSet, pods []*api.Pod) error {
	want := int(ptrOr(rs.Spec.Replicas, 1))
	diff := len(pods) - want
	switch {
	case diff < 0:
		n := min(-diff, c.cfg.BurstReplicas)
		c.exp.expectCreates(req, n, c.cfg.Clock.Now())
		tmpl := podFor(rs)
		made, err := slowStart(ctx, n, 1, func(ctx context.Context) error {
			p := *tmpl // the store never retains nor modifies what it is given
			_, err := c.cfg.Store.Create(ctx, &p)
			return err
		})
		if skipped := n - made; skipped > 0 {
			c.exp.lowerCreates(req, skipped) // those were never made
		}
		if err != nil {
			return fmt.Errorf("replicaset: %s/%s: created %d of %d pods: %w", rs.Namespace, rs.Name, made, n, err)
		}
	case diff > 0:
		n := min(diff, c.cfg.BurstReplicas)
		victims := PodsToDelete(pods, n)
		names := make([]string, len(victims))
		for i, p := range victims {
			names[i] = p.Name
		}
		c.exp.expectDeletes(req, names, c.cfg.Clock.Now())
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for _, p := range victims {
			g.Go(func() error {
				_, err := c.cfg.Store.Delete(gctx, api.KindPod, p.Namespace, p.Name, store.WithUID(p.UID))
				if err != nil {
					c.exp.observeDelete(req, p.Name)
					if errors.Is(err, store.ErrNotFound) {
						return nil
					}
					return fmt.Errorf("replicaset: delete pod %s/%s: %w", p.Namespace, p.Name, err)
				}
				return nil
			})
		}
		return g.Wait()
	}
	return nil
}

// podFor returns a new pod of rs's template, controlled by rs.
func podFor(rs *api.ReplicaSet) *api.Pod {
	tmpl := rs.DeepCopy().Spec.Template
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{
			GenerateName:    rs.Name + "-",
			Namespace:       rs.Namespace,
			Labels:          tmpl.Labels,
			Annotations:     tmpl.Annotations,
			OwnerReferences: []api.OwnerReference{podutil.ControllerRef(rs)},
		},
		Spec: tmpl.Spec,
	}
}

// slowStart calls fn count times, in parallel batches of initial, then
// twice as many each time, stopping after the first batch with a failure.
// It returns how many calls succeeded.
func slowStart(ctx context.Context, count, initial int, fn func(context.Context) error) (int, error) {
	done := 0
	for batch := min(count, initial); done < count; batch = min(2*batch, count-done) {
		var mu sync.Mutex
		var firstErr error
		ok := 0
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(32)
		for range batch {
			g.Go(func() error {
				err := fn(gctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					return nil
				}
				ok++
				return nil
			})
		}
		_ = g.Wait()
		done += ok
		if firstErr != nil {
			return done, firstErr
		}
		if batch == 0 {
			break
		}
	}
	return done, nil
}

// PodsToDelete returns the n pods to delete first: unscheduled, then
// pending, then not ready, then ready; among equals the lower pod-deletion
// cost, then the newer pod. pods is not modified.
func PodsToDelete(pods []*api.Pod, n int) []*api.Pod {
	s := slices.Clone(pods)
	slices.SortStableFunc(s, compareForDeletion)
	return s[:min(n, len(s))]
}

func compareForDeletion(a, b *api.Pod) int {
	rank := func(p *api.Pod) int {
		switch {
		case p.Spec.NodeName == "":
			return 0
		case p.Status.Phase == api.PodPending || p.Status.Phase == "":
			return 1
		case p.Status.Phase == api.PodUnknown:
			return 2
		case !podutil.IsReady(p):
			return 3
		}
		return 4
	}
	return cmp.Or(
		cmp.Compare(rank(a), rank(b)),
		cmp.Compare(deletionCost(a), deletionCost(b)),
		b.CreationTimestamp.Compare(a.CreationTimestamp), // newer first
		cmp.Compare(b.Name, a.Name),
	)
}

func deletionCost(p *api.Pod) int64 {
	v, err := strconv.ParseInt(p.Annotations[api.AnnotationPodDeletionCost], 10, 32)
	if err != nil {
		return 0
	}
	return v
}

// updateStatus writes rs's status from pods if it changed, and returns
// when a ready pod will become available (0: none pending).
func (c *Controller) updateStatus(ctx context.Context, rs *api.ReplicaSet, pods []*api.Pod, now time.Time, manageErr error) (time.Duration, error) {
	minReady := time.Duration(rs.Spec.MinReadySeconds) * time.Second
	st := api.ReplicaSetStatus{Replicas: int32(len(pods)), ObservedGeneration: rs.Generation, Conditions: failureCondition(rs.Status.Conditions, manageErr, now)}
	var next time.Duration
	for _, p := range pods {
		if podutil.MatchesSet(rs.Spec.Template.Labels, p.Labels) || len(rs.Spec.Template.Labels) == 0 {
			st.FullyLabeledReplicas++
		}
		if podutil.IsReady(p) {
			st.ReadyReplicas++
			if podutil.IsAvailable(p, minReady, now) {
				st.AvailableReplicas++
			} else if d := podutil.AvailableIn(p, minReady, now); next == 0 || d < next {
				next = d
			}
		}
	}
	if equalStatus(st, rs.Status) {
		return next, nil
	}
	cp := rs.DeepCopyObject().(*api.ReplicaSet)
	cp.Status = st
	if _, err := c.cfg.Store.UpdateStatus(ctx, cp); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("replicaset: update status of %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	return next, nil
}

// ConditionReplicaFailure is set while pods cannot be created or deleted.
const ConditionReplicaFailure = "ReplicaFailure"

// failureCondition sets ReplicaFailure (True, with the error) when manage
// failed, and removes it when it succeeded.
func failureCondition(conds []api.ReplicaSetCondition, manageErr error, now time.Time) []api.ReplicaSetCondition {
	out := slices.DeleteFunc(slices.Clone(conds), func(c api.ReplicaSetCondition) bool { return c.Type == ConditionReplicaFailure })
	if manageErr == nil {
		return out
	}
	at := now
	for _, c := range conds {
		if c.Type == ConditionReplicaFailure && c.Status == api.ConditionTrue {
			at = c.LastTransitionTime
		}
	}
	return append(out, api.ReplicaSetCondition{Type: ConditionReplicaFailure, Status: api.ConditionTrue, LastTransitionTime: at,
		Reason: "FailedCreate", Message: manageErr.Error()})
}

func equalStatus(a, b api.ReplicaSetStatus) bool {
	return a.Replicas == b.Replicas && a.FullyLabeledReplicas == b.FullyLabeledReplicas && a.ReadyReplicas == b.ReadyReplicas &&
		a.AvailableReplicas == b.AvailableReplicas && a.ObservedGeneration == b.ObservedGeneration && slices.EqualFunc(a.Conditions, b.Conditions,
		func(x, y api.ReplicaSetCondition) bool {
			return x.Type == y.Type && x.Status == y.Status && x.Reason == y.Reason && x.Message == y.Message && x.LastTransitionTime.Equal(y.LastTransitionTime)
		})
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
