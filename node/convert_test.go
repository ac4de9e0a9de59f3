package node

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/runtime"
)

func TestContainerConfigFromPod(t *testing.T) {
	a, err := New(Config{NodeName: "n1", Store: nilStore{}, Runtime: nilRuntime{}})
	if err != nil {
		t.Fatal(err)
	}
	uid, other := int64(1000), int64(2000)
	no, yes := false, true
	p := &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web-0", Namespace: "shop", UID: "u-1"},
		Spec: api.PodSpec{
			SecurityContext: &api.PodSecurityContext{RunAsUser: &other, RunAsGroup: &other},
			Volumes:         []api.Volume{{Name: "cache", EmptyDir: &api.EmptyDirVolumeSource{Medium: "Memory"}}},
			Containers: []api.Container{{
				Name: "app", Image: "img:1", Command: []string{"/app"}, Args: []string{"-v"}, WorkingDir: "/srv",
				Env: []api.EnvVar{
					{Name: "A", Value: "1"},
					{Name: "IP", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "status.podIP"}}},
					{Name: "NODE", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
				},
				VolumeMounts: []api.VolumeMount{{Name: "cache", MountPath: "/cache", ReadOnly: true}},
				Resources: api.ResourceRequirements{
					Requests: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("250m")},
					Limits:   api.ResourceList{api.ResourceCPU: api.MustParseQuantity("500m"), api.ResourceMemory: api.MustParseQuantity("64Mi")},
				},
				SecurityContext: &api.SecurityContext{
					RunAsUser: &uid, ReadOnlyRootFilesystem: &yes, AllowPrivilegeEscalation: &no,
					Capabilities:   &api.Capabilities{Add: []string{"NET_ADMIN"}, Drop: []string{"ALL"}},
					SeccompProfile: &api.SeccompProfile{Type: "Unconfined"},
				},
			}},
		},
	}
	got := a.containerConfig(p, &p.Spec.Containers[0], 2, "10.244.0.7")
	want := runtime.ContainerConfig{
		Name: "app", Attempt: 2, Image: "img:1", Command: []string{"/app"}, Args: []string{"-v"}, WorkingDir: "/srv",
		Env:       []string{"A=1", "IP=10.244.0.7", "NODE=n1", "HOSTNAME=web-0"},
		Mounts:    []runtime.Mount{{Volume: "cache", ContainerPath: "/cache", ReadOnly: true}},
		Resources: runtime.Resources{CPUShares: 256, CPUQuota: 50000, CPUPeriod: 100000, MemoryLimit: 64 << 20, PidsLimit: 4096},
		Security: runtime.Security{RunAsUser: &uid, RunAsGroup: &other, ReadOnlyRootfs: true, NoNewPrivileges: true,
			CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"}, SeccompUnconfined: true},
		Labels: map[string]string{"pod": "shop/web-0"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("container config (-want +got):\n%s", d)
	}
	sb := a.sandboxConfig(p)
	wantSB := runtime.SandboxConfig{
		ID: "u-1", Namespace: "shop", Name: "web-0", Hostname: "web-0",
		Volumes: []runtime.VolumeConfig{{Name: "cache", Memory: true}},
		DNS:     runtime.DNSConfig{Servers: []string{"10.96.0.10"}, Searches: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local"}, Options: []string{"ndots:5"}},
		Labels:  map[string]string{"namespace": "shop", "name": "web-0"},
	}
	if d := cmp.Diff(wantSB, sb); d != "" {
		t.Fatalf("sandbox config (-want +got):\n%s", d)
	}
}
