package informer

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// newStore returns the real in-memory store the tests run on.
func newStore(t testing.TB) *memstore.Store {
	t.Helper()
	s, err := memstore.New(memstore.Config{ProgressInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// state is what the tests compare: an object's identity and version.
type state struct {
	UID      api.UID
	RV       int64
	Labels   map[string]string
	NodeName string
}

func stateOf(p *api.Pod) state {
	return state{UID: p.UID, RV: p.ResourceVersion, Labels: p.Labels, NodeName: p.Spec.NodeName}
}

type key = objKey

// recorder is a handler that maintains its own map of the objects it was
// told about, and records every violation of the delivery guarantees.
type recorder struct {
	mu      sync.Mutex
	objs    map[key]*api.Pod
	seen    map[string]bool // uid@rv delivered as an add or a new state
	adds    int
	updates int
	resyncs int
	deletes int
	deleted map[key][]*api.Pod // every OnDelete, by key
	bad     []string
	changed chan struct{}
}

func newRecorder() *recorder {
	return &recorder{objs: map[key]*api.Pod{}, seen: map[string]bool{}, deleted: map[key][]*api.Pod{}, changed: make(chan struct{})}
}

func (r *recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) fresh(p *api.Pod) {
	id := fmt.Sprintf("%s@%d", p.UID, p.ResourceVersion)
	if r.seen[id] {
		r.bad = append(r.bad, "delivered twice: "+p.Name+" "+id)
	}
	r.seen[id] = true
}

func (r *recorder) OnAdd(p *api.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.notify()
	k := keyOf(&p.ObjectMeta)
	if _, ok := r.objs[k]; ok {
		r.bad = append(r.bad, "add of a present object: "+p.Name)
	}
	r.fresh(p)
	r.objs[k] = p
	r.adds++
}

func (r *recorder) OnUpdate(old, p *api.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.notify()
	k := keyOf(&p.ObjectMeta)
	cur, ok := r.objs[k]
	switch {
	case !ok:
		r.bad = append(r.bad, "update of an absent object: "+p.Name)
	case cur != old:
		r.bad = append(r.bad, fmt.Sprintf("update of %s from rv %d, but the handler last saw rv %d", p.Name, old.ResourceVersion, cur.ResourceVersion))
	case old == p:
		r.resyncs++
		return
	case p.ResourceVersion <= old.ResourceVersion:
		r.bad = append(r.bad, fmt.Sprintf("update of %s went back from rv %d to %d", p.Name, old.ResourceVersion, p.ResourceVersion))
	case p.UID != old.UID:
		r.bad = append(r.bad, "update changed the uid of "+p.Name)
	}
	r.fresh(p)
	r.objs[k] = p
	r.updates++
}

func (r *recorder) OnDelete(p *api.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.notify()
	k := keyOf(&p.ObjectMeta)
	cur, ok := r.objs[k]
	if !ok {
		r.bad = append(r.bad, "delete of an absent object: "+p.Name)
	} else if cur.UID != p.UID {
		r.bad = append(r.bad, "delete of another object with the name "+p.Name)
	}
	delete(r.objs, k)
	r.deleted[k] = append(r.deleted[k], p)
	r.deletes++
}

func (r *recorder) states() map[key]state {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[key]state, len(r.objs))
	for k, p := range r.objs {
		out[k] = stateOf(p)
	}
	return out
}

func (r *recorder) violations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

// waitFor blocks until cond holds (checked on every handler call), or
// fails the test after a generous deadline that only a hang reaches.
func (r *recorder) waitFor(t testing.TB, what string, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			for _, e := range explain {
				what += ": " + e()
			}
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// storeStates lists the pods in scope straight from the store.
func storeStates(t testing.TB, s store.Store, opts ...store.ListOption) (map[key]state, int64) {
	t.Helper()
	l, err := s.List(context.Background(), api.KindPod, opts...)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[key]state, len(l.Items))
	for _, o := range l.Items {
		p := o.(*api.Pod)
		out[keyOf(&p.ObjectMeta)] = stateOf(p)
	}
	return out, l.Revision
}

// converge waits until the informer has reached the store's revision and
// the recorder's map equals the store's contents, then checks that no
// delivery guarantee was broken.
func converge(t testing.TB, inf *Informer[*api.Pod], r *recorder, s store.Store, opts ...store.ListOption) map[key]state {
	t.Helper()
	want, rev := storeStates(t, s, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := inf.WaitForRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "handlers to converge on the store", func() bool { return maps.EqualFunc(r.states(), want, stateEqual) }, func() string {
		return fmt.Sprintf("revision %d of %d; (-store +handlers):\n%s", inf.Revision(), rev, cmp.Diff(want, r.states(), cmp.AllowUnexported(key{})))
	})
	if diff := cmp.Diff(want, r.states(), cmp.AllowUnexported(key{})); diff != "" {
		t.Fatalf("handler state differs from the store (-store +handlers):\n%s", diff)
	}
	cached := make(map[key]state)
	for _, p := range inf.List(nil) {
		cached[keyOf(&p.ObjectMeta)] = stateOf(p)
	}
	if diff := cmp.Diff(want, cached, cmp.AllowUnexported(key{})); diff != "" {
		t.Fatalf("cache differs from the store (-store +cache):\n%s", diff)
	}
	if v := r.violations(); len(v) > 0 {
		t.Fatalf("delivery guarantees broken:\n%v", v)
	}
	return want
}

func stateEqual(a, b state) bool { return cmp.Equal(a, b) }

// pod returns a minimal valid pod.
func pod(ns, name string, labels map[string]string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox"}}},
	}
}

// run starts inf and stops it (waiting for Run) when the test ends.
func run[T api.Object](t testing.TB, inf *Informer[T]) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- inf.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := inf.WaitForSync(sctx); err != nil {
		t.Fatal(err)
	}
}
