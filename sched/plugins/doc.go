// Package plugins holds the scheduler's default plugins: NodeUnschedulable,
// NodeName, NodeAffinity (nodeSelector, required and preferred node
// affinity), TaintToleration, NodeResourcesFit (LeastAllocated or
// MostAllocated with resource weights), BalancedAllocation,
// PodTopologySpread, InterPodAffinity and ImageLocality.
//
// Each plugin follows the documented semantics and scoring formulas of the
// Kubernetes plugin of the same name; the doc comment of each type states
// its rule and the deliberate differences (there are few: no cluster-level
// default spread constraints, no namespaceSelector in affinity terms).
// Filter reasons use kube-scheduler's wording ("Insufficient cpu",
// "node(s) had untolerated taint {key: value}").
//
// Plugins are safe for concurrent use: Filter and Score only read the
// CycleState and the NodeInfo; per-pod state is computed in PreFilter and
// PreScore. Filter does not allocate on success and, for the common
// rejection reasons, not on failure either.
//
// NewRegistry returns a fresh Registry of all of them; nothing registers
// itself globally.
package plugins
