package reconcile_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/leader"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// TestLeaseElectorPlugsIn runs two controllers that compete through the
// leader package's LeaseElector: only the leader reconciles, and the
// other takes over once the leader stops (after its in-flight work).
func TestLeaseElectorPlugsIn(t *testing.T) {
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var calls [2]atomic.Int32
	var ctrls [2]*reconcile.Controller
	for i, id := range []string{"a", "b"} {
		el, err := leader.New(leader.Config{Store: st, Name: "controllers", Identity: id,
			LeaseDuration: time.Second, RenewDeadline: 500 * time.Millisecond, RetryPeriod: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctrls[i], err = reconcile.New(reconcile.Config{Name: "elected-" + id, Elector: el,
			Reconciler: reconcile.ReconcilerFunc(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
				calls[i].Add(1)
				return reconcile.Result{}, nil
			})})
		if err != nil {
			t.Fatal(err)
		}
		ctrls[i].Queue().Add(key("x"))
	}
	stopA := startController(t, ctrls[0])
	reconciletest.Eventually(t, func() bool { return calls[0].Load() == 1 }, "a leads and reconciles")
	stopB := startController(t, ctrls[1])
	ctrls[0].Queue().Add(key("y"))
	reconciletest.Eventually(t, func() bool { return calls[0].Load() == 2 }, "a keeps leading")
	if n := calls[1].Load(); n != 0 {
		t.Fatalf("b reconciled %d keys while a led", n)
	}
	if err := stopA(); err != nil {
		t.Fatalf("a stopped with %v", err)
	}
	reconciletest.Eventually(t, func() bool { return calls[1].Load() == 1 }, "b takes over after a resigns")
	if err := stopB(); err != nil {
		t.Fatalf("b stopped with %v", err)
	}
}
