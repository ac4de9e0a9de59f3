package plugins

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

const gi = int64(1) << 30

func node(name string, milliCPU, mem, pods int64, mut ...func(*api.Node)) *api.Node {
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{api.LabelHostname: name}}}
	n.Status.Allocatable = api.ResourceList{
		api.ResourceCPU:    api.NewMilliQuantity(milliCPU, api.DecimalSI),
		api.ResourceMemory: api.NewQuantity(mem, api.BinarySI),
		api.ResourcePods:   api.NewQuantity(pods, api.DecimalSI),
	}
	for _, m := range mut {
		m(n)
	}
	return n
}

func labels(kv ...string) func(*api.Node) {
	return func(n *api.Node) {
		for i := 0; i+1 < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}

var podSeq int

func pod(ns string, milliCPU, mem int64, mut ...func(*api.Pod)) *api.Pod {
	podSeq++
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("p%d", podSeq), UID: api.UID(fmt.Sprintf("u%d", podSeq))}}
	req := api.ResourceList{}
	if milliCPU > 0 {
		req[api.ResourceCPU] = api.NewMilliQuantity(milliCPU, api.DecimalSI)
	}
	if mem > 0 {
		req[api.ResourceMemory] = api.NewQuantity(mem, api.BinarySI)
	}
	p.Spec.Containers = []api.Container{{Name: "c", Image: "app:v1", Resources: api.ResourceRequirements{Requests: req}}}
	for _, m := range mut {
		m(p)
	}
	return p
}

func podLabels(kv ...string) func(*api.Pod) {
	return func(p *api.Pod) {
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}

func info(t *testing.T, p *api.Pod) *fw.PodInfo {
	t.Helper()
	pi, err := fw.NewPodInfo(p)
	if err != nil {
		t.Fatal(err)
	}
	return pi
}

func nodeInfo(t *testing.T, n *api.Node, pods ...*api.Pod) *fw.NodeInfo {
	t.Helper()
	ni := fw.NewNodeInfo(n)
	for _, p := range pods {
		ni.AddPod(info(t, p))
	}
	return ni
}

// runFilter runs PreFilter (if any) then Filter on every node and returns
// the reasons per node ("" when it fits).
func runFilter(t *testing.T, pl fw.Plugin, p *api.Pod, nodes ...*fw.NodeInfo) map[string]string {
	t.Helper()
	cs := fw.NewCycleState(fw.NewSnapshot(nodes...))
	pi := info(t, p)
	out := map[string]string{}
	if pf, ok := pl.(fw.PreFilterPlugin); ok {
		st := pf.PreFilter(context.Background(), cs, pi)
		if st.IsSkip() {
			for _, n := range nodes {
				out[n.Name()] = ""
			}
			return out
		}
		if !st.IsSuccess() {
			for _, n := range nodes {
				out[n.Name()] = "prefilter: " + st.Message()
			}
			return out
		}
	}
	for _, n := range nodes {
		out[n.Name()] = pl.(fw.FilterPlugin).Filter(context.Background(), cs, pi, n).Message()
	}
	return out
}

// runScore runs PreScore, Score and NormalizeScore over nodes.
func runScore(t *testing.T, pl fw.Plugin, p *api.Pod, nodes ...*fw.NodeInfo) map[string]int64 {
	t.Helper()
	cs := fw.NewCycleState(fw.NewSnapshot(nodes...))
	pi := info(t, p)
	out := map[string]int64{}
	if ps, ok := pl.(fw.PreScorePlugin); ok {
		if st := ps.PreScore(context.Background(), cs, pi, nodes); st.IsSkip() {
			for _, n := range nodes {
				out[n.Name()] = 0
			}
			return out
		} else if !st.IsSuccess() {
			t.Fatalf("prescore: %v", st)
		}
	}
	scores := make([]fw.NodeScore, len(nodes))
	for i, n := range nodes {
		s, st := pl.(fw.ScorePlugin).Score(context.Background(), cs, pi, n)
		if !st.IsSuccess() {
			t.Fatalf("score: %v", st)
		}
		scores[i] = fw.NodeScore{Name: n.Name(), Score: s}
	}
	if nz, ok := pl.(fw.ScoreNormalizer); ok {
		if st := nz.NormalizeScore(context.Background(), cs, pi, scores); !st.IsSuccess() {
			t.Fatalf("normalize: %v", st)
		}
	}
	for _, s := range scores {
		out[s.Name] = s.Score
	}
	return out
}

func mustPlugin(t *testing.T, f fw.Factory, args any) fw.Plugin {
	t.Helper()
	p, err := f(args, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNodeUnschedulable(t *testing.T) {
	cordoned := node("a", 1000, gi, 10, func(n *api.Node) { n.Spec.Unschedulable = true })
	tests := []struct {
		name string
		pod  *api.Pod
		want string
	}{
		{"rejected", pod("d", 0, 0), ReasonNodeUnschedulable},
		{"tolerates unschedulable taint", pod("d", 0, 0, func(p *api.Pod) {
			p.Spec.Tolerations = []api.Toleration{{Key: api.TaintNodeUnschedulable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule}}
		}), ""},
	}
	pl := mustPlugin(t, NewNodeUnschedulable, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runFilter(t, pl, tc.pod, nodeInfo(t, cordoned))["a"]
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNodeName(t *testing.T) {
	pl := mustPlugin(t, NewNodeName, nil)
	got := runFilter(t, pl, pod("d", 0, 0, func(p *api.Pod) { p.Spec.NodeName = "b" }), nodeInfo(t, node("a", 1, 1, 1)), nodeInfo(t, node("b", 1, 1, 1)))
	if diff := cmp.Diff(map[string]string{"a": ReasonNodeName, "b": ""}, got); diff != "" {
		t.Error(diff)
	}
}

func TestNodeAffinityFilter(t *testing.T) {
	nodes := []*fw.NodeInfo{
		nodeInfo(t, node("a", 1, 1, 1, labels("zone", "z1", "gen", "5", "disk", "ssd"))),
		nodeInfo(t, node("b", 1, 1, 1, labels("zone", "z2", "gen", "3"))),
		nodeInfo(t, node("c", 1, 1, 1, labels("zone", "z3", "gen", "x"))),
	}
	req := func(terms ...api.NodeSelectorTerm) func(*api.Pod) {
		return func(p *api.Pod) {
			p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: terms}}}
		}
	}
	expr := func(key string, op api.NodeSelectorOperator, vals ...string) api.NodeSelectorTerm {
		return api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: key, Operator: op, Values: vals}}}
	}
	R := ReasonNodeAffinity
	tests := []struct {
		name string
		pod  *api.Pod
		want map[string]string
	}{
		{"nodeSelector", pod("d", 0, 0, func(p *api.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "z2"} }), map[string]string{"a": R, "b": "", "c": R}},
		{"In", pod("d", 0, 0, req(expr("zone", api.NodeSelectorOpIn, "z1", "z3"))), map[string]string{"a": "", "b": R, "c": ""}},
		{"NotIn (missing label matches)", pod("d", 0, 0, req(expr("disk", api.NodeSelectorOpNotIn, "ssd"))), map[string]string{"a": R, "b": "", "c": ""}},
		{"Exists", pod("d", 0, 0, req(expr("disk", api.NodeSelectorOpExists))), map[string]string{"a": "", "b": R, "c": R}},
		{"DoesNotExist", pod("d", 0, 0, req(expr("disk", api.NodeSelectorOpDoesNotExist))), map[string]string{"a": R, "b": "", "c": ""}},
		{"Gt (non-integer label never matches)", pod("d", 0, 0, req(expr("gen", api.NodeSelectorOpGt, "4"))), map[string]string{"a": "", "b": R, "c": R}},
		{"Lt", pod("d", 0, 0, req(expr("gen", api.NodeSelectorOpLt, "4"))), map[string]string{"a": R, "b": "", "c": R}},
		{"Gt with bad value matches nothing", pod("d", 0, 0, req(expr("gen", api.NodeSelectorOpGt, "four"))), map[string]string{"a": R, "b": R, "c": R}},
		{"terms are ORed", pod("d", 0, 0, req(expr("zone", api.NodeSelectorOpIn, "z1"), expr("zone", api.NodeSelectorOpIn, "z2"))), map[string]string{"a": "", "b": "", "c": R}},
		{"expressions are ANDed", pod("d", 0, 0, req(api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{
			{Key: "zone", Operator: api.NodeSelectorOpIn, Values: []string{"z1", "z2"}},
			{Key: "gen", Operator: api.NodeSelectorOpGt, Values: []string{"4"}},
		}})), map[string]string{"a": "", "b": R, "c": R}},
		{"empty term matches nothing", pod("d", 0, 0, req(api.NodeSelectorTerm{})), map[string]string{"a": R, "b": R, "c": R}},
		{"matchFields metadata.name", pod("d", 0, 0, req(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{{Key: "metadata.name", Operator: api.NodeSelectorOpIn, Values: []string{"c"}}}})), map[string]string{"a": R, "b": R, "c": ""}},
		{"selector and affinity both apply", pod("d", 0, 0, req(expr("zone", api.NodeSelectorOpIn, "z1", "z2")), func(p *api.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }), map[string]string{"a": "", "b": R, "c": R}},
		{"no constraint", pod("d", 0, 0), map[string]string{"a": "", "b": "", "c": ""}},
	}
	pl := mustPlugin(t, NewNodeAffinity, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runFilter(t, pl, tc.pod, nodes...)); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestNodeAffinityScore(t *testing.T) {
	nodes := []*fw.NodeInfo{
		nodeInfo(t, node("a", 1, 1, 1, labels("zone", "z1", "disk", "ssd"))),
		nodeInfo(t, node("b", 1, 1, 1, labels("zone", "z1"))),
		nodeInfo(t, node("c", 1, 1, 1, labels("zone", "z2"))),
	}
	p := pod("d", 0, 0, func(p *api.Pod) {
		p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []api.PreferredSchedulingTerm{
			{Weight: 20, Preference: api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: "zone", Operator: api.NodeSelectorOpIn, Values: []string{"z1"}}}}},
			{Weight: 60, Preference: api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: "disk", Operator: api.NodeSelectorOpExists}}}},
		}}}
	})
	// Raw: a=80, b=20, c=0; normalised to the max: 100, 25, 0.
	want := map[string]int64{"a": 100, "b": 25, "c": 0}
	if diff := cmp.Diff(want, runScore(t, mustPlugin(t, NewNodeAffinity, nil), p, nodes...)); diff != "" {
		t.Error(diff)
	}
}

func TestTaintToleration(t *testing.T) {
	taint := func(k, v string, e api.TaintEffect) func(*api.Node) {
		return func(n *api.Node) { n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: k, Value: v, Effect: e}) }
	}
	nodes := []*fw.NodeInfo{
		nodeInfo(t, node("plain", 1, 1, 1)),
		nodeInfo(t, node("gpu", 1, 1, 1, taint("gpu", "true", api.TaintEffectNoSchedule))),
		nodeInfo(t, node("evict", 1, 1, 1, taint("maint", "", api.TaintEffectNoExecute))),
		nodeInfo(t, node("soft", 1, 1, 1, taint("spot", "yes", api.TaintEffectPreferNoSchedule))),
	}
	tol := func(ts ...api.Toleration) func(*api.Pod) { return func(p *api.Pod) { p.Spec.Tolerations = ts } }
	tests := []struct {
		name string
		pod  *api.Pod
		want map[string]string
	}{
		{"no tolerations", pod("d", 0, 0), map[string]string{"plain": "", "gpu": "node(s) had untolerated taint {gpu: true}", "evict": "node(s) had untolerated taint {maint: }", "soft": ""}},
		{"Equal with value", pod("d", 0, 0, tol(api.Toleration{Key: "gpu", Value: "true", Effect: api.TaintEffectNoSchedule})), map[string]string{"plain": "", "gpu": "", "evict": "node(s) had untolerated taint {maint: }", "soft": ""}},
		{"Equal wrong value", pod("d", 0, 0, tol(api.Toleration{Key: "gpu", Value: "false"})), map[string]string{"plain": "", "gpu": "node(s) had untolerated taint {gpu: true}", "evict": "node(s) had untolerated taint {maint: }", "soft": ""}},
		{"Exists with empty key tolerates all", pod("d", 0, 0, tol(api.Toleration{Operator: api.TolerationOpExists})), map[string]string{"plain": "", "gpu": "", "evict": "", "soft": ""}},
		{"effect must match", pod("d", 0, 0, tol(api.Toleration{Key: "gpu", Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute})), map[string]string{"plain": "", "gpu": "node(s) had untolerated taint {gpu: true}", "evict": "node(s) had untolerated taint {maint: }", "soft": ""}},
	}
	pl := mustPlugin(t, NewTaintToleration, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runFilter(t, pl, tc.pod, nodes...)); diff != "" {
				t.Error(diff)
			}
		})
	}
	// Scoring: only PreferNoSchedule taints count, reverse-normalised.
	got := runScore(t, pl, pod("d", 0, 0), nodes[0], nodes[3])
	if diff := cmp.Diff(map[string]int64{"plain": 100, "soft": 0}, got); diff != "" {
		t.Error(diff)
	}
	got = runScore(t, pl, pod("d", 0, 0, tol(api.Toleration{Key: "spot", Operator: api.TolerationOpExists, Effect: api.TaintEffectPreferNoSchedule})), nodes[0], nodes[3])
	if diff := cmp.Diff(map[string]int64{"plain": 100, "soft": 100}, got); diff != "" {
		t.Error(diff)
	}
}

func TestNodeResourcesFitFilter(t *testing.T) {
	withGPU := func(n int64) func(*api.Node) {
		return func(nd *api.Node) { nd.Status.Allocatable[api.ResourceNvidiaGPU] = api.NewQuantity(n, api.DecimalSI) }
	}
	full := nodeInfo(t, node("full", 4000, 8*gi, 2), pod("d", 2000, gi), pod("d", 2000, gi))
	busy := nodeInfo(t, node("busy", 4000, 8*gi, 110), pod("d", 3500, 7*gi))
	gpu := nodeInfo(t, node("gpu", 32000, 64*gi, 110, withGPU(8)), pod("d", 0, 0, func(p *api.Pod) {
		p.Spec.Containers[0].Resources.Requests[api.ResourceNvidiaGPU] = api.NewQuantity(6, api.DecimalSI)
	}))
	gpuPod := func(n int64) *api.Pod {
		return pod("d", 100, gi, func(p *api.Pod) {
			p.Spec.Containers[0].Resources.Requests[api.ResourceNvidiaGPU] = api.NewQuantity(n, api.DecimalSI)
		})
	}
	tests := []struct {
		name string
		pod  *api.Pod
		want map[string]string
	}{
		{"fits where free", pod("d", 500, gi/2), map[string]string{"full": "Too many pods, Insufficient cpu", "busy": "", "gpu": ""}},
		{"insufficient cpu", pod("d", 1000, gi/2), map[string]string{"full": "Too many pods, Insufficient cpu", "busy": "Insufficient cpu", "gpu": ""}},
		{"insufficient cpu and memory", pod("d", 1000, 2*gi), map[string]string{"full": "Too many pods, Insufficient cpu", "busy": "Insufficient cpu, Insufficient memory", "gpu": ""}},
		{"zero request still counts pods", pod("d", 0, 0), map[string]string{"full": "Too many pods", "busy": "", "gpu": ""}},
		{"extended resource", gpuPod(2), map[string]string{"full": "Too many pods, Insufficient cpu, Insufficient nvidia.com/gpu", "busy": "Insufficient nvidia.com/gpu", "gpu": ""}},
		{"extended resource short", gpuPod(3), map[string]string{"full": "Too many pods, Insufficient cpu, Insufficient nvidia.com/gpu", "busy": "Insufficient nvidia.com/gpu", "gpu": "Insufficient nvidia.com/gpu"}},
	}
	pl := mustPlugin(t, NewNodeResourcesFit, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runFilter(t, pl, tc.pod, full, busy, gpu)); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestNodeResourcesFitScore(t *testing.T) {
	// Kubernetes' documented example: node 4000m/10000 bytes... scaled:
	// node1 cpu 4000m mem 10Gi, node2 cpu 6000m mem 10Gi; existing
	// requests node1 (0,0); pod (3000m, 5Gi).
	n1 := nodeInfo(t, node("n1", 4000, 10*gi, 110))
	n2 := nodeInfo(t, node("n2", 6000, 10*gi, 110))
	p := pod("d", 3000, 5*gi)
	// LeastAllocated: n1 cpu (4000-3000)*100/4000=25, mem 50 -> 37;
	// n2 cpu (6000-3000)*100/6000=50, mem 50 -> 50.
	least := mustPlugin(t, NewNodeResourcesFit, nil)
	if diff := cmp.Diff(map[string]int64{"n1": 37, "n2": 50}, runScore(t, least, p, n1, n2)); diff != "" {
		t.Errorf("LeastAllocated: %s", diff)
	}
	// MostAllocated: n1 cpu 75, mem 50 -> 62; n2 cpu 50, mem 50 -> 50.
	most := mustPlugin(t, NewNodeResourcesFit, FitArgs{Strategy: MostAllocated})
	if diff := cmp.Diff(map[string]int64{"n1": 62, "n2": 50}, runScore(t, most, p, n1, n2)); diff != "" {
		t.Errorf("MostAllocated: %s", diff)
	}
	// Weights: cpu 3, memory 1 -> LeastAllocated n1 = (25*3+50)/4 = 31.
	w := mustPlugin(t, NewNodeResourcesFit, FitArgs{Resources: []ResourceWeight{{api.ResourceCPU, 3}, {api.ResourceMemory, 1}}})
	if got := runScore(t, w, p, n1)["n1"]; got != 31 {
		t.Errorf("weighted LeastAllocated n1 = %d, want 31", got)
	}
	// A pod with no requests is scored as 100m / 200Mi.
	empty := pod("d", 0, 0)
	wantCPU := (4000 - int64(100)) * 100 / 4000
	wantMem := (10*gi - 200<<20) * 100 / (10 * gi)
	if got := runScore(t, least, empty, n1)["n1"]; got != (wantCPU+wantMem)/2 {
		t.Errorf("best-effort pod scored %d, want %d", got, (wantCPU+wantMem)/2)
	}
	if _, err := NewNodeResourcesFit(FitArgs{Strategy: "Random"}, nil); err == nil {
		t.Error("unknown strategy accepted")
	}
}

func TestBalancedAllocation(t *testing.T) {
	// Kubernetes' example: node 10000m / 20000 (scaled to Mi), existing
	// 3000m/5000, pod 3000m/5000 -> cpu 0.6, mem 0.5 -> std 0.05 -> 95.
	n := nodeInfo(t, node("n", 10000, 20000<<20, 110), pod("d", 3000, 5000<<20))
	got := runScore(t, mustPlugin(t, NewBalancedAllocation, nil), pod("d", 3000, 5000<<20), n)
	if got["n"] != 95 {
		t.Errorf("got %d, want 95", got["n"])
	}
	// Equal fractions: 100.
	n2 := nodeInfo(t, node("m", 4000, 4*gi, 110))
	if got := runScore(t, mustPlugin(t, NewBalancedAllocation, nil), pod("d", 2000, 2*gi), n2)["m"]; got != 100 {
		t.Errorf("balanced node scored %d, want 100", got)
	}
}

func TestImageLocality(t *testing.T) {
	withImage := func(name string, size int64) func(*api.Node) {
		return func(n *api.Node) {
			n.Status.Images = append(n.Status.Images, api.ContainerImage{Names: []string{name}, SizeBytes: size})
		}
	}
	a := nodeInfo(t, node("a", 1, 1, 1, withImage("docker.io/library/app:v1", 500*mib)))
	b := nodeInfo(t, node("b", 1, 1, 1))
	got := runScore(t, mustPlugin(t, NewImageLocality, nil), pod("d", 0, 0), a, b)
	// One node of two has it: 500Mi * 1/2 = 250Mi; (250-23)*100/(1000-23) = 23.
	if diff := cmp.Diff(map[string]int64{"a": 23, "b": 0}, got); diff != "" {
		t.Error(diff)
	}
}

func TestNormalizeImage(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                      "docker.io/library/nginx:latest",
		"nginx:1.25":                 "docker.io/library/nginx:1.25",
		"myregistry/trainer:v3":      "docker.io/myregistry/trainer:v3",
		"registry.local:5000/a/b":    "registry.local:5000/a/b:latest",
		"localhost/img":              "localhost/img:latest",
		"quay.io/x/y@sha256:abcdef0": "quay.io/x/y@sha256:abcdef0",
	} {
		if got := fw.NormalizeImage(in); got != want {
			t.Errorf("NormalizeImage(%q) = %q, want %q", in, got, want)
		}
	}
}

// The cpu+memory fast path of BalancedAllocation agrees with the general
// formula on random nodes.
func TestBalancedAllocationFastPathMatchesGeneral(t *testing.T) {
	fast := mustPlugin(t, NewBalancedAllocation, nil).(*BalancedAllocation)
	general := mustPlugin(t, NewBalancedAllocation, []api.ResourceName{api.ResourceCPU, api.ResourceMemory}).(*BalancedAllocation)
	general.cpuMemory = false
	for i := int64(1); i < 400; i++ {
		n := nodeInfo(t, node("n", 1000+i*37, (i%13+1)*gi, 110), pod("d", (i*53)%3000, (i*7919)%(8*gi)))
		p := pod("d", (i*31)%2000, (i*104729)%(4*gi)+1)
		a, _ := fast.Score(context.Background(), nil, info(t, p), n)
		b, _ := general.Score(context.Background(), nil, info(t, p), n)
		if a != b {
			t.Fatalf("case %d: fast %d, general %d", i, a, b)
		}
	}
}
