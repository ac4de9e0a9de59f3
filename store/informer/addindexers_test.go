package informer

import (
	"context"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// TestAddIndexersOnSharedInformer adds an index after the informer has
// synced and checks that it covers the objects already cached and those
// that come later, and that a second registration of the name keeps the
// first function.
func TestAddIndexersOnSharedInformer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name, node string) {
		t.Helper()
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
			Spec: api.PodSpec{NodeName: node, Containers: []api.Container{{Name: "c", Image: "img:v1"}}}}
		if _, err := st.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("a", "n1")
	mk("b", "n2")
	inf, err := New(st, Config[*api.Pod]{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- inf.Run(ctx) }()
	if err := inf.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	byNode := func(p *api.Pod) []string { return []string{p.Spec.NodeName} }
	if err := inf.AddIndexers(map[string]IndexFunc[*api.Pod]{"test/node": byNode}); err != nil {
		t.Fatal(err)
	}
	// A later registration under the same name must not replace it.
	if err := inf.AddIndexers(map[string]IndexFunc[*api.Pod]{"test/node": func(*api.Pod) []string { return []string{"x"} }}); err != nil {
		t.Fatal(err)
	}
	if err := inf.AddIndexers(map[string]IndexFunc[*api.Pod]{IndexNamespace: byNode}); err == nil {
		t.Fatal("AddIndexers accepted the reserved namespace index name")
	}
	mk("c", "n1")
	rev, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := inf.WaitForRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	names := func(ps []*api.Pod) map[string]bool {
		m := map[string]bool{}
		for _, p := range ps {
			m[p.Name] = true
		}
		return m
	}
	if got := names(inf.ByIndex("test/node", "n1")); len(got) != 2 || !got["a"] || !got["c"] {
		t.Fatalf("ByIndex(n1) = %v, want a and c", got)
	}
	if got := inf.ByIndex("test/node", "x"); len(got) != 0 {
		t.Fatalf("second registration replaced the index function: %d objects under x", len(got))
	}
	if _, err := st.Delete(ctx, api.KindPod, "default", "a"); err != nil {
		t.Fatal(err)
	}
	rev, _ = st.Revision(ctx)
	if err := inf.WaitForRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if got := names(inf.ByIndex("test/node", "n1")); len(got) != 1 || !got["c"] {
		t.Fatalf("after delete ByIndex(n1) = %v, want c", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
