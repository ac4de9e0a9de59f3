package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/etcdstore"
)

// collectRevs reads n change events from w and fails unless their
// revisions are exactly from+1, from+2, ... (one writer, so every
// revision is one change).
func collectRevs(t *testing.T, w store.Watch, from int64, n int) {
	t.Helper()
	if err := revsErr(w, from, n); err != nil {
		t.Fatal(err)
	}
}

// revsErr is collectRevs for any goroutine: it returns what is wrong.
func revsErr(w store.Watch, from int64, n int) error {
	timeout := time.After(20 * time.Second)
	for i := 0; i < n; {
		select {
		case e, ok := <-w.Events():
			if !ok {
				return fmt.Errorf("watch ended after %d of %d events: %v", i, n, w.Err())
			}
			if e.Type == store.Bookmark {
				continue
			}
			if want := from + 1 + int64(i); e.Revision != want {
				return fmt.Errorf("event %d at revision %d, want %d (gap or duplicate)", i, e.Revision, want)
			}
			i++
		case <-timeout:
			return fmt.Errorf("%d of %d events within 20s", i, n)
		}
	}
	return nil
}

// TestWatchesShareHistory: watches of one prefix share one etcd watch;
// one that starts in the shared history replays it, one that starts
// before what the history keeps gets its own stream; both see every
// change exactly once.
func TestWatchesShareHistory(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	rev0, _ := s.Revision(ctx)
	first, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop()
	p, err := s.Create(ctx, pod("ns", "a", nil))
	if err != nil {
		t.Fatal(err)
	}
	const n = 2100 // more than the shared history keeps
	for i := 1; i < n; i++ {
		p.Meta().Labels = map[string]string{"i": fmt.Sprint(i)}
		if p, err = s.Update(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	collectRevs(t, first, rev0, n)
	for _, from := range []int64{rev0, rev0 + 5, rev0 + n - 10, rev0 + n - 1} {
		t.Run(fmt.Sprintf("from+%d", from-rev0), func(t *testing.T) {
			w, err := s.Watch(ctx, api.KindPod, store.FromRevision(from))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			collectRevs(t, w, from, int(rev0+n-from))
		})
	}
}

// TestWatchJoinsWhileWriting: watches started at the current revision
// while a writer runs (so the shared stream may lag or lead the start)
// each see exactly the changes after their start.
func TestWatchJoinsWhileWriting(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	base, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer base.Stop()
	p, err := s.Create(ctx, pod("ns", "a", nil))
	if err != nil {
		t.Fatal(err)
	}
	const writes = 400
	done := make(chan int64, 1)
	go func() {
		cur := p
		for i := range writes {
			cur.Meta().Labels = map[string]string{"i": fmt.Sprint(i)}
			next, err := s.Update(context.Background(), cur)
			if err != nil {
				t.Error(err)
				break
			}
			cur = next
		}
		done <- cur.Meta().ResourceVersion
	}()
	type joined struct {
		w    store.Watch
		from int64
	}
	var ws []joined
	for range 20 {
		rev, err := s.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w, err := s.Watch(ctx, api.KindPod, store.FromRevision(rev))
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, joined{w, rev})
	}
	last := <-done
	var wg sync.WaitGroup
	for _, j := range ws {
		wg.Go(func() {
			defer j.w.Stop()
			if err := revsErr(j.w, j.from, int(last-j.from)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// TestWatchHubLifecycle: watches come and go; the last one to leave ends
// the shared stream, and a later watch starts a new one that works (the
// package's TestMain fails on any goroutine left behind).
func TestWatchHubLifecycle(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	for round := range 3 {
		var ws []store.Watch
		for range 5 {
			w, err := s.Watch(ctx, api.KindPod)
			if err != nil {
				t.Fatal(err)
			}
			ws = append(ws, w)
		}
		c, err := s.Create(ctx, pod("ns", fmt.Sprintf("p%d", round), nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			if e := nextChange(t, w); e.Revision != c.Meta().ResourceVersion {
				t.Fatalf("round %d: event at %d, want %d", round, e.Revision, c.Meta().ResourceVersion)
			}
			w.Stop()
			for range w.Events() {
			}
			if err := w.Err(); err != nil {
				t.Fatalf("after Stop: %v", err)
			}
		}
	}
}

// TestSlowWatcherDropped: a watcher that stops reading is ended with
// ErrWatchDropped after a gap-free prefix, while writers and a reading
// watcher of the same stream go on.
func TestSlowWatcherDropped(t *testing.T) {
	srv := etcdtest.StartEmbedded(t, etcdtest.Options{})
	s := storeOn(t, srv, etcdstore.Config{WatchQueue: 50})
	ctx := ctxT(t)
	rev0, _ := s.Revision(ctx)
	slow, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Stop()
	fast, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Stop()
	const n = 1000 // well over the channel buffer plus WatchQueue
	done := make(chan error, 1)
	go func() { done <- revsErr(fast, rev0, n) }()
	p, err := s.Create(ctx, pod("ns", "a", nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < n; i++ {
		p.Meta().Labels = map[string]string{"i": fmt.Sprint(i)}
		if p, err = s.Update(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("reading watcher: %v", err)
	}
	var got int
	for e := range slow.Events() {
		if e.Type == store.Bookmark {
			continue
		}
		got++
		if want := rev0 + int64(got); e.Revision != want {
			t.Fatalf("dropped watcher delivered revision %d as its event %d, want %d", e.Revision, got, want)
		}
	}
	if err := slow.Err(); !errors.Is(err, store.ErrWatchDropped) {
		t.Fatalf("slow watcher ended with %v after %d events, want ErrWatchDropped", err, got)
	}
	if got >= n {
		t.Fatalf("slow watcher delivered all %d events: it was never dropped", got)
	}
}
