// Package node is the node agent: it registers its Node, renews its Lease,
// runs the pods bound to it through a runtime.Runtime, probes them,
// restarts their containers, reports their status and usage, and tears
// them down.
//
// # How it works
//
// Run lists and watches pods (relisting after a compaction or a dropped
// watch) and keeps one worker goroutine per pod bound to the node. A
// worker reconciles from current state, never from events: each pass
// reads the runtime's view of the pod's containers and takes the next
// step (sandbox and network, then containers in order; restart or not per
// restartPolicy, with back-off; graceful stop), then computes the pod's
// status and writes it only when it changed. Runtime events, probe results,
// timers and pod changes only wake the worker.
//
// # Guarantees
//
//   - Admission: a pod is admitted only if its requests, added to those of
//     the pods already admitted, fit the node's allocatable resources and
//     pod count; otherwise its status becomes Failed with reason OutOfcpu,
//     OutOfmemory, OutOfpods or OutOf<resource>. Admission is serialised,
//     so two schedulers cannot overcommit the node through this agent.
//   - Restarts: Always restarts every exit, OnFailure non-zero exits, Never
//     none. The delay starts at BackoffInitial and doubles up to BackoffMax;
//     it resets after a container ran BackoffReset. restartCount counts
//     restarts; lastState keeps the previous termination (OOMKilled, Error,
//     Completed and the exit code).
//   - Probes: startup probes gate liveness and readiness; liveness failures
//     restart the container (through a graceful stop); readiness drives
//     the Ready and ContainersReady conditions. Probe periods and delays
//     follow the injected clock; timeouts are real time.
//   - Termination: a deleted pod's containers get SIGTERM, the pod's grace
//     period, then SIGKILL; then the sandbox and its network are released.
//   - Restart of the agent: containers of pods still bound to the node are
//     adopted (restart counts come from the attempt numbers); sandboxes of
//     pods that are gone are removed.
//   - Status is written only when it changes.
//
// An Agent is safe for concurrent use; Run may be called once.
package node
