package gc_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/gc"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func setup(t *testing.T) *memstore.Store {
	t.Helper()
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gc.New(gc.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = g.Start(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return st
}

func ref(o api.Object) api.OwnerReference {
	yes := true
	return api.OwnerReference{APIVersion: "apps/v1", Kind: string(o.Kind()), Name: o.Meta().Name, UID: o.Meta().UID, Controller: &yes, BlockOwnerDeletion: &yes}
}

// family creates a ReplicaSet with n pods that it owns.
func family(t *testing.T, st store.Store, n int) (api.Object, []string) {
	t.Helper()
	ctx := context.Background()
	rs, err := st.Create(ctx, &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "rs", Namespace: "default"},
		Spec: api.ReplicaSetSpec{Selector: &api.LabelSelector{}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range n {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p" + string(rune('a'+i)), Namespace: "default", OwnerReferences: []api.OwnerReference{ref(rs)}},
			Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "x"}}}}
		if _, err := st.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		names = append(names, p.Name)
	}
	return rs, names
}

func exists(t *testing.T, st store.Store, kind api.Kind, name string) bool {
	_, err := st.Get(context.Background(), kind, "default", name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestBackgroundDeletesDependents(t *testing.T) {
	st := setup(t)
	_, pods := family(t, st, 3)
	if _, err := st.Delete(context.Background(), api.KindReplicaSet, "default", "rs"); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool {
		for _, p := range pods {
			if exists(t, st, api.KindPod, p) {
				return false
			}
		}
		return true
	}, "dependents deleted")
}

func TestOrphanKeepsDependents(t *testing.T) {
	st := setup(t)
	_, pods := family(t, st, 3)
	if _, err := st.Delete(context.Background(), api.KindReplicaSet, "default", "rs", store.WithPropagation(store.PropagateOrphan)); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return !exists(t, st, api.KindReplicaSet, "rs") }, "owner gone after orphaning")
	for _, p := range pods {
		o, err := st.Get(context.Background(), api.KindPod, "default", p)
		if err != nil {
			t.Fatalf("orphaned pod %s: %v", p, err)
		}
		if len(o.Meta().OwnerReferences) != 0 {
			t.Fatalf("pod %s still references its owner", p)
		}
	}
}

func TestForegroundDeletesDependentsFirst(t *testing.T) {
	st := setup(t)
	_, pods := family(t, st, 3)
	ctx := context.Background()
	// Watch from now: the owner must outlive every dependent.
	rev, _ := st.Revision(ctx)
	if _, err := st.Delete(ctx, api.KindReplicaSet, "default", "rs", store.WithPropagation(store.PropagateForeground)); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return !exists(t, st, api.KindReplicaSet, "rs") }, "owner gone")
	for _, p := range pods {
		if exists(t, st, api.KindPod, p) {
			t.Fatalf("pod %s outlived its foreground-deleted owner", p)
		}
	}
	w, err := st.Watch(ctx, api.KindReplicaSet, store.FromRevision(rev))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var ownerGoneAt int64
	for ev := range w.Events() {
		if ev.Type == store.Deleted {
			ownerGoneAt = ev.Revision
			break
		}
	}
	pw, err := st.Watch(ctx, api.KindPod, store.FromRevision(rev))
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Stop()
	gone := 0
	for ev := range pw.Events() {
		if ev.Type == store.Deleted {
			if ev.Revision > ownerGoneAt {
				t.Fatalf("pod %s deleted at %d, after its owner (%d)", ev.Object.Meta().Name, ev.Revision, ownerGoneAt)
			}
			if gone++; gone == len(pods) {
				break
			}
		}
	}
}

func TestDanglingReferenceIsDroppedWhenAnotherOwnerLives(t *testing.T) {
	st := setup(t)
	ctx := context.Background()
	a, _ := st.Create(ctx, &api.Service{ObjectMeta: api.ObjectMeta{Name: "a", Namespace: "default"}})
	b, _ := st.Create(ctx, &api.Service{ObjectMeta: api.ObjectMeta{Name: "b", Namespace: "default"}})
	ra, rb := ref(a), ref(b)
	ra.Controller, rb.Controller = nil, nil
	if _, err := st.Create(ctx, &api.Endpoints{ObjectMeta: api.ObjectMeta{Name: "e", Namespace: "default", OwnerReferences: []api.OwnerReference{ra, rb}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Delete(ctx, api.KindService, "default", "a"); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool {
		o, err := st.Get(ctx, api.KindEndpoints, "default", "e")
		return err == nil && len(o.Meta().OwnerReferences) == 1 && o.Meta().OwnerReferences[0].UID == b.Meta().UID
	}, "dangling reference dropped, dependent kept")
}
