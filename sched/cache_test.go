package sched

import (
	"testing"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

func TestCacheAssumeConfirmForget(t *testing.T) {
	c := newCache()
	c.SetNode(makeNode("a", 4000, 8*gi, 10))
	c.SetNode(makeNode("b", 4000, 8*gi, 10))
	snap := newLoopSnapshot()
	c.UpdateSnapshot(snap)
	_, gen0 := snap.Version()

	p := makePod("d", "p", 1000, gi)
	p.UID = "u1"
	info, _ := fw.NewPodInfo(p)
	if err := c.Assume(info, "a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Assume(info, "b"); err == nil {
		t.Fatal("a pod assumed twice")
	}
	c.UpdateSnapshot(snap)
	a, _ := snap.Get("a")
	if a.Requested.MilliCPU != 1000 || len(a.Pods) != 1 {
		t.Fatalf("assumed pod not accounted: %+v", a.Requested)
	}
	epoch, gen1 := snap.Version()
	if gen1 <= gen0 {
		t.Fatal("assume did not change the node's generation")
	}

	// The store shows the binding: confirmed in place, nothing to copy.
	bound := *p
	bound.Spec.NodeName = "a"
	bound.Status.Conditions = []api.PodCondition{{Type: api.PodScheduled, Status: api.ConditionTrue}}
	binfo, _ := fw.NewPodInfo(&bound)
	c.AddPod(binfo)
	c.UpdateSnapshot(snap)
	if ch, ok := snap.ChangedSince(epoch, gen1); !ok || len(ch) != 0 {
		t.Fatalf("confirmation copied nodes: %d", len(ch))
	}
	c.Forget("u1") // a confirmed pod is not forgotten
	if node, ok := c.PodNode("u1"); !ok || node != "a" {
		t.Fatal("Forget dropped a confirmed pod")
	}

	// A label change is visible to plugins: the node is copied again.
	relabeled := bound
	relabeled.Labels = map[string]string{"app": "x"}
	rinfo, _ := fw.NewPodInfo(&relabeled)
	c.AddPod(rinfo)
	c.UpdateSnapshot(snap)
	a, _ = snap.Get("a")
	if a.Pods[0].Pod.Labels["app"] != "x" || a.Requested.MilliCPU != 1000 {
		t.Fatalf("relabel not visible or double counted: %+v", a.Requested)
	}

	// Bound elsewhere by someone else: moved.
	moved := relabeled
	moved.Spec.NodeName = "b"
	minfo, _ := fw.NewPodInfo(&moved)
	c.AddPod(minfo)
	c.UpdateSnapshot(snap)
	a, _ = snap.Get("a")
	b, _ := snap.Get("b")
	if a.Requested.MilliCPU != 0 || b.Requested.MilliCPU != 1000 {
		t.Fatalf("move: a %+v b %+v", a.Requested, b.Requested)
	}

	// A failed binding is forgotten.
	q := makePod("d", "q", 500, gi)
	q.UID = "u2"
	qinfo, _ := fw.NewPodInfo(q)
	c.Assume(qinfo, "a")
	c.Forget("u2")
	c.UpdateSnapshot(snap)
	a, _ = snap.Get("a")
	if a.Requested.MilliCPU != 0 || len(a.Pods) != 0 {
		t.Fatalf("forgotten pod still accounted: %+v", a.Requested)
	}

	// Deleting a node keeps its pods accounted on a placeholder, out of
	// the snapshot.
	c.RemoveNode("b")
	c.UpdateSnapshot(snap)
	if _, ok := snap.Get("b"); ok || snap.Len() != 1 {
		t.Fatal("deleted node still in the snapshot")
	}
	if node, ok := c.PodNode("u1"); !ok || node != "b" {
		t.Fatal("pod of a deleted node lost")
	}
	if c.HasNode("b") {
		t.Fatal("HasNode true for a deleted node")
	}
}
