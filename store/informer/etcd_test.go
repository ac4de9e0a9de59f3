package informer

import (
	"fmt"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/etcdstore"
)

// TestEtcdRecovery runs the informer on the distributed backend against a
// real (in-process) etcd: it must converge after the server restarts and
// after a compaction while its watch was down.
func TestEtcdRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: starts an etcd server")
	}
	srv := etcdtest.StartEmbedded(t, etcdtest.Options{})
	s, err := etcdstore.New(etcdstore.Config{Endpoints: srv.Endpoints, ProgressInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	fs := newFaultStore(s)
	ctx := t.Context()
	before := map[string]*api.Pod{}
	for i := range 20 {
		p, err := s.Create(ctx, pod("default", fmt.Sprintf("p%d", i), nil))
		if err != nil {
			t.Fatal(err)
		}
		before[p.Meta().Name] = p.(*api.Pod)
	}
	// Real (bounded) back-off waits: the etcd client reconnects on its
	// own clock anyway.
	inf, err := New[*api.Pod](fs, Config[*api.Pod]{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	inf.AddHandler(r)
	run(t, inf)
	converge(t, inf, r, s)

	t.Run("server restart", func(t *testing.T) {
		srv.Stop()
		srv.Restart(t)
		for i := range 5 {
			if _, err := s.Delete(ctx, api.KindPod, "default", fmt.Sprintf("p%d", i)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Create(ctx, pod("default", fmt.Sprintf("q%d", i), nil)); err != nil {
				t.Fatal(err)
			}
		}
		converge(t, inf, r, s)
	})

	t.Run("compaction during outage", func(t *testing.T) {
		fs.closeGate()
		fs.dropWatches(store.ErrUnavailable)
		if !fs.waitBlocked() {
			t.Fatal("the informer never came back to the store")
		}
		for i := 5; i < 10; i++ {
			if _, err := s.Delete(ctx, api.KindPod, "default", fmt.Sprintf("p%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		rev, err := s.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Compact(ctx, rev); err != nil {
			t.Fatal(err)
		}
		fs.openGate()
		converge(t, inf, r, s)
		for i := 5; i < 10; i++ {
			name := fmt.Sprintf("p%d", i)
			d := r.deleted[key{"default", name}]
			if len(d) != 1 || d[0].ResourceVersion != before[name].ResourceVersion {
				t.Errorf("OnDelete for %s = %v, want one with rv %d", name, d, before[name].ResourceVersion)
			}
		}
	})
}
