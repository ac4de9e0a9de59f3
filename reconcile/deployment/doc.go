// Package deployment is the Deployment controller: it rolls pods from one
// template to the next through ReplicaSets.
//
// Guarantees:
//   - Each template gets one ReplicaSet, named and labelled with the
//     pod-template-hash; revisions (deployment.kubernetes.io/revision) only
//     grow; a rollback makes the old ReplicaSet the newest revision.
//   - RollingUpdate never lets the Deployment's pods exceed replicas +
//     maxSurge, nor its available pods fall below replicas -
//     maxUnavailable (percentages: surge rounds up, unavailable down; both
//     0 makes unavailable 1). It counts pods that still exist (not only
//     ReplicaSet specs) and never trusts more available pods than the
//     ReplicaSets' specs and statuses both show, so informer lag errs on
//     the safe side. This relies on the ReplicaSet controller never
//     creating beyond a ReplicaSet's spec.replicas (it checks its
//     expectations before listing pods; see package replicaset). The pod
//     cache may lag pod creations: before scaling the new ReplicaSet up,
//     the pods of each ReplicaSet whose status has not yet observed its
//     generation at a revision the pod cache has reached are counted in
//     the store (one List by its selector), so pods created for a spec
//     since lowered still count. Recreate
//     scales the old pods to zero, waits for them
//     to go, then scales the new ReplicaSet up; "gone" is decided by the
//     pod cache, the old ReplicaSets' statuses and, for those the same
//     rule leaves uncertain, their pods in the store.
//   - minReadySeconds: a pod counts as available only after it has been
//     ready that long on the injected clock.
//   - Rollback: the annotation deployment.fleetkit.dev/rollback-to
//     ("" or "0" for the previous revision) restores that revision's
//     template exactly and is then removed.
//   - Pause stops the rollout (scaling still applies); resume continues it.
//   - Proportional scaling: when replicas change mid-rollout, the active
//     ReplicaSets grow or shrink in proportion to their size.
//   - Orphan ReplicaSets that match the selector are adopted. A new
//     ReplicaSet is created only from a ReplicaSet cache that shows every
//     matching one the store holds, and when several have the template,
//     the oldest is the new one.
//   - revisionHistoryLimit (default 10) empty old ReplicaSets are kept.
//   - Status: observedGeneration, replicas, updatedReplicas,
//     readyReplicas, availableReplicas, unavailableReplicas; conditions
//     Available and Progressing (NewReplicaSetAvailable, ReplicaSetUpdated,
//     ProgressDeadlineExceeded after progressDeadlineSeconds without
//     progress, on the injected clock).
//   - AutoRollback (beyond Kubernetes, kubernetes#23211): when the progress
//     deadline passes, a Deployment with spec.autoRollback rolls back to
//     the newest revision whose rollout completed.
package deployment
