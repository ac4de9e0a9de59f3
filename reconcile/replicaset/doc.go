// Package replicaset is the ReplicaSet controller: it keeps
// spec.replicas active pods that match a ReplicaSet's selector.
//
// Guarantees:
//   - Adoption and release: a pod without a controller that matches the
//     selector is adopted (a controller owner reference is added, by
//     compare-and-swap); an owned pod that stops matching is released.
//     Pods controlled by another owner are never touched.
//   - Expectations: after creating or deleting pods, the controller waits
//     until its informer has seen those changes before it counts pods
//     again, so informer lag never causes double creation or double
//     deletion. Expectations expire after ExpectationsTTL (a lost watch
//     event cannot wedge a ReplicaSet). They are checked before the pods
//     are listed: the informer updates its cache before its handlers
//     observe a change, so a sync whose expectations were met lists every
//     pod it made. A ReplicaSet therefore never has more pods than
//     spec.replicas (beyond pods it is deleting), which the Deployment
//     controller's maxSurge bound relies on.
//   - Slow start: creations go in batches of 1, 2, 4, ... and stop at the
//     first failure, so a pod that cannot be created (quota, a bad
//     template) costs one failed write per back-off, not replicas of them.
//   - Scale-down order: unscheduled, then pending, then not ready, then
//     ready pods; among equals, lower controller.kubernetes.io/pod-deletion-cost
//     first, then the newest first.
//   - Status: replicas, fullyLabeledReplicas, readyReplicas,
//     availableReplicas (ready for minReadySeconds, read from the injected
//     clock), observedGeneration and a ReplicaFailure condition while pods
//     cannot be created or deleted, written only when they change.
//   - Objects from informers are never modified; writes go through the
//     store with compare-and-swap.
package replicaset
