package deployment_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/deployment"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/reconcile/replicaset"
	"github.com/fleetkit/orchestrator/sched"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// BenchmarkDeploymentScaleUpScheduled is BenchmarkDeploymentScaleUp with
// the real scheduler (package sched, default profile) binding the pods
// instead of the kubelet simulator's round-robin placement.
func BenchmarkDeploymentScaleUpScheduled(b *testing.B) {
	var total time.Duration
	for range b.N {
		st, err := memstore.New(memstore.Config{WatchBuffer: 1 << 20})
		if err != nil {
			b.Fatal(err)
		}
		clk := reconciletest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		var names []string
		for i := range benchNodes {
			names = append(names, "node-"+itoa(i))
		}
		kl, err := reconciletest.NewKubelet(reconciletest.KubeletConfig{Store: st, Nodes: names, Clock: clk,
			Allocatable: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("32"), api.ResourceMemory: api.MustParseQuantity("128Gi"),
				api.ResourcePods: api.MustParseQuantity("110")}})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if err := kl.RegisterNodes(ctx); err != nil {
			b.Fatal(err)
		}
		rc, err := replicaset.New(replicaset.Config{Store: st, Options: reconcile.Options{Clock: clk}})
		if err != nil {
			b.Fatal(err)
		}
		dc, err := deployment.New(deployment.Config{Store: st, Options: reconcile.Options{Clock: clk}})
		if err != nil {
			b.Fatal(err)
		}
		sc, err := sched.New(sched.Config{Store: st})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{}, 4)
		for _, start := range []func(context.Context) error{rc.Start, dc.Start, kl.Start, sc.Run} {
			go func() { _ = start(ctx); done <- struct{}{} }()
		}
		c := cluster{st: st, clk: clk}
		start := time.Now()
		if _, err := st.Create(ctx, newDeployment("web", benchReplicas, "nginx:1", api.FromString("25%"), api.FromInt(0))); err != nil {
			b.Fatal(err)
		}
		waitComplete(b, c, "1")
		total += time.Since(start)
		b.StopTimer()
		verifyReady(b, c, "nginx:1")
		cancel()
		for range 4 {
			<-done
		}
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "seconds")
}
