package deployment_test

import (
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
)

// TestRecreateNeverMixesWithPodCacheBehindCreations drives the
// interleaving in which the Deployment controller's pod cache lags pod
// creations under Recreate: revision 2's ReplicaSet creates its pods
// (writing a status that counts the pods it found before creating, 0),
// the pod cache does not show them, and a template change makes it an old
// ReplicaSet that the next sync scales to 0. Neither the pod cache nor
// that ReplicaSet's status shows its pods, so "the old pods are gone"
// holds on the caches while they still exist in the store; scaling
// revision 3 up then lets the ReplicaSet controller create its pods
// before it deletes revision 2's: pods of two templates at once, which
// Recreate promises never happens.
func TestRecreateNeverMixesWithPodCacheBehindCreations(t *testing.T) {
	const replicas = 2
	r := newLagRig(t)
	d := newDeployment("web", replicas, "nginx:1", api.FromInt(0), api.FromInt(0))
	d.Spec.Strategy = api.DeploymentStrategy{Type: api.RecreateDeploymentStrategyType}
	if _, err := r.st.Create(r.ctx, d); err != nil {
		t.Fatal(err)
	}
	// rollout runs the ReplicaSet controller's part and Deployment syncs
	// until the Deployment is complete at revision rev.
	rollout := func(rev string) {
		t.Helper()
		for i := 0; i < 50; i++ {
			r.sync()
			if complete(t, r.st, "web") && getD(t, r.st, "web").Annotations[api.AnnotationRevision] == rev {
				return
			}
			r.fakeRS(true, true)
			r.fakeRS(true, true)
		}
		t.Fatalf("rollout to revision %s never completed: %+v", rev, getD(t, r.st, "web").Status)
	}
	rollout("1")
	stop := watchInvariants(t, r.st, 0, replicas)
	// images is the set of templates (by image) of the pods the store
	// holds now.
	images := func() map[string]int {
		t.Helper()
		l, err := r.st.List(r.ctx, api.KindPod)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, o := range l.Items {
			out[o.(*api.Pod).Spec.Containers[0].Image]++
		}
		return out
	}
	check := func(when string) {
		t.Helper()
		if im := images(); len(im) > 1 {
			t.Errorf("%s: pods of several templates exist at once: %v", when, im)
		}
	}

	// Revision 2: revision 1's pods go, then its ReplicaSet is scaled up.
	r.setImage("nginx:2")
	for i := 0; i < 10; i++ {
		r.sync()
		if rs := replicaSets(t, r.st)["nginx:2"]; rs != nil && *rs.Spec.Replicas == replicas {
			break
		}
		r.fakeRS(true, true)
		r.fakeRS(true, true)
		check("revision 2 rollout")
	}
	if rs := replicaSets(t, r.st)["nginx:2"]; rs == nil || *rs.Spec.Replicas != replicas {
		t.Fatal("revision 2's ReplicaSet never scaled up")
	}
	// The ReplicaSet controller creates revision 2's pods (its status
	// counts the pods it found before, none); the Deployment controller's
	// pod cache does not show them from here on.
	r.hold()
	r.fakeRS(false, false)
	check("revision 2 scaled up")

	// Revision 3: the first sync makes its ReplicaSet and scales revision
	// 2's to 0; the ReplicaSet controller has not deleted those pods yet.
	r.setImage("nginx:3")
	r.sync()
	rss := replicaSets(t, r.st)
	if len(rss) != 3 || *rss["nginx:2"].Spec.Replicas != 0 || *rss["nginx:3"].Spec.Replicas != 0 {
		t.Fatalf("after revision 3's first sync: want 3 ReplicaSets, revisions 2 and 3 at 0; have %d", len(rss))
	}
	for _, p := range r.pods.ListInNamespace("default", nil) {
		if ref := podutil.ControllerOf(&p.ObjectMeta); ref != nil && ref.UID == rss["nginx:2"].UID {
			t.Fatal("the pod cache shows revision 2's pods: the interleaving did not happen")
		}
	}
	if rss["nginx:2"].Status.Replicas != 0 {
		t.Fatalf("revision 2's status shows %d pods: the interleaving did not happen", rss["nginx:2"].Status.Replicas)
	}
	if im := images(); im["nginx:2"] != replicas || len(im) != 1 {
		t.Fatalf("pods in the store: %v, want %d of nginx:2 only", im, replicas)
	}

	// The next sync must not scale revision 3 up while revision 2's pods
	// exist: the ReplicaSet controller may create revision 3's pods before
	// it deletes revision 2's.
	r.sync()
	r.fakeRS(true, false)
	check("revision 3 scaled up while revision 2's pods exist")

	// The pod cache catches up; the rollout completes, never mixing.
	r.unhold()
	rollout("3")
	check("revision 3 complete")
	if im := images(); im["nginx:3"] != replicas || len(im) != 1 {
		t.Fatalf("pods after the rollout: %v, want %d of nginx:3 only", im, replicas)
	}
	ic := stop()
	if len(ic.violations) > 0 {
		t.Errorf("more than %d pods during a Recreate on %d of %d states: %v", replicas, len(ic.violations), ic.events, ic.violations[:min(5, len(ic.violations))])
	}
	if ic.mixed {
		t.Error("the store-order watcher saw pods of two templates at once")
	}
}
