package node_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/fake"
	"github.com/fleetkit/orchestrator/store/memstore"
)

const nodeName = "node-a"

type env struct {
	st    *memstore.Store
	clk   *clockwork.FakeClock
	rt    *fake.Runtime
	cfg   node.Config
	agent *node.Agent
	// stop ends the running agent and waits for Run to return.
	stop func()
}

func newEnv(t *testing.T, behavior fake.BehaviorFunc, mod func(*node.Config)) *env {
	t.Helper()
	clk := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st, err := memstore.New(memstore.Config{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := fake.New(fake.Config{Clock: clk, Behavior: behavior, Images: []string{"img:1"}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, clk: clk, rt: rt}
	e.cfg = node.Config{
		NodeName: nodeName, Store: st, Runtime: rt, Clock: clk,
		Capacity: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("4"), api.ResourceMemory: api.MustParseQuantity("8Gi")},
	}
	if mod != nil {
		mod(&e.cfg)
	}
	e.start(t)
	return e
}

func (e *env) start(t *testing.T) {
	t.Helper()
	a, err := node.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.agent = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(e.stop)
	e.eventually(t, "node registered", func() bool {
		_, err := e.st.Get(context.Background(), api.KindNode, "", nodeName)
		return err == nil
	})
}

// eventually polls cond (the agent works on its own goroutines) for up
// to 20 seconds of real time. It asserts an outcome, not a duration.
func (e *env) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 4000; i++ {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

func (e *env) pod(t *testing.T, name string) *api.Pod {
	t.Helper()
	o, err := e.st.Get(context.Background(), api.KindPod, "default", name)
	if err != nil {
		t.Fatalf("get pod %s: %v", name, err)
	}
	return o.(*api.Pod)
}

func (e *env) createPod(t *testing.T, p *api.Pod) {
	t.Helper()
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	p.Spec.NodeName = nodeName
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].Image == "" {
			p.Spec.Containers[i].Image = "img:1"
		}
	}
	if _, err := e.st.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func simplePod(name string, policy api.RestartPolicy, args ...string) *api.Pod {
	return &api.Pod{ObjectMeta: api.ObjectMeta{Name: name}, Spec: api.PodSpec{
		RestartPolicy: policy,
		Containers:    []api.Container{{Name: "c", Args: args}},
	}}
}

func condition(p *api.Pod, t api.PodConditionType) api.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

func TestRegistersNodeAndRenewsLease(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	o, _ := e.st.Get(ctx, api.KindNode, "", nodeName)
	n := o.(*api.Node)
	if got := n.Status.Allocatable[api.ResourcePods]; got.Value() != 110 {
		t.Errorf("allocatable pods = %v, want 110", got.Value())
	}
	if got := n.Status.Capacity[api.ResourceCPU]; got.Value() != 4 {
		t.Errorf("capacity cpu = %v, want 4", got.Value())
	}
	if n.Labels[api.LabelHostname] != nodeName {
		t.Errorf("labels = %v", n.Labels)
	}
	var first time.Time
	e.eventually(t, "lease created", func() bool {
		o, err := e.st.Get(ctx, api.KindLease, node.LeaseNamespace, nodeName)
		if err != nil {
			return false
		}
		l := o.(*api.Lease)
		if *l.Spec.LeaseDurationSeconds != 40 || *l.Spec.HolderIdentity != nodeName {
			t.Fatalf("lease = %+v", l.Spec)
		}
		first = *l.Spec.RenewTime
		return true
	})
	e.clk.Advance(10 * time.Second)
	e.eventually(t, "lease renewed after a quarter of its duration", func() bool {
		o, _ := e.st.Get(ctx, api.KindLease, node.LeaseNamespace, nodeName)
		return o.(*api.Lease).Spec.RenewTime.After(first)
	})
}

func TestPodRunsAndBecomesReady(t *testing.T) {
	e := newEnv(t, nil, func(c *node.Config) { c.NodeIP = "192.0.2.10" })
	p := simplePod("web", "", "run")
	p.Spec.Containers[0].ReadinessProbe = &api.Probe{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(80)}, PeriodMilliseconds: 100}
	p.Spec.Containers[0].Env = []api.EnvVar{{Name: "POD", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.name"}}}}
	e.createPod(t, p)
	e.eventually(t, "pod ready", func() bool {
		p := e.pod(t, "web")
		return p.Status.Phase == api.PodRunning && condition(p, api.PodReady) == api.ConditionTrue
	})
	p = e.pod(t, "web")
	cs := p.Status.ContainerStatuses[0]
	if p.Status.PodIP == "" || p.Status.HostIP != "192.0.2.10" || p.Status.StartTime == nil || cs.RestartCount != 0 || cs.State.Running == nil || !cs.Ready || cs.Started == nil || !*cs.Started {
		t.Fatalf("status = %+v", p.Status)
	}
	for _, c := range []api.PodConditionType{api.PodScheduled, api.PodInitialized, api.ContainersReady} {
		if condition(p, c) != api.ConditionTrue {
			t.Errorf("condition %s = %s", c, condition(p, c))
		}
	}
	// Status is written only when it changes: resyncs leave it alone.
	rv := p.ResourceVersion
	for i := 0; i < 5; i++ {
		e.clk.Advance(10 * time.Second)
		time.Sleep(10 * time.Millisecond)
	}
	if got := e.pod(t, "web").ResourceVersion; got != rv {
		t.Fatalf("status rewritten without a change: rv %d -> %d", rv, got)
	}
}

func TestRestartBackoff(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.createPod(t, simplePod("crash", api.RestartPolicyAlways, "exit", "1"))
	restarts := func() int32 {
		p := e.pod(t, "crash")
		if len(p.Status.ContainerStatuses) == 0 {
			return -1
		}
		return p.Status.ContainerStatuses[0].RestartCount
	}
	// The first restart is immediate; then 10s, 20s, 40s...
	e.eventually(t, "first restart", func() bool { return restarts() == 1 })
	e.eventually(t, "crash loop back-off", func() bool {
		cs := e.pod(t, "crash").Status.ContainerStatuses[0]
		return cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff"
	})
	p := e.pod(t, "crash")
	cs := p.Status.ContainerStatuses[0]
	if lt := cs.LastState.Terminated; lt == nil || lt.ExitCode != 1 || lt.Reason != runtime.ReasonError {
		t.Fatalf("lastState = %+v", cs.LastState)
	}
	if p.Status.Phase != api.PodRunning {
		t.Fatalf("phase in crash loop = %s, want Running", p.Status.Phase)
	}
	e.clk.Advance(9 * time.Second)
	time.Sleep(20 * time.Millisecond)
	if got := restarts(); got != 1 {
		t.Fatalf("restarted before the 10s back-off: %d", got)
	}
	e.clk.Advance(time.Second)
	e.eventually(t, "second restart after 10s", func() bool { return restarts() == 2 })
	e.eventually(t, "back in back-off", func() bool {
		cs := e.pod(t, "crash").Status.ContainerStatuses[0]
		return cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff"
	})
	e.clk.Advance(19 * time.Second)
	time.Sleep(20 * time.Millisecond)
	if got := restarts(); got != 2 {
		t.Fatalf("restarted before the 20s back-off: %d", got)
	}
	e.clk.Advance(time.Second)
	e.eventually(t, "third restart after 20s", func() bool { return restarts() == 3 })
	cs2, err := e.rt.ListContainers(context.Background(), "")
	if err != nil || len(cs2) != 1 {
		t.Fatalf("runtime holds %d containers, want only the latest", len(cs2))
	}
}

func TestRestartPolicies(t *testing.T) {
	tests := []struct {
		name   string
		policy api.RestartPolicy
		args   []string
		phase  api.PodPhase
		code   int32
		reason string
	}{
		{"never fails", api.RestartPolicyNever, []string{"exit", "3"}, api.PodFailed, 3, runtime.ReasonError},
		{"never succeeds", api.RestartPolicyNever, []string{"exit", "0"}, api.PodSucceeded, 0, runtime.ReasonCompleted},
		{"on-failure succeeds", api.RestartPolicyOnFailure, []string{"exit", "0"}, api.PodSucceeded, 0, runtime.ReasonCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			e.createPod(t, simplePod("p", tt.policy, tt.args...))
			e.eventually(t, "phase "+string(tt.phase), func() bool { return e.pod(t, "p").Status.Phase == tt.phase })
			cs := e.pod(t, "p").Status.ContainerStatuses[0]
			if tm := cs.State.Terminated; tm == nil || tm.ExitCode != tt.code || tm.Reason != tt.reason || cs.RestartCount != 0 {
				t.Fatalf("container status = %+v", cs)
			}
		})
	}
}

func TestOOMKilledIsReported(t *testing.T) {
	e := newEnv(t, nil, nil)
	p := simplePod("hog", api.RestartPolicyAlways, "oom")
	p.Spec.Containers[0].Resources.Limits = api.ResourceList{api.ResourceMemory: api.MustParseQuantity("32Mi")}
	e.createPod(t, p)
	e.eventually(t, "OOMKilled in lastState", func() bool {
		cs := e.pod(t, "hog").Status.ContainerStatuses
		return len(cs) == 1 && cs[0].LastState.Terminated != nil && cs[0].LastState.Terminated.Reason == runtime.ReasonOOMKilled && cs[0].LastState.Terminated.ExitCode == 137
	})
}

func TestLivenessFailureRestarts(t *testing.T) {
	e := newEnv(t, func(sb runtime.Sandbox, cfg runtime.ContainerConfig) fake.Script {
		return fake.Script{Probe: func(k runtime.ProbeKind, running time.Duration) bool {
			// The first attempt turns unhealthy; later ones stay healthy.
			return k != runtime.ProbeLiveness || cfg.Attempt > 0
		}}
	}, nil)
	p := simplePod("live", api.RestartPolicyAlways, "run")
	p.Spec.Containers[0].LivenessProbe = &api.Probe{HTTPGet: &api.HTTPGetAction{Port: api.FromInt(8080)}, PeriodSeconds: 1, FailureThreshold: 3}
	e.createPod(t, p)
	e.eventually(t, "running", func() bool { return e.pod(t, "live").Status.Phase == api.PodRunning })
	for i := 0; i < 3; i++ {
		e.clk.Advance(time.Second)
		time.Sleep(10 * time.Millisecond)
	}
	e.eventually(t, "restart after liveness failures", func() bool {
		e.clk.Advance(time.Second)
		cs := e.pod(t, "live").Status.ContainerStatuses[0]
		return cs.RestartCount == 1 && cs.State.Running != nil
	})
}

func TestStartupGatesReadiness(t *testing.T) {
	var mu sync.Mutex
	readinessCalls := 0
	e := newEnv(t, func(sb runtime.Sandbox, cfg runtime.ContainerConfig) fake.Script {
		return fake.Script{Probe: func(k runtime.ProbeKind, running time.Duration) bool {
			switch k {
			case runtime.ProbeStartup:
				return running >= 5*time.Second
			case runtime.ProbeReadiness:
				mu.Lock()
				readinessCalls++
				mu.Unlock()
			}
			return true
		}}
	}, nil)
	p := simplePod("slow", api.RestartPolicyAlways, "run")
	p.Spec.Containers[0].StartupProbe = &api.Probe{Exec: &api.ExecAction{Command: []string{"true"}}, PeriodSeconds: 1, FailureThreshold: 30}
	p.Spec.Containers[0].ReadinessProbe = &api.Probe{Exec: &api.ExecAction{Command: []string{"true"}}, PeriodSeconds: 1}
	e.createPod(t, p)
	e.eventually(t, "running", func() bool { return e.pod(t, "slow").Status.Phase == api.PodRunning })
	for i := 0; i < 3; i++ {
		e.clk.Advance(time.Second)
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	calls := readinessCalls
	mu.Unlock()
	if calls != 0 || condition(e.pod(t, "slow"), api.PodReady) == api.ConditionTrue {
		t.Fatalf("readiness ran %d times before the startup probe passed", calls)
	}
	e.eventually(t, "ready after startup", func() bool {
		e.clk.Advance(time.Second)
		return condition(e.pod(t, "slow"), api.PodReady) == api.ConditionTrue
	})
}

func TestReadinessFailureKeepsPodNotReady(t *testing.T) {
	e := newEnv(t, func(sb runtime.Sandbox, cfg runtime.ContainerConfig) fake.Script {
		return fake.Script{Probe: func(k runtime.ProbeKind, _ time.Duration) bool { return k != runtime.ProbeReadiness }}
	}, nil)
	p := simplePod("nr", api.RestartPolicyAlways, "run")
	p.Spec.Containers[0].ReadinessProbe = &api.Probe{HTTPGet: &api.HTTPGetAction{Port: api.FromInt(80)}, PeriodSeconds: 1}
	e.createPod(t, p)
	e.eventually(t, "running", func() bool { return e.pod(t, "nr").Status.Phase == api.PodRunning })
	for i := 0; i < 5; i++ {
		e.clk.Advance(time.Second)
		time.Sleep(5 * time.Millisecond)
	}
	p = e.pod(t, "nr")
	if condition(p, api.PodReady) != api.ConditionFalse || p.Status.ContainerStatuses[0].Ready {
		t.Fatalf("pod with failing readiness is ready: %+v", p.Status)
	}
}

func TestAdmissionRefusesOvercommit(t *testing.T) {
	e := newEnv(t, nil, func(c *node.Config) {
		c.Capacity = api.ResourceList{api.ResourceCPU: api.MustParseQuantity("2"), api.ResourceMemory: api.MustParseQuantity("1Gi"), "example.com/widget": api.MustParseQuantity("1")}
	})
	mk := func(name string, req api.ResourceList) {
		p := simplePod(name, "", "run")
		p.Spec.Containers[0].Resources.Requests = req
		e.createPod(t, p)
	}
	mk("big", api.ResourceList{api.ResourceCPU: api.MustParseQuantity("1500m")})
	e.eventually(t, "big runs", func() bool { return e.pod(t, "big").Status.Phase == api.PodRunning })
	tests := []struct {
		name, reason string
		req          api.ResourceList
	}{
		{"cpu", "OutOfcpu", api.ResourceList{api.ResourceCPU: api.MustParseQuantity("1")}},
		{"mem", "OutOfmemory", api.ResourceList{api.ResourceMemory: api.MustParseQuantity("2Gi")}},
		{"widget", "OutOfexample.com/widget", api.ResourceList{"example.com/widget": api.MustParseQuantity("2")}},
		{"gpu", "OutOfnvidia.com/gpu", api.ResourceList{api.ResourceNvidiaGPU: api.MustParseQuantity("1")}},
	}
	for _, tt := range tests {
		mk(tt.name, tt.req)
		e.eventually(t, tt.name+" refused", func() bool {
			p := e.pod(t, tt.name)
			return p.Status.Phase == api.PodFailed && p.Status.Reason == tt.reason
		})
	}
	mk("small", api.ResourceList{api.ResourceCPU: api.MustParseQuantity("500m")})
	e.eventually(t, "small fits", func() bool { return e.pod(t, "small").Status.Phase == api.PodRunning })
	if n, _ := e.rt.ListSandboxes(context.Background()); len(n) != 2 {
		t.Fatalf("%d sandboxes, want 2 (refused pods get none)", len(n))
	}
}

func TestDeletionWaitsForGracePeriod(t *testing.T) {
	e := newEnv(t, nil, nil)
	grace := int64(30)
	p := simplePod("stubborn", api.RestartPolicyAlways, "ignore-term")
	p.Spec.TerminationGracePeriodSeconds = &grace
	e.createPod(t, p)
	e.eventually(t, "running", func() bool { return e.pod(t, "stubborn").Status.Phase == api.PodRunning })
	cs, _ := e.rt.ListContainers(context.Background(), "")
	id := cs[0].ID
	if _, err := e.st.Delete(context.Background(), api.KindPod, "default", "stubborn"); err != nil {
		t.Fatal(err)
	}
	// The stop waits for the grace period on the (fake) clock: wait until
	// its timer exists (the other one is the lease ticker).
	bctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.clk.BlockUntilContext(bctx, 2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if st, err := e.rt.ContainerStatus(context.Background(), id); err != nil || st.State != runtime.StateRunning {
		t.Fatalf("container stopped before its grace period: %+v, %v", st, err)
	}
	e.clk.Advance(29 * time.Second)
	time.Sleep(20 * time.Millisecond)
	if st, err := e.rt.ContainerStatus(context.Background(), id); err != nil || st.State != runtime.StateRunning {
		t.Fatalf("container stopped before its grace period: %+v, %v", st, err)
	}
	e.clk.Advance(time.Second)
	e.eventually(t, "sandbox removed", func() bool {
		sbs, _ := e.rt.ListSandboxes(context.Background())
		return len(sbs) == 0
	})
}

func TestAgentRestartAdoptsContainers(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.createPod(t, simplePod("keep", api.RestartPolicyAlways, "run"))
	e.eventually(t, "running", func() bool { return e.pod(t, "keep").Status.Phase == api.PodRunning })
	before, _ := e.rt.ListContainers(context.Background(), "")
	// A leftover sandbox of a pod that no longer exists.
	if _, err := e.rt.RunSandbox(context.Background(), runtime.SandboxConfig{ID: "gone-pod"}); err != nil {
		t.Fatal(err)
	}
	e.stop()
	e.start(t)
	e.eventually(t, "leftover removed", func() bool {
		sbs, _ := e.rt.ListSandboxes(context.Background())
		return len(sbs) == 1
	})
	e.clk.Advance(10 * time.Second)
	time.Sleep(20 * time.Millisecond)
	after, _ := e.rt.ListContainers(context.Background(), "")
	if len(after) != 1 || after[0].ID != before[0].ID || after[0].State != runtime.StateRunning {
		t.Fatalf("containers after agent restart = %+v, want the same one %s", after, before[0].ID)
	}
	if cs := e.pod(t, "keep").Status.ContainerStatuses[0]; cs.RestartCount != 0 {
		t.Fatalf("restartCount = %d after adoption", cs.RestartCount)
	}
}

func TestPodUsage(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.createPod(t, simplePod("busy", api.RestartPolicyAlways, "spin"))
	e.createPod(t, simplePod("idle", api.RestartPolicyAlways, "run"))
	e.eventually(t, "running", func() bool {
		return e.pod(t, "busy").Status.Phase == api.PodRunning && e.pod(t, "idle").Status.Phase == api.PodRunning
	})
	ctx := context.Background()
	if _, err := e.agent.PodUsage(ctx); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(10 * time.Second)
	us, err := e.agent.PodUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 2 || us[0].Name != "busy" || us[1].Name != "idle" {
		t.Fatalf("usage = %+v", us)
	}
	// The fake's spin burns one cpu, run one millicore; both hold 4 MiB.
	if us[0].CPUMilli != 1000 || us[1].CPUMilli != 1 || us[0].MemoryBytes != 4<<20 || us[0].Containers["c"].CPUMilli != 1000 {
		t.Fatalf("usage = %+v", us)
	}
}

type gpus int

func (g gpus) Resources(context.Context) (api.ResourceList, error) {
	return api.ResourceList{api.ResourceNvidiaGPU: api.NewQuantity(int64(g), api.DecimalSI)}, nil
}

func TestDevicePluginResources(t *testing.T) {
	e := newEnv(t, nil, func(c *node.Config) { c.Devices = gpus(2) })
	o, _ := e.st.Get(context.Background(), api.KindNode, "", nodeName)
	if got := o.(*api.Node).Status.Allocatable[api.ResourceNvidiaGPU]; got.Value() != 2 {
		t.Fatalf("allocatable gpus = %d, want 2", got.Value())
	}
	mk := func(name, n string) {
		p := simplePod(name, "", "run")
		p.Spec.Containers[0].Resources.Limits = api.ResourceList{api.ResourceNvidiaGPU: api.MustParseQuantity(n)}
		e.createPod(t, p)
	}
	mk("two", "2")
	e.eventually(t, "two gpus run", func() bool { return e.pod(t, "two").Status.Phase == api.PodRunning })
	mk("one-more", "1")
	e.eventually(t, "no gpu left", func() bool { return e.pod(t, "one-more").Status.Reason == "OutOfnvidia.com/gpu" })
	// Deleting the first pod frees its gpus for a new pod.
	if _, err := e.st.Delete(context.Background(), api.KindPod, "default", "two"); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "sandbox of deleted pod removed", func() bool {
		sbs, _ := e.rt.ListSandboxes(context.Background())
		return len(sbs) == 0
	})
	mk("again", "2")
	e.eventually(t, "gpus reused", func() bool { return e.pod(t, "again").Status.Phase == api.PodRunning })
}

func TestDeletionWithFinalizer(t *testing.T) {
	e := newEnv(t, nil, nil)
	p := simplePod("held", api.RestartPolicyAlways, "run")
	p.Finalizers = []string{"example.com/hold"}
	e.createPod(t, p)
	e.eventually(t, "running", func() bool { return e.pod(t, "held").Status.Phase == api.PodRunning })
	ctx := context.Background()
	if _, err := e.st.Delete(ctx, api.KindPod, "default", "held"); err != nil {
		t.Fatal(err)
	}
	// The pod stays (finalizer) but its containers go and its status says
	// so.
	e.eventually(t, "containers stopped and status written", func() bool {
		sbs, _ := e.rt.ListSandboxes(ctx)
		p := e.pod(t, "held")
		return len(sbs) == 0 && p.Status.Phase == api.PodFailed && condition(p, api.PodReady) == api.ConditionFalse
	})
	p = e.pod(t, "held")
	p.Finalizers = nil
	if _, err := e.st.Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "pod gone", func() bool {
		_, err := e.st.Get(ctx, api.KindPod, "default", "held")
		return err != nil
	})
}
