package nodelifecycle_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/nodelifecycle"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/reconcile/replicaset"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func ptr[T any](v T) *T { return &v }

type env struct {
	st  *memstore.Store
	clk *reconciletest.Clock
	kl  *reconciletest.Kubelet
}

func setup(t *testing.T) env { return setupWith(t, []string{"n1", "n2", "n3"}, 10) }

func setupWith(t *testing.T, nodes []string, evictionsPerSecond float64) env {
	t.Helper()
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	clk := reconciletest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	kl, err := reconciletest.NewKubelet(reconciletest.KubeletConfig{Store: st, Nodes: nodes, Clock: clk, Bind: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := kl.RegisterNodes(ctx); err != nil {
		t.Fatal(err)
	}
	rc, err := replicaset.New(replicaset.Config{Store: st, Options: reconcile.Options{Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nodelifecycle.New(nodelifecycle.Config{Store: st, Options: reconcile.Options{Clock: clk}, GracePeriod: 40 * time.Second, DefaultTolerationSeconds: 300 * time.Second, EvictionsPerSecond: evictionsPerSecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 3)
	for _, start := range []func(context.Context) error{kl.Start, rc.Start, nc.Start} {
		go func() { _ = start(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() { cancel(); <-done; <-done; <-done })
	return env{st: st, clk: clk, kl: kl}
}

func podsOn(t *testing.T, st store.Store) map[string][]*api.Pod {
	l, err := st.List(context.Background(), api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*api.Pod{}
	for _, o := range l.Items {
		p := o.(*api.Pod)
		out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p)
	}
	return out
}

func node(t *testing.T, st store.Store, name string) *api.Node {
	o, err := st.Get(context.Background(), api.KindNode, "", name)
	if err != nil {
		t.Fatal(err)
	}
	return o.(*api.Node)
}

func hasTaint(n *api.Node, key string) bool {
	for _, tn := range n.Spec.Taints {
		if tn.Key == key && tn.Effect == api.TaintEffectNoExecute {
			return true
		}
	}
	return false
}

func readyStatus(n *api.Node) api.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == api.NodeReady {
			return c.Status
		}
	}
	return ""
}

func exists(t *testing.T, st store.Store, name string) bool {
	_, err := st.Get(context.Background(), api.KindPod, "default", name)
	return err == nil
}

// advance moves the fake clock in steps, with the live nodes renewing
// their leases at each step.
func (e env) advance(t *testing.T, d time.Duration) {
	t.Helper()
	for step := 10 * time.Second; d > 0; d -= step {
		e.clk.Advance(min(step, d))
		if err := e.kl.RenewLeases(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// advanceUntil moves the clock forward a second at a time, renewing the
// live nodes' leases and giving the controllers a moment of real time
// after each step, until cond holds; it fails t if cond does not hold
// within limit of fake time. Small steps keep a controller that read the
// clock just before a step and armed its timer just after it from
// waiting a whole extra step (an artifact of fake clocks, not of time).
func (e env) advanceUntil(t *testing.T, limit time.Duration, cond func() bool, msg string) {
	t.Helper()
	for passed := time.Duration(0); ; passed += time.Second {
		for range 50 {
			if cond() {
				return
			}
			time.Sleep(time.Millisecond)
		}
		if passed >= limit {
			t.Fatalf("condition never held within %v of fake time: %s", limit, msg)
		}
		e.clk.Advance(time.Second)
		if err := e.kl.RenewLeases(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeadNodeIsTaintedEvictedAndReplacedThenCleared(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	l := map[string]string{"app": "web"}
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.ReplicaSetSpec{Replicas: ptr(int32(6)), Selector: &api.LabelSelector{MatchLabels: l},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: l}, Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "x"}}}}}}
	if _, err := e.st.Create(ctx, rs); err != nil {
		t.Fatal(err)
	}
	running := func() int {
		n := 0
		for _, ps := range podsOn(t, e.st) {
			for _, p := range ps {
				if p.Status.Phase == api.PodRunning && p.Labels["app"] == "web" {
					n++
				}
			}
		}
		return n
	}
	reconciletest.Eventually(t, func() bool { return running() == 6 }, "6 pods running")
	onN1 := podsOn(t, e.st)["n1"]
	if len(onN1) == 0 {
		t.Fatal("no pod on n1")
	}
	tolerant := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "tolerant", Namespace: "default"},
		Spec: api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "c", Image: "x"}},
			Tolerations: []api.Toleration{{Key: api.TaintNodeUnreachable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute, TolerationSeconds: ptr(int64(600))}}}}
	forever := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "forever", Namespace: "default"},
		Spec: api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "c", Image: "x"}},
			Tolerations: []api.Toleration{{Operator: api.TolerationOpExists}}}}
	for _, p := range []*api.Pod{tolerant, forever} {
		if _, err := e.st.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}

	e.kl.SetDown("n1", true)
	// The grace period is 40s: within 50s of fake time n1 is unreachable.
	e.advanceUntil(t, 50*time.Second, func() bool {
		n := node(t, e.st, "n1")
		return readyStatus(n) == api.ConditionUnknown && hasTaint(n, api.TaintNodeUnreachable)
	}, "n1 Ready=Unknown and tainted unreachable")
	for _, name := range []string{"n2", "n3"} {
		if n := node(t, e.st, name); len(n.Spec.Taints) != 0 || readyStatus(n) != api.ConditionTrue {
			t.Fatalf("healthy node %s: taints %v ready %s", name, n.Spec.Taints, readyStatus(n))
		}
	}
	var taintedAt time.Time
	for _, tn := range node(t, e.st, "n1").Spec.Taints {
		taintedAt = *tn.TimeAdded
	}
	// Just before tolerationSeconds: nothing evicted.
	e.advance(t, taintedAt.Add(290*time.Second).Sub(e.clk.Now()))
	for _, p := range onN1 {
		if !exists(t, e.st, p.Name) {
			t.Fatalf("pod %s evicted before 300s", p.Name)
		}
	}
	e.advanceUntil(t, 20*time.Second, func() bool {
		for _, p := range onN1 {
			if exists(t, e.st, p.Name) {
				return false
			}
		}
		return true
	}, "pods of n1 evicted after 300s")
	reconciletest.Eventually(t, func() bool { return running() == 6 && len(podsOn(t, e.st)["n1"]) == 2 }, "replaced on healthy nodes")
	if !exists(t, e.st, "tolerant") || !exists(t, e.st, "forever") {
		t.Fatal("tolerating pods evicted at 300s")
	}
	e.advanceUntil(t, 300*time.Second, func() bool { return !exists(t, e.st, "tolerant") }, "tolerant pod evicted after its 600s")
	if !exists(t, e.st, "forever") {
		t.Fatal("a pod tolerating forever was evicted")
	}

	e.kl.SetDown("n1", false)
	reconciletest.AdvanceUntil(t, e.clk, 10*time.Second, 2*time.Minute, func() bool {
		if err := e.kl.RenewLeases(ctx); err != nil {
			t.Fatal(err)
		}
		n := node(t, e.st, "n1")
		return readyStatus(n) == api.ConditionTrue && len(n.Spec.Taints) == 0
	}, "n1 cleared when it comes back")
}

func TestEvictionsAreRateLimited(t *testing.T) {
	e := setupWith(t, []string{"n1", "n2"}, 1)
	ctx := context.Background()
	l := map[string]string{"app": "web"}
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.ReplicaSetSpec{Replicas: ptr(int32(6)), Selector: &api.LabelSelector{MatchLabels: l},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: l}, Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "x"}}}}}}
	if _, err := e.st.Create(ctx, rs); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool {
		on := podsOn(t, e.st)
		return len(on["n1"])+len(on["n2"]) == 6 && len(on["n1"]) >= 2
	}, "6 pods bound, at least 2 on n1")
	onN1 := podsOn(t, e.st)["n1"]
	evicted := func() int {
		n := 0
		for _, p := range onN1 {
			if !exists(t, e.st, p.Name) {
				n++
			}
		}
		return n
	}
	e.kl.SetDown("n1", true)
	reconciletest.AdvanceUntil(t, e.clk, 10*time.Second, 2*time.Minute, func() bool {
		if err := e.kl.RenewLeases(ctx); err != nil {
			t.Fatal(err)
		}
		return hasTaint(node(t, e.st, "n1"), api.TaintNodeUnreachable)
	}, "n1 tainted")
	taintedAt := *node(t, e.st, "n1").Spec.Taints[0].TimeAdded
	e.advance(t, taintedAt.Add(300*time.Second).Sub(e.clk.Now()))
	reconciletest.Eventually(t, func() bool { return evicted() >= 1 }, "first eviction when due")
	// One token per second: with the clock still, nothing more goes.
	if n := evicted(); n != 1 {
		t.Fatalf("%d pods evicted at once, want 1 (1 eviction per second)", n)
	}
	for want := 2; want <= len(onN1); want++ {
		e.clk.Advance(time.Second)
		reconciletest.Eventually(t, func() bool { return evicted() == want }, "eviction %d a second later", want)
	}
}
