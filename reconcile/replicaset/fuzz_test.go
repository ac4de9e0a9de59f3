package replicaset_test

import (
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/replicaset"
)

// FuzzPodsToDelete parses arbitrary pod-deletion-cost annotations and
// checks the scale-down order: unscheduled before scheduled, not ready
// before ready, and never a pod twice or a pod that was not given.
func FuzzPodsToDelete(f *testing.F) {
	f.Add("100", "-5", "x", uint8(3))
	f.Add("", "2147483648", "0", uint8(1))
	f.Fuzz(func(t *testing.T, c1, c2, c3 string, n uint8) {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var pods []*api.Pod
		for i, cost := range []string{c1, c2, c3, c1, c2, c3} {
			p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: string(rune('a' + i)), CreationTimestamp: base.Add(time.Duration(i) * time.Minute),
				Annotations: map[string]string{api.AnnotationPodDeletionCost: cost}}}
			if i%3 != 0 {
				p.Spec.NodeName = "n"
				p.Status.Phase = api.PodRunning
			}
			if i%2 == 0 {
				p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue}}
			}
			pods = append(pods, p)
		}
		got := replicaset.PodsToDelete(pods, int(n))
		if len(got) != min(int(n), len(pods)) {
			t.Fatalf("got %d pods, want %d", len(got), min(int(n), len(pods)))
		}
		seen := map[string]bool{}
		all := replicaset.PodsToDelete(pods, len(pods))
		for i, p := range all {
			if seen[p.Name] {
				t.Fatalf("pod %s twice", p.Name)
			}
			seen[p.Name] = true
			if i > 0 && all[i-1].Spec.NodeName != "" && p.Spec.NodeName == "" {
				t.Fatalf("unscheduled pod %s after scheduled %s", p.Name, all[i-1].Name)
			}
		}
	})
}
