package sched

import (
	"strings"
	"testing"

	"github.com/fleetkit/orchestrator/api"
)

const gi = int64(1) << 30

func TestScheduleBindsEveryPodWithinCapacity(t *testing.T) {
	st := newStore(t)
	for i := 0; i < 5; i++ {
		mustCreate(t, st, makeNode(names("n", 5)[i], 4000, 8*gi, 110))
	}
	for i := 0; i < 30; i++ {
		mustCreate(t, st, makePod("default", names("p", 30)[i], 500, gi/2))
	}
	startScheduler(t, Config{Store: st, Seed: 1})
	ctx := testCtx(t)
	pods := waitPods(t, ctx, st, "40 pods bound", func(ps []*api.Pod) bool {
		// 5 nodes * 4 cpu / 500m = 40 slots: all 30 fit.
		return boundCount(ps) == 30
	})
	perNode := map[string]int64{}
	for _, p := range pods {
		perNode[p.Spec.NodeName] += 500
	}
	for n, cpu := range perNode {
		if cpu > 4000 {
			t.Errorf("node %s got %dm cpu, allocatable 4000m", n, cpu)
		}
	}
	if len(perNode) != 5 {
		t.Errorf("LeastAllocated should spread 30 pods over all 5 nodes, used %d", len(perNode))
	}
	// PodScheduled=True is set after binding.
	waitPods(t, ctx, st, "PodScheduled=True", func(ps []*api.Pod) bool {
		for _, p := range ps {
			ok := false
			for _, c := range p.Status.Conditions {
				ok = ok || (c.Type == api.PodScheduled && c.Status == api.ConditionTrue)
			}
			if !ok {
				return false
			}
		}
		return true
	})
}

func TestUnschedulablePodGetsConditionAndEvent(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st,
		makeNode("small-0", 1000, 8*gi, 110),
		makeNode("small-1", 1000, 8*gi, 110),
		makeNode("gpu-0", 64000, 8*gi, 110, withTaint("gpu", "true", api.TaintEffectNoSchedule)),
		makePod("default", "big", 8000, gi),
	)
	startScheduler(t, Config{Store: st})
	ctx := testCtx(t)
	want := "0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 Insufficient cpu."
	waitPods(t, ctx, st, "PodScheduled=False", func(ps []*api.Pod) bool {
		for _, c := range ps[0].Status.Conditions {
			if c.Type == api.PodScheduled && c.Status == api.ConditionFalse && c.Message == want {
				return true
			}
		}
		return false
	})
	waitKind(t, ctx, st, api.KindEvent, "FailedScheduling event", func(objs []api.Object) bool {
		for _, o := range objs {
			e := o.(*api.Event)
			if e.Reason == "FailedScheduling" && e.Type == "Warning" && e.InvolvedObject.Name == "big" && strings.HasPrefix(e.Message, want) {
				return true
			}
		}
		return false
	})
}
