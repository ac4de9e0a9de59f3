// Package podgroup is the PodGroup (gang) status controller: it keeps each
// PodGroup's status (phase and member counts) in line with the pods that
// carry its label (scheduling.x-k8s.io/pod-group).
//
// Guarantees: the phase is a pure function of the member pods (Phase,
// table-tested): Running once MinMember pods run (or have succeeded),
// Finished when MinMember have succeeded and none runs, Failed when
// failures leave fewer than MinMember pods that can still run, Scheduled
// once MinMember pods are bound to nodes, Pending otherwise. Status is
// written only when it changes, with observedGeneration.
package podgroup
