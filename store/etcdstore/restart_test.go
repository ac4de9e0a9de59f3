package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// writeThrough creates pod ns/name, retrying through an outage. A retry
// after an outage may find that the first attempt did commit.
func writeThrough(ctx context.Context, s store.Store, name string) error {
	for {
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, err := s.Create(cctx, pod("ns", name, nil))
		cancel()
		switch {
		case err == nil, errors.Is(err, store.ErrAlreadyExists):
			return nil
		case errors.Is(err, store.ErrUnavailable):
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		default:
			return err
		}
	}
}

// TestWatchAcrossRestart: etcd restarts while a watch is open and a
// writer keeps writing through the outage. The same watch (no relist)
// delivers every object exactly once, in revision order.
func TestWatchAcrossRestart(t *testing.T) {
	s, srv := newStore(t)
	ctx := ctxT(t)
	w, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	const n = 60
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	restarted := make(chan struct{})
	wg.Go(func() {
		for i := range n {
			if i == n/2 {
				<-restarted // half before, half after the restart
			}
			if err := writeThrough(ctx, s, fmt.Sprintf("p%d", i)); err != nil {
				errc <- err
				return
			}
		}
	})
	// Restart once the first half is seen.
	seen := map[string]int{}
	var last int64
	for len(seen) < n {
		e := nextChange(t, w)
		if e.Revision <= last {
			t.Fatalf("event at %d after %d: out of order or duplicated", e.Revision, last)
		}
		last = e.Revision
		if e.Type != store.Added {
			t.Fatalf("unexpected %v of %s", e.Type, e.Object.Meta().Name)
		}
		seen[e.Object.Meta().Name]++
		if len(seen) == n/2 {
			start := time.Now()
			srv.Restart(t)
			t.Logf("restart took %v", time.Since(start))
			close(restarted)
		}
	}
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	for name, c := range seen {
		if c != 1 {
			t.Fatalf("%s delivered %d times", name, c)
		}
	}
}

// recorder checks an informer's handler calls: per object, changes arrive
// with growing resourceVersions, an add only for an object not present, a
// delete only for one present.
type recorder struct {
	mu         sync.Mutex
	objs       map[string]int64
	violations []string
}

func (r *recorder) OnAdd(p *api.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.objs[p.Name]; ok {
		r.violations = append(r.violations, "add of present "+p.Name)
	}
	r.objs[p.Name] = p.ResourceVersion
}

func (r *recorder) OnUpdate(old, p *api.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.objs[p.Name]; !ok || (p.ResourceVersion <= prev && old != p) {
		r.violations = append(r.violations, fmt.Sprintf("update of %s to %d after %d (present %v)", p.Name, p.ResourceVersion, prev, ok))
	}
	r.objs[p.Name] = p.ResourceVersion
}

func (r *recorder) OnDelete(p *api.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.objs[p.Name]; !ok {
		r.violations = append(r.violations, "delete of absent "+p.Name)
	}
	delete(r.objs, p.Name)
}

// converged waits until the recorder holds exactly the store's objects at
// their resourceVersions.
func converged(t *testing.T, s store.Store, r *recorder) {
	t.Helper()
	ctx := ctxT(t)
	l, err := s.List(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, o := range l.Items {
		want[o.Meta().Name] = o.Meta().ResourceVersion
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		ok := len(r.objs) == len(want)
		for k, v := range want {
			ok = ok && r.objs[k] == v
		}
		v := append([]string(nil), r.violations...)
		n := len(r.objs)
		r.mu.Unlock()
		if len(v) > 0 {
			t.Fatalf("informer delivery broken: %v", v)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("informer holds %d objects, store %d: not converged in 30s", n, len(want))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startInformer(t *testing.T, s store.Store) *recorder {
	inf, err := informer.New[*api.Pod](s, informer.Config[*api.Pod]{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{objs: map[string]int64{}}
	inf.AddHandler(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = inf.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// TestInformerAcrossRestart: an informer on etcdstore keeps converging on
// the true state while etcd restarts under a writer that creates, updates
// and deletes.
func TestInformerAcrossRestart(t *testing.T) {
	s, srv := newStore(t)
	ctx := ctxT(t)
	r := startInformer(t, s)
	for i := range 20 {
		if err := writeThrough(ctx, s, fmt.Sprintf("p%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	converged(t, s, r)
	start := time.Now()
	srv.Restart(t)
	t.Logf("restart took %v", time.Since(start))
	for i := range 10 {
		_, _ = s.Delete(ctx, api.KindPod, "ns", fmt.Sprintf("p%d", i))
		if err := writeThrough(ctx, s, fmt.Sprintf("q%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	srv.Restart(t)
	if err := writeThrough(ctx, s, "last"); err != nil {
		t.Fatal(err)
	}
	converged(t, s, r)
}

// cuttable is a store whose watches can be cut off (ended with
// ErrUnavailable, and refused while cut), as a network partition between
// a watcher and etcd does, while writes through the real store go on.
type cuttable struct {
	store.Store
	mu  sync.Mutex
	cut bool
	ws  []store.Watch
	// compacted counts watches refused with ErrCompacted.
	compacted int
}

func (c *cuttable) Watch(ctx context.Context, k api.Kind, opts ...store.WatchOption) (store.Watch, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return nil, fmt.Errorf("test: cut off: %w", store.ErrUnavailable)
	}
	w, err := c.Store.Watch(ctx, k, opts...)
	if err == nil {
		c.ws = append(c.ws, w)
	}
	if errors.Is(err, store.ErrCompacted) {
		c.compacted++
	}
	return w, err
}

func (c *cuttable) List(ctx context.Context, k api.Kind, opts ...store.ListOption) (*store.List, error) {
	c.mu.Lock()
	cut := c.cut
	c.mu.Unlock()
	if cut {
		return nil, fmt.Errorf("test: cut off: %w", store.ErrUnavailable)
	}
	return c.Store.List(ctx, k, opts...)
}

func (c *cuttable) setCut(cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = cut
	if cut {
		for _, w := range c.ws {
			w.Stop()
		}
		c.ws = nil
	}
}

// TestLaggingWatcherRelists: a watcher cut off while writes go on and the
// history it would resume from is compacted gets ErrCompacted from
// etcd, relists and converges.
func TestLaggingWatcherRelists(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	c := &cuttable{Store: s}
	r := startInformer(t, c)
	for i := range 10 {
		if err := writeThrough(ctx, s, fmt.Sprintf("p%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	converged(t, s, r)
	c.setCut(true)
	for i := range 5 {
		if _, err := s.Delete(ctx, api.KindPod, "ns", fmt.Sprintf("p%d", i)); err != nil {
			t.Fatal(err)
		}
		if err := writeThrough(ctx, s, fmt.Sprintf("q%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	rev, err := s.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx, rev); err != nil {
		t.Fatal(err)
	}
	c.setCut(false)
	converged(t, s, r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.compacted == 0 {
		t.Fatal("the informer never resumed from a compacted revision: the test did not test a lagging watcher")
	}
}
