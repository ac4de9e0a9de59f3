package sched

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
	"github.com/fleetkit/orchestrator/store"
)

// waitingPod is a pod parked at Permit, holding its reservation.
type waitingPod struct {
	s    *Scheduler
	info *fw.PodInfo
	node string

	mu      sync.Mutex
	waitFor map[string]bool
	stops   []func() bool
	done    chan *fw.Status // receives the outcome once
	closed  bool
}

var _ fw.WaitingPod = (*waitingPod)(nil)

func newWaitingPod(s *Scheduler, info *fw.PodInfo, node string) *waitingPod {
	return &waitingPod{s: s, info: info, node: node, done: make(chan *fw.Status, 1)}
}

func (w *waitingPod) Pod() *api.Pod    { return w.info.Pod }
func (w *waitingPod) NodeName() string { return w.node }

// wait makes the pod wait for plugin, at most timeout.
func (w *waitingPod) wait(plugin string, timeout time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waitFor == nil {
		w.waitFor = map[string]bool{}
	}
	w.waitFor[plugin] = true
	if timeout > 0 {
		w.stops = append(w.stops, w.s.clock.AfterFunc(timeout, func() {
			if plugin == gangPlugin {
				w.s.rejectGroup(w.info.Group, fmt.Sprintf("pod group %s timed out waiting for its members", w.info.Group))
				return
			}
			w.Reject(plugin, fmt.Sprintf("rejected due to timeout after waiting %v at plugin %s", timeout, plugin))
		}))
	}
}

func (w *waitingPod) pending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waitFor) > 0 && !w.closed
}

func (w *waitingPod) finishLocked(st *fw.Status) {
	if w.closed {
		return
	}
	w.closed = true
	for _, stop := range w.stops {
		stop()
	}
	w.done <- st
}

// Allow implements fw.WaitingPod.
func (w *waitingPod) Allow(plugin string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.waitFor, plugin)
	if len(w.waitFor) == 0 {
		w.finishLocked(nil)
	}
}

// Reject implements fw.WaitingPod.
func (w *waitingPod) Reject(plugin, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.finishLocked(fw.NewStatus(fw.Unschedulable, msg).WithPlugin(plugin))
}

func (s *Scheduler) addWaiting(w *waitingPod) {
	s.waitMu.Lock()
	s.waiting[w.info.Pod.UID] = w
	s.waitMu.Unlock()
}

func (s *Scheduler) removeWaiting(uid api.UID) {
	s.waitMu.Lock()
	delete(s.waiting, uid)
	s.waitMu.Unlock()
}

func (s *Scheduler) waitingPod(uid api.UID) *waitingPod {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	return s.waiting[uid]
}

// WaitingPod implements fw.Handle.
func (s *Scheduler) WaitingPod(uid api.UID) fw.WaitingPod {
	if w := s.waitingPod(uid); w != nil {
		return w
	}
	return nil
}

// IterateWaitingPods implements fw.Handle.
func (s *Scheduler) IterateWaitingPods(f func(fw.WaitingPod)) {
	s.waitMu.Lock()
	ws := make([]*waitingPod, 0, len(s.waiting))
	for _, w := range s.waiting {
		ws = append(ws, w)
	}
	s.waitMu.Unlock()
	for _, w := range ws {
		f(w)
	}
}

func (s *Scheduler) groupWaiting(group string) []*waitingPod {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	var out []*waitingPod
	for _, w := range s.waiting {
		if w.info.Group == group {
			out = append(out, w)
		}
	}
	return out
}

// rejectGroup rejects every waiting member of group: their reservations
// are released and they are retried later, whole.
func (s *Scheduler) rejectGroup(group, msg string) {
	for _, w := range s.groupWaiting(group) {
		w.Reject(gangPlugin, msg)
	}
}

// allowGroup lets every waiting member of group bind.
func (s *Scheduler) allowGroup(group string) {
	for _, w := range s.groupWaiting(group) {
		w.Allow(gangPlugin)
	}
}

// gangEvents are the events after which a rejected gang is retried.
const gangEvents = fw.NodeAdd | fw.NodeUpdate | fw.AssignedPodDelete | fw.AssignedPodUpdate | fw.PodGroupChange

// scheduleGang places the queued members of first's PodGroup as one unit,
// one after the other in this goroutine, so no other pod interleaves.
//
//   - While fewer than minMember members exist (queued plus already
//     placed), none is placed: they wait, unschedulable, for the rest
//     (a new member requeues them). This is what keeps gangs that arrive
//     gradually from each holding part of the cluster.
//   - If a member does not fit while fewer than minMember are placed,
//     every member placed so far is rejected at once and the group waits
//     whole for a cluster event: two gangs that cannot both fit never
//     deadlock; one is placed whole, the other waits whole.
//   - Placed members wait at Permit, holding their reservations, until
//     minMember are placed; if that does not happen within the group's
//     scheduleTimeoutSeconds, all are released and retried later.
func (s *Scheduler) scheduleGang(ctx context.Context, first *queuedPod) {
	members := append([]*queuedPod{first}, s.queue.PopGroup(first.info.Group)...)
	slices.SortStableFunc(members[1:], func(a, b *queuedPod) int { return a.timestamp.Compare(b.timestamp) })
	group := first.info.Group
	pg, ok := s.podGroup(first.info)
	if !ok {
		msg := fmt.Sprintf("pod group %q not found", first.info.Pod.Labels[api.LabelPodGroup])
		for _, m := range members {
			s.queue.AddUnschedulable(m, fw.PodGroupChange)
			s.recordFailure(m.info.Pod, msg)
		}
		return
	}
	timeout := 60 * time.Second
	if t := pg.Spec.ScheduleTimeoutSeconds; t != nil && *t > 0 {
		timeout = time.Duration(*t) * time.Second
	}
	g := &gangInfo{name: group, minMember: int(pg.Spec.MinMember), timeout: timeout}
	if known := len(members) + s.cache.GroupPlaced(group); known < g.minMember {
		msg := fmt.Sprintf("pod group %s has %d of its %d minimum members", group, known, g.minMember)
		for _, m := range members {
			s.queue.AddUnschedulable(m, fw.PodGroupChange)
			s.recordFailure(m.info.Pod, msg)
		}
		return
	}
	failed := false
	for i, m := range members {
		if ctx.Err() != nil {
			for _, r := range members[i:] {
				s.queue.AddBackoff(r)
			}
			break
		}
		if failed {
			// Once the group cannot be completed, do not hold resources
			// for the rest: they wait whole.
			s.queue.AddUnschedulable(m, gangEvents)
			s.recordFailure(m.info.Pod, fmt.Sprintf("pod group %s cannot be placed whole now", group))
			continue
		}
		if !s.scheduleOne(ctx, m, g) {
			failed = true
		}
	}
	placed := s.cache.GroupPlaced(group)
	switch {
	case placed >= g.minMember:
		s.allowGroup(group)
	case failed:
		s.rejectGroup(group, fmt.Sprintf("pod group %s cannot be placed whole now: only %d of %d members fit", group, placed, g.minMember))
	}
}

func (s *Scheduler) podGroup(p *fw.PodInfo) (*api.PodGroup, bool) {
	return s.groups.Get(p.Pod.Namespace, p.Pod.Labels[api.LabelPodGroup])
}

// bindCycle waits at Permit if needed, then PreBind, Bind and PostBind.
func (s *Scheduler) bindCycle(ctx context.Context, prof *profile, cs *fw.CycleState, qp *queuedPod, node string, wp *waitingPod, waiting bool) {
	pod := qp.info
	start := s.clock.Now()
	if waiting {
		var st *fw.Status
		select {
		case st = <-wp.done:
		case <-ctx.Done():
			st = fw.NewStatus(fw.Error, "scheduler stopping")
		}
		s.removeWaiting(pod.Pod.UID)
		if !st.IsSuccess() {
			s.unreserve(ctx, prof, cs, pod, node)
			if st.Code() == fw.Error {
				s.queue.AddBackoff(qp)
				return
			}
			s.recordFailure(pod.Pod, st.Message())
			ev := prof.events[st.Plugin()]
			if st.Plugin() == gangPlugin || ev == 0 {
				ev = gangEvents
			}
			s.queue.AddUnschedulable(qp, ev)
			return
		}
		select {
		case s.bindSem <- struct{}{}:
		case <-ctx.Done():
			s.unreserve(ctx, prof, cs, pod, node)
			s.queue.AddBackoff(qp)
			return
		}
	}
	defer func() { <-s.bindSem }()
	fail := func(st *fw.Status) {
		s.unreserve(ctx, prof, cs, pod, node)
		s.failAttempt(qp, prof, st, start)
	}
	for _, p := range prof.preBind {
		if st := p.PreBind(ctx, cs, pod, node); !st.IsSuccess() {
			fail(st.WithPlugin(p.Name()))
			return
		}
	}
	bound := false
	for _, p := range prof.bind {
		st := p.Bind(ctx, cs, pod, node)
		if st.IsSkip() {
			continue
		}
		if !st.IsSuccess() {
			fail(st.WithPlugin(p.Name()))
			return
		}
		bound = true
		break
	}
	if !bound {
		if err := s.bindToStore(ctx, pod.Pod, node); err != nil {
			if errors.Is(err, ErrAlreadyBound) {
				// Another scheduler won: the store's view will arrive
				// through the informer and replace our assumption.
				s.cache.Forget(pod.Pod.UID)
				s.queue.Done(pod.Pod.UID)
				return
			}
			s.log.Warn("sched: bind", "pod", podKey(pod.Pod), "node", node, "err", err)
			fail(fw.AsStatus(err))
			return
		}
	}
	s.queue.Done(pod.Pod.UID)
	s.clearNomination(pod.Pod.UID)
	s.events.forget(pod.Pod.UID)
	s.metrics.bound(qp, s.clock.Now())
	s.statLastBind.Store(time.Now().UnixNano())
	s.statBound.Add(1)
	for _, p := range prof.postBind {
		p.PostBind(ctx, cs, pod, node)
	}
}

// bindToStore writes spec.nodeName with compare-and-swap on the
// resourceVersion the scheduler decided on, then sets PodScheduled=True.
//
// Two schedulers cannot both bind a pod: the second Update fails with
// ErrConflict, and on re-reading the pod it finds spec.nodeName set and
// gives up (ErrAlreadyBound). A conflict caused by an unrelated change
// (labels, status) is retried against the fresh object. The node is
// checked in the cache just before the write; a node deleted between that
// check and the write leaves a pod bound to a missing node, which the node
// lifecycle controller handles like any pod of a lost node (the residual
// race is one store round-trip wide).
func (s *Scheduler) bindToStore(ctx context.Context, pod *api.Pod, node string) error {
	cur := pod
	for attempt := 0; ; attempt++ {
		if !s.cache.HasNode(node) {
			return fmt.Errorf("sched: bind %s to %s: %w", podKey(pod), node, ErrNodeGone)
		}
		cp := *cur // shallow: only spec.nodeName changes
		cp.Spec.NodeName = node
		out, err := s.st.Update(ctx, &cp)
		if err == nil {
			cur = out.(*api.Pod)
			break
		}
		if !errors.Is(err, store.ErrConflict) || attempt >= 3 {
			return fmt.Errorf("sched: bind %s to %s: %w", podKey(pod), node, err)
		}
		fresh, gerr := s.st.Get(ctx, api.KindPod, pod.Namespace, pod.Name)
		if gerr != nil {
			return fmt.Errorf("sched: bind %s: %w", podKey(pod), gerr)
		}
		cur = fresh.(*api.Pod)
		if cur.UID != pod.UID {
			return fmt.Errorf("sched: bind %s: pod was replaced: %w", podKey(pod), store.ErrNotFound)
		}
		if cur.Spec.NodeName != "" {
			return fmt.Errorf("%w: %s is on %s", ErrAlreadyBound, podKey(pod), cur.Spec.NodeName)
		}
	}
	// PodScheduled=True. The binding is done; a failure here is logged,
	// not retried as a scheduling failure.
	for attempt := 0; attempt < 3; attempt++ {
		cp := *cur
		cp.Status.Conditions = setCondition(cur.Status.Conditions, api.PodCondition{
			Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: s.clock.Now(),
		})
		cp.Status.NominatedNodeName = ""
		if _, err := s.st.UpdateStatus(ctx, &cp); err == nil || !errors.Is(err, store.ErrConflict) {
			if err != nil {
				s.log.Warn("sched: set PodScheduled", "pod", podKey(pod), "err", err)
			}
			return nil
		}
		fresh, err := s.st.Get(ctx, api.KindPod, pod.Namespace, pod.Name)
		if err != nil {
			return nil
		}
		cur = fresh.(*api.Pod)
	}
	return nil
}

// setCondition returns conds with c replacing the condition of its type
// (a new slice; conds is shared and left alone). The transition time is
// kept when the status does not change.
func setCondition(conds []api.PodCondition, c api.PodCondition) []api.PodCondition {
	out := make([]api.PodCondition, 0, len(conds)+1)
	found := false
	for _, o := range conds {
		if o.Type == c.Type {
			if o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
			out = append(out, c)
			found = true
			continue
		}
		out = append(out, o)
	}
	if !found {
		out = append(out, c)
	}
	return out
}

// recordFailure sets PodScheduled=False with msg on the pod (when it
// changed) and emits an aggregated FailedScheduling event.
func (s *Scheduler) recordFailure(pod *api.Pod, msg string) {
	s.events.record(pod, msg)
	for _, c := range pod.Status.Conditions {
		if c.Type == api.PodScheduled && c.Status == api.ConditionFalse && c.Message == msg {
			return
		}
	}
	s.events.setCondition(pod, msg)
}
