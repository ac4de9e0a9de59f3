package sched

import (
	"fmt"
	"testing"

	"github.com/fleetkit/orchestrator/api"
)

func podGroup(ns, name string, min int32) *api.PodGroup {
	return &api.PodGroup{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}, Spec: api.PodGroupSpec{MinMember: min}}
}

// Two gangs of 100 compete for 100 nodes with room for one pod each: one
// gang must start whole and the other wait whole — no deadlock, no partial
// gang.
func TestTwoGangsCompetingOneStartsWholeOtherWaitsWhole(t *testing.T) {
	st := newStore(t)
	const n = 100
	for i := 0; i < n; i++ {
		mustCreate(t, st, makeNode(fmt.Sprintf("n-%03d", i), 1000, 4*gi, 110))
	}
	mustCreate(t, st, podGroup("ml", "a", n), podGroup("ml", "b", n))
	// Interleave creation so neither gang is entirely ahead in the queue.
	for i := 0; i < n; i++ {
		mustCreate(t, st,
			makePod("ml", fmt.Sprintf("a-%03d", i), 1000, gi, withGroup("a")),
			makePod("ml", fmt.Sprintf("b-%03d", i), 1000, gi, withGroup("b")))
	}
	clock := newFakeClock()
	startScheduler(t, Config{Store: st, Clock: clock})
	ctx := testCtx(t)
	pods := waitPods(t, ctx, st, "one gang bound whole", func(ps []*api.Pod) bool { return boundCount(ps) >= n })
	// Let time pass well beyond back-offs and gang timeouts: nothing must
	// change for the losing gang, and the winner stays whole.
	for i := 0; i < 30; i++ {
		clock.Advance(5_000_000_000)
	}
	pods = waitPods(t, ctx, st, "losing gang marked unschedulable", func(ps []*api.Pod) bool {
		unsched := 0
		for _, p := range ps {
			for _, c := range p.Status.Conditions {
				if p.Spec.NodeName == "" && c.Type == api.PodScheduled && c.Status == api.ConditionFalse {
					unsched++
				}
			}
		}
		return unsched == n
	})
	bound := map[string]int{}
	perNode := map[string]int{}
	for _, p := range pods {
		if p.Spec.NodeName != "" {
			bound[p.Labels[api.LabelPodGroup]]++
			perNode[p.Spec.NodeName]++
		}
	}
	if len(bound) != 1 || (bound["a"] != n && bound["b"] != n) {
		t.Fatalf("want exactly one whole gang bound, got %v", bound)
	}
	for node, c := range perNode {
		if c > 1 {
			t.Errorf("node %s holds %d pods, room for 1", node, c)
		}
	}
}

// A gang whose members are not all created places nothing (it holds no
// reservation that could block another gang) and binds nothing; when the
// last member arrives the gang binds whole.
func TestGangWaitsForMembersThenBindsWhole(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st, makeNode("n-0", 4000, 8*gi, 110))
	mustCreate(t, st, podGroup("ml", "g", 4))
	for i := 0; i < 3; i++ {
		mustCreate(t, st, makePod("ml", fmt.Sprintf("g-%d", i), 1000, gi, withGroup("g")))
	}
	clock := newFakeClock()
	s := startScheduler(t, Config{Store: st, Clock: clock})
	ctx := testCtx(t)
	waitPods(t, ctx, st, "members marked unschedulable", func(ps []*api.Pod) bool {
		n := 0
		for _, p := range ps {
			for _, c := range p.Status.Conditions {
				if c.Type == api.PodScheduled && c.Status == api.ConditionFalse && c.Message == "pod group ml/g has 3 of its 4 minimum members" {
					n++
				}
			}
		}
		return n == 3
	})
	if b := boundCount(listPods(t, st)); b != 0 || s.cache.GroupPlaced("ml/g") != 0 {
		t.Fatalf("%d members bound, %d placed before minMember existed", b, s.cache.GroupPlaced("ml/g"))
	}
	mustCreate(t, st, makePod("ml", "g-3", 1000, gi, withGroup("g")))
	waitPods(t, ctx, st, "gang bound whole", func(ps []*api.Pod) bool { return boundCount(ps) == 4 })
}
