package sched

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// diagnosis explains why a pod fits nowhere.
type diagnosis struct {
	total    int
	statuses map[string]*fw.Status // node name -> rejecting status
	// preFilter is set when a PreFilter rejected the pod before nodes.
	preFilter *fw.Status
	// rejectors are the plugins that rejected the pod.
	rejectors map[string]bool
}

// reasonCounts counts nodes per reason.
func (d *diagnosis) reasonCounts() map[string]int {
	m := map[string]int{}
	if d.preFilter != nil {
		for _, r := range d.preFilter.Reasons() {
			m[r] = d.total
		}
		return m
	}
	for _, st := range d.statuses {
		for _, r := range st.Reasons() {
			m[r]++
		}
	}
	return m
}

// message is kube-scheduler's "0/N nodes are available: ..." message.
func (d *diagnosis) message() string {
	counts := d.reasonCounts()
	parts := make([]string, 0, len(counts))
	for r, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return fmt.Sprintf("0/%d nodes are available.", d.total)
	}
	return fmt.Sprintf("0/%d nodes are available: %s.", d.total, strings.Join(parts, ", "))
}

// scheduleResult is where a pod goes.
type scheduleResult struct {
	node      string
	evaluated int
	feasible  int
}

// nominations maps node names to the pods nominated there (after
// preemption). Copy-on-write: a map value is never modified.
type nominations map[string][]*fw.PodInfo

// algo holds what one scheduling decision needs.
type algo struct {
	parallelism int
	rng         *rand.Rand // nil: first best node
	nextStart   int        // rotating start index (scheduling loop only)

	// Buffers reused across the cycles of one algo (cycles of one algo
	// are sequential): they keep the per-pod garbage, and so GC work on
	// a large heap, small.
	feasibleBuf []*fw.NodeInfo
	scoreBuf    [][]fw.NodeScore
	totalsBuf   []int64
	activeBuf   []scorePlugin
	okBufs      [][]*fw.NodeInfo
	failBufs    [][]rejection
}

// filterNode runs the filters of prof on node, with higher-or-equal
// priority pods nominated to the node counted as if they were there. It
// returns the rejecting status and the index of the rejecting filter
// (statuses are returned as the plugin made them: attributing them would
// allocate for every rejected node).
func filterNode(ctx context.Context, prof *profile, skip []bool, cs *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo, nom nominations) (*fw.Status, int) {
	if len(nom) == 0 {
		// common case: no nominations
	} else if noms := nom[node.Name()]; len(noms) > 0 {
		var c *fw.NodeInfo
		for _, np := range noms {
			if np.Pod.UID != pod.Pod.UID && np.Priority >= pod.Priority {
				if c == nil {
					c = node.Clone()
				}
				c.AddPod(np)
			}
		}
		if c != nil {
			node = c
		}
	}
	for i, f := range prof.filter {
		if skip[i] {
			continue
		}
		if st := f.Filter(ctx, cs, pod, node); !st.IsSuccess() {
			return st, i
		}
	}
	return nil, -1
}

// runPreFilter runs PreFilter plugins and returns which Filter plugins to
// skip; a non-nil status rejects the pod.
func runPreFilter(ctx context.Context, prof *profile, cs *fw.CycleState, pod *fw.PodInfo) ([]bool, *fw.Status) {
	var skippedPre [16]bool
	skipped := skippedPre[:0]
	for _, p := range prof.preFilter {
		st := p.PreFilter(ctx, cs, pod)
		switch {
		case st.IsSuccess():
			skipped = append(skipped, false)
		case st.IsSkip():
			skipped = append(skipped, true)
		default:
			return nil, st.WithPlugin(p.Name())
		}
	}
	skip := make([]bool, len(prof.filter))
	for i, j := range prof.filterPre {
		skip[i] = j >= 0 && skipped[j]
	}
	return skip, nil
}

const filterChunk = 16

// schedulePod picks a node for pod against nodes, or explains why none
// fits. It does not change anything.
func (a *algo) schedulePod(ctx context.Context, prof *profile, cs *fw.CycleState, pod *fw.PodInfo, nom nominations) (scheduleResult, *diagnosis, error) {
	all := cs.Nodes().List()
	n := len(all)
	diag := &diagnosis{total: n, rejectors: map[string]bool{}}
	if n == 0 {
		diag.preFilter = fw.NewStatus(fw.Unschedulable, "no nodes available")
		return scheduleResult{}, diag, nil
	}
	skip, st := runPreFilter(ctx, prof, cs, pod)
	if st != nil {
		if st.Code() == fw.Error {
			return scheduleResult{}, nil, fmt.Errorf("sched: prefilter %s: %w", st.Plugin(), st.Err())
		}
		diag.preFilter = st
		diag.rejectors[st.Plugin()] = true
		return scheduleResult{}, diag, nil
	}
	want := numFeasibleNodesToFind(prof.pct, n)
	// A PreFilter may narrow the nodes worth examining (spread does when
	// few domains have room).
	fullSkip := skip
	for _, p := range prof.preFilter {
		if nw, ok := p.(fw.NodeNarrower); ok {
			if cands, ok := nw.CandidateNodes(cs, pod, want); ok && len(cands) > 0 {
				all = cands
				// The candidates pass the narrowing plugin's Filter.
				skip = slices.Clone(skip)
				for i, f := range prof.filter {
					if f.Name() == p.Name() {
						skip[i] = true
					}
				}
				break
			}
		}
	}
	narrowed := len(all) < n
	feasible, processed, err := a.findFeasible(ctx, prof, skip, cs, pod, all, want, nom, diag)
	if err != nil {
		return scheduleResult{}, nil, err
	}
	if narrowed && len(feasible) == 0 {
		// Explain the failure over every node, not only the candidates.
		feasible, processed, err = a.findFeasible(ctx, prof, fullSkip, cs, pod, cs.Nodes().List(), want, nom, diag)
		if err != nil {
			return scheduleResult{}, nil, err
		}
	}
	if !narrowed {
		a.nextStart = (a.nextStart + processed) % n
	}
	if len(feasible) == 0 {
		return scheduleResult{evaluated: processed}, diag, nil
	}
	res := scheduleResult{evaluated: processed, feasible: len(feasible)}
	if len(feasible) == 1 {
		res.node = feasible[0].Name()
		return res, nil, nil
	}
	totals, err := a.score(ctx, prof, cs, pod, feasible)
	if err != nil {
		return scheduleResult{}, nil, err
	}
	res.node = a.selectHost(feasible, totals)
	return res, nil, nil
}

// rejection is a node a filter rejected.
type rejection struct {
	node   *fw.NodeInfo
	st     *fw.Status
	plugin int
}

// findFeasible filters nodes in parallel from the rotating start index,
// stopping once want feasible nodes are found. It returns the feasible
// nodes, the statuses of rejected nodes (only when none is feasible), and
// how many nodes it examined.
func (a *algo) findFeasible(ctx context.Context, prof *profile, skip []bool, cs *fw.CycleState, pod *fw.PodInfo, all []*fw.NodeInfo, want int, nom nominations, diag *diagnosis) ([]*fw.NodeInfo, int, error) {
	n := len(all)
	start := a.nextStart % n
	chunks := (n + filterChunk - 1) / filterChunk
	var (
		found    atomic.Int64
		next     atomic.Int64
		mu       sync.Mutex
		feasible = a.feasibleBuf[:0]
		rejected []rejection
		maxIdx   int
	)
	workers := min(a.parallelism, chunks)
	for len(a.okBufs) < workers {
		a.okBufs = append(a.okBufs, nil)
		a.failBufs = append(a.failBufs, nil)
	}
	// Workers stop at the first error (failed) or when ctx ends.
	var failed atomic.Bool
	var g errgroup.Group
	g.SetLimit(workers)
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			localOK := a.okBufs[w][:0]
			localFail := a.failBufs[w][:0]
			defer func() {
				clear(localFail) // drop references to statuses and nodes
				a.okBufs[w], a.failBufs[w] = localOK[:0], localFail[:0]
			}()
			localMax := 0
			for {
				if found.Load() >= int64(want) || failed.Load() || ctx.Err() != nil {
					break
				}
				c := int(next.Add(1) - 1)
				if c >= chunks {
					break
				}
				hi := min((c+1)*filterChunk, n)
				before := len(localOK)
				for i := c * filterChunk; i < hi; i++ {
					node := all[(start+i)%n]
					st, pi := filterNode(ctx, prof, skip, cs, pod, node, nom)
					switch {
					case st == nil:
						localOK = append(localOK, node)
					case st.IsRejected():
						localFail = append(localFail, rejection{node, st, pi})
					default:
						failed.Store(true)
						return fmt.Errorf("sched: filter %s on node %s: %w", prof.filter[pi].Name(), node.Name(), st.Err())
					}
				}
				found.Add(int64(len(localOK) - before))
				localMax = max(localMax, hi)
			}
			mu.Lock()
			feasible = append(feasible, localOK...)
			if len(feasible) == 0 {
				rejected = append(rejected, localFail...)
			}
			maxIdx = max(maxIdx, localMax)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if len(feasible) == 0 {
		diag.statuses = make(map[string]*fw.Status, len(rejected))
		for _, r := range rejected {
			name := prof.filter[r.plugin].Name()
			diag.statuses[r.node.Name()] = r.st.WithPlugin(name)
			diag.rejectors[name] = true
		}
	}
	a.feasibleBuf = feasible
	if len(feasible) > want {
		feasible = feasible[:want]
	}
	return feasible, maxIdx, nil
}

// score runs PreScore, Score (in parallel over nodes) and NormalizeScore,
// and returns each node's weighted total.
func (a *algo) score(ctx context.Context, prof *profile, cs *fw.CycleState, pod *fw.PodInfo, nodes []*fw.NodeInfo) ([]int64, error) {
	var skippedPre [16]bool
	skipped := skippedPre[:0]
	for _, p := range prof.preScore {
		st := p.PreScore(ctx, cs, pod, nodes)
		switch {
		case st.IsSuccess():
			skipped = append(skipped, false)
		case st.IsSkip():
			skipped = append(skipped, true)
		default:
			return nil, fmt.Errorf("sched: prescore %s: %w", p.Name(), st.Err())
		}
	}
	active := a.activeBuf[:0]
	for i, sp := range prof.score {
		if j := prof.scorePre[i]; j < 0 || !skipped[j] {
			active = append(active, sp)
		}
	}
	a.activeBuf = active
	totals := growInt64(a.totalsBuf, len(nodes))
	a.totalsBuf = totals
	if len(active) == 0 {
		return totals, nil
	}
	for len(a.scoreBuf) < len(active) {
		a.scoreBuf = append(a.scoreBuf, nil)
	}
	scores := a.scoreBuf[:len(active)]
	for i := range scores {
		if cap(scores[i]) < len(nodes) {
			scores[i] = make([]fw.NodeScore, len(nodes))
		}
		scores[i] = scores[i][:len(nodes)]
	}
	// A few workers pull chunks of nodes (a goroutine per chunk would
	// allocate per pod for nothing).
	const chunk = filterChunk * 2
	chunks := (len(nodes) + chunk - 1) / chunk
	var next atomic.Int64
	var g errgroup.Group
	g.SetLimit(a.parallelism)
	for w := 0; w < min(a.parallelism, chunks); w++ {
		g.Go(func() error {
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks || ctx.Err() != nil {
					return ctx.Err()
				}
				hi := min((c+1)*chunk, len(nodes))
				for i := c * chunk; i < hi; i++ {
					for j, sp := range active {
						s, st := sp.p.Score(ctx, cs, pod, nodes[i])
						if !st.IsSuccess() {
							return fmt.Errorf("sched: score %s on node %s: %w", sp.p.Name(), nodes[i].Name(), st.Err())
						}
						scores[j][i] = fw.NodeScore{Name: nodes[i].Name(), Score: s}
					}
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for j, sp := range active {
		if sp.norm != nil {
			if st := sp.norm.NormalizeScore(ctx, cs, pod, scores[j]); !st.IsSuccess() {
				return nil, fmt.Errorf("sched: normalize %s: %w", sp.p.Name(), st.Err())
			}
		}
		for i := range nodes {
			s := scores[j][i].Score
			if s < fw.MinNodeScore || s > fw.MaxNodeScore {
				return nil, fmt.Errorf("sched: plugin %s scored node %s %d, outside [%d, %d]", sp.p.Name(), nodes[i].Name(), s, fw.MinNodeScore, fw.MaxNodeScore)
			}
			totals[i] += s * sp.weight
		}
	}
	return totals, nil
}

func growInt64(b []int64, n int) []int64 {
	if cap(b) < n {
		return make([]int64, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// selectHost returns the best node, breaking ties uniformly at random
// (reservoir sampling), as kube-scheduler does.
func (a *algo) selectHost(nodes []*fw.NodeInfo, totals []int64) string {
	best, ties := 0, 1
	for i := 1; i < len(nodes); i++ {
		switch {
		case totals[i] > totals[best]:
			best, ties = i, 1
		case totals[i] == totals[best]:
			ties++
			if a.rng != nil && a.rng.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return nodes[best].Name()
}
