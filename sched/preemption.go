package sched

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
	"github.com/fleetkit/orchestrator/store"
)

// preemption is the built-in PostFilter: a pod that fits nowhere may evict
// lower-priority pods from one node. On each node rejected with a
// resolvable status (Unschedulable), it removes every lower-priority pod,
// checks that the pod then fits, and reprieves victims from the highest
// priority down while the pod still fits. Among the candidate nodes it
// picks the one whose most important victim has the lowest priority, then
// the fewest victims, then the lowest sum of priorities. Victims are
// deleted through the store (the node agent honours their grace period),
// the pod is nominated to the node (status.nominatedNodeName) and, until
// it binds, the room is reserved for it: lower-priority pods are filtered
// as if it were already there.
//
// Limits: gang members neither preempt nor are preempted; plugin state computed by PreFilter
// (spread counts, affinity) is not recomputed for the removed victims, so
// preemption only helps pods rejected for resources or by stateless
// filters.
type preemption struct {
	s    *Scheduler
	prof *profile
}

func (*preemption) Name() string { return "DefaultPreemption" }

type candidate struct {
	node    string
	victims []*fw.PodInfo
}

func (p *preemption) PostFilter(ctx context.Context, cs *fw.CycleState, pod *fw.PodInfo, filtered map[string]*fw.Status) (string, *fw.Status) {
	if pod.Group != "" {
		return "", fw.NewStatus(fw.Unschedulable, "gang members do not preempt")
	}
	nodes := cs.Nodes()
	// Victims already terminating for this pod: wait for them.
	if nn := pod.Pod.Status.NominatedNodeName; nn != "" {
		if n, ok := nodes.Get(nn); ok {
			for _, q := range n.Pods {
				if q.Pod.DeletionTimestamp != nil && q.Priority < pod.Priority {
					return "", fw.NewStatus(fw.Unschedulable, "waiting for preempted pods to terminate")
				}
			}
		}
	}
	skip, st := runPreFilter(ctx, p.prof, cs, pod)
	if st != nil {
		return "", st
	}
	var cands []candidate
	for name, st := range filtered {
		if st.Code() != fw.Unschedulable {
			continue
		}
		n, ok := nodes.Get(name)
		if !ok {
			continue
		}
		if v, ok := p.selectVictims(ctx, skip, cs, pod, n); ok {
			cands = append(cands, candidate{node: name, victims: v})
		}
	}
	if len(cands) == 0 {
		return "", fw.NewStatus(fw.Unschedulable, "preemption: no node where evicting lower-priority pods helps")
	}
	best := slices.MinFunc(cands, compareCandidates)
	for _, v := range best.victims {
		_, err := p.s.st.Delete(ctx, api.KindPod, v.Pod.Namespace, v.Pod.Name, store.WithUID(v.Pod.UID))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", fw.AsStatus(err)
		}
		p.s.log.Info("sched: preempted", "victim", podKey(v.Pod), "by", podKey(pod.Pod), "node", best.node)
	}
	p.s.nominate(pod, best.node)
	p.s.writeNomination(ctx, pod.Pod, best.node)
	return best.node, nil
}

func maxPriority(v []*fw.PodInfo) int32 {
	m := int32(-1 << 31)
	for _, p := range v {
		m = max(m, p.Priority)
	}
	return m
}

func sumPriority(v []*fw.PodInfo) int64 {
	var s int64
	for _, p := range v {
		s += int64(p.Priority)
	}
	return s
}

func compareCandidates(a, b candidate) int {
	if x, y := maxPriority(a.victims), maxPriority(b.victims); x != y {
		return cmpInt(int64(x), int64(y))
	}
	if len(a.victims) != len(b.victims) {
		return cmpInt(int64(len(a.victims)), int64(len(b.victims)))
	}
	if x, y := sumPriority(a.victims), sumPriority(b.victims); x != y {
		return cmpInt(x, y)
	}
	return strings.Compare(a.node, b.node)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// selectVictims returns the fewest lower-priority pods of node whose
// removal lets pod fit, and whether there are such.
func (p *preemption) selectVictims(ctx context.Context, skip []bool, cs *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) ([]*fw.PodInfo, bool) {
	c := node.Clone()
	var lower []*fw.PodInfo
	for _, q := range node.Pods {
		// Gang members are never victims: evicting one would leave a
		// partial gang running.
		if q.Priority < pod.Priority && q.Group == "" {
			lower = append(lower, q)
			c.RemovePod(q)
		}
	}
	if len(lower) == 0 {
		return nil, false
	}
	fits := func() bool {
		st, _ := filterNode(ctx, p.prof, skip, cs, pod, c, nil)
		return st == nil
	}
	if !fits() {
		return nil, false
	}
	// Reprieve the most important first.
	slices.SortStableFunc(lower, func(a, b *fw.PodInfo) int { return cmpInt(int64(b.Priority), int64(a.Priority)) })
	var victims []*fw.PodInfo
	for _, q := range lower {
		c.AddPod(q)
		if !fits() {
			c.RemovePod(q)
			victims = append(victims, q)
		}
	}
	return victims, true
}

// nominate reserves node for pod against lower-priority pods.
func (s *Scheduler) nominate(pod *fw.PodInfo, node string) {
	s.nomMu.Lock()
	defer s.nomMu.Unlock()
	s.clearNominationLocked(pod.Pod.UID)
	next := make(nominations, len(s.nominated)+1)
	for k, v := range s.nominated {
		next[k] = v
	}
	next[node] = append(slices.Clone(next[node]), pod)
	s.nominated = next
	s.nomOf[pod.Pod.UID] = node
}

func (s *Scheduler) clearNomination(uid api.UID) {
	s.nomMu.Lock()
	defer s.nomMu.Unlock()
	s.clearNominationLocked(uid)
}

func (s *Scheduler) clearNominationLocked(uid api.UID) {
	node, ok := s.nomOf[uid]
	if !ok {
		return
	}
	delete(s.nomOf, uid)
	next := make(nominations, len(s.nominated))
	for k, v := range s.nominated {
		next[k] = v
	}
	next[node] = slices.DeleteFunc(slices.Clone(next[node]), func(p *fw.PodInfo) bool { return p.Pod.UID == uid })
	if len(next[node]) == 0 {
		delete(next, node)
	}
	s.nominated = next
}

// writeNomination sets status.nominatedNodeName (compare-and-swap, retried
// on conflict against the fresh pod).
func (s *Scheduler) writeNomination(ctx context.Context, pod *api.Pod, node string) {
	cur := pod
	for attempt := 0; attempt < 3; attempt++ {
		cp := *cur
		cp.Status.NominatedNodeName = node
		_, err := s.st.UpdateStatus(ctx, &cp)
		if err == nil || !errors.Is(err, store.ErrConflict) {
			if err != nil {
				s.log.Warn("sched: write nomination", "pod", podKey(pod), "err", err)
			}
			return
		}
		fresh, err := s.st.Get(ctx, api.KindPod, pod.Namespace, pod.Name)
		if err != nil {
			return
		}
		cur = fresh.(*api.Pod)
		if cur.Spec.NodeName != "" {
			return
		}
	}
}
