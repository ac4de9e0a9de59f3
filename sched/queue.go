package sched

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// Where a queued pod sits.
const (
	inActive = iota + 1
	inBackoff
	inUnschedulable
)

// queuedPod is a pending pod with its queueing state.
type queuedPod struct {
	info *fw.PodInfo
	// timestamp orders pods of equal priority: when the pod last entered
	// the active queue from outside (creation, not a retry).
	timestamp time.Time
	// initialAttempt is when the pod was first queued (for e2e latency).
	initialAttempt time.Time
	attempts       int
	backoffUntil   time.Time
	// rejectedBy is the set of plugin events that could make the pod fit;
	// zero means any event.
	rejectedBy fw.ClusterEvent
	where      int
	index      int
	// popSeq is the queue's move sequence when the pod was popped.
	popSeq uint64
	// updated is a newer version of an in-flight pod.
	updated *fw.PodInfo
}

type podHeap struct {
	items []*queuedPod
	less  func(a, b *queuedPod) bool
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *podHeap) Push(x any) {
	p := x.(*queuedPod)
	p.index = len(h.items)
	h.items = append(h.items, p)
}
func (h *podHeap) Pop() any {
	n := len(h.items) - 1
	p := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	p.index = -1
	return p
}

// schedQueue is the scheduling queue: an active heap ordered by priority
// then age, a back-off heap ordered by expiry, and an unschedulable set
// that only cluster events (MoveOnEvent) empty. It is safe for concurrent
// use.
type schedQueue struct {
	clock          Clock
	initialBackoff time.Duration
	maxBackoff     time.Duration

	mu       sync.Mutex
	active   podHeap
	backoff  podHeap
	unsched  map[api.UID]*queuedPod
	pods     map[api.UID]*queuedPod // every queued pod (not in flight)
	inFlight map[api.UID]*queuedPod
	groups   map[string]map[api.UID]*queuedPod
	moveSeq  uint64
	signal   chan struct{}
}

func newSchedQueue(clock Clock, initial, max time.Duration) *schedQueue {
	q := &schedQueue{
		clock: clock, initialBackoff: initial, maxBackoff: max,
		unsched:  map[api.UID]*queuedPod{},
		pods:     map[api.UID]*queuedPod{},
		inFlight: map[api.UID]*queuedPod{},
		groups:   map[string]map[api.UID]*queuedPod{},
		signal:   make(chan struct{}, 1),
	}
	q.active.less = func(a, b *queuedPod) bool {
		if a.info.Priority != b.info.Priority {
			return a.info.Priority > b.info.Priority
		}
		return a.timestamp.Before(b.timestamp)
	}
	q.backoff.less = func(a, b *queuedPod) bool { return a.backoffUntil.Before(b.backoffUntil) }
	return q
}

func (q *schedQueue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// Add queues a new pending pod, or updates the queued one.
func (q *schedQueue) Add(info *fw.PodInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	uid := info.Pod.UID
	if p, ok := q.inFlight[uid]; ok {
		// The scheduling goroutine reads p.info without the lock; the
		// update is applied when the pod comes back.
		p.updated = info
		return
	}
	if p, ok := q.pods[uid]; ok {
		q.removeGroupLocked(p)
		p.info = info
		q.addGroupLocked(p)
		switch p.where {
		case inActive:
			heap.Fix(&q.active, p.index)
		case inUnschedulable:
			// The pod changed: it may fit now.
			q.requeueLocked(p)
		}
		return
	}
	now := q.clock.Now()
	p := &queuedPod{info: info, timestamp: now, initialAttempt: now}
	q.pods[uid] = p
	q.addGroupLocked(p)
	q.pushActiveLocked(p)
	// A new gang member may complete its group: members waiting for it
	// are retried with it, without back-off.
	if g := info.Group; g != "" {
		for _, m := range q.groups[g] {
			if m.where == inUnschedulable {
				delete(q.unsched, m.info.Pod.UID)
				q.pushActiveLocked(m)
			}
		}
	}
}

func (q *schedQueue) addGroupLocked(p *queuedPod) {
	if g := p.info.Group; g != "" {
		m := q.groups[g]
		if m == nil {
			m = map[api.UID]*queuedPod{}
			q.groups[g] = m
		}
		m[p.info.Pod.UID] = p
	}
}

func (q *schedQueue) removeGroupLocked(p *queuedPod) {
	if g := p.info.Group; g != "" {
		if m := q.groups[g]; m != nil {
			delete(m, p.info.Pod.UID)
			if len(m) == 0 {
				delete(q.groups, g)
			}
		}
	}
}

func (q *schedQueue) pushActiveLocked(p *queuedPod) {
	p.where = inActive
	heap.Push(&q.active, p)
	q.wake()
}

// requeueLocked moves a pod out of unschedulable into backoff or active.
func (q *schedQueue) requeueLocked(p *queuedPod) {
	if p.where == inUnschedulable {
		delete(q.unsched, p.info.Pod.UID)
	}
	if q.clock.Now().Before(p.backoffUntil) {
		p.where = inBackoff
		heap.Push(&q.backoff, p)
		return
	}
	q.pushActiveLocked(p)
}

// Delete drops a pod from the queue (it was deleted or bound elsewhere).
func (q *schedQueue) Delete(uid api.UID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.inFlight, uid)
	p, ok := q.pods[uid]
	if !ok {
		return
	}
	q.removeLocked(p)
}

func (q *schedQueue) removeLocked(p *queuedPod) {
	switch p.where {
	case inActive:
		heap.Remove(&q.active, p.index)
	case inBackoff:
		heap.Remove(&q.backoff, p.index)
	case inUnschedulable:
		delete(q.unsched, p.info.Pod.UID)
	}
	p.where = 0
	delete(q.pods, p.info.Pod.UID)
	q.removeGroupLocked(p)
}

// Pop blocks until a pod is active, and returns it (now in flight).
func (q *schedQueue) Pop(ctx context.Context) (*queuedPod, error) {
	for {
		q.mu.Lock()
		if q.active.Len() > 0 {
			p := heap.Pop(&q.active).(*queuedPod)
			q.takeLocked(p)
			q.mu.Unlock()
			return p, nil
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-q.signal:
		}
	}
}

func (q *schedQueue) takeLocked(p *queuedPod) {
	p.where = 0
	delete(q.pods, p.info.Pod.UID)
	q.removeGroupLocked(p)
	p.popSeq = q.moveSeq
	p.attempts++
	q.inFlight[p.info.Pod.UID] = p
}

// PopGroup takes every other queued member of group (active, backing off
// or unschedulable) so that a gang is tried as one unit.
func (q *schedQueue) PopGroup(group string) []*queuedPod {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*queuedPod
	for _, p := range q.groups[group] {
		out = append(out, p)
	}
	for _, p := range out {
		q.removeLocked(p)
		q.takeLocked(p)
	}
	return out
}

// Done forgets an in-flight pod that was scheduled (or dropped).
func (q *schedQueue) Done(uid api.UID) {
	q.mu.Lock()
	delete(q.inFlight, uid)
	q.mu.Unlock()
}

// backoffFor is initial * 2^(attempts-1), capped.
func (q *schedQueue) backoffFor(attempts int) time.Duration {
	d := q.initialBackoff
	for i := 1; i < attempts && d < q.maxBackoff; i++ {
		d *= 2
	}
	if d > q.maxBackoff {
		d = q.maxBackoff
	}
	return d
}

// AddUnschedulable returns an in-flight pod that did not fit. rejectedBy
// names the events that could help (0: any). If a cluster event happened
// while the pod was in flight, the pod goes to back-off instead, so that
// the event is not missed.
func (q *schedQueue) AddUnschedulable(p *queuedPod, rejectedBy fw.ClusterEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	uid := p.info.Pod.UID
	if _, ok := q.inFlight[uid]; !ok {
		return // deleted meanwhile
	}
	delete(q.inFlight, uid)
	changed := q.applyUpdateLocked(p)
	p.rejectedBy = rejectedBy
	p.backoffUntil = q.clock.Now().Add(q.backoffFor(p.attempts))
	q.pods[uid] = p
	q.addGroupLocked(p)
	if q.moveSeq != p.popSeq || changed {
		p.where = inBackoff
		heap.Push(&q.backoff, p)
		return
	}
	p.where = inUnschedulable
	q.unsched[uid] = p
}

// AddBackoff returns an in-flight pod after an error: it retries after
// its back-off.
func (q *schedQueue) AddBackoff(p *queuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	uid := p.info.Pod.UID
	if _, ok := q.inFlight[uid]; !ok {
		return
	}
	delete(q.inFlight, uid)
	q.applyUpdateLocked(p)
	p.backoffUntil = q.clock.Now().Add(q.backoffFor(p.attempts))
	q.pods[uid] = p
	q.addGroupLocked(p)
	p.where = inBackoff
	heap.Push(&q.backoff, p)
}

func (q *schedQueue) applyUpdateLocked(p *queuedPod) bool {
	if p.updated == nil {
		return false
	}
	p.info, p.updated = p.updated, nil
	return true
}

// MoveOnEvent moves the unschedulable pods that ev could help to back-off
// or active.
func (q *schedQueue) MoveOnEvent(ev fw.ClusterEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveSeq++
	for _, p := range q.unsched {
		if p.rejectedBy == 0 || p.rejectedBy&ev != 0 {
			q.requeueLocked(p)
		}
	}
}

// FlushBackoff moves pods whose back-off has expired to active.
func (q *schedQueue) FlushBackoff() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	for q.backoff.Len() > 0 && !q.backoff.items[0].backoffUntil.After(now) {
		p := heap.Pop(&q.backoff).(*queuedPod)
		q.pushActiveLocked(p)
	}
}

// Lens returns the sizes of the sub-queues.
func (q *schedQueue) Lens() (active, backoff, unsched int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unsched)
}
