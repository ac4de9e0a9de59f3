package containerd_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/internal/testenv"
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/containerd"
	"github.com/fleetkit/orchestrator/runtime/runtimetest"
)

// newRuntime connects to the test daemon (FLEETKIT_CONTAINERD_SOCKET) with
// its own state directory; it skips outside CI when there is no daemon or
// no root.
func newRuntime(t testing.TB, ns string) *containerd.Runtime {
	t.Helper()
	testenv.RequireRoot(t)
	sock := testenv.ContainerdSocket(t)
	r, err := containerd.New(containerd.Config{
		Address:     sock,
		Namespace:   ns,
		Snapshotter: os.Getenv("FLEETKIT_CONTAINERD_SNAPSHOTTER"),
		StateDir:    t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); removeNamespaceCgroups(ns) })
	return r
}

func TestConformance(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.ContainerdSocket(t)
	archive := runtimetest.TestImage(t)
	runtimetest.Run(t, func(t *testing.T) runtimetest.Harness {
		return runtimetest.Harness{Runtime: newRuntime(t, "fleetkit-test"), Archive: archive, Timeout: 30 * time.Second}
	})
}

func importTestImage(t *testing.T, r runtime.Runtime, archive []byte) {
	t.Helper()
	if _, err := r.ImportImage(context.Background(), bytes.NewReader(archive)); err != nil {
		t.Fatal(err)
	}
}

// removeNamespaceCgroups removes the parent cgroups that runc leaves for
// a containerd namespace once its containers are gone (rmdir fails, and is
// ignored, while any remain).
func removeNamespaceCgroups(ns string) {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", ns))
	if d := filepath.Join("/sys/fs/cgroup", ns); dirExists(d) {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		os.Remove(d)
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
