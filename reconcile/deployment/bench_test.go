package deployment_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
)

const benchReplicas, benchNodes = 10000, 1000

// waitComplete polls the store (no sleeps in the measured work itself; the
// poll interval only bounds the measurement's resolution).
func waitComplete(b *testing.B, c cluster, rev string) {
	b.Helper()
	reconciletest.Eventually(b, func() bool {
		return complete(b, c.st, "web") && getD(b, c.st, "web").Annotations[api.AnnotationRevision] == rev
	}, "rollout of revision %s complete", rev)
}

// BenchmarkDeploymentScaleUp: a Deployment of 10,000 replicas on 1,000
// simulated nodes, from create to all pods Ready, end to end on memstore
// with the ReplicaSet and Deployment controllers and a simulated kubelet
// that binds round-robin and marks pods Running and Ready.
func BenchmarkDeploymentScaleUp(b *testing.B) {
	var total time.Duration
	for range b.N {
		c := startCluster(b, benchNodes)
		ctx := context.Background()
		start := time.Now()
		if _, err := c.st.Create(ctx, newDeployment("web", benchReplicas, "nginx:1", api.FromString("25%"), api.FromInt(0))); err != nil {
			b.Fatal(err)
		}
		waitComplete(b, c, "1")
		total += time.Since(start)
		b.StopTimer()
		verifyReady(b, c, "nginx:1")
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "seconds")
}

// BenchmarkRollingUpdate: a new template for that Deployment with maxSurge
// 25% and maxUnavailable 0, until the rollout completes.
func BenchmarkRollingUpdate(b *testing.B) {
	var total time.Duration
	for range b.N {
		c := startCluster(b, benchNodes)
		ctx := context.Background()
		if _, err := c.st.Create(ctx, newDeployment("web", benchReplicas, "nginx:1", api.FromString("25%"), api.FromInt(0))); err != nil {
			b.Fatal(err)
		}
		waitComplete(b, c, "1")
		d := getD(b, c.st, "web")
		d.Spec.Template.Spec.Containers[0].Image = "nginx:2"
		start := time.Now()
		if _, err := c.st.Update(ctx, d); err != nil {
			b.Fatal(err)
		}
		waitComplete(b, c, "2")
		total += time.Since(start)
		b.StopTimer()
		verifyReady(b, c, "nginx:2")
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "seconds")
}

// verifyReady checks in the store itself, not through the Deployment's
// status, that exactly benchReplicas pods run image, all Ready, spread
// over the nodes.
func verifyReady(b *testing.B, c cluster, image string) {
	b.Helper()
	reconciletest.Eventually(b, func() bool {
		l, err := c.st.List(context.Background(), api.KindPod)
		if err != nil {
			b.Fatal(err)
		}
		ready, nodes := 0, map[string]bool{}
		for _, o := range l.Items {
			p := o.(*api.Pod)
			if p.Spec.Containers[0].Image == image && p.Status.Phase == api.PodRunning && podutil.IsReady(p) {
				ready++
				nodes[p.Spec.NodeName] = true
			}
		}
		return ready == benchReplicas && len(l.Items) == benchReplicas && len(nodes) == benchNodes
	}, "%d ready pods of %s in the store", benchReplicas, image)
}
