// Package nodelifecycle is the node lifecycle controller: it finds dead
// nodes by their leases, taints them, and evicts their pods.
//
// Guarantees (all times on the injected clock):
//   - A node whose Lease (namespace LeaseNamespace, the node's name) was
//     last renewed more than GracePeriod ago gets Ready=Unknown and the
//     node.kubernetes.io/unreachable:NoExecute taint; a node that reports
//     Ready=False (with a fresh lease) gets node.kubernetes.io/not-ready.
//   - A pod on a tainted node that does not tolerate the taint is evicted
//     (deleted, with a UID precondition) DefaultTolerationSeconds after the
//     taint was added; a toleration with tolerationSeconds is honoured, one
//     without tolerates forever. Evictions are rate limited
//     (EvictionsPerSecond, a token bucket on the clock), so a partition
//     that makes many nodes look dead does not empty the cluster at once.
//   - A node that comes back (fresh lease, Ready=True) loses both taints.
//   - Evicted pods of ReplicaSets are replaced by the ReplicaSet
//     controller, on healthy nodes.
package nodelifecycle
