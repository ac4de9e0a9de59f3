// Package runtime is the node's container runtime interface: pod sandboxes
// (the network namespace, volumes, hostname and DNS settings that a pod's
// containers share), containers (create, start, stop with a grace period,
// remove, status with exit code and reason, logs, exec, resource usage) and
// images (import a local OCI archive, pull from a registry).
//
// Backends live in subpackages: runtime/containerd drives a real containerd
// daemon; runtime/fake simulates containers with scripted behaviour, cheaply
// enough to run thousands of nodes in one process. runtime/runtimetest is
// the conformance suite every backend passes.
//
// # Guarantees every backend gives
//
//   - IDs are chosen by the backend and are unique for the backend's
//     lifetime; sandbox and container names (SandboxConfig.ID,
//     ContainerConfig name + attempt) are unique within a sandbox.
//   - RunSandbox is idempotent for one SandboxConfig.ID: a second call
//     returns the existing sandbox.
//   - Remove* of something already gone returns nil (idempotent); Stop of a
//     stopped container returns nil.
//   - A container that exits is reported with its exit code and a reason:
//     ReasonCompleted (code 0), ReasonError, or ReasonOOMKilled (killed by
//     the memory limit, code 137).
//   - Every exit is announced on Subscribe channels at least once, including
//     exits that happened while the backend lost its connection to the
//     daemon; subscribers must treat events as hints and re-read status.
//   - Errors wrap one of the sentinels below; IsTransient tells a caller
//     whether retrying the same call may succeed.
//
// All methods are safe for concurrent use and block until done or until
// their context ends.
package runtime
