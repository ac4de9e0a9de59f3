// Package storetest is the conformance suite of store.Store: every backend
// runs Run from its own tests and passes it unchanged.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newEmptyStore(t) })
//	}
//
// newStore must return an empty store (no objects of any kind) that no
// other test writes to; the suite calls it once per subtest, and cleans up
// with t.Cleanup where the backend needs it. Subtests run sequentially.
//
// The suite asserts outcomes and invariants only: exact error categories
// (errors.Is), revisions, the sequence of watch events against the
// sequence of writes. Waits for asynchronous events are bounded (see
// Options.Wait) and fail with a message; no check depends on speed.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// Options tunes the suite for a backend. The zero value runs everything at
// full size.
type Options struct {
	// Wait bounds every wait for an asynchronous event (a watch event, a
	// bookmark, a closed channel). Defaults to 10s.
	Wait time.Duration
	// Watchers is the number of concurrent watchers of the fan-out test.
	// Defaults to 1000.
	Watchers int
	// SlowWatcherWrites is how many writes the never-reading watcher of
	// the slow-watcher test is exposed to. Defaults to 5000; it must
	// exceed the backend's per-watcher buffer for the test to mean much.
	SlowWatcherWrites int
	// SkipBookmarks skips the progress-notification test, for a backend
	// configured without progress notifications. memstore skips nothing.
	SkipBookmarks bool
}

// Run runs the whole conformance suite with default Options.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	RunWithOptions(t, newStore, Options{})
}

// RunWithOptions runs the whole conformance suite.
func RunWithOptions(t *testing.T, newStore func(t *testing.T) store.Store, o Options) {
	if o.Wait == 0 {
		o.Wait = 10 * time.Second
	}
	if o.Watchers == 0 {
		o.Watchers = 1000
	}
	if o.SlowWatcherWrites == 0 {
		o.SlowWatcherWrites = 5000
	}
	tests := []struct {
		name string
		f    func(*testing.T, store.Store, Options)
	}{
		{"CreateGet", testCreateGet},
		{"GenerateName", testGenerateName},
		{"Invalid", testInvalid},
		{"UpdateCAS", testUpdateCAS},
		{"ConcurrentCAS", testConcurrentCAS},
		{"StatusSplit", testStatusSplit},
		{"StatuslessKinds", testStatuslessKinds},
		{"DeletePreconditions", testDeletePreconditions},
		{"Finalizers", testFinalizers},
		{"Propagation", testPropagation},
		{"List", testList},
		{"ListPagingConsistent", testListPaging},
		{"ListAtRevision", testListAtRevision},
		{"WatchFromRevision", testWatchFromRevision},
		{"WatchSelector", testWatchSelector},
		{"WatchNamespace", testWatchNamespace},
		{"Compacted", testCompacted},
		{"Bookmark", testBookmark},
		{"Fanout", testFanout},
		{"SlowWatcher", testSlowWatcher},
		{"WatchStop", testWatchStop},
		{"NoAliasing", testNoAliasing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "Bookmark" && o.SkipBookmarks {
				t.Skip("backend opted out of bookmarks (Options.SkipBookmarks)")
			}
			tc.f(t, newStore(t), o)
		})
	}
}

// sel returns the selector requiring every label of set.
func sel(set map[string]string) api.Selector { return api.SelectorFromSet(set) }

func pod(ns, name string, labels map[string]string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "registry.example/app:1"}}},
	}
}

func mustCreate[T api.Object](t *testing.T, s store.Store, obj T) T {
	t.Helper()
	got, err := s.Create(t.Context(), obj)
	if err != nil {
		t.Fatalf("create %s %s/%s: %v", obj.Kind(), obj.Meta().Namespace, obj.Meta().Name, err)
	}
	return got.(T)
}

func mustGetPod(t *testing.T, s store.Store, ns, name string) *api.Pod {
	t.Helper()
	got, err := s.Get(t.Context(), api.KindPod, ns, name)
	if err != nil {
		t.Fatalf("get pod %s/%s: %v", ns, name, err)
	}
	return got.(*api.Pod)
}

func mustUpdate[T api.Object](t *testing.T, s store.Store, obj T) T {
	t.Helper()
	got, err := s.Update(t.Context(), obj)
	if err != nil {
		t.Fatalf("update %s %s/%s: %v", obj.Kind(), obj.Meta().Namespace, obj.Meta().Name, err)
	}
	return got.(T)
}

func revision(t *testing.T, s store.Store) int64 {
	t.Helper()
	rev, err := s.Revision(t.Context())
	if err != nil {
		t.Fatalf("revision: %v", err)
	}
	return rev
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want one wrapping %v", what, err, want)
	}
}

// ev is the comparable summary of an event.
type ev struct {
	Type      store.EventType
	Namespace string
	Name      string
	Revision  int64
}

func summary(e store.Event) ev {
	out := ev{Type: e.Type, Revision: e.Revision}
	if e.Object != nil {
		out.Namespace, out.Name = e.Object.Meta().Namespace, e.Object.Meta().Name
	}
	return out
}

// next returns the next non-bookmark event, or fails after o.Wait or when
// the watch ends.
func next(t *testing.T, w store.Watch, o Options) store.Event {
	t.Helper()
	timer := time.NewTimer(o.Wait)
	defer timer.Stop()
	for {
		select {
		case e, ok := <-w.Events():
			if !ok {
				t.Fatalf("watch ended early: %v", w.Err())
			}
			if e.Type == store.Bookmark {
				continue
			}
			checkEvent(t, e)
			return e
		case <-timer.C:
			t.Fatalf("no watch event within %v", o.Wait)
		}
	}
}

// checkEvent checks the invariants every event holds.
func checkEvent(t *testing.T, e store.Event) {
	t.Helper()
	if e.Object == nil {
		t.Fatalf("%v event at %d has no object", e.Type, e.Revision)
	}
	if rv := e.Object.Meta().ResourceVersion; rv != e.Revision {
		t.Fatalf("%v event of %s: object resourceVersion %d, event revision %d", e.Type, e.Object.Meta().Name, rv, e.Revision)
	}
}

func collect(t *testing.T, w store.Watch, n int, o Options) []ev {
	t.Helper()
	out := make([]ev, 0, n)
	for range n {
		out = append(out, summary(next(t, w, o)))
	}
	return out
}

// waitClosed drains w until its channel closes, returning what it saw.
func waitClosed(t *testing.T, w store.Watch, o Options) []store.Event {
	t.Helper()
	timer := time.NewTimer(o.Wait)
	defer timer.Stop()
	var seen []store.Event
	for {
		select {
		case e, ok := <-w.Events():
			if !ok {
				return seen
			}
			seen = append(seen, e)
		case <-timer.C:
			t.Fatalf("watch channel not closed within %v", o.Wait)
		}
	}
}

func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("%s (-want +got):\n%s", what, d)
	}
}

func names(objs []api.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Meta().Namespace + "/" + o.Meta().Name
	}
	return out
}

func testCreateGet(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	rev0 := revision(t, s)
	in := pod("default", "web-0", map[string]string{"app": "web"})
	got := mustCreate(t, s, in)
	m := got.Meta()
	if m.UID == "" || m.Generation != 1 || m.CreationTimestamp.IsZero() || m.DeletionTimestamp != nil {
		t.Fatalf("create did not set uid, generation 1, creation timestamp: %+v", m)
	}
	if m.ResourceVersion <= rev0 || revision(t, s) != m.ResourceVersion {
		t.Fatalf("resourceVersion %d: want the new store revision %d (> %d)", m.ResourceVersion, revision(t, s), rev0)
	}
	if in.ResourceVersion != 0 || in.UID != "" {
		t.Fatalf("create modified its input: %+v", in.ObjectMeta)
	}
	diff(t, "get after create", mustGetPod(t, s, "default", "web-0"), got)

	_, err := s.Create(ctx, pod("default", "web-0", nil))
	wantErr(t, "create of a taken name", err, store.ErrAlreadyExists)
	again := pod("other", "web-0", nil)
	if o := mustCreate(t, s, again); o.UID == m.UID {
		t.Fatalf("two objects share uid %s", m.UID)
	}

	withRV := pod("default", "web-1", nil)
	withRV.ResourceVersion = 7
	_, err = s.Create(ctx, withRV)
	wantErr(t, "create with a resourceVersion", err, store.ErrInvalid)

	_, err = s.Get(ctx, api.KindPod, "default", "missing")
	wantErr(t, "get of a missing object", err, store.ErrNotFound)
	_, err = s.Get(ctx, api.KindPod, "kube-system", "web-0")
	wantErr(t, "get in the wrong namespace", err, store.ErrNotFound)

	node := mustCreate(t, s, &api.Node{ObjectMeta: api.ObjectMeta{Name: "node-a.example"}})
	gotNode, err := s.Get(ctx, api.KindNode, "", "node-a.example")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "cluster-scoped get", gotNode, api.Object(node))
}

func testGenerateName(t *testing.T, s store.Store, o Options) {
	seen := map[string]bool{}
	for range 20 {
		p := pod("default", "", nil)
		p.GenerateName = "web-"
		got := mustCreate(t, s, p)
		if !strings.HasPrefix(got.Name, "web-") || len(got.Name) <= len("web-") {
			t.Fatalf("generated name %q lacks prefix web- and a suffix", got.Name)
		}
		if seen[got.Name] {
			t.Fatalf("generated name %q twice", got.Name)
		}
		seen[got.Name] = true
		mustGetPod(t, s, "default", got.Name)
	}
}

// bogus is an object of a kind no store knows.
type bogus struct{ api.Pod }

func (*bogus) Kind() api.Kind { return "Bogus" }
func (b *bogus) DeepCopyObject() api.Object {
	return &bogus{Pod: *b.Pod.DeepCopyObject().(*api.Pod)}
}

func testInvalid(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	existing := mustCreate(t, s, pod("default", "keep", map[string]string{"app": "web"}))
	huge := pod("default", "huge", nil)
	huge.Annotations = map[string]string{"blob": strings.Repeat("x", store.MaxObjectBytes)}
	hugeByEscapes := pod("default", "huge-escaped", nil)
	// Each '<' encodes as \u003c: 6 bytes in JSON for 1 in memory.
	hugeByEscapes.Annotations = map[string]string{"blob": strings.Repeat("<", store.MaxObjectBytes/6+1024)}
	cases := []struct {
		name string
		obj  api.Object
	}{
		{"uppercase name", pod("default", "Web", nil)},
		{"underscore name", pod("default", "web_0", nil)},
		{"empty name", pod("default", "", nil)},
		{"name too long", pod("default", strings.Repeat("a", 254), nil)},
		{"leading dash", pod("default", "-web", nil)},
		{"bad namespace", pod("Default", "web", nil)},
		{"namespaced kind without namespace", pod("", "web", nil)},
		{"cluster-scoped kind with namespace", &api.Node{ObjectMeta: api.ObjectMeta{Name: "n1", Namespace: "default"}}},
		{"namespace name not a label", &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "a.b"}}},
		{"unknown kind", &bogus{Pod: *pod("default", "web", nil)}},
		{"over MaxObjectBytes", huge},
		{"over MaxObjectBytes once escaped", hugeByEscapes},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rev := revision(t, s)
			_, err := s.Create(ctx, tc.obj)
			wantErr(t, "create", err, store.ErrInvalid)
			if got := revision(t, s); got != rev {
				t.Fatalf("refused create moved the revision from %d to %d", rev, got)
			}
		})
	}
	t.Run("update over MaxObjectBytes", func(t *testing.T) {
		rev := revision(t, s)
		big := existing.DeepCopyObject().(*api.Pod)
		big.Annotations = map[string]string{"blob": strings.Repeat("x", store.MaxObjectBytes)}
		_, err := s.Update(ctx, big)
		wantErr(t, "update", err, store.ErrInvalid)
		_, err = s.UpdateStatus(ctx, &api.Pod{ObjectMeta: existing.ObjectMeta, Status: api.PodStatus{Message: strings.Repeat("x", store.MaxObjectBytes)}})
		wantErr(t, "update status", err, store.ErrInvalid)
		if got := revision(t, s); got != rev {
			t.Fatalf("refused update moved the revision from %d to %d", rev, got)
		}
		diff(t, "object after refused updates", mustGetPod(t, s, "default", "keep"), existing)
	})
	t.Run("unknown kind in reads", func(t *testing.T) {
		_, err := s.Get(ctx, "Bogus", "default", "web")
		wantErr(t, "get", err, store.ErrInvalid)
		_, err = s.List(ctx, "Bogus")
		wantErr(t, "list", err, store.ErrInvalid)
		_, err = s.Watch(ctx, "Bogus")
		wantErr(t, "watch", err, store.ErrInvalid)
		_, err = s.Delete(ctx, "Bogus", "default", "web")
		wantErr(t, "delete", err, store.ErrInvalid)
	})
	l, err := s.List(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "pods after refused writes", names(l.Items), []string{"default/keep"})
	l, err = s.List(ctx, api.KindNode)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("refused node was stored: %v", names(l.Items))
	}
}

func testUpdateCAS(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	v1 := mustCreate(t, s, pod("default", "web", map[string]string{"v": "1"}))
	v2in := v1.DeepCopyObject().(*api.Pod)
	v2in.Labels["v"] = "2"
	v2 := mustUpdate(t, s, v2in)
	if v2.ResourceVersion <= v1.ResourceVersion || v2.UID != v1.UID || !v2.CreationTimestamp.Equal(v1.CreationTimestamp) {
		t.Fatalf("update: resourceVersion %d -> %d, uid %s -> %s, creation %v -> %v",
			v1.ResourceVersion, v2.ResourceVersion, v1.UID, v2.UID, v1.CreationTimestamp, v2.CreationTimestamp)
	}
	if v2.ResourceVersion != revision(t, s) {
		t.Fatalf("update resourceVersion %d is not the store revision %d", v2.ResourceVersion, revision(t, s))
	}

	stale := v1.DeepCopyObject().(*api.Pod)
	stale.Labels["v"] = "stale"
	rev := revision(t, s)
	_, err := s.Update(ctx, stale)
	wantErr(t, "update with a stale resourceVersion", err, store.ErrConflict)
	_, err = s.UpdateStatus(ctx, stale)
	wantErr(t, "update status with a stale resourceVersion", err, store.ErrConflict)
	if revision(t, s) != rev {
		t.Fatal("a refused update moved the revision")
	}
	diff(t, "after conflicts", mustGetPod(t, s, "default", "web"), v2)

	uncond := v1.DeepCopyObject().(*api.Pod)
	uncond.ResourceVersion = 0
	uncond.Labels["v"] = "3"
	v3 := mustUpdate(t, s, uncond)
	if v3.Labels["v"] != "3" || v3.ResourceVersion <= v2.ResourceVersion {
		t.Fatalf("unconditional update: %+v", v3.ObjectMeta)
	}

	_, err = s.Update(ctx, pod("default", "missing", nil))
	wantErr(t, "update of a missing object", err, store.ErrNotFound)
	_, err = s.UpdateStatus(ctx, pod("default", "missing", nil))
	wantErr(t, "update status of a missing object", err, store.ErrNotFound)
}

func testConcurrentCAS(t *testing.T, s store.Store, o Options) {
	const writers, loops = 8, 50
	ctx := t.Context()
	p := pod("default", "counter", nil)
	p.Annotations = map[string]string{"n": "0"}
	mustCreate(t, s, p)

	type win struct{ read, wrote int64 }
	var (
		mu   sync.Mutex
		wins []win
		errs []error
		wg   sync.WaitGroup
	)
	for range writers {
		wg.Go(func() {
			for range loops {
				obj, err := s.Get(ctx, api.KindPod, "default", "counter")
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				cur := obj.(*api.Pod)
				var n int
				fmt.Sscan(cur.Annotations["n"], &n)
				cur.Annotations["n"] = fmt.Sprint(n + 1)
				read := cur.ResourceVersion
				got, err := s.Update(ctx, cur)
				mu.Lock()
				switch {
				case err == nil:
					wins = append(wins, win{read, got.Meta().ResourceVersion})
				case !errors.Is(err, store.ErrConflict):
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	if len(wins) == 0 {
		t.Fatal("no update won")
	}
	reads, wrote := map[int64]int{}, map[int64]int{}
	for _, w := range wins {
		reads[w.read]++
		wrote[w.wrote]++
		if reads[w.read] > 1 {
			t.Fatalf("two updates won from resourceVersion %d", w.read)
		}
		if wrote[w.wrote] > 1 {
			t.Fatalf("two updates wrote resourceVersion %d", w.wrote)
		}
	}
	final := mustGetPod(t, s, "default", "counter")
	if final.Annotations["n"] != fmt.Sprint(len(wins)) {
		t.Fatalf("counter is %s after %d successful updates", final.Annotations["n"], len(wins))
	}
}

func testStatusSplit(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	created := mustCreate(t, s, pod("default", "web", map[string]string{"app": "web"}))

	// Update ignores status.
	in := created.DeepCopyObject().(*api.Pod)
	in.Status.Phase = api.PodRunning
	in.Labels["tier"] = "front"
	got := mustUpdate(t, s, in)
	if got.Status.Phase != "" || got.Labels["tier"] != "front" {
		t.Fatalf("update: status %q (want unchanged), labels %v", got.Status.Phase, got.Labels)
	}
	if got.Generation != 1 {
		t.Fatalf("a metadata-only update bumped generation to %d", got.Generation)
	}

	// UpdateStatus ignores spec and metadata.
	in = got.DeepCopyObject().(*api.Pod)
	in.Status.Phase = api.PodRunning
	in.Status.PodIP = "10.0.0.7"
	in.Spec.NodeName = "node-a"
	in.Labels["tier"] = "back"
	in.Finalizers = []string{"example.com/x"}
	st, err := s.UpdateStatus(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	sp := st.(*api.Pod)
	if sp.Status.Phase != api.PodRunning || sp.Status.PodIP != "10.0.0.7" {
		t.Fatalf("status not stored: %+v", sp.Status)
	}
	if sp.Spec.NodeName != "" || sp.Labels["tier"] != "front" || len(sp.Finalizers) != 0 || sp.Generation != 1 {
		t.Fatalf("update status changed spec or metadata: nodeName %q labels %v finalizers %v generation %d",
			sp.Spec.NodeName, sp.Labels, sp.Finalizers, sp.Generation)
	}
	if sp.ResourceVersion <= got.ResourceVersion {
		t.Fatalf("update status did not advance resourceVersion")
	}
	diff(t, "get after update status", mustGetPod(t, s, "default", "web"), sp)

	// A spec change bumps generation; status survives it.
	in = sp.DeepCopyObject().(*api.Pod)
	in.Spec.Containers[0].Image = "registry.example/app:2"
	in.Status = api.PodStatus{}
	v := mustUpdate(t, s, in)
	if v.Generation != 2 || v.Status.Phase != api.PodRunning {
		t.Fatalf("spec update: generation %d (want 2), status phase %q (want Running)", v.Generation, v.Status.Phase)
	}
	// Writing the same spec again does not.
	v = mustUpdate(t, s, v)
	if v.Generation != 2 {
		t.Fatalf("an update with an unchanged spec bumped generation to %d", v.Generation)
	}
}

func testStatuslessKinds(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	holder := "a"
	l := mustCreate(t, s, &api.Lease{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "leader"}, Spec: api.LeaseSpec{HolderIdentity: &holder}})
	in := l.DeepCopyObject().(*api.Lease)
	b := "b"
	in.Spec.HolderIdentity = &b
	got, err := s.UpdateStatus(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if h := got.(*api.Lease).Spec.HolderIdentity; h == nil || *h != "b" {
		t.Fatalf("update status of a Lease (no status) must store the whole object; holder %v", h)
	}
}

func testDeletePreconditions(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	p := mustCreate(t, s, pod("default", "web", nil))
	rev := revision(t, s)
	_, err := s.Delete(ctx, api.KindPod, "default", "web", store.WithUID("not-the-uid"))
	wantErr(t, "delete with a wrong uid", err, store.ErrConflict)
	_, err = s.Delete(ctx, api.KindPod, "default", "web", store.WithResourceVersion(p.ResourceVersion+100))
	wantErr(t, "delete with a wrong resourceVersion", err, store.ErrConflict)
	if revision(t, s) != rev {
		t.Fatal("a refused delete moved the revision")
	}
	mustGetPod(t, s, "default", "web")
	gone, err := s.Delete(ctx, api.KindPod, "default", "web", store.WithUID(p.UID), store.WithResourceVersion(p.ResourceVersion))
	if err != nil {
		t.Fatal(err)
	}
	if gone.Meta().UID != p.UID || gone.Meta().ResourceVersion != revision(t, s) || revision(t, s) != rev+1 {
		t.Fatalf("delete returned uid %s rv %d; want uid %s rv %d (rev %d)", gone.Meta().UID, gone.Meta().ResourceVersion, p.UID, rev+1, revision(t, s))
	}
	_, err = s.Get(ctx, api.KindPod, "default", "web")
	wantErr(t, "get after delete", err, store.ErrNotFound)
	_, err = s.Delete(ctx, api.KindPod, "default", "web")
	wantErr(t, "second delete", err, store.ErrNotFound)

	// A new object with the same name has a new uid: the old uid no longer matches.
	mustCreate(t, s, pod("default", "web", nil))
	_, err = s.Delete(ctx, api.KindPod, "default", "web", store.WithUID(p.UID))
	wantErr(t, "delete of a recreated object by its old uid", err, store.ErrConflict)
}

func testFinalizers(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	in := pod("default", "web", nil)
	in.Finalizers = []string{"example.com/cleanup", "example.com/other"}
	created := mustCreate(t, s, in)
	w, err := s.Watch(ctx, api.KindPod, store.FromRevision(created.ResourceVersion))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	marked, err := s.Delete(ctx, api.KindPod, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	mp := marked.(*api.Pod)
	if mp.DeletionTimestamp == nil || mp.ResourceVersion != revision(t, s) {
		t.Fatalf("delete of an object with finalizers: deletionTimestamp %v rv %d (rev %d)", mp.DeletionTimestamp, mp.ResourceVersion, revision(t, s))
	}
	stored := mustGetPod(t, s, "default", "web")
	diff(t, "object marked for deletion", stored, mp)

	rev := revision(t, s)
	again, err := s.Delete(ctx, api.KindPod, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	if revision(t, s) != rev || !again.Meta().DeletionTimestamp.Equal(*mp.DeletionTimestamp) {
		t.Fatalf("second delete changed the object: revision %d -> %d, deletionTimestamp %v -> %v",
			rev, revision(t, s), mp.DeletionTimestamp, again.Meta().DeletionTimestamp)
	}

	// Removing one finalizer keeps it; removing the last deletes it.
	stored.Finalizers = []string{"example.com/other"}
	stored = mustUpdate(t, s, stored)
	if stored.DeletionTimestamp == nil {
		t.Fatal("update cleared deletionTimestamp")
	}
	mustGetPod(t, s, "default", "web")
	stored.Finalizers = nil
	last := mustUpdate(t, s, stored)
	_, err = s.Get(ctx, api.KindPod, "default", "web")
	wantErr(t, "get after the last finalizer went", err, store.ErrNotFound)

	want := []ev{
		{store.Modified, "default", "web", mp.ResourceVersion},
		{store.Modified, "default", "web", stored.ResourceVersion},
		{store.Deleted, "default", "web", last.ResourceVersion},
	}
	diff(t, "events of a finalized delete", collect(t, w, len(want), o), want)
}

func testPropagation(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	for _, tc := range []struct {
		policy    store.PropagationPolicy
		finalizer string
	}{
		{store.PropagateForeground, api.FinalizerForeground},
		{store.PropagateOrphan, api.FinalizerOrphan},
	} {
		name := strings.ToLower(string(tc.policy))
		mustCreate(t, s, &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}})
		got, err := s.Delete(ctx, api.KindReplicaSet, "default", name, store.WithPropagation(tc.policy))
		if err != nil {
			t.Fatal(err)
		}
		m := got.Meta()
		if m.DeletionTimestamp == nil || !slices.Contains(m.Finalizers, tc.finalizer) {
			t.Fatalf("%s delete: deletionTimestamp %v finalizers %v", tc.policy, m.DeletionTimestamp, m.Finalizers)
		}
		stored, err := s.Get(ctx, api.KindReplicaSet, "default", name)
		if err != nil {
			t.Fatalf("%s delete removed the object at once: %v", tc.policy, err)
		}
		diff(t, "stored after "+string(tc.policy)+" delete", stored, got)
	}
	mustCreate(t, s, &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "background"}})
	if _, err := s.Delete(ctx, api.KindReplicaSet, "default", "background", store.WithPropagation(store.PropagateBackground)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, api.KindReplicaSet, "default", "background")
	wantErr(t, "get after a background delete", err, store.ErrNotFound)
}

func testList(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	for _, p := range []*api.Pod{
		pod("b", "web-1", map[string]string{"app": "web"}),
		pod("a", "web-2", map[string]string{"app": "web"}),
		pod("a", "db-0", map[string]string{"app": "db"}),
		pod("a", "web-10", map[string]string{"app": "web", "tier": "front"}),
		pod("c", "cache", nil),
	} {
		mustCreate(t, s, p)
	}
	mustCreate(t, s, &api.Node{ObjectMeta: api.ObjectMeta{Name: "node-a", Labels: map[string]string{"app": "web"}}})
	cases := []struct {
		name string
		opts []store.ListOption
		want []string
	}{
		{"all", nil, []string{"a/db-0", "a/web-10", "a/web-2", "b/web-1", "c/cache"}},
		{"namespace", []store.ListOption{store.ListInNamespace("a")}, []string{"a/db-0", "a/web-10", "a/web-2"}},
		{"empty namespace", []store.ListOption{store.ListInNamespace("zzz")}, []string{}},
		{"selector", []store.ListOption{store.ListSelector(sel(map[string]string{"app": "web"}))}, []string{"a/web-10", "a/web-2", "b/web-1"}},
		{"empty selector", []store.ListOption{store.ListSelector(api.Everything())}, []string{"a/db-0", "a/web-10", "a/web-2", "b/web-1", "c/cache"}},
		{"namespace and selector", []store.ListOption{store.ListInNamespace("a"), store.ListSelector(sel(map[string]string{"app": "web", "tier": "front"}))}, []string{"a/web-10"}},
	}
	setBased, err := api.ParseSelector("app in (web,db),tier!=front")
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		name string
		opts []store.ListOption
		want []string
	}{"set-based selector", []store.ListOption{store.ListSelector(setBased)}, []string{"a/db-0", "a/web-2", "b/web-1"}},
		struct {
			name string
			opts []store.ListOption
			want []string
		}{"selector matching nothing", []store.ListOption{store.ListSelector(api.Nothing())}, []string{}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := s.List(ctx, api.KindPod, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "list", names(l.Items), tc.want)
			if l.Revision != revision(t, s) || l.Continue != "" {
				t.Fatalf("list revision %d (want %d), continue %q", l.Revision, revision(t, s), l.Continue)
			}
			for _, it := range l.Items {
				if it.Kind() != api.KindPod {
					t.Fatalf("list of pods returned a %s", it.Kind())
				}
			}
		})
	}
}

func testListPaging(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	const n, limit = 60, 7
	want := map[string]int64{} // name -> resourceVersion at the first page's revision
	for i := range n {
		p := mustCreate(t, s, pod("default", fmt.Sprintf("pod-%03d", i*2), map[string]string{"app": "web"}))
		want[p.Name] = p.ResourceVersion
	}
	onlyWeb := store.ListSelector(sel(map[string]string{"app": "web"}))
	first, err := s.List(ctx, api.KindPod, store.WithLimit(limit), onlyWeb)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Items) != limit || first.Continue == "" {
		t.Fatalf("first page: %d items, continue %q; want %d and a token", len(first.Items), first.Continue, limit)
	}

	// Writers change the keyspace while the pages are read: deletes,
	// updates that drop the label, creates in the gaps between names.
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		for i := 0; wctx.Err() == nil && i < n; i++ {
			var err error
			switch i % 3 {
			case 0:
				_, err = s.Delete(wctx, api.KindPod, "default", fmt.Sprintf("pod-%03d", i*2))
			case 1:
				p := pod("default", fmt.Sprintf("pod-%03d", i*2), map[string]string{"app": "gone"})
				_, err = s.Update(wctx, p)
			case 2:
				_, err = s.Create(wctx, pod("default", fmt.Sprintf("pod-%03d", i*2+1), map[string]string{"app": "web"}))
			}
			if err != nil && wctx.Err() == nil {
				werr = err
				return
			}
		}
	})

	got := map[string]int64{}
	var order []string
	page := first
	for pages := 0; ; pages++ {
		if page.Revision != first.Revision {
			t.Fatalf("page %d at revision %d, first page at %d", pages, page.Revision, first.Revision)
		}
		for _, it := range page.Items {
			m := it.Meta()
			if _, dup := got[m.Name]; dup {
				t.Fatalf("%s listed twice", m.Name)
			}
			got[m.Name] = m.ResourceVersion
			order = append(order, m.Name)
		}
		if page.Continue == "" {
			break
		}
		if len(page.Items) > limit || pages > n {
			t.Fatalf("page of %d items (limit %d), %d pages", len(page.Items), limit, pages)
		}
		page, err = s.List(ctx, api.KindPod, store.WithLimit(limit), store.WithContinue(page.Continue), onlyWeb)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
	}
	stop()
	wg.Wait()
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	diff(t, "union of pages (name -> resourceVersion) at the first page's revision", got, want)
	if !sort.StringsAreSorted(order) {
		t.Fatalf("pages not sorted: %v", order)
	}
}

func testListAtRevision(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	a1 := mustCreate(t, s, pod("default", "a", map[string]string{"v": "1"}))
	in := a1.DeepCopyObject().(*api.Pod)
	in.Labels["v"] = "2"
	a2 := mustUpdate(t, s, in)
	b := mustCreate(t, s, pod("default", "b", nil))
	mustCreate(t, s, &api.Node{ObjectMeta: api.ObjectMeta{Name: "n"}})
	gone, err := s.Delete(ctx, api.KindPod, "default", "a")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rev  int64
		want []*api.Pod
	}{
		{a1.ResourceVersion, []*api.Pod{a1}},
		{a2.ResourceVersion, []*api.Pod{a2}},
		{b.ResourceVersion, []*api.Pod{a2, b}},
		{gone.Meta().ResourceVersion - 1, []*api.Pod{a2, b}},
		{gone.Meta().ResourceVersion, []*api.Pod{b}},
	}
	for _, tc := range cases {
		l, err := s.List(ctx, api.KindPod, store.AtRevision(tc.rev))
		if err != nil {
			t.Fatalf("list at %d: %v", tc.rev, err)
		}
		if l.Revision != tc.rev {
			t.Fatalf("list at %d reports revision %d", tc.rev, l.Revision)
		}
		got := make([]*api.Pod, len(l.Items))
		for i, it := range l.Items {
			got[i] = it.(*api.Pod)
		}
		diff(t, fmt.Sprintf("list at revision %d", tc.rev), got, tc.want)
	}
	l, err := s.List(ctx, api.KindPod, store.AtRevision(a1.ResourceVersion), store.ListSelector(sel(map[string]string{"v": "2"})))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("selector applied to the current state, not the past one: %v", names(l.Items))
	}
}

// script performs a mixed sequence of writes on pods and nodes and
// returns the pod events it must produce, in order.
func script(t *testing.T, s store.Store, prefix string) []ev {
	ctx := t.Context()
	var want []ev
	add := func(typ store.EventType, obj api.Object) {
		want = append(want, ev{typ, obj.Meta().Namespace, obj.Meta().Name, obj.Meta().ResourceVersion})
	}
	for i := range 5 {
		p := mustCreate(t, s, pod("default", fmt.Sprintf("%s-%d", prefix, i), map[string]string{"i": fmt.Sprint(i)}))
		add(store.Added, p)
		mustCreate(t, s, &api.Node{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("%s-node-%d", prefix, i)}})
	}
	for i := range 5 {
		p := mustGetPod(t, s, "default", fmt.Sprintf("%s-%d", prefix, i))
		p.Labels["touched"] = "yes"
		p = mustUpdate(t, s, p)
		add(store.Modified, p)
		p.Status.Phase = api.PodRunning
		st, err := s.UpdateStatus(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		add(store.Modified, st)
	}
	for i := range 3 {
		gone, err := s.Delete(ctx, api.KindPod, "default", fmt.Sprintf("%s-%d", prefix, i))
		if err != nil {
			t.Fatal(err)
		}
		add(store.Deleted, gone)
	}
	return want
}

func testWatchFromRevision(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	// FromRevision(0) means "now": start the replays above 0.
	mustCreate(t, s, &api.Node{ObjectMeta: api.ObjectMeta{Name: "first"}})
	start := revision(t, s)
	live, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Stop()
	want := script(t, s, "p")
	diff(t, "live watch", collect(t, live, len(want), o), want)

	// From every revision in the script: exactly the changes after it,
	// then the live changes that follow, without a gap.
	end := revision(t, s)
	var later []ev
	for r := start; r <= end; r++ {
		var suffix []ev
		for _, e := range append(want, later...) {
			if e.Revision > r {
				suffix = append(suffix, e)
			}
		}
		w, err := s.Watch(ctx, api.KindPod, store.FromRevision(r))
		if err != nil {
			t.Fatalf("watch from %d: %v", r, err)
		}
		diff(t, fmt.Sprintf("watch from revision %d", r), collect(t, w, len(suffix), o), suffix)
		p := mustCreate(t, s, pod("default", fmt.Sprintf("after-%d", r), nil))
		added := ev{store.Added, "default", p.Name, p.ResourceVersion}
		diff(t, "live event after replay", summary(next(t, w, o)), added)
		w.Stop()
		later = append(later, added)
	}
	diff(t, "live watch, continued", collect(t, live, len(later), o), later)
}

func testWatchSelector(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	// FromRevision(0) means "now": make sure the replay below starts above 0.
	mustCreate(t, s, &api.Node{ObjectMeta: api.ObjectMeta{Name: "first"}})
	w, err := s.Watch(ctx, api.KindPod, store.WatchSelector(sel(map[string]string{"app": "web"})))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var want []ev
	expect := func(typ store.EventType, obj api.Object) {
		want = append(want, ev{typ, obj.Meta().Namespace, obj.Meta().Name, obj.Meta().ResourceVersion})
	}
	web := mustCreate(t, s, pod("default", "web", map[string]string{"app": "web"}))
	expect(store.Added, web)
	mustCreate(t, s, pod("default", "db", map[string]string{"app": "db"}))
	web.Labels["app"] = "db"
	web = mustUpdate(t, s, web)
	expect(store.Deleted, web) // left the selector
	web.Labels["v"] = "2"
	web = mustUpdate(t, s, web) // still outside: nothing
	web.Labels["app"] = "web"
	web = mustUpdate(t, s, web)
	expect(store.Added, web) // entered the selector
	web.Status.Phase = api.PodRunning
	st, err := s.UpdateStatus(ctx, web)
	if err != nil {
		t.Fatal(err)
	}
	expect(store.Modified, st)
	if _, err := s.Delete(ctx, api.KindPod, "default", "db"); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Delete(ctx, api.KindPod, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	expect(store.Deleted, gone)
	end := mustCreate(t, s, pod("default", "end", map[string]string{"app": "web"}))
	expect(store.Added, end)
	diff(t, "selector watch", collect(t, w, len(want), o), want)

	// Replay applies the selector the same way.
	r, err := s.Watch(ctx, api.KindPod, store.WatchSelector(sel(map[string]string{"app": "web"})), store.FromRevision(want[0].Revision-1))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	diff(t, "selector watch replay", collect(t, r, len(want), o), want)
}

func testWatchNamespace(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	w, err := s.Watch(ctx, api.KindPod, store.WatchInNamespace("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var want []ev
	for i, ns := range []string{"a", "b", "a", "ab", "b", "a"} {
		p := mustCreate(t, s, pod(ns, fmt.Sprintf("p%d", i), nil))
		if ns == "a" {
			want = append(want, ev{store.Added, ns, p.Name, p.ResourceVersion})
		}
	}
	gone, err := s.Delete(ctx, api.KindPod, "a", "p0")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, ev{store.Deleted, "a", "p0", gone.Meta().ResourceVersion})
	diff(t, "namespace watch", collect(t, w, len(want), o), want)
}

// wantCompacted accepts both ways a backend may refuse an old revision:
// Watch returns ErrCompacted, or the watch ends at once with it.
func wantCompactedWatch(t *testing.T, s store.Store, rev int64, o Options) {
	t.Helper()
	w, err := s.Watch(t.Context(), api.KindPod, store.FromRevision(rev))
	if err != nil {
		wantErr(t, fmt.Sprintf("watch from compacted revision %d", rev), err, store.ErrCompacted)
		return
	}
	defer w.Stop()
	if seen := waitClosed(t, w, o); len(seen) != 0 {
		t.Fatalf("watch from compacted revision %d delivered %d events", rev, len(seen))
	}
	wantErr(t, "watch from a compacted revision", w.Err(), store.ErrCompacted)
}

func testCompacted(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	var revs []int64
	for i := range 6 {
		revs = append(revs, mustCreate(t, s, pod("default", fmt.Sprintf("p%d", i), nil)).ResourceVersion)
	}
	if err := s.Compact(ctx, revs[3]); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx, revs[3]); err != nil {
		t.Fatalf("compact is not idempotent: %v", err)
	}
	if err := s.Compact(ctx, revs[1]); err != nil {
		t.Fatalf("compact below an earlier compaction: %v", err)
	}
	wantCompactedWatch(t, s, revs[0], o)
	wantCompactedWatch(t, s, revs[2]-1, o)
	_, err := s.List(ctx, api.KindPod, store.AtRevision(revs[1]))
	wantErr(t, "list at a compacted revision", err, store.ErrCompacted)

	// A paged list whose revision gets compacted between pages.
	l, err := s.List(ctx, api.KindPod, store.WithLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, pod("default", "later", nil))
	if err := s.Compact(ctx, revision(t, s)); err != nil {
		t.Fatal(err)
	}
	_, err = s.List(ctx, api.KindPod, store.WithLimit(2), store.WithContinue(l.Continue))
	wantErr(t, "next page at a compacted revision", err, store.ErrCompacted)

	// The current state and future changes are unaffected.
	l, err = s.List(ctx, api.KindPod)
	if err != nil || len(l.Items) != 7 {
		t.Fatalf("list after compaction: %v items, %v", len(l.Items), err)
	}
	w, err := s.Watch(ctx, api.KindPod, store.FromRevision(l.Revision))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	p := mustCreate(t, s, pod("default", "new", nil))
	diff(t, "watch after compaction", summary(next(t, w, o)), ev{store.Added, "default", "new", p.ResourceVersion})
}

func testBookmark(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	mustCreate(t, s, pod("default", "p", nil))
	rev := revision(t, s)
	w, err := s.Watch(ctx, api.KindPod, store.WithProgressNotify())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	timer := time.NewTimer(o.Wait)
	defer timer.Stop()
	select {
	case e, ok := <-w.Events():
		if !ok {
			t.Fatalf("watch ended: %v", w.Err())
		}
		if e.Type != store.Bookmark || e.Object != nil || e.Revision < rev {
			t.Fatalf("idle watch got %v at %d (object %v), want a bookmark at >= %d", e.Type, e.Revision, e.Object != nil, rev)
		}
	case <-timer.C:
		t.Fatalf("no bookmark on an idle watch within %v", o.Wait)
	}
	// Changes still arrive after a bookmark.
	p := mustCreate(t, s, pod("default", "q", nil))
	diff(t, "event after bookmark", summary(next(t, w, o)), ev{store.Added, "default", "q", p.ResourceVersion})
}

func testFanout(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	watches := make([]store.Watch, o.Watchers)
	for i := range watches {
		w, err := s.Watch(ctx, api.KindPod)
		if err != nil {
			t.Fatalf("watch %d: %v", i, err)
		}
		defer w.Stop()
		watches[i] = w
	}
	const writes = 20
	var want []ev
	for i := range writes {
		p := mustCreate(t, s, pod("default", fmt.Sprintf("p%d", i), nil))
		want = append(want, ev{store.Added, "default", p.Name, p.ResourceVersion})
	}
	var wg sync.WaitGroup
	failures := make([]string, len(watches))
	for i, w := range watches {
		wg.Go(func() {
			timer := time.NewTimer(o.Wait)
			defer timer.Stop()
			var got []ev
			for len(got) < len(want) {
				select {
				case e, ok := <-w.Events():
					if !ok {
						failures[i] = fmt.Sprintf("watch %d ended after %d events: %v", i, len(got), w.Err())
						return
					}
					if e.Type != store.Bookmark {
						got = append(got, summary(e))
					}
				case <-timer.C:
					failures[i] = fmt.Sprintf("watch %d: %d of %d events within %v", i, len(got), len(want), o.Wait)
					return
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				failures[i] = fmt.Sprintf("watch %d (-want +got):\n%s", i, d)
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		if f != "" {
			t.Fatal(f)
		}
	}
}

func testSlowWatcher(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	slow, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Stop()
	mustCreate(t, s, pod("default", "p", map[string]string{"n": "0"}))

	// The writer runs while slow is never read. Writers must not block on
	// it: the bounded wait below only turns a deadlock into a failure.
	var want []ev
	done := make(chan error, 1)
	cur := mustGetPod(t, s, "default", "p")
	go func() {
		for i := range o.SlowWatcherWrites {
			cur.Labels["n"] = fmt.Sprint(i + 1)
			got, err := s.Update(ctx, cur)
			if err != nil {
				done <- err
				return
			}
			cur = got.(*api.Pod)
			want = append(want, ev{store.Modified, "default", "p", cur.ResourceVersion})
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(6 * o.Wait):
		t.Fatalf("%d writes did not complete within %v while a watcher did not read: writers block on watchers", o.SlowWatcherWrites, 6*o.Wait)
	}
	wantAll := append([]ev{{store.Added, "default", "p", want[0].Revision - 1}}, want...)

	// Either the watcher was ended with an error, having delivered a
	// gap-free prefix, or it lags but still delivers everything in order.
	var got []ev
	timer := time.NewTimer(o.Wait)
	defer timer.Stop()
	for len(got) < len(wantAll) {
		select {
		case e, ok := <-slow.Events():
			if !ok {
				err := slow.Err()
				if !errors.Is(err, store.ErrWatchDropped) && !errors.Is(err, store.ErrCompacted) && !errors.Is(err, store.ErrUnavailable) {
					t.Fatalf("slow watcher ended after %d of %d events with %v; want ErrWatchDropped, ErrCompacted or ErrUnavailable", len(got), len(wantAll), err)
				}
				diff(t, "events a dropped watcher delivered", got, wantAll[:len(got)])
				t.Logf("slow watcher ended after %d of %d events: %v", len(got), len(wantAll), err)
				return
			}
			if e.Type != store.Bookmark {
				got = append(got, summary(e))
			}
			timer.Reset(o.Wait)
		case <-timer.C:
			t.Fatalf("slow watcher neither ended nor delivered: %d of %d events", len(got), len(wantAll))
		}
	}
	diff(t, "events a lagging watcher delivered", got, wantAll)
}

func testWatchStop(t *testing.T, s store.Store, o Options) {
	w, err := s.Watch(t.Context(), api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	w.Stop()
	waitClosed(t, w, o)
	if err := w.Err(); err != nil {
		t.Fatalf("Err after Stop: %v, want nil", err)
	}
	w.Stop() // idempotent

	ctx, cancel := context.WithCancel(t.Context())
	w, err = s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	cancel()
	waitClosed(t, w, o)
	wantErr(t, "Err after the context ended", w.Err(), context.Canceled)

	// Writes go on after watchers leave.
	mustCreate(t, s, pod("default", "after", nil))
}

func testNoAliasing(t *testing.T, s store.Store, o Options) {
	ctx := t.Context()
	in := pod("default", "web", map[string]string{"app": "web"})
	created := mustCreate(t, s, in)
	want := created.DeepCopyObject().(*api.Pod)

	in.Labels["app"] = "mutated-input"
	in.Spec.Containers[0].Image = "mutated"
	created.Labels["app"] = "mutated-result"
	created.Spec.Containers = append(created.Spec.Containers, api.Container{Name: "x"})
	diff(t, "after mutating create's input and result", mustGetPod(t, s, "default", "web"), want)

	got := mustGetPod(t, s, "default", "web")
	got.Labels["app"] = "mutated-get"
	got.Spec.Containers[0].Name = "mutated"
	diff(t, "after mutating get's result", mustGetPod(t, s, "default", "web"), want)

	l, err := s.List(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	l.Items[0].Meta().Labels["app"] = "mutated-list"
	diff(t, "after mutating list's result", mustGetPod(t, s, "default", "web"), want)

	up := want.DeepCopyObject().(*api.Pod)
	up.Annotations = map[string]string{"a": "1"}
	updated := mustUpdate(t, s, up)
	want = updated.DeepCopyObject().(*api.Pod)
	up.Annotations["a"] = "mutated-update-input"
	updated.Annotations["a"] = "mutated-update-result"
	diff(t, "after mutating update's input and result", mustGetPod(t, s, "default", "web"), want)

	st := want.DeepCopyObject().(*api.Pod)
	st.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}}
	stored, err := s.UpdateStatus(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	want = stored.DeepCopyObject().(*api.Pod)
	st.Status.Conditions[0].Status = api.ConditionFalse
	stored.(*api.Pod).Status.Conditions[0].Status = api.ConditionUnknown
	diff(t, "after mutating update status' input and result", mustGetPod(t, s, "default", "web"), want)
}
