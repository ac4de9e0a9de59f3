package plugins

import fw "github.com/fleetkit/orchestrator/sched/framework"

// NewRegistry returns a new Registry of the default plugins. The caller
// owns it and may add its own factories (Registry.Merge).
func NewRegistry() fw.Registry {
	return fw.Registry{
		NameNodeUnschedulable:  NewNodeUnschedulable,
		NameNodeName:           NewNodeName,
		NameNodeAffinity:       NewNodeAffinity,
		NameTaintToleration:    NewTaintToleration,
		NameNodeResourcesFit:   NewNodeResourcesFit,
		NameBalancedAllocation: NewBalancedAllocation,
		NamePodTopologySpread:  NewPodTopologySpread,
		NameInterPodAffinity:   NewInterPodAffinity,
		NameImageLocality:      NewImageLocality,
	}
}

// DefaultWeights are the score weights of the default profile, as
// kube-scheduler's defaults.
func DefaultWeights() map[string]int64 {
	return map[string]int64{
		NameNodeAffinity:       2,
		NameTaintToleration:    3,
		NameNodeResourcesFit:   1,
		NameBalancedAllocation: 1,
		NamePodTopologySpread:  2,
		NameInterPodAffinity:   2,
		NameImageLocality:      1,
	}
}

// DefaultOrder is the order of the default plugins in the default profile.
func DefaultOrder() []string {
	return []string{
		NameNodeUnschedulable, NameNodeName, NameTaintToleration, NameNodeAffinity,
		NameNodeResourcesFit, NamePodTopologySpread, NameInterPodAffinity,
		NameBalancedAllocation, NameImageLocality,
	}
}
