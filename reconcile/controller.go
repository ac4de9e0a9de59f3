package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// Elector decides whether this process runs the controllers (one active
// controller set per cluster). The leader package's elector plugs in here;
// reconcile does not import it.
type Elector interface {
	// Elect blocks until this process leads or ctx ends. It returns a
	// context that ends when leadership is lost (or ctx ends). It is safe
	// for concurrent use.
	Elect(ctx context.Context) (context.Context, error)
}

// ElectorFunc adapts a function to an Elector.
type ElectorFunc func(ctx context.Context) (context.Context, error)

// Elect calls f.
func (f ElectorFunc) Elect(ctx context.Context) (context.Context, error) { return f(ctx) }

// SingleProcess is the default Elector: the process always leads.
var _ Elector = SingleProcess{}

// SingleProcess is an Elector for a single process: Elect returns at once
// with ctx itself.
type SingleProcess struct{}

// Elect returns ctx.
func (SingleProcess) Elect(ctx context.Context) (context.Context, error) { return ctx, ctx.Err() }

// ErrLeadershipLost is returned by Controller.Start when the Elector's
// context ends before the caller's.
var ErrLeadershipLost = errors.New("reconcile: leadership lost")

// Config configures a Controller.
type Config struct {
	// Name names the controller in logs and metrics. Required.
	Name string
	// Reconciler does the work. Required.
	Reconciler Reconciler
	// Workers is how many keys are reconciled at once. Defaults to 1.
	Workers int
	// Clock times back-off and requeue-after. Defaults to RealClock.
	Clock Clock
	// Logger receives structured logs. Defaults to discarding.
	Logger *slog.Logger
	// Registerer receives the controller's metrics (labelled
	// controller=Name). Defaults to none (no metrics).
	Registerer prometheus.Registerer
	// Elector gates Start on leadership. Defaults to SingleProcess.
	Elector Elector
	// RateLimit bounds retries. Zero fields take their defaults.
	RateLimit RateLimit
}

// Mapper maps a changed object to the requests it affects.
type Mapper func(obj api.Object) []Request

// ForObject maps an object to itself.
func ForObject() Mapper {
	return func(o api.Object) []Request { return []Request{RequestFor(o)} }
}

// ForController maps an object to its controlling owner (the owner
// reference with controller=true) when that owner is of kind.
func ForController(kind api.Kind) Mapper {
	return func(o api.Object) []Request {
		m := o.Meta()
		for _, r := range m.OwnerReferences {
			if r.Controller != nil && *r.Controller && r.Kind == string(kind) {
				return []Request{{Kind: kind, Namespace: m.Namespace, Name: r.Name}}
			}
		}
		return nil
	}
}

// ForOwners maps an object to every owner of kind it references.
func ForOwners(kind api.Kind) Mapper {
	return func(o api.Object) []Request {
		m := o.Meta()
		var out []Request
		for _, r := range m.OwnerReferences {
			if r.Kind == string(kind) {
				out = append(out, Request{Kind: kind, Namespace: m.Namespace, Name: r.Name})
			}
		}
		return out
	}
}

// Controller runs a Reconciler over a Queue fed by watches. Safe for
// concurrent use; Start runs once.
//
// Guarantees: a key is never reconciled by two workers at once; a key
// added while it is being reconciled is reconciled again afterwards; on
// shutdown, in-flight reconciles finish (their context is not cancelled
// until they return, unless leadership is lost) before Start returns.
type Controller struct {
	cfg       Config
	queue     *Queue
	metrics   *metrics
	baseDelay time.Duration

	mu      sync.Mutex
	sources []source
	started bool
}

// New returns a controller; add watches with Watch, then call Start.
func New(cfg Config) (*Controller, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("reconcile: controller has no name: %w", store.ErrInvalid)
	}
	if cfg.Reconciler == nil {
		return nil, fmt.Errorf("reconcile: controller %s has no reconciler: %w", cfg.Name, store.ErrInvalid)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = cfg.Logger.With("controller", cfg.Name)
	if cfg.Elector == nil {
		cfg.Elector = SingleProcess{}
	}
	m, err := newMetrics(cfg.Name, cfg.Registerer)
	if err != nil {
		return nil, err
	}
	c := &Controller{cfg: cfg, metrics: m, baseDelay: cfg.RateLimit.withDefaults().BaseDelay}
	c.queue = NewQueue(QueueConfig{Clock: cfg.Clock, RateLimit: cfg.RateLimit, Observer: m})
	return c, nil
}

// Queue returns the controller's queue, for enqueueing keys from outside
// a watch (tests, timers of the host).
func (c *Controller) Queue() *Queue { return c.queue }

// Informer is what Watch needs of a store/informer.Informer: handlers,
// a run loop and a first-sync signal.
type Informer[T api.Object] interface {
	AddHandler(h informer.Handler[T])
	Run(ctx context.Context) error
	WaitForSync(ctx context.Context) error
}

// Watch feeds c's queue from inf: every change maps, through m, the old
// and the new object to requests. Call before Start. Start runs the
// informers it watches; an informer already run by someone else (shared
// by several controllers) is only waited for.
func Watch[T api.Object](c *Controller, inf Informer[T], m Mapper) {
	c.mu.Lock()
	defer c.mu.Unlock()
	found := false
	for _, x := range c.sources {
		found = found || x == source(inf)
	}
	if !found {
		c.sources = append(c.sources, inf)
	}
	add := func(o api.Object) {
		for _, r := range m(o) {
			c.queue.Add(r)
		}
	}
	inf.AddHandler(informer.HandlerFuncs[T]{
		AddFunc: func(o T) { add(o) },
		// An update enqueues each key of old and new once: adding the
		// same key twice lets the second add land while the first is
		// being reconciled, which reconciles it again for nothing.
		UpdateFunc: func(old, new T) {
			reqs := m(new)
			for _, r := range m(old) {
				if !slices.Contains(reqs, r) {
					reqs = append(reqs, r)
				}
			}
			for _, r := range reqs {
				c.queue.Add(r)
			}
		},
		DeleteFunc: func(o T) { add(o) },
	})
}

// WatchHandler registers h on inf and has Start run inf, for watches
// that need more than a Mapper (a controller that tracks expectations on
// adds and deletes). h enqueues through c.Queue().
func WatchHandler[T api.Object](c *Controller, inf Informer[T], h informer.Handler[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	found := false
	for _, x := range c.sources {
		found = found || x == source(inf)
	}
	if !found {
		c.sources = append(c.sources, inf)
	}
	inf.AddHandler(h)
}

type source interface {
	Run(ctx context.Context) error
	WaitForSync(ctx context.Context) error
}

// Start waits for leadership, runs the watched caches, waits for them to
// sync, then runs the workers until ctx ends. It returns nil on a clean
// stop (after in-flight reconciles finish), ErrLeadershipLost if the
// elector's context ends first.
func (c *Controller) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return fmt.Errorf("reconcile: controller %s started twice: %w", c.cfg.Name, store.ErrInvalid)
	}
	c.started = true
	sources := append([]source(nil), c.sources...)
	c.mu.Unlock()
	defer c.queue.ShutDown()

	// The term outlives ctx, so that leadership is given up only after
	// the in-flight reconciles finished; while campaigning, the end of ctx
	// ends the campaign.
	termCtx, resign := context.WithCancel(context.WithoutCancel(ctx))
	defer resign()
	stopCampaign := context.AfterFunc(ctx, resign)
	lctx, err := c.cfg.Elector.Elect(termCtx)
	if !stopCampaign() || ctx.Err() != nil {
		return nil // ctx ended while campaigning
	}
	if err != nil {
		return fmt.Errorf("reconcile: controller %s: elect: %w", c.cfg.Name, err)
	}
	c.cfg.Logger.Info("starting", "workers", c.cfg.Workers)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopLoss := context.AfterFunc(lctx, cancel)
	defer stopLoss()

	var wg sync.WaitGroup
	for _, src := range sources {
		wg.Go(func() {
			if err := src.Run(runCtx); err != nil && !errors.Is(err, informer.ErrAlreadyStarted) {
				c.cfg.Logger.Error("informer stopped", "err", err)
			}
		})
	}
	for _, src := range sources {
		if err := src.WaitForSync(runCtx); err != nil {
			cancel()
			wg.Wait()
			return c.stopErr(ctx, lctx)
		}
	}
	// Workers stop taking keys when runCtx ends; a reconcile in flight
	// keeps a context that is only cancelled on leadership loss, so it can
	// finish its writes.
	var workers sync.WaitGroup
	for range c.cfg.Workers {
		workers.Go(func() { c.worker(runCtx, ctx, lctx) })
	}
	<-runCtx.Done()
	workers.Wait()
	cancel()
	wg.Wait()
	c.cfg.Logger.Info("stopped")
	return c.stopErr(ctx, lctx)
}

func (c *Controller) stopErr(ctx, lctx context.Context) error {
	if ctx.Err() == nil && lctx.Err() != nil {
		return ErrLeadershipLost
	}
	return nil
}

func (c *Controller) worker(getCtx, callerCtx, leaderCtx context.Context) {
	for {
		req, err := c.queue.Get(getCtx)
		if err != nil {
			return
		}
		c.reconcileOne(callerCtx, leaderCtx, req)
		c.queue.Done(req)
	}
}

// reconcileOne runs one reconcile. Its context outlives the caller's
// (so that an in-flight reconcile finishes its writes on shutdown) but is
// cancelled on leadership loss, when another process may already act.
// (Leadership is only resigned after the workers are done, so the
// leader's context ends early only on a real loss.)
func (c *Controller) reconcileOne(callerCtx, leaderCtx context.Context, req Request) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(callerCtx))
	stop := context.AfterFunc(leaderCtx, cancel)
	defer func() { stop(); cancel() }()
	start := c.cfg.Clock.Now()
	res, err := c.safeReconcile(ctx, req)
	c.metrics.observeReconcile(c.cfg.Clock.Now().Sub(start), err)
	switch {
	case err != nil && errors.Is(err, ErrTerminal):
		c.cfg.Logger.Error("reconcile failed (terminal, not retried)", "key", req.String(), "err", err)
		c.queue.Forget(req)
	case errors.Is(err, store.ErrConflict):
		// A write lost a compare-and-swap: the reconciler read a stale
		// version and the newer one is on its way to the cache. Retry
		// after the base delay without growing the back-off: conflicts are
		// normal when controllers share objects, and exponential back-off
		// would stall busy keys.
		c.cfg.Logger.Debug("reconcile conflicted; retrying", "key", req.String(), "err", err)
		c.queue.AddAfter(req, c.baseDelay)
	case err != nil:
		c.cfg.Logger.Warn("reconcile failed; retrying", "key", req.String(), "err", err, "retries", c.queue.NumRequeues(req))
		c.queue.AddRateLimited(req)
	case res.RequeueAfter > 0:
		c.queue.Forget(req)
		c.queue.AddAfter(req, res.RequeueAfter)
	case res.Requeue:
		c.queue.AddRateLimited(req)
	default:
		c.queue.Forget(req)
	}
}

// ErrPanic classifies a reconcile that panicked; the panic is recovered,
// logged with its stack, and the key retried with back-off.
var ErrPanic = errors.New("reconcile: reconciler panicked")

// safeReconcile keeps a panicking reconciler from taking the host down:
// a panic must not cross the package boundary.
func (c *Controller) safeReconcile(ctx context.Context, req Request) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.cfg.Logger.Error("reconcile panicked", "key", req.String(), "panic", r, "stack", string(debug.Stack()))
			res, err = Result{}, fmt.Errorf("%w: %s: %v", ErrPanic, req, r)
		}
	}()
	return c.cfg.Reconciler.Reconcile(ctx, req)
}

// metrics are the controller's Prometheus collectors; a nil *metrics
// records nothing.
type metrics struct {
	depth    prometheus.Gauge
	wait     prometheus.Histogram
	duration prometheus.Histogram
	errors   prometheus.Counter
	total    prometheus.Counter
}

func newMetrics(name string, reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	cl := prometheus.Labels{"controller": name}
	buckets := prometheus.ExponentialBuckets(0.0001, 4, 10)
	m := &metrics{
		depth: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "fleetkit", Subsystem: "reconcile",
			Name: "queue_depth", Help: "Keys ready to be reconciled.", ConstLabels: cl}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "fleetkit", Subsystem: "reconcile",
			Name: "queue_wait_seconds", Help: "Time a ready key waited for a worker.", ConstLabels: cl, Buckets: buckets}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "fleetkit", Subsystem: "reconcile",
			Name: "duration_seconds", Help: "Time spent in Reconcile.", ConstLabels: cl, Buckets: buckets}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fleetkit", Subsystem: "reconcile",
			Name: "errors_total", Help: "Reconciles that returned an error.", ConstLabels: cl}),
		total: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fleetkit", Subsystem: "reconcile",
			Name: "total", Help: "Reconciles run.", ConstLabels: cl}),
	}
	for _, col := range []prometheus.Collector{m.depth, m.wait, m.duration, m.errors, m.total} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("reconcile: controller %s: register metrics: %w", name, err)
		}
	}
	return m, nil
}

func (m *metrics) Depth(n int) {
	if m != nil {
		m.depth.Set(float64(n))
	}
}

func (m *metrics) Waited(d time.Duration) {
	if m != nil {
		m.wait.Observe(d.Seconds())
	}
}

func (m *metrics) observeReconcile(d time.Duration, err error) {
	if m == nil {
		return
	}
	m.total.Inc()
	m.duration.Observe(d.Seconds())
	if err != nil {
		m.errors.Inc()
	}
}
