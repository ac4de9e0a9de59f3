package plugins

import (
	"context"

	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// Reasons of InterPodAffinity.
const (
	ReasonAffinity             = "node(s) didn't match pod affinity rules"
	ReasonAntiAffinity         = "node(s) didn't match pod anti-affinity rules"
	ReasonExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules"
)

// hardPodAffinityWeight is the weight an existing pod's required affinity
// term matching the incoming pod adds to scoring (Kubernetes' default 1).
const hardPodAffinityWeight = 1

type topoPair struct{ key, value string }

// InterPodAffinity enforces required pod affinity and anti-affinity (the
// incoming pod's terms, and existing pods' anti-affinity terms against the
// incoming pod, by topology domain) and scores preferred terms in both
// directions, as Kubernetes does. A pod whose required affinity matches no
// pod anywhere may still be placed if it matches its own terms (the first
// pod of a group).
type InterPodAffinity struct {
	affinity, anti, existing, skip *fw.Status
	filterKey                      fw.StateKey[*affinityState]
	scoreKey                       fw.StateKey[*affinityScore]
}

type affinityState struct {
	existingAnti map[topoPair]int
	affinity     map[topoPair]int
	anti         map[topoPair]int
	selfMatch    bool
}

type affinityScore struct {
	scores map[topoPair]int64
}

var (
	_ fw.PreFilterPlugin = (*InterPodAffinity)(nil)
	_ fw.FilterPlugin    = (*InterPodAffinity)(nil)
	_ fw.PreScorePlugin  = (*InterPodAffinity)(nil)
	_ fw.ScorePlugin     = (*InterPodAffinity)(nil)
	_ fw.ScoreNormalizer = (*InterPodAffinity)(nil)
)

// NewInterPodAffinity is the plugin's Factory.
func NewInterPodAffinity(any, fw.Handle) (fw.Plugin, error) {
	return &InterPodAffinity{
		affinity:  fw.NewStatus(fw.UnschedulableAndUnresolvable, ReasonAffinity),
		anti:      fw.NewStatus(fw.Unschedulable, ReasonAntiAffinity),
		existing:  fw.NewStatus(fw.Unschedulable, ReasonExistingAntiAffinity),
		skip:      fw.NewStatus(fw.Skip),
		filterKey: fw.NewStateKey[*affinityState]("InterPodAffinity/filter"),
		scoreKey:  fw.NewStateKey[*affinityScore]("InterPodAffinity/score"),
	}, nil
}

func (*InterPodAffinity) Name() string { return NameInterPodAffinity }

func (*InterPodAffinity) EventsToRegister() fw.ClusterEvent {
	return fw.NodeAdd | fw.NodeUpdate | fw.AssignedPodAdd | fw.AssignedPodUpdate | fw.AssignedPodDelete
}

func matchesAll(terms []fw.AffinityTerm, p *fw.PodInfo) bool {
	for i := range terms {
		if !terms[i].Matches(p.Pod) {
			return false
		}
	}
	return len(terms) > 0
}

func (p *InterPodAffinity) PreFilter(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo) *fw.Status {
	nodes := cs.Nodes()
	withAff := nodes.HavePodsWithAffinity()
	if len(pod.RequiredAffinity) == 0 && len(pod.RequiredAntiAffinity) == 0 && len(withAff) == 0 {
		return p.skip
	}
	st := &affinityState{existingAnti: map[topoPair]int{}, affinity: map[topoPair]int{}, anti: map[topoPair]int{}}
	for _, n := range withAff {
		labels := nodeLabels(n)
		for _, e := range n.PodsWithRequiredAntiAffinity {
			for i := range e.RequiredAntiAffinity {
				t := &e.RequiredAntiAffinity[i]
				if v, ok := labels[t.TopologyKey]; ok && t.Matches(pod.Pod) {
					st.existingAnti[topoPair{t.TopologyKey, v}]++
				}
			}
		}
	}
	if len(pod.RequiredAffinity) > 0 || len(pod.RequiredAntiAffinity) > 0 {
		for _, n := range nodes.List() {
			labels := nodeLabels(n)
			for _, e := range n.Pods {
				if matchesAll(pod.RequiredAffinity, e) {
					for i := range pod.RequiredAffinity {
						t := &pod.RequiredAffinity[i]
						if v, ok := labels[t.TopologyKey]; ok {
							st.affinity[topoPair{t.TopologyKey, v}]++
						}
					}
				}
				for i := range pod.RequiredAntiAffinity {
					t := &pod.RequiredAntiAffinity[i]
					if v, ok := labels[t.TopologyKey]; ok && t.Matches(e.Pod) {
						st.anti[topoPair{t.TopologyKey, v}]++
					}
				}
			}
		}
		st.selfMatch = matchesAll(pod.RequiredAffinity, pod)
	}
	fw.Write(cs, p.filterKey, st)
	return nil
}

func (p *InterPodAffinity) Filter(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) *fw.Status {
	st, ok := fw.Read(cs, p.filterKey)
	if !ok {
		return nil
	}
	labels := nodeLabels(node)
	if len(pod.RequiredAffinity) > 0 {
		fits := true
		for i := range pod.RequiredAffinity {
			t := &pod.RequiredAffinity[i]
			v, ok := labels[t.TopologyKey]
			if !ok || st.affinity[topoPair{t.TopologyKey, v}] == 0 {
				fits = false
				break
			}
		}
		if !fits {
			// No matching pod anywhere: the pod may start the group if it
			// matches its own terms and the node has the topology keys.
			if len(st.affinity) != 0 || !st.selfMatch {
				return p.affinity
			}
			for i := range pod.RequiredAffinity {
				if _, ok := labels[pod.RequiredAffinity[i].TopologyKey]; !ok {
					return p.affinity
				}
			}
		}
	}
	for i := range pod.RequiredAntiAffinity {
		t := &pod.RequiredAntiAffinity[i]
		if v, ok := labels[t.TopologyKey]; ok && st.anti[topoPair{t.TopologyKey, v}] > 0 {
			return p.anti
		}
	}
	if len(st.existingAnti) > 0 {
		for k, v := range labels {
			if st.existingAnti[topoPair{k, v}] > 0 {
				return p.existing
			}
		}
	}
	return nil
}

func (p *InterPodAffinity) PreScore(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo, _ []*fw.NodeInfo) *fw.Status {
	nodes := cs.Nodes()
	hasPreferred := len(pod.PreferredAffinity)+len(pod.PreferredAntiAffinity) > 0
	candidates := nodes.HavePodsWithAffinity()
	if hasPreferred {
		candidates = nodes.List()
	}
	if len(candidates) == 0 {
		return p.skip
	}
	sc := &affinityScore{scores: map[topoPair]int64{}}
	add := func(t *fw.AffinityTerm, labels map[string]string, w int64) {
		if v, ok := labels[t.TopologyKey]; ok {
			sc.scores[topoPair{t.TopologyKey, v}] += w
		}
	}
	for _, n := range candidates {
		labels := nodeLabels(n)
		pods := n.PodsWithAffinity
		if hasPreferred {
			pods = n.Pods
		}
		for _, e := range pods {
			for i := range pod.PreferredAffinity {
				if t := &pod.PreferredAffinity[i]; t.Matches(e.Pod) {
					add(t, labels, int64(t.Weight))
				}
			}
			for i := range pod.PreferredAntiAffinity {
				if t := &pod.PreferredAntiAffinity[i]; t.Matches(e.Pod) {
					add(t, labels, -int64(t.Weight))
				}
			}
			for i := range e.RequiredAffinity {
				if t := &e.RequiredAffinity[i]; t.Matches(pod.Pod) {
					add(t, labels, hardPodAffinityWeight)
				}
			}
			for i := range e.PreferredAffinity {
				if t := &e.PreferredAffinity[i]; t.Matches(pod.Pod) {
					add(t, labels, int64(t.Weight))
				}
			}
			for i := range e.PreferredAntiAffinity {
				if t := &e.PreferredAntiAffinity[i]; t.Matches(pod.Pod) {
					add(t, labels, -int64(t.Weight))
				}
			}
		}
	}
	if len(sc.scores) == 0 {
		return p.skip
	}
	fw.Write(cs, p.scoreKey, sc)
	return nil
}

func (p *InterPodAffinity) Score(_ context.Context, cs *fw.CycleState, _ *fw.PodInfo, node *fw.NodeInfo) (int64, *fw.Status) {
	sc, ok := fw.Read(cs, p.scoreKey)
	if !ok {
		return 0, nil
	}
	labels := nodeLabels(node)
	var s int64
	for pair, w := range sc.scores {
		if labels[pair.key] == pair.value {
			if _, ok := labels[pair.key]; ok {
				s += w
			}
		}
	}
	return s, nil
}

// NormalizeScore maps [min, max] to [0, 100]; equal scores give 0.
func (p *InterPodAffinity) NormalizeScore(_ context.Context, _ *fw.CycleState, _ *fw.PodInfo, scores []fw.NodeScore) *fw.Status {
	if len(scores) == 0 {
		return nil
	}
	min, max := scores[0].Score, scores[0].Score
	for _, s := range scores {
		min = minI(min, s.Score)
		max = maxI(max, s.Score)
	}
	diff := max - min
	for i := range scores {
		var f float64
		if diff > 0 {
			f = float64(fw.MaxNodeScore) * float64(scores[i].Score-min) / float64(diff)
		}
		scores[i].Score = int64(f)
	}
	return nil
}

func minI(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func maxI(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
