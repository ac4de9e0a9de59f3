package sched

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

func qinfo(name string, prio int32, mut ...podOpt) *fw.PodInfo {
	p := makePod("d", name, 100, gi, append([]podOpt{withPriority(prio)}, mut...)...)
	p.UID = api.UID("uid-" + name)
	info, _ := fw.NewPodInfo(p)
	return info
}

func popName(t *testing.T, q *schedQueue) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p, err := q.Pop(ctx)
	if err != nil {
		t.Fatalf("pop: %v", err)
	}
	return p.info.Pod.Name
}

func TestQueueOrdersByPriorityThenAge(t *testing.T) {
	clock := newFakeClock()
	q := newSchedQueue(clock, time.Second, 10*time.Second)
	q.Add(qinfo("low-old", 1))
	clock.Advance(time.Millisecond)
	q.Add(qinfo("high", 10))
	clock.Advance(time.Millisecond)
	q.Add(qinfo("low-new", 1))
	var got []string
	for i := 0; i < 3; i++ {
		got = append(got, popName(t, q))
	}
	want := []string{"high", "low-old", "low-new"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestQueueBackoffDoublesToCap(t *testing.T) {
	q := newSchedQueue(newFakeClock(), time.Second, 10*time.Second)
	var got []time.Duration
	for a := 1; a <= 6; a++ {
		got = append(got, q.backoffFor(a))
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("backoffs %v, want %v", got, want)
	}
}

func TestQueueUnschedulableMovesOnlyOnHelpfulEvent(t *testing.T) {
	clock := newFakeClock()
	q := newSchedQueue(clock, time.Second, 10*time.Second)
	q.Add(qinfo("p", 0))
	p, _ := q.Pop(context.Background())
	q.AddUnschedulable(p, fw.NodeAdd|fw.AssignedPodDelete)
	// Time alone never retries an unschedulable pod (no polling).
	clock.Advance(time.Hour)
	q.FlushBackoff()
	if a, b, u := q.Lens(); a != 0 || b != 0 || u != 1 {
		t.Fatalf("after time passed: active %d backoff %d unschedulable %d", a, b, u)
	}
	// An event it does not care about leaves it.
	q.MoveOnEvent(fw.AssignedPodAdd)
	if _, _, u := q.Lens(); u != 1 {
		t.Fatal("moved on an irrelevant event")
	}
	// A helpful event moves it (back-off long expired: straight to active).
	q.MoveOnEvent(fw.AssignedPodDelete)
	if a, _, u := q.Lens(); a != 1 || u != 0 {
		t.Fatalf("not moved to active: active %d unschedulable %d", a, u)
	}
}

func TestQueueEventDuringAttemptIsNotLost(t *testing.T) {
	clock := newFakeClock()
	q := newSchedQueue(clock, time.Second, 10*time.Second)
	q.Add(qinfo("p", 0))
	p, _ := q.Pop(context.Background())
	q.MoveOnEvent(fw.NodeAdd) // a node arrives while the pod is being tried
	q.AddUnschedulable(p, fw.NodeAdd)
	if _, b, u := q.Lens(); b != 1 || u != 0 {
		t.Fatalf("want the pod backing off (retry), got backoff %d unschedulable %d", b, u)
	}
	clock.Advance(time.Second)
	q.FlushBackoff()
	if name := popName(t, q); name != "p" {
		t.Fatalf("popped %s", name)
	}
}

func TestQueueBackoffThenActive(t *testing.T) {
	clock := newFakeClock()
	q := newSchedQueue(clock, time.Second, 10*time.Second)
	q.Add(qinfo("p", 0))
	p, _ := q.Pop(context.Background())
	q.AddBackoff(p) // attempt 1: 1s
	clock.Advance(999 * time.Millisecond)
	q.FlushBackoff()
	if a, b, _ := q.Lens(); a != 0 || b != 1 {
		t.Fatalf("left back-off early: active %d backoff %d", a, b)
	}
	clock.Advance(time.Millisecond)
	q.FlushBackoff()
	p, _ = q.Pop(context.Background())
	q.AddBackoff(p) // attempt 2: 2s
	clock.Advance(1500 * time.Millisecond)
	q.FlushBackoff()
	if a, _, _ := q.Lens(); a != 0 {
		t.Fatal("second back-off is not 2s")
	}
	clock.Advance(500 * time.Millisecond)
	q.FlushBackoff()
	if a, _, _ := q.Lens(); a != 1 {
		t.Fatal("not active after 2s")
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	for _, tc := range []struct {
		pct         int32
		nodes, want int
	}{
		{0, 50, 50}, {0, 99, 99}, {0, 100, 100}, {0, 1000, 420}, {0, 5000, 500},
		{0, 6000, 300}, {0, 100000, 5000}, {0, 150, 100}, {100, 5000, 5000}, {30, 5000, 1500}, {1, 5000, 100},
	} {
		if got := numFeasibleNodesToFind(tc.pct, tc.nodes); got != tc.want {
			t.Errorf("numFeasibleNodesToFind(%d, %d) = %d, want %d", tc.pct, tc.nodes, got, tc.want)
		}
	}
}

func TestSchedulingRelevantNodeChanges(t *testing.T) {
	base := makeNode("n", 1000, gi, 10, withLabels("zone", "a"))
	heartbeat := *base
	heartbeat.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}}
	relabel := *base
	relabel.Labels = map[string]string{"zone": "b"}
	tainted := *base
	tainted.Spec.Taints = []api.Taint{{Key: "k", Effect: api.TaintEffectNoSchedule}}
	bigger := *base
	bigger.Status.Allocatable = api.ResourceList{
		api.ResourceCPU:    api.NewMilliQuantity(2000, api.DecimalSI),
		api.ResourceMemory: api.NewQuantity(gi, api.BinarySI),
		api.ResourcePods:   api.NewQuantity(10, api.DecimalSI),
	}
	for name, tc := range map[string]struct {
		n    *api.Node
		want bool
	}{
		"heartbeat": {&heartbeat, false}, "labels": {&relabel, true}, "taints": {&tainted, true}, "allocatable": {&bigger, true},
	} {
		if got := schedulingRelevant(base, tc.n); got != tc.want {
			t.Errorf("%s: schedulingRelevant = %v, want %v", name, got, tc.want)
		}
	}
}
