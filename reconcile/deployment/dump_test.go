package deployment_test

import (
	"encoding/json"
	"testing"

	"github.com/fleetkit/orchestrator/store"
)

func dump(t testing.TB, st store.Store) {
	d := getD(t, st, "web")
	b, _ := json.MarshalIndent(map[string]any{"ann": d.Annotations, "gen": d.Generation, "spec.paused": d.Spec.Paused, "status": d.Status}, "", " ")
	t.Logf("deployment: %s", b)
	for img, rs := range replicaSets(t, st) {
		t.Logf("rs %s %s: spec=%d ann=%v status=%+v gen=%d", img, rs.Name, *rs.Spec.Replicas, rs.Annotations, rs.Status, rs.Generation)
	}
}
