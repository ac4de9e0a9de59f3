// Package containerd is the runtime.Runtime backend over a containerd
// daemon (1.6 or later), through the containerd v2 Go client. It uses only
// the services 1.6 has: images, content, containers, snapshots, tasks,
// events (no Transfer or Sandbox service).
//
// # Model
//
// Everything lives in one containerd namespace (Config.Namespace), so it
// never sees or touches other users of the daemon. A sandbox is host-side
// state, not a container: a directory under Config.StateDir holding a
// bind-mounted network namespace, the emptyDir volumes and the pod's
// /etc/hosts, /etc/hostname and /etc/resolv.conf. Its containers join the
// network namespace and bind-mount those files. (No pause container: the
// daemon keeps nothing for a sandbox, which keeps pod start cheap.)
//
// CreateContainer makes the containerd container and its task (runc
// create); StartContainer starts the task. An exited task is kept until
// RemoveContainer, so its exit code survives agent and daemon restarts.
// Logs go to a file written by the shim itself (so they survive the agent
// restarting); the file is rotated by size with copy-and-truncate, which
// may lose the lines written during the copy.
//
// # Guarantees
//
//   - runtime/runtimetest passes against a real daemon.
//   - OOM kills are reported as reason OOMKilled with exit code 137: from
//     the daemon's /tasks/oom event, or, when that was missed, from the
//     cgroup's OOM-kill counter; the finding is stored as a container label.
//   - Exit events: one goroutine follows the daemon's event stream and
//     re-subscribes when it breaks; after every reconnect it publishes
//     EventResync and an EventExited for every exited task, so no exit is
//     lost while the daemon restarts.
//   - Exec deadlines kill the exec'd process and wait for it.
//   - Everything the backend creates (sandboxes, containers, tasks,
//     snapshots) is found again by a new Runtime on the same StateDir and
//     namespace: ListSandboxes and ListContainers report leftovers for the
//     caller to adopt or remove.
//
// A Runtime is safe for concurrent use; Close stops its goroutine.
package containerd
