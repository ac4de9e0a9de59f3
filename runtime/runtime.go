package runtime

import (
	"context"
	"io"
	"time"
)

// Runtime is a container runtime: sandboxes, containers and images.
type Runtime interface {
	Sandboxes
	Containers
	Images
}

// Sandboxes manages pod sandboxes.
type Sandboxes interface {
	// RunSandbox creates the sandbox of a pod: a network namespace,
	// directories for its emptyDir volumes, and its /etc/hosts,
	// /etc/hostname and /etc/resolv.conf. Idempotent per cfg.ID: when the
	// sandbox exists it is returned as is.
	RunSandbox(ctx context.Context, cfg SandboxConfig) (Sandbox, error)
	// RemoveSandbox removes a sandbox whose containers have been removed:
	// its namespace and volumes. Idempotent; a sandbox that still has
	// containers is ErrFailedPrecondition.
	RemoveSandbox(ctx context.Context, id string) error
	// ListSandboxes returns every sandbox of this backend, including those
	// left by an earlier process, sorted by ID.
	ListSandboxes(ctx context.Context) ([]Sandbox, error)
}

// Containers manages containers inside sandboxes.
type Containers interface {
	// CreateContainer creates (does not start) a container in a sandbox
	// and returns its ID. ErrAlreadyExists if the sandbox already has a
	// container with cfg.Name and cfg.Attempt.
	CreateContainer(ctx context.Context, sandboxID string, cfg ContainerConfig) (string, error)
	// StartContainer starts a created container. ErrFailedPrecondition if
	// it is not in state Created.
	StartContainer(ctx context.Context, id string) error
	// StopContainer sends SIGTERM, waits up to grace, then SIGKILL, and
	// returns when the container has exited. A stopped container is nil.
	StopContainer(ctx context.Context, id string, grace time.Duration) error
	// RemoveContainer removes a container, killing it first if it runs,
	// with its logs. Idempotent.
	RemoveContainer(ctx context.Context, id string) error
	// ContainerStatus returns the observed state of one container.
	ContainerStatus(ctx context.Context, id string) (ContainerStatus, error)
	// ListContainers returns the containers of a sandbox, or of every
	// sandbox when sandboxID is "", sorted by ID.
	ListContainers(ctx context.Context, sandboxID string) ([]ContainerStatus, error)
	// Exec runs cmd in a running container and returns its exit code and
	// combined output (truncated to 64 KiB). When ctx ends first the
	// process is killed and waited for (no process is left behind), and
	// the context's error is returned.
	Exec(ctx context.Context, id string, cmd []string) (ExecResult, error)
	// Logs writes the container's log (the retained rotated files, oldest
	// first) to w.
	Logs(ctx context.Context, id string, w io.Writer) error
	// Stats returns a running container's resource usage.
	Stats(ctx context.Context, id string) (Usage, error)
	// Subscribe delivers events until ctx ends, then closes the channel.
	// Events are hints: after one, re-read ContainerStatus. A slow
	// subscriber may miss events, never the latest state.
	Subscribe(ctx context.Context) <-chan Event
}

// Images manages images.
type Images interface {
	// PullImage fetches ref from its registry and unpacks it. Idempotent.
	PullImage(ctx context.Context, ref string) (Image, error)
	// ImportImage reads an OCI image layout archive (tar) and stores and
	// unpacks every image in it, named by its org.opencontainers.image.ref.name
	// annotation.
	ImportImage(ctx context.Context, r io.Reader) ([]Image, error)
	// ImageStatus returns a stored image, or ErrNotFound.
	ImageStatus(ctx context.Context, ref string) (Image, error)
	// RemoveImage deletes an image. Idempotent.
	RemoveImage(ctx context.Context, ref string) error
}

// Prober is an optional capability of a backend that simulates containers
// (runtime/fake): it answers a container's probes itself. The node agent
// finds it by type assertion; without it, probes go over the network (HTTP,
// TCP) or through Exec.
type Prober interface {
	// Probe reports whether the container's probe of kind succeeds.
	Probe(ctx context.Context, id string, kind ProbeKind) (bool, error)
}

// ProbeKind names a probe.
type ProbeKind string

const (
	ProbeStartup   ProbeKind = "startup"
	ProbeLiveness  ProbeKind = "liveness"
	ProbeReadiness ProbeKind = "readiness"
)

// SandboxConfig describes a pod sandbox.
type SandboxConfig struct {
	// ID is the caller's unique name for the sandbox (the pod UID).
	ID string
	// Namespace and Name are the pod's, for labels and logs.
	Namespace, Name string
	// Hostname is the pod's hostname. Defaults to Name.
	Hostname string
	// Volumes are the names of the pod's emptyDir volumes.
	Volumes []VolumeConfig
	// DNS is written to the sandbox's /etc/resolv.conf.
	DNS DNSConfig
	// Labels are stored with the sandbox.
	Labels map[string]string
}

// VolumeConfig is one emptyDir volume.
type VolumeConfig struct {
	Name string
	// Memory backs the volume with tmpfs.
	Memory bool
	// SizeLimit bounds a tmpfs volume, in bytes; 0 is unbounded.
	SizeLimit int64
}

// DNSConfig is the content of /etc/resolv.conf.
type DNSConfig struct {
	Servers  []string
	Searches []string
	Options  []string
}

// Sandbox is a running pod sandbox.
type Sandbox struct {
	// ID is SandboxConfig.ID.
	ID        string
	Namespace string
	Name      string
	// NetNSPath is the network namespace's bind mount, "" for backends
	// without real networking. Its loopback interface is up.
	NetNSPath string
	CreatedAt time.Time
	Labels    map[string]string
}

// ContainerConfig describes a container.
type ContainerConfig struct {
	// Name is the container's name in its pod.
	Name string
	// Attempt counts restarts (0 for the first container).
	Attempt int
	Image   string
	// Command replaces the image's entrypoint, Args its cmd.
	Command, Args []string
	// Env is "KEY=value" pairs, appended to the image's.
	Env        []string
	WorkingDir string
	Mounts     []Mount
	Resources  Resources
	Security   Security
	Labels     map[string]string
}

// Mount mounts a sandbox volume into a container.
type Mount struct {
	// Volume names a VolumeConfig of the sandbox.
	Volume        string
	ContainerPath string
	ReadOnly      bool
}

// Resources are a container's cgroup limits. Zero means unlimited.
type Resources struct {
	// CPUShares is the relative weight (1024 per cpu requested).
	CPUShares uint64
	// CPUQuota per CPUPeriod microseconds (CFS); 0 is unlimited.
	CPUQuota  int64
	CPUPeriod uint64
	// MemoryLimit in bytes.
	MemoryLimit int64
	// PidsLimit caps the number of processes.
	PidsLimit int64
}

// Security is a container's security context, resolved.
type Security struct {
	// RunAsUser and RunAsGroup override the image's user when set.
	RunAsUser, RunAsGroup *int64
	ReadOnlyRootfs        bool
	Privileged            bool
	// CapAdd and CapDrop name capabilities with or without "CAP_"; "ALL"
	// in CapDrop drops every default capability before adding.
	CapAdd, CapDrop []string
	NoNewPrivileges bool
	// SeccompUnconfined turns off the default seccomp profile.
	SeccompUnconfined bool
}

// ContainerState is the coarse state of a container.
type ContainerState int

const (
	StateUnknown ContainerState = iota
	StateCreated
	StateRunning
	StateExited
)

func (s ContainerState) String() string {
	switch s {
	case StateCreated:
		return "created"
	case StateRunning:
		return "running"
	case StateExited:
		return "exited"
	}
	return "unknown"
}

// Exit reasons.
const (
	ReasonCompleted = "Completed"
	ReasonError     = "Error"
	ReasonOOMKilled = "OOMKilled"
)

// ContainerStatus is the observed state of a container.
type ContainerStatus struct {
	ID        string
	SandboxID string
	Name      string
	Attempt   int
	Image     string
	ImageID   string
	State     ContainerState
	// PID is the main process's host pid while running, else 0.
	PID        int
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	// ExitCode and Reason are set when State is StateExited.
	ExitCode int32
	Reason   string
	Labels   map[string]string
}

// ExecResult is the outcome of Exec.
type ExecResult struct {
	ExitCode int
	Output   []byte
}

// Usage is a container's resource usage at a moment.
type Usage struct {
	Timestamp time.Time
	// CPUUsageNanos is cumulative CPU time since the container started.
	CPUUsageNanos uint64
	// MemoryBytes is the working set (usage minus inactive file cache).
	MemoryBytes uint64
}

// EventType is the type of a runtime event.
type EventType int

const (
	EventStarted EventType = iota + 1
	EventExited
	EventRemoved
	// EventResync: the backend may have missed events (it reconnected);
	// subscribers should re-read everything.
	EventResync
)

// Event is a hint that a container changed.
type Event struct {
	Type        EventType
	ContainerID string
	SandboxID   string
}

// Image is a stored image.
type Image struct {
	// Ref is the name it is stored under ("docker.io/library/x:1").
	Ref string
	// ID is the digest of its config or manifest ("sha256:...").
	ID   string
	Size int64
}
