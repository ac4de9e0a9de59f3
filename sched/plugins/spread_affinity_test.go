package plugins

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

func spreadPod(ns string, maxSkew int32, key string, when api.UnsatisfiableConstraintAction, minDomains *int32, kv ...string) *api.Pod {
	return pod(ns, 100, 0, podLabels(kv...), func(p *api.Pod) {
		p.Spec.TopologySpreadConstraints = []api.TopologySpreadConstraint{{
			MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: when, MinDomains: minDomains,
			LabelSelector: &api.LabelSelector{MatchLabels: map[string]string{"foo": "bar"}},
		}}
	})
}

func foo(ns string) *api.Pod { return pod(ns, 100, 0, podLabels("foo", "bar")) }

func TestPodTopologySpreadFilter(t *testing.T) {
	zone := api.LabelZone
	build := func(extraC int) []*fw.NodeInfo {
		c := []*api.Pod{}
		for i := 0; i < extraC; i++ {
			c = append(c, foo("d"))
		}
		return []*fw.NodeInfo{
			nodeInfo(t, node("a", 1, 1, 1, labels(zone, "z1")), foo("d"), foo("d"), foo("other-ns")),
			nodeInfo(t, node("b", 1, 1, 1, labels(zone, "z1")), foo("d"), pod("d", 1, 0, podLabels("foo", "baz"))),
			nodeInfo(t, node("c", 1, 1, 1, labels(zone, "z2")), c...),
			nodeInfo(t, node("d", 1, 1, 1, labels(zone, "z2"))),
			nodeInfo(t, node("e", 1, 1, 1)),
		}
	}
	three := int32(3)
	M, S := ReasonSpreadMissingLabel, ReasonSpreadSkew
	tests := []struct {
		name  string
		pod   *api.Pod
		nodes []*fw.NodeInfo
		want  map[string]string
	}{
		{"zone skew 1: z1 has 3, z2 0", spreadPod("d", 1, zone, api.DoNotSchedule, nil, "foo", "bar"), build(0), map[string]string{"a": S, "b": S, "c": "", "d": "", "e": M}},
		{"zone skew 3 still rejects 3+1-0", spreadPod("d", 3, zone, api.DoNotSchedule, nil, "foo", "bar"), build(0), map[string]string{"a": S, "b": S, "c": "", "d": "", "e": M}},
		{"zone skew 4 allows all", spreadPod("d", 4, zone, api.DoNotSchedule, nil, "foo", "bar"), build(0), map[string]string{"a": "", "b": "", "c": "", "d": "", "e": M}},
		{"pod not matching its own selector", spreadPod("d", 3, zone, api.DoNotSchedule, nil, "foo", "nope"), build(0), map[string]string{"a": "", "b": "", "c": "", "d": "", "e": M}},
		{"hostname skew 1", spreadPod("d", 1, api.LabelHostname, api.DoNotSchedule, nil, "foo", "bar"), build(0), map[string]string{"a": S, "b": S, "c": "", "d": "", "e": ""}},
		{"min is 2: z2 with 2 gets the pod", spreadPod("d", 1, zone, api.DoNotSchedule, nil, "foo", "bar"), build(2), map[string]string{"a": S, "b": S, "c": "", "d": "", "e": M}},
		{"minDomains 3 > 2 domains makes min 0", spreadPod("d", 1, zone, api.DoNotSchedule, &three, "foo", "bar"), build(2), map[string]string{"a": S, "b": S, "c": S, "d": S, "e": M}},
		{"ScheduleAnyway does not filter", spreadPod("d", 1, zone, api.ScheduleAnyway, nil, "foo", "bar"), build(0), map[string]string{"a": "", "b": "", "c": "", "d": "", "e": ""}},
	}
	pl := mustPlugin(t, NewPodTopologySpread, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runFilter(t, pl, tc.pod, tc.nodes...)); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestPodTopologySpreadScore(t *testing.T) {
	zone := api.LabelZone
	nodes := []*fw.NodeInfo{
		nodeInfo(t, node("a", 1, 1, 1, labels(zone, "z1")), foo("d"), foo("d")),
		nodeInfo(t, node("b", 1, 1, 1, labels(zone, "z1"))),
		nodeInfo(t, node("c", 1, 1, 1, labels(zone, "z2")), foo("d")),
		nodeInfo(t, node("e", 1, 1, 1)),
	}
	got := runScore(t, mustPlugin(t, NewPodTopologySpread, nil), spreadPod("d", 1, zone, api.ScheduleAnyway, nil, "foo", "bar"), nodes...)
	// weight = log(2 domains + 2); raw: z1 = round(2*1.386) = 3, z2 =
	// round(1.386) = 1; normalised: 100*(3+1-s)/3 -> z1 33, z2 100; the
	// node without the key gets 0.
	if diff := cmp.Diff(map[string]int64{"a": 33, "b": 33, "c": 100, "e": 0}, got); diff != "" {
		t.Error(diff)
	}
}

// The incremental counts (kept across cycles for the scheduling loop's
// snapshot) always equal counts computed from scratch.
func TestPodTopologySpreadIncrementalMatchesScratch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	incPlugin := mustPlugin(t, NewPodTopologySpread, nil).(*PodTopologySpread)
	scratch := mustPlugin(t, NewPodTopologySpread, nil).(*PodTopologySpread)
	snap := fw.NewSnapshot()
	snap.SetIncremental()
	var gen int64
	infos := map[string]*fw.NodeInfo{}
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("n%d", i)
		gen++
		ni := nodeInfo(t, node(name, 1, 1, 1, labels(api.LabelZone, fmt.Sprintf("z%d", i%3))))
		ni.Generation = gen
		infos[name] = ni
		snap.Set(ni.Clone())
	}
	snap.Commit()
	p := spreadPod("d", 1, api.LabelZone, api.DoNotSchedule, nil, "foo", "bar")
	pi := info(t, p)
	for step := 0; step < 300; step++ {
		// Mutate a random node: add or remove a matching pod, or drop
		// its zone label.
		name := fmt.Sprintf("n%d", rng.IntN(12))
		ni := infos[name]
		switch rng.IntN(4) {
		case 0, 1:
			ni.AddPod(info(t, foo("d")))
		case 2:
			if len(ni.Pods) > 0 {
				ni.RemovePod(ni.Pods[0])
			}
		case 3:
			n := *ni.Node()
			n.Labels = map[string]string{api.LabelHostname: name}
			if rng.IntN(2) == 0 {
				n.Labels[api.LabelZone] = fmt.Sprintf("z%d", rng.IntN(3))
			}
			ni.SetNode(&n)
		}
		gen++
		ni.Generation = gen
		snap.Set(ni.Clone())
		snap.Commit()

		csInc := fw.NewCycleState(snap)
		incPlugin.PreFilter(context.Background(), csInc, pi)
		full := make([]*fw.NodeInfo, 0, len(infos))
		for _, n := range snap.List() {
			full = append(full, n)
		}
		csScratch := fw.NewCycleState(fw.NewSnapshot(full...))
		scratch.PreFilter(context.Background(), csScratch, pi)
		a, _ := fw.Read(csInc, incPlugin.filterKey)
		b, _ := fw.Read(csScratch, scratch.filterKey)
		if diff := cmp.Diff(b.counts, a.counts); diff != "" {
			t.Fatalf("step %d: counts differ (-scratch +incremental):\n%s", step, diff)
		}
		if diff := cmp.Diff(b.min, a.min); diff != "" {
			t.Fatalf("step %d: min differs:\n%s", step, diff)
		}
		// Every narrowed candidate passes the filter (judged from
		// scratch), and is the snapshot's current version.
		if cands, ok := incPlugin.CandidateNodes(csInc, pi, 1); ok {
			for _, n := range cands {
				if cur, _ := snap.Get(n.Name()); cur != n {
					t.Fatalf("step %d: candidate %s is a stale NodeInfo", step, n.Name())
				}
				if st := scratch.Filter(context.Background(), csScratch, pi, n); !st.IsSuccess() {
					t.Fatalf("step %d: candidate %s fails the filter: %v", step, n.Name(), st)
				}
			}
		}
	}
}

func TestInterPodAffinityFilter(t *testing.T) {
	zone := api.LabelZone
	term := func(key string, kv ...string) api.PodAffinityTerm {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return api.PodAffinityTerm{LabelSelector: &api.LabelSelector{MatchLabels: m}, TopologyKey: key}
	}
	affinity := func(ts ...api.PodAffinityTerm) func(*api.Pod) {
		return func(p *api.Pod) {
			if p.Spec.Affinity == nil {
				p.Spec.Affinity = &api.Affinity{}
			}
			p.Spec.Affinity.PodAffinity = &api.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: ts}
		}
	}
	anti := func(ts ...api.PodAffinityTerm) func(*api.Pod) {
		return func(p *api.Pod) {
			if p.Spec.Affinity == nil {
				p.Spec.Affinity = &api.Affinity{}
			}
			p.Spec.Affinity.PodAntiAffinity = &api.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: ts}
		}
	}
	db := pod("d", 1, 0, podLabels("app", "db"))
	web := pod("d", 1, 0, podLabels("app", "web"))
	guard := pod("d", 1, 0, podLabels("app", "guard"), anti(term(zone, "app", "web")))
	nodes := func(extra ...*api.Pod) []*fw.NodeInfo {
		return []*fw.NodeInfo{
			nodeInfo(t, node("a", 1, 1, 1, labels(zone, "z1")), append([]*api.Pod{db}, extra...)...),
			nodeInfo(t, node("b", 1, 1, 1, labels(zone, "z1")), web),
			nodeInfo(t, node("c", 1, 1, 1, labels(zone, "z2"))),
			nodeInfo(t, node("x", 1, 1, 1)),
		}
	}
	A, N, E := ReasonAffinity, ReasonAntiAffinity, ReasonExistingAntiAffinity
	tests := []struct {
		name  string
		pod   *api.Pod
		nodes []*fw.NodeInfo
		want  map[string]string
	}{
		{"affinity to db by zone", pod("d", 1, 0, affinity(term(zone, "app", "db"))), nodes(), map[string]string{"a": "", "b": "", "c": A, "x": A}},
		{"affinity by hostname", pod("d", 1, 0, affinity(term(api.LabelHostname, "app", "db"))), nodes(), map[string]string{"a": "", "b": A, "c": A, "x": A}},
		{"affinity in another namespace sees nothing", pod("other", 1, 0, affinity(term(zone, "app", "db"))), nodes(), map[string]string{"a": A, "b": A, "c": A, "x": A}},
		{"first pod of a self-affine group", pod("d", 1, 0, podLabels("app", "cache"), affinity(term(zone, "app", "cache"))), nodes(), map[string]string{"a": "", "b": "", "c": "", "x": A}},
		{"anti-affinity to web by hostname", pod("d", 1, 0, anti(term(api.LabelHostname, "app", "web"))), nodes(), map[string]string{"a": "", "b": N, "c": "", "x": ""}},
		{"anti-affinity to web by zone", pod("d", 1, 0, anti(term(zone, "app", "web"))), nodes(), map[string]string{"a": N, "b": N, "c": "", "x": ""}},
		{"existing pod's anti-affinity repels", pod("d", 1, 0, podLabels("app", "web")), nodes(guard), map[string]string{"a": E, "b": E, "c": "", "x": ""}},
		{"existing anti-affinity ignores other pods", pod("d", 1, 0, podLabels("app", "api")), nodes(guard), map[string]string{"a": "", "b": "", "c": "", "x": ""}},
	}
	pl := mustPlugin(t, NewInterPodAffinity, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runFilter(t, pl, tc.pod, tc.nodes...)); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestInterPodAffinityScore(t *testing.T) {
	zone := api.LabelZone
	db := pod("d", 1, 0, podLabels("app", "db"))
	web := pod("d", 1, 0, podLabels("app", "web"))
	nodes := []*fw.NodeInfo{
		nodeInfo(t, node("a", 1, 1, 1, labels(zone, "z1")), db),
		nodeInfo(t, node("b", 1, 1, 1, labels(zone, "z2")), web),
		nodeInfo(t, node("c", 1, 1, 1, labels(zone, "z3"))),
	}
	sel := func(v string) *api.LabelSelector { return &api.LabelSelector{MatchLabels: map[string]string{"app": v}} }
	p := pod("d", 1, 0, func(p *api.Pod) {
		p.Spec.Affinity = &api.Affinity{
			PodAffinity: &api.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []api.WeightedPodAffinityTerm{
				{Weight: 10, PodAffinityTerm: api.PodAffinityTerm{LabelSelector: sel("db"), TopologyKey: zone}}}},
			PodAntiAffinity: &api.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []api.WeightedPodAffinityTerm{
				{Weight: 5, PodAffinityTerm: api.PodAffinityTerm{LabelSelector: sel("web"), TopologyKey: zone}}}},
		}
	})
	// Raw: a +10, b -5, c 0; min-max normalised: a 100, b 0, c 33.
	got := runScore(t, mustPlugin(t, NewInterPodAffinity, nil), p, nodes...)
	if diff := cmp.Diff(map[string]int64{"a": 100, "b": 0, "c": 33}, got); diff != "" {
		t.Error(diff)
	}
}
