package containerd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/containerd"
	"github.com/fleetkit/orchestrator/runtime/runtimetest"
)

func waitRunning(t *testing.T, r runtime.Runtime, id string) {
	t.Helper()
	for i := 0; ; i++ {
		st, err := r.ContainerStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == runtime.StateRunning {
			return
		}
		if st.State == runtime.StateExited || i > 3000 {
			t.Fatalf("container %s not running: %+v", id, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func execOut(t *testing.T, r runtime.Runtime, id string, args ...string) string {
	t.Helper()
	res, err := r.Exec(context.Background(), id, append([]string{runtimetest.TestProgPath}, args...))
	if err != nil {
		t.Fatalf("exec %v: %v", args, err)
	}
	if res.ExitCode != 0 {
		return fmt.Sprintf("exit %d: %s", res.ExitCode, res.Output)
	}
	return strings.TrimSpace(string(res.Output))
}

// TestPodSpec checks what the OCI spec gets from a container config:
// security context, shared emptyDir volumes, hostname and resolv.conf,
// cgroup limits.
func TestPodSpec(t *testing.T) {
	ctx := context.Background()
	r := newRuntime(t, "fleetkit-spec-test")
	importTestImage(t, r, runtimetest.TestImage(t))
	sb, err := r.RunSandbox(ctx, runtime.SandboxConfig{
		ID: "spec-test", Namespace: "team-a", Name: "web-0", Hostname: "web-0",
		Volumes: []runtime.VolumeConfig{{Name: "shared"}, {Name: "scratch", Memory: true, SizeLimit: 8 << 20}},
		DNS:     runtime.DNSConfig{Servers: []string{"10.96.0.10"}, Searches: []string{"team-a.svc.cluster.local", "svc.cluster.local", "cluster.local"}, Options: []string{"ndots:5"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	uid, gid := int64(65534), int64(65534)
	mk := func(name string, sec runtime.Security, res runtime.Resources) string {
		id, err := r.CreateContainer(ctx, sb.ID, runtime.ContainerConfig{
			Name: name, Image: runtimetest.TestImageRef, Args: []string{"run"},
			Mounts:    []runtime.Mount{{Volume: "shared", ContainerPath: "/shared"}, {Volume: "scratch", ContainerPath: "/scratch"}},
			Security:  sec,
			Resources: res,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
		waitRunning(t, r, id)
		return id
	}
	restricted := mk("restricted", runtime.Security{RunAsUser: &uid, RunAsGroup: &gid, ReadOnlyRootfs: true, CapDrop: []string{"ALL"}, CapAdd: []string{"NET_BIND_SERVICE"}, NoNewPrivileges: true},
		runtime.Resources{CPUShares: 512, CPUQuota: 50000, CPUPeriod: 100000, MemoryLimit: 64 << 20, PidsLimit: 64})
	plain := mk("plain", runtime.Security{}, runtime.Resources{})
	t.Cleanup(func() {
		for _, id := range []string{restricted, plain} {
			_ = r.RemoveContainer(context.Background(), id)
		}
		if err := r.RemoveSandbox(context.Background(), sb.ID); err != nil {
			t.Error(err)
		}
	})

	tests := []struct {
		name, id string
		args     []string
		want     string
	}{
		{"user", restricted, []string{"id"}, "65534 65534"},
		{"bounding set only NET_BIND_SERVICE", restricted, []string{"capbnd"}, "0000000000000400"},
		{"non-root has no effective caps", restricted, []string{"caps"}, "0000000000000000"},
		{"root keeps default caps", plain, []string{"caps"}, "00000000a80425fb"},
		{"no new privileges", restricted, []string{"nnp"}, "1"},
		{"read-only root", restricted, []string{"write", "/tmp/x", "y"}, "exit 1: open /tmp/x: read-only file system\n"},
		{"root user by default", plain, []string{"id"}, "0 0"},
		{"hostname", plain, []string{"hostname"}, "web-0"},
		{"loopback up", plain, []string{"cat", "/sys/class/net/lo/flags"}, "0x9"},
		{"resolv.conf", plain, []string{"cat", "/etc/resolv.conf"}, "nameserver 10.96.0.10\nsearch team-a.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5"},
		{"volume write", plain, []string{"write", "/shared/f", "from plain"}, ""},
		{"volume shared", restricted, []string{"cat", "/shared/f"}, "from plain"},
		{"tmpfs volume", restricted, []string{"write", "/scratch/f", "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := execOut(t, r, tt.id, tt.args...); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("cgroup limits", func(t *testing.T) {
		spec, err := loadSpec(r, restricted)
		if err != nil {
			t.Fatal(err)
		}
		res := spec.Linux.Resources
		if *res.CPU.Shares != 512 || *res.CPU.Quota != 50000 || *res.Memory.Limit != 64<<20 || res.Pids.Limit == nil || *res.Pids.Limit != 64 {
			t.Fatalf("resources = cpu %+v memory %+v pids %+v", res.CPU, res.Memory, res.Pids)
		}
		if spec.Linux.Seccomp == nil {
			t.Fatal("default seccomp profile missing")
		}
	})
	t.Run("cgroup enforces limits", func(t *testing.T) {
		// The default cgroup path is /<namespace>/<id> in each hierarchy.
		rel := filepath.Join("fleetkit-spec-test", restricted)
		v1 := map[string]string{"memory/" + rel + "/memory.limit_in_bytes": "67108864", "cpu/" + rel + "/cpu.cfs_quota_us": "50000", "cpu/" + rel + "/cpu.shares": "512", "pids/" + rel + "/pids.max": "64"}
		v2 := map[string]string{rel + "/memory.max": "67108864", rel + "/cpu.max": "50000 100000", rel + "/pids.max": "64"}
		want := v1
		if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
			want = v2
		}
		for f, v := range want {
			b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", f))
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if got := strings.TrimSpace(string(b)); got != v {
				t.Errorf("%s = %s, want %s", f, got, v)
			}
		}
	})
}

// TestLogRotation fills a log past its limit and checks that the rotated
// files keep the lines and the live file restarts.
func TestLogRotation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newRuntime(t, "fleetkit-log-test")
	importTestImage(t, r, runtimetest.TestImage(t))
	r2, err := containerd.New(containerd.Config{Address: os.Getenv("FLEETKIT_CONTAINERD_SOCKET"), Namespace: "fleetkit-log-test", StateDir: dir, LogMaxBytes: 10, LogMaxFiles: 2, Snapshotter: os.Getenv("FLEETKIT_CONTAINERD_SNAPSHOTTER")})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	sb, err := r2.RunSandbox(ctx, runtime.SandboxConfig{ID: "log-test", Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := r2.CreateContainer(ctx, sb.ID, runtime.ContainerConfig{Name: "c", Image: runtimetest.TestImageRef, Args: []string{"run"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r2.RemoveContainer(ctx, id); r2.RemoveSandbox(ctx, sb.ID) }()
	if err := r2.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, r2, id)
	logFile := filepath.Join(dir, "logs", id+".log")
	for i := 0; ; i++ {
		if b, _ := os.ReadFile(logFile); len(b) > 10 {
			break
		}
		if i > 3000 {
			t.Fatal("no log output")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r2.RotateLogs()
	if fi, err := os.Stat(logFile); err != nil || fi.Size() != 0 {
		t.Fatalf("live log after rotation: %v, %v", fi, err)
	}
	if b, err := os.ReadFile(logFile + ".1"); err != nil || !strings.Contains(string(b), "testprog: run") {
		t.Fatalf("rotated log = %q, %v", b, err)
	}
	if err := r2.StopContainer(ctx, id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	var sbuf strings.Builder
	if err := r2.Logs(ctx, id, &sbuf); err != nil {
		t.Fatal(err)
	}
	if got := sbuf.String(); got != "testprog: run\ntestprog: SIGTERM\n" {
		t.Fatalf("Logs across rotation = %q", got)
	}
}
