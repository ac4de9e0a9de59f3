package informer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/leakcheck"
	"github.com/fleetkit/orchestrator/store"
)

// TestMain fails the package when an informer goroutine (or a goroutine
// of the test helpers here) outlives the tests.
func TestMain(m *testing.M) { leakcheck.Main(m, "store/informer.") }

// fakeClock is a Clock that moves only when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	changed chan struct{} // closed and replaced when waiters change
}

type fakeWaiter struct {
	at time.Time
	d  time.Duration
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_700_000_000, 0), changed: make(chan struct{})}
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), d: d, ch: ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// Advance moves the clock by d and fires the waiters that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitForWaiter blocks until someone waits on the clock and returns the
// duration of the longest pending wait.
func (c *fakeClock) waitForWaiter(t testing.TB) time.Duration {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		n, ch := len(c.waiters), c.changed
		var d time.Duration
		for _, w := range c.waiters {
			d = max(d, w.d)
		}
		c.mu.Unlock()
		if n > 0 {
			return d
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatal("nobody waited on the clock")
		}
	}
}

// autoAdvance fires every wait as soon as it starts, until stop is called:
// back-off becomes instant without real sleeps.
func (c *fakeClock) autoAdvance() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c.mu.Lock()
			var d time.Duration
			for _, w := range c.waiters {
				d = max(d, w.at.Sub(c.now))
			}
			ch := c.changed
			c.mu.Unlock()
			if d > 0 {
				c.Advance(d)
				continue
			}
			select {
			case <-ch:
			case <-done:
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// faultStore wraps a real store and injects the failures an informer must
// survive: dropped watches, failing Lists and Watches, and a gate that
// holds new Lists and Watches while the test changes (and compacts) the
// store behind the informer's back.
type faultStore struct {
	store.Store

	mu          sync.Mutex
	watches     map[*faultWatch]struct{}
	failLists   int
	failWatches int
	dropGen     int           // counts dropWatches calls
	dropErr     error         // the error of the last dropWatches
	gate        chan struct{} // non-nil: List and Watch wait for it to close
	blocked     chan struct{} // closed when a call waits at the gate

	lists, watchCalls atomic.Int64
}

func newFaultStore(s store.Store) *faultStore {
	return &faultStore{Store: s, watches: make(map[*faultWatch]struct{})}
}

// closeGate makes new Lists and Watches wait until openGate.
func (f *faultStore) closeGate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = make(chan struct{})
	f.blocked = make(chan struct{})
}

func (f *faultStore) openGate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.gate)
	f.gate = nil
}

// waitBlocked blocks until a List or Watch is waiting at the gate; false
// if none came (a hang).
func (f *faultStore) waitBlocked() bool {
	f.mu.Lock()
	ch := f.blocked
	f.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-time.After(30 * time.Second):
		return false
	}
}

func (f *faultStore) pass(ctx context.Context) error {
	f.mu.Lock()
	gate, blocked := f.gate, f.blocked
	if gate != nil {
		select {
		case <-blocked:
		default:
			close(blocked)
		}
	}
	f.mu.Unlock()
	if gate == nil {
		return nil
	}
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *faultStore) setFailures(lists, watches int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failLists, f.failWatches = lists, watches
}

func (f *faultStore) List(ctx context.Context, kind api.Kind, opts ...store.ListOption) (*store.List, error) {
	f.lists.Add(1)
	if err := f.pass(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	fail := f.failLists > 0
	if fail {
		f.failLists--
	}
	f.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("faultstore: injected: %w", store.ErrUnavailable)
	}
	return f.Store.List(ctx, kind, opts...)
}

func (f *faultStore) Watch(ctx context.Context, kind api.Kind, opts ...store.WatchOption) (store.Watch, error) {
	f.watchCalls.Add(1)
	if err := f.pass(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	gen := f.dropGen
	fail := f.failWatches > 0
	if fail {
		f.failWatches--
	}
	f.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("faultstore: injected: %w", store.ErrUnavailable)
	}
	inner, err := f.Store.Watch(ctx, kind, opts...)
	if err != nil {
		return nil, err
	}
	fw := &faultWatch{inner: inner, out: make(chan store.Event), kill: make(chan error, 1), done: make(chan struct{})}
	f.mu.Lock()
	f.watches[fw] = struct{}{}
	stale, dropErr := gen != f.dropGen, f.dropErr
	f.mu.Unlock()
	go func() { // owned by fw: Stop waits for it
		defer close(fw.done)
		fw.forward()
		f.mu.Lock()
		delete(f.watches, fw)
		f.mu.Unlock()
	}()
	if stale {
		// Opened while dropWatches ran: it would have been dropped too.
		fw.end(dropErr)
	}
	return fw, nil
}

// dropWatches ends every open watch with err, as a backend does when a
// watcher is too slow (ErrWatchDropped) or the connection breaks.
func (f *faultStore) dropWatches(err error) int {
	f.mu.Lock()
	f.dropGen++
	f.dropErr = err
	ws := slices.Collect(maps.Keys(f.watches))
	f.mu.Unlock()
	for _, w := range ws {
		w.end(err)
	}
	return len(ws)
}

type faultWatch struct {
	inner    store.Watch
	out      chan store.Event
	kill     chan error
	done     chan struct{}
	killOnce sync.Once
	err      atomic.Value // errBox
}

type errBox struct{ err error }

func (w *faultWatch) forward() {
	defer close(w.out)
	defer w.inner.Stop()
	in := w.inner.Events()
	for {
		select {
		case ev, ok := <-in:
			if !ok {
				w.err.Store(errBox{w.inner.Err()})
				return
			}
			select {
			case w.out <- ev:
			case err := <-w.kill:
				w.err.Store(errBox{err})
				return
			}
		case err := <-w.kill:
			w.err.Store(errBox{err})
			return
		}
	}
}

func (w *faultWatch) end(err error) {
	w.killOnce.Do(func() { w.kill <- err })
	<-w.done
}

func (w *faultWatch) Events() <-chan store.Event { return w.out }
func (w *faultWatch) Err() error {
	if b, ok := w.err.Load().(errBox); ok {
		return b.err
	}
	return nil
}
func (w *faultWatch) Stop() { w.end(nil) }
