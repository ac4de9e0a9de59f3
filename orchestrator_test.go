package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	orchestrator "github.com/fleetkit/orchestrator"
	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/runtime/fake"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// cluster is a control plane and simulated nodes on one memstore.
type cluster struct {
	backend *memstore.Store
	cp      *orchestrator.ControlPlane
}

func startCluster(t *testing.T, nodes int) *cluster {
	t.Helper()
	backend, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := orchestrator.NewControlPlane(orchestrator.ControlPlaneConfig{Store: backend})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, nodes+1)
	go func() { errs <- cp.Run(ctx) }()
	for i := range nodes {
		rt, err := fake.New(fake.Config{})
		if err != nil {
			t.Fatal(err)
		}
		a, err := node.New(node.Config{NodeName: fmt.Sprintf("n%d", i), Store: backend, Runtime: rt,
			PodCIDR:  fmt.Sprintf("10.244.%d.0/24", i),
			Capacity: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("4"), api.ResourceMemory: api.MustParseQuantity("8Gi")}})
		if err != nil {
			t.Fatal(err)
		}
		go func() { errs <- a.Run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range nodes + 1 {
			if err := <-errs; err != nil {
				t.Errorf("component stopped with %v", err)
			}
		}
		backend.Close()
	})
	return &cluster{backend: backend, cp: cp}
}

// eventually polls cond for up to 60 s of real time: the components work
// on their own goroutines. It asserts an outcome, never a duration.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
	}
	t.Fatalf("%s: not reached; last state: %s", what, last)
}

func deploymentOf(name string, replicas int32) *api.Deployment {
	labels := map[string]string{"app": name}
	return &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: labels},
				Spec: api.PodSpec{Containers: []api.Container{{Name: "app", Image: "app:v1",
					Ports: []api.ContainerPort{{Name: "http", ContainerPort: 8080}},
					Resources: api.ResourceRequirements{
						Requests: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("250m"), api.ResourceMemory: api.MustParseQuantity("256Mi")},
						Limits:   api.ResourceList{api.ResourceCPU: api.MustParseQuantity("500m"), api.ResourceMemory: api.MustParseQuantity("512Mi")},
					}}}},
			},
		},
	}
}

func pods(t *testing.T, s store.Store, ns string) []*api.Pod {
	t.Helper()
	l, err := s.List(context.Background(), api.KindPod, store.ListInNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*api.Pod, len(l.Items))
	for i, o := range l.Items {
		out[i] = o.(*api.Pod)
	}
	return out
}

func readyPods(ps []*api.Pod) int {
	n := 0
	for _, p := range ps {
		for _, c := range p.Status.Conditions {
			if c.Type == api.PodReady && c.Status == api.ConditionTrue && p.DeletionTimestamp == nil {
				n++
			}
		}
	}
	return n
}

// TestControlPlaneRunsAndHealsADeployment applies a Deployment and a
// Service through the control plane's store and checks that the pods are
// scheduled onto the nodes, run, become ready, appear as endpoints, and
// that a deleted pod is replaced.
func TestControlPlaneRunsAndHealsADeployment(t *testing.T) {
	c := startCluster(t, 2)
	ctx := context.Background()
	st := c.cp.Store()
	if _, err := st.Create(ctx, deploymentOf("web", 3)); err != nil {
		t.Fatal(err)
	}
	svc := &api.Service{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []api.ServicePort{{Port: 80, TargetPort: api.FromString("http")}}}}
	if _, err := st.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	eventually(t, "3 ready pods on nodes and 3 endpoints", func() (bool, string) {
		ps := pods(t, c.backend, "default")
		for _, p := range ps {
			if p.Spec.NodeName == "" {
				return false, p.Name + " unscheduled"
			}
		}
		o, err := c.backend.Get(ctx, api.KindEndpoints, "default", "web")
		addrs := 0
		if err == nil {
			for _, s := range o.(*api.Endpoints).Subsets {
				addrs += len(s.Addresses)
				for _, p := range s.Ports {
					if p.Port != 8080 {
						return false, fmt.Sprintf("endpoint port %d, want 8080 (named target port)", p.Port)
					}
				}
			}
		}
		return len(ps) == 3 && readyPods(ps) == 3 && addrs == 3, fmt.Sprintf("%d pods, %d ready, %d endpoints", len(ps), readyPods(ps), addrs)
	})

	victim := pods(t, c.backend, "default")[0]
	if _, err := st.Delete(ctx, api.KindPod, "default", victim.Name); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted pod replaced", func() (bool, string) {
		ps := pods(t, c.backend, "default")
		for _, p := range ps {
			if p.UID == victim.UID {
				return false, "victim still present"
			}
		}
		return len(ps) == 3 && readyPods(ps) == 3, fmt.Sprintf("%d pods, %d ready", len(ps), readyPods(ps))
	})
}

// TestControlPlaneEnforcesQuota checks that pods beyond a namespace's
// ResourceQuota are refused with store.ErrForbidden, whether a user or the
// ReplicaSet controller creates them, and that nothing refused is stored.
func TestControlPlaneEnforcesQuota(t *testing.T) {
	c := startCluster(t, 2)
	ctx := context.Background()
	st := c.cp.Store()
	if _, err := st.Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: "small"}}); err != nil {
		t.Fatal(err)
	}
	q := &api.ResourceQuota{ObjectMeta: api.ObjectMeta{Name: "q", Namespace: "small"},
		Spec: api.ResourceQuotaSpec{Hard: api.ResourceList{api.ResourcePods: api.MustParseQuantity("2")}}}
	if _, err := st.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	d := deploymentOf("big", 4)
	d.Namespace = "small"
	if _, err := st.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two pods admitted and ready", func() (bool, string) {
		ps := pods(t, c.backend, "small")
		return readyPods(ps) == 2, fmt.Sprintf("%d pods, %d ready", len(ps), readyPods(ps))
	})
	extra := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "extra", Namespace: "small"},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "app:v1"}}}}
	_, err := st.Create(ctx, extra)
	if !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("create beyond quota: err = %v, want ErrForbidden", err)
	}
	if _, err := c.backend.Get(ctx, api.KindPod, "small", "extra"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused pod is stored (Get err = %v)", err)
	}
	if n := len(pods(t, c.backend, "small")); n != 2 {
		t.Fatalf("%d pods in the namespace, want the 2 the quota allows", n)
	}
}
