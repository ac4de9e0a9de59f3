package quota_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/quota"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func pod(name, cpu string) *api.Pod {
	c := api.Container{Name: "c", Image: "nginx"}
	if cpu != "" {
		c.Resources.Requests = api.ResourceList{api.ResourceCPU: api.MustParseQuantity(cpu)}
	}
	return &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Spec: api.PodSpec{Containers: []api.Container{c}}}
}

func TestQuotaRefusesAndReleases(t *testing.T) {
	ms, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	clk := reconciletest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	q, err := quota.New(quota.Config{Store: ms, Options: reconcile.Options{Clock: clk}, SettleTime: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st := store.Admitting(ms, q.Admitter())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = q.Start(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	bg := context.Background()
	if _, err := st.Create(bg, &api.ResourceQuota{ObjectMeta: api.ObjectMeta{Name: "compute", Namespace: "default"},
		Spec: api.ResourceQuotaSpec{Hard: api.ResourceList{api.ResourcePods: api.MustParseQuantity("2"), "requests.cpu": api.MustParseQuantity("1")}}}); err != nil {
		t.Fatal(err)
	}
	used := func() (cpu, pods string) {
		o, err := ms.Get(bg, api.KindResourceQuota, "default", "compute")
		if err != nil {
			t.Fatal(err)
		}
		u := o.(*api.ResourceQuota).Status.Used
		c, p := u["requests.cpu"], u[api.ResourcePods]
		return c.String(), p.String()
	}
	if _, err := st.Create(bg, pod("a", "500m")); err != nil {
		t.Fatalf("create within quota: %v", err)
	}
	if c, p := used(); c != "500m" || p != "1" {
		t.Fatalf("used after a = %s cpu, %s pods; want 500m, 1", c, p)
	}
	revBefore, _ := ms.Revision(bg)
	_, err = st.Create(bg, pod("b", "600m"))
	if !errors.Is(err, store.ErrForbidden) || !errors.Is(err, quota.ErrExceeded) {
		t.Fatalf("create over quota = %v, want ErrForbidden and ErrExceeded", err)
	}
	for _, want := range []string{"compute", "requests.cpu", "requested 600m", "used 500m", "limited to 1", "over by 100m"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if revAfter, _ := ms.Revision(bg); revAfter != revBefore {
		t.Fatalf("a refused create changed the store (revision %d -> %d)", revBefore, revAfter)
	}
	if _, err := ms.Get(bg, api.KindPod, "default", "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused pod exists: %v", err)
	}
	if _, err := st.Create(bg, pod("c", "400m")); err != nil {
		t.Fatalf("create within quota: %v", err)
	}
	_, err = st.Create(bg, pod("d", ""))
	if !errors.Is(err, quota.ErrExceeded) || !strings.Contains(err.Error(), "pods requested 1, used 2, limited to 2 (over by 1)") {
		t.Fatalf("third pod = %v, want a refusal on pods", err)
	}
	if _, err := st.Delete(bg, api.KindPod, "default", "a"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second) // charges settled: the recount is exact
	reconciletest.Eventually(t, func() bool { c, p := used(); return c == "400m" && p == "1" }, "usage released by the recount")
	if _, err := st.Create(bg, pod("d", "")); err != nil {
		t.Fatalf("create after release: %v", err)
	}
}

func TestPodUsage(t *testing.T) {
	p := &api.Pod{Spec: api.PodSpec{Containers: []api.Container{
		{Resources: api.ResourceRequirements{Requests: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("250m")},
			Limits: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("1"), api.ResourceMemory: api.MustParseQuantity("1Gi")}}},
		{Resources: api.ResourceRequirements{Limits: api.ResourceList{api.ResourceNvidiaGPU: api.MustParseQuantity("2")}}},
	}}}
	u := quota.PodUsage(p)
	want := map[api.ResourceName]string{
		"pods": "1", "cpu": "250m", "requests.cpu": "250m", "limits.cpu": "1",
		"memory": "1Gi", "requests.memory": "1Gi", "limits.memory": "1Gi",
		"nvidia.com/gpu": "2", "requests.nvidia.com/gpu": "2", "limits.nvidia.com/gpu": "2",
	}
	for k, v := range want {
		got := u[k]
		if got.String() != v {
			t.Errorf("%s = %s, want %s", k, got.String(), v)
		}
	}
	if len(u) != len(want) {
		t.Errorf("usage has %d names, want %d: %v", len(u), len(want), u)
	}
}
