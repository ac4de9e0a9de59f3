package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/deployment"
	"github.com/fleetkit/orchestrator/reconcile/endpoints"
	"github.com/fleetkit/orchestrator/reconcile/gc"
	"github.com/fleetkit/orchestrator/reconcile/nodelifecycle"
	"github.com/fleetkit/orchestrator/reconcile/podgroup"
	"github.com/fleetkit/orchestrator/reconcile/quota"
	"github.com/fleetkit/orchestrator/reconcile/replicaset"
	"github.com/fleetkit/orchestrator/sched"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// ErrLeadershipLost is returned by ControlPlane.Run when this control
// plane stopped leading while its context was still live. A ControlPlane
// runs once: like kube-controller-manager, a host that loses leadership
// exits (or builds a new ControlPlane) rather than resuming with caches
// that may be stale.
var ErrLeadershipLost = errors.New("orchestrator: leadership lost")

// ControlPlaneConfig configures a ControlPlane. The zero value of every
// field but Store is its default.
type ControlPlaneConfig struct {
	// Store is the backend: store/memstore on one machine, store/etcdstore
	// across machines. Required.
	Store store.Store
	// Elector decides when this control plane acts; with several control
	// planes on one store, give each a leader.LeaseElector (or an
	// etcdleader one). Defaults to reconcile.SingleProcess (always leads).
	Elector reconcile.Elector
	// Profiles are the scheduler's profiles. Defaults to one
	// sched.DefaultProfile().
	Profiles []sched.Profile
	// NodeGracePeriod is how old a node's Lease may be before the node is
	// taken as unreachable. Defaults to 40s.
	NodeGracePeriod time.Duration
	// PodEvictionTimeout is how long pods that do not tolerate an
	// unreachable node stay on it. Defaults to 300s.
	PodEvictionTimeout time.Duration
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Registerer receives every component's metrics. Defaults to none.
	Registerer prometheus.Registerer
}

// ControlPlane is the scheduler and the built-in controllers (ReplicaSet,
// Deployment, node lifecycle, endpoints, garbage collection, quota and
// PodGroup) wired to one store, sharing one set of informers, behind one
// elector. Clients write through Store(), which defaults and validates
// every object and enforces ResourceQuotas.
//
// It is safe for concurrent use; Run may be called once.
type ControlPlane struct {
	cfg      ControlPlaneConfig
	admitted store.Store

	informers []interface{ Run(context.Context) error }
	starters  []func(context.Context) error
	scheduler *sched.Scheduler
}

// NewControlPlane validates cfg and builds the components. Nothing runs
// until Run.
func NewControlPlane(cfg ControlPlaneConfig) (*ControlPlane, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("orchestrator: ControlPlaneConfig.Store is required: %w", store.ErrInvalid)
	}
	if cfg.Elector == nil {
		cfg.Elector = reconcile.SingleProcess{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cp := &ControlPlane{cfg: cfg}
	backend := cfg.Store
	log := cfg.Logger

	// One informer per kind, shared by every controller that reads it;
	// they follow the backend directly (reads need no admission).
	pods, err := newInformer[*api.Pod](cp, backend, "")
	if err != nil {
		return nil, err
	}
	nodes, err := newInformer[*api.Node](cp, backend, "")
	if err != nil {
		return nil, err
	}
	leases, err := newInformer[*api.Lease](cp, backend, nodelifecycle.LeaseNamespace)
	if err != nil {
		return nil, err
	}
	rss, err := newInformer[*api.ReplicaSet](cp, backend, "")
	if err != nil {
		return nil, err
	}
	deps, err := newInformer[*api.Deployment](cp, backend, "")
	if err != nil {
		return nil, err
	}
	svcs, err := newInformer[*api.Service](cp, backend, "")
	if err != nil {
		return nil, err
	}
	eps, err := newInformer[*api.Endpoints](cp, backend, "")
	if err != nil {
		return nil, err
	}
	groups, err := newInformer[*api.PodGroup](cp, backend, "")
	if err != nil {
		return nil, err
	}
	quotas, err := newInformer[*api.ResourceQuota](cp, backend, "")
	if err != nil {
		return nil, err
	}

	// Each controller is told it always leads: the control plane elects
	// once, for all of them (see Run).
	lead := reconcile.SingleProcess{}
	reg := cfg.Registerer

	// The quota controller sees the raw backend: its own writes (and the
	// admitter's charges) are not admitted again.
	q, err := quota.New(quota.Config{Store: backend, Quotas: quotas, Pods: pods,
		Options: reconcile.Options{Logger: log.With("controller", "quota"), Registerer: reg, Elector: lead}})
	if err != nil {
		return nil, err
	}
	cp.admitted = store.Admitting(backend, q.Admitter())
	st := cp.admitted

	rs, err := replicaset.New(replicaset.Config{Store: st, Pods: pods, ReplicaSets: rss,
		Options: reconcile.Options{Logger: log.With("controller", "replicaset"), Registerer: reg, Elector: lead}})
	if err != nil {
		return nil, err
	}
	dep, err := deployment.New(deployment.Config{Store: st, Deployments: deps, ReplicaSets: rss, Pods: pods,
		Options: reconcile.Options{Logger: log.With("controller", "deployment"), Registerer: reg, Elector: lead}})
	if err != nil {
		return nil, err
	}
	nl, err := nodelifecycle.New(nodelifecycle.Config{Store: st, Nodes: nodes, Leases: leases, Pods: pods,
		GracePeriod: cfg.NodeGracePeriod, DefaultTolerationSeconds: cfg.PodEvictionTimeout,
		Options: reconcile.Options{Logger: log.With("controller", "nodelifecycle"), Registerer: reg, Elector: lead}})
	if err != nil {
		return nil, err
	}
	ep, err := endpoints.New(endpoints.Config{Store: st, Services: svcs, Pods: pods, Endpoints: eps,
		Options: reconcile.Options{Logger: log.With("controller", "endpoints"), Registerer: reg, Elector: lead}})
	if err != nil {
		return nil, err
	}
	pg, err := podgroup.New(podgroup.Config{Store: st, PodGroups: groups, Pods: pods,
		Options: reconcile.Options{Logger: log.With("controller", "podgroup"), Registerer: reg, Elector: lead}})
	if err != nil {
		return nil, err
	}
	// The garbage collector follows every owner kind generically with
	// informers of its own.
	collector, err := gc.New(gc.Config{Store: st,
		Options: reconcile.Options{Logger: log.With("controller", "gc"), Registerer: reg, Elector: lead}})
	if err != nil {
		return nil, err
	}
	cp.starters = []func(context.Context) error{q.Start, rs.Start, dep.Start, nl.Start, ep.Start, pg.Start, collector.Start}

	cp.scheduler, err = sched.New(sched.Config{Store: st, Profiles: cfg.Profiles,
		Logger: log.With("component", "scheduler"), Registerer: reg})
	if err != nil {
		return nil, err
	}
	return cp, nil
}

func newInformer[T api.Object](cp *ControlPlane, s store.Store, namespace string) (*informer.Informer[T], error) {
	inf, err := informer.New[T](s, informer.Config[T]{Namespace: namespace, Logger: cp.cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("orchestrator: %w", err)
	}
	cp.informers = append(cp.informers, inf)
	return inf, nil
}

// Store returns the store clients should write through: it applies
// api.Default and api.Validate to every write and refuses pods that would
// exceed a ResourceQuota (store.ErrForbidden). Reads and watches go to the
// backend unchanged.
func (cp *ControlPlane) Store() store.Store { return cp.admitted }

// Scheduler returns the control plane's scheduler, for dry runs.
func (cp *ControlPlane) Scheduler() *sched.Scheduler { return cp.scheduler }

// Run waits until this control plane leads, then runs the informers, the
// controllers and the scheduler until ctx ends (it returns nil) or
// leadership is lost (it returns ErrLeadershipLost). Either way every
// goroutine it started has ended when it returns; in-flight reconciles
// finish first. A component failing ends the others and its error is
// returned.
func (cp *ControlPlane) Run(ctx context.Context) error {
	// The term is not a child of ctx, so that when ctx ends the lease is
	// given up only after every component has stopped: resigning at once
	// would let another control plane start while this one winds down.
	term, resign := context.WithCancel(context.WithoutCancel(ctx))
	defer resign()
	stopCampaign := context.AfterFunc(ctx, resign)
	leadCtx, err := cp.cfg.Elector.Elect(term)
	stopCampaign()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("orchestrator: elect: %w", err)
	}
	cp.cfg.Logger.Info("leading: starting the control plane")
	work, stopWork := context.WithCancel(leadCtx)
	defer stopWork()
	defer context.AfterFunc(ctx, stopWork)()
	g, gctx := errgroup.WithContext(work)
	// Controllers also start the informers they watch (a no-op for one
	// already running: ErrAlreadyStarted); whichever call comes first runs
	// each informer, under gctx either way.
	run := func(f func(context.Context) error) {
		g.Go(func() error {
			if err := f(gctx); err != nil && !errors.Is(err, informer.ErrAlreadyStarted) {
				return err
			}
			return nil
		})
	}
	for _, inf := range cp.informers {
		run(inf.Run)
	}
	for _, start := range cp.starters {
		run(start)
	}
	g.Go(func() error { return cp.scheduler.Run(gctx) })
	err = g.Wait()
	switch {
	case ctx.Err() != nil:
		return nil
	case leadCtx.Err() != nil:
		return ErrLeadershipLost
	}
	return err
}
