package containerd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"

	"github.com/fleetkit/orchestrator/runtime"
)

// Config configures a Runtime.
type Config struct {
	// Address is the daemon's socket. Required.
	Address string
	// Namespace is the containerd namespace used for everything.
	// Defaults to "fleetkit".
	Namespace string
	// Snapshotter unpacks images and roots containers. Defaults to
	// "overlayfs".
	Snapshotter string
	// StateDir holds sandboxes (network namespaces, volumes, resolv.conf)
	// and container logs. Defaults to /var/lib/fleetkit/runtime.
	StateDir string
	// LogMaxBytes rotates a container's log file beyond this size.
	// Defaults to 10 MiB.
	LogMaxBytes int64
	// LogMaxFiles is how many rotated files are kept besides the current
	// one. Defaults to 2.
	LogMaxFiles int
	// LogCheckInterval is how often log sizes are checked. Defaults to 5s.
	LogCheckInterval time.Duration
	// Logger defaults to a logger that discards.
	Logger *slog.Logger
}

// Runtime drives a containerd daemon. Safe for concurrent use.
type Runtime struct {
	cfg    Config
	client *client.Client
	log    *slog.Logger

	ctx    context.Context // carries the namespace; canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	events runtime.Broadcaster
	oom    map[string]bool // container id -> OOM-killed (seen in an event)
	images map[string]client.Image
	// created holds tasks created by this Runtime and not yet started.
	created map[string]client.Task
	sbMu    sync.Mutex // serialises sandbox creation and removal

	execSeq atomic.Uint64 // makes exec ids unique
}

var _ runtime.Runtime = (*Runtime)(nil)

// Label keys stored on containers.
const (
	labelSandbox = "io.fleetkit.sandbox"
	labelName    = "io.fleetkit.name"
	labelAttempt = "io.fleetkit.attempt"
	labelOOM     = "io.fleetkit.oom-killed"
	labelUser    = "io.fleetkit.label."
)

var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// New connects to the daemon and starts following its events. The
// connection is lazy: a daemon that is down now is retried.
func New(cfg Config) (*Runtime, error) {
	if cfg.Address == "" {
		return nil, fmt.Errorf("containerd: no address: %w", runtime.ErrInvalid)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "fleetkit"
	}
	if cfg.Snapshotter == "" {
		cfg.Snapshotter = "overlayfs"
	}
	if cfg.StateDir == "" {
		cfg.StateDir = "/var/lib/fleetkit/runtime"
	}
	if cfg.LogMaxBytes == 0 {
		cfg.LogMaxBytes = 10 << 20
	}
	if cfg.LogMaxFiles == 0 {
		cfg.LogMaxFiles = 2
	}
	if cfg.LogCheckInterval == 0 {
		cfg.LogCheckInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, d := range []string{"sandboxes", "logs", "fifo"} {
		if err := os.MkdirAll(filepath.Join(cfg.StateDir, d), 0o711); err != nil {
			return nil, fmt.Errorf("containerd: state dir: %w", err)
		}
	}
	c, err := client.New(cfg.Address, client.WithDefaultNamespace(cfg.Namespace), client.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("containerd: connect %s: %w", cfg.Address, runtime.Transient(errors.Join(runtime.ErrUnavailable, err)))
	}
	ctx, cancel := context.WithCancel(namespaces.WithNamespace(context.Background(), cfg.Namespace))
	r := &Runtime{cfg: cfg, client: c, log: cfg.Logger, ctx: ctx, cancel: cancel, oom: map[string]bool{}, images: map[string]client.Image{}, created: map[string]client.Task{}}
	r.wg.Add(2)
	go r.followEvents()
	go r.rotateLogs()
	return r, nil
}

// Close stops the event follower and log rotation and closes the
// connection. Containers keep running.
func (r *Runtime) Close() error {
	r.cancel()
	r.wg.Wait()
	return r.client.Close()
}

// Client returns the underlying containerd client, for benchmarks and
// diagnostics; callers must use the namespace from Namespace.
func (r *Runtime) Client() *client.Client { return r.client }

// Namespace returns the containerd namespace the runtime uses.
func (r *Runtime) Namespace() string { return r.cfg.Namespace }

// nsctx adds the namespace to a caller's context.
func (r *Runtime) nsctx(ctx context.Context) context.Context {
	return namespaces.WithNamespace(ctx, r.cfg.Namespace)
}

// wrap classifies a daemon error into a runtime category.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	var cat error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("containerd: %s: %w", msg, err)
	case errdefs.IsDeadlineExceeded(err):
		// The caller's deadline, as the daemon reported it.
		return fmt.Errorf("containerd: %s: %w: %w", msg, context.DeadlineExceeded, err)
	case errdefs.IsCanceled(err):
		return fmt.Errorf("containerd: %s: %w: %w", msg, context.Canceled, err)
	case errdefs.IsNotFound(err):
		cat = runtime.ErrNotFound
	case errdefs.IsAlreadyExists(err):
		cat = runtime.ErrAlreadyExists
	case errdefs.IsInvalidArgument(err):
		cat = runtime.ErrInvalid
	case errdefs.IsFailedPrecondition(err), errdefs.IsConflict(err):
		cat = runtime.ErrFailedPrecondition
	case errdefs.IsUnavailable(err):
		return runtime.Transient(fmt.Errorf("containerd: %s: %w: %w", msg, runtime.ErrUnavailable, err))
	default:
		return runtime.Transient(fmt.Errorf("containerd: %s: %w", msg, err))
	}
	return fmt.Errorf("containerd: %s: %w: %w", msg, cat, err)
}
