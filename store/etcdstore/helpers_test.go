package etcdstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/etcdstore"
)

// newStore starts an embedded etcd for one test and returns a store on it.
func newStore(t testing.TB) (*etcdstore.Store, *etcdtest.Server) {
	t.Helper()
	srv := etcdtest.StartEmbedded(t, etcdtest.Options{})
	return storeOn(t, srv, etcdstore.Config{}), srv
}

// etcdstoreConfig is the configuration tests use.
func etcdstoreConfig() etcdstore.Config { return etcdstore.Config{} }

func storeOn(t testing.TB, srv *etcdtest.Server, cfg etcdstore.Config) *etcdstore.Store {
	t.Helper()
	cfg.Endpoints = srv.Endpoints
	if cfg.ProgressInterval == 0 {
		cfg.ProgressInterval = 100 * time.Millisecond
	}
	s, err := etcdstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pod(ns, name string, labels map[string]string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "c", Image: "busybox"}}},
	}
}

// eqSelector is an equality selector.
func eqSelector(set map[string]string) api.Selector { return api.SelectorFromSet(set) }

// next reads one event or fails after a generous bound (a hang guard,
// not a timing assertion).
func next(t testing.TB, w store.Watch) store.Event {
	t.Helper()
	select {
	case e, ok := <-w.Events():
		if !ok {
			t.Fatalf("watch closed: %v", w.Err())
		}
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20s")
	}
	return store.Event{}
}

func nextChange(t testing.TB, w store.Watch) store.Event {
	t.Helper()
	for {
		if e := next(t, w); e.Type != store.Bookmark {
			return e
		}
	}
}
