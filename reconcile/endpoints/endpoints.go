package endpoints

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// Config configures the controller.
type Config struct {
	// Store is where Endpoints are written. Required.
	Store store.Store
	// Informers on Store, shared with other controllers. Default to
	// informers of the controller's own.
	Services  *informer.Informer[*api.Service]
	Pods      *informer.Informer[*api.Pod]
	Endpoints *informer.Informer[*api.Endpoints]
	// Workers is how many Services are handled at once. Defaults to 4.
	Workers int
	// Options: clock, logger, metrics, leader election and retry limits.
	reconcile.Options
}

// Controller is the Endpoints controller. Safe for concurrent use.
type Controller struct {
	cfg  Config
	ctrl *reconcile.Controller
}

var _ reconcile.Reconciler = (*Controller)(nil)

// New returns a controller; Start runs it.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("endpoints: no store: %w", store.ErrInvalid)
	}
	cfg.Options = cfg.Options.WithDefaults()
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	var err error
	if cfg.Services, err = reconcile.InformerOr(cfg.Services, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("endpoints: %w", err)
	}
	if cfg.Pods, err = reconcile.InformerOr(cfg.Pods, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("endpoints: %w", err)
	}
	if cfg.Endpoints, err = reconcile.InformerOr(cfg.Endpoints, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("endpoints: %w", err)
	}
	c := &Controller{cfg: cfg}
	c.ctrl, err = reconcile.New(cfg.Options.Config("endpoints", c, cfg.Workers))
	if err != nil {
		return nil, err
	}
	reconcile.Watch(c.ctrl, cfg.Services, reconcile.ForObject())
	reconcile.Watch(c.ctrl, cfg.Endpoints, func(o api.Object) []reconcile.Request {
		return []reconcile.Request{{Kind: api.KindService, Namespace: o.Meta().Namespace, Name: o.Meta().Name}}
	})
	reconcile.Watch(c.ctrl, cfg.Pods, c.servicesOf)
	return c, nil
}

// Start runs the controller until ctx ends; see reconcile.Controller.Start.
func (c *Controller) Start(ctx context.Context) error { return c.ctrl.Start(ctx) }

func (c *Controller) servicesOf(o api.Object) []reconcile.Request {
	m := o.Meta()
	var out []reconcile.Request
	for _, s := range c.cfg.Services.ListInNamespace(m.Namespace, nil) {
		if podutil.MatchesSet(s.Spec.Selector, m.Labels) {
			out = append(out, reconcile.Request{Kind: api.KindService, Namespace: s.Namespace, Name: s.Name})
		}
	}
	return out
}

// Reconcile writes one Service's Endpoints.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	svc, ok := c.cfg.Services.Get(req.Namespace, req.Name)
	if !ok || svc.DeletionTimestamp != nil {
		if _, ok := c.cfg.Endpoints.Get(req.Namespace, req.Name); ok {
			if _, err := c.cfg.Store.Delete(ctx, api.KindEndpoints, req.Namespace, req.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
				return reconcile.Result{}, fmt.Errorf("endpoints: delete %s/%s: %w", req.Namespace, req.Name, err)
			}
		}
		return reconcile.Result{}, nil
	}
	if len(svc.Spec.Selector) == 0 {
		return reconcile.Result{}, nil
	}
	subsets := Subsets(svc, c.cfg.Pods.ListInNamespace(svc.Namespace, nil))
	cur, ok := c.cfg.Endpoints.Get(req.Namespace, req.Name)
	if ok && equal(cur.Subsets, subsets) {
		return reconcile.Result{}, nil
	}
	if !ok {
		ep := &api.Endpoints{ObjectMeta: api.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: maps.Clone(svc.Labels)}, Subsets: subsets}
		_, err := c.cfg.Store.Create(ctx, ep)
		if err == nil || !errors.Is(err, store.ErrAlreadyExists) {
			if err != nil {
				return reconcile.Result{}, fmt.Errorf("endpoints: create %s/%s: %w", svc.Namespace, svc.Name, err)
			}
			return reconcile.Result{}, nil
		}
		got, err := c.cfg.Store.Get(ctx, api.KindEndpoints, svc.Namespace, svc.Name)
		if err != nil {
			return reconcile.Result{}, fmt.Errorf("endpoints: get %s/%s: %w", svc.Namespace, svc.Name, err)
		}
		cur = got.(*api.Endpoints)
	}
	cp := cur.DeepCopy()
	cp.Subsets = subsets
	if _, err := c.cfg.Store.Update(ctx, cp); err != nil {
		return reconcile.Result{}, fmt.Errorf("endpoints: update %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return reconcile.Result{}, nil
}

// Subsets computes the endpoint subsets of svc from pods (any pods: those
// the selector does not pick are skipped). Deterministic: subsets, their
// addresses and ports are sorted.
func Subsets(svc *api.Service, pods []*api.Pod) []api.EndpointSubset {
	bySig := map[string]*api.EndpointSubset{}
	for _, p := range pods {
		if !podutil.MatchesSet(svc.Spec.Selector, p.Labels) || p.Status.PodIP == "" || p.DeletionTimestamp != nil ||
			p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		var ports []api.EndpointPort
		for _, sp := range svc.Spec.Ports {
			if port, ok := resolvePort(p, sp); ok {
				ports = append(ports, api.EndpointPort{Name: sp.Name, Port: port, Protocol: cmp.Or(sp.Protocol, api.ProtocolTCP)})
			}
		}
		if len(svc.Spec.Ports) > 0 && len(ports) == 0 {
			continue
		}
		slices.SortFunc(ports, func(a, b api.EndpointPort) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Port, b.Port))
		})
		sig, _ := json.Marshal(ports)
		ss := bySig[string(sig)]
		if ss == nil {
			ss = &api.EndpointSubset{Ports: ports}
			bySig[string(sig)] = ss
		}
		node := p.Spec.NodeName
		addr := api.EndpointAddress{IP: p.Status.PodIP, TargetRef: &api.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
		if node != "" {
			addr.NodeName = &node
		}
		if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name {
			addr.Hostname = p.Spec.Hostname
		}
		if podutil.IsReady(p) || svc.Spec.PublishNotReadyAddresses {
			ss.Addresses = append(ss.Addresses, addr)
		} else {
			ss.NotReadyAddresses = append(ss.NotReadyAddresses, addr)
		}
	}
	out := make([]api.EndpointSubset, 0, len(bySig))
	for _, sig := range slices.Sorted(maps.Keys(bySig)) {
		ss := bySig[sig]
		byIP := func(a, b api.EndpointAddress) int {
			return cmp.Or(strings.Compare(a.IP, b.IP), strings.Compare(a.TargetRef.Name, b.TargetRef.Name))
		}
		slices.SortFunc(ss.Addresses, byIP)
		slices.SortFunc(ss.NotReadyAddresses, byIP)
		out = append(out, *ss)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// resolvePort finds the pod port a Service port targets: a number as is
// (Port when unset), a name through the pod's container ports.
func resolvePort(p *api.Pod, sp api.ServicePort) (int32, bool) {
	tp := sp.TargetPort
	if !tp.IsString {
		if tp.IntVal == 0 {
			return sp.Port, true
		}
		return tp.IntVal, true
	}
	proto := cmp.Or(sp.Protocol, api.ProtocolTCP)
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == tp.StrVal && cmp.Or(cp.Protocol, api.ProtocolTCP) == proto {
				return cp.ContainerPort, true
			}
		}
	}
	return 0, false
}

func equal(a, b []api.EndpointSubset) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
