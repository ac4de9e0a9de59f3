package deployment_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/deployment"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/reconcile/replicaset"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func ptr[T any](v T) *T { return &v }

func newDeployment(name string, n int32, image string, surge, unavail api.IntOrString) *api.Deployment {
	l := map[string]string{"app": name}
	return &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.DeploymentSpec{Replicas: ptr(n), Selector: &api.LabelSelector{MatchLabels: l},
			Strategy: api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavail}},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: l},
				Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: image}}}}},
	}
}

type cluster struct {
	st  *memstore.Store
	clk *reconciletest.Clock
}

func startCluster(t testing.TB, nodes int) cluster {
	t.Helper()
	return startClusterWith(t, nodes, nil)
}

// startClusterWith runs the ReplicaSet and Deployment controllers and a
// simulated kubelet on which the pods named by fail never become ready.
func startClusterWith(t testing.TB, nodes int, fail func(*api.Pod) bool) cluster {
	t.Helper()
	// A large watch buffer: bursts of thousands of writes are normal here.
	st, err := memstore.New(memstore.Config{WatchBuffer: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	clk := reconciletest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var names []string
	for i := range nodes {
		names = append(names, "node-"+itoa(i))
	}
	rc, err := replicaset.New(replicaset.Config{Store: st, Options: reconcile.Options{Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := deployment.New(deployment.Config{Store: st, Options: reconcile.Options{Clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	kl, err := reconciletest.NewKubelet(reconciletest.KubeletConfig{Store: st, Nodes: names, Clock: clk, Bind: true, Fail: fail})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 3)
	for _, start := range []func(context.Context) error{rc.Start, dc.Start, kl.Start} {
		go func() { _ = start(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() { cancel(); <-done; <-done; <-done })
	return cluster{st: st, clk: clk}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func getD(t testing.TB, st store.Store, name string) *api.Deployment {
	t.Helper()
	o, err := st.Get(context.Background(), api.KindDeployment, "default", name)
	if err != nil {
		t.Fatal(err)
	}
	return o.(*api.Deployment)
}

func complete(t testing.TB, st store.Store, name string) bool {
	d := getD(t, st, name)
	s := d.Status
	n := *d.Spec.Replicas
	return s.ObservedGeneration == d.Generation && s.UpdatedReplicas == n && s.Replicas == n && s.AvailableReplicas == n && s.ReadyReplicas == n
}

// invariantChecker follows every pod change in store order and checks
// the rollout bounds on each observed state.
type invariantChecker struct {
	pods              map[string]*api.Pod
	minReady, maxPods int
	violations        []string
	events            int
	mixed             bool // pods of two templates existed at once
}

func watchInvariants(t *testing.T, st store.Store, minReady, maxPods int) (stop func() *invariantChecker) {
	rev, err := st.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.List(context.Background(), api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	ic := &invariantChecker{pods: map[string]*api.Pod{}, minReady: minReady, maxPods: maxPods}
	for _, o := range l.Items {
		ic.pods[o.Meta().Name] = o.(*api.Pod)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := st.Watch(ctx, api.KindPod, store.FromRevision(rev))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			p, _ := ev.Object.(*api.Pod)
			switch ev.Type {
			case store.Added, store.Modified:
				ic.pods[p.Name] = p
			case store.Deleted:
				delete(ic.pods, p.Name)
			default:
				continue
			}
			ic.events++
			ready := 0
			for _, p := range ic.pods {
				if podutil.IsReady(p) && p.DeletionTimestamp == nil {
					ready++
				}
			}
			hashes := map[string]bool{}
			for _, p := range ic.pods {
				hashes[p.Labels[api.LabelPodTemplateHash]] = true
			}
			ic.mixed = ic.mixed || len(hashes) > 1
			if ready < ic.minReady || len(ic.pods) > ic.maxPods {
				ic.violations = append(ic.violations, "revision "+itoa(int(ev.Revision))+": ready="+itoa(ready)+" pods="+itoa(len(ic.pods)))
			}
		}
	}()
	return func() *invariantChecker { cancel(); <-done; return ic }
}

func TestRollingUpdateBoundsAndRollback(t *testing.T) {
	for _, tc := range []struct {
		name           string
		surge, unavail api.IntOrString
		replicas       int32
		minReady, max  int
	}{
		{"surge 25% unavailable 0", api.FromString("25%"), api.FromInt(0), 10, 10, 13},
		{"surge 0 unavailable 25%", api.FromInt(0), api.FromString("25%"), 10, 8, 10},
		{"surge 1 unavailable 1", api.FromInt(1), api.FromInt(1), 7, 6, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startCluster(t, 4)
			ctx := context.Background()
			if _, err := c.st.Create(ctx, newDeployment("web", tc.replicas, "nginx:1", tc.surge, tc.unavail)); err != nil {
				t.Fatal(err)
			}
			reconciletest.Eventually(t, func() bool { return complete(t, c.st, "web") }, "first rollout complete")
			original := getD(t, c.st, "web").Spec.Template

			stop := watchInvariants(t, c.st, tc.minReady, tc.max)
			setImage(t, c.st, "nginx:2", nil)
			reconciletest.Eventually(t, func() bool {
				return complete(t, c.st, "web") && getD(t, c.st, "web").Annotations[api.AnnotationRevision] == "2"
			}, "second rollout complete")
			ic := stop()
			if len(ic.violations) > 0 {
				t.Fatalf("bounds violated (want ready >= %d, pods <= %d) on %d of %d states: %v", tc.minReady, tc.max, len(ic.violations), ic.events, ic.violations[:min(5, len(ic.violations))])
			}
			l, _ := c.st.List(ctx, api.KindPod)
			for _, o := range l.Items {
				if img := o.(*api.Pod).Spec.Containers[0].Image; img != "nginx:2" {
					t.Fatalf("pod %s still runs %s", o.Meta().Name, img)
				}
			}
			d := getD(t, c.st, "web")
			if p := condFor(d, api.DeploymentProgressing); p == nil || p.Reason != deployment.ReasonNewRSAvailable {
				t.Fatalf("Progressing = %+v, want NewReplicaSetAvailable", p)
			}

			// Roll back to the previous revision.
			defer func() {
				if t.Failed() {
					dump(t, c.st)
				}
			}()
			mutateD(t, c.st, func(d *api.Deployment) { d.Annotations[api.AnnotationRollbackTo] = "" })
			reconciletest.Eventually(t, func() bool {
				d := getD(t, c.st, "web")
				_, pending := d.Annotations[api.AnnotationRollbackTo]
				return !pending && complete(t, c.st, "web") && d.Annotations[api.AnnotationRevision] == "3"
			}, "rollback complete as revision 3")
			got, _ := json.Marshal(getD(t, c.st, "web").Spec.Template)
			want, _ := json.Marshal(original)
			if string(got) != string(want) {
				t.Fatalf("rollback template\n got %s\nwant %s", got, want)
			}
			rsl, _ := c.st.List(ctx, api.KindReplicaSet)
			if len(rsl.Items) != 2 {
				t.Fatalf("%d ReplicaSets, want 2 (rollback reuses the old one)", len(rsl.Items))
			}
		})
	}
}

func condFor(d *api.Deployment, t api.DeploymentConditionType) *api.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}
