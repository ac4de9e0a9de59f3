package reconcile

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// ErrShutDown is returned by Queue.Get once the queue is shut down and
// drained.
var ErrShutDown = errors.New("reconcile: queue shut down")

// QueueConfig configures a Queue.
type QueueConfig struct {
	// Clock times delays. Defaults to RealClock.
	Clock Clock
	// RateLimit bounds retries. Zero fields take their defaults.
	RateLimit RateLimit
	// Observer, when set, is told about depth changes and waits (metrics).
	Observer QueueObserver
}

// QueueObserver receives the queue's measurements. Calls are made with
// the queue's lock held: they must be quick and must not call the queue.
type QueueObserver interface {
	// Depth is the number of keys ready to be handed out.
	Depth(n int)
	// Waited is how long a key waited between becoming ready and being
	// handed to a worker.
	Waited(d time.Duration)
}

// Queue is a work queue of requests. Safe for concurrent use.
//
// Guarantees:
//   - De-duplication: a key is queued at most once; adding a queued key is
//     a no-op (and an earlier AddAfter deadline wins over a later one).
//   - Exclusion: between Get and Done a key is "processing"; Get never
//     hands out a processing key. If it is added meanwhile, it is queued
//     again when Done is called, so no change is lost.
//   - FIFO order among ready keys.
//   - Retries through AddRateLimited wait for the per-key exponential
//     back-off and the overall token bucket (RateLimit); Forget resets the
//     per-key part.
//   - After ShutDown, Add is ignored and Get hands out the keys already
//     ready, then returns ErrShutDown; delayed keys are dropped.
type Queue struct {
	clock   Clock
	limiter *limiter
	obs     QueueObserver

	mu         sync.Mutex
	cond       *sync.Cond
	ready      []Request
	readyAt    map[Request]time.Time // queued (ready) keys, with when they became ready
	dirty      map[Request]bool      // added while processing
	processing map[Request]bool
	delayed    delayHeap
	delayedIdx map[Request]*delayItem
	shutdown   bool
	looping    bool // the timer goroutine was started
	wake       chan struct{}
	done       chan struct{}
}

// NewQueue returns a running queue. Its timer goroutine starts with the
// first delayed add; ShutDown stops it and waits for it. A queue that
// never delays a key starts no goroutine.
func NewQueue(cfg QueueConfig) *Queue {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	q := &Queue{
		clock:      cfg.Clock,
		limiter:    newLimiter(cfg.RateLimit.withDefaults(), cfg.Clock),
		obs:        cfg.Observer,
		readyAt:    make(map[Request]time.Time),
		dirty:      make(map[Request]bool),
		processing: make(map[Request]bool),
		delayedIdx: make(map[Request]*delayItem),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues req now.
func (q *Queue) Add(req Request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(req)
}

func (q *Queue) addLocked(req Request) {
	if q.shutdown {
		return
	}
	if it, ok := q.delayedIdx[req]; ok {
		heap.Remove(&q.delayed, it.index)
		delete(q.delayedIdx, req)
	}
	if q.processing[req] {
		q.dirty[req] = true
		return
	}
	if _, ok := q.readyAt[req]; ok {
		return
	}
	q.readyAt[req] = q.clock.Now()
	q.ready = append(q.ready, req)
	q.observeDepth()
	q.cond.Signal()
}

// AddAfter queues req once d has passed (at once if d <= 0). If req is
// already delayed, the earlier deadline wins; if it is already ready,
// nothing changes.
func (q *Queue) AddAfter(req Request, d time.Duration) {
	if d <= 0 {
		q.Add(req)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return
	}
	if _, ok := q.readyAt[req]; ok && !q.processing[req] {
		return
	}
	at := q.clock.Now().Add(d)
	if it, ok := q.delayedIdx[req]; ok {
		if at.Before(it.at) {
			it.at = at
			heap.Fix(&q.delayed, it.index)
			q.poke()
		}
		return
	}
	if !q.looping {
		q.looping = true
		go q.timerLoop()
	}
	it := &delayItem{req: req, at: at}
	heap.Push(&q.delayed, it)
	q.delayedIdx[req] = it
	q.poke()
}

// AddRateLimited queues req after its back-off (see RateLimit).
func (q *Queue) AddRateLimited(req Request) {
	q.AddAfter(req, q.limiter.when(req))
}

// Forget resets req's failure count, ending its back-off.
func (q *Queue) Forget(req Request) { q.limiter.forget(req) }

// NumRequeues returns how many rate-limited retries req has had since it
// was last forgotten.
func (q *Queue) NumRequeues(req Request) int { return q.limiter.numRequeues(req) }

// Len returns the number of ready keys (not counting delayed ones).
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ready)
}

// Get blocks until a key is ready and hands it out; the caller must call
// Done with it. It returns ErrShutDown once the queue is shut down and
// drained, and ctx's error if ctx ends first.
func (q *Queue) Get(ctx context.Context) (Request, error) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.shutdown && ctx.Err() == nil {
		q.cond.Wait()
	}
	if ctx.Err() != nil {
		return Request{}, ctx.Err()
	}
	if len(q.ready) == 0 {
		return Request{}, ErrShutDown
	}
	req := q.ready[0]
	q.ready[0] = Request{}
	q.ready = q.ready[1:]
	if q.obs != nil {
		q.obs.Waited(q.clock.Now().Sub(q.readyAt[req]))
	}
	delete(q.readyAt, req)
	q.processing[req] = true
	q.observeDepth()
	return req, nil
}

// Done ends the processing of req, queueing it again if it was added
// meanwhile.
func (q *Queue) Done(req Request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, req)
	if q.dirty[req] {
		delete(q.dirty, req)
		q.addLocked(req)
	}
	if len(q.processing) == 0 {
		q.cond.Broadcast() // for ShutDown's drain of in-flight keys
	}
}

// ShutDown stops the queue: Add is ignored from now on, delayed keys are
// dropped, blocked Gets drain the ready keys and then return ErrShutDown.
// It waits for the queue's goroutine. Idempotent.
func (q *Queue) ShutDown() {
	q.mu.Lock()
	first := !q.shutdown
	q.shutdown = true
	q.delayed = nil
	clear(q.delayedIdx)
	q.cond.Broadcast()
	looping := q.looping
	q.mu.Unlock()
	if !looping {
		return
	}
	if first {
		q.poke()
	}
	<-q.done
}

// ShuttingDown reports whether ShutDown was called.
func (q *Queue) ShuttingDown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shutdown
}

func (q *Queue) observeDepth() {
	if q.obs != nil {
		q.obs.Depth(len(q.ready))
	}
}

func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// timerLoop moves delayed keys to the ready list when they are due.
func (q *Queue) timerLoop() {
	defer close(q.done)
	for {
		q.mu.Lock()
		if q.shutdown {
			q.mu.Unlock()
			return
		}
		now := q.clock.Now()
		for q.delayed.Len() > 0 && !q.delayed[0].at.After(now) {
			it := heap.Pop(&q.delayed).(*delayItem)
			delete(q.delayedIdx, it.req)
			q.addLocked(it.req)
		}
		var next time.Duration = -1
		if q.delayed.Len() > 0 {
			next = q.delayed[0].at.Sub(now)
		}
		q.mu.Unlock()
		if next < 0 {
			<-q.wake
			continue
		}
		t := q.clock.NewTimer(next)
		select {
		case <-q.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

type delayItem struct {
	req   Request
	at    time.Time
	index int
}

type delayHeap []*delayItem

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h delayHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *delayHeap) Push(x any) {
	it := x.(*delayItem)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *delayHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}
