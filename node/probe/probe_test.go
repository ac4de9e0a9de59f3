package probe_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/node/probe"
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/fake"
)

// realRuntime hides the fake's runtime.Prober capability, so probes take
// the network and exec paths.
type realRuntime struct{ runtime.Runtime }

func hostPort(t *testing.T, addr string) (string, int32) {
	t.Helper()
	ap := netip.MustParseAddrPort(addr)
	return ap.Addr().String(), int32(ap.Port())
}

func TestHTTPAndTCP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Probe") != "yes" {
			http.Error(w, "header missing", http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ip, port := hostPort(t, srv.Listener.Addr().String())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closedPort := hostPort(t, ln.Addr().String())
	ln.Close() // now a closed port

	pr := newProber(t, realRuntime{})
	target := probe.Target{PodIP: ip, Ports: []api.ContainerPort{{Name: "http", ContainerPort: port}}}
	hdr := []api.HTTPHeader{{Name: "X-Probe", Value: "yes"}}
	tests := []struct {
		name string
		p    api.Probe
		want bool
	}{
		{"http ok by named port", api.Probe{HTTPGet: &api.HTTPGetAction{Path: "/ok", Port: api.FromString("http"), HTTPHeaders: hdr}}, true},
		{"http 503", api.Probe{HTTPGet: &api.HTTPGetAction{Path: "/fail", Port: api.FromInt(port)}}, false},
		{"http redirect followed", api.Probe{HTTPGet: &api.HTTPGetAction{Path: "/moved", Port: api.FromInt(port), HTTPHeaders: hdr}}, true},
		{"http timeout", api.Probe{HTTPGet: &api.HTTPGetAction{Path: "/slow", Port: api.FromInt(port)}, TimeoutSeconds: 1}, false},
		{"tcp open", api.Probe{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(port)}}, true},
		{"tcp closed", api.Probe{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(closedPort), Host: "127.0.0.1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pr.Run(context.Background(), runtime.ProbeReadiness, &tt.p, target)
			if err != nil || got != tt.want {
				t.Fatalf("Run = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := pr.Run(context.Background(), runtime.ProbeLiveness, &api.Probe{HTTPGet: &api.HTTPGetAction{Port: api.FromString("nope")}}, target); !errors.Is(err, probe.ErrInvalid) {
		t.Fatalf("unknown named port: %v, want ErrInvalid", err)
	}
	if _, err := pr.Run(context.Background(), runtime.ProbeLiveness, &api.Probe{}, target); !errors.Is(err, probe.ErrInvalid) {
		t.Fatalf("probe without handler: %v, want ErrInvalid", err)
	}
}

func TestExec(t *testing.T) {
	ctx := context.Background()
	rt, err := fake.New(fake.Config{Images: []string{"img"}})
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := rt.RunSandbox(ctx, runtime.SandboxConfig{ID: "p"})
	id, _ := rt.CreateContainer(ctx, sb.ID, runtime.ContainerConfig{Name: "c", Image: "img", Args: []string{"run"}})
	if err := rt.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	pr := newProber(t, realRuntime{rt})
	for _, tt := range []struct {
		cmd  []string
		want bool
	}{
		{[]string{"/testprog", "exit", "0"}, true},
		{[]string{"/testprog", "exit", "1"}, false},
		// Times out after 1s: a failure, not an error.
		{[]string{"/testprog", "sleep", strconv.Itoa(60000)}, false},
	} {
		got, err := pr.Run(ctx, runtime.ProbeLiveness, &api.Probe{Exec: &api.ExecAction{Command: tt.cmd}, TimeoutSeconds: 1}, probe.Target{ContainerID: id})
		if err != nil || got != tt.want {
			t.Fatalf("exec %v = %v, %v; want %v", tt.cmd, got, err, tt.want)
		}
	}
}

func TestSimulatedRuntimeAnswers(t *testing.T) {
	ctx := context.Background()
	rt, _ := fake.New(fake.Config{Images: []string{"img"}, Behavior: func(runtime.Sandbox, runtime.ContainerConfig) fake.Script {
		return fake.Script{Probe: func(k runtime.ProbeKind, _ time.Duration) bool { return k == runtime.ProbeLiveness }}
	}})
	sb, _ := rt.RunSandbox(ctx, runtime.SandboxConfig{ID: "p"})
	id, _ := rt.CreateContainer(ctx, sb.ID, runtime.ContainerConfig{Name: "c", Image: "img"})
	rt.StartContainer(ctx, id)
	pr := newProber(t, rt)
	p := &api.Probe{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(1)}}
	if ok, _ := pr.Run(ctx, runtime.ProbeLiveness, p, probe.Target{ContainerID: id}); !ok {
		t.Fatal("liveness should follow the script (true)")
	}
	if ok, _ := pr.Run(ctx, runtime.ProbeReadiness, p, probe.Target{ContainerID: id}); ok {
		t.Fatal("readiness should follow the script (false)")
	}
}

func newProber(t *testing.T, rt runtime.Runtime) *probe.Prober {
	t.Helper()
	pr, err := probe.New(probe.Config{Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func TestNewNeedsRuntime(t *testing.T) {
	if _, err := probe.New(probe.Config{}); !errors.Is(err, probe.ErrInvalid) {
		t.Fatalf("New without runtime = %v, want ErrInvalid", err)
	}
}
