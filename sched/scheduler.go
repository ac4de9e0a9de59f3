package sched

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
	"github.com/fleetkit/orchestrator/sched/plugins"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// Errors of the scheduler, classified with errors.Is.
var (
	// ErrNoProfile: no profile serves the pod's schedulerName.
	ErrNoProfile = errors.New("sched: no profile for scheduler name")
	// ErrNodeGone: the chosen node was deleted before the binding.
	ErrNodeGone = errors.New("sched: node no longer exists")
	// ErrAlreadyBound: another scheduler bound the pod first.
	ErrAlreadyBound = errors.New("sched: pod already bound")
)

// Config configures a Scheduler. The zero value of every field but Store
// is its default.
type Config struct {
	// Store is where the scheduler reads nodes, pods and pod groups and
	// writes bindings, conditions and events. Required.
	Store store.Store
	// Registry holds the plugin factories profiles name. Defaults to
	// plugins.NewRegistry().
	Registry fw.Registry
	// Profiles are the schedulers this one serves, by schedulerName.
	// Defaults to one DefaultProfile().
	Profiles []Profile
	// InitialBackoff is a pod's first retry delay after a failed attempt;
	// it doubles with each attempt. Defaults to 1s.
	InitialBackoff time.Duration
	// MaxBackoff caps the retry delay. Defaults to 10s.
	MaxBackoff time.Duration
	// Parallelism is how many goroutines filter and score nodes. Defaults
	// to GOMAXPROCS.
	Parallelism int
	// BindWorkers bounds the concurrent binding goroutines (and status
	// writers). Defaults to 64.
	BindWorkers int
	// EventInterval is the shortest interval between two writes of the
	// FailedScheduling event of one pod; repeats in between are counted
	// into the next write. Defaults to 30s.
	EventInterval time.Duration
	// EventRate caps event writes per second, over all pods. Defaults to
	// 50.
	EventRate float64
	// Clock is the source of time. Defaults to the wall clock.
	Clock Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Registerer receives the scheduler's metrics. Defaults to nil (no
	// metrics).
	Registerer prometheus.Registerer
	// Seed seeds the tie-breaking between equal-score nodes. Defaults to 0
	// (a random seed).
	Seed uint64
}

// Scheduler assigns pending pods to nodes. Create with New, start with Run.
// It is safe for concurrent use (DryRun may be called while Run runs).
type Scheduler struct {
	cfg      Config
	st       store.Store
	log      *slog.Logger
	clock    Clock
	profiles map[string]*profile
	cache    *cache
	queue    *schedQueue
	algo     algo
	snapshot *fw.Snapshot
	metrics  *metrics
	events   *eventRecorder

	nodes  *informer.Informer[*api.Node]
	pods   *informer.Informer[*api.Pod]
	groups *informer.Informer[*api.PodGroup]

	waitMu  sync.Mutex
	waiting map[api.UID]*waitingPod

	nomMu     sync.Mutex
	nominated nominations
	nomOf     map[api.UID]string

	bindSem chan struct{}
	bindWG  sync.WaitGroup

	// stats for benchmarks: bindings done, first pop and last binding
	// (UnixNano).
	statBound    atomic.Int64
	statFirstPop atomic.Int64
	statLastBind atomic.Int64
}

// New validates cfg and builds a Scheduler.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("sched: Config.Store is required: %w", store.ErrInvalid)
	}
	if cfg.Registry == nil {
		cfg.Registry = plugins.NewRegistry()
	}
	if len(cfg.Profiles) == 0 {
		cfg.Profiles = []Profile{DefaultProfile()}
	}
	if cfg.InitialBackoff == 0 {
		cfg.InitialBackoff = time.Second
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.InitialBackoff < 0 || cfg.MaxBackoff < cfg.InitialBackoff {
		return nil, fmt.Errorf("sched: bad back-off %v..%v: %w", cfg.InitialBackoff, cfg.MaxBackoff, store.ErrInvalid)
	}
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = runtime.GOMAXPROCS(0)
	}
	if cfg.BindWorkers <= 0 {
		cfg.BindWorkers = 64
	}
	if cfg.EventInterval == 0 {
		cfg.EventInterval = 30 * time.Second
	}
	if cfg.EventRate == 0 {
		cfg.EventRate = 50
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s := &Scheduler{
		cfg:       cfg,
		st:        cfg.Store,
		log:       cfg.Logger,
		clock:     cfg.Clock,
		profiles:  map[string]*profile{},
		cache:     newCache(),
		queue:     newSchedQueue(cfg.Clock, cfg.InitialBackoff, cfg.MaxBackoff),
		algo:      algo{parallelism: cfg.Parallelism, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))},
		snapshot:  newLoopSnapshot(),
		waiting:   map[api.UID]*waitingPod{},
		nominated: nominations{},
		nomOf:     map[api.UID]string{},
		bindSem:   make(chan struct{}, cfg.BindWorkers),
	}
	for _, p := range cfg.Profiles {
		prof, err := buildProfile(p, cfg.Registry, s)
		if err != nil {
			return nil, err
		}
		if _, dup := s.profiles[prof.name]; dup {
			return nil, fmt.Errorf("sched: two profiles named %q: %w", prof.name, store.ErrInvalid)
		}
		if !p.DisablePreemption {
			prof.postFilter = append(prof.postFilter, &preemption{s: s, prof: prof})
		}
		s.profiles[prof.name] = prof
	}
	var err error
	if s.metrics, err = newMetrics(cfg.Registerer, s); err != nil {
		return nil, err
	}
	s.events = newEventRecorder(s.st, cfg.Clock, cfg.EventInterval, cfg.EventRate, s.log)
	if s.nodes, err = informer.New(s.st, informer.Config[*api.Node]{Logger: s.log, Clock: cfg.Clock}); err != nil {
		return nil, fmt.Errorf("sched: %w", err)
	}
	if s.pods, err = informer.New(s.st, informer.Config[*api.Pod]{Logger: s.log, Clock: cfg.Clock}); err != nil {
		return nil, fmt.Errorf("sched: %w", err)
	}
	if s.groups, err = informer.New(s.st, informer.Config[*api.PodGroup]{Logger: s.log, Clock: cfg.Clock}); err != nil {
		return nil, fmt.Errorf("sched: %w", err)
	}
	s.nodes.AddHandler(informer.HandlerFuncs[*api.Node]{
		AddFunc: func(n *api.Node) { s.cache.SetNode(n); s.queue.MoveOnEvent(fw.NodeAdd) },
		UpdateFunc: func(old, n *api.Node) {
			s.cache.SetNode(n)
			// Status heartbeats change nothing a filter reads: only a
			// change that could make a pod fit retries pods.
			if schedulingRelevant(old, n) {
				s.queue.MoveOnEvent(fw.NodeUpdate)
			}
		},
		DeleteFunc: func(n *api.Node) { s.cache.RemoveNode(n.Name); s.queue.MoveOnEvent(fw.NodeDelete) },
	})
	s.pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		AddFunc:    func(p *api.Pod) { s.onPod(nil, p) },
		UpdateFunc: func(old, p *api.Pod) { s.onPod(old, p) },
		DeleteFunc: s.onPodDelete,
	})
	s.groups.AddHandler(informer.HandlerFuncs[*api.PodGroup]{
		AddFunc:    func(*api.PodGroup) { s.queue.MoveOnEvent(fw.PodGroupChange) },
		UpdateFunc: func(*api.PodGroup, *api.PodGroup) { s.queue.MoveOnEvent(fw.PodGroupChange) },
	})
	return s, nil
}

// Logger implements fw.Handle.
func (s *Scheduler) Logger() *slog.Logger { return s.log }

func (s *Scheduler) responsible(p *api.Pod) bool {
	name := p.Spec.SchedulerName
	if name == "" {
		name = DefaultSchedulerName
	}
	_, ok := s.profiles[name]
	return ok
}

// schedulingRelevant reports whether a node update changed what filters
// read: labels, unschedulable, taints, allocatable or images.
func schedulingRelevant(old, n *api.Node) bool {
	if !maps.Equal(old.Labels, n.Labels) || old.Spec.Unschedulable != n.Spec.Unschedulable ||
		!slices.EqualFunc(old.Spec.Taints, n.Spec.Taints, func(a, b api.Taint) bool {
			return a.Key == b.Key && a.Value == b.Value && a.Effect == b.Effect
		}) || len(old.Status.Allocatable) != len(n.Status.Allocatable) || len(old.Status.Images) != len(n.Status.Images) {
		return true
	}
	for k, v := range n.Status.Allocatable {
		if o, ok := old.Status.Allocatable[k]; !ok || o.Cmp(v) != 0 {
			return true
		}
	}
	return false
}

func terminal(p *api.Pod) bool {
	return p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed
}

func (s *Scheduler) onPod(old, p *api.Pod) {
	if p.Spec.NodeName != "" {
		s.queue.Delete(p.UID)
		s.clearNomination(p.UID)
		if terminal(p) {
			s.cache.RemovePod(p.UID)
			s.queue.MoveOnEvent(fw.AssignedPodDelete)
			return
		}
		info, err := fw.NewPodInfo(p)
		if err != nil {
			s.log.Warn("sched: bound pod with a bad affinity term", "pod", p.Namespace+"/"+p.Name, "err", err)
			info = &fw.PodInfo{Pod: p}
		}
		s.cache.AddPod(info)
		switch {
		case old == nil || old.Spec.NodeName == "":
			s.queue.MoveOnEvent(fw.AssignedPodAdd)
		case !maps.Equal(old.Labels, p.Labels) || (old.DeletionTimestamp == nil) != (p.DeletionTimestamp == nil):
			// Status-only updates (the node agent's) help no pod.
			s.queue.MoveOnEvent(fw.AssignedPodUpdate)
		}
		return
	}
	if p.DeletionTimestamp != nil || terminal(p) || !s.responsible(p) {
		s.queue.Delete(p.UID)
		return
	}
	if _, ok := s.cache.PodNode(p.UID); ok {
		return // assumed; binding in flight
	}
	info, err := fw.NewPodInfo(p)
	if err != nil {
		s.log.Warn("sched: pending pod with a bad affinity term", "pod", p.Namespace+"/"+p.Name, "err", err)
		s.recordFailure(p, fmt.Sprintf("invalid pod: %v", err))
		return
	}
	s.queue.Add(info)
}

func (s *Scheduler) onPodDelete(p *api.Pod) {
	s.queue.Delete(p.UID)
	s.events.forget(p.UID)
	s.clearNomination(p.UID)
	if wp := s.waitingPod(p.UID); wp != nil {
		wp.Reject("", "pod deleted")
	}
	if _, ok := s.cache.PodNode(p.UID); ok {
		s.cache.RemovePod(p.UID)
		s.queue.MoveOnEvent(fw.AssignedPodDelete)
	}
}

// Run starts the informers, waits for them to sync, and schedules until
// ctx ends; then it waits for its goroutines (binding included) and
// returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	for _, run := range []func(context.Context) error{s.nodes.Run, s.pods.Run, s.groups.Run} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil {
				errc <- err
				cancel()
			}
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); s.flushLoop(ctx) }()
	go func() { defer wg.Done(); s.events.run(ctx) }()
	defer wg.Wait()
	defer s.bindWG.Wait()
	for _, inf := range []interface{ WaitForSync(context.Context) error }{s.nodes, s.pods, s.groups} {
		if err := inf.WaitForSync(ctx); err != nil {
			return s.runErr(ctx, errc)
		}
	}
	s.log.Info("sched: caches synced")
	for {
		qp, err := s.queue.Pop(ctx)
		if err != nil {
			return s.runErr(ctx, errc)
		}
		s.statFirstPop.CompareAndSwap(0, time.Now().UnixNano())
		s.scheduleQueued(ctx, qp)
	}
}

func (s *Scheduler) runErr(ctx context.Context, errc chan error) error {
	select {
	case err := <-errc:
		return fmt.Errorf("sched: %w", err)
	default:
	}
	if ctx.Err() != nil {
		return nil
	}
	return nil
}

func (s *Scheduler) flushLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(time.Second):
			s.queue.FlushBackoff()
		}
	}
}

// scheduleQueued schedules one popped pod, or its whole gang.
func (s *Scheduler) scheduleQueued(ctx context.Context, qp *queuedPod) {
	if qp.info.Group == "" {
		s.scheduleOne(ctx, qp, nil)
		return
	}
	s.scheduleGang(ctx, qp)
}

func (s *Scheduler) profileFor(p *api.Pod) (*profile, error) {
	name := p.Spec.SchedulerName
	if name == "" {
		name = DefaultSchedulerName
	}
	prof, ok := s.profiles[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrNoProfile, name)
	}
	return prof, nil
}

func (s *Scheduler) nominationsView() nominations {
	s.nomMu.Lock()
	defer s.nomMu.Unlock()
	return s.nominated
}

// gangInfo is the group a pod is scheduled with.
type gangInfo struct {
	name      string
	minMember int
	timeout   time.Duration
}

// scheduleOne runs one scheduling cycle. It returns true when the pod was
// assumed on a node (binding, possibly after waiting, is under way).
func (s *Scheduler) scheduleOne(ctx context.Context, qp *queuedPod, gang *gangInfo) bool {
	pod := qp.info
	start := s.clock.Now()
	prof, err := s.profileFor(pod.Pod)
	if err != nil {
		s.queue.Done(pod.Pod.UID)
		return false
	}
	s.cache.UpdateSnapshot(s.snapshot)
	cs := fw.NewCycleState(s.snapshot)
	nom := s.nominationsView()
	res, diag, err := s.algo.schedulePod(ctx, prof, cs, pod, nom)
	if err != nil {
		if ctx.Err() != nil {
			s.queue.AddBackoff(qp)
			return false
		}
		s.log.Error("sched: scheduling error", "pod", podKey(pod.Pod), "err", err)
		s.metrics.attempt("error", start)
		s.queue.AddBackoff(qp)
		s.recordFailure(pod.Pod, err.Error())
		return false
	}
	if diag != nil {
		s.handleUnschedulable(ctx, prof, cs, qp, diag, gang == nil)
		s.metrics.attempt("unschedulable", start)
		return false
	}
	// Assume: the pod counts on its node from now on.
	if err := s.cache.Assume(pod, res.node); err != nil {
		s.log.Error("sched: assume", "pod", podKey(pod.Pod), "err", err)
		s.queue.AddBackoff(qp)
		return false
	}
	for i, r := range prof.reserve {
		if st := r.Reserve(ctx, cs, pod, res.node); !st.IsSuccess() {
			for j := i; j >= 0; j-- {
				prof.reserve[j].Unreserve(ctx, cs, pod, res.node)
			}
			s.cache.Forget(pod.Pod.UID)
			s.failAttempt(qp, prof, st.WithPlugin(r.Name()), start)
			return false
		}
	}
	var wp *waitingPod // made only when some plugin makes the pod wait
	wait := func(plugin string, timeout time.Duration) {
		if wp == nil {
			wp = newWaitingPod(s, pod, res.node)
		}
		wp.wait(plugin, timeout)
	}
	for _, p := range prof.permit {
		st, timeout := p.Permit(ctx, cs, pod, res.node)
		switch {
		case st.IsSuccess():
		case st.Code() == fw.Wait:
			wait(p.Name(), timeout)
		default:
			s.unreserve(ctx, prof, cs, pod, res.node)
			s.failAttempt(qp, prof, st.WithPlugin(p.Name()), start)
			return false
		}
	}
	if gang != nil && s.cache.GroupPlaced(gang.name) < gang.minMember {
		wait(gangPlugin, gang.timeout)
	}
	s.metrics.attempt("scheduled", start)
	// A pod waiting at Permit does not hold a binding worker while it
	// waits (a gang larger than the pool would otherwise block the loop);
	// others take one here, which bounds the binding backlog.
	waiting := wp != nil && wp.pending()
	if waiting {
		s.addWaiting(wp)
	} else {
		s.bindSem <- struct{}{}
	}
	s.bindWG.Add(1)
	go func() {
		defer s.bindWG.Done()
		s.bindCycle(ctx, prof, cs, qp, res.node, wp, waiting)
	}()
	return true
}

const gangPlugin = "Gang"

func (s *Scheduler) unreserve(ctx context.Context, prof *profile, cs *fw.CycleState, pod *fw.PodInfo, node string) {
	for j := len(prof.reserve) - 1; j >= 0; j-- {
		prof.reserve[j].Unreserve(ctx, cs, pod, node)
	}
	s.cache.Forget(pod.Pod.UID)
}

// failAttempt requeues a pod that failed after filtering (Reserve,
// Permit, binding).
func (s *Scheduler) failAttempt(qp *queuedPod, prof *profile, st *fw.Status, start time.Time) {
	s.metrics.attempt("error", start)
	s.recordFailure(qp.info.Pod, st.Message())
	if st.IsRejected() {
		s.queue.AddUnschedulable(qp, prof.events[st.Plugin()])
		return
	}
	s.queue.AddBackoff(qp)
}

func (s *Scheduler) handleUnschedulable(ctx context.Context, prof *profile, cs *fw.CycleState, qp *queuedPod, diag *diagnosis, mayPreempt bool) {
	pod := qp.info
	msg := diag.message()
	if mayPreempt && diag.preFilter == nil {
		for _, pf := range prof.postFilter {
			node, st := pf.PostFilter(ctx, cs, pod, diag.statuses)
			if node != "" {
				msg += " Preemption: nominated node " + node + "."
				break
			}
			if st.Code() == fw.Error {
				s.log.Error("sched: postfilter", "plugin", pf.Name(), "pod", podKey(pod.Pod), "err", st.Err())
			}
		}
	}
	var ev fw.ClusterEvent
	for name := range diag.rejectors {
		e, ok := prof.events[name]
		if !ok {
			e = fw.AllEvents
		}
		ev |= e
	}
	if ev == 0 {
		ev = fw.AllEvents
	}
	s.queue.AddUnschedulable(qp, ev)
	s.recordFailure(pod.Pod, msg)
}

func podKey(p *api.Pod) string { return p.Namespace + "/" + p.Name }
