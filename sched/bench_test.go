package sched

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
	"github.com/fleetkit/orchestrator/sched/plugins"
	"github.com/fleetkit/orchestrator/store"
)

// benchCluster runs one scheduler over a fresh memstore holding nodes and
// pods, and reports pods/s from the first pod popped to the last binding,
// and allocations per scheduled pod (whole process: scheduler, informers
// and store).
func benchCluster(b *testing.B, nodes []*api.Node, pods []api.Object, wantBound int, profiles ...Profile) {
	b.Helper()
	var totalPods, totalSec, totalAllocs float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := newStore(b)
		ctx := context.Background()
		for _, n := range nodes {
			if _, err := st.Create(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
		for _, p := range pods {
			if _, err := st.Create(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		s, err := New(Config{Store: st, Seed: 1, Profiles: profiles})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		b.StartTimer()
		go func() { done <- s.Run(rctx) }()
		deadline := time.Now().Add(50 * time.Second)
		for s.statBound.Load() < int64(wantBound) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		runtime.ReadMemStats(&after)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		bound := s.statBound.Load()
		if bound < int64(wantBound) {
			b.Fatalf("only %d of %d pods bound in 50s", bound, wantBound)
		}
		sec := float64(s.statLastBind.Load()-s.statFirstPop.Load()) / 1e9
		totalPods += float64(bound)
		totalSec += sec
		totalAllocs += float64(after.Mallocs - before.Mallocs)
		checkNoOvercommit(b, st)
	}
	b.ReportMetric(totalPods/totalSec, "pods/s")
	b.ReportMetric(totalAllocs/totalPods, "allocs/pod")
}

// checkNoOvercommit asserts the benchmark's outcome: no node holds more
// than its allocatable.
func checkNoOvercommit(b *testing.B, st store.Store) {
	ctx := context.Background()
	nl, err := st.List(ctx, api.KindNode)
	if err != nil {
		b.Fatal(err)
	}
	alloc := map[string]fw.Resource{}
	for _, o := range nl.Items {
		n := o.(*api.Node)
		alloc[n.Name] = fw.ResourceFromList(n.Status.Allocatable)
	}
	used := map[string]*fw.Resource{}
	for _, p := range listPods(b, st) {
		if p.Spec.NodeName == "" {
			continue
		}
		info, _ := fw.NewPodInfo(p)
		u := used[p.Spec.NodeName]
		if u == nil {
			u = &fw.Resource{}
			used[p.Spec.NodeName] = u
		}
		u.Add(&info.Requests)
	}
	for name, u := range used {
		a := alloc[name]
		if u.MilliCPU > a.MilliCPU || u.Memory > a.Memory || u.Pods > a.Pods || u.Scalar[api.ResourceNvidiaGPU] > a.Scalar[api.ResourceNvidiaGPU] {
			b.Fatalf("node %s overcommitted: used %+v, allocatable %+v", name, u, a)
		}
	}
}

func benchNodes(n int, opts ...nodeOpt) []*api.Node {
	out := make([]*api.Node, n)
	for i := range out {
		out[i] = makeNode(fmt.Sprintf("node-%05d", i), 32000, 256*gi, 110, opts...)
	}
	return out
}

func BenchmarkScheduleBasic(b *testing.B) {
	nodes := benchNodes(5000)
	pods := make([]api.Object, 10000)
	for i := range pods {
		pods[i] = makePod("default", fmt.Sprintf("pod-%05d", i), 100, 128<<20)
	}
	benchCluster(b, nodes, pods, len(pods))
}

func BenchmarkScheduleSpread(b *testing.B) {
	nodes := benchNodes(5000)
	pods := make([]api.Object, 10000)
	for i := range pods {
		p := makePod("default", fmt.Sprintf("pod-%05d", i), 100, 128<<20, withPodLabels("app", "web"))
		p.Spec.TopologySpreadConstraints = []api.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: api.LabelHostname, WhenUnsatisfiable: api.DoNotSchedule,
			LabelSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		}}
		pods[i] = p
	}
	benchCluster(b, nodes, pods, len(pods))
}

func BenchmarkScheduleGangs(b *testing.B) {
	nodes := benchNodes(5000)
	var objs []api.Object
	for g := 0; g < 1000; g++ {
		objs = append(objs, podGroup("default", fmt.Sprintf("gang-%04d", g), 8))
	}
	for g := 0; g < 1000; g++ {
		for m := 0; m < 8; m++ {
			objs = append(objs, makePod("default", fmt.Sprintf("gang-%04d-%d", g, m), 100, 128<<20, withGroup(fmt.Sprintf("gang-%04d", g))))
		}
	}
	benchCluster(b, nodes, objs, 8000)
}

// BenchmarkScheduleGPU: 1,000 nodes of 8 GPUs, pods asking for 1, 2, 4 or
// 8 GPUs (2,000 pods, 7,500 GPUs of 8,000), with the profile a GPU fleet
// uses: NodeResourcesFit bin-packs (MostAllocated, GPU weighted), so whole
// nodes stay free for the 8-GPU pods.
func BenchmarkScheduleGPU(b *testing.B) {
	nodes := benchNodes(1000, withGPU(8))
	sizes := []int64{1, 2, 4, 8}
	var pods []api.Object
	for i := 0; i < 2000; i++ {
		pods = append(pods, makePod("default", fmt.Sprintf("gpu-%05d", i), 1000, gi, withPodGPU(sizes[i%4])))
	}
	prof := DefaultProfile()
	for i := range prof.Plugins {
		if prof.Plugins[i].Name == plugins.NameNodeResourcesFit {
			prof.Plugins[i].Args = plugins.FitArgs{Strategy: plugins.MostAllocated, Resources: []plugins.ResourceWeight{
				{Name: api.ResourceNvidiaGPU, Weight: 10}, {Name: api.ResourceCPU, Weight: 1}, {Name: api.ResourceMemory, Weight: 1}}}
		}
	}
	benchCluster(b, nodes, pods, len(pods), prof)
}

// BenchmarkCacheMemory reports the heap the cache and its snapshot add for
// 5,000 nodes and 100,000 pods, beyond the api objects themselves (those
// are shared with the informers' caches).
func BenchmarkCacheMemory(b *testing.B) {
	nodes := benchNodes(5000)
	pods := make([]*api.Pod, 100000)
	for i := range pods {
		p := makePod("default", fmt.Sprintf("pod-%06d", i), 100, 128<<20, withPodLabels("app", "web"))
		p.UID = api.UID(fmt.Sprintf("uid-%06d", i))
		p.Spec.NodeName = nodes[i%len(nodes)].Name
		pods[i] = p
	}
	var heap float64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c := newCache()
		for _, n := range nodes {
			c.SetNode(n)
		}
		for _, p := range pods {
			info, err := fw.NewPodInfo(p)
			if err != nil {
				b.Fatal(err)
			}
			c.AddPod(info)
		}
		snap := fw.NewSnapshot()
		c.UpdateSnapshot(snap)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = float64(after.HeapAlloc) - float64(before.HeapAlloc)
		if snap.Len() != 5000 {
			b.Fatalf("snapshot has %d nodes", snap.Len())
		}
		runtime.KeepAlive(c)
		runtime.KeepAlive(snap)
	}
	b.ReportMetric(heap/(1<<20), "MiB")
}
