package node_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/runtime/fake"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// BenchmarkFakeNodes simulates 100 nodes (one agent and one fake runtime
// each, one shared memstore) and binds 10,000 pods to them; it reports the
// seconds from the first binding until every pod's status says Running.
func BenchmarkFakeNodes(b *testing.B) {
	const nodes, pods = 100, 10000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := memstore.New(memstore.Config{WatchBuffer: 1 << 20})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for n := 0; n < nodes; n++ {
			rt, _ := fake.New(fake.Config{Images: []string{"img:1"}})
			a, err := node.New(node.Config{
				NodeName: fmt.Sprintf("node-%03d", n), Store: st, Runtime: rt,
				PodCIDR: fmt.Sprintf("10.%d.%d.0/24", 100+n/256, n%256), MaxPods: 200,
				Capacity: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("64"), api.ResourceMemory: api.MustParseQuantity("256Gi")},
			})
			if err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() { defer wg.Done(); a.Run(ctx) }()
		}
		// Wait for registration, then watch for Running pods.
		for {
			l, _ := st.List(ctx, api.KindNode)
			if len(l.Items) == nodes {
				break
			}
			time.Sleep(time.Millisecond)
		}
		rev, _ := st.Revision(ctx)
		w, err := st.Watch(ctx, api.KindPod, store.FromRevision(rev))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for p := 0; p < pods; p++ {
			pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p-%05d", p), Namespace: "default"}, Spec: api.PodSpec{
				NodeName:   fmt.Sprintf("node-%03d", p%nodes),
				Containers: []api.Container{{Name: "c", Image: "img:1", Args: []string{"run"}}},
			}}
			if _, err := st.Create(ctx, pod); err != nil {
				b.Fatal(err)
			}
		}
		running := map[string]bool{}
		for ev := range w.Events() {
			if p, ok := ev.Object.(*api.Pod); ok && p.Status.Phase == api.PodRunning {
				running[p.Name] = true
				if len(running) == pods {
					break
				}
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if len(running) != pods {
			b.Fatalf("only %d of %d pods running (watch ended: %v)", len(running), pods, w.Err())
		}
		b.ReportMetric(elapsed.Seconds(), "seconds")
		w.Stop()
		cancel()
		wg.Wait()
	}
}
