package etcdstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/etcdstore"
)

// TestMutualTLS proves that the server (in-process, and the etcd binary)
// refuses a client without a valid certificate and serves one with it.
func TestMutualTLS(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testMutualTLS(t, etcdtest.StartEmbedded) })
	t.Run("binary", func(t *testing.T) { testMutualTLS(t, etcdtest.StartBinary) })
}

func testMutualTLS(t *testing.T, start func(testing.TB, etcdtest.Options) *etcdtest.Server) {
	tl := etcdtest.NewTLS(t)
	srv := start(t, etcdtest.Options{TLS: tl})
	good := storeOn(t, srv, etcdstore.Config{CAFile: tl.CAFile, CertFile: tl.ClientCertFile, KeyFile: tl.ClientKeyFile})
	ctx := ctxT(t)
	if _, err := good.Create(ctx, pod("ns", "a", nil)); err != nil {
		t.Fatalf("client with a valid certificate: %v", err)
	}
	for _, tc := range []struct {
		name string
		cfg  etcdstore.Config
	}{
		{"no certificate", etcdstore.Config{CAFile: tl.CAFile}},
		{"certificate of another CA", etcdstore.Config{CAFile: tl.CAFile, CertFile: tl.RogueCertFile, KeyFile: tl.RogueKeyFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Endpoints = srv.Endpoints
			tc.cfg.DialTimeout = time.Second
			s, err := etcdstore.New(tc.cfg)
			if err != nil {
				if !errors.Is(err, store.ErrUnavailable) {
					t.Fatalf("new: %v", err)
				}
				return
			}
			defer s.Close()
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err = s.Get(cctx, api.KindPod, "ns", "a")
			if err == nil {
				t.Fatal("a client without a valid certificate read an object")
			}
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("refused client: %v, want ErrUnavailable", err)
			}
		})
	}
	if _, err := etcdstore.New(etcdstore.Config{Endpoints: srv.Endpoints, CertFile: tl.ClientCertFile}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("certificate without key: %v", err)
	}
}

// TestUnavailable: with etcd down, every call fails with ErrUnavailable
// within its context deadline (or the store's RequestTimeout) instead of
// hanging.
func TestUnavailable(t *testing.T) {
	srv := etcdtest.StartEmbedded(t, etcdtest.Options{})
	s := storeOn(t, srv, etcdstore.Config{RequestTimeout: 500 * time.Millisecond})
	ctx := ctxT(t)
	if _, err := s.Create(ctx, pod("ns", "a", nil)); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	calls := map[string]func(context.Context) error{
		"get":      func(ctx context.Context) error { _, err := s.Get(ctx, api.KindPod, "ns", "a"); return err },
		"list":     func(ctx context.Context) error { _, err := s.List(ctx, api.KindPod); return err },
		"create":   func(ctx context.Context) error { _, err := s.Create(ctx, pod("ns", "b", nil)); return err },
		"update":   func(ctx context.Context) error { _, err := s.Update(ctx, pod("ns", "a", nil)); return err },
		"delete":   func(ctx context.Context) error { _, err := s.Delete(ctx, api.KindPod, "ns", "a"); return err },
		"watch":    func(ctx context.Context) error { _, err := s.Watch(ctx, api.KindPod); return err },
		"revision": func(ctx context.Context) error { _, err := s.Revision(ctx); return err },
	}
	for name, call := range calls {
		t.Run(name+"/deadline", func(t *testing.T) {
			cctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if err := call(cctx); !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("%s with etcd down: %v, want ErrUnavailable", name, err)
			}
		})
		t.Run(name+"/no-deadline", func(t *testing.T) {
			if err := call(context.Background()); !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("%s with etcd down: %v, want ErrUnavailable", name, err)
			}
		})
	}
	// Back up: the same store works again.
	srv.Restart(t)
	if _, err := s.Get(ctx, api.KindPod, "ns", "a"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// TestNoLeaderEndsWatch: a member cut off from its cluster's quorum (here:
// the other two members stopped) cancels watches that require a leader,
// so the watch ends with ErrUnavailable instead of going silent, and
// reads fail with ErrUnavailable within their deadline.
func TestNoLeaderEndsWatch(t *testing.T) {
	members := etcdtest.StartEmbeddedCluster(t, 3, etcdtest.Options{})
	s := storeOn(t, members[0], etcdstore.Config{})
	ctx := ctxT(t)
	if _, err := s.Create(ctx, pod("ns", "a", nil)); err != nil {
		t.Fatal(err)
	}
	w, err := s.Watch(ctx, api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	members[1].Stop()
	members[2].Stop()
	timeout := time.After(30 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-w.Events():
		case <-timeout:
			t.Fatal("the watch on a member without a leader neither ended nor errored in 30s: it hangs silently")
		}
	}
	if err := w.Err(); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("watch ended with %v, want ErrUnavailable", err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := s.Get(cctx, api.KindPod, "ns", "a"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("get without a leader: %v, want ErrUnavailable", err)
	}
}
