package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func key(name string) reconcile.Request {
	return reconcile.Request{Kind: api.KindPod, Namespace: "default", Name: name}
}

func newQueue(t *testing.T, rl reconcile.RateLimit) (*reconcile.Queue, *reconciletest.Clock) {
	t.Helper()
	clk := reconciletest.NewClock(t0)
	q := reconcile.NewQueue(reconcile.QueueConfig{Clock: clk, RateLimit: rl})
	t.Cleanup(q.ShutDown)
	return q, clk
}

func mustGet(t *testing.T, q *reconcile.Queue) reconcile.Request {
	t.Helper()
	r, err := q.Get(context.Background())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return r
}

func TestQueueDeduplicates(t *testing.T) {
	q, _ := newQueue(t, reconcile.RateLimit{})
	for range 3 {
		q.Add(key("a"))
	}
	q.Add(key("b"))
	q.Add(key("a"))
	if got := q.Len(); got != 2 {
		t.Fatalf("Len = %d, want 2", got)
	}
	if got := mustGet(t, q); got != key("a") {
		t.Fatalf("first = %v, want a (FIFO)", got)
	}
	if got := mustGet(t, q); got != key("b") {
		t.Fatalf("second = %v, want b", got)
	}
	if got := q.Len(); got != 0 {
		t.Fatalf("Len after draining = %d", got)
	}
}

func TestQueueNeverHandsOutAProcessingKey(t *testing.T) {
	q, _ := newQueue(t, reconcile.RateLimit{})
	q.Add(key("a"))
	r := mustGet(t, q)
	q.Add(key("a")) // changed while processing
	q.Add(key("a"))
	if got := q.Len(); got != 0 {
		t.Fatalf("a processing key was made ready: Len = %d", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with nothing ready = %v, want context.Canceled", err)
	}
	q.Done(r)
	if got := q.Len(); got != 1 {
		t.Fatalf("after Done, Len = %d, want 1 (the change must not be lost)", got)
	}
	q.Done(mustGet(t, q))
	if got := q.Len(); got != 0 {
		t.Fatalf("Len = %d after second Done, want 0", got)
	}
}

// TestQueueConcurrentWorkers hammers the queue with adds and workers and
// checks that no key is ever held by two workers and that every key added
// is processed after its last add.
func TestQueueConcurrentWorkers(t *testing.T) {
	q := reconcile.NewQueue(reconcile.QueueConfig{})
	const keys, adds, workers = 20, 2000, 8
	var inFlight [keys]atomic.Int32
	var lastAdd, lastDone [keys]atomic.Int64
	var violations atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				r, err := q.Get(ctx)
				if err != nil {
					return
				}
				var i int
				fmt.Sscanf(r.Name, "k%d", &i)
				if inFlight[i].Add(1) != 1 {
					violations.Add(1)
				}
				seen := lastAdd[i].Load()
				inFlight[i].Add(-1)
				lastDone[i].Store(seen)
				q.Done(r)
			}
		})
	}
	for n := 1; n <= adds; n++ {
		i := n % keys
		lastAdd[i].Store(int64(n))
		q.Add(key(fmt.Sprintf("k%d", i)))
	}
	reconciletest.Eventually(t, func() bool {
		for i := range keys {
			if lastDone[i].Load() != lastAdd[i].Load() {
				return false
			}
		}
		return true
	}, "every key processed after its last add")
	cancel()
	wg.Wait()
	q.ShutDown()
	if v := violations.Load(); v != 0 {
		t.Fatalf("%d times a key was processed by two workers at once", v)
	}
}

func TestQueueBackoffDoublesPerKey(t *testing.T) {
	q, clk := newQueue(t, reconcile.RateLimit{BaseDelay: 10 * time.Millisecond, MaxDelay: 40 * time.Millisecond, QPS: 1e6, Burst: 1e6})
	a := key("a")
	for i, want := range []time.Duration{10, 20, 40, 40} {
		want *= time.Millisecond
		q.AddRateLimited(a)
		if got := q.NumRequeues(a); got != i+1 {
			t.Fatalf("NumRequeues = %d, want %d", got, i+1)
		}
		reconciletest.WaitTimers(t, clk, 1)
		clk.Advance(want - time.Millisecond)
		if q.Len() != 0 {
			t.Fatalf("retry %d ready before its back-off of %v", i, want)
		}
		clk.Advance(time.Millisecond)
		reconciletest.Eventually(t, func() bool { return q.Len() == 1 }, "retry %d ready after %v", i, want)
		q.Done(mustGet(t, q))
	}
	q.Forget(a)
	if got := q.NumRequeues(a); got != 0 {
		t.Fatalf("NumRequeues after Forget = %d", got)
	}
	q.AddRateLimited(a)
	reconciletest.WaitTimers(t, clk, 1)
	clk.Advance(10 * time.Millisecond)
	reconciletest.Eventually(t, func() bool { return q.Len() == 1 }, "back-off restarts at the base delay after Forget")
}

func TestQueueOverallRateLimit(t *testing.T) {
	// Burst 2 at 1 QPS: the third and fourth retries (of other keys, each
	// with a tiny per-key delay) wait 1s and 2s for tokens.
	q, clk := newQueue(t, reconcile.RateLimit{BaseDelay: time.Millisecond, QPS: 1, Burst: 2})
	for _, n := range []string{"a", "b", "c", "d"} {
		q.AddRateLimited(key(n))
	}
	reconciletest.WaitTimers(t, clk, 1)
	clk.Advance(time.Millisecond)
	reconciletest.Eventually(t, func() bool { return q.Len() == 2 }, "burst of 2 ready, have %d", q.Len())
	reconciletest.WaitTimers(t, clk, 1)
	clk.Advance(time.Second - 2*time.Millisecond)
	if q.Len() != 2 {
		t.Fatalf("third retry ready before a token refilled")
	}
	clk.Advance(2 * time.Millisecond)
	reconciletest.Eventually(t, func() bool { return q.Len() == 3 }, "third ready after 1s")
	reconciletest.WaitTimers(t, clk, 1)
	clk.Advance(time.Second)
	reconciletest.Eventually(t, func() bool { return q.Len() == 4 }, "fourth ready after 2s")
}

func TestQueueAddAfterEarliestWinsAndAddOverrides(t *testing.T) {
	q, clk := newQueue(t, reconcile.RateLimit{})
	q.AddAfter(key("a"), time.Minute)
	q.AddAfter(key("a"), time.Second)
	q.AddAfter(key("a"), time.Hour)
	reconciletest.WaitTimers(t, clk, 1)
	clk.Advance(time.Second)
	reconciletest.Eventually(t, func() bool { return q.Len() == 1 }, "earliest deadline wins")
	q.Done(mustGet(t, q))
	clk.Advance(time.Hour)
	if q.Len() != 0 {
		t.Fatalf("a delayed key fired twice")
	}
	q.AddAfter(key("b"), time.Hour)
	q.Add(key("b"))
	if q.Len() != 1 {
		t.Fatalf("Add of a delayed key must make it ready now")
	}
	q.Done(mustGet(t, q))
	clk.Advance(2 * time.Hour)
	if q.Len() != 0 {
		t.Fatalf("Add must cancel the pending delay")
	}
}

func TestQueueShutDownDrains(t *testing.T) {
	q, _ := newQueue(t, reconcile.RateLimit{})
	q.Add(key("a"))
	q.Add(key("b"))
	q.AddAfter(key("c"), time.Hour)
	q.ShutDown()
	q.ShutDown() // idempotent
	q.Add(key("d"))
	var got []string
	for {
		r, err := q.Get(context.Background())
		if errors.Is(err, reconcile.ErrShutDown) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Name)
		q.Done(r)
	}
	if fmt.Sprint(got) != "[a b]" {
		t.Fatalf("drained %v, want [a b]", got)
	}
	if !q.ShuttingDown() {
		t.Fatal("ShuttingDown = false")
	}
}

func TestQueueShutDownWakesBlockedGet(t *testing.T) {
	q, _ := newQueue(t, reconcile.RateLimit{})
	errc := make(chan error, 1)
	go func() { _, err := q.Get(context.Background()); errc <- err }()
	q.ShutDown()
	if err := <-errc; !errors.Is(err, reconcile.ErrShutDown) {
		t.Fatalf("Get = %v, want ErrShutDown", err)
	}
}
