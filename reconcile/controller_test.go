package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store"
)

// startController runs c until the test ends and returns a func that
// stops it and returns Start's error.
func startController(t *testing.T, c *reconcile.Controller) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Start(ctx) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() { cancel(); err = <-errc })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func TestControllerRequeueAfter(t *testing.T) {
	clk := reconciletest.NewClock(t0)
	var calls atomic.Int32
	c, err := reconcile.New(reconcile.Config{
		Name:  "requeue",
		Clock: clk,
		Reconciler: reconcile.ReconcilerFunc(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			calls.Add(1)
			return reconcile.Result{RequeueAfter: time.Minute}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	startController(t, c)
	c.Queue().Add(key("a"))
	reconciletest.Eventually(t, func() bool { return calls.Load() == 1 }, "first reconcile")
	reconciletest.WaitTimers(t, clk, 1)
	clk.Advance(time.Minute - time.Second)
	if calls.Load() != 1 {
		t.Fatal("requeued before RequeueAfter")
	}
	clk.Advance(time.Second)
	reconciletest.Eventually(t, func() bool { return calls.Load() == 2 }, "second reconcile after RequeueAfter")
}

func TestControllerRetriesErrorsButNotTerminalOnes(t *testing.T) {
	clk := reconciletest.NewClock(t0)
	reg := prometheus.NewRegistry()
	var transient, terminal atomic.Int32
	boom := errors.New("boom")
	c, err := reconcile.New(reconcile.Config{
		Name:       "errs",
		Clock:      clk,
		Registerer: reg,
		RateLimit:  reconcile.RateLimit{BaseDelay: time.Second, QPS: 1e6, Burst: 1e6},
		Reconciler: reconcile.ReconcilerFunc(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			if req.Name == "terminal" {
				terminal.Add(1)
				return reconcile.Result{}, reconcile.Terminal(boom)
			}
			if transient.Add(1) < 3 {
				return reconcile.Result{}, boom
			}
			return reconcile.Result{}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	startController(t, c)
	c.Queue().Add(key("terminal"))
	c.Queue().Add(key("transient"))
	reconciletest.Eventually(t, func() bool { return transient.Load() == 1 && terminal.Load() == 1 }, "first attempts")
	reconciletest.WaitTimers(t, clk, 1)
	clk.Advance(time.Second)
	reconciletest.Eventually(t, func() bool { return transient.Load() == 2 }, "retry after 1s")
	reconciletest.WaitTimers(t, clk, 1)
	clk.Advance(2 * time.Second)
	reconciletest.Eventually(t, func() bool { return transient.Load() == 3 }, "retry after 2s more")
	clk.Advance(time.Hour)
	reconciletest.Eventually(t, func() bool { return c.Queue().Len() == 0 }, "queue empty")
	if n := terminal.Load(); n != 1 {
		t.Fatalf("terminal error retried: %d calls", n)
	}
	if n := c.Queue().NumRequeues(key("transient")); n != 0 {
		t.Fatalf("success must forget the back-off; NumRequeues = %d", n)
	}
	if !errors.Is(reconcile.Terminal(boom), boom) || !errors.Is(reconcile.Terminal(boom), reconcile.ErrTerminal) {
		t.Fatal("Terminal must wrap both the cause and ErrTerminal")
	}
	mf, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range mf {
		m := f.GetMetric()[0]
		switch {
		case m.GetCounter() != nil:
			got[f.GetName()] = m.GetCounter().GetValue()
		case m.GetHistogram() != nil:
			got[f.GetName()] = float64(m.GetHistogram().GetSampleCount())
		}
	}
	if got["fleetkit_reconcile_errors_total"] != 3 || got["fleetkit_reconcile_total"] != 4 || got["fleetkit_reconcile_duration_seconds"] != 4 || got["fleetkit_reconcile_queue_wait_seconds"] != 4 {
		t.Fatalf("metrics = %v, want 3 errors of 4 reconciles, 4 waits", got)
	}
}

func TestControllerShutdownLetsInFlightReconcilesFinish(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var ctxErrInside error
	var finished atomic.Bool
	c, err := reconcile.New(reconcile.Config{
		Name:    "drain",
		Workers: 2,
		Reconciler: reconcile.ReconcilerFunc(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			close(entered)
			<-release
			ctxErrInside = ctx.Err()
			finished.Store(true)
			return reconcile.Result{}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := startController(t, c)
	c.Queue().Add(key("a"))
	<-entered
	done := make(chan error, 1)
	go func() { done <- stop() }()
	select {
	case <-done:
		t.Fatal("Start returned while a reconcile was in flight")
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Start = %v, want nil on a clean stop", err)
	}
	if !finished.Load() || ctxErrInside != nil {
		t.Fatalf("in-flight reconcile: finished=%v ctx.Err=%v; want finished with a live context", finished.Load(), ctxErrInside)
	}
}

func TestControllerWaitsForLeadershipAndStopsOnLoss(t *testing.T) {
	grant := make(chan struct{})
	leaderCtx, lose := context.WithCancel(context.Background())
	var calls atomic.Int32
	c, err := reconcile.New(reconcile.Config{
		Name: "leader",
		Elector: reconcile.ElectorFunc(func(ctx context.Context) (context.Context, error) {
			select {
			case <-grant:
				return leaderCtx, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}),
		Reconciler: reconcile.ReconcilerFunc(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			calls.Add(1)
			return reconcile.Result{}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.Start(ctx) }()
	c.Queue().Add(key("a"))
	if calls.Load() != 0 {
		t.Fatal("reconciled before leading")
	}
	close(grant)
	reconciletest.Eventually(t, func() bool { return calls.Load() == 1 }, "reconcile once leading")
	lose()
	if err := <-errc; !errors.Is(err, reconcile.ErrLeadershipLost) {
		t.Fatalf("Start = %v, want ErrLeadershipLost", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := reconcile.New(reconcile.Config{Reconciler: reconcile.ReconcilerFunc(nil)}); err == nil {
		t.Error("no name accepted")
	}
	if _, err := reconcile.New(reconcile.Config{Name: "x"}); err == nil {
		t.Error("no reconciler accepted")
	}
	reg := prometheus.NewRegistry()
	r := reconcile.ReconcilerFunc(func(context.Context, reconcile.Request) (reconcile.Result, error) { return reconcile.Result{}, nil })
	if _, err := reconcile.New(reconcile.Config{Name: "x", Reconciler: r, Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := reconcile.New(reconcile.Config{Name: "y", Reconciler: r, Registerer: reg}); err != nil {
		t.Fatalf("two controllers on one registry: %v", err)
	}
	if _, err := reconcile.New(reconcile.Config{Name: "x", Reconciler: r, Registerer: reg}); err == nil {
		t.Error("a duplicate controller name on one registry must fail")
	}
}

func TestControllerRecoversPanics(t *testing.T) {
	clk := reconciletest.NewClock(t0)
	var calls atomic.Int32
	c, err := reconcile.New(reconcile.Config{
		Name:  "panics",
		Clock: clk,
		Reconciler: reconcile.ReconcilerFunc(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			if calls.Add(1) == 1 {
				panic("boom")
			}
			return reconcile.Result{}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	startController(t, c)
	c.Queue().Add(key("a"))
	reconciletest.Eventually(t, func() bool { return calls.Load() == 1 }, "first, panicking reconcile")
	reconciletest.AdvanceUntil(t, clk, 5*time.Millisecond, time.Second, func() bool { return calls.Load() == 2 }, "retried after the panic")
}

func TestControllerRetriesConflictsWithoutGrowingBackoff(t *testing.T) {
	clk := reconciletest.NewClock(t0)
	var calls atomic.Int32
	c, err := reconcile.New(reconcile.Config{
		Name:      "conflicts",
		Clock:     clk,
		RateLimit: reconcile.RateLimit{BaseDelay: time.Second, QPS: 1e6, Burst: 1e6},
		Reconciler: reconcile.ReconcilerFunc(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			if calls.Add(1) <= 5 {
				return reconcile.Result{}, fmt.Errorf("update: %w", store.ErrConflict)
			}
			return reconcile.Result{}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	startController(t, c)
	c.Queue().Add(key("a"))
	for want := int32(2); want <= 6; want++ {
		reconciletest.WaitTimers(t, clk, 1)
		clk.Advance(time.Second) // always the base delay, never 2s, 4s, ...
		reconciletest.Eventually(t, func() bool { return calls.Load() == want }, "retry %d after 1s", want)
	}
	if n := c.Queue().NumRequeues(key("a")); n != 0 {
		t.Fatalf("conflicts counted as failures: NumRequeues = %d", n)
	}
}
