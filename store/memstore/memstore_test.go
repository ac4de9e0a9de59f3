package memstore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"

	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
	"github.com/fleetkit/orchestrator/store/storetest"
)

func newStore(t *testing.T, cfg memstore.Config) *memstore.Store {
	t.Helper()
	s, err := memstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, memstore.Config{}) })
}

func podNamed(name string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"app": "web"}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "registry.example/app:1"}}},
	}
}

func TestNewRejectsNegativeConfig(t *testing.T) {
	for _, cfg := range []memstore.Config{{HistorySize: -1}, {WatchBuffer: -1}, {ProgressInterval: -time.Second}} {
		if _, err := memstore.New(cfg); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("New(%+v): %v, want ErrInvalid", cfg, err)
		}
	}
}

// A watcher that does not read is dropped when its buffer is full; the
// writer never waits, and the events buffered before the drop arrive in
// order.
func TestSlowWatcherIsDropped(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, memstore.Config{WatchBuffer: 8})
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
	var fastGot []int64
	for i := range 20 {
		p, err := s.Create(ctx, podNamed(fmt.Sprintf("p%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		e := <-fast.Events() // the fast watcher keeps up
		fastGot = append(fastGot, e.Revision)
		if e.Revision != p.Meta().ResourceVersion {
			t.Fatalf("fast watcher got revision %d, want %d", e.Revision, p.Meta().ResourceVersion)
		}
	}
	var slowGot []int64
	for e := range slow.Events() {
		slowGot = append(slowGot, e.Revision)
	}
	if !errors.Is(slow.Err(), store.ErrWatchDropped) {
		t.Fatalf("slow watcher ended with %v, want ErrWatchDropped", slow.Err())
	}
	if diff := cmp.Diff(fastGot[:8], slowGot); diff != "" {
		t.Fatalf("slow watcher's buffered events (-want +got):\n%s", diff)
	}
	if fast.Err() != nil {
		t.Fatalf("fast watcher: %v", fast.Err())
	}
}

// A replay longer than WatchBuffer is delivered whole.
func TestReplayLongerThanBuffer(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, memstore.Config{WatchBuffer: 4})
	if _, err := s.Create(ctx, &api.Node{ObjectMeta: api.ObjectMeta{Name: "n"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := s.Create(ctx, podNamed(fmt.Sprintf("p%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.Watch(ctx, api.KindPod, store.FromRevision(1))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for i := range 100 {
		e := <-w.Events()
		if e.Type != store.Added || e.Revision != int64(i+2) {
			t.Fatalf("replay event %d: %v at %d", i, e.Type, e.Revision)
		}
	}
	if _, err := s.Create(ctx, podNamed("live")); err != nil {
		t.Fatal(err)
	}
	if e := <-w.Events(); e.Object.Meta().Name != "live" {
		t.Fatalf("live event after replay: %v", e.Object.Meta().Name)
	}
}

// History is bounded: once HistorySize changes are kept, older revisions
// become compacted, for watches and for lists.
func TestHistoryBound(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, memstore.Config{HistorySize: 10})
	for i := range 25 {
		if _, err := s.Create(ctx, podNamed(fmt.Sprintf("p%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Watch(ctx, api.KindPod, store.FromRevision(14)); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("watch from 14 with 10 changes kept of 25: %v, want ErrCompacted", err)
	}
	if _, err := s.List(ctx, api.KindPod, store.AtRevision(14)); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("list at 14: %v, want ErrCompacted", err)
	}
	w, err := s.Watch(ctx, api.KindPod, store.FromRevision(15))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for rev := int64(16); rev <= 25; rev++ {
		if e := <-w.Events(); e.Revision != rev {
			t.Fatalf("got revision %d, want %d", e.Revision, rev)
		}
	}
	l, err := s.List(ctx, api.KindPod, store.AtRevision(15))
	if err != nil || len(l.Items) != 15 {
		t.Fatalf("list at 15: %d items, %v; want 15", len(l.Items), err)
	}
}

func TestCompactKeepsTheStateAtItsRevision(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, memstore.Config{})
	for i := range 6 {
		if _, err := s.Create(ctx, podNamed(fmt.Sprintf("p%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Compact(ctx, 7); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("compact beyond the current revision: %v, want ErrInvalid", err)
	}
	if err := s.Compact(ctx, 4); err != nil {
		t.Fatal(err)
	}
	l, err := s.List(ctx, api.KindPod, store.AtRevision(4))
	if err != nil || len(l.Items) != 4 {
		t.Fatalf("list at the compaction revision: %d items, %v", len(l.Items), err)
	}
	w, err := s.Watch(ctx, api.KindPod, store.FromRevision(4))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if e := <-w.Events(); e.Revision != 5 {
		t.Fatalf("watch from the compaction revision: first event at %d, want 5", e.Revision)
	}
	if _, err := s.Watch(ctx, api.KindPod, store.FromRevision(3)); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("watch from below the compaction: %v", err)
	}
}

func TestClockTimestamps(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.FixedZone("x", 2*3600))
	s := newStore(t, memstore.Config{Clock: func() time.Time { return now }})
	p := podNamed("p")
	p.Finalizers = []string{"example.com/f"}
	got, err := s.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 1, 2, 1, 4, 5, 0, time.UTC)
	if ts := got.Meta().CreationTimestamp; !ts.Equal(want) || ts.Location() != time.UTC {
		t.Fatalf("creationTimestamp %v, want %v", ts, want)
	}
	now = now.Add(time.Hour)
	del, err := s.Delete(ctx, api.KindPod, "default", "p")
	if err != nil {
		t.Fatal(err)
	}
	if ts := del.Meta().DeletionTimestamp; ts == nil || !ts.Equal(want.Add(time.Hour)) {
		t.Fatalf("deletionTimestamp %v, want %v", ts, want.Add(time.Hour))
	}
}

func TestClose(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, memstore.Config{})
	w, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range w.Events() {
	}
	if !errors.Is(w.Err(), store.ErrUnavailable) {
		t.Fatalf("watch after Close: %v", w.Err())
	}
	if _, err := s.Create(ctx, podNamed("p")); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("create after Close: %v", err)
	}
	if _, err := s.Get(ctx, api.KindPod, "default", "p"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("get after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// Events share one object per change; the store's own copy is not
// reachable through Get's result.
func TestEventObjectsAreTheStoredVersion(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, memstore.Config{})
	a, _ := s.Watch(ctx, api.KindPod)
	b, _ := s.Watch(ctx, api.KindPod)
	defer a.Stop()
	defer b.Stop()
	if _, err := s.Create(ctx, podNamed("p")); err != nil {
		t.Fatal(err)
	}
	ea, eb := <-a.Events(), <-b.Events()
	if ea.Object != eb.Object {
		t.Fatal("watchers got different objects for one change; the documented model shares them")
	}
	got, _ := s.Get(ctx, api.KindPod, "default", "p")
	if got == ea.Object {
		t.Fatal("Get returned the shared stored object")
	}
}
