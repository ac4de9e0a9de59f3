package etcdstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

func TestWatchEvents(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	w, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	c, err := s.Create(ctx, pod("ns", "a", nil))
	if err != nil {
		t.Fatal(err)
	}
	c.(*api.Pod).Spec.NodeName = "n"
	u, err := s.Update(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Delete(ctx, api.KindPod, "ns", "a")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		typ store.EventType
		rev int64
	}{{store.Added, c.Meta().ResourceVersion}, {store.Modified, u.Meta().ResourceVersion}, {store.Deleted, d.Meta().ResourceVersion}} {
		e := nextChange(t, w)
		if e.Type != want.typ || e.Revision != want.rev || e.Object.Meta().ResourceVersion != want.rev || e.Object.Meta().Name != "a" {
			t.Fatalf("event %v rev %d (object rv %d), want %v at %d", e.Type, e.Revision, e.Object.Meta().ResourceVersion, want.typ, want.rev)
		}
	}
}

func TestWatchFromRevisionReplaysHistory(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	rev0, _ := s.Revision(ctx)
	for _, n := range []string{"a", "b", "c"} {
		if _, err := s.Create(ctx, pod("ns", n, nil)); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.Watch(ctx, api.KindPod, store.FromRevision(rev0+1))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for i, n := range []string{"b", "c"} {
		e := nextChange(t, w)
		if e.Type != store.Added || e.Object.Meta().Name != n || e.Revision != rev0+2+int64(i) {
			t.Fatalf("event %d: %v %s at %d", i, e.Type, e.Object.Meta().Name, e.Revision)
		}
	}
}

func TestWatchSelectorTransitions(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	w, err := s.Watch(ctx, api.KindPod, store.WatchSelector(eqSelector(map[string]string{"app": "web"})), store.WatchInNamespace("ns"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	p, err := s.Create(ctx, pod("ns", "a", map[string]string{"app": "db"})) // invisible
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, pod("other", "a", map[string]string{"app": "web"})); err != nil { // other namespace
		t.Fatal(err)
	}
	p.Meta().Labels["app"] = "web" // enters: Added
	p, err = s.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	p.Meta().Annotations = map[string]string{"x": "y"} // stays: Modified
	p, err = s.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	p.Meta().Labels["app"] = "db" // leaves: Deleted
	left, err := s.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, api.KindPod, "ns", "a"); err != nil { // invisible
		t.Fatal(err)
	}
	marker, err := s.Create(ctx, pod("ns", "marker", map[string]string{"app": "web"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []store.EventType
	for {
		e := nextChange(t, w)
		if e.Object.Meta().Name == "marker" {
			if e.Revision != marker.Meta().ResourceVersion {
				t.Fatalf("marker at %d, created at %d", e.Revision, marker.Meta().ResourceVersion)
			}
			break
		}
		if e.Type == store.Deleted && e.Revision != left.Meta().ResourceVersion {
			t.Fatalf("deleted at %d, want the revision it left the selector, %d", e.Revision, left.Meta().ResourceVersion)
		}
		got = append(got, e.Type)
	}
	want := []store.EventType{store.Added, store.Modified, store.Deleted}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestWatchCompacted(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	rev0, _ := s.Revision(ctx)
	for _, n := range []string{"a", "b", "c"} {
		if _, err := s.Create(ctx, pod("ns", n, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Compact(ctx, rev0+2); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx, rev0+1); err != nil {
		t.Fatalf("compact is idempotent: %v", err)
	}
	for _, rev := range []int64{rev0, rev0 + 1} { // below the compaction
		if _, err := s.Watch(ctx, api.KindPod, store.FromRevision(rev)); !errors.Is(err, store.ErrCompacted) {
			t.Fatalf("watch from compacted %d: %v", rev, err)
		}
		if _, err := s.List(ctx, api.KindPod, store.AtRevision(rev)); !errors.Is(err, store.ErrCompacted) {
			t.Fatalf("list at compacted %d: %v", rev, err)
		}
	}
	w, err := s.Watch(ctx, api.KindPod, store.FromRevision(rev0+2))
	if err != nil {
		t.Fatalf("watch from the compaction revision: %v", err)
	}
	w.Stop()
}

func TestWatchBookmarks(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	if _, err := s.Create(ctx, pod("ns", "a", nil)); err != nil {
		t.Fatal(err)
	}
	rev, _ := s.Revision(ctx)
	w, err := s.Watch(ctx, api.KindPod, store.WithProgressNotify())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	e := next(t, w)
	if e.Type != store.Bookmark || e.Revision < rev || e.Object != nil {
		t.Fatalf("first event on an idle watch: %v at %d, want a bookmark at >= %d", e.Type, e.Revision, rev)
	}
}

func TestWatchStopAndCancel(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	w, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	w.Stop()
	w.Stop()
	for range w.Events() {
	}
	if err := w.Err(); err != nil {
		t.Fatalf("after Stop: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	w, err = s.Watch(cctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range w.Events() {
	}
	if err := w.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
	// Close ends open watches.
	w, err = s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	for range w.Events() {
	}
}
