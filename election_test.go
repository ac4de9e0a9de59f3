package orchestrator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	orchestrator "github.com/fleetkit/orchestrator"
	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/leader"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/runtime/fake"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// TestOnlyTheLeadingControlPlaneActs runs two control planes on one store,
// each with a LeaseElector. Only the leader may act: the standby must not
// create a single pod while the leader runs (no pod is ever created twice
// for one slot, so the Deployment never has more pods than replicas), and
// when the leader stops the standby takes over and reconciles what is
// created afterwards.
func TestOnlyTheLeadingControlPlaneActs(t *testing.T) {
	backend, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	ctx := context.Background()

	newCP := func(id string) *orchestrator.ControlPlane {
		e, err := leader.New(leader.Config{Store: backend, Namespace: "kube-system", Name: "control-plane", Identity: id,
			LeaseDuration: time.Second, RenewDeadline: 500 * time.Millisecond, RetryPeriod: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		cp, err := orchestrator.NewControlPlane(orchestrator.ControlPlaneConfig{Store: backend, Elector: e})
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}
	type running struct {
		stop func()
		done chan error
	}
	start := func(run func(context.Context) error) running {
		c, cancel := context.WithCancel(ctx)
		r := running{stop: cancel, done: make(chan error, 1)}
		go func() { r.done <- run(c) }()
		return r
	}

	rt, err := fake.New(fake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	agent, err := node.New(node.Config{NodeName: "n0", Store: backend, Runtime: rt,
		Capacity: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("8"), api.ResourceMemory: api.MustParseQuantity("16Gi")}})
	if err != nil {
		t.Fatal(err)
	}
	nodeRun := start(agent.Run)
	defer func() { nodeRun.stop(); <-nodeRun.done }()

	first := start(newCP("first").Run)
	waitHolder(t, backend, "first")
	second := start(newCP("second").Run)
	defer func() { second.stop(); <-second.done }()

	startRev, err := backend.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := store.Admitting(backend)
	if _, err := st.Create(ctx, deploymentOf("one", 3)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the leader runs deployment one", func() (bool, string) {
		ps := pods(t, backend, "default")
		return len(ps) == 3 && readyPods(ps) == 3, fmt.Sprintf("%d pods, %d ready", len(ps), readyPods(ps))
	})

	first.stop()
	if err := <-first.done; err != nil {
		t.Fatalf("first control plane: %v", err)
	}
	waitHolder(t, backend, "second")
	if _, err := st.Create(ctx, deploymentOf("two", 2)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new leader runs deployment two", func() (bool, string) {
		ps := pods(t, backend, "default")
		return len(ps) == 5 && readyPods(ps) == 5, fmt.Sprintf("%d pods, %d ready", len(ps), readyPods(ps))
	})
	// Exactly five pods were ever created: the standby never acted beside
	// the leader (two ReplicaSet controllers would create surplus pods and
	// delete them again). The store's history shows every creation.
	end, err := backend.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Bookmarks carry the watch past the last pod change up to end.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	w, err := backend.Watch(wctx, api.KindPod, store.FromRevision(startRev), store.WithProgressNotify())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	added := 0
	for ev := range w.Events() {
		if ev.Type == store.Added {
			added++
		}
		if ev.Revision >= end {
			break
		}
	}
	if wctx.Err() != nil {
		t.Fatalf("the watch did not reach revision %d: %v", end, w.Err())
	}
	if added != 5 {
		t.Fatalf("%d pods were created, want 5", added)
	}
}

// waitHolder waits until the control plane's Lease names holder.
func waitHolder(t *testing.T, s store.Store, holder string) {
	t.Helper()
	eventually(t, "lease held by "+holder, func() (bool, string) {
		o, err := s.Get(context.Background(), api.KindLease, "kube-system", "control-plane")
		if err != nil {
			return false, err.Error()
		}
		h := o.(*api.Lease).Spec.HolderIdentity
		if h == nil {
			return false, "no holder"
		}
		return *h == holder, "held by " + *h
	})
}
