package runtimetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/runtime"
)

// Harness is what a backend hands the suite.
type Harness struct {
	Runtime runtime.Runtime
	// Archive is the test image's archive (TestImage), imported by the
	// suite.
	Archive []byte
	// Timeout bounds each wait for an asynchronous outcome. Defaults to
	// 30s.
	Timeout time.Duration
}

// Run runs the conformance suite. newHarness is called once per subtest;
// it registers its own cleanup with t.Cleanup.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"Images", testImages},
		{"SandboxLifecycle", testSandboxLifecycle},
		{"ExitCodes", testExitCodes},
		{"StopGraceful", testStopGraceful},
		{"StopKillsAfterGrace", testStopKillsAfterGrace},
		{"OOMKilled", testOOMKilled},
		{"LogsAndExec", testLogsAndExec},
		{"ExecTimeoutKills", testExecTimeout},
		{"Events", testEvents},
		{"Errors", testErrors},
		{"Stats", testStats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if h.Timeout == 0 {
				h.Timeout = 30 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*h.Timeout)
			t.Cleanup(cancel)
			s := &suite{h: h, ctx: ctx}
			tt.fn(t, s)
		})
	}
}

type suite struct {
	h   Harness
	ctx context.Context
	n   int
}

func (s *suite) importImage(t *testing.T) {
	t.Helper()
	imgs, err := s.h.Runtime.ImportImage(s.ctx, bytes.NewReader(s.h.Archive))
	if err != nil {
		t.Fatalf("ImportImage: %v", err)
	}
	if len(imgs) != 1 || imgs[0].Ref != TestImageRef {
		t.Fatalf("ImportImage = %+v, want one image %s", imgs, TestImageRef)
	}
}

func (s *suite) sandbox(t *testing.T) runtime.Sandbox {
	t.Helper()
	s.n++
	id := fmt.Sprintf("rtt-%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), s.n)
	sb, err := s.h.Runtime.RunSandbox(s.ctx, runtime.SandboxConfig{ID: id, Namespace: "default", Name: "pod", DNS: runtime.DNSConfig{Servers: []string{"10.96.0.10"}, Searches: []string{"default.svc.cluster.local"}, Options: []string{"ndots:5"}}})
	if err != nil {
		t.Fatalf("RunSandbox: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.h.Timeout)
		defer cancel()
		cs, _ := s.h.Runtime.ListContainers(ctx, sb.ID)
		for _, c := range cs {
			_ = s.h.Runtime.RemoveContainer(ctx, c.ID)
		}
		if err := s.h.Runtime.RemoveSandbox(ctx, sb.ID); err != nil {
			t.Errorf("cleanup RemoveSandbox: %v", err)
		}
	})
	return sb
}

// run creates and starts a container running testprog with args.
func (s *suite) run(t *testing.T, sb runtime.Sandbox, name string, res runtime.Resources, args ...string) string {
	t.Helper()
	id, err := s.h.Runtime.CreateContainer(s.ctx, sb.ID, runtime.ContainerConfig{Name: name, Image: TestImageRef, Args: args, Resources: res})
	if err != nil {
		t.Fatalf("CreateContainer %s: %v", name, err)
	}
	if err := s.h.Runtime.StartContainer(s.ctx, id); err != nil {
		t.Fatalf("StartContainer %s: %v", name, err)
	}
	return id
}

// waitFor polls until cond holds for the container's status.
func (s *suite) waitFor(t *testing.T, id, what string, cond func(runtime.ContainerStatus) bool) runtime.ContainerStatus {
	t.Helper()
	deadline := time.Now().Add(s.h.Timeout)
	for {
		st, err := s.h.Runtime.ContainerStatus(s.ctx, id)
		if err != nil {
			t.Fatalf("ContainerStatus: %v", err)
		}
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s never became %s; last status %+v", id, what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitLog polls the container's log until it contains want.
func (s *suite) waitLog(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(s.h.Timeout)
	for {
		var buf bytes.Buffer
		if err := s.h.Runtime.Logs(s.ctx, id, &buf); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log = %q, want it to contain %q", buf.String(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func exited(st runtime.ContainerStatus) bool  { return st.State == runtime.StateExited }
func running(st runtime.ContainerStatus) bool { return st.State == runtime.StateRunning }

func testImages(t *testing.T, s *suite) {
	r := s.h.Runtime
	s.importImage(t)
	img, err := r.ImageStatus(s.ctx, TestImageRef)
	if err != nil || img.ID == "" {
		t.Fatalf("ImageStatus = %+v, %v", img, err)
	}
	s.importImage(t) // idempotent
	if _, err := r.ImageStatus(s.ctx, "fleetkit.test/none:1"); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("ImageStatus of unknown image = %v, want ErrNotFound", err)
	}
	if _, err := r.ImportImage(s.ctx, strings.NewReader("not a tar")); err == nil {
		t.Fatal("ImportImage of garbage succeeded")
	}
}

func testSandboxLifecycle(t *testing.T, s *suite) {
	r := s.h.Runtime
	s.importImage(t)
	cfg := runtime.SandboxConfig{ID: "rtt-lifecycle", Namespace: "ns", Name: "p"}
	sb, err := r.RunSandbox(s.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.RunSandbox(s.ctx, cfg)
	if err != nil || again.ID != sb.ID {
		t.Fatalf("second RunSandbox = %+v, %v; want the same sandbox", again, err)
	}
	list, err := r.ListSandboxes(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := countSandbox(list, sb.ID); n != 1 {
		t.Fatalf("ListSandboxes has sandbox %d times, want 1", n)
	}
	id := s.run(t, sb, "c", runtime.Resources{}, "run")
	if err := r.RemoveSandbox(s.ctx, sb.ID); !errors.Is(err, runtime.ErrFailedPrecondition) {
		t.Fatalf("RemoveSandbox with a container = %v, want ErrFailedPrecondition", err)
	}
	if err := r.RemoveContainer(s.ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveContainer(s.ctx, id); err != nil {
		t.Fatalf("second RemoveContainer = %v, want nil", err)
	}
	if _, err := r.ContainerStatus(s.ctx, id); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("status of removed container = %v, want ErrNotFound", err)
	}
	if err := r.RemoveSandbox(s.ctx, sb.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveSandbox(s.ctx, sb.ID); err != nil {
		t.Fatalf("second RemoveSandbox = %v, want nil", err)
	}
	list, _ = r.ListSandboxes(s.ctx)
	if n := countSandbox(list, sb.ID); n != 0 {
		t.Fatalf("removed sandbox still listed")
	}
}

func countSandbox(l []runtime.Sandbox, id string) int {
	n := 0
	for _, sb := range l {
		if sb.ID == id {
			n++
		}
	}
	return n
}

func testExitCodes(t *testing.T, s *suite) {
	s.importImage(t)
	sb := s.sandbox(t)
	tests := []struct {
		args   []string
		code   int32
		reason string
	}{
		{[]string{"exit", "0"}, 0, runtime.ReasonCompleted},
		{[]string{"exit", "3"}, 3, runtime.ReasonError},
		{[]string{"sleep-exit", "50", "4"}, 4, runtime.ReasonError},
	}
	for i, tt := range tests {
		id := s.run(t, sb, fmt.Sprintf("c%d", i), runtime.Resources{}, tt.args...)
		st := s.waitFor(t, id, "exited", exited)
		if st.ExitCode != tt.code || st.Reason != tt.reason {
			t.Errorf("%v: exit %d %q, want %d %q", tt.args, st.ExitCode, st.Reason, tt.code, tt.reason)
		}
		if st.Name != fmt.Sprintf("c%d", i) || st.SandboxID != sb.ID || st.StartedAt.IsZero() || st.FinishedAt.IsZero() {
			t.Errorf("status lacks identity or times: %+v", st)
		}
	}
}

func testStopGraceful(t *testing.T, s *suite) {
	s.importImage(t)
	sb := s.sandbox(t)
	id := s.run(t, sb, "c", runtime.Resources{}, "run")
	s.waitLog(t, id, "testprog: run\n") // SIGTERM is handled from here on
	if err := s.h.Runtime.StopContainer(s.ctx, id, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	st, _ := s.h.Runtime.ContainerStatus(s.ctx, id)
	if st.State != runtime.StateExited || st.ExitCode != 0 {
		t.Fatalf("after SIGTERM: %+v, want exited with 0 (the program handles SIGTERM)", st)
	}
	if err := s.h.Runtime.StopContainer(s.ctx, id, time.Second); err != nil {
		t.Fatalf("stop of a stopped container = %v, want nil", err)
	}
}

func testStopKillsAfterGrace(t *testing.T, s *suite) {
	s.importImage(t)
	sb := s.sandbox(t)
	id := s.run(t, sb, "c", runtime.Resources{}, "ignore-term")
	s.waitLog(t, id, "testprog: ignore-term\n")
	if err := s.h.Runtime.StopContainer(s.ctx, id, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	st, _ := s.h.Runtime.ContainerStatus(s.ctx, id)
	if st.State != runtime.StateExited || st.ExitCode != 137 {
		t.Fatalf("after grace: %+v, want exited with 137 (SIGKILL)", st)
	}
}

func testOOMKilled(t *testing.T, s *suite) {
	s.importImage(t)
	sb := s.sandbox(t)
	id := s.run(t, sb, "hog", runtime.Resources{MemoryLimit: 32 << 20}, "oom")
	st := s.waitFor(t, id, "exited", exited)
	if st.Reason != runtime.ReasonOOMKilled || st.ExitCode != 137 {
		t.Fatalf("memory hog: exit %d %q, want 137 OOMKilled", st.ExitCode, st.Reason)
	}
}

func testLogsAndExec(t *testing.T, s *suite) {
	r := s.h.Runtime
	s.importImage(t)
	sb := s.sandbox(t)
	id := s.run(t, sb, "c", runtime.Resources{}, "run")
	s.waitFor(t, id, "running", running)
	s.waitLog(t, id, "testprog: run\n")
	res, err := r.Exec(s.ctx, id, []string{TestProgPath, "exit", "7"})
	if err != nil || res.ExitCode != 7 {
		t.Fatalf("exec exit 7 = %+v, %v", res, err)
	}
	res, err = r.Exec(s.ctx, id, []string{TestProgPath, "echo", "hello", "probe"})
	if err != nil || res.ExitCode != 0 || string(res.Output) != "hello probe\n" {
		t.Fatalf("exec echo = %+v (%q), %v", res, res.Output, err)
	}
	if err := r.StopContainer(s.ctx, id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Exec(s.ctx, id, []string{TestProgPath, "echo"}); !errors.Is(err, runtime.ErrFailedPrecondition) {
		t.Fatalf("exec in stopped container = %v, want ErrFailedPrecondition", err)
	}
}

func testExecTimeout(t *testing.T, s *suite) {
	r := s.h.Runtime
	s.importImage(t)
	sb := s.sandbox(t)
	id := s.run(t, sb, "c", runtime.Resources{}, "run")
	s.waitFor(t, id, "running", running)
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(s.ctx, 200*time.Millisecond)
		_, err := r.Exec(ctx, id, []string{TestProgPath, "sleep", "600000"})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("exec past its deadline = %v, want context.DeadlineExceeded", err)
		}
	}
	res, err := r.Exec(s.ctx, id, []string{TestProgPath, "exit", "0"})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exec after timeouts = %+v, %v", res, err)
	}
	if c, ok := r.(interface {
		ExecProcesses(ctx context.Context, id string) (int, error)
	}); ok {
		n, err := c.ExecProcesses(s.ctx, id)
		if err != nil || n != 0 {
			t.Fatalf("exec processes left after timeouts = %d, %v; want 0", n, err)
		}
	}
}

func testEvents(t *testing.T, s *suite) {
	r := s.h.Runtime
	s.importImage(t)
	sb := s.sandbox(t)
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	ch := r.Subscribe(ctx)
	id := s.run(t, sb, "c", runtime.Resources{}, "exit", "1")
	timeout := time.After(s.h.Timeout)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("event channel closed early")
			}
			if ev.Type == runtime.EventExited && ev.ContainerID == id {
				cancel()
				for range ch {
				}
				return
			}
		case <-timeout:
			t.Fatal("no exit event")
		}
	}
}

func testErrors(t *testing.T, s *suite) {
	r := s.h.Runtime
	s.importImage(t)
	sb := s.sandbox(t)
	cfg := runtime.ContainerConfig{Name: "c", Image: TestImageRef, Args: []string{"run"}}
	id, err := r.CreateContainer(s.ctx, sb.ID, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateContainer(s.ctx, sb.ID, cfg); !errors.Is(err, runtime.ErrAlreadyExists) {
		t.Errorf("duplicate CreateContainer = %v, want ErrAlreadyExists", err)
	}
	cfg.Attempt = 1
	id2, err := r.CreateContainer(s.ctx, sb.ID, cfg)
	if err != nil {
		t.Errorf("CreateContainer of attempt 1 = %v", err)
	} else if id2 == id {
		t.Errorf("two containers share id %s", id)
	}
	if _, err := r.CreateContainer(s.ctx, "rtt-no-such-sandbox", cfg); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("CreateContainer in missing sandbox = %v, want ErrNotFound", err)
	}
	cfg.Image, cfg.Attempt = "fleetkit.test/none:1", 2
	if _, err := r.CreateContainer(s.ctx, sb.ID, cfg); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("CreateContainer with missing image = %v, want ErrNotFound", err)
	}
	if _, err := r.CreateContainer(s.ctx, sb.ID, runtime.ContainerConfig{Image: TestImageRef}); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("CreateContainer without name = %v, want ErrInvalid", err)
	}
	if err := r.StartContainer(s.ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := r.StartContainer(s.ctx, id); !errors.Is(err, runtime.ErrFailedPrecondition) {
		t.Errorf("second StartContainer = %v, want ErrFailedPrecondition", err)
	}
	if _, err := r.ContainerStatus(s.ctx, "rtt-no-such-container"); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("ContainerStatus of unknown = %v, want ErrNotFound", err)
	}
	if err := r.StopContainer(s.ctx, "rtt-no-such-container", time.Second); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("StopContainer of unknown = %v, want ErrNotFound", err)
	}
	list, err := r.ListContainers(s.ctx, sb.ID)
	if err != nil || len(list) != 2 {
		t.Errorf("ListContainers = %d containers, %v; want 2", len(list), err)
	}
}

func testStats(t *testing.T, s *suite) {
	s.importImage(t)
	sb := s.sandbox(t)
	id := s.run(t, sb, "c", runtime.Resources{}, "run")
	s.waitFor(t, id, "running", running)
	u, err := s.h.Runtime.Stats(s.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if u.Timestamp.IsZero() || u.MemoryBytes == 0 {
		t.Fatalf("Stats = %+v, want a timestamp and some memory", u)
	}
}
