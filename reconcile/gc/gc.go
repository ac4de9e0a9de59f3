package gc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

const ownerUIDIndex = "gc-owner-uid"

// Config configures the collector.
type Config struct {
	// Store is where objects are read and deleted. Required.
	Store store.Store
	// Kinds are the kinds followed, as owners and as dependents.
	// Defaults to Deployment, ReplicaSet, Pod, Service, Endpoints,
	// PodGroup.
	Kinds []api.Kind
	// Workers is how many objects are handled at once. Defaults to 4.
	Workers int
	// Options: clock, logger, metrics, leader election and retry limits.
	reconcile.Options
}

// Collector is the garbage collector. Safe for concurrent use.
type Collector struct {
	cfg  Config
	ctrl *reconcile.Controller
	infs map[api.Kind]*informer.Informer[api.Object]
}

var _ reconcile.Reconciler = (*Collector)(nil)

// New returns a collector; Start runs it.
func New(cfg Config) (*Collector, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("gc: no store: %w", store.ErrInvalid)
	}
	cfg.Options = cfg.Options.WithDefaults()
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = []api.Kind{api.KindDeployment, api.KindReplicaSet, api.KindPod, api.KindService, api.KindEndpoints, api.KindPodGroup}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	g := &Collector{cfg: cfg, infs: map[api.Kind]*informer.Informer[api.Object]{}}
	var err error
	g.ctrl, err = reconcile.New(cfg.Options.Config("gc", g, cfg.Workers))
	if err != nil {
		return nil, err
	}
	for _, k := range cfg.Kinds {
		inf, err := informer.New[api.Object](cfg.Store, informer.Config[api.Object]{Kind: k, Logger: cfg.Logger,
			Indexers: map[string]informer.IndexFunc[api.Object]{ownerUIDIndex: ownerUIDs}})
		if err != nil {
			return nil, fmt.Errorf("gc: %w", err)
		}
		g.infs[k] = inf
		reconcile.WatchHandler(g.ctrl, inf, informer.HandlerFuncs[api.Object]{
			AddFunc:    g.changed,
			UpdateFunc: func(_, o api.Object) { g.changed(o) },
			DeleteFunc: g.deleted,
		})
	}
	return g, nil
}

func ownerUIDs(o api.Object) []string {
	var out []string
	for _, r := range o.Meta().OwnerReferences {
		out = append(out, string(r.UID))
	}
	return out
}

// Start runs the collector until ctx ends; see reconcile.Controller.Start.
func (g *Collector) Start(ctx context.Context) error { return g.ctrl.Start(ctx) }

// changed queues an object that has owners or is being deleted with a
// propagation finalizer, the owners of a dependent (a foreground owner
// waits for it), and the dependents of an owner being deleted.
func (g *Collector) changed(o api.Object) {
	m := o.Meta()
	if len(m.OwnerReferences) > 0 || m.DeletionTimestamp != nil {
		g.ctrl.Queue().Add(reconcile.RequestFor(o))
	}
	g.queueOwners(o)
	if m.DeletionTimestamp != nil {
		g.queueDependents(m.UID)
	}
}

func (g *Collector) deleted(o api.Object) {
	g.queueOwners(o)
	g.queueDependents(o.Meta().UID)
}

func (g *Collector) queueOwners(o api.Object) {
	m := o.Meta()
	for _, r := range m.OwnerReferences {
		ns := m.Namespace
		if info, ok := api.LookupKind(api.Kind(r.Kind)); ok && !info.Namespaced {
			ns = ""
		}
		if _, ok := g.infs[api.Kind(r.Kind)]; ok {
			g.ctrl.Queue().Add(reconcile.Request{Kind: api.Kind(r.Kind), Namespace: ns, Name: r.Name})
		}
	}
}

func (g *Collector) queueDependents(uid api.UID) {
	for _, d := range g.dependents(uid) {
		g.ctrl.Queue().Add(reconcile.RequestFor(d))
	}
}

func (g *Collector) dependents(uid api.UID) []api.Object {
	var out []api.Object
	for _, k := range g.cfg.Kinds {
		out = append(out, g.infs[k].ByIndex(ownerUIDIndex, string(uid))...)
	}
	return out
}

// Reconcile handles one object as an owner being deleted and as a
// dependent.
func (g *Collector) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	inf, ok := g.infs[req.Kind]
	if !ok {
		return reconcile.Result{}, nil
	}
	o, ok := inf.Get(req.Namespace, req.Name)
	if !ok {
		return reconcile.Result{}, nil
	}
	m := o.Meta()
	if m.DeletionTimestamp != nil {
		switch {
		case slices.Contains(m.Finalizers, api.FinalizerOrphan):
			return reconcile.Result{}, g.orphan(ctx, o)
		case slices.Contains(m.Finalizers, api.FinalizerForeground):
			return g.foreground(ctx, o)
		}
	}
	if len(m.OwnerReferences) > 0 {
		return reconcile.Result{}, g.checkOwners(ctx, o)
	}
	return reconcile.Result{}, nil
}

// ownerState is what the store says of one owner reference.
type ownerState int

const (
	ownerGone ownerState = iota
	ownerPresent
	ownerForeground // being deleted in foreground
)

func (g *Collector) owner(ctx context.Context, ns string, r api.OwnerReference) (ownerState, error) {
	info, ok := api.LookupKind(api.Kind(r.Kind))
	if !ok {
		return ownerPresent, nil // unknown kinds are never collected
	}
	if !info.Namespaced {
		ns = ""
	}
	// The cache answers "present" cheaply; "gone" is confirmed with the
	// store, so that cache lag never deletes a live object's dependents.
	if inf, ok := g.infs[info.Kind]; ok {
		if o, ok := inf.Get(ns, r.Name); ok && o.Meta().UID == r.UID && o.Meta().DeletionTimestamp == nil {
			return ownerPresent, nil
		}
	}
	o, err := g.cfg.Store.Get(ctx, info.Kind, ns, r.Name)
	if errors.Is(err, store.ErrNotFound) {
		return ownerGone, nil
	}
	if err != nil {
		return 0, fmt.Errorf("gc: look up owner %s %s: %w", r.Kind, r.Name, err)
	}
	m := o.Meta()
	switch {
	case m.UID != r.UID:
		return ownerGone, nil
	case m.DeletionTimestamp != nil && slices.Contains(m.Finalizers, api.FinalizerForeground):
		return ownerForeground, nil
	}
	return ownerPresent, nil
}

func (g *Collector) checkOwners(ctx context.Context, o api.Object) error {
	m := o.Meta()
	var gone []api.UID
	foreground := false
	for _, r := range m.OwnerReferences {
		st, err := g.owner(ctx, m.Namespace, r)
		if err != nil {
			return err
		}
		switch st {
		case ownerGone:
			gone = append(gone, r.UID)
		case ownerForeground:
			foreground = true
		}
	}
	switch {
	case len(gone) == len(m.OwnerReferences) || (foreground && len(gone)+1 >= len(m.OwnerReferences)):
		if m.DeletionTimestamp != nil {
			return nil
		}
		policy := store.PropagateBackground
		if foreground {
			policy = store.PropagateForeground
		}
		// Conditional on the version judged: if the object changed since
		// (an orphaning dropped its references), the delete fails with a
		// conflict and the object is judged again.
		_, err := g.cfg.Store.Delete(ctx, o.Kind(), m.Namespace, m.Name, store.WithUID(m.UID),
			store.WithResourceVersion(m.ResourceVersion), store.WithPropagation(policy))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("gc: delete %s: %w", reconcile.RequestFor(o), err)
		}
		g.cfg.Logger.Info("deleted dependent of a gone owner", "object", reconcile.RequestFor(o).String())
	case len(gone) > 0:
		return g.dropRefs(ctx, o, gone)
	}
	return nil
}

// dropRefs removes the owner references with the given UIDs from o.
func (g *Collector) dropRefs(ctx context.Context, o api.Object, uids []api.UID) error {
	cp := o.DeepCopyObject()
	cm := cp.Meta()
	cm.OwnerReferences = slices.DeleteFunc(cm.OwnerReferences, func(r api.OwnerReference) bool { return slices.Contains(uids, r.UID) })
	if _, err := g.cfg.Store.Update(ctx, cp); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("gc: drop owner references of %s: %w", reconcile.RequestFor(o), err)
	}
	return nil
}

func (g *Collector) removeFinalizer(ctx context.Context, o api.Object, f string) error {
	cp := o.DeepCopyObject()
	cm := cp.Meta()
	cm.Finalizers = slices.DeleteFunc(cm.Finalizers, func(x string) bool { return x == f })
	if _, err := g.cfg.Store.Update(ctx, cp); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("gc: remove finalizer %s of %s: %w", f, reconcile.RequestFor(o), err)
	}
	return nil
}

// liveDependents lists owner's dependents from the store, not the cache:
// orphaning and foreground deletion must not miss one the cache has not
// seen yet.
func (g *Collector) liveDependents(ctx context.Context, owner api.Object) ([]api.Object, error) {
	m := owner.Meta()
	var out []api.Object
	for _, k := range g.cfg.Kinds {
		var opts []store.ListOption
		if m.Namespace != "" {
			opts = append(opts, store.ListInNamespace(m.Namespace))
		}
		l, err := g.cfg.Store.List(ctx, k, opts...)
		if err != nil {
			return nil, fmt.Errorf("gc: list dependents of %s: %w", reconcile.RequestFor(owner), err)
		}
		for _, o := range l.Items {
			if slices.ContainsFunc(o.Meta().OwnerReferences, func(r api.OwnerReference) bool { return r.UID == m.UID }) {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

func (g *Collector) orphan(ctx context.Context, owner api.Object) error {
	uid := owner.Meta().UID
	deps, err := g.liveDependents(ctx, owner)
	if err != nil {
		return err
	}
	for _, d := range deps {
		if err := g.dropRefs(ctx, d, []api.UID{uid}); err != nil {
			return err
		}
	}
	return g.removeFinalizer(ctx, owner, api.FinalizerOrphan)
}

func (g *Collector) foreground(ctx context.Context, owner api.Object) (reconcile.Result, error) {
	uid := owner.Meta().UID
	deps, err := g.liveDependents(ctx, owner)
	if err != nil {
		return reconcile.Result{}, err
	}
	blocking := 0
	for _, d := range deps {
		dm := d.Meta()
		for _, r := range dm.OwnerReferences {
			if r.UID == uid && r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion {
				blocking++
			}
		}
		if dm.DeletionTimestamp == nil {
			_, err := g.cfg.Store.Delete(ctx, d.Kind(), dm.Namespace, dm.Name, store.WithUID(dm.UID), store.WithPropagation(store.PropagateForeground))
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return reconcile.Result{}, fmt.Errorf("gc: delete dependent %s: %w", reconcile.RequestFor(d), err)
			}
		}
	}
	if blocking > 0 {
		// Each dependent's deletion queues the owner again; the requeue
		// covers a dependent that goes before its informer saw it.
		return reconcile.Result{RequeueAfter: time.Second}, nil
	}
	return reconcile.Result{}, g.removeFinalizer(ctx, owner, api.FinalizerForeground)
}
