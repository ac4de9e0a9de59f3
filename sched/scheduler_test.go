package sched

import (
	"strings"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/sched/plugins"
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

// Profiles are selected by schedulerName, each with its own plugins and
// weights; pods for a scheduler nobody serves are left alone.
func TestProfilesBySchedulerName(t *testing.T) {
	st := newStore(t)
	for i := 0; i < 4; i++ {
		mustCreate(t, st, makeNode(names("n", 4)[i], 8000, 32*gi, 110))
	}
	binpack := DefaultProfile()
	binpack.SchedulerName = "binpack"
	for i := range binpack.Plugins {
		switch binpack.Plugins[i].Name {
		case plugins.NameNodeResourcesFit:
			binpack.Plugins[i].Args = plugins.FitArgs{Strategy: plugins.MostAllocated}
			binpack.Plugins[i].Weight = 10
		case plugins.NameBalancedAllocation:
			binpack.Plugins[i].Weight = 1
		}
	}
	startScheduler(t, Config{Store: st, Profiles: []Profile{DefaultProfile(), binpack}, Seed: 3})
	ctx := testCtx(t)
	for i := 0; i < 8; i++ {
		packed := makePod("d", names("packed", 8)[i], 500, gi)
		packed.Spec.SchedulerName = "binpack"
		mustCreate(t, st, packed)
	}
	waitPods(t, ctx, st, "packed pods bound", func(ps []*api.Pod) bool { return boundCount(ps) == 8 })
	for i := 0; i < 8; i++ {
		mustCreate(t, st, makePod("d", names("spread", 8)[i], 500, gi))
	}
	other := makePod("d", "other", 100, gi)
	other.Spec.SchedulerName = "someone-else"
	mustCreate(t, st, other)
	pods := waitPods(t, ctx, st, "spread pods bound", func(ps []*api.Pod) bool { return boundCount(ps) == 16 })
	packedNodes, spreadNodes := map[string]bool{}, map[string]bool{}
	for _, p := range pods {
		switch {
		case p.Name == "other" && p.Spec.NodeName != "":
			t.Errorf("pod for another scheduler was bound to %s", p.Spec.NodeName)
		case strings.HasPrefix(p.Name, "packed"):
			packedNodes[p.Spec.NodeName] = true
		case strings.HasPrefix(p.Name, "spread"):
			spreadNodes[p.Spec.NodeName] = true
		}
	}
	if len(packedNodes) != 1 {
		t.Errorf("MostAllocated profile used %d nodes for 8 small pods, want 1", len(packedNodes))
	}
	if len(spreadNodes) < 3 {
		t.Errorf("default profile used %d nodes for 8 pods, want them spread", len(spreadNodes))
	}
}
