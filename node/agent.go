package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/node/probe"
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/store"
)

// DevicePlugins reports extended resources (for example nvidia.com/gpu)
// that the node advertises in its capacity. gpu packages implement it.
type DevicePlugins interface {
	// Resources returns the healthy count of each extended resource.
	Resources(ctx context.Context) (api.ResourceList, error)
}

// LeaseNamespace is where node leases live.
const LeaseNamespace = "kube-node-lease"

// Config configures an Agent.
type Config struct {
	// NodeName is the name of the Node object. Required.
	NodeName string
	// Store is where the Node, its Lease and the pods live. Required.
	Store store.Store
	// Runtime runs the containers. Required.
	Runtime runtime.Runtime
	// Network attaches pods to the pod network. Defaults to a
	// SimulatedNetwork over PodCIDR (addresses only, nothing on the host).
	Network Network
	// PodCIDR is written to the Node's spec. Defaults to 10.244.0.0/24.
	PodCIDR string
	// NodeIP is the node's InternalIP address and its pods' hostIP.
	// Defaults to none.
	NodeIP string
	// Capacity overrides the detected cpu and memory and adds resources.
	// Defaults: cpu = the number of CPUs, memory = MemTotal of
	// /proc/meminfo, pods = MaxPods.
	Capacity api.ResourceList
	// Reserved is subtracted from capacity to give allocatable. Defaults
	// to nothing.
	Reserved api.ResourceList
	// MaxPods caps the pods on the node. Defaults to 110.
	MaxPods int
	// Devices adds extended resources. Defaults to none.
	Devices DevicePlugins
	// Labels are put on the Node (kubernetes.io/hostname is added).
	Labels map[string]string
	// LeaseDuration is the Lease's duration. Defaults to 40s.
	LeaseDuration time.Duration
	// RenewInterval is how often the Lease is renewed. Defaults to a
	// quarter of LeaseDuration.
	RenewInterval time.Duration
	// BackoffInitial is the first restart delay. Defaults to 10s.
	BackoffInitial time.Duration
	// BackoffMax caps the restart delay. Defaults to 5m.
	BackoffMax time.Duration
	// BackoffReset: a container that ran this long restarts without delay
	// and resets its back-off. Defaults to 10m.
	BackoffReset time.Duration
	// ResyncInterval is how often each pod worker re-reads the runtime
	// even without events. Defaults to 10s.
	ResyncInterval time.Duration
	// DefaultGracePeriod is used when a pod sets none. Defaults to 30s.
	DefaultGracePeriod time.Duration
	// ClusterDNS are the nameservers of pods with dnsPolicy ClusterFirst.
	// Defaults to 10.96.0.10.
	ClusterDNS []string
	// ClusterDomain defaults to cluster.local.
	ClusterDomain string
	// PodPidsLimit caps processes per container. Defaults to 4096.
	PodPidsLimit int64
	// Clock defaults to the real clock.
	Clock clockwork.Clock
	// Logger defaults to a logger that discards.
	Logger *slog.Logger
	// Registerer, when set, receives the agent's metrics.
	Registerer prometheus.Registerer
}

// Agent is the node agent. Safe for concurrent use.
type Agent struct {
	cfg    Config
	st     store.Store
	rt     runtime.Runtime
	net    Network
	clk    clockwork.Clock
	log    *slog.Logger
	prober *probe.Prober

	allocatable api.ResourceList

	mu      sync.Mutex
	workers map[api.UID]*worker
	wg      sync.WaitGroup

	admitMu  sync.Mutex
	admitted map[api.UID]api.ResourceList

	imgMu  sync.Mutex
	images map[string]time.Time // image ref -> when last seen present

	usageMu sync.Mutex
	samples map[string]runtime.Usage // by container id

	metrics *metrics
}

type metrics struct {
	starts   prometheus.Counter
	restarts prometheus.Counter
	syncs    prometheus.Counter
	writes   prometheus.Counter
}

// New validates cfg and returns an Agent. It starts nothing.
func New(cfg Config) (*Agent, error) {
	if cfg.NodeName == "" || cfg.Store == nil || cfg.Runtime == nil {
		return nil, errors.New("node: NodeName, Store and Runtime are required")
	}
	if cfg.PodCIDR == "" {
		cfg.PodCIDR = "10.244.0.0/24"
	}
	if cfg.MaxPods == 0 {
		cfg.MaxPods = 110
	}
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = 40 * time.Second
	}
	if cfg.RenewInterval == 0 {
		cfg.RenewInterval = cfg.LeaseDuration / 4
	}
	if cfg.BackoffInitial == 0 {
		cfg.BackoffInitial = 10 * time.Second
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = 5 * time.Minute
	}
	if cfg.BackoffReset == 0 {
		cfg.BackoffReset = 10 * time.Minute
	}
	if cfg.ResyncInterval == 0 {
		cfg.ResyncInterval = 10 * time.Second
	}
	if cfg.DefaultGracePeriod == 0 {
		cfg.DefaultGracePeriod = 30 * time.Second
	}
	if len(cfg.ClusterDNS) == 0 {
		cfg.ClusterDNS = []string{"10.96.0.10"}
	}
	if cfg.ClusterDomain == "" {
		cfg.ClusterDomain = "cluster.local"
	}
	if cfg.PodPidsLimit == 0 {
		cfg.PodPidsLimit = 4096
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Network == nil {
		n, err := NewSimulatedNetwork(cfg.PodCIDR)
		if err != nil {
			return nil, err
		}
		cfg.Network = n
	}
	a := &Agent{
		cfg: cfg, st: cfg.Store, rt: cfg.Runtime, net: cfg.Network, clk: cfg.Clock,
		log:     cfg.Logger.With("node", cfg.NodeName),
		workers: map[api.UID]*worker{}, admitted: map[api.UID]api.ResourceList{}, samples: map[string]runtime.Usage{}, images: map[string]time.Time{},
	}
	pr, err := probe.New(probe.Config{Runtime: cfg.Runtime})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	a.prober = pr
	a.metrics = &metrics{
		starts:   prometheus.NewCounter(prometheus.CounterOpts{Name: "fleetkit_node_container_starts_total", Help: "Containers started.", ConstLabels: prometheus.Labels{"node": cfg.NodeName}}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{Name: "fleetkit_node_container_restarts_total", Help: "Containers restarted.", ConstLabels: prometheus.Labels{"node": cfg.NodeName}}),
		syncs:    prometheus.NewCounter(prometheus.CounterOpts{Name: "fleetkit_node_pod_syncs_total", Help: "Pod sync passes.", ConstLabels: prometheus.Labels{"node": cfg.NodeName}}),
		writes:   prometheus.NewCounter(prometheus.CounterOpts{Name: "fleetkit_node_status_writes_total", Help: "Pod status writes.", ConstLabels: prometheus.Labels{"node": cfg.NodeName}}),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{a.metrics.starts, a.metrics.restarts, a.metrics.syncs, a.metrics.writes} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("node: register metrics: %w", err)
			}
		}
	}
	return a, nil
}

// Run registers the node and runs it until ctx ends; then it stops its
// workers (leaving containers running, to be adopted by the next agent)
// and returns nil. It fails early only if the node cannot be registered.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.register(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.renewLoop(ctx) }()
	events := a.rt.Subscribe(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); a.routeEvents(ctx, events) }()
	a.watchPods(ctx)
	cancel()
	wg.Wait()
	a.wg.Wait()
	return nil
}

// capacity computes the node's capacity.
func (a *Agent) capacity(ctx context.Context) api.ResourceList {
	c := api.ResourceList{
		api.ResourceCPU:    api.NewQuantity(int64(goruntime.NumCPU()), api.DecimalSI),
		api.ResourceMemory: api.NewQuantity(memTotal(), api.BinarySI),
		api.ResourcePods:   api.NewQuantity(int64(a.cfg.MaxPods), api.DecimalSI),
	}
	if a.cfg.Devices != nil {
		if ext, err := a.cfg.Devices.Resources(ctx); err == nil {
			for k, v := range ext {
				c[k] = v
			}
		} else {
			a.log.Warn("device plugins", "err", err)
		}
	}
	for k, v := range a.cfg.Capacity {
		c[k] = v
	}
	return c
}

func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb int64
	for _, line := range splitLines(string(b)) {
		if n, _ := fmt.Sscanf(line, "MemTotal: %d kB", &kb); n == 1 {
			return kb * 1024
		}
	}
	return 0
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// register creates or updates the Node with capacity and allocatable.
func (a *Agent) register(ctx context.Context) error {
	capacity := a.capacity(ctx)
	alloc := api.ResourceList{}
	for k, v := range capacity {
		if r, ok := a.cfg.Reserved[k]; ok {
			v = v.Sub(r)
		}
		alloc[k] = v
	}
	a.allocatable = alloc
	now := a.clk.Now().UTC()
	labels := map[string]string{api.LabelHostname: a.cfg.NodeName}
	for k, v := range a.cfg.Labels {
		labels[k] = v
	}
	status := api.NodeStatus{
		Capacity: capacity, Allocatable: alloc,
		Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "AgentReady", LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses:  a.addresses(),
		NodeInfo:   api.NodeSystemInfo{OperatingSystem: goruntime.GOOS, Architecture: goruntime.GOARCH, KubeletVersion: "fleetkit"},
	}
	for attempt := 0; ; attempt++ {
		obj, err := a.st.Get(ctx, api.KindNode, "", a.cfg.NodeName)
		var n *api.Node
		switch {
		case errors.Is(err, store.ErrNotFound):
			created, err := a.st.Create(ctx, &api.Node{ObjectMeta: api.ObjectMeta{Name: a.cfg.NodeName, Labels: labels}, Spec: api.NodeSpec{PodCIDR: a.cfg.PodCIDR}})
			if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
				return fmt.Errorf("node: register %s: %w", a.cfg.NodeName, err)
			}
			if err != nil {
				continue
			}
			n = created.(*api.Node)
		case err != nil:
			return fmt.Errorf("node: register %s: %w", a.cfg.NodeName, err)
		default:
			n = obj.(*api.Node)
			changed := n.Spec.PodCIDR != a.cfg.PodCIDR
			n.Spec.PodCIDR = a.cfg.PodCIDR
			if n.Labels == nil {
				n.Labels = map[string]string{}
			}
			for k, v := range labels {
				if n.Labels[k] != v {
					n.Labels[k], changed = v, true
				}
			}
			if changed {
				u, err := a.st.Update(ctx, n)
				if errors.Is(err, store.ErrConflict) && attempt < 5 {
					continue
				}
				if err != nil {
					return fmt.Errorf("node: register %s: %w", a.cfg.NodeName, err)
				}
				n = u.(*api.Node)
			}
		}
		n.Status = status
		if _, err := a.st.UpdateStatus(ctx, n); err != nil {
			if errors.Is(err, store.ErrConflict) && attempt < 5 {
				continue
			}
			return fmt.Errorf("node: register %s status: %w", a.cfg.NodeName, err)
		}
		return nil
	}
}

func (a *Agent) addresses() []api.NodeAddress {
	out := []api.NodeAddress{{Type: api.NodeHostName, Address: a.cfg.NodeName}}
	if a.cfg.NodeIP != "" {
		out = append(out, api.NodeAddress{Type: api.NodeInternalIP, Address: a.cfg.NodeIP})
	}
	return out
}

// renewLoop keeps the node's Lease fresh until ctx ends.
func (a *Agent) renewLoop(ctx context.Context) {
	t := a.clk.NewTicker(a.cfg.RenewInterval)
	defer t.Stop()
	for {
		if err := a.renew(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("renew lease", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
	}
}

func (a *Agent) renew(ctx context.Context) error {
	now := a.clk.Now().UTC()
	holder := a.cfg.NodeName
	dur := int32(a.cfg.LeaseDuration / time.Second)
	obj, err := a.st.Get(ctx, api.KindLease, LeaseNamespace, a.cfg.NodeName)
	if errors.Is(err, store.ErrNotFound) {
		_, err = a.st.Create(ctx, &api.Lease{
			ObjectMeta: api.ObjectMeta{Name: a.cfg.NodeName, Namespace: LeaseNamespace},
			Spec:       api.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur, AcquireTime: &now, RenewTime: &now},
		})
		return err
	}
	if err != nil {
		return err
	}
	l := obj.(*api.Lease)
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &holder, &dur, &now
	_, err = a.st.Update(ctx, l)
	return err
}

// routeEvents wakes the worker of the pod a runtime event is about.
func (a *Agent) routeEvents(ctx context.Context, events <-chan runtime.Event) {
	for ev := range events {
		a.mu.Lock()
		if ev.Type == runtime.EventResync || ev.SandboxID == "" {
			for _, w := range a.workers {
				if ev.Type == runtime.EventResync || w.owns(ev.ContainerID) {
					w.wake()
				}
			}
		} else if w, ok := a.workers[api.UID(ev.SandboxID)]; ok {
			w.wake()
		}
		a.mu.Unlock()
	}
}

// watchPods lists and watches pods until ctx ends, relisting whenever the
// watch breaks, and keeps one worker per pod bound to this node.
func (a *Agent) watchPods(ctx context.Context) {
	first := true
	for ctx.Err() == nil {
		list, err := a.st.List(ctx, api.KindPod)
		if err != nil {
			a.log.Warn("list pods", "err", err)
			if !sleepClock(ctx, a.clk, time.Second) {
				return
			}
			continue
		}
		seen := map[api.UID]bool{}
		for _, o := range list.Items {
			p := o.(*api.Pod)
			if p.Spec.NodeName == a.cfg.NodeName {
				seen[p.UID] = true
				a.podChanged(ctx, p)
			}
		}
		a.mu.Lock()
		for uid, w := range a.workers {
			if !seen[uid] {
				w.deleted()
			}
		}
		a.mu.Unlock()
		if first {
			first = false
			a.cleanupOrphans(ctx, seen)
		}
		w, err := a.st.Watch(ctx, api.KindPod, store.FromRevision(list.Revision))
		if err != nil {
			a.log.Warn("watch pods", "err", err)
			if !sleepClock(ctx, a.clk, time.Second) {
				return
			}
			continue
		}
		for ev := range w.Events() {
			p, ok := ev.Object.(*api.Pod)
			if !ok || p.Spec.NodeName != a.cfg.NodeName {
				continue
			}
			if ev.Type == store.Deleted {
				a.mu.Lock()
				if wk, ok := a.workers[p.UID]; ok {
					wk.deleted()
				}
				a.mu.Unlock()
				continue
			}
			a.podChanged(ctx, p)
		}
		if err := w.Err(); err != nil && ctx.Err() == nil {
			a.log.Info("pod watch ended; relisting", "err", err)
		}
		w.Stop()
	}
}

func sleepClock(ctx context.Context, clk clockwork.Clock, d time.Duration) bool {
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.Chan():
		return true
	}
}

// podChanged hands a pod to its worker, starting one if needed.
func (a *Agent) podChanged(ctx context.Context, p *api.Pod) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.workers[p.UID]; ok {
		w.update(p)
		return
	}
	if p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
		// Finished before this agent saw it (or rejected): nothing to run,
		// but its sandbox may still need cleaning: a worker does that.
		if p.DeletionTimestamp == nil && len(p.Status.ContainerStatuses) == 0 {
			return
		}
	}
	w := newWorker(a, p)
	a.workers[p.UID] = w
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		w.run(ctx)
		a.mu.Lock()
		if a.workers[p.UID] == w {
			delete(a.workers, p.UID)
		}
		a.mu.Unlock()
		a.release(p.UID)
	}()
}

// cleanupOrphans removes sandboxes (and their containers) of pods that are
// no longer bound to this node: leftovers of an earlier agent.
func (a *Agent) cleanupOrphans(ctx context.Context, live map[api.UID]bool) {
	sbs, err := a.rt.ListSandboxes(ctx)
	if err != nil {
		a.log.Warn("list sandboxes", "err", err)
		return
	}
	known := map[string]bool{}
	for _, sb := range sbs {
		known[sb.ID] = true
		if live[api.UID(sb.ID)] {
			continue
		}
		a.log.Info("removing leftover sandbox", "sandbox", sb.ID)
		if err := a.removeSandbox(ctx, sb, a.cfg.DefaultGracePeriod); err != nil {
			a.log.Warn("remove leftover sandbox", "sandbox", sb.ID, "err", err)
		}
	}
	// Containers whose sandbox is gone altogether (its state was lost).
	cs, err := a.rt.ListContainers(ctx, "")
	if err != nil {
		a.log.Warn("list containers", "err", err)
		return
	}
	for _, c := range cs {
		if known[c.SandboxID] {
			continue
		}
		a.log.Info("removing leftover container", "container", c.ID)
		if err := a.rt.RemoveContainer(ctx, c.ID); err != nil {
			a.log.Warn("remove leftover container", "container", c.ID, "err", err)
		}
	}
}

// removeSandbox stops and removes a sandbox's containers, then its
// network and the sandbox itself.
func (a *Agent) removeSandbox(ctx context.Context, sb runtime.Sandbox, grace time.Duration) error {
	cs, err := a.rt.ListContainers(ctx, sb.ID)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(cs))
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.State == runtime.StateRunning {
				if err := a.rt.StopContainer(ctx, c.ID, grace); err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = a.rt.RemoveContainer(ctx, c.ID)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := a.net.Teardown(ctx, sb); err != nil {
		return err
	}
	return a.rt.RemoveSandbox(ctx, sb.ID)
}
