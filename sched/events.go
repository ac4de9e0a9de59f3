package sched

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// eventRecorder writes FailedScheduling events and PodScheduled=False
// conditions from one goroutine. Events are aggregated per pod: the first
// failure is written at once, repeats within the interval are counted and
// written together (Count, LastTimestamp) when the interval has passed;
// all writes share a token bucket of rate per second. Conditions are
// written once per distinct message. Memory is bounded by the number of
// pending pods.
type eventRecorder struct {
	st       store.Store
	clock    Clock
	interval time.Duration
	rate     float64
	log      *slog.Logger

	mu     sync.Mutex
	events map[api.UID]*podEvent
	conds  map[api.UID]condWrite
	signal chan struct{}

	tokens float64
	last   time.Time
}

type podEvent struct {
	pod       api.ObjectReference
	msg       string
	unsent    int32
	count     int32
	first     time.Time
	lastSeen  time.Time
	lastWrite time.Time
	stored    *api.Event
}

type condWrite struct {
	pod *api.Pod
	msg string
}

func newEventRecorder(st store.Store, clock Clock, interval time.Duration, rate float64, log *slog.Logger) *eventRecorder {
	return &eventRecorder{
		st: st, clock: clock, interval: interval, rate: rate, log: log,
		events: map[api.UID]*podEvent{}, conds: map[api.UID]condWrite{},
		signal: make(chan struct{}, 1), tokens: rate,
	}
}

func (r *eventRecorder) wake() {
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

func (r *eventRecorder) record(pod *api.Pod, msg string) {
	now := r.clock.Now()
	r.mu.Lock()
	e, ok := r.events[pod.UID]
	if !ok {
		e = &podEvent{pod: api.ObjectReference{Kind: string(api.KindPod), Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID, APIVersion: "v1"}, first: now}
		r.events[pod.UID] = e
	}
	e.msg, e.lastSeen = msg, now
	e.unsent++
	r.mu.Unlock()
	r.wake()
}

func (r *eventRecorder) setCondition(pod *api.Pod, msg string) {
	r.mu.Lock()
	r.conds[pod.UID] = condWrite{pod: pod, msg: msg}
	r.mu.Unlock()
	r.wake()
}

// forget drops a pod's pending writes (it was bound or deleted).
func (r *eventRecorder) forget(uid api.UID) {
	r.mu.Lock()
	delete(r.events, uid)
	delete(r.conds, uid)
	r.mu.Unlock()
}

func (r *eventRecorder) allow(now time.Time) bool {
	if !r.last.IsZero() {
		r.tokens += now.Sub(r.last).Seconds() * r.rate
		if r.tokens > r.rate {
			r.tokens = r.rate
		}
	}
	r.last = now
	if r.tokens < 1 {
		return false
	}
	r.tokens--
	return true
}

func (r *eventRecorder) run(ctx context.Context) {
	for {
		r.flush(ctx)
		select {
		case <-ctx.Done():
			return
		case <-r.signal:
		case <-r.clock.After(time.Second):
		}
	}
}

func (r *eventRecorder) flush(ctx context.Context) {
	r.mu.Lock()
	conds := r.conds
	r.conds = map[api.UID]condWrite{}
	r.mu.Unlock()
	for _, c := range conds {
		if ctx.Err() != nil {
			return
		}
		r.writeCondition(ctx, c)
	}
	now := r.clock.Now()
	r.mu.Lock()
	var due []*podEvent
	for _, e := range r.events {
		if e.unsent > 0 && (e.stored == nil || now.Sub(e.lastWrite) >= r.interval) {
			due = append(due, e)
		}
	}
	r.mu.Unlock()
	for _, e := range due {
		if ctx.Err() != nil || !r.allow(now) {
			return // the rest waits for tokens
		}
		r.writeEvent(ctx, e, now)
	}
}

func (r *eventRecorder) writeEvent(ctx context.Context, e *podEvent, now time.Time) {
	r.mu.Lock()
	n, msg, first, last := e.unsent, e.msg, e.first, e.lastSeen
	e.unsent = 0
	e.count += n
	count := e.count
	stored := e.stored
	r.mu.Unlock()
	var out api.Object
	var err error
	if stored == nil {
		ev := &api.Event{
			ObjectMeta:     api.ObjectMeta{Namespace: e.pod.Namespace, Name: fmt.Sprintf("%s.%x", e.pod.Name, now.UnixNano())},
			InvolvedObject: e.pod, Reason: "FailedScheduling", Message: msg, Type: "Warning",
			Count: count, FirstTimestamp: first, LastTimestamp: last,
			Source: api.EventSource{Component: DefaultSchedulerName},
		}
		out, err = r.st.Create(ctx, ev)
	} else {
		ev := *stored
		ev.Message, ev.Count, ev.LastTimestamp = msg, count, last
		ev.ResourceVersion = 0
		out, err = r.st.Update(ctx, &ev)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			r.log.Warn("sched: write event", "pod", e.pod.Namespace+"/"+e.pod.Name, "err", err)
		}
		e.unsent += n
		e.count -= n
		if errors.Is(err, store.ErrNotFound) {
			e.stored = nil
		}
		return
	}
	e.stored = out.(*api.Event)
	e.lastWrite = now
}

func (r *eventRecorder) writeCondition(ctx context.Context, c condWrite) {
	cur := c.pod
	for attempt := 0; attempt < 3; attempt++ {
		if cur.Spec.NodeName != "" || cur.UID != c.pod.UID {
			return
		}
		cp := *cur
		cp.Status.Conditions = setCondition(cur.Status.Conditions, api.PodCondition{
			Type: api.PodScheduled, Status: api.ConditionFalse, Reason: "Unschedulable",
			Message: c.msg, LastTransitionTime: r.clock.Now(),
		})
		_, err := r.st.UpdateStatus(ctx, &cp)
		if err == nil || !errors.Is(err, store.ErrConflict) {
			if err != nil && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
				r.log.Warn("sched: set PodScheduled=False", "pod", c.pod.Namespace+"/"+c.pod.Name, "err", err)
			}
			return
		}
		fresh, err := r.st.Get(ctx, api.KindPod, c.pod.Namespace, c.pod.Name)
		if err != nil {
			return
		}
		cur = fresh.(*api.Pod)
	}
}
