package sched

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
	"github.com/fleetkit/orchestrator/sched/plugins"
)

// Property test over random clusters: whatever the cluster, once the
// scheduler has settled, no node has more requested than allocatable, no
// pod sits on a node with a NoSchedule/NoExecute taint it does not
// tolerate or that fails its required node affinity, every gang is bound
// whole or not at all, and no pod was ever bound twice.
func TestPropertyRandomClusters(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomCluster(t, seed) })
	}
}

func randomCluster(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed*7))
	st := newStore(t)
	ctx := testCtx(t)
	zones := []string{"z1", "z2", "z3"}
	nNodes := 10 + rng.IntN(20)
	for i := 0; i < nNodes; i++ {
		opts := []nodeOpt{withLabels(api.LabelZone, zones[rng.IntN(3)])}
		switch rng.IntN(5) {
		case 0:
			opts = append(opts, withTaint("dedicated", "ml", api.TaintEffectNoSchedule))
		case 1:
			opts = append(opts, withTaint("maint", "", api.TaintEffectNoExecute))
		case 2:
			opts = append(opts, withGPU(int64(1+rng.IntN(4))))
		}
		mustCreate(t, st, makeNode(fmt.Sprintf("n-%02d", i), int64(1000+rng.IntN(8)*500), int64(1+rng.IntN(8))*gi, int64(3+rng.IntN(10)), opts...))
	}
	rev, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, Config{Store: st, Seed: seed, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	groups := map[string]int{}
	nPods := 60 + rng.IntN(80)
	for i := 0; i < nPods; i++ {
		var opts []podOpt
		if rng.IntN(4) == 0 {
			opts = append(opts, func(p *api.Pod) {
				p.Spec.Tolerations = []api.Toleration{{Key: "dedicated", Value: "ml", Effect: api.TaintEffectNoSchedule}}
			})
		}
		if rng.IntN(4) == 0 {
			z := zones[rng.IntN(3)]
			opts = append(opts, func(p *api.Pod) {
				p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{
					NodeSelectorTerms: []api.NodeSelectorTerm{{MatchExpressions: []api.NodeSelectorRequirement{{Key: api.LabelZone, Operator: api.NodeSelectorOpIn, Values: []string{z}}}}},
				}}}
			})
		}
		if rng.IntN(6) == 0 {
			opts = append(opts, withPodGPU(int64(1+rng.IntN(2))))
		}
		if rng.IntN(5) == 0 {
			g := fmt.Sprintf("g%d", rng.IntN(4))
			groups[g]++
			opts = append(opts, withGroup(g))
		}
		opts = append(opts, withPriority(int32(rng.IntN(3))))
		mustCreate(t, st, makePod("d", fmt.Sprintf("p-%03d", i), int64(100+rng.IntN(10)*100), int64(1+rng.IntN(4))*gi/4, opts...))
	}
	for g, n := range groups {
		mustCreate(t, st, podGroup("d", g, int32(n)))
	}
	pods := waitPods(t, ctx, st, "every pod bound or explained", func(ps []*api.Pod) bool {
		for _, p := range ps {
			if p.Spec.NodeName != "" {
				continue
			}
			explained := false
			for _, c := range p.Status.Conditions {
				explained = explained || (c.Type == api.PodScheduled && c.Status == api.ConditionFalse)
			}
			if !explained {
				return false
			}
		}
		return true
	})
	nl, err := st.List(ctx, api.KindNode)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*fw.NodeInfo{}
	for _, o := range nl.Items {
		n := o.(*api.Node)
		nodes[n.Name] = fw.NewNodeInfo(n)
	}
	bound := map[string]int{}
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			continue
		}
		ni := nodes[p.Spec.NodeName]
		info, err := fw.NewPodInfo(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ni.Node().Spec.Taints {
			taint := &ni.Node().Spec.Taints[i]
			if taint.Effect != api.TaintEffectPreferNoSchedule && !plugins.ToleratesAll(p.Spec.Tolerations, taint) {
				t.Errorf("pod %s on %s with untolerated taint %s", p.Name, ni.Name(), taint.Key)
			}
		}
		aff := plugins.NewRequiredNodeAffinity(p)
		if !aff.Match(ni.Node()) {
			t.Errorf("pod %s on %s fails its required node affinity", p.Name, ni.Name())
		}
		ni.AddPod(info)
		if g := p.Labels[api.LabelPodGroup]; g != "" {
			bound[g]++
		}
	}
	for name, ni := range nodes {
		if over := plugins.InsufficientResources(&fw.PodInfo{Pod: &api.Pod{}}, ni); ni.Requested.MilliCPU > ni.Allocatable.MilliCPU ||
			ni.Requested.Memory > ni.Allocatable.Memory || int64(len(ni.Pods)) > ni.Allocatable.Pods ||
			ni.Requested.Scalar[api.ResourceNvidiaGPU] > ni.Allocatable.Scalar[api.ResourceNvidiaGPU] {
			t.Errorf("node %s overcommitted: requested %+v allocatable %+v (%v)", name, ni.Requested, ni.Allocatable, over)
		}
	}
	for g, n := range groups {
		if bound[g] != 0 && bound[g] != n {
			t.Errorf("gang %s partially bound: %d of %d", g, bound[g], n)
		}
	}
	// No pod bound twice (nor moved).
	w, err := st.Watch(ctx, api.KindPod, storeFrom(rev))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	end, _ := st.Revision(ctx)
	seen := map[string]string{}
	for ev := range w.Events() {
		p := ev.Object.(*api.Pod)
		if prev, ok := seen[p.Name]; ok && ev.Type != 3 && p.Spec.NodeName != prev {
			t.Errorf("pod %s bound to %s then %q", p.Name, prev, p.Spec.NodeName)
		}
		if p.Spec.NodeName != "" {
			seen[p.Name] = p.Spec.NodeName
		}
		if ev.Revision >= end {
			break
		}
	}
}
