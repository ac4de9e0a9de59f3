package sched

import (
	"fmt"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
)

// A high-priority pod that fits nowhere evicts the fewest lowest-priority
// pods of one node, is nominated there, and a lower-priority pending pod
// does not take the freed room first.
func TestPreemptionEvictsFewestLowestPriority(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st,
		makeNode("a", 4000, 16*gi, 110),
		makeNode("b", 4000, 16*gi, 110),
	)
	// a: two pods of priority 1 (2 cpu each); b: one pod of priority 5
	// (2 cpu) and one of priority 1 (2 cpu).
	pa1 := makePod("d", "a1", 2000, gi, withPriority(1))
	pa1.Spec.NodeName = "a"
	pa2 := makePod("d", "a2", 2000, gi, withPriority(1))
	pa2.Spec.NodeName = "a"
	pb1 := makePod("d", "b1", 2000, gi, withPriority(5))
	pb1.Spec.NodeName = "b"
	pb2 := makePod("d", "b2", 2000, gi, withPriority(1))
	pb2.Spec.NodeName = "b"
	mustCreate(t, st, pa1, pa2, pb1, pb2)
	startScheduler(t, Config{Store: st, InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
	ctx := testCtx(t)
	// The preemptor needs 2 cpu: evicting one priority-1 pod on a or on b
	// works; both nodes need exactly one victim of priority 1.
	mustCreate(t, st, makePod("d", "vip", 2000, gi, withPriority(100)))
	pods := waitPods(t, ctx, st, "vip bound", func(ps []*api.Pod) bool {
		for _, p := range ps {
			if p.Name == "vip" && p.Spec.NodeName != "" {
				return true
			}
		}
		return false
	})
	left := map[string]bool{}
	for _, p := range pods {
		left[p.Name] = true
	}
	if !left["b1"] {
		t.Error("the priority-5 pod was evicted although a priority-1 victim sufficed")
	}
	victims := 0
	for _, n := range []string{"a1", "a2", "b2"} {
		if !left[n] {
			victims++
		}
	}
	if victims != 1 {
		t.Errorf("%d victims, want exactly 1", victims)
	}
}

func TestNominatedRoomIsNotTakenByLowerPriority(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st, makeNode("a", 4000, 16*gi, 110))
	victim := makePod("d", "victim", 4000, gi, withPriority(1))
	victim.Spec.NodeName = "a"
	// A finalizer keeps the victim terminating (graceful deletion) until
	// the test removes it, so the room frees later.
	victim.Finalizers = []string{"test/hold"}
	mustCreate(t, st, victim)
	s := startScheduler(t, Config{Store: st, InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
	ctx := testCtx(t)
	mustCreate(t, st, makePod("d", "vip", 3000, gi, withPriority(100)))
	waitPods(t, ctx, st, "vip nominated", func(ps []*api.Pod) bool {
		for _, p := range ps {
			if p.Name == "vip" && p.Status.NominatedNodeName == "a" {
				return true
			}
		}
		return false
	})
	// A lower-priority pod arrives before the victim is gone.
	// It would fit in the room being freed, but not beside the vip.
	mustCreate(t, st, makePod("d", "small", 2000, gi, withPriority(0)))
	rev, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Release the victim.
	var obj api.Object
	obj, err = st.Get(ctx, api.KindPod, "d", "victim")
	if err != nil {
		t.Fatal(err)
	}
	v := obj.(*api.Pod)
	v.Finalizers = nil
	if _, err := st.Update(ctx, v); err != nil {
		t.Fatal(err)
	}
	pods := waitPods(t, ctx, st, "vip bound", func(ps []*api.Pod) bool {
		for _, p := range ps {
			if p.Name == "vip" && p.Spec.NodeName == "a" {
				return true
			}
		}
		return false
	})
	_ = s
	// The small pod never took the room: it was never bound.
	w, err := st.Watch(ctx, api.KindPod, storeFrom(rev))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	end, _ := st.Revision(ctx)
	for ev := range w.Events() {
		if p := ev.Object.(*api.Pod); p.Name == "small" && p.Spec.NodeName != "" {
			t.Fatalf("lower-priority pod bound to %s before the nominated pod", p.Spec.NodeName)
		}
		if ev.Revision >= end {
			break
		}
	}
	var used int64
	for _, p := range pods {
		if p.Spec.NodeName == "a" {
			used += p.Spec.Containers[0].Resources.Requests[api.ResourceCPU].MilliValue()
		}
	}
	if used > 4000 {
		t.Errorf("node a overcommitted: %dm", used)
	}
}

// Two schedulers over one store never bind a pod twice; every pod is
// bound exactly once.
func TestTwoSchedulersNeverBindTwice(t *testing.T) {
	st := newStore(t)
	for i := 0; i < 20; i++ {
		mustCreate(t, st, makeNode(fmt.Sprintf("n-%02d", i), 8000, 32*gi, 110))
	}
	ctx := testCtx(t)
	rev, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, Config{Store: st, Seed: 1})
	startScheduler(t, Config{Store: st, Seed: 2})
	const n = 150
	for i := 0; i < n; i++ {
		mustCreate(t, st, makePod("d", fmt.Sprintf("p-%03d", i), 100, gi/8))
	}
	waitPods(t, ctx, st, "all bound", func(ps []*api.Pod) bool { return boundCount(ps) == n })
	// Replay the history: nodeName goes from "" to a node once and never
	// changes.
	w, err := st.Watch(ctx, api.KindPod, storeFrom(rev))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	end, _ := st.Revision(ctx)
	bindings := map[string]string{}
	for ev := range w.Events() {
		p := ev.Object.(*api.Pod)
		if prev, ok := bindings[p.Name]; ok && p.Spec.NodeName != prev {
			t.Fatalf("pod %s moved from %s to %q", p.Name, prev, p.Spec.NodeName)
		}
		if p.Spec.NodeName != "" {
			bindings[p.Name] = p.Spec.NodeName
		}
		if ev.Revision >= end {
			break
		}
	}
	if len(bindings) != n {
		t.Errorf("%d pods bound in history, want %d", len(bindings), n)
	}
}
