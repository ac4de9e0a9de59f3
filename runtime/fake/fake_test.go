package fake_test

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/fake"
	"github.com/fleetkit/orchestrator/runtime/runtimetest"
)

func TestConformance(t *testing.T) {
	archive := runtimetest.TestImage(t)
	runtimetest.Run(t, func(t *testing.T) runtimetest.Harness {
		r, err := fake.New(fake.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return runtimetest.Harness{Runtime: r, Archive: archive, Timeout: 10 * time.Second}
	})
}

// TestScriptedOnFakeClock checks scripted behaviour driven only by a fake
// clock: a crash after RunFor, a failing readiness probe, and a stop that
// waits for the whole grace period.
func TestScriptedOnFakeClock(t *testing.T) {
	ctx := context.Background()
	clk := clockwork.NewFakeClock()
	r, err := fake.New(fake.Config{Clock: clk, Images: []string{"img"}, Behavior: func(sb runtime.Sandbox, cfg runtime.ContainerConfig) fake.Script {
		switch cfg.Name {
		case "crash":
			return fake.Script{RunFor: time.Minute, ExitCode: 2}
		case "hang":
			return fake.Script{IgnoreSIGTERM: true, Probe: func(k runtime.ProbeKind, d time.Duration) bool { return k != runtime.ProbeReadiness }}
		}
		return fake.Script{}
	}})
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := r.RunSandbox(ctx, runtime.SandboxConfig{ID: "p"})
	crash, _ := r.CreateContainer(ctx, sb.ID, runtime.ContainerConfig{Name: "crash", Image: "img"})
	hang, _ := r.CreateContainer(ctx, sb.ID, runtime.ContainerConfig{Name: "hang", Image: "img"})
	for _, id := range []string{crash, hang} {
		if err := r.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(59 * time.Second)
	if st, _ := r.ContainerStatus(ctx, crash); st.State != runtime.StateRunning {
		t.Fatalf("crash before RunFor: %v", st.State)
	}
	clk.Advance(time.Second)
	// clockwork runs AfterFunc callbacks on their own goroutine: wait for it.
	st := waitExited(t, r, crash)
	if st.ExitCode != 2 || st.Reason != runtime.ReasonError {
		t.Fatalf("crash after RunFor: %+v", st)
	}
	if ok, _ := r.Probe(ctx, hang, runtime.ProbeReadiness); ok {
		t.Fatal("readiness should fail")
	}
	if ok, _ := r.Probe(ctx, hang, runtime.ProbeLiveness); !ok {
		t.Fatal("liveness should succeed")
	}
	done := make(chan error, 1)
	go func() { done <- r.StopContainer(ctx, hang, 30*time.Second) }()
	if err := clk.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Fatal("stop returned before the grace period")
	default:
	}
	clk.Advance(30 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st, _ := r.ContainerStatus(ctx, hang); st.ExitCode != 137 {
		t.Fatalf("hang after grace: %+v, want 137", st)
	}
}

func waitExited(t *testing.T, r *fake.Runtime, id string) runtime.ContainerStatus {
	t.Helper()
	for i := 0; ; i++ {
		st, err := r.ContainerStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == runtime.StateExited {
			return st
		}
		if i > 5000 {
			t.Fatalf("container %s never exited: %+v", id, st)
		}
		time.Sleep(time.Millisecond)
	}
}
