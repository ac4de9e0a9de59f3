package plugins

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// Reasons of PodTopologySpread.
const (
	ReasonSpreadMissingLabel = "node(s) didn't match pod topology spread constraints (missing required label)"
	ReasonSpreadSkew         = "node(s) didn't match pod topology spread constraints"
)

// PodTopologySpread enforces the pod's topologySpreadConstraints as
// Kubernetes does. DoNotSchedule constraints filter: placing the pod in a
// domain must not make (matching pods in that domain + 1 if the pod itself
// matches - the global minimum over eligible domains) exceed maxSkew.
// Eligible nodes pass the pod's nodeSelector and required node affinity
// and carry every constraint's topology key; minDomains makes the minimum
// 0 while there are fewer domains. ScheduleAnyway constraints score: the
// fewer matching pods in the node's domain the better, weighted by
// log(domains+2), reverse-normalised. Cluster-level default constraints
// are not applied.
type PodTopologySpread struct {
	missing, skew, skip *fw.Status
	filterKey           fw.StateKey[*spreadState]
	scoreKey            fw.StateKey[*spreadScoreState]

	// memo keeps the domain counts of recent constraint sets for the one
	// IncrementalLister it follows, so that PreFilter costs time in
	// proportion to the nodes changed since the previous cycle rather
	// than to the cluster. Only the owner lister's cycles read or write it
	// (they are sequential); other listers (dry runs) count from scratch.
	mu    sync.Mutex
	owner fw.NodeLister
	memo  map[string]*spreadMemo
}

// spreadMemo holds, for one set of hard constraints (and node affinity),
// each node's contribution and the per-domain sums.
type spreadMemo struct {
	epoch, gen int64
	nodes      map[string]*spreadNode
	counts     []map[string]int32 // per constraint: domain -> matching pods
	domains    []map[string]int32 // per constraint: domain -> eligible nodes
	hist       []map[int32]int32  // per constraint: count -> domains with it
	// For narrowing (first constraint only): domains and eligible nodes
	// by count, and the nodes of each domain.
	byCount      map[int32]map[string]struct{}
	nodesByCount map[int32]int32
	domainNodes  map[string][]*spreadNode
	// candidates is CandidateNodes' buffer, reused by the owner's
	// sequential cycles.
	candidates []*fw.NodeInfo
}

type spreadNode struct {
	eligible bool
	values   []string
	counts   []int32
	info     *fw.NodeInfo // the version the node had when counted
}

const maxSpreadMemos = 64

var (
	_ fw.PreFilterPlugin = (*PodTopologySpread)(nil)
	_ fw.FilterPlugin    = (*PodTopologySpread)(nil)
	_ fw.PreScorePlugin  = (*PodTopologySpread)(nil)
	_ fw.ScorePlugin     = (*PodTopologySpread)(nil)
	_ fw.ScoreNormalizer = (*PodTopologySpread)(nil)
)

// NewPodTopologySpread is the plugin's Factory.
func NewPodTopologySpread(any, fw.Handle) (fw.Plugin, error) {
	return &PodTopologySpread{
		missing:   fw.NewStatus(fw.UnschedulableAndUnresolvable, ReasonSpreadMissingLabel),
		skew:      fw.NewStatus(fw.Unschedulable, ReasonSpreadSkew),
		skip:      fw.NewStatus(fw.Skip),
		filterKey: fw.NewStateKey[*spreadState]("PodTopologySpread/filter"),
		scoreKey:  fw.NewStateKey[*spreadScoreState]("PodTopologySpread/score"),
	}, nil
}

func (*PodTopologySpread) Name() string { return NamePodTopologySpread }

func (*PodTopologySpread) EventsToRegister() fw.ClusterEvent {
	return fw.NodeAdd | fw.NodeUpdate | fw.NodeDelete | fw.AssignedPodAdd | fw.AssignedPodUpdate | fw.AssignedPodDelete
}

type spreadConstraint struct {
	maxSkew    int32
	key        string
	selector   api.Selector
	minDomains int32
	selfMatch  int32
}

type spreadState struct {
	cons   []spreadConstraint
	counts []map[string]int32 // per constraint: domain value -> matching pods
	min    []int32
	memo   *spreadMemo // set when the counts are the memo's (narrowing)
}

var _ fw.NodeNarrower = (*PodTopologySpread)(nil)

// CandidateNodes narrows a cycle to nodes of the domains where the pod
// would not exceed maxSkew (a random sample of about 2*want of them), when
// there is a single DoNotSchedule constraint and those nodes are under
// half the cluster (otherwise a scan finds feasible nodes quickly anyway).
// Every candidate passes this plugin's Filter.
func (p *PodTopologySpread) CandidateNodes(cs *fw.CycleState, _ *fw.PodInfo, want int) ([]*fw.NodeInfo, bool) {
	// The memo's NodeInfos are the versions counted in this cycle's
	// refresh, which are the snapshot's current ones.
	st, ok := fw.Read(cs, p.filterKey)
	if !ok || st.memo == nil || len(st.cons) != 1 {
		return nil, false
	}
	c := &st.cons[0]
	limit := st.min[0] + c.maxSkew - c.selfMatch
	nodes := cs.Nodes()
	var n int32
	for cnt, k := range st.memo.nodesByCount {
		if cnt <= limit {
			n += k
		}
	}
	if int(n)*2 > nodes.Len() {
		return nil, false
	}
	max := 2 * want
	clear(st.memo.candidates)
	out := st.memo.candidates[:0]
	defer func() { st.memo.candidates = out[:0] }()
	// Map iteration order is random: the sample spreads over domains.
	for cnt, domains := range st.memo.byCount {
		if cnt > limit {
			continue
		}
		for v := range domains {
			for _, sn := range st.memo.domainNodes[v] {
				out = append(out, sn.info)
				if len(out) >= max {
					return out, true
				}
			}
		}
	}
	return out, true
}

func compileConstraints(pod *api.Pod, hard bool) ([]spreadConstraint, error) {
	var out []spreadConstraint
	for _, c := range pod.Spec.TopologySpreadConstraints {
		if (c.WhenUnsatisfiable == api.DoNotSchedule) != hard {
			continue
		}
		sel, err := api.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			return nil, fmt.Errorf("plugins: %s: %w", NamePodTopologySpread, err)
		}
		sc := spreadConstraint{maxSkew: c.MaxSkew, key: c.TopologyKey, selector: sel, minDomains: 1}
		if c.MinDomains != nil {
			sc.minDomains = *c.MinDomains
		}
		if sel.Matches(pod.Labels) {
			sc.selfMatch = 1
		}
		out = append(out, sc)
	}
	return out, nil
}

func hasAllKeys(labels map[string]string, cons []spreadConstraint) bool {
	for i := range cons {
		if _, ok := labels[cons[i].key]; !ok {
			return false
		}
	}
	return true
}

// countMatching counts pods on node in ns that sel selects and that are not
// terminating.
func countMatching(node *fw.NodeInfo, ns string, sel api.Selector) int32 {
	var n int32
	for _, p := range node.Pods {
		if p.Pod.Namespace == ns && p.Pod.DeletionTimestamp == nil && sel.Matches(p.Pod.Labels) {
			n++
		}
	}
	return n
}

func (p *PodTopologySpread) PreFilter(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo) *fw.Status {
	if len(pod.Pod.Spec.TopologySpreadConstraints) == 0 {
		return p.skip
	}
	cons, err := compileConstraints(pod.Pod, true)
	if err != nil {
		return fw.NewStatus(fw.UnschedulableAndUnresolvable, err.Error())
	}
	if len(cons) == 0 {
		return p.skip
	}
	aff := NewRequiredNodeAffinity(pod.Pod)
	st := &spreadState{cons: cons, min: make([]int32, len(cons))}
	nodes := cs.Nodes()
	if inc, ok := nodes.(fw.IncrementalLister); ok && p.claim(nodes) {
		m := p.memoFor(memoKey(pod.Pod, cons), len(cons))
		p.refresh(m, inc, nodes, pod.Pod.Namespace, cons, &aff)
		st.counts = m.counts
		st.memo = m
		for i := range cons {
			st.min[i] = minFromHist(m.hist[i], len(m.domains[i]), cons[i].minDomains)
		}
	} else {
		st.counts = make([]map[string]int32, len(cons))
		for i := range cons {
			st.counts[i] = map[string]int32{}
		}
		for _, n := range nodes.List() {
			labels := nodeLabels(n)
			if !hasAllKeys(labels, cons) || !aff.Match(n.Node()) {
				continue
			}
			for i := range cons {
				st.counts[i][labels[cons[i].key]] += countMatching(n, pod.Pod.Namespace, cons[i].selector)
			}
		}
		for i := range cons {
			min := int32(math.MaxInt32)
			for _, c := range st.counts[i] {
				if c < min {
					min = c
				}
			}
			if len(st.counts[i]) < int(cons[i].minDomains) || min == math.MaxInt32 {
				min = 0
			}
			st.min[i] = min
		}
	}
	fw.Write(cs, p.filterKey, st)
	return nil
}

// claim reports whether nodes is (now) the lister the memo follows: the
// first incremental lister seen keeps it.
func (p *PodTopologySpread) claim(nodes fw.NodeLister) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.owner == nil {
		p.owner = nodes
		p.memo = map[string]*spreadMemo{}
	}
	return p.owner == nodes
}

func memoKey(pod *api.Pod, cons []spreadConstraint) string {
	var b strings.Builder
	b.WriteString(pod.Namespace)
	for i := range cons {
		fmt.Fprintf(&b, "|%s|%s", cons[i].key, cons[i].selector.String())
	}
	if a := pod.Spec.Affinity; len(pod.Spec.NodeSelector) > 0 || (a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil) {
		fmt.Fprintf(&b, "|%v", pod.Spec.NodeSelector)
		if a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			fmt.Fprintf(&b, "|%+v", *a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
		}
	}
	return b.String()
}

func (p *PodTopologySpread) memoFor(key string, n int) *spreadMemo {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.memo[key]
	if !ok {
		if len(p.memo) >= maxSpreadMemos {
			clear(p.memo)
		}
		m = &spreadMemo{epoch: -1}
		m.reset(n)
		p.memo[key] = m
	}
	return m
}

func (m *spreadMemo) reset(n int) {
	m.nodes = map[string]*spreadNode{}
	m.counts = make([]map[string]int32, n)
	m.domains = make([]map[string]int32, n)
	m.hist = make([]map[int32]int32, n)
	m.byCount = map[int32]map[string]struct{}{}
	m.nodesByCount = map[int32]int32{}
	m.domainNodes = map[string][]*spreadNode{}
	for i := 0; i < n; i++ {
		m.counts[i] = map[string]int32{}
		m.domains[i] = map[string]int32{}
		m.hist[i] = map[int32]int32{}
	}
}

// refresh brings m up to date with the nodes changed since its version.
func (p *PodTopologySpread) refresh(m *spreadMemo, inc fw.IncrementalLister, nodes fw.NodeLister, ns string, cons []spreadConstraint, aff *RequiredNodeAffinity) {
	epoch, gen := inc.Version()
	changed, ok := inc.ChangedSince(m.epoch, m.gen)
	if !ok {
		m.reset(len(cons))
		changed = nodes.List()
	}
	for _, n := range changed {
		name := n.Name()
		if cur, ok := nodes.Get(name); ok {
			n = cur
		} else {
			n = nil
		}
		if old, ok := m.nodes[name]; ok {
			m.apply(name, old, -1)
			delete(m.nodes, name)
		}
		if n == nil {
			continue
		}
		labels := nodeLabels(n)
		sn := &spreadNode{eligible: hasAllKeys(labels, cons) && aff.Match(n.Node()), info: n}
		if sn.eligible {
			sn.values = make([]string, len(cons))
			sn.counts = make([]int32, len(cons))
			for i := range cons {
				sn.values[i] = labels[cons[i].key]
				sn.counts[i] = countMatching(n, ns, cons[i].selector)
			}
			m.apply(name, sn, 1)
		}
		m.nodes[name] = sn
	}
	m.epoch, m.gen = epoch, gen
}

// apply adds (sign 1) or removes (sign -1) a node's contribution.
func (m *spreadMemo) apply(name string, sn *spreadNode, sign int32) {
	if !sn.eligible {
		return
	}
	for i, v := range sn.values {
		old := m.counts[i][v]
		oldNodes := m.domains[i][v]
		next := old + sign*sn.counts[i]
		nextNodes := oldNodes + sign
		if oldNodes > 0 {
			if m.hist[i][old]--; m.hist[i][old] <= 0 {
				delete(m.hist[i], old)
			}
		}
		if nextNodes > 0 {
			m.domains[i][v] = nextNodes
			m.counts[i][v] = next
			m.hist[i][next]++
		} else {
			delete(m.domains[i], v)
			delete(m.counts[i], v)
		}
		if i != 0 {
			continue
		}
		if oldNodes > 0 {
			delete(m.byCount[old], v)
			if len(m.byCount[old]) == 0 {
				delete(m.byCount, old)
			}
			if m.nodesByCount[old] -= oldNodes; m.nodesByCount[old] <= 0 {
				delete(m.nodesByCount, old)
			}
		}
		if nextNodes > 0 {
			if m.byCount[next] == nil {
				m.byCount[next] = map[string]struct{}{}
			}
			m.byCount[next][v] = struct{}{}
			m.nodesByCount[next] += nextNodes
		}
		dn := m.domainNodes[v]
		if sign > 0 {
			m.domainNodes[v] = append(dn, sn)
		} else {
			for j, x := range dn {
				if x == sn {
					dn[j] = dn[len(dn)-1]
					dn[len(dn)-1] = nil
					dn = dn[:len(dn)-1]
					break
				}
			}
			if len(dn) == 0 {
				delete(m.domainNodes, v)
			} else {
				m.domainNodes[v] = dn
			}
		}
	}
}

// minFromHist returns the smallest count over domains (0 below minDomains).
func minFromHist(hist map[int32]int32, domains int, minDomains int32) int32 {
	if domains < int(minDomains) || len(hist) == 0 {
		return 0
	}
	min := int32(math.MaxInt32)
	for c := range hist {
		if c < min {
			min = c
		}
	}
	return min
}

func (p *PodTopologySpread) Filter(_ context.Context, cs *fw.CycleState, _ *fw.PodInfo, node *fw.NodeInfo) *fw.Status {
	st, ok := fw.Read(cs, p.filterKey)
	if !ok {
		return nil
	}
	labels := nodeLabels(node)
	for i := range st.cons {
		c := &st.cons[i]
		v, ok := labels[c.key]
		if !ok {
			return p.missing
		}
		if st.counts[i][v]+c.selfMatch-st.min[i] > c.maxSkew {
			return p.skew
		}
	}
	return nil
}

type spreadScoreState struct {
	cons    []spreadConstraint
	ignored map[string]bool
	counts  []map[string]int32 // nil for hostname constraints (counted per node)
	weights []float64
	ns      string
}

func (p *PodTopologySpread) PreScore(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo, feasible []*fw.NodeInfo) *fw.Status {
	if len(pod.Pod.Spec.TopologySpreadConstraints) == 0 {
		return p.skip
	}
	cons, err := compileConstraints(pod.Pod, false)
	if err != nil {
		return fw.AsStatus(err)
	}
	if len(cons) == 0 {
		return p.skip
	}
	st := &spreadScoreState{cons: cons, ignored: map[string]bool{}, counts: make([]map[string]int32, len(cons)), weights: make([]float64, len(cons)), ns: pod.Pod.Namespace}
	for i := range cons {
		if cons[i].key != api.LabelHostname {
			st.counts[i] = map[string]int32{}
		}
	}
	for _, n := range feasible {
		labels := nodeLabels(n)
		if !hasAllKeys(labels, cons) {
			st.ignored[n.Name()] = true
			continue
		}
		for i := range cons {
			if st.counts[i] != nil {
				st.counts[i][labels[cons[i].key]] += 0
			}
		}
	}
	for i := range cons {
		size := len(feasible) - len(st.ignored)
		if st.counts[i] != nil {
			size = len(st.counts[i])
		}
		st.weights[i] = math.Log(float64(size + 2))
	}
	aff := NewRequiredNodeAffinity(pod.Pod)
	for _, n := range cs.Nodes().List() {
		labels := nodeLabels(n)
		if !hasAllKeys(labels, cons) || !aff.Match(n.Node()) {
			continue
		}
		for i := range cons {
			if st.counts[i] == nil {
				continue
			}
			v := labels[cons[i].key]
			if _, ok := st.counts[i][v]; ok {
				st.counts[i][v] += countMatching(n, pod.Pod.Namespace, cons[i].selector)
			}
		}
	}
	fw.Write(cs, p.scoreKey, st)
	return nil
}

func (p *PodTopologySpread) Score(_ context.Context, cs *fw.CycleState, _ *fw.PodInfo, node *fw.NodeInfo) (int64, *fw.Status) {
	st, ok := fw.Read(cs, p.scoreKey)
	if !ok || st.ignored[node.Name()] {
		return 0, nil
	}
	labels := nodeLabels(node)
	var score float64
	for i := range st.cons {
		c := &st.cons[i]
		var cnt int32
		if st.counts[i] == nil {
			cnt = countMatching(node, st.ns, c.selector)
		} else {
			cnt = st.counts[i][labels[c.key]]
		}
		score += float64(cnt)*st.weights[i] + float64(c.maxSkew-1)
	}
	return int64(math.Round(score)), nil
}

func (p *PodTopologySpread) NormalizeScore(_ context.Context, cs *fw.CycleState, _ *fw.PodInfo, scores []fw.NodeScore) *fw.Status {
	st, ok := fw.Read(cs, p.scoreKey)
	if !ok {
		return nil
	}
	var min, max int64 = math.MaxInt64, math.MinInt64
	for _, s := range scores {
		if st.ignored[s.Name] {
			continue
		}
		if s.Score < min {
			min = s.Score
		}
		if s.Score > max {
			max = s.Score
		}
	}
	for i := range scores {
		if st.ignored[scores[i].Name] {
			scores[i].Score = 0
			continue
		}
		if max == 0 {
			scores[i].Score = fw.MaxNodeScore
			continue
		}
		scores[i].Score = fw.MaxNodeScore * (max + min - scores[i].Score) / max
	}
	return nil
}
