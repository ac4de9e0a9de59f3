package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/internal/testenv"
	"github.com/fleetkit/orchestrator/runtime/runtimetest"
)

// TestReferenceClusterRunsExamples runs the reference assembly as a user
// does (go run ./examples/cluster -until-ready) and checks that every
// embedded example workload became ready: run returns nil only when every
// Deployment is available and updated, every ReplicaSet ready and every
// PodGroup Running, as read from the store.
func TestReferenceClusterRunsExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole cluster")
	}
	var out bytes.Buffer
	err := run(context.Background(), config{
		Nodes: 3, GPUNodes: 2, UntilReady: true, Timeout: 2 * time.Minute, Interval: 200 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: &out,
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"deployment default/api-server created",
		"resourcequota production/compute created",
		"podgroup default/train-llm created",
		"every workload is ready",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// TestLoadManifestsRefusesInvalid checks that a bad manifest stops the run
// before anything is applied, naming the file and the problem.
func TestLoadManifestsRefusesInvalid(t *testing.T) {
	_, err := loadManifests([]string{"../../api/manifest/testdata/invalid.yaml"})
	if err == nil {
		t.Fatal("invalid.yaml loaded without error")
	}
	for _, want := range []string{"invalid.yaml", "spec.replica", "Potato"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestReferenceClusterOnEtcd runs the same assembly against etcd instead of
// the in-memory store (go run ./examples/cluster -etcd URL): nothing in the
// control plane or the node agents knows which backend it has, and the
// seed article's Deployment and Service become ready on either.
func TestReferenceClusterOnEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole cluster on etcd")
	}
	srv := etcdtest.StartEmbedded(t, etcdtest.Options{})
	var out bytes.Buffer
	err := run(context.Background(), config{
		Nodes: 2, Etcd: srv.Endpoints, UntilReady: true, Timeout: 2 * time.Minute, Interval: 200 * time.Millisecond,
		Manifests: []string{"manifests/seed-deployment.yaml", "manifests/seed-service.yaml"},
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)), Out: &out,
	})
	if err != nil {
		t.Fatalf("run on etcd: %v\n%s", err, out.String())
	}
	for _, want := range []string{"deployment default/api-server created", "every workload is ready"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestReferenceClusterOnContainerd runs the assembly with real containers:
// the control plane schedules a Deployment onto a node agent that runs it
// through containerd on a CNI bridge; the pods become ready through their
// HTTP readiness probes, the Service gets their addresses, and on exit the
// pods are stopped and their sandboxes removed.
func TestReferenceClusterOnContainerd(t *testing.T) {
	testenv.RequireRoot(t)
	sock := testenv.ContainerdSocket(t)
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		testenv.Missing(t, "the CNI reference plugins are not installed (containernetworking-plugins)")
	}
	dir := t.TempDir()
	image := filepath.Join(dir, "testprog.tar")
	if err := os.WriteFile(image, runtimetest.TestImage(t), 0o644); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(app, []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: web
          image: `+runtimetest.TestImageRef+`
          args: ["serve", "8080"]
          ports:
            - {name: http, containerPort: 8080}
          resources:
            requests: {cpu: 100m, memory: 32Mi}
            limits: {cpu: 500m, memory: 64Mi}
          readinessProbe:
            httpGet: {path: /ready, port: http}
            periodMilliseconds: 200
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - {port: 80, targetPort: http}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), config{
		Nodes: 1, Containerd: sock, Images: []string{image}, Manifests: []string{app}, StateDir: filepath.Join(dir, "state"),
		UntilReady: true, Timeout: 2 * time.Minute, Interval: 200 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: &out,
	})
	if err != nil {
		t.Fatalf("run on containerd: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	for _, want := range []string{"deployment/default/web  2/2", "every workload is ready", "stopping 2 pods"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
