// Package quota enforces ResourceQuotas: an admission hook that refuses a
// pod whose creation would exceed a quota of its namespace, and a
// controller that keeps each quota's status (hard and used) current.
//
// Plug the admitter into the store write path:
//
//	st := store.Admitting(backend, q.Admitter())
//
// Guarantees:
//   - A refused create changes nothing: no pod is written and no usage is
//     charged. The error wraps store.ErrForbidden and ErrExceeded and names
//     the quota, the resource, the amount requested, used and allowed, and
//     by how much it would be exceeded.
//   - An admitted create is charged to every quota of the namespace by a
//     compare-and-swap on the quota's status before the pod is written,
//     so concurrent creates cannot both use the same headroom.
//   - The controller recomputes usage from the pods in the store (when
//     pods go, or a quota changes), releasing what deleted pods held. A
//     charge made at admission in the last SettleTime is kept on top of
//     the recount until its pod is listed, because the pod may not be
//     written yet. To match charges to pods, the admitter names pods
//     created with generateName itself (as the Kubernetes API server
//     does); a rare name collision fails that create with
//     store.ErrAlreadyExists.
//
// Resources: "pods", "requests.cpu", "requests.memory", "limits.cpu",
// "limits.memory", "requests.<extended>" (such as requests.nvidia.com/gpu),
// and "cpu", "memory", "<extended>" meaning their requests. A container's
// requests default to its limits, as in Kubernetes.
//
// Known limit: the settle ledger lives in the process that admits; a
// recount in another process racing an admission (the charge made, the
// pod not yet written) can undercount until the next recount, the same
// window Kubernetes has.
package quota
