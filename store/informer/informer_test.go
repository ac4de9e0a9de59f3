package informer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

func nodeIndex(p *api.Pod) []string {
	if p.Spec.NodeName == "" {
		return nil
	}
	return []string{p.Spec.NodeName}
}

func TestNewRejectsBadConfig(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name string
		new  func() error
	}{
		{"nil store", func() error { _, err := New(nil, Config[*api.Pod]{}); return err }},
		{"namespace on a cluster-scoped kind", func() error {
			_, err := New(s, Config[*api.Node]{Namespace: "a"})
			return err
		}},
		{"reserved index name", func() error {
			_, err := New(s, Config[*api.Pod]{Indexers: map[string]IndexFunc[*api.Pod]{IndexNamespace: nodeIndex}})
			return err
		}},
		{"nil index func", func() error {
			_, err := New(s, Config[*api.Pod]{Indexers: map[string]IndexFunc[*api.Pod]{"node": nil}})
			return err
		}},
		{"interface type without kind", func() error { _, err := New(s, Config[api.Object]{}); return err }},
		{"kind of another type", func() error { _, err := New(s, Config[*api.Pod]{Kind: api.KindNode}); return err }},
		{"unknown kind", func() error { _, err := New(s, Config[api.Object]{Kind: "Widget"}); return err }},
		{"negative resync", func() error { _, err := New(s, Config[*api.Pod]{ResyncPeriod: -time.Second}); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.new(); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("got %v, want an error wrapping store.ErrInvalid", err)
			}
		})
	}
	if _, err := New(s, Config[api.Object]{Kind: api.KindPod}); err != nil {
		t.Fatalf("api.Object with Kind: %v", err)
	}
}

func TestSyncDeliversEveryObject(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for i := range 120 {
		if _, err := s.Create(ctx, pod(fmt.Sprintf("ns%d", i%3), fmt.Sprintf("p%03d", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	inf, err := New(s, Config[*api.Pod]{PageSize: 7}) // several pages
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	run(t, inf)
	// WaitForSync promises the initial adds were delivered: no waiting.
	want, rev := storeStates(t, s)
	if diff := cmp.Diff(want, r.states(), cmp.AllowUnexported(key{})); diff != "" {
		t.Fatalf("after sync (-store +handler):\n%s", diff)
	}
	if r.adds != 120 || r.updates != 0 || r.deletes != 0 {
		t.Fatalf("adds/updates/deletes = %d/%d/%d, want 120/0/0", r.adds, r.updates, r.deletes)
	}
	if got := inf.Revision(); got < rev {
		t.Fatalf("Revision() = %d, want >= %d", got, rev)
	}
	if got := len(inf.ListInNamespace("ns1", nil)); got != 40 {
		t.Fatalf("ListInNamespace(ns1) has %d pods, want 40", got)
	}
}

func TestAddUpdateDeleteDelivered(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	inf, err := New(s, Config[*api.Pod]{})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	run(t, inf)

	a, err := s.Create(ctx, pod("default", "a", map[string]string{"v": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, pod("default", "b", nil)); err != nil {
		t.Fatal(err)
	}
	upd := a.DeepCopyObject().(*api.Pod)
	upd.Labels["v"] = "2"
	if _, err := s.Update(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, api.KindPod, "default", "b"); err != nil {
		t.Fatal(err)
	}
	// Deleted and created again under the same name: a new object.
	if _, err := s.Delete(ctx, api.KindPod, "default", "a"); err != nil {
		t.Fatal(err)
	}
	a2, err := s.Create(ctx, pod("default", "a", nil))
	if err != nil {
		t.Fatal(err)
	}
	converge(t, inf, r, s)
	if r.adds != 3 || r.updates != 1 || r.deletes != 2 {
		t.Fatalf("adds/updates/deletes = %d/%d/%d, want 3/1/2", r.adds, r.updates, r.deletes)
	}
	got, ok := inf.Get("default", "a")
	if !ok || got.UID != a2.Meta().UID {
		t.Fatalf("Get(default, a) = %v, %v; want the re-created pod", got, ok)
	}
	if _, ok := inf.Get("default", "b"); ok {
		t.Fatal("Get(default, b) found a deleted pod")
	}
	if d := r.deleted[key{"default", "b"}]; len(d) != 1 || d[0].Name != "b" {
		t.Fatalf("OnDelete for b: %v", d)
	}
}

// TestIndexesAfterManyChanges checks every index against a brute-force
// computation over the store after a long random sequence of changes.
func TestIndexesAfterManyChanges(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	inf, err := New(s, Config[*api.Pod]{Indexers: map[string]IndexFunc[*api.Pod]{
		"node": nodeIndex,
		"app":  LabelIndex[*api.Pod]("app"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	run(t, inf)

	rng := rand.New(rand.NewPCG(1, 2))
	nss, nodes, apps := []string{"a", "b", "c"}, []string{"", "n1", "n2", "n3", "n4"}, []string{"", "web", "db"}
	for range 1500 {
		ns, name := nss[rng.IntN(len(nss))], fmt.Sprintf("p%d", rng.IntN(60))
		p := pod(ns, name, nil)
		if app := apps[rng.IntN(len(apps))]; app != "" {
			p.Labels = map[string]string{"app": app}
		}
		p.Spec.NodeName = nodes[rng.IntN(len(nodes))]
		var err error
		switch rng.IntN(3) {
		case 0:
			_, err = s.Create(ctx, p)
		case 1:
			_, err = s.Update(ctx, p) // unconditional
		case 2:
			_, err = s.Delete(ctx, api.KindPod, ns, name)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatal(err)
		}
	}
	converge(t, inf, r, s)

	l, err := s.List(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	add := func(idx, v, k string) { want[idx+"="+v] = append(want[idx+"="+v], k) }
	for _, o := range l.Items {
		p := o.(*api.Pod)
		k := p.Namespace + "/" + p.Name
		add(IndexNamespace, p.Namespace, k)
		if p.Spec.NodeName != "" {
			add("node", p.Spec.NodeName, k)
		}
		if app, ok := p.Labels["app"]; ok {
			add("app", app, k)
		}
	}
	got := map[string][]string{}
	for _, q := range []struct{ idx, v string }{
		{IndexNamespace, "a"}, {IndexNamespace, "b"}, {IndexNamespace, "c"},
		{"node", "n1"}, {"node", "n2"}, {"node", "n3"}, {"node", "n4"},
		{"app", "web"}, {"app", "db"},
	} {
		for _, p := range inf.ByIndex(q.idx, q.v) {
			got[q.idx+"="+q.v] = append(got[q.idx+"="+q.v], p.Namespace+"/"+p.Name)
		}
	}
	for _, m := range []map[string][]string{want, got} {
		for _, v := range m {
			slices.Sort(v)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("indexes (-brute force +ByIndex):\n%s", diff)
	}
	if got := inf.ByIndex("node", ""); got != nil {
		t.Fatalf("pods without a node were indexed: %d", len(got))
	}
	if got := inf.ByIndex("no-such-index", "x"); got != nil {
		t.Fatalf("unknown index returned %d objects", len(got))
	}
	if got, want := len(inf.List(api.SelectorFromSet(map[string]string{"app": "web"}))), len(want["app=web"]); got != want {
		t.Fatalf("List(app=web) = %d pods, want %d", got, want)
	}
	if got, want := len(inf.ListInNamespace("a", api.SelectorFromSet(map[string]string{"app": "db"}))), countBoth(l.Items, "a", "db"); got != want {
		t.Fatalf("ListInNamespace(a, app=db) = %d pods, want %d", got, want)
	}
}

func countBoth(items []api.Object, ns, app string) int {
	n := 0
	for _, o := range items {
		if o.Meta().Namespace == ns && o.Meta().Labels["app"] == app {
			n++
		}
	}
	return n
}

func TestResyncCallsUpdateForEveryObject(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for i := range 10 {
		if _, err := s.Create(ctx, pod("default", fmt.Sprintf("p%d", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	clk := newFakeClock()
	inf, err := New(s, Config[*api.Pod]{ResyncPeriod: time.Minute, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	run(t, inf)
	for round := 1; round <= 3; round++ {
		if d := clk.waitForWaiter(t); d != time.Minute {
			t.Fatalf("resync waits %v, want 1m", d)
		}
		clk.Advance(time.Minute)
		r.waitFor(t, "a resync", func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.resyncs >= 10*round
		})
	}
	converge(t, inf, r, s)
	if r.resyncs != 30 || r.updates != 0 {
		t.Fatalf("resyncs = %d, updates = %d; want 30, 0", r.resyncs, r.updates)
	}
}

func TestScopedByNamespace(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	inf, err := New(s, Config[*api.Pod]{Namespace: "a"})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	for _, ns := range []string{"a", "b"} {
		if _, err := s.Create(ctx, pod(ns, "before", nil)); err != nil {
			t.Fatal(err)
		}
	}
	run(t, inf)
	for _, ns := range []string{"a", "b"} {
		if _, err := s.Create(ctx, pod(ns, "after", nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Delete(ctx, api.KindPod, ns, "before"); err != nil {
			t.Fatal(err)
		}
	}
	converge(t, inf, r, s, store.ListInNamespace("a"))
	if r.adds != 2 || r.deletes != 1 {
		t.Fatalf("adds/deletes = %d/%d, want 2/1 (namespace a only)", r.adds, r.deletes)
	}
}

func TestScopedBySelector(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	sel := api.SelectorFromSet(map[string]string{"app": "web"})
	inf, err := New(s, Config[*api.Pod]{Selector: sel})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	run(t, inf)

	p, err := s.Create(ctx, pod("default", "p", map[string]string{"app": "web"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, pod("default", "other", map[string]string{"app": "db"})); err != nil {
		t.Fatal(err)
	}
	converge(t, inf, r, s, store.ListSelector(sel))

	// Leaving the selector is a delete, coming back an add.
	out := p.DeepCopyObject().(*api.Pod)
	out.Labels["app"] = "api"
	if p, err = s.Update(ctx, out); err != nil {
		t.Fatal(err)
	}
	converge(t, inf, r, s, store.ListSelector(sel))
	if r.deletes != 1 {
		t.Fatalf("deletes = %d after the pod left the selector, want 1", r.deletes)
	}
	back := p.DeepCopyObject().(*api.Pod)
	back.Labels["app"] = "web"
	if _, err := s.Update(ctx, back); err != nil {
		t.Fatal(err)
	}
	converge(t, inf, r, s, store.ListSelector(sel))
	if r.adds != 2 || r.updates != 0 || r.deletes != 1 {
		t.Fatalf("adds/updates/deletes = %d/%d/%d, want 2/0/1", r.adds, r.updates, r.deletes)
	}
}

func TestHandlerAddedLateGetsCurrentContents(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	inf, err := New(s, Config[*api.Pod]{})
	if err != nil {
		t.Fatal(err)
	}
	first := newRecorder()
	inf.AddHandler(first)
	run(t, inf)
	for i := range 20 {
		if _, err := s.Create(ctx, pod("default", fmt.Sprintf("p%d", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	converge(t, inf, first, s)
	late := newRecorder()
	inf.AddHandler(late)
	if _, err := s.Delete(ctx, api.KindPod, "default", "p0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, pod("default", "new", nil)); err != nil {
		t.Fatal(err)
	}
	converge(t, inf, late, s)
	converge(t, inf, first, s)
	if late.adds != 21 || late.deletes != 1 {
		t.Fatalf("late handler adds/deletes = %d/%d, want 21/1", late.adds, late.deletes)
	}
}

func TestWatchDropResumesWithoutRelist(t *testing.T) {
	s := newStore(t)
	fs := newFaultStore(s)
	ctx := t.Context()
	// Revision 0 (an empty, never written store) cannot be resumed.
	if _, err := s.Create(ctx, pod("default", "first", nil)); err != nil {
		t.Fatal(err)
	}
	inf, err := New[*api.Pod](fs, Config[*api.Pod]{})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	run(t, inf)
	for round := range 5 {
		for i := range 10 {
			if _, err := s.Create(ctx, pod("default", fmt.Sprintf("r%d-%d", round, i), nil)); err != nil {
				t.Fatal(err)
			}
		}
		fs.dropWatches(store.ErrWatchDropped)
		if _, err := s.Delete(ctx, api.KindPod, "default", fmt.Sprintf("r%d-0", round)); err != nil {
			t.Fatal(err)
		}
	}
	converge(t, inf, r, s)
	if n := fs.lists.Load(); n != 1 {
		t.Fatalf("%d lists, want 1: a dropped watch resumes from the cache's revision", n)
	}
	if r.deletes != 5 {
		t.Fatalf("deletes = %d, want 5", r.deletes)
	}
}

// TestCompactionDuringOutage: the watch drops, the store changes and is
// compacted before the informer comes back, so it must relist and deliver
// the difference, deletes included, with their last known state.
func TestCompactionDuringOutage(t *testing.T) {
	for _, cause := range []error{store.ErrWatchDropped, store.ErrUnavailable, nil} {
		t.Run(fmt.Sprint(cause), func(t *testing.T) {
			s := newStore(t)
			fs := newFaultStore(s)
			ctx := t.Context()
			before := map[string]*api.Pod{}
			for i := range 10 {
				p, err := s.Create(ctx, pod("default", fmt.Sprintf("p%d", i), nil))
				if err != nil {
					t.Fatal(err)
				}
				before[p.Meta().Name] = p.(*api.Pod)
			}
			inf, err := New[*api.Pod](fs, Config[*api.Pod]{})
			if err != nil {
				t.Fatal(err)
			}
			r := newRecorder()
			inf.AddHandler(r)
			run(t, inf)

			fs.closeGate()
			if n := fs.dropWatches(cause); n != 1 {
				t.Fatalf("dropped %d watches, want 1", n)
			}
			if !fs.waitBlocked() {
				t.Fatal("the informer never came back to the store")
			}
			for i := range 3 { // deleted during the outage
				if _, err := s.Delete(ctx, api.KindPod, "default", fmt.Sprintf("p%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			upd := before["p5"].DeepCopyObject().(*api.Pod)
			upd.Labels = map[string]string{"changed": "yes"}
			if _, err := s.Update(ctx, upd); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Delete(ctx, api.KindPod, "default", "p6"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Create(ctx, pod("default", "p6", nil)); err != nil { // same name, new object
				t.Fatal(err)
			}
			if _, err := s.Create(ctx, pod("default", "new", nil)); err != nil {
				t.Fatal(err)
			}
			rev, err := s.Revision(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Compact(ctx, rev); err != nil {
				t.Fatal(err)
			}
			fs.openGate()

			converge(t, inf, r, s)
			if n := fs.lists.Load(); n != 2 {
				t.Fatalf("%d lists, want 2 (the initial one and one after compaction)", n)
			}
			for _, name := range []string{"p0", "p1", "p2", "p6"} {
				d := r.deleted[key{"default", name}]
				if len(d) != 1 || d[0].UID != before[name].UID || d[0].ResourceVersion != before[name].ResourceVersion {
					t.Errorf("OnDelete for %s = %v, want exactly one with its last known state (uid %s rv %d)", name, d, before[name].UID, before[name].ResourceVersion)
				}
			}
			if r.adds != 12 || r.updates != 1 || r.deletes != 4 {
				t.Fatalf("adds/updates/deletes = %d/%d/%d, want 12/1/4", r.adds, r.updates, r.deletes)
			}
		})
	}
}

func TestBackoffOnUnavailableStore(t *testing.T) {
	s := newStore(t)
	fs := newFaultStore(s)
	fs.setFailures(4, 0) // the first four Lists fail
	clk := newFakeClock()
	inf, err := New[*api.Pod](fs, Config[*api.Pod]{Clock: clk, InitialBackoff: time.Second, MaxBackoff: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- inf.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// Failure 1 retries at once; then 1s, 2s, 3s (capped), each ±20%.
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		d := clk.waitForWaiter(t)
		if d < want*8/10 || d > want*12/10 {
			t.Fatalf("back-off %v, want %v ±20%%", d, want)
		}
		if inf.HasSynced() {
			t.Fatal("synced while the store fails")
		}
		clk.Advance(d)
	}
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := inf.WaitForSync(sctx); err != nil {
		t.Fatal(err)
	}
	if n := fs.lists.Load(); n != 5 {
		t.Fatalf("%d lists, want 5", n)
	}
}

func TestReadYourWrites(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	inf, err := New(s, Config[*api.Pod]{Namespace: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	run(t, inf)
	obj, err := s.Create(ctx, pod("mine", "p", map[string]string{"n": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 50; i++ {
		p := obj.DeepCopyObject().(*api.Pod)
		p.Labels["n"] = fmt.Sprint(i)
		if obj, err = s.Update(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := inf.WaitForRevision(ctx, obj.Meta().ResourceVersion); err != nil {
			t.Fatal(err)
		}
		got, ok := inf.Get("mine", "p")
		if !ok || got.Labels["n"] != fmt.Sprint(i) {
			t.Fatalf("after write %d the cache has %v", i, got)
		}
	}
	// A write outside the informer's namespace: the revision still
	// advances, through the store's progress notifications.
	other, err := s.Create(ctx, pod("other", "p", nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := inf.WaitForRevision(ctx, other.Meta().ResourceVersion); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := inf.WaitForRevision(cctx, other.Meta().ResourceVersion+100); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitForRevision of a future revision with a cancelled context = %v", err)
	}
}

func TestRunTwice(t *testing.T) {
	inf, err := New(newStore(t), Config[*api.Pod]{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, inf)
	if err := inf.Run(t.Context()); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("second Run = %v, want ErrAlreadyStarted", err)
	}
}

// TestStorm: writers change pods while faults (dropped watches,
// compaction behind a held-back informer, failing lists and watches) hit
// the informer again and again. The handlers must end with exactly the
// store's state and never see a broken guarantee.
func TestStorm(t *testing.T) {
	s := newStore(t)
	fs := newFaultStore(s)
	clk := newFakeClock()
	defer clk.autoAdvance()()
	sel := api.SelectorFromSet(map[string]string{"keep": "yes"})
	inf, err := New[*api.Pod](fs, Config[*api.Pod]{Clock: clk, Selector: sel, PageSize: 16, Indexers: map[string]IndexFunc[*api.Pod]{"node": nodeIndex}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	run(t, inf)

	ctx := t.Context()
	const writers, opsPerWriter = 6, 400
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range opsPerWriter {
				ns, name := fmt.Sprintf("ns%d", rng.IntN(2)), fmt.Sprintf("p%d", rng.IntN(40))
				p := pod(ns, name, map[string]string{"keep": []string{"yes", "no"}[rng.IntN(4)/3]})
				p.Spec.NodeName = fmt.Sprintf("n%d", rng.IntN(3))
				var err error
				switch rng.IntN(3) {
				case 0:
					_, err = s.Create(ctx, p)
				case 1:
					_, err = s.Update(ctx, p)
				default:
					_, err = s.Delete(ctx, api.KindPod, ns, name)
				}
				if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAlreadyExists) {
					errs <- err
					return
				}
			}
		})
	}
	faultsDone := make(chan struct{})
	wg.Go(func() {
		defer close(faultsDone)
		rng := rand.New(rand.NewPCG(99, 7))
		for i := range 40 {
			switch i % 4 {
			case 0:
				fs.dropWatches(store.ErrWatchDropped)
			case 1:
				fs.closeGate()
				fs.dropWatches(store.ErrUnavailable)
				if !fs.waitBlocked() {
					t.Error("the informer never came back to the store")
					return
				}
				for range rng.IntN(20) {
					runtime.Gosched()
				}
				if rev, err := s.Revision(ctx); err == nil {
					_ = s.Compact(ctx, rev)
				}
				fs.openGate()
			case 2:
				fs.setFailures(2, 2)
				fs.dropWatches(store.ErrUnavailable)
			case 3:
				fs.dropWatches(nil) // closed without a reason
			}
			// Let the informer recover before the next fault.
			rev, err := s.Revision(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err = inf.WaitForRevision(wctx, rev)
			cancel()
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	<-faultsDone
	fs.setFailures(0, 0)
	converge(t, inf, r, s, store.ListSelector(sel))
	for _, n := range []string{"n0", "n1", "n2"} {
		for _, p := range inf.ByIndex("node", n) {
			if p.Spec.NodeName != n {
				t.Fatalf("node index %s holds a pod on %s", n, p.Spec.NodeName)
			}
		}
	}
	t.Logf("lists %d, watches %d, adds %d, updates %d, deletes %d", fs.lists.Load(), fs.watchCalls.Load(), r.adds, r.updates, r.deletes)
}
