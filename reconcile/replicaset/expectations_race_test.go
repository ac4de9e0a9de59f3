package replicaset

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// onPodUpdate calls hook during the first pod Update (an adoption).
type onPodUpdate struct {
	store.Store
	once sync.Once
	hook func()
}

func (o *onPodUpdate) Update(ctx context.Context, obj api.Object) (api.Object, error) {
	if obj.Kind() == api.KindPod {
		o.once.Do(o.hook)
	}
	return o.Store.Update(ctx, obj)
}

// TestNoCreationFromAListOlderThanTheExpectations drives the interleaving
// that over-created pods: a sync lists the pods while the informer lags
// the controller's own creations, and the informer observes them (which
// satisfies the expectations) before the sync checks its expectations.
// That sync must not create the pods again: the ReplicaSet would have more
// pods than spec.replicas, and a Deployment more than replicas + maxSurge.
func TestNoCreationFromAListOlderThanTheExpectations(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ms, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	lag := reconciletest.NewHeldEvents(ms, api.KindPod)
	podInf, err := informer.New[*api.Pod](lag, informer.Config[*api.Pod]{})
	if err != nil {
		t.Fatal(err)
	}
	rsInf, err := informer.New[*api.ReplicaSet](ms, informer.Config[*api.ReplicaSet]{})
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web"}
	o, err := ms.Create(ctx, &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.ReplicaSetSpec{Replicas: ptr(int32(2)), Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: labels},
				Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := o.(*api.ReplicaSet)
	// An orphan for the second sync to adopt: its adoption is where the
	// informer catches up.
	if _, err := ms.Create(ctx, &api.Pod{ObjectMeta: api.ObjectMeta{Name: "orphan", Namespace: "default", Labels: labels},
		Spec: rs.Spec.Template.Spec}); err != nil {
		t.Fatal(err)
	}
	clk := reconciletest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	hooked := &onPodUpdate{Store: ms}
	c, err := New(Config{Store: hooked, Pods: podInf, ReplicaSets: rsInf, Options: reconcile.Options{Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	// Added after the controller's handler, so it sees a pod only after
	// the controller has observed it.
	observed := make(chan struct{}, 16)
	podInf.AddHandler(informer.HandlerFuncs[*api.Pod]{AddFunc: func(p *api.Pod) {
		if p.Name != "orphan" {
			observed <- struct{}{}
		}
	}})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = podInf.Run(ctx) })
	wg.Go(func() { _ = rsInf.Run(ctx) })
	if err := podInf.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rsInf.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := podInf.Get("default", "orphan"); !ok {
		t.Fatal("orphan not in the pod cache after sync")
	}

	// The first sync's creations, as manage makes them, while the pod
	// informer lags.
	rev, err := ms.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lag.Hold(rev + 1)
	req := rsKey("default", "web")
	c.exp.expectCreates(req, 2, clk.Now())
	for range 2 {
		if _, err := ms.Create(ctx, podFor(rs)); err != nil {
			t.Fatal(err)
		}
	}

	// The second sync lists the pods (only the orphan), then, while it
	// adopts the orphan, the informer catches up and observes both
	// creations.
	hooked.hook = func() {
		lag.Release()
		<-observed
		<-observed
	}
	if _, err := c.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	l, err := ms.List(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 3 {
		t.Fatalf("%d pods after the second sync, want 3 (the orphan and the 2 created before): it created from a list older than its expectations", len(l.Items))
	}
}

func ptr[T any](v T) *T { return &v }
