package plugins

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// ScoringStrategy says how NodeResourcesFit ranks nodes.
type ScoringStrategy string

const (
	// LeastAllocated favours the emptiest nodes (spreads pods):
	// score = (allocatable - requested) * 100 / allocatable per resource.
	LeastAllocated ScoringStrategy = "LeastAllocated"
	// MostAllocated favours the fullest nodes (bin-packs pods):
	// score = requested * 100 / allocatable per resource.
	MostAllocated ScoringStrategy = "MostAllocated"
)

// ResourceWeight weights one resource in scoring.
type ResourceWeight struct {
	Name   api.ResourceName
	Weight int64
}

// FitArgs configures NodeResourcesFit.
type FitArgs struct {
	// Strategy defaults to LeastAllocated.
	Strategy ScoringStrategy
	// Resources defaults to cpu and memory with weight 1 each.
	Resources []ResourceWeight
}

// Reasons of NodeResourcesFit.
const ReasonTooManyPods = "Too many pods"

// InsufficientReason is the reason for a resource a node lacks, e.g.
// "Insufficient cpu".
func InsufficientReason(r api.ResourceName) string { return fmt.Sprintf("Insufficient %s", r) }

// NodeResourcesFit rejects nodes whose free allocatable resources (cpu,
// memory, pods, extended resources) cannot hold the pod's requests, and
// scores the rest by a ScoringStrategy over weighted resources. As in
// Kubernetes, scoring counts 100m cpu and 200Mi memory for a pod that
// requests none, and skips an extended resource the pod does not request.
type NodeResourcesFit struct {
	args                     FitArgs
	tooMany, noCPU, noMemory *fw.Status
	scalar                   sync.Map // api.ResourceName -> *fw.Status
}

var (
	_ fw.FilterPlugin = (*NodeResourcesFit)(nil)
	_ fw.ScorePlugin  = (*NodeResourcesFit)(nil)
)

// NewNodeResourcesFit is the plugin's Factory; args is FitArgs, *FitArgs or
// nil.
func NewNodeResourcesFit(args any, _ fw.Handle) (fw.Plugin, error) {
	var a FitArgs
	switch v := args.(type) {
	case nil:
	case FitArgs:
		a = v
	case *FitArgs:
		a = *v
	default:
		return nil, fmt.Errorf("plugins: %s: args of type %T, want FitArgs", NameNodeResourcesFit, args)
	}
	if a.Strategy == "" {
		a.Strategy = LeastAllocated
	}
	if a.Strategy != LeastAllocated && a.Strategy != MostAllocated {
		return nil, fmt.Errorf("plugins: %s: unknown scoring strategy %q", NameNodeResourcesFit, a.Strategy)
	}
	if len(a.Resources) == 0 {
		a.Resources = []ResourceWeight{{api.ResourceCPU, 1}, {api.ResourceMemory, 1}}
	}
	for _, r := range a.Resources {
		if r.Weight <= 0 || r.Weight > 100 {
			return nil, fmt.Errorf("plugins: %s: weight of %s must be in 1..100", NameNodeResourcesFit, r.Name)
		}
	}
	return &NodeResourcesFit{
		args:     a,
		tooMany:  fw.NewStatus(fw.Unschedulable, ReasonTooManyPods),
		noCPU:    fw.NewStatus(fw.Unschedulable, InsufficientReason(api.ResourceCPU)),
		noMemory: fw.NewStatus(fw.Unschedulable, InsufficientReason(api.ResourceMemory)),
	}, nil
}

func (*NodeResourcesFit) Name() string { return NameNodeResourcesFit }

func (*NodeResourcesFit) EventsToRegister() fw.ClusterEvent {
	return fw.NodeAdd | fw.NodeUpdate | fw.AssignedPodDelete | fw.AssignedPodUpdate
}

// InsufficientResources lists the reasons pod does not fit node's free
// resources (none when it fits).
func InsufficientResources(pod *fw.PodInfo, node *fw.NodeInfo) []string {
	var out []string
	if int64(len(node.Pods))+1 > node.Allocatable.Pods {
		out = append(out, ReasonTooManyPods)
	}
	req := &pod.Requests
	if req.MilliCPU > 0 && req.MilliCPU > node.Allocatable.MilliCPU-node.Requested.MilliCPU {
		out = append(out, InsufficientReason(api.ResourceCPU))
	}
	if req.Memory > 0 && req.Memory > node.Allocatable.Memory-node.Requested.Memory {
		out = append(out, InsufficientReason(api.ResourceMemory))
	}
	for name, v := range req.Scalar {
		if v > 0 && v > node.Allocatable.Scalar[name]-node.Requested.Scalar[name] {
			out = append(out, InsufficientReason(name))
		}
	}
	return out
}

func (p *NodeResourcesFit) Filter(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) *fw.Status {
	// Count the reasons without allocating; a single reason returns a
	// shared status, so rejecting thousands of nodes stays cheap.
	req := &pod.Requests
	var single *fw.Status
	n := 0
	if int64(len(node.Pods))+1 > node.Allocatable.Pods {
		single, n = p.tooMany, n+1
	}
	if req.MilliCPU > 0 && req.MilliCPU > node.Allocatable.MilliCPU-node.Requested.MilliCPU {
		single, n = p.noCPU, n+1
	}
	if req.Memory > 0 && req.Memory > node.Allocatable.Memory-node.Requested.Memory {
		single, n = p.noMemory, n+1
	}
	if len(req.Scalar) > 0 {
		for name, v := range req.Scalar {
			if v > 0 && v > node.Allocatable.Scalar[name]-node.Requested.Scalar[name] {
				single, n = p.scalarStatus(name), n+1
			}
		}
	}
	switch n {
	case 0:
		return nil
	case 1:
		return single
	}
	return fw.NewStatus(fw.Unschedulable, InsufficientResources(pod, node)...)
}

func (p *NodeResourcesFit) scalarStatus(name api.ResourceName) *fw.Status {
	if st, ok := p.scalar.Load(name); ok {
		return st.(*fw.Status)
	}
	st, _ := p.scalar.LoadOrStore(name, fw.NewStatus(fw.Unschedulable, InsufficientReason(name)))
	return st.(*fw.Status)
}

// podRequestFor returns the request used for scoring resource r.
func podRequestFor(pod *fw.PodInfo, r api.ResourceName, nonZero bool) int64 {
	switch r {
	case api.ResourceCPU:
		if nonZero {
			return pod.NonZeroMilliCPU
		}
		return pod.Requests.MilliCPU
	case api.ResourceMemory:
		if nonZero {
			return pod.NonZeroMemory
		}
		return pod.Requests.Memory
	}
	return pod.Requests.Get(r)
}

// allocRequest returns (allocatable, requested including the pod) for r,
// or (0, 0) to leave r out of scoring.
func allocRequest(pod *fw.PodInfo, node *fw.NodeInfo, r api.ResourceName, useRequested bool) (int64, int64) {
	podReq := podRequestFor(pod, r, !useRequested)
	requested := &node.NonZeroRequested
	if useRequested {
		requested = &node.Requested
	}
	switch r {
	case api.ResourceCPU:
		return node.Allocatable.MilliCPU, requested.MilliCPU + podReq
	case api.ResourceMemory:
		return node.Allocatable.Memory, requested.Memory + podReq
	case api.ResourcePods:
		return node.Allocatable.Pods, int64(len(node.Pods)) + 1
	}
	if podReq == 0 {
		return 0, 0
	}
	return node.Allocatable.Scalar[r], node.Requested.Scalar[r] + podReq
}

func (p *NodeResourcesFit) Score(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) (int64, *fw.Status) {
	var score, weights int64
	for _, rw := range p.args.Resources {
		alloc, req := allocRequest(pod, node, rw.Name, false)
		if alloc == 0 {
			continue
		}
		var s int64
		switch p.args.Strategy {
		case MostAllocated:
			if req > alloc {
				req = alloc
			}
			s = req * fw.MaxNodeScore / alloc
		default:
			if req <= alloc {
				s = (alloc - req) * fw.MaxNodeScore / alloc
			}
		}
		score += s * rw.Weight
		weights += rw.Weight
	}
	if weights == 0 {
		return 0, nil
	}
	return score / weights, nil
}

// BalancedAllocation favours nodes whose cpu and memory utilisation (with
// the pod, by actual requests) are close: score = (1 - std) * 100 where std
// is the standard deviation of the utilisation fractions.
type BalancedAllocation struct {
	resources []api.ResourceName
	cpuMemory bool // resources are exactly cpu, memory
	skip      *fw.Status
}

var (
	_ fw.PreScorePlugin = (*BalancedAllocation)(nil)
	_ fw.ScorePlugin    = (*BalancedAllocation)(nil)
)

// NewBalancedAllocation is the plugin's Factory; args may be a
// []api.ResourceName (defaults to cpu and memory).
func NewBalancedAllocation(args any, _ fw.Handle) (fw.Plugin, error) {
	p := &BalancedAllocation{resources: []api.ResourceName{api.ResourceCPU, api.ResourceMemory}, skip: fw.NewStatus(fw.Skip)}
	switch v := args.(type) {
	case nil:
	case []api.ResourceName:
		if len(v) > 0 {
			p.resources = v
		}
	default:
		return nil, fmt.Errorf("plugins: %s: args of type %T, want []api.ResourceName", NameBalancedAllocation, args)
	}
	p.cpuMemory = len(p.resources) == 2 && p.resources[0] == api.ResourceCPU && p.resources[1] == api.ResourceMemory
	return p, nil
}

func (*BalancedAllocation) Name() string { return NameBalancedAllocation }

// PreScore skips pods that request none of the resources (best-effort),
// as Kubernetes does.
func (p *BalancedAllocation) PreScore(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo, _ []*fw.NodeInfo) *fw.Status {
	for _, r := range p.resources {
		if podRequestFor(pod, r, false) != 0 {
			return nil
		}
	}
	return p.skip
}

func (p *BalancedAllocation) Score(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) (int64, *fw.Status) {
	if p.cpuMemory {
		// The default resources, without the general loop: the same
		// formula, as this runs for every scored node.
		ac, am := node.Allocatable.MilliCPU, node.Allocatable.Memory
		if ac > 0 && am > 0 {
			fc := min(float64(node.Requested.MilliCPU+pod.Requests.MilliCPU)/float64(ac), 1)
			fm := min(float64(node.Requested.Memory+pod.Requests.Memory)/float64(am), 1)
			return int64((1 - math.Abs((fc-fm)/2)) * float64(fw.MaxNodeScore)), nil
		}
	}
	var fr [8]float64
	fracs := fr[:0]
	var total float64
	for _, r := range p.resources {
		alloc, req := allocRequest(pod, node, r, true)
		if alloc == 0 {
			continue
		}
		f := float64(req) / float64(alloc)
		if f > 1 {
			f = 1
		}
		total += f
		fracs = append(fracs, f)
	}
	var std float64
	switch {
	case len(fracs) == 2:
		std = math.Abs((fracs[0] - fracs[1]) / 2)
	case len(fracs) > 2:
		mean := total / float64(len(fracs))
		for _, f := range fracs {
			std += (f - mean) * (f - mean)
		}
		std = math.Sqrt(std / float64(len(fracs)))
	}
	return int64((1 - std) * float64(fw.MaxNodeScore)), nil
}

// ImageLocality favours nodes that already have the pod's images, weighted
// by image size and by how many nodes have them (Kubernetes' formula:
// sum of size*nodesWithImage/totalNodes, clamped to [23MiB,
// 1000MiB*containers], scaled to 0..100). Names are compared after
// NormalizeImage, which also fills in the implicit docker.io registry
// (Kubernetes only adds ":latest" and so misses "nginx" against a node
// reporting "docker.io/library/nginx:latest", a gap its code notes).
type ImageLocality struct{ skip *fw.Status }

var (
	_ fw.PreScorePlugin = (*ImageLocality)(nil)
	_ fw.ScorePlugin    = (*ImageLocality)(nil)
)

// NewImageLocality is the plugin's Factory.
func NewImageLocality(any, fw.Handle) (fw.Plugin, error) {
	return &ImageLocality{skip: fw.NewStatus(fw.Skip)}, nil
}

func (*ImageLocality) Name() string { return NameImageLocality }

const (
	mib                   = 1024 * 1024
	minImageThreshold     = 23 * mib
	maxContainerThreshold = 1000 * mib
)

// PreScore skips pods none of whose images is on any node.
func (p *ImageLocality) PreScore(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo, _ []*fw.NodeInfo) *fw.Status {
	for i := range pod.Pod.Spec.Containers {
		if cs.Nodes().ImageNodes(fw.NormalizeImage(pod.Pod.Spec.Containers[i].Image)) > 0 {
			return nil
		}
	}
	return p.skip
}

func (p *ImageLocality) Score(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) (int64, *fw.Status) {
	nodes := cs.Nodes()
	total := nodes.Len()
	if total == 0 || len(node.ImageSizes) == 0 {
		return 0, nil
	}
	var sum int64
	for i := range pod.Pod.Spec.Containers {
		name := fw.NormalizeImage(pod.Pod.Spec.Containers[i].Image)
		if size, ok := node.ImageSizes[name]; ok {
			spread := float64(nodes.ImageNodes(name)) / float64(total)
			sum += int64(float64(size) * spread)
		}
	}
	max := int64(maxContainerThreshold * len(pod.Pod.Spec.Containers))
	if sum < minImageThreshold {
		sum = minImageThreshold
	} else if sum > max {
		sum = max
	}
	return fw.MaxNodeScore * (sum - minImageThreshold) / (max - minImageThreshold), nil
}
