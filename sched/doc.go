// Package sched is the scheduler: it assigns pending pods to nodes through
// a pipeline of plugins (see sched/framework for the extension points and
// sched/plugins for the defaults), and binds them through the store.
//
// A host builds a Scheduler with New(Config) and runs it with Run(ctx). The
// scheduler follows nodes, pods and PodGroups with informers, keeps a cache
// of nodes with their bound and assumed pods, and schedules one pod at a
// time from a priority queue: PreFilter, Filter (in parallel over nodes,
// stopping once enough feasible nodes are found), Score, Reserve, Permit,
// then, in a bounded pool of binding goroutines, PreBind, Bind and
// PostBind. DryRun answers "would this pod fit now, where, and if not why"
// without changing anything.
//
// Guarantees:
//   - A pod is never bound twice: bindings are compare-and-swap Updates of
//     the pod on the resourceVersion the decision was made on; a conflict
//     is re-read and, if another scheduler bound it, abandoned.
//   - A pod is not bound to a node the cache knows to be deleted (checked
//     just before the write; the residual window is one store round trip).
//   - Decisions account for every bound and assumed pod: no node is given
//     more than its allocatable resources by this scheduler.
//   - Gangs (pods labelled scheduling.x-k8s.io/pod-group naming a PodGroup)
//     are all-or-nothing: no member is bound until minMember members are
//     placed at once; members are tried as one unit, so two gangs that
//     cannot both fit never deadlock: one is placed whole, the other waits
//     whole.
//   - Unschedulable pods are retried only when a cluster event could make
//     them fit (node added or changed, pod deleted, PodGroup changed), with
//     per-pod exponential back-off (1s doubling to 10s by default).
//   - An unschedulable pod gets PodScheduled=False and a FailedScheduling
//     event with counts per reason; events are aggregated per pod and rate
//     limited overall.
//   - Preemption evicts the fewest, lowest-priority pods of one node, and
//     the node is reserved for the preemptor against lower-priority pods.
//
// Everything the scheduler starts is owned by Run and has ended when Run
// returns.
package sched
