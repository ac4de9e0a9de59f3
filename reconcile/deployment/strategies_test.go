package deployment_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/deployment"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store"
)

func badImage(p *api.Pod) bool { return p.Spec.Containers[0].Image == "bad" }

func replicaSets(t testing.TB, st store.Store) map[string]*api.ReplicaSet {
	l, err := st.List(context.Background(), api.KindReplicaSet)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*api.ReplicaSet{}
	for _, o := range l.Items {
		rs := o.(*api.ReplicaSet)
		out[rs.Spec.Template.Spec.Containers[0].Image] = rs
	}
	return out
}

// mutateD changes the Deployment, retrying when a status write of the
// controller gets there first.
func mutateD(t testing.TB, st store.Store, f func(*api.Deployment)) {
	t.Helper()
	_, err := store.NewClient[*api.Deployment](st).Mutate(context.Background(), "default", "web", func(d *api.Deployment) error {
		f(d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func setImage(t testing.TB, st store.Store, image string, mutate func(*api.Deployment)) {
	t.Helper()
	mutateD(t, st, func(d *api.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = image
		if mutate != nil {
			mutate(d)
		}
	})
}

func TestRecreateNeverMixesRevisions(t *testing.T) {
	c := startCluster(t, 3)
	d := newDeployment("web", 4, "nginx:1", api.FromInt(0), api.FromInt(0))
	d.Spec.Strategy = api.DeploymentStrategy{Type: api.RecreateDeploymentStrategyType}
	if _, err := c.st.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return complete(t, c.st, "web") }, "first rollout")
	// Pods of both templates must never exist at once.
	stop := watchInvariants(t, c.st, 0, 4)
	setImage(t, c.st, "nginx:2", nil)
	reconciletest.Eventually(t, func() bool {
		return complete(t, c.st, "web") && getD(t, c.st, "web").Annotations[api.AnnotationRevision] == "2"
	}, "recreate rollout")
	ic := stop()
	if len(ic.violations) > 0 {
		t.Fatalf("more than 4 pods during a Recreate: %v", ic.violations[:min(3, len(ic.violations))])
	}
	if ic.mixed {
		t.Fatal("old and new pods existed at the same time during a Recreate")
	}
}

func TestPauseAndResume(t *testing.T) {
	c := startCluster(t, 3)
	if _, err := c.st.Create(context.Background(), newDeployment("web", 3, "nginx:1", api.FromInt(1), api.FromInt(0))); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return complete(t, c.st, "web") }, "first rollout")
	setImage(t, c.st, "nginx:2", func(d *api.Deployment) { d.Spec.Paused = true })
	reconciletest.Eventually(t, func() bool {
		d := getD(t, c.st, "web")
		p := condFor(d, api.DeploymentProgressing)
		return d.Status.ObservedGeneration == d.Generation && p != nil && p.Reason == deployment.ReasonPaused
	}, "paused deployment observed")
	if rss := replicaSets(t, c.st); len(rss) != 1 {
		t.Fatalf("a paused deployment rolled out: %d ReplicaSets", len(rss))
	}
	mutateD(t, c.st, func(d *api.Deployment) { d.Spec.Paused = false })
	defer func() {
		if t.Failed() {
			dump(t, c.st)
		}
	}()
	reconciletest.Eventually(t, func() bool {
		return complete(t, c.st, "web") && getD(t, c.st, "web").Annotations[api.AnnotationRevision] == "2"
	}, "rollout after resume")
}

func TestProportionalScalingMidRollout(t *testing.T) {
	c := startClusterWith(t, 3, badImage)
	if _, err := c.st.Create(context.Background(), newDeployment("web", 10, "nginx:1", api.FromInt(3), api.FromInt(0))); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return complete(t, c.st, "web") }, "first rollout")
	setImage(t, c.st, "bad", nil)
	reconciletest.Eventually(t, func() bool {
		rss := replicaSets(t, c.st)
		return rss["bad"] != nil && *rss["bad"].Spec.Replicas == 3 && *rss["nginx:1"].Spec.Replicas == 10
	}, "rollout stuck at the surge: 10 old + 3 new")
	mutateD(t, c.st, func(d *api.Deployment) { d.Spec.Replicas = ptr(int32(20)) })
	// 20 replicas allow 20+3 pods; the 10 extra spread 10:3 over the
	// ReplicaSets, the rounding remainder to the larger one.
	reconciletest.Eventually(t, func() bool {
		rss := replicaSets(t, c.st)
		return *rss["nginx:1"].Spec.Replicas == 18 && *rss["bad"].Spec.Replicas == 5
	}, "proportional scale to 18 old + 5 new")
}

func TestProgressDeadlineAndAutoRollback(t *testing.T) {
	for _, auto := range []bool{false, true} {
		name := "no auto rollback"
		if auto {
			name = "auto rollback"
		}
		t.Run(name, func(t *testing.T) {
			c := startClusterWith(t, 3, badImage)
			d := newDeployment("web", 4, "nginx:1", api.FromInt(1), api.FromInt(0))
			d.Spec.ProgressDeadlineSeconds = ptr(int32(60))
			d.Spec.AutoRollback = auto
			if _, err := c.st.Create(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			reconciletest.Eventually(t, func() bool { return complete(t, c.st, "web") }, "first rollout")
			original := getD(t, c.st, "web").Spec.Template
			defer func() {
				if t.Failed() {
					dump(t, c.st)
				}
			}()
			setImage(t, c.st, "bad", nil)
			reconciletest.Eventually(t, func() bool {
				rs := replicaSets(t, c.st)["bad"]
				d := getD(t, c.st, "web")
				return rs != nil && rs.Status.Replicas == 1 && d.Status.UpdatedReplicas == 1 && d.Status.ObservedGeneration == d.Generation
			}, "rollout stuck")
			stuckAt := c.clk.Now()
			exceeded := func() bool {
				p := condFor(getD(t, c.st, "web"), api.DeploymentProgressing)
				return p.Status == api.ConditionFalse && p.Reason == deployment.ReasonDeadlineExceeded
			}
			rolledBack := func() bool { return getD(t, c.st, "web").Spec.Template.Spec.Containers[0].Image == "nginx:1" }
			reconciletest.AdvanceUntil(t, c.clk, time.Second, 5*time.Minute, func() bool { return exceeded() || rolledBack() }, "deadline passes")
			if waited := c.clk.Now().Sub(stuckAt); waited < 60*time.Second {
				t.Fatalf("progress deadline hit after %v, before progressDeadlineSeconds (60s)", waited)
			}
			if !auto {
				if img := getD(t, c.st, "web").Spec.Template.Spec.Containers[0].Image; img != "bad" {
					t.Fatalf("rolled back without autoRollback: image %s", img)
				}
				return
			}
			reconciletest.Eventually(t, func() bool {
				d := getD(t, c.st, "web")
				return d.Spec.Template.Spec.Containers[0].Image == "nginx:1" && complete(t, c.st, "web")
			}, "automatic rollback to the last complete revision")
			got, want := getD(t, c.st, "web").Spec.Template, original
			if got.Spec.Containers[0].Image != want.Spec.Containers[0].Image || len(got.Labels) != len(want.Labels) {
				t.Fatalf("auto rollback template %+v, want %+v", got, want)
			}
		})
	}
}

func TestMinReadySeconds(t *testing.T) {
	c := startCluster(t, 3)
	d := newDeployment("web", 3, "nginx:1", api.FromInt(1), api.FromInt(0))
	d.Spec.MinReadySeconds = 30
	if _, err := c.st.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool {
		s := getD(t, c.st, "web").Status
		return s.ReadyReplicas == 3
	}, "3 ready")
	if s := getD(t, c.st, "web").Status; s.AvailableReplicas != 0 {
		t.Fatalf("available = %d before minReadySeconds", s.AvailableReplicas)
	}
	c.clk.Advance(30 * time.Second)
	reconciletest.Eventually(t, func() bool { return complete(t, c.st, "web") }, "available after minReadySeconds")
}

func TestRevisionHistoryAndRollbackToRevision(t *testing.T) {
	c := startCluster(t, 3)
	d := newDeployment("web", 2, "nginx:1", api.FromInt(1), api.FromInt(0))
	d.Spec.RevisionHistoryLimit = ptr(int32(1))
	if _, err := c.st.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	for i, img := range []string{"nginx:1", "nginx:2", "nginx:3"} {
		if i > 0 {
			setImage(t, c.st, img, nil)
		}
		reconciletest.Eventually(t, func() bool {
			return complete(t, c.st, "web") && getD(t, c.st, "web").Annotations[api.AnnotationRevision] == itoa(i+1)
		}, "rollout of %s", img)
	}
	reconciletest.Eventually(t, func() bool {
		rss := replicaSets(t, c.st)
		return len(rss) == 2 && rss["nginx:3"] != nil && rss["nginx:2"] != nil
	}, "history limited to 1 old ReplicaSet (have %d)", len(replicaSets(t, c.st)))

	// Roll back to revision 2 by number.
	mutateD(t, c.st, func(d *api.Deployment) { d.Annotations[api.AnnotationRollbackTo] = "2" })
	reconciletest.Eventually(t, func() bool {
		d := getD(t, c.st, "web")
		return d.Spec.Template.Spec.Containers[0].Image == "nginx:2" && complete(t, c.st, "web") && d.Annotations[api.AnnotationRevision] == "4"
	}, "rolled back to revision 2, now revision 4")
	if rs := replicaSets(t, c.st)["nginx:2"]; rs.Annotations[api.AnnotationRevision] != "4" {
		t.Fatalf("rolled-back ReplicaSet has revision %s, want 4", rs.Annotations[api.AnnotationRevision])
	}
}

func TestAdoptsOrphanReplicaSet(t *testing.T) {
	c := startCluster(t, 2)
	ctx := context.Background()
	d := newDeployment("web", 2, "nginx:1", api.FromInt(1), api.FromInt(0))
	l := map[string]string{"app": "web"}
	orphan := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web-orphan", Namespace: "default", Labels: l},
		Spec: api.ReplicaSetSpec{Replicas: ptr(int32(2)), Selector: &api.LabelSelector{MatchLabels: l}, Template: d.Spec.Template}}
	if _, err := c.st.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	created, err := c.st.Create(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool {
		o, err := c.st.Get(ctx, api.KindReplicaSet, "default", "web-orphan")
		if err != nil {
			return false
		}
		refs := o.Meta().OwnerReferences
		return len(refs) == 1 && refs[0].UID == created.Meta().UID
	}, "orphan ReplicaSet adopted")
	reconciletest.Eventually(t, func() bool { return complete(t, c.st, "web") }, "deployment complete")
	if n := len(replicaSets(t, c.st)); n != 1 {
		t.Fatalf("%d ReplicaSets, want the adopted one only", n)
	}
}

// An orphan with the Deployment's template, adopted beside the
// Deployment's own ReplicaSet: one of the two must stay the new one
// (choosing by revision made them swap on every sync, bumping revisions
// forever).
func TestAdoptsSecondReplicaSetOfTheTemplate(t *testing.T) {
	c := startCluster(t, 2)
	ctx := context.Background()
	d := newDeployment("web", 2, "nginx:1", api.FromInt(1), api.FromInt(0))
	if _, err := c.st.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { return complete(t, c.st, "web") }, "first rollout")
	l := map[string]string{"app": "web"}
	orphan := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web-orphan", Namespace: "default", Labels: l},
		Spec: api.ReplicaSetSpec{Replicas: ptr(int32(2)), Selector: &api.LabelSelector{MatchLabels: l}, Template: d.Spec.Template}}
	if _, err := c.st.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	settled := func() bool {
		o, err := c.st.Get(ctx, api.KindReplicaSet, "default", "web-orphan")
		if err != nil {
			return false
		}
		rs := o.(*api.ReplicaSet)
		return podutil.ControllerOf(&rs.ObjectMeta) != nil && *rs.Spec.Replicas == 0 && rs.Status.Replicas == 0 && complete(t, c.st, "web")
	}
	reconciletest.Eventually(t, settled, "orphan adopted and scaled down, deployment complete")
	rev := getD(t, c.st, "web").Annotations[api.AnnotationRevision]
	// Make the controller sync again and see that nothing moved.
	mutateD(t, c.st, func(d *api.Deployment) { d.Spec.RevisionHistoryLimit = ptr(int32(5)) })
	// (complete checks observedGeneration; a sync may first write it from
	// a ReplicaSet cache a little behind the store, hence Eventually.)
	reconciletest.Eventually(t, settled, "spec change observed, still settled")
	if got := getD(t, c.st, "web").Annotations[api.AnnotationRevision]; got != rev {
		t.Fatalf("revision %s, then %s after another sync: the new ReplicaSet changed", rev, got)
	}
}
