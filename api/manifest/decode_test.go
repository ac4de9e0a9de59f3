package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeFile(t *testing.T, name string) []api.Object {
	t.Helper()
	objs, err := DecodeBytes(readTestdata(t, name))
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return objs
}

func as[T any](t *testing.T, o api.Object) T {
	t.Helper()
	v, ok := o.(T)
	if !ok {
		t.Fatalf("object is %T, want %T", o, *new(T))
	}
	return v
}

func q(s string) api.Quantity { return api.MustParseQuantity(s) }

func eqQ(t *testing.T, what string, got api.Quantity, want string) {
	t.Helper()
	if got.Cmp(q(want)) != 0 {
		t.Errorf("%s = %s, want %s", what, got.String(), want)
	}
}

func TestSeedDeployment(t *testing.T) {
	objs := decodeFile(t, "seed-deployment.yaml")
	if len(objs) != 1 {
		t.Fatalf("got %d objects, want 1", len(objs))
	}
	d := as[*api.Deployment](t, objs[0])
	if d.Name != "api-server" || d.Namespace != "default" {
		t.Errorf("name %s/%s, want default/api-server", d.Namespace, d.Name)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", d.Spec.Replicas)
	}
	if diff := cmp.Diff(map[string]string{"app": "api-server"}, d.Spec.Selector.MatchLabels); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	c := d.Spec.Template.Spec.Containers
	if len(c) != 1 {
		t.Fatalf("containers = %d, want 1", len(c))
	}
	if c[0].Name != "api" || c[0].Image != "myregistry/api:v1.2.0" {
		t.Errorf("container %s %s", c[0].Name, c[0].Image)
	}
	if c[0].ImagePullPolicy != api.PullIfNotPresent {
		t.Errorf("imagePullPolicy = %q, want IfNotPresent (tagged image)", c[0].ImagePullPolicy)
	}
	if len(c[0].Ports) != 1 || c[0].Ports[0].ContainerPort != 8000 || c[0].Ports[0].Protocol != api.ProtocolTCP {
		t.Errorf("ports = %+v, want 8000/TCP", c[0].Ports)
	}
	r := c[0].Resources
	eqQ(t, "requests.cpu", r.Requests[api.ResourceCPU], "250m")
	eqQ(t, "requests.memory", r.Requests[api.ResourceMemory], "256Mi")
	eqQ(t, "limits.cpu", r.Limits[api.ResourceCPU], "500m")
	eqQ(t, "limits.memory", r.Limits[api.ResourceMemory], "512Mi")
	if got := r.Requests[api.ResourceCPU].MilliValue(); got != 250 {
		t.Errorf("cpu request = %d millicores, want 250", got)
	}
	// Defaults ran.
	if d.Spec.Strategy.Type != api.RollingUpdateDeploymentStrategyType || d.Spec.Strategy.RollingUpdate.MaxSurge.String() != "25%" {
		t.Errorf("strategy not defaulted: %+v", d.Spec.Strategy)
	}
	if *d.Spec.RevisionHistoryLimit != 10 || *d.Spec.ProgressDeadlineSeconds != 600 {
		t.Errorf("revisionHistoryLimit/progressDeadlineSeconds not defaulted")
	}
}

func TestSeedService(t *testing.T) {
	objs := decodeFile(t, "seed-service.yaml")
	if len(objs) != 1 {
		t.Fatalf("got %d objects, want 1", len(objs))
	}
	s := as[*api.Service](t, objs[0])
	if s.Name != "api-server" || s.Spec.Type != api.ServiceTypeClusterIP {
		t.Errorf("service %s type %s", s.Name, s.Spec.Type)
	}
	want := []api.ServicePort{{Protocol: api.ProtocolTCP, Port: 80, TargetPort: api.FromInt(8000)}}
	if diff := cmp.Diff(want, s.Spec.Ports); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	if s.Spec.Selector["app"] != "api-server" || s.Spec.SessionAffinity != api.SessionAffinityNone {
		t.Errorf("selector %v affinity %q", s.Spec.Selector, s.Spec.SessionAffinity)
	}
}

func TestHPA(t *testing.T) {
	h := as[*api.HorizontalPodAutoscaler](t, decodeFile(t, "hpa.yaml")[0])
	if *h.Spec.MinReplicas != 2 || h.Spec.MaxReplicas != 10 {
		t.Errorf("replicas %d-%d, want 2-10", *h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	if h.Spec.ScaleTargetRef != (api.CrossVersionObjectReference{Kind: "Deployment", Name: "api-server", APIVersion: "apps/v1"}) {
		t.Errorf("target %+v", h.Spec.ScaleTargetRef)
	}
	m := h.Spec.Metrics
	if len(m) != 1 || m[0].Resource == nil || m[0].Resource.Name != api.ResourceCPU || *m[0].Resource.Target.AverageUtilization != 50 {
		t.Fatalf("metrics %+v", m)
	}
	down := h.Spec.Behavior.ScaleDown
	if *down.StabilizationWindowSeconds != 300 || len(down.Policies) != 1 {
		t.Errorf("scaleDown %+v", down)
	}
	up := h.Spec.Behavior.ScaleUp
	if up == nil || len(up.Policies) != 2 || *up.StabilizationWindowSeconds != 0 {
		t.Errorf("scaleUp not defaulted: %+v", up)
	}
}

func TestGPUInference(t *testing.T) {
	d := as[*api.Deployment](t, decodeFile(t, "gpu-inference.yaml")[0])
	ps := d.Spec.Template.Spec
	c := ps.Containers[0]
	eqQ(t, "gpu request", c.Resources.Requests[api.ResourceNvidiaGPU], "1")
	eqQ(t, "gpu limit", c.Resources.Limits[api.ResourceNvidiaGPU], "1")
	eqQ(t, "memory limit", c.Resources.Limits[api.ResourceMemory], "24Gi")
	if len(ps.Tolerations) != 1 || ps.Tolerations[0].Operator != api.TolerationOpExists || ps.Tolerations[0].Effect != api.TaintEffectNoSchedule {
		t.Errorf("tolerations %+v", ps.Tolerations)
	}
	rp := c.ReadinessProbe
	if rp.HTTPGet == nil || rp.HTTPGet.Port != api.FromInt(8000) || rp.FailureThreshold != 60 || rp.TimeoutSeconds != 1 {
		t.Errorf("readiness probe %+v", rp)
	}
	if lp := c.LivenessProbe; lp.TCPSocket == nil || lp.InitialDelaySeconds != 600 || lp.PeriodSeconds != 20 || lp.FailureThreshold != 3 {
		t.Errorf("liveness probe %+v", lp)
	}
}

func TestGangTraining(t *testing.T) {
	objs := decodeFile(t, "gang-training.yaml")
	if len(objs) != 2 {
		t.Fatalf("got %d objects, want 2", len(objs))
	}
	pg := as[*api.PodGroup](t, objs[0])
	if pg.Spec.MinMember != 8 || *pg.Spec.ScheduleTimeoutSeconds != 120 {
		t.Errorf("podgroup %+v", pg.Spec)
	}
	rs := as[*api.ReplicaSet](t, objs[1])
	if *rs.Spec.Replicas != 8 || rs.Spec.Template.Labels[api.LabelPodGroup] != "train-llm" {
		t.Errorf("replicaset %+v", rs.Spec)
	}
	eqQ(t, "memory", rs.Spec.Template.Spec.Containers[0].Resources.Requests[api.ResourceMemory], "32Gi")
}

func TestProductionApp(t *testing.T) {
	objs := decodeFile(t, "production-app.yaml")
	var kinds []api.Kind
	for _, o := range objs {
		kinds = append(kinds, o.Kind())
	}
	want := []api.Kind{api.KindNamespace, api.KindResourceQuota, api.KindDeployment, api.KindService, api.KindService, api.KindService, api.KindService}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Fatalf("kinds (-want +got):\n%s", diff)
	}
	if ns := objs[0].Meta().Namespace; ns != "" {
		t.Errorf("cluster-scoped Namespace got namespace %q", ns)
	}
	rq := as[*api.ResourceQuota](t, objs[1])
	eqQ(t, "pods", rq.Spec.Hard[api.ResourcePods], "50")
	d := as[*api.Deployment](t, objs[2])
	if d.Namespace != "production" || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntVal != 0 || d.Spec.Strategy.RollingUpdate.MaxSurge.IntVal != 1 {
		t.Errorf("deployment %s strategy %+v", d.Namespace, d.Spec.Strategy.RollingUpdate)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.StartupProbe.HTTPGet.Port != api.FromString("http") || *c.SecurityContext.RunAsUser != 10001 || c.SecurityContext.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container %+v", c)
	}
	if w := d.Spec.Template.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0]; w.Weight != 100 || w.PodAffinityTerm.TopologyKey != api.LabelHostname {
		t.Errorf("anti-affinity %+v", w)
	}
	np := as[*api.Service](t, objs[4])
	if np.Spec.Type != api.ServiceTypeNodePort || np.Spec.Ports[0].NodePort != 30080 {
		t.Errorf("nodeport service %+v", np.Spec)
	}
	ext := as[*api.Service](t, objs[5])
	if ext.Spec.Type != api.ServiceTypeExternalName || ext.Spec.ExternalName != "orders.db.example.com" {
		t.Errorf("externalname service %+v", ext.Spec)
	}
	if hl := as[*api.Service](t, objs[6]); hl.Spec.ClusterIP != api.ClusterIPNone {
		t.Errorf("headless service clusterIP %q", hl.Spec.ClusterIP)
	}
}

// TestInvalid checks that each document of invalid.yaml is refused with
// its document index, field path and reason.
func TestInvalid(t *testing.T) {
	_, err := DecodeBytes(readTestdata(t, "invalid.yaml"))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v (%T), want Errors", err, err)
	}
	type want struct {
		doc    int
		path   string
		cat    error
		reason string // substring
	}
	wants := []want{
		{1, "spec.replica", ErrUnknownField, "unknown field"},
		{2, "spec.template.metadata.labels", api.ErrInvalid, "selector does not match template labels"},
		{3, "spec.containers[0].resources.limits.memory", ErrType, "12ZZ"},
		{3, "spec.containers[0].resources.requests.cpu", api.ErrInvalid, "must be less than or equal to cpu limit of 1"},
		{4, "metadata.name", api.ErrInvalid, "Bad_Name"},
		{4, "spec.ports[0].port", api.ErrInvalid, "must be between 1 and 65535"},
		{5, "kind", ErrUnknownKind, "Potato"},
	}
	if len(errs) != len(wants) {
		t.Errorf("got %d problems, want %d:\n%v", len(errs), len(wants), err)
	}
	for i, w := range wants {
		if i >= len(errs) {
			break
		}
		e := errs[i]
		if e.Document != w.doc || e.Path != w.path || !errors.Is(e, w.cat) || !strings.Contains(e.Reason, w.reason) || e.Line == 0 {
			t.Errorf("problem %d = %q (doc %d, path %q, line %d), want doc %d path %q category %v reason containing %q",
				i, e.Error(), e.Document, e.Path, e.Line, w.doc, w.path, w.cat, w.reason)
		}
	}
	// The exact rendering of the first problem, as the package documents.
	if len(errs) > 0 {
		if got := errs[0].Error(); got != "manifest: document 1 (line 8): spec.replica: unknown field" {
			t.Errorf("first error renders as %q", got)
		}
	}
	if !errors.Is(err, ErrUnknownKind) || !errors.Is(err, api.ErrInvalid) {
		t.Errorf("errors.Is does not see the categories through Errors")
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		doc  int
		line int
		path string
		cat  error
	}{
		{"duplicate key", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n", 1, 5, "metadata.name", ErrDuplicateField},
		{"wrong type string", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 5\n", 1, 4, "metadata.name", ErrType},
		{"wrong type list", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: {name: c}\n", 1, 5, "spec.containers", ErrType},
		{"int out of range", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: 99999999999\n", 1, 5, "spec.replicas", ErrType},
		{"bool for int", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: true\n", 1, 5, "spec.replicas", ErrType},
		{"wrong apiVersion", "apiVersion: v1\nkind: Deployment\nmetadata: {name: a}\n", 1, 1, "apiVersion", ErrUnknownKind},
		{"missing kind", "apiVersion: v1\nmetadata: {name: a}\n", 1, 1, "kind", ErrUnknownKind},
		{"not a mapping", "- a\n- b\n", 1, 1, "", ErrType},
		{"syntax", "apiVersion: v1\nkind: [\n", 1, 2, "", ErrSyntax},
		{"second document", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b, colour: red}\n", 2, 7, "metadata.colour", ErrUnknownField},
		{"unknown label map type", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: [a]\n", 1, 5, "metadata.labels", ErrType},
		{"label value number", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    v: 1.0\n", 1, 6, "metadata.labels[v]", ErrType},
		{"validation line", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    app.kubernetes.io/name: bad value\n", 1, 6, "metadata.labels[app.kubernetes.io/name]", api.ErrInvalid},
		{"json unknown field", "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\",\n \"metadata\": {\"name\": \"a\"},\n \"bogus\": 1}\n", 1, 3, "bogus", ErrUnknownField},
		{"json second object", "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}\n\n{\"apiVersion\": \"v1\",\n \"kind\": \"Namespace\", \"metadata\": {\"nam\": \"b\"}}\n", 2, 4, "metadata.nam", ErrUnknownField},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := DecodeBytes([]byte(tc.in))
			if objs != nil {
				t.Errorf("got objects %v with an error", objs)
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v, want Errors", err)
			}
			e := errs[0]
			if e.Document != tc.doc || e.Line != tc.line || e.Path != tc.path || !errors.Is(e, tc.cat) {
				t.Errorf("got %q (doc %d line %d path %q), want doc %d line %d path %q category %v", e, e.Document, e.Line, e.Path, tc.doc, tc.line, tc.path, tc.cat)
			}
		})
	}
}

func TestYAMLFeatures(t *testing.T) {
	in := `%YAML 1.2
# leading comment
---
---
# an empty document, skipped
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: &labels
    app: web
    tier: front
spec:
  containers:
    - &c
      name: a
      image: img:v1
      env: &env
        - {name: A, value: "1"}
    - <<: *c
      name: b
      env: *env
---
apiVersion: v1
kind: Service
metadata: {name: s, labels: *labels}
spec:
  selector: *labels
  ports: [{port: 80}]
...
`
	objs, err := DecodeBytes([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Fatalf("got %d objects, want 2", len(objs))
	}
	p := as[*api.Pod](t, objs[0])
	if len(p.Spec.Containers) != 2 || p.Spec.Containers[1].Name != "b" || p.Spec.Containers[1].Image != "img:v1" || p.Spec.Containers[1].Env[0].Value != "1" {
		t.Errorf("merge key not applied: %+v", p.Spec.Containers)
	}
	s := as[*api.Service](t, objs[1])
	if diff := cmp.Diff(map[string]string{"app": "web", "tier": "front"}, s.Spec.Selector); diff != "" {
		t.Errorf("alias (-want +got):\n%s", diff)
	}
}

func TestJSONEscapes(t *testing.T) {
	in := `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "annotations": {"example.com/url": "http:\/\/x\/y \\/ \u00e9"}}}`
	objs, err := DecodeBytes([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := objs[0].Meta().Annotations["example.com/url"]; got != `http://x/y \/ é` {
		t.Errorf("annotation = %q", got)
	}
}

func TestOptions(t *testing.T) {
	in := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: -1\n")
	if _, err := DecodeBytes(in); !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("default options: error %v, want api.ErrInvalid", err)
	}
	objs, err := DecodeOptions{SkipValidation: true, SkipDefaults: true}.DecodeBytes(in)
	if err != nil {
		t.Fatal(err)
	}
	d := as[*api.Deployment](t, objs[0])
	if *d.Spec.Replicas != -1 || d.Namespace != "" || d.Spec.RevisionHistoryLimit != nil {
		t.Errorf("object changed although defaulting and validation were skipped: %+v", d)
	}
	if _, err := (DecodeOptions{MaxBytes: 10}).DecodeBytes(in); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxBytes: error %v, want ErrTooLarge", err)
	}
	if _, err := (DecodeOptions{MaxBytes: 10}).Decode(strings.NewReader(string(in))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxBytes via reader: error %v, want ErrTooLarge", err)
	}
}

// TestHostile checks that hostile input is refused without panics and
// within bounds (the bound is in nodes visited, not time).
func TestHostile(t *testing.T) {
	// Alias expansion that stays well-typed: N terms of N expressions of
	// N values is N^3 nodes from an input of about 3N aliases.
	const n = 300
	rep := func(alias string) string { return strings.TrimSuffix(strings.Repeat(alias+", ", n), ", ") }
	laughs := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n" +
		"x-values: &v [" + strings.TrimSuffix(strings.Repeat("a, ", n), ", ") + "]\n" +
		"x-expr: &e {key: k, operator: In, values: *v}\n" +
		"x-term: &t {matchExpressions: [" + rep("*e") + "]}\n" +
		"spec:\n  containers: [{name: c, image: i}]\n" +
		"  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [" + rep("*t") + "]}}}\n"
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	cyclic := "apiVersion: v1\nkind: Namespace\nmetadata: &m {name: a, <<: *m}\n"
	for name, in := range map[string]string{"laughs": laughs, "deep": deep, "cyclic merge": cyclic} {
		t.Run(name, func(t *testing.T) {
			_, err := (DecodeOptions{MaxNodes: 100_000}).DecodeBytes([]byte(in))
			if err == nil {
				t.Fatalf("hostile input accepted")
			}
			if name == "laughs" && !errors.Is(err, ErrTooLarge) {
				t.Errorf("error %.300v, want ErrTooLarge", err)
			}
		})
	}
}

func TestList(t *testing.T) {
	in := `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
  - apiVersion: v1
    kind: Namespace
    metadata: {name: a}
  - apiVersion: v1
    kind: Namespace
    metadata: {name: b}
`
	objs, err := DecodeBytes([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].Meta().Name != "a" || objs[1].Meta().Name != "b" {
		t.Fatalf("got %v", objs)
	}
	bad := in + `  - apiVersion: v1
    kind: Service
    metadata: {name: c}
    spec: {ports: [{port: 0}], bogus: 1}
`
	_, err = DecodeBytes([]byte(bad))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v, want Errors", err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
		if e.Document != 1 || e.Line != 14 {
			t.Errorf("%v: want document 1, line 14", e)
		}
	}
	if diff := cmp.Diff([]string{"items[2].spec.bogus", "items[2].spec.ports[0].port"}, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

// TestCollectsAll checks that one document's problems are all reported,
// a duplicate top-level key included.
func TestCollectsAll(t *testing.T) {
	in := `apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  replicas: many
  paused: maybe
spec: {}
status: {replicas: 1, extra: 2}
`
	_, err := DecodeBytes([]byte(in))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v, want Errors", err)
	}
	var got []string
	for _, e := range errs[:4] {
		got = append(got, e.Path)
	}
	want := []string{"spec", "spec.replicas", "spec.paused", "status.extra"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s\n%v", diff, err)
	}
	if !errors.Is(errs[0], ErrDuplicateField) || errs[0].Line != 7 {
		t.Errorf("first problem %v, want a duplicate key on line 7", errs[0])
	}
}
