package sched

import (
	"fmt"
	"os"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/api/manifest"
	"github.com/fleetkit/orchestrator/store"
)

// podsFromTemplate creates n pods the way a ReplicaSet controller would
// (the controllers are not part of this package).
func podsFromTemplate(t *testing.T, st store.Store, ns, prefix string, tpl api.PodTemplateSpec, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		p := &api.Pod{ObjectMeta: *tpl.ObjectMeta.DeepCopy(), Spec: *tpl.Spec.DeepCopy()}
		p.Name, p.Namespace = fmt.Sprintf("%s-%d", prefix, i), ns
		mustCreate(t, st, p)
	}
}

func decodeFile(t *testing.T, path string) []api.Object {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifest.DecodeBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// The gang-training manifest (a PodGroup of minMember 8 and a ReplicaSet
// of 8 one-GPU workers): with 7 GPUs in the cluster nothing binds; with
// an eighth GPU node the whole gang binds.
func TestManifestGangTraining(t *testing.T) {
	objs := decodeFile(t, "testdata/gang-training.yaml")
	st := newStore(t)
	var rs *api.ReplicaSet
	for _, o := range objs {
		o.Meta().Namespace = "ml"
		switch v := o.(type) {
		case *api.PodGroup:
			mustCreate(t, st, v)
		case *api.ReplicaSet:
			rs = v
		}
	}
	if rs == nil {
		t.Fatal("no ReplicaSet in the manifest")
	}
	for i := 0; i < 7; i++ {
		mustCreate(t, st, makeNode(fmt.Sprintf("gpu-%d", i), 16000, 128*gi, 110, withGPU(1)))
	}
	clock := newFakeClock()
	s := startScheduler(t, Config{Store: st, Clock: clock})
	ctx := testCtx(t)
	podsFromTemplate(t, st, "ml", "train-llm-workers", rs.Spec.Template, int(*rs.Spec.Replicas))
	waitPods(t, ctx, st, "gang unschedulable", func(ps []*api.Pod) bool {
		n := 0
		for _, p := range ps {
			for _, c := range p.Status.Conditions {
				if c.Type == api.PodScheduled && c.Status == api.ConditionFalse {
					n++
				}
			}
		}
		return n == 8
	})
	if b := boundCount(listPods(t, st)); b != 0 || s.cache.GroupPlaced("ml/train-llm") != 0 {
		t.Fatalf("partial gang: %d bound, %d placed", b, s.cache.GroupPlaced("ml/train-llm"))
	}
	mustCreate(t, st, makeNode("gpu-7", 16000, 128*gi, 110, withGPU(1)))
	// The node event retries the gang once its back-off has passed.
	waitUntil(t, ctx, "node seen", func() bool { return s.cache.HasNode("gpu-7") })
	clock.Advance(11_000_000_000)
	pods := waitPods(t, ctx, st, "gang bound", func(ps []*api.Pod) bool { return boundCount(ps) == 8 })
	nodes := map[string]bool{}
	for _, p := range pods {
		nodes[p.Spec.NodeName] = true
	}
	if len(nodes) != 8 {
		t.Errorf("8 one-GPU workers on %d nodes of one GPU each", len(nodes))
	}
}

// The gpu-inference manifest: pods tolerate the nvidia.com/gpu taint and
// select accelerator=nvidia nodes; they go only there, and the tainted
// nodes take no other pod.
func TestManifestGPUInference(t *testing.T) {
	objs := decodeFile(t, "testdata/gpu-inference.yaml")
	var dep *api.Deployment
	for _, o := range objs {
		if d, ok := o.(*api.Deployment); ok {
			dep = d
		}
	}
	if dep == nil {
		t.Fatal("no Deployment in the manifest")
	}
	st := newStore(t)
	for i := 0; i < 3; i++ {
		mustCreate(t, st, makeNode(fmt.Sprintf("cpu-%d", i), 16000, 64*gi, 110))
		mustCreate(t, st, makeNode(fmt.Sprintf("gpu-%d", i), 16000, 64*gi, 110, withGPU(1),
			withLabels("accelerator", "nvidia"), withTaint("nvidia.com/gpu", "present", api.TaintEffectNoSchedule)))
	}
	startScheduler(t, Config{Store: st})
	ctx := testCtx(t)
	podsFromTemplate(t, st, "default", "llm-inference", dep.Spec.Template, 4)
	podsFromTemplate(t, st, "default", "plain", api.PodTemplateSpec{Spec: makePod("", "", 500, gi).Spec}, 6)
	pods := waitPods(t, ctx, st, "placed or explained", func(ps []*api.Pod) bool {
		done := 0
		for _, p := range ps {
			if p.Spec.NodeName != "" {
				done++
				continue
			}
			for _, c := range p.Status.Conditions {
				if c.Type == api.PodScheduled && c.Status == api.ConditionFalse {
					done++
				}
			}
		}
		return done == len(ps)
	})
	gpuBound := 0
	for _, p := range pods {
		isGPU := p.Spec.NodeName != "" && p.Spec.NodeName[:3] == "gpu"
		switch {
		case p.Name[:5] == "plain" && isGPU:
			t.Errorf("%s landed on tainted %s", p.Name, p.Spec.NodeName)
		case p.Name[:5] == "llm-i" && p.Spec.NodeName != "" && !isGPU:
			t.Errorf("%s landed on %s without the accelerator label", p.Name, p.Spec.NodeName)
		case p.Name[:5] == "llm-i" && isGPU:
			gpuBound++
		}
	}
	// Three GPUs: three inference pods run, the fourth is explained.
	if gpuBound != 3 {
		t.Errorf("%d inference pods bound, want 3 (one GPU each on 3 nodes)", gpuBound)
	}
}
