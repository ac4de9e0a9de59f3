package containerd_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/internal/testenv"
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/containerd"
	"github.com/fleetkit/orchestrator/runtime/runtimetest"
)

// TestExitWhileDaemonIsDown runs a private daemon (scripts/containerd-up.sh
// in a temporary directory), stops it while a container is about to exit,
// starts it again, and checks that the exit is announced after the
// reconnect and that its code is kept.
func TestExitWhileDaemonIsDown(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.Binary(t, "FLEETKIT_CONTAINERD_BIN", "containerd")
	dir, err := os.MkdirTemp("", "fkcd")
	if err != nil {
		t.Fatal(err)
	}
	scripts, _ := filepath.Abs("../../scripts")
	up := func() string {
		out, err := exec.Command(filepath.Join(scripts, "containerd-up.sh"), dir).CombinedOutput()
		if err != nil {
			t.Fatalf("containerd-up: %v\n%s", err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, "export FLEETKIT_CONTAINERD_SOCKET="); ok {
				return v
			}
		}
		t.Fatalf("containerd-up printed no socket: %s", out)
		return ""
	}
	down := func() {
		if out, err := exec.Command(filepath.Join(scripts, "containerd-down.sh"), dir).CombinedOutput(); err != nil {
			t.Fatalf("containerd-down: %v\n%s", err, out)
		}
	}
	sock := up()
	snap, _ := os.ReadFile(filepath.Join(dir, "snapshotter"))
	r, err := containerd.New(containerd.Config{Address: sock, StateDir: filepath.Join(dir, "agent"), Snapshotter: strings.TrimSpace(string(snap))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var id, sbID string
	t.Cleanup(func() {
		if id != "" {
			r.RemoveContainer(ctx, id)
			r.RemoveSandbox(ctx, sbID)
		}
		r.Close()
		removeNamespaceCgroups("fleetkit")
		down()
		exec.Command("umount", "-R", filepath.Join(dir, "root")).Run()
		os.RemoveAll(dir)
	})
	if _, err := r.ImportImage(ctx, bytes.NewReader(runtimetest.TestImage(t))); err != nil {
		t.Fatal(err)
	}
	sb, err := r.RunSandbox(ctx, runtime.SandboxConfig{ID: "restart-test", Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	sbID = sb.ID
	id, err = r.CreateContainer(ctx, sb.ID, runtime.ContainerConfig{Name: "c", Image: runtimetest.TestImageRef, Args: []string{"sleep-exit", "1500", "3"}})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := r.Subscribe(sctx)
	if err := r.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	down()
	time.Sleep(2500 * time.Millisecond) // the container exits while the daemon is down
	up()
	timeout := time.After(60 * time.Second)
	resynced := false
	for {
		select {
		case ev := <-events:
			if ev.Type == runtime.EventResync {
				resynced = true
			}
			if ev.Type == runtime.EventExited && ev.ContainerID == id {
				if !resynced {
					t.Log("exit delivered by the daemon's own replay before our resync")
				}
				st, err := r.ContainerStatus(ctx, id)
				if err != nil || st.State != runtime.StateExited || st.ExitCode != 3 {
					t.Fatalf("status after restart = %+v, %v; want exited with 3", st, err)
				}
				return
			}
		case <-timeout:
			t.Fatal("exit during the daemon's downtime was never announced")
		}
	}
}
