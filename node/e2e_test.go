package node_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/testenv"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/node/cni"
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/containerd"
	"github.com/fleetkit/orchestrator/runtime/runtimetest"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// stopRecorder wraps a runtime and records how each stopped container
// exited (SIGTERM handled: 0; killed after the grace period: 137).
type stopRecorder struct {
	runtime.Runtime
	mu    sync.Mutex
	exits map[string]int32
}

func (s *stopRecorder) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	err := s.Runtime.StopContainer(ctx, id, grace)
	if st, serr := s.Runtime.ContainerStatus(ctx, id); serr == nil {
		s.mu.Lock()
		s.exits[id] = st.ExitCode
		s.mu.Unlock()
	}
	return err
}

func (s *stopRecorder) exit(id string) (int32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.exits[id]
	return c, ok
}

// TestEndToEndContainerd runs the agent on memstore with containerd and the
// CNI bridge: readiness, restarts after a kill and a liveness failure, an
// OOM kill, adoption by a restarted agent and graceful deletion.
func TestEndToEndContainerd(t *testing.T) {
	testenv.RequireRoot(t)
	sock := testenv.ContainerdSocket(t)
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		testenv.Missing(t, "the CNI reference plugins are not installed (containernetworking-plugins)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	crt, err := containerd.New(containerd.Config{Address: sock, Namespace: "fleetkit-e2e", StateDir: filepath.Join(dir, "rt"), Snapshotter: os.Getenv("FLEETKIT_CONTAINERD_SNAPSHOTTER")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { crt.Close(); removeNamespaceCgroups("fleetkit-e2e") })
	if _, err := crt.ImportImage(ctx, bytes.NewReader(runtimetest.TestImage(t))); err != nil {
		t.Fatal(err)
	}
	rec := &stopRecorder{Runtime: crt, exits: map[string]int32{}}
	const bridge = "fke0"
	t.Cleanup(func() { exec.Command("ip", "link", "del", bridge).Run() })
	netw, err := cni.New(cni.Config{PodCIDR: "10.244.251.0/24", Bridge: bridge, StateDir: filepath.Join(dir, "cni"), SkipLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, cfg: node.Config{
		NodeName: nodeName, Store: st, Runtime: rec, Network: netw, PodCIDR: "10.244.251.0/24",
		BackoffInitial: 100 * time.Millisecond, ResyncInterval: time.Second,
	}}
	e.start(t)
	t.Cleanup(func() {
		// Whatever the outcome, leave no containers or sandboxes behind.
		e.stop()
		sbs, _ := crt.ListSandboxes(context.Background())
		for _, sb := range sbs {
			cs, _ := crt.ListContainers(context.Background(), sb.ID)
			for _, c := range cs {
				crt.RemoveContainer(context.Background(), c.ID)
			}
			netw.Teardown(context.Background(), sb)
			crt.RemoveSandbox(context.Background(), sb.ID)
		}
	})
	grace := int64(20)
	probe := func(path string) *api.Probe {
		return &api.Probe{HTTPGet: &api.HTTPGetAction{Path: path, Port: api.FromString("http")}, PeriodMilliseconds: 200, FailureThreshold: 2, TimeoutSeconds: 1}
	}
	e.createPod(t, &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web"}, Spec: api.PodSpec{
		TerminationGracePeriodSeconds: &grace,
		Containers: []api.Container{{
			Name: "web", Image: runtimetest.TestImageRef, Args: []string{"serve", "8080"},
			Ports:          []api.ContainerPort{{Name: "http", ContainerPort: 8080}},
			ReadinessProbe: probe("/ready"), LivenessProbe: probe("/healthz"),
		}},
	}})
	ready := func() bool {
		p := e.pod(t, "web")
		return condition(p, api.PodReady) == api.ConditionTrue
	}
	restarts := func() int32 {
		cs := e.pod(t, "web").Status.ContainerStatuses
		if len(cs) == 0 {
			return -1
		}
		return cs[0].RestartCount
	}
	get := func(path string) string {
		ip := e.pod(t, "web").Status.PodIP
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get("http://" + ip + ":8080" + path)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	e.eventually(t, "web ready through its readiness probe", ready)
	if got := get("/hostname"); got != "web" {
		t.Fatalf("GET /hostname on the pod IP = %q", got)
	}
	webIP := e.pod(t, "web").Status.PodIP
	if leases, _ := filepath.Glob(filepath.Join(dir, "cni", "ipam", "*", webIP)); len(leases) != 1 {
		t.Fatalf("no IPAM lease for the pod IP %s: %v", webIP, leases)
	}
	{
		cs, _ := crt.ListContainers(ctx, string(e.pod(t, "web").UID))
		res, err := crt.Exec(ctx, cs[0].ID, []string{runtimetest.TestProgPath, "cat", "/etc/resolv.conf"})
		want := "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"
		if err != nil || string(res.Output) != want {
			t.Fatalf("resolv.conf = %q, %v", res.Output, err)
		}
	}

	// Killing its process restarts it.
	cs, err := crt.ListContainers(ctx, string(e.pod(t, "web").UID))
	if err != nil || len(cs) != 1 || cs[0].PID == 0 {
		t.Fatalf("containers = %+v, %v", cs, err)
	}
	if err := syscall.Kill(cs[0].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "restartCount 1 after a kill", func() bool { return restarts() == 1 && ready() })
	if lt := e.pod(t, "web").Status.ContainerStatuses[0].LastState.Terminated; lt == nil || lt.ExitCode != 137 {
		t.Fatalf("lastState after kill = %+v", lt)
	}

	// A failing liveness probe restarts it.
	if got := get("/sick"); got != "" {
		t.Fatalf("GET /sick = %q", got)
	}
	e.eventually(t, "restartCount 2 after liveness failures", func() bool { return restarts() == 2 && ready() })

	// A memory hog is OOM-killed and reported so.
	e.createPod(t, &api.Pod{ObjectMeta: api.ObjectMeta{Name: "hog"}, Spec: api.PodSpec{
		RestartPolicy: api.RestartPolicyNever,
		Containers: []api.Container{{Name: "hog", Image: runtimetest.TestImageRef, Args: []string{"oom"},
			Resources: api.ResourceRequirements{Limits: api.ResourceList{api.ResourceMemory: api.MustParseQuantity("32Mi")}}}},
	}})
	e.eventually(t, "hog OOMKilled", func() bool {
		p := e.pod(t, "hog")
		if p.Status.Phase != api.PodFailed || len(p.Status.ContainerStatuses) != 1 {
			return false
		}
		tm := p.Status.ContainerStatuses[0].State.Terminated
		return tm != nil && tm.Reason == runtime.ReasonOOMKilled && tm.ExitCode == 137
	})

	// A restarted agent adopts the running containers.
	before, _ := crt.ListContainers(ctx, "")
	e.stop()
	e.start(t)
	time.Sleep(2 * time.Second) // let the new agent run a few passes
	after, _ := crt.ListContainers(ctx, "")
	if len(after) != len(before) {
		t.Fatalf("containers after agent restart: %d, before: %d", len(after), len(before))
	}
	for i := range after {
		if after[i].ID != before[i].ID {
			t.Fatalf("container %s replaced by %s", before[i].ID, after[i].ID)
		}
	}
	if restarts() != 2 || !ready() {
		t.Fatalf("after agent restart: restarts %d, ready %v", restarts(), ready())
	}

	// Deleting the pod stops it with SIGTERM (the server exits 0 on it)
	// and removes it.
	webUID := e.pod(t, "web").UID
	webCs, _ := crt.ListContainers(ctx, string(webUID))
	if _, err := st.Delete(ctx, api.KindPod, "default", "web"); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "web's sandbox removed", func() bool {
		sbs, _ := crt.ListSandboxes(ctx)
		for _, sb := range sbs {
			if sb.ID == string(webUID) {
				return false
			}
		}
		return true
	})
	if leases, _ := filepath.Glob(filepath.Join(dir, "cni", "ipam", "*", webIP)); len(leases) != 0 {
		t.Fatalf("IP %s still leased after the pod went: %v", webIP, leases)
	}
	if code, ok := rec.exit(webCs[0].ID); !ok || code != 0 {
		t.Fatalf("web stopped with exit %d (recorded %v); want 0: SIGTERM handled within the grace period", code, ok)
	}
}
