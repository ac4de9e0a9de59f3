package deployment_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/deployment"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
	"github.com/fleetkit/orchestrator/store/memstore"
)

type revWaiter interface {
	WaitForRevision(ctx context.Context, rev int64) error
}

// lagRig is a Deployment controller driven by hand (Reconcile, never
// Start) over informers that are brought up to date before each sync,
// except the pod informer while its events are held; the ReplicaSet
// controller's part is played by fakeRS.
type lagRig struct {
	t      *testing.T
	ctx    context.Context
	st     *memstore.Store
	held   *reconciletest.HeldEvents
	infs   []revWaiter // the Deployment and ReplicaSet informers
	pods   *informer.Informer[*api.Pod]
	dc     *deployment.Controller
	clk    *reconciletest.Clock
	seq    int
	isHeld bool
}

func newLagRig(t *testing.T) *lagRig {
	t.Helper()
	// Frequent progress notifications: an informer reaches the store's
	// revision soon after a write of another kind.
	st, err := memstore.New(memstore.Config{ProgressInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	held := reconciletest.NewHeldEvents(st, api.KindPod)
	dInf, err := informer.New[*api.Deployment](st, informer.Config[*api.Deployment]{})
	if err != nil {
		t.Fatal(err)
	}
	rsInf, err := informer.New[*api.ReplicaSet](st, informer.Config[*api.ReplicaSet]{})
	if err != nil {
		t.Fatal(err)
	}
	podInf, err := informer.New[*api.Pod](held, informer.Config[*api.Pod]{})
	if err != nil {
		t.Fatal(err)
	}
	clk := reconciletest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	dc, err := deployment.New(deployment.Config{Store: st, Deployments: dInf, ReplicaSets: rsInf, Pods: podInf, Options: reconcile.Options{Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = dInf.Run(ctx) })
	wg.Go(func() { _ = rsInf.Run(ctx) })
	wg.Go(func() { _ = podInf.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, s := range []interface{ WaitForSync(context.Context) error }{dInf, rsInf, podInf} {
		if err := s.WaitForSync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return &lagRig{t: t, ctx: ctx, st: st, held: held, infs: []revWaiter{dInf, rsInf}, pods: podInf, dc: dc, clk: clk}
}

// settle waits until the Deployment and ReplicaSet informers, and the pod
// informer unless its events are held, reflect the store as it is now.
func (r *lagRig) settle() {
	r.t.Helper()
	rev, err := r.st.Revision(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second) // a hang guard only
	defer cancel()
	infs := r.infs
	if !r.isHeld {
		infs = append(infs[:len(infs):len(infs)], r.pods)
	}
	for _, inf := range infs {
		if err := inf.WaitForRevision(ctx, rev); err != nil {
			r.t.Fatal(err)
		}
	}
}

// hold makes the pod informer lag every pod change from now on.
func (r *lagRig) hold() {
	r.t.Helper()
	r.settle()
	rev, err := r.st.Revision(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	r.held.Hold(rev + 1)
	r.isHeld = true
}

func (r *lagRig) unhold() {
	r.held.Release()
	r.isHeld = false
	r.settle()
}

// sync runs one Deployment sync on settled caches, again after a
// conflict (its own earlier write in the same sync, as the work queue
// would retry it).
func (r *lagRig) sync() {
	r.t.Helper()
	for range 10 {
		r.settle()
		_, err := r.dc.Reconcile(r.ctx, reconcile.Request{Kind: api.KindDeployment, Namespace: "default", Name: "web"})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			r.t.Fatal(err)
		}
		r.settle()
		return
	}
	r.t.Fatal("sync conflicted 10 times in a row")
}

// fakeRS plays one sync of the ReplicaSet controller for each ReplicaSet
// (from the store, so never behind): it creates the pods below spec
// (Ready when ready says so) and, when del, deletes those above it; like
// the real one it writes its status from the pods it found before acting.
func (r *lagRig) fakeRS(ready, del bool) {
	r.t.Helper()
	rsl, err := r.st.List(r.ctx, api.KindReplicaSet)
	if err != nil {
		r.t.Fatal(err)
	}
	pl, err := r.st.List(r.ctx, api.KindPod)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, o := range rsl.Items {
		rs := o.(*api.ReplicaSet)
		var pods []*api.Pod
		for _, p := range pl.Items {
			if ref := podutil.ControllerOf(p.Meta()); ref != nil && ref.UID == rs.UID {
				pods = append(pods, p.(*api.Pod))
			}
		}
		spec := int(*rs.Spec.Replicas)
		for i := len(pods); i < spec; i++ {
			r.createPod(rs, ready)
		}
		if del && len(pods) > spec {
			for _, p := range pods[spec:] {
				if _, err := r.st.Delete(r.ctx, api.KindPod, p.Namespace, p.Name, store.WithUID(p.UID)); err != nil {
					r.t.Fatal(err)
				}
			}
		}
		st := api.ReplicaSetStatus{Replicas: int32(len(pods)), FullyLabeledReplicas: int32(len(pods)), ObservedGeneration: rs.Generation}
		for _, p := range pods {
			if podutil.IsReady(p) {
				st.ReadyReplicas++
				st.AvailableReplicas++
			}
		}
		cp := rs.DeepCopy()
		cp.Status = st
		if _, err := r.st.UpdateStatus(r.ctx, cp); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *lagRig) createPod(rs *api.ReplicaSet, ready bool) {
	r.t.Helper()
	r.seq++
	tmpl := rs.DeepCopy().Spec.Template
	o, err := r.st.Create(r.ctx, &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs.Name, r.seq), Namespace: rs.Namespace, Labels: tmpl.Labels,
			OwnerReferences: []api.OwnerReference{podutil.ControllerRef(rs)}},
		Spec: tmpl.Spec,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	p := o.(*api.Pod)
	p.Spec.NodeName = "node-0"
	if o, err = r.st.Update(r.ctx, p); err != nil {
		r.t.Fatal(err)
	}
	p = o.(*api.Pod)
	now := r.clk.Now()
	p.Status.Phase = api.PodPending
	if ready {
		p.Status.Phase = api.PodRunning
		p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: now}}
	}
	if _, err := r.st.UpdateStatus(r.ctx, p); err != nil {
		r.t.Fatal(err)
	}
}

func (r *lagRig) setImage(image string) {
	r.t.Helper()
	d := getD(r.t, r.st, "web")
	d.Spec.Template.Spec.Containers[0].Image = image
	if _, err := r.st.Update(r.ctx, d); err != nil {
		r.t.Fatal(err)
	}
}

// existing is every pod of the store that is not deleted yet.
func (r *lagRig) existing() int {
	r.t.Helper()
	l, err := r.st.List(r.ctx, api.KindPod)
	if err != nil {
		r.t.Fatal(err)
	}
	return len(l.Items)
}

// TestRollingUpdateBoundWithPodCacheBehindCreations drives the
// interleaving in which the Deployment controller's pod cache lags pod
// creations: a ReplicaSet (revision 2) has a pod that cache does not show
// when a template change mid-rollout makes it an old ReplicaSet, which is
// then scaled to 0 before that pod is deleted. Its spec no longer covers
// the pod and the cache does not count it; scaling the new ReplicaSet up
// on those counts lets the ReplicaSet controller create pods while it
// still exists: replicas + maxSurge + 1 pods.
func TestRollingUpdateBoundWithPodCacheBehindCreations(t *testing.T) {
	const replicas, bound = 4, 5 // maxSurge 1, maxUnavailable 0
	r := newLagRig(t)
	if _, err := r.st.Create(r.ctx, newDeployment("web", replicas, "nginx:1", api.FromInt(1), api.FromInt(0))); err != nil {
		t.Fatal(err)
	}
	// Revision 1, complete: 4 ready pods.
	r.sync()
	r.fakeRS(true, true)
	r.fakeRS(true, true)
	r.sync()
	if !complete(t, r.st, "web") {
		t.Fatal("first rollout not complete")
	}
	stop := watchInvariants(t, r.st, replicas, bound)
	check := func(when string) {
		t.Helper()
		if n := r.existing(); n > bound {
			t.Errorf("%s: %d pods exist, more than replicas + maxSurge = %d", when, n, bound)
		}
	}

	// Revision 2: its ReplicaSet is scaled to 1 (4 + 1 = 5 pods).
	r.setImage("nginx:2")
	r.sync()
	// The ReplicaSet controller creates that pod; the Deployment
	// controller's pod cache does not show it from here on.
	r.hold()
	r.fakeRS(false, false)
	check("revision 2 scaled up")

	// Revision 3 mid-rollout: the sync makes a third ReplicaSet and scales
	// revision 2 (its pod unavailable) to 0; the ReplicaSet controller has
	// not deleted that pod yet.
	r.setImage("nginx:3")
	r.sync()
	rss := map[string]*api.ReplicaSet{}
	l, err := r.st.List(r.ctx, api.KindReplicaSet)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range l.Items {
		rs := o.(*api.ReplicaSet)
		rss[rs.Spec.Template.Spec.Containers[0].Image] = rs
	}
	if len(rss) != 3 || *rss["nginx:2"].Spec.Replicas != 0 {
		t.Fatalf("after revision 3's first sync: want 3 ReplicaSets, revision 2's scaled to 0; have %d", len(rss))
	}
	for _, p := range r.pods.ListInNamespace("default", nil) {
		if ref := podutil.ControllerOf(&p.ObjectMeta); ref != nil && ref.UID == rss["nginx:2"].UID {
			t.Fatal("the pod cache shows revision 2's pod: the interleaving did not happen")
		}
	}
	if n := r.existing(); n != bound {
		t.Fatalf("%d pods exist, want %d", n, bound)
	}

	// The next sync must not scale revision 3 up while revision 2's pod
	// exists: the ReplicaSet controller may create revision 3's pods
	// before it deletes revision 2's.
	r.sync()
	r.fakeRS(true, false)
	check("revision 3 scaled up while revision 2's pod exists")

	// The pod cache catches up; the rollout completes within the bounds.
	r.unhold()
	for i := 0; i < 50 && !(complete(t, r.st, "web") && getD(t, r.st, "web").Annotations[api.AnnotationRevision] == "3"); i++ {
		r.fakeRS(true, true)
		r.fakeRS(true, true)
		r.sync()
		check("rollout to revision 3")
	}
	if !complete(t, r.st, "web") || getD(t, r.st, "web").Annotations[api.AnnotationRevision] != "3" {
		t.Fatalf("rollout to revision 3 never completed: %+v", getD(t, r.st, "web").Status)
	}
	if ic := stop(); len(ic.violations) > 0 {
		t.Fatalf("bounds violated (want ready >= %d, pods <= %d) on %d of %d states: %v", replicas, bound, len(ic.violations), ic.events, ic.violations[:min(5, len(ic.violations))])
	}
}
