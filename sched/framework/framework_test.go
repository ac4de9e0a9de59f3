package framework

import (
	"fmt"
	"sync"
	"testing"

	"github.com/fleetkit/orchestrator/api"
)

func TestCycleStateTypedKeys(t *testing.T) {
	cs := NewCycleState(NewSnapshot())
	a := NewStateKey[int]("same")
	b := NewStateKey[string]("same")
	Write(cs, a, 7)
	Write(cs, b, "x")
	if v, ok := Read(cs, a); !ok || v != 7 {
		t.Errorf("Read(a) = %v, %v", v, ok)
	}
	if v, ok := Read(cs, b); !ok || v != "x" {
		t.Errorf("Read(b) = %v, %v", v, ok)
	}
	Delete(cs, a)
	if _, ok := Read(cs, a); ok {
		t.Error("deleted key still read")
	}
	// Concurrent readers and writers (run with -race).
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				Write(cs, a, j)
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				Read(cs, b)
			}
		}()
	}
	wg.Wait()
}

func TestStatus(t *testing.T) {
	var nilStatus *Status
	if !nilStatus.IsSuccess() || nilStatus.Err() != nil || nilStatus.Code() != Success {
		t.Error("nil status is not success")
	}
	s := NewStatus(Unschedulable, "Insufficient cpu", "Insufficient memory").WithPlugin("Fit")
	if !s.IsRejected() || s.Message() != "Insufficient cpu, Insufficient memory" || s.Plugin() != "Fit" {
		t.Errorf("status %v", s)
	}
	if AsStatus(nil) != nil || AsStatus(fmt.Errorf("boom")).Code() != Error {
		t.Error("AsStatus")
	}
}

func node(name string, gen int64) *NodeInfo {
	n := NewNodeInfo(&api.Node{ObjectMeta: api.ObjectMeta{Name: name}})
	n.Generation = gen
	return n
}

func TestSnapshotChangedSince(t *testing.T) {
	s := NewSnapshot()
	s.SetIncremental()
	s.Set(node("a", 1))
	s.Set(node("b", 2))
	s.Commit()
	epoch, gen := s.Version()
	if gen != 2 || s.Len() != 2 {
		t.Fatalf("version %d/%d len %d", epoch, gen, s.Len())
	}
	s.Set(node("a", 3))
	s.Commit()
	ch, ok := s.ChangedSince(epoch, gen)
	if !ok || len(ch) != 1 || ch[0].Name() != "a" {
		t.Fatalf("ChangedSince = %v, %v", ch, ok)
	}
	if n, _ := s.Get("a"); n.Generation != 3 {
		t.Error("Get returns an old version")
	}
	// Adding a node changes the epoch: callers rescan.
	s.Set(node("c", 4))
	s.Commit()
	if _, ok := s.ChangedSince(epoch, 3); ok {
		t.Error("ChangedSince across a structural change")
	}
	names := []string{}
	for _, n := range s.List() {
		names = append(names, n.Name())
	}
	if fmt.Sprint(names) != "[a b c]" {
		t.Errorf("List order %v", names)
	}
}

func TestNodeInfoAccounting(t *testing.T) {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{UID: "u1"}}
	p.Spec.Containers = []api.Container{
		{Resources: api.ResourceRequirements{Requests: api.ResourceList{api.ResourceCPU: api.NewMilliQuantity(250, api.DecimalSI), api.ResourceNvidiaGPU: api.NewQuantity(2, api.DecimalSI)}}},
		{Resources: api.ResourceRequirements{Requests: api.ResourceList{api.ResourceMemory: api.NewQuantity(1<<20, api.BinarySI)}}},
	}
	pi, err := NewPodInfo(p)
	if err != nil {
		t.Fatal(err)
	}
	if pi.Requests.MilliCPU != 250 || pi.Requests.Memory != 1<<20 || pi.Requests.Scalar[api.ResourceNvidiaGPU] != 2 || pi.Requests.Pods != 1 {
		t.Fatalf("requests %+v", pi.Requests)
	}
	n := NewNodeInfo(&api.Node{ObjectMeta: api.ObjectMeta{Name: "n"}}, pi)
	c := n.Clone()
	if !n.RemovePod(pi) || n.Requested.MilliCPU != 0 || n.Requested.Scalar[api.ResourceNvidiaGPU] != 0 || len(n.Pods) != 0 {
		t.Fatalf("after remove: %+v", n.Requested)
	}
	if c.Requested.MilliCPU != 250 || c.Requested.Scalar[api.ResourceNvidiaGPU] != 2 || len(c.Pods) != 1 {
		t.Fatalf("clone changed with the original: %+v", c.Requested)
	}
}
