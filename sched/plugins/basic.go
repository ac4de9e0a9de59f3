package plugins

import (
	"context"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// Plugin names.
const (
	NameNodeUnschedulable  = "NodeUnschedulable"
	NameNodeName           = "NodeName"
	NameNodeAffinity       = "NodeAffinity"
	NameTaintToleration    = "TaintToleration"
	NameNodeResourcesFit   = "NodeResourcesFit"
	NameBalancedAllocation = "BalancedAllocation"
	NamePodTopologySpread  = "PodTopologySpread"
	NameInterPodAffinity   = "InterPodAffinity"
	NameImageLocality      = "ImageLocality"
)

// Reasons, worded as kube-scheduler words them.
const (
	ReasonNodeUnschedulable = "node(s) were unschedulable"
	ReasonNodeName          = "node(s) didn't match the requested node name"
)

// NodeUnschedulable rejects nodes marked spec.unschedulable unless the pod
// tolerates the node.kubernetes.io/unschedulable:NoSchedule taint.
type NodeUnschedulable struct{ rejected *fw.Status }

var (
	_ fw.FilterPlugin      = (*NodeUnschedulable)(nil)
	_ fw.EnqueueExtensions = (*NodeUnschedulable)(nil)
)

// NewNodeUnschedulable is the plugin's Factory.
func NewNodeUnschedulable(any, fw.Handle) (fw.Plugin, error) {
	return &NodeUnschedulable{rejected: fw.NewStatus(fw.UnschedulableAndUnresolvable, ReasonNodeUnschedulable)}, nil
}

func (*NodeUnschedulable) Name() string { return NameNodeUnschedulable }

func (*NodeUnschedulable) EventsToRegister() fw.ClusterEvent { return fw.NodeAdd | fw.NodeUpdate }

func (p *NodeUnschedulable) Filter(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) *fw.Status {
	if !node.Unschedulable() {
		return nil
	}
	taint := api.Taint{Key: api.TaintNodeUnschedulable, Effect: api.TaintEffectNoSchedule}
	if ToleratesAll(pod.Pod.Spec.Tolerations, &taint) {
		return nil
	}
	return p.rejected
}

// NodeName rejects every node but the one named by spec.nodeName, when set.
type NodeName struct{ rejected, skip *fw.Status }

var _ fw.FilterPlugin = (*NodeName)(nil)
var _ fw.PreFilterPlugin = (*NodeName)(nil)

// NewNodeName is the plugin's Factory.
func NewNodeName(any, fw.Handle) (fw.Plugin, error) {
	return &NodeName{rejected: fw.NewStatus(fw.UnschedulableAndUnresolvable, ReasonNodeName), skip: fw.NewStatus(fw.Skip)}, nil
}

func (*NodeName) Name() string { return NameNodeName }

func (*NodeName) EventsToRegister() fw.ClusterEvent { return fw.NodeAdd }

func (p *NodeName) PreFilter(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo) *fw.Status {
	if pod.Pod.Spec.NodeName == "" {
		return p.skip
	}
	return nil
}

func (p *NodeName) Filter(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) *fw.Status {
	if pod.Pod.Spec.NodeName == "" || pod.Pod.Spec.NodeName == node.Name() {
		return nil
	}
	return p.rejected
}
