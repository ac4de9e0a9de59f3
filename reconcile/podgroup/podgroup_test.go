package podgroup_test

import (
	"context"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/podgroup"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func p(node string, phase api.PodPhase) *api.Pod {
	return &api.Pod{Spec: api.PodSpec{NodeName: node}, Status: api.PodStatus{Phase: phase}}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name string
		min  int32
		pods []*api.Pod
		want api.PodGroupPhase
	}{
		{"no pods", 3, nil, api.PodGroupPending},
		{"some unscheduled", 3, []*api.Pod{p("n", api.PodPending), p("", api.PodPending), p("", api.PodPending)}, api.PodGroupPending},
		{"all bound", 3, []*api.Pod{p("n", api.PodPending), p("n", api.PodPending), p("n", api.PodPending)}, api.PodGroupScheduled},
		{"quorum running", 2, []*api.Pod{p("n", api.PodRunning), p("n", api.PodRunning), p("", api.PodPending)}, api.PodGroupRunning},
		{"too few running", 3, []*api.Pod{p("n", api.PodRunning), p("n", api.PodRunning), p("", api.PodPending)}, api.PodGroupPending},
		{"failure below quorum", 3, []*api.Pod{p("n", api.PodRunning), p("n", api.PodRunning), p("n", api.PodFailed)}, api.PodGroupFailed},
		{"failure with spare members", 2, []*api.Pod{p("n", api.PodRunning), p("n", api.PodRunning), p("n", api.PodFailed)}, api.PodGroupRunning},
		{"finished", 2, []*api.Pod{p("n", api.PodSucceeded), p("n", api.PodSucceeded)}, api.PodGroupFinished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := podgroup.Status(tt.min, tt.pods).Phase; got != tt.want {
				t.Fatalf("phase = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPodGroupFollowsPods(t *testing.T) {
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := podgroup.New(podgroup.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	kl, err := reconciletest.NewKubelet(reconciletest.KubeletConfig{Store: st, Nodes: []string{"n1"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = c.Start(ctx); done <- struct{}{} }()
	go func() { _ = kl.Start(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()
	bg := context.Background()
	if _, err := st.Create(bg, &api.PodGroup{ObjectMeta: api.ObjectMeta{Name: "g", Namespace: "default"}, Spec: api.PodGroupSpec{MinMember: 2}}); err != nil {
		t.Fatal(err)
	}
	phase := func() api.PodGroupPhase {
		o, _ := st.Get(bg, api.KindPodGroup, "default", "g")
		return o.(*api.PodGroup).Status.Phase
	}
	reconciletest.Eventually(t, func() bool { return phase() == api.PodGroupPending }, "pending")
	for _, n := range []string{"a", "b"} {
		pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: n, Namespace: "default", Labels: map[string]string{api.LabelPodGroup: "g"}},
			Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "x"}}}}
		if _, err := st.Create(bg, pod); err != nil {
			t.Fatal(err)
		}
	}
	if phase() == api.PodGroupRunning {
		t.Fatal("running before any pod was bound")
	}
	for _, n := range []string{"a", "b"} {
		o, _ := st.Get(bg, api.KindPod, "default", n)
		o.(*api.Pod).Spec.NodeName = "n1"
		if _, err := st.Update(bg, o); err != nil {
			t.Fatal(err)
		}
	}
	reconciletest.Eventually(t, func() bool { return phase() == api.PodGroupRunning }, "running once the kubelet runs both")
}
