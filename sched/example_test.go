package sched_test

import (
	"context"
	"fmt"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/sched"
	fw "github.com/fleetkit/orchestrator/sched/framework"
	"github.com/fleetkit/orchestrator/sched/plugins"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// noRackC is a host's own Filter: nodes of rack c are off limits.
type noRackC struct{}

func (noRackC) Name() string { return "NoRackC" }

func (noRackC) Filter(_ context.Context, _ *fw.CycleState, _ *fw.PodInfo, n *fw.NodeInfo) *fw.Status {
	if n.Node().Labels["rack"] == "c" {
		return fw.NewStatus(fw.UnschedulableAndUnresolvable, "node(s) in rack c")
	}
	return nil
}

// preferRackB is a host's own Score: rack b first.
type preferRackB struct{}

func (preferRackB) Name() string { return "PreferRackB" }

func (preferRackB) Score(_ context.Context, _ *fw.CycleState, _ *fw.PodInfo, n *fw.NodeInfo) (int64, *fw.Status) {
	if n.Node().Labels["rack"] == "b" {
		return fw.MaxNodeScore, nil
	}
	return 0, nil
}

func exampleNode(name, rack string) *api.Node {
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{"rack": rack}}}
	n.Status.Allocatable = api.ResourceList{
		api.ResourceCPU:    api.NewQuantity(8, api.DecimalSI),
		api.ResourceMemory: api.NewQuantity(32<<30, api.BinarySI),
		api.ResourcePods:   api.NewQuantity(110, api.DecimalSI),
	}
	return n
}

func examplePod(name string, cpu int64) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}}
	p.Spec.Containers = []api.Container{{Name: "app", Image: "app:v1", Resources: api.ResourceRequirements{
		Requests: api.ResourceList{api.ResourceCPU: api.NewQuantity(cpu, api.DecimalSI)},
	}}}
	return p
}

// A host runs the scheduler on its own over the in-memory store, with a
// Filter and a Score plugin of its own added to the default profile,
// which it replaces.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, _ := memstore.New(memstore.Config{})
	for _, n := range []*api.Node{exampleNode("a-1", "a"), exampleNode("b-1", "b"), exampleNode("c-1", "c")} {
		st.Create(ctx, n)
	}

	reg := plugins.NewRegistry()
	reg.Merge(fw.Registry{
		"NoRackC":     func(any, fw.Handle) (fw.Plugin, error) { return noRackC{}, nil },
		"PreferRackB": func(any, fw.Handle) (fw.Plugin, error) { return preferRackB{}, nil },
	})
	profile := sched.DefaultProfile()
	// Filters run in order and a node is explained by the first that
	// rejects it: the cheap rack check goes first.
	profile.Plugins = append([]sched.PluginSpec{{Name: "NoRackC"}}, profile.Plugins...)
	profile.Plugins = append(profile.Plugins, sched.PluginSpec{Name: "PreferRackB", Weight: 10})
	s, err := sched.New(sched.Config{Store: st, Registry: reg, Profiles: []sched.Profile{profile}})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	// Watch for the binding, then create the pod.
	w, _ := st.Watch(ctx, api.KindPod)
	st.Create(ctx, examplePod("web", 2))
	for ev := range w.Events() {
		if p := ev.Object.(*api.Pod); p.Spec.NodeName != "" {
			fmt.Printf("%s -> %s\n", p.Name, p.Spec.NodeName)
			break
		}
	}
	w.Stop()

	// Would a 16-cpu pod fit? Why not?
	res, _ := s.DryRun(ctx, examplePod("huge", 16))
	fmt.Println(res.Message)

	cancel()
	<-done
	// Output:
	// web -> b-1
	// 0/3 nodes are available: 1 node(s) in rack c, 2 Insufficient cpu.
}

var _ store.Store = (*memstore.Store)(nil)
