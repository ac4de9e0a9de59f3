package etcdstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

func TestCRUD(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	rev0, err := s.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created, err := s.Create(ctx, pod("ns1", "web", map[string]string{"app": "web"}))
	if err != nil {
		t.Fatal(err)
	}
	m := created.Meta()
	if m.UID == "" || m.Generation != 1 || m.CreationTimestamp.IsZero() || m.ResourceVersion != rev0+1 {
		t.Fatalf("create: meta %+v (rev0 %d)", m, rev0)
	}
	got, err := s.Get(ctx, api.KindPod, "ns1", "web")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(created, got); d != "" {
		t.Fatalf("get differs from create (-create +get):\n%s", d)
	}
	if _, err := s.Create(ctx, pod("ns1", "web", nil)); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("second create: %v, want ErrAlreadyExists", err)
	}
	if _, err := s.Get(ctx, api.KindPod, "ns1", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}

	// Update spec: generation bumps, status stays as stored.
	p := got.(*api.Pod)
	p.Spec.NodeName = "n1"
	p.Status.Phase = "Running" // ignored by Update
	up, err := s.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if up.Meta().Generation != 2 || up.Meta().ResourceVersion != rev0+2 || up.(*api.Pod).Status.Phase != "" {
		t.Fatalf("update: %+v status %+v", up.Meta(), up.(*api.Pod).Status)
	}
	// Stale resourceVersion: conflict.
	if _, err := s.Update(ctx, p); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	// UpdateStatus: only status changes, generation stays.
	sp := up.DeepCopyObject().(*api.Pod)
	sp.Status.Phase = "Running"
	sp.Spec.NodeName = "ignored"
	st, err := s.UpdateStatus(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	if sp := st.(*api.Pod); sp.Status.Phase != "Running" || sp.Spec.NodeName != "n1" || sp.Generation != 2 {
		t.Fatalf("update status: %+v", sp)
	}
	// Metadata-only update keeps generation.
	lp := st.DeepCopyObject().(*api.Pod)
	lp.Labels = map[string]string{"app": "web", "x": "y"}
	lu, err := s.Update(ctx, lp)
	if err != nil {
		t.Fatal(err)
	}
	if lu.Meta().Generation != 2 || lu.(*api.Pod).Status.Phase != "Running" {
		t.Fatalf("label update: %+v", lu)
	}

	// Delete with a wrong UID precondition: conflict; then delete.
	if _, err := s.Delete(ctx, api.KindPod, "ns1", "web", store.WithUID("other")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete wrong uid: %v", err)
	}
	if _, err := s.Delete(ctx, api.KindPod, "ns1", "web", store.WithUID(m.UID)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, api.KindPod, "ns1", "web"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	rev, _ := s.Revision(ctx)
	if rev != rev0+5 {
		t.Fatalf("revision %d after 5 writes from %d", rev, rev0)
	}
}

func TestInvalid(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	for _, tc := range []struct {
		name string
		obj  api.Object
	}{
		{"no namespace", pod("", "a", nil)},
		{"bad name", pod("ns", "Bad_Name", nil)},
		{"bad namespace", pod("NS", "a", nil)},
		{"namespace on cluster kind", &api.Node{ObjectMeta: api.ObjectMeta{Namespace: "x", Name: "n"}}},
		{"resourceVersion set", &api.Node{ObjectMeta: api.ObjectMeta{Name: "n", ResourceVersion: 3}}},
		{"too large", &api.Node{ObjectMeta: api.ObjectMeta{Name: "n", Annotations: map[string]string{"a": string(make([]byte, store.MaxObjectBytes))}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Create(ctx, tc.obj); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("create: %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := s.Get(ctx, "Nope", "", "x"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, err := s.List(ctx, api.KindPod, store.WithContinue("garbage!")); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad continue: %v", err)
	}
}

func TestGenerateName(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	seen := map[string]bool{}
	for range 20 {
		p := pod("ns", "", nil)
		p.GenerateName = "web-"
		o, err := s.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if seen[o.Meta().Name] || len(o.Meta().Name) != len("web-")+5 {
			t.Fatalf("generated name %q (seen %v)", o.Meta().Name, seen[o.Meta().Name])
		}
		seen[o.Meta().Name] = true
	}
}

func TestFinalizers(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	p := pod("ns", "f", nil)
	p.Finalizers = []string{"example.com/hold"}
	if _, err := s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	marked, err := s.Delete(ctx, api.KindPod, "ns", "f")
	if err != nil {
		t.Fatal(err)
	}
	if marked.Meta().DeletionTimestamp == nil {
		t.Fatal("delete of an object with finalizers did not mark it")
	}
	again, err := s.Delete(ctx, api.KindPod, "ns", "f")
	if err != nil || !again.Meta().DeletionTimestamp.Equal(*marked.Meta().DeletionTimestamp) || again.Meta().ResourceVersion != marked.Meta().ResourceVersion {
		t.Fatalf("second delete changed the mark: %v %+v", err, again.Meta())
	}
	// Removing the last finalizer deletes it.
	m := marked.DeepCopyObject()
	m.Meta().Finalizers = nil
	if _, err := s.Update(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, api.KindPod, "ns", "f"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after last finalizer: %v", err)
	}
	// Foreground propagation adds its finalizer.
	if _, err := s.Create(ctx, pod("ns", "g", nil)); err != nil {
		t.Fatal(err)
	}
	fg, err := s.Delete(ctx, api.KindPod, "ns", "g", store.WithPropagation(store.PropagateForeground))
	if err != nil {
		t.Fatal(err)
	}
	if fin := fg.Meta().Finalizers; len(fin) != 1 || fin[0] != api.FinalizerForeground || fg.Meta().DeletionTimestamp == nil {
		t.Fatalf("foreground delete: %+v", fg.Meta())
	}
}

func TestListPagingAndOrder(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	// Namespaces chosen so that etcd key order ("a-b/" < "a/") differs
	// from (namespace, name) order.
	var want []string
	for _, ns := range []string{"a", "a-b", "a0", "b"} {
		for i := range 3 {
			name := fmt.Sprintf("p%d", i)
			labels := map[string]string{"even": fmt.Sprint(i%2 == 0)}
			if _, err := s.Create(ctx, pod(ns, name, labels)); err != nil {
				t.Fatal(err)
			}
			want = append(want, ns+"/"+name)
		}
	}
	all, err := s.List(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, names(all.Items)); d != "" {
		t.Fatalf("list order (-want +got):\n%s", d)
	}
	// A write between pages must not show: pages are read at one revision.
	for _, tc := range []struct {
		name string
		opts []store.ListOption
		want []string
	}{
		{"all", nil, want},
		{"namespace", []store.ListOption{store.ListInNamespace("a-b")}, want[3:6]},
		{"selector", []store.ListOption{store.ListSelector(eqSelector(map[string]string{"even": "true"}))}, filter(want, func(i int) bool { return i%3 != 1 })},
	} {
		for _, limit := range []int{1, 2, 5, 100} {
			t.Run(fmt.Sprintf("%s/limit%d", tc.name, limit), func(t *testing.T) {
				var got []string
				var rev int64
				opts := append([]store.ListOption{store.WithLimit(limit)}, tc.opts...)
				page, err := s.List(ctx, api.KindPod, opts...)
				for pages := 0; ; pages++ {
					if err != nil {
						t.Fatal(err)
					}
					if len(page.Items) > limit || pages > len(tc.want) {
						t.Fatalf("page of %d items, limit %d, page %d", len(page.Items), limit, pages)
					}
					if rev == 0 {
						rev = page.Revision
						// A concurrent write must not appear in later pages.
						if _, err := s.Create(ctx, pod("a", fmt.Sprintf("z%d%s", limit, tc.name), map[string]string{"even": "true"})); err != nil {
							t.Fatal(err)
						}
						defer s.Delete(ctx, api.KindPod, "a", fmt.Sprintf("z%d%s", limit, tc.name))
					} else if page.Revision != rev {
						t.Fatalf("page at revision %d, first at %d", page.Revision, rev)
					}
					got = append(got, names(page.Items)...)
					if page.Continue == "" {
						break
					}
					page, err = s.List(ctx, api.KindPod, append(opts, store.WithContinue(page.Continue))...)
				}
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Fatalf("paged list (-want +got):\n%s", d)
				}
			})
		}
	}
}

func names(items []api.Object) []string {
	var out []string
	for _, o := range items {
		out = append(out, o.Meta().Namespace+"/"+o.Meta().Name)
	}
	return out
}

func filter(in []string, keep func(int) bool) []string {
	var out []string
	for i, s := range in {
		if keep(i) {
			out = append(out, s)
		}
	}
	return out
}

// TestUpdateFromCachedState: updates naming a resourceVersion this store
// has seen skip the read; the outcomes must be those of a read-then-CAS.
func TestUpdateFromCachedState(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	created, err := s.Create(ctx, pod("ns", "a", nil))
	if err != nil {
		t.Fatal(err)
	}
	// A status written in between must survive an Update built from the
	// created object (whose resourceVersion is now stale: conflict).
	st := created.DeepCopyObject().(*api.Pod)
	st.Status.Phase = "Running"
	withStatus, err := s.UpdateStatus(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	stale := created.DeepCopyObject().(*api.Pod)
	stale.Spec.NodeName = "n1"
	if _, err := s.Update(ctx, stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("update from a stale cached state: %v, want ErrConflict", err)
	}
	fresh := withStatus.DeepCopyObject().(*api.Pod)
	fresh.Spec.NodeName = "n1"
	fresh.Status.Phase = "ignored"
	got, err := s.Update(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	gp := got.(*api.Pod)
	if gp.Status.Phase != "Running" || gp.Generation != 2 || gp.UID != created.Meta().UID {
		t.Fatalf("update from cached state: status %q generation %d uid %s", gp.Status.Phase, gp.Generation, gp.UID)
	}
	stored, err := s.Get(ctx, api.KindPod, "ns", "a")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(got, stored); d != "" {
		t.Fatalf("returned and stored differ (-returned +stored):\n%s", d)
	}
	// Deleted since it was read: NotFound, as with a read.
	if _, err := s.Delete(ctx, api.KindPod, "ns", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, gp); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a deleted object: %v, want ErrNotFound", err)
	}
}

// TestUpdateIgnoresMutatedEventObjects: an event object modified by a
// careless caller (they are read-only) does not leak into what Update
// takes for the stored state.
func TestUpdateIgnoresMutatedEventObjects(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	w, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := s.Create(ctx, pod("ns", "a", nil)); err != nil {
		t.Fatal(err)
	}
	e := nextChange(t, w)
	p := e.Object.(*api.Pod)
	p.Status.Phase = "Mutated" // forbidden, but must not corrupt the store
	p.UID = "forged"
	p.Spec.NodeName = "n1"
	got, err := s.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if gp := got.(*api.Pod); gp.Status.Phase != "" || gp.UID == "forged" {
		t.Fatalf("update took a mutated event object for the stored state: phase %q uid %s", gp.Status.Phase, gp.UID)
	}
}

// TestGenerationIgnoresEncodingNoise: a spec that differs from the stored
// one only in ways the stored form cannot represent (an empty map where
// the store has none) is not a spec change.
func TestGenerationIgnoresEncodingNoise(t *testing.T) {
	s, _ := newStore(t)
	ctx := ctxT(t)
	created, err := s.Create(ctx, pod("ns", "a", nil))
	if err != nil {
		t.Fatal(err)
	}
	p := created.DeepCopyObject().(*api.Pod)
	p.Spec.Containers[0].Resources.Requests = api.ResourceList{}
	p.Spec.NodeSelector = map[string]string{}
	got, err := s.Update(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta().Generation != 1 {
		t.Fatalf("generation %d after an update that changed nothing the store keeps", got.Meta().Generation)
	}
}
