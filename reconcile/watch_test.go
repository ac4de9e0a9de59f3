package reconcile_test

import (
	"context"
	"sync"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store/informer"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// TestWatchMapsObjectsAndOwners runs a controller of ReplicaSets fed by
// ReplicaSet changes (ForObject) and pod changes (ForController).
func TestWatchMapsObjectsAndOwners(t *testing.T) {
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rsInf, err := informer.New[*api.ReplicaSet](st, informer.Config[*api.ReplicaSet]{})
	if err != nil {
		t.Fatal(err)
	}
	podInf, err := informer.New[*api.Pod](st, informer.Config[*api.Pod]{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[reconcile.Request]int{}
	c, err := reconcile.New(reconcile.Config{
		Name: "rs",
		Reconciler: reconcile.ReconcilerFunc(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			mu.Lock()
			seen[req]++
			mu.Unlock()
			return reconcile.Result{}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	reconcile.Watch(c, rsInf, reconcile.ForObject())
	reconcile.Watch(c, podInf, reconcile.ForController(api.KindReplicaSet))
	startController(t, c)
	ctx := context.Background()
	rs, err := st.Create(ctx, &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	want := reconcile.Request{Kind: api.KindReplicaSet, Namespace: "default", Name: "web"}
	count := func() int { mu.Lock(); defer mu.Unlock(); return seen[want] }
	reconciletest.Eventually(t, func() bool { return count() >= 1 }, "RS create reconciled")
	n := count()
	yes := true
	_, err = st.Create(ctx, &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web-1", Namespace: "default",
		OwnerReferences: []api.OwnerReference{{Kind: "ReplicaSet", Name: "web", UID: rs.Meta().UID, Controller: &yes}}}})
	if err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return count() > n }, "owned pod create maps to its ReplicaSet")
	mu.Lock()
	defer mu.Unlock()
	for r := range seen {
		if r != want {
			t.Errorf("unexpected request %v", r)
		}
	}
}
