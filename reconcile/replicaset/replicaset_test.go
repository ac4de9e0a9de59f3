package replicaset_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/reconcile/replicaset"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func ptr[T any](v T) *T { return &v }

func newRS(name string, n int32) *api.ReplicaSet {
	l := map[string]string{"app": name}
	return &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.ReplicaSetSpec{Replicas: ptr(n), Selector: &api.LabelSelector{MatchLabels: l},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: l},
				Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}}}},
	}
}

// failingCreates fails every pod Create while fail is set, counting calls.
type failingCreates struct {
	store.Store
	fail  atomic.Bool
	calls atomic.Int32
}

func (f *failingCreates) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	if obj.Kind() == api.KindPod {
		f.calls.Add(1)
		if f.fail.Load() {
			return nil, fmt.Errorf("quota: %w", store.ErrInvalid)
		}
	}
	return f.Store.Create(ctx, obj)
}

type env struct {
	st  store.Store
	ms  *memstore.Store
	clk *reconciletest.Clock
}

func setup(t *testing.T, wrap func(store.Store) store.Store) env {
	t.Helper()
	ms, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store = ms
	if wrap != nil {
		st = wrap(ms)
	}
	clk := reconciletest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := replicaset.New(replicaset.Config{Store: st, Options: reconcile.Options{Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	kl, err := reconciletest.NewKubelet(reconciletest.KubeletConfig{Store: ms, Nodes: []string{"n1", "n2"}, Clock: clk, Bind: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = rc.Start(ctx); done <- struct{}{} }()
	go func() { _ = kl.Start(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	return env{st: st, ms: ms, clk: clk}
}

func pods(t *testing.T, s store.Store) []*api.Pod {
	t.Helper()
	l, err := s.List(context.Background(), api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	var out []*api.Pod
	for _, o := range l.Items {
		out = append(out, o.(*api.Pod))
	}
	return out
}

func readyOwned(t *testing.T, s store.Store, uid api.UID) int {
	n := 0
	for _, p := range pods(t, s) {
		for _, r := range p.OwnerReferences {
			if r.UID == uid && p.Status.Phase == api.PodRunning && p.DeletionTimestamp == nil {
				n++
			}
		}
	}
	return n
}

func TestReplicaSetCreatesReplacesAndScalesDown(t *testing.T) {
	e := setup(t, nil)
	ctx := context.Background()
	obj, err := e.st.Create(ctx, newRS("web", 5))
	if err != nil {
		t.Fatal(err)
	}
	uid := obj.Meta().UID
	reconciletest.Eventually(t, func() bool { return readyOwned(t, e.st, uid) == 5 }, "5 running pods")
	reconciletest.Eventually(t, func() bool {
		o, _ := e.st.Get(ctx, api.KindReplicaSet, "default", "web")
		s := o.(*api.ReplicaSet).Status
		return s.Replicas == 5 && s.ReadyReplicas == 5 && s.AvailableReplicas == 5 && s.ObservedGeneration == o.Meta().Generation
	}, "status 5/5/5")
	if n := len(pods(t, e.st)); n != 5 {
		t.Fatalf("%d pods exist, want exactly 5 (no double creation)", n)
	}
	victim := pods(t, e.st)[0].Name
	if _, err := e.st.Delete(ctx, api.KindPod, "default", victim); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return readyOwned(t, e.st, uid) == 5 && len(pods(t, e.st)) == 5 }, "deleted pod replaced")
	for _, p := range pods(t, e.st) {
		if p.Name == victim {
			t.Fatal("the deleted pod came back")
		}
	}
	o, _ := e.st.Get(ctx, api.KindReplicaSet, "default", "web")
	rs := o.(*api.ReplicaSet)
	rs.Spec.Replicas = ptr(int32(2))
	if _, err := e.st.Update(ctx, rs); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return len(pods(t, e.st)) == 2 }, "scaled down to 2")
}

func TestReplicaSetAdoptsOrphansAndReleasesNonMatching(t *testing.T) {
	e := setup(t, nil)
	ctx := context.Background()
	orphan := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "orphan", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}}}
	if _, err := e.st.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	obj, err := e.st.Create(ctx, newRS("web", 2))
	if err != nil {
		t.Fatal(err)
	}
	uid := obj.Meta().UID
	reconciletest.Eventually(t, func() bool { return readyOwned(t, e.st, uid) == 2 }, "2 pods owned")
	got, _ := e.st.Get(ctx, api.KindPod, "default", "orphan")
	if len(got.Meta().OwnerReferences) != 1 || got.Meta().OwnerReferences[0].UID != uid {
		t.Fatalf("orphan not adopted: %+v", got.Meta().OwnerReferences)
	}
	if n := len(pods(t, e.st)); n != 2 {
		t.Fatalf("%d pods, want 2 (the orphan counts)", n)
	}
	p := got.(*api.Pod)
	p.Labels = map[string]string{"app": "other"}
	if _, err := e.st.Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool {
		o, _ := e.st.Get(ctx, api.KindPod, "default", "orphan")
		return len(o.Meta().OwnerReferences) == 0 && readyOwned(t, e.st, uid) == 2
	}, "non-matching pod released and replaced")
}

func TestReplicaSetSlowStartOnFailures(t *testing.T) {
	var fc *failingCreates
	e := setup(t, func(s store.Store) store.Store { fc = &failingCreates{Store: s}; fc.fail.Store(true); return fc })
	ctx := context.Background()
	if _, err := e.st.Create(ctx, newRS("web", 100)); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return fc.calls.Load() >= 1 }, "a create attempt")
	reconciletest.WaitTimers(t, e.clk, 1) // the back-off of the failed sync
	// The ReplicaSet is synced once for its creation and once for its
	// first status write; each sync tries one create (the first batch of
	// the slow start) and stops. Without slow start each would try 100.
	if n := fc.calls.Load(); n > 2 {
		t.Fatalf("first syncs made %d create attempts, want at most 2 (slow start stops at the first failure)", n)
	}
	before := fc.calls.Load()
	reconciletest.Eventually(t, func() bool {
		o, _ := e.ms.Get(ctx, api.KindReplicaSet, "default", "web")
		for _, c := range o.(*api.ReplicaSet).Status.Conditions {
			if c.Type == replicaset.ConditionReplicaFailure && c.Status == api.ConditionTrue && strings.Contains(c.Message, "quota") {
				return true
			}
		}
		return false
	}, "ReplicaFailure condition with the create error")
	fc.fail.Store(false)
	e.clk.Advance(time.Minute)
	reconciletest.Eventually(t, func() bool { return len(pods(t, e.ms)) == 100 }, "100 pods once creates succeed")
	reconciletest.Eventually(t, func() bool {
		o, _ := e.ms.Get(ctx, api.KindReplicaSet, "default", "web")
		return len(o.(*api.ReplicaSet).Status.Conditions) == 0
	}, "ReplicaFailure cleared once creates succeed")
	if n := fc.calls.Load(); n != before+100 {
		t.Fatalf("%d create calls, want %d", n, before+100)
	}
}

func TestPodsToDeleteOrder(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(name, node string, phase api.PodPhase, ready bool, cost string, age int) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, CreationTimestamp: base.Add(time.Duration(-age) * time.Minute)},
			Spec: api.PodSpec{NodeName: node}, Status: api.PodStatus{Phase: phase}}
		if cost != "" {
			p.Annotations = map[string]string{api.AnnotationPodDeletionCost: cost}
		}
		st := api.ConditionFalse
		if ready {
			st = api.ConditionTrue
		}
		p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: st}}
		return p
	}
	pods := []*api.Pod{
		mk("ready-old", "n", api.PodRunning, true, "", 10),
		mk("ready-new", "n", api.PodRunning, true, "", 1),
		mk("ready-costly", "n", api.PodRunning, true, "100", 1),
		mk("ready-cheap", "n", api.PodRunning, true, "-5", 20),
		mk("notready", "n", api.PodRunning, false, "", 5),
		mk("pending", "n", api.PodPending, false, "", 5),
		mk("unscheduled", "", api.PodPending, false, "", 5),
	}
	got := []string{}
	for _, p := range replicaset.PodsToDelete(pods, len(pods)) {
		got = append(got, p.Name)
	}
	want := []string{"unscheduled", "pending", "notready", "ready-cheap", "ready-new", "ready-old", "ready-costly"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order = %v\nwant %v", got, want)
	}
	if n := len(replicaset.PodsToDelete(pods, 2)); n != 2 {
		t.Fatalf("PodsToDelete(2) returned %d", n)
	}
}
