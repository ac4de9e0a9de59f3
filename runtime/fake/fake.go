package fake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/ociimage"
)

// Script is the simulated behaviour of one container (one attempt).
type Script struct {
	// RunFor is how long the container runs before it exits by itself
	// with ExitCode; 0 runs until stopped. Durations under a millisecond
	// (here and in OOMAfter) are immediate: the container has exited when
	// StartContainer returns, whatever the clock does.
	RunFor   time.Duration
	ExitCode int32
	// OOMAfter > 0: the container is OOM-killed (exit 137, reason
	// OOMKilled) after that long.
	OOMAfter time.Duration
	// IgnoreSIGTERM makes StopContainer wait for the whole grace period
	// and SIGKILL (exit 137).
	IgnoreSIGTERM bool
	// TermDelay is how long the container takes to exit after SIGTERM
	// (exit code 0); beyond the grace period it is killed.
	TermDelay time.Duration
	// StartError makes StartContainer fail with it.
	StartError error
	// Probe answers probes; nil means every probe succeeds. running is
	// how long the container has been running.
	Probe func(kind runtime.ProbeKind, running time.Duration) bool
	// Exec answers Exec; nil runs ExecArgs on the command.
	Exec func(ctx context.Context, cmd []string) (runtime.ExecResult, error)
	// Log is written to the container's log when it starts.
	Log string
	// CPUMilli and MemoryBytes are the usage Stats reports.
	CPUMilli    int64
	MemoryBytes uint64
}

// BehaviorFunc picks the script of a container.
type BehaviorFunc func(sb runtime.Sandbox, cfg runtime.ContainerConfig) Script

// Config configures a Runtime.
type Config struct {
	// Clock drives simulated time. Defaults to the real clock.
	Clock clockwork.Clock
	// Behavior scripts containers. Defaults to ArgsBehavior.
	Behavior BehaviorFunc
	// PullError, when set, is returned (wrapped in runtime.ErrImagePull)
	// by PullImage for the refs it returns non-nil for.
	PullError func(ref string) error
	// Images are present from the start.
	Images []string
}

// Runtime is the simulated runtime. Safe for concurrent use.
type Runtime struct {
	clock    clockwork.Clock
	behavior BehaviorFunc
	pullErr  func(string) error

	mu         sync.Mutex
	seq        int
	sandboxes  map[string]*runtime.Sandbox
	containers map[string]*container
	images     map[string]runtime.Image
	events     runtime.Broadcaster
}

type container struct {
	st      runtime.ContainerStatus
	cfg     runtime.ContainerConfig
	script  Script
	timer   clockwork.Timer
	exited  chan struct{}
	log     bytes.Buffer
	started time.Time
}

var _ runtime.Runtime = (*Runtime)(nil)
var _ runtime.Prober = (*Runtime)(nil)

// New returns an empty simulated runtime.
func New(cfg Config) (*Runtime, error) {
	r := &Runtime{
		clock: cfg.Clock, behavior: cfg.Behavior, pullErr: cfg.PullError,
		sandboxes: map[string]*runtime.Sandbox{}, containers: map[string]*container{},
		images: map[string]runtime.Image{},
	}
	if r.clock == nil {
		r.clock = clockwork.NewRealClock()
	}
	if r.behavior == nil {
		r.behavior = ArgsBehavior
	}
	for _, ref := range cfg.Images {
		r.images[ref] = runtime.Image{Ref: ref, ID: "sha256:" + ref}
	}
	return r, nil
}

// publishLocked publishes ev; r.mu is held, so events are published in
// the order of the state changes they announce.
func (r *Runtime) publishLocked(ev runtime.Event) { r.events.Publish(ev) }

// Subscribe implements runtime.Containers.
func (r *Runtime) Subscribe(ctx context.Context) <-chan runtime.Event { return r.events.Subscribe(ctx) }

// RunSandbox implements runtime.Sandboxes.
func (r *Runtime) RunSandbox(ctx context.Context, cfg runtime.SandboxConfig) (runtime.Sandbox, error) {
	if cfg.ID == "" {
		return runtime.Sandbox{}, fmt.Errorf("fake: sandbox without id: %w", runtime.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return runtime.Sandbox{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sb, ok := r.sandboxes[cfg.ID]; ok {
		return *sb, nil
	}
	sb := &runtime.Sandbox{ID: cfg.ID, Namespace: cfg.Namespace, Name: cfg.Name, CreatedAt: r.clock.Now(), Labels: cfg.Labels}
	r.sandboxes[cfg.ID] = sb
	return *sb, nil
}

// RemoveSandbox implements runtime.Sandboxes.
func (r *Runtime) RemoveSandbox(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.containers {
		if c.st.SandboxID == id {
			return fmt.Errorf("fake: sandbox %s still has container %s: %w", id, c.st.ID, runtime.ErrFailedPrecondition)
		}
	}
	delete(r.sandboxes, id)
	return nil
}

// ListSandboxes implements runtime.Sandboxes.
func (r *Runtime) ListSandboxes(ctx context.Context) ([]runtime.Sandbox, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]runtime.Sandbox, 0, len(r.sandboxes))
	for _, sb := range r.sandboxes {
		out = append(out, *sb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// CreateContainer implements runtime.Containers.
func (r *Runtime) CreateContainer(ctx context.Context, sandboxID string, cfg runtime.ContainerConfig) (string, error) {
	if cfg.Name == "" || cfg.Image == "" {
		return "", fmt.Errorf("fake: container needs a name and an image: %w", runtime.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, ok := r.sandboxes[sandboxID]
	if !ok {
		return "", fmt.Errorf("fake: sandbox %s: %w", sandboxID, runtime.ErrNotFound)
	}
	img, ok := r.images[cfg.Image]
	if !ok {
		return "", fmt.Errorf("fake: image %s: %w", cfg.Image, runtime.ErrNotFound)
	}
	for _, c := range r.containers {
		if c.st.SandboxID == sandboxID && c.st.Name == cfg.Name && c.st.Attempt == cfg.Attempt {
			return "", fmt.Errorf("fake: container %s attempt %d in %s: %w", cfg.Name, cfg.Attempt, sandboxID, runtime.ErrAlreadyExists)
		}
	}
	r.seq++
	id := fmt.Sprintf("fake-%010d", r.seq)
	c := &container{
		st: runtime.ContainerStatus{
			ID: id, SandboxID: sandboxID, Name: cfg.Name, Attempt: cfg.Attempt, Image: cfg.Image, ImageID: img.ID,
			State: runtime.StateCreated, CreatedAt: r.clock.Now(), Labels: cfg.Labels,
		},
		cfg:    cfg,
		script: r.behavior(*sb, cfg),
		exited: make(chan struct{}),
	}
	r.containers[id] = c
	return id, nil
}

// StartContainer implements runtime.Containers.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return fmt.Errorf("fake: container %s: %w", id, runtime.ErrNotFound)
	}
	if c.st.State != runtime.StateCreated {
		return fmt.Errorf("fake: start container %s in state %s: %w", id, c.st.State, runtime.ErrFailedPrecondition)
	}
	if c.script.StartError != nil {
		r.exitLocked(c, 128, runtime.ReasonError)
		return fmt.Errorf("fake: start container %s: %w", id, c.script.StartError)
	}
	now := r.clock.Now()
	c.st.State, c.st.StartedAt, c.started = runtime.StateRunning, now, now
	c.st.PID = 1000 + r.seq
	c.log.WriteString(c.script.Log)
	r.publishLocked(runtime.Event{Type: runtime.EventStarted, ContainerID: id, SandboxID: c.st.SandboxID})
	switch {
	case c.script.OOMAfter > 0 && (c.script.RunFor == 0 || c.script.OOMAfter <= c.script.RunFor):
		if c.script.OOMAfter < time.Millisecond {
			r.exitLocked(c, 137, runtime.ReasonOOMKilled)
			break
		}
		c.timer = r.clock.AfterFunc(c.script.OOMAfter, func() { r.exit(c, 137, runtime.ReasonOOMKilled) })
	case c.script.RunFor > 0 && c.script.RunFor < time.Millisecond:
		r.exitLocked(c, c.script.ExitCode, "")
	case c.script.RunFor > 0:
		code := c.script.ExitCode
		c.timer = r.clock.AfterFunc(c.script.RunFor, func() { r.exit(c, code, "") })
	}
	return nil
}

func (r *Runtime) exit(c *container, code int32, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exitLocked(c, code, reason)
}

// exitLocked moves c to Exited once; later calls do nothing.
func (r *Runtime) exitLocked(c *container, code int32, reason string) {
	if c.st.State == runtime.StateExited {
		return
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	if reason == "" {
		reason = runtime.ReasonCompleted
		if code != 0 {
			reason = runtime.ReasonError
		}
	}
	c.st.State, c.st.ExitCode, c.st.Reason, c.st.FinishedAt, c.st.PID = runtime.StateExited, code, reason, r.clock.Now(), 0
	close(c.exited)
	r.publishLocked(runtime.Event{Type: runtime.EventExited, ContainerID: c.st.ID, SandboxID: c.st.SandboxID})
}

// StopContainer implements runtime.Containers.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	r.mu.Lock()
	c, ok := r.containers[id]
	if !ok {
		r.mu.Unlock()
		return fmt.Errorf("fake: container %s: %w", id, runtime.ErrNotFound)
	}
	switch c.st.State {
	case runtime.StateExited:
		r.mu.Unlock()
		return nil
	case runtime.StateCreated:
		r.exitLocked(c, 0, runtime.ReasonCompleted)
		r.mu.Unlock()
		return nil
	}
	if !c.script.IgnoreSIGTERM && (c.script.TermDelay == 0 || grace <= 0) {
		code := int32(0)
		if grace <= 0 && c.script.TermDelay > 0 {
			code = 137
		}
		r.exitLocked(c, code, "")
		r.mu.Unlock()
		return nil
	}
	wait := grace
	if !c.script.IgnoreSIGTERM && c.script.TermDelay < grace {
		wait = c.script.TermDelay
	}
	r.mu.Unlock()
	t := r.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-c.exited:
		return nil
	case <-ctx.Done():
		r.exit(c, 137, "")
		return ctx.Err()
	case <-t.Chan():
	}
	code := int32(137)
	if wait < grace {
		code = 0
	}
	r.exit(c, code, "")
	return nil
}

// RemoveContainer implements runtime.Containers.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil
	}
	r.exitLocked(c, 137, "")
	delete(r.containers, id)
	r.publishLocked(runtime.Event{Type: runtime.EventRemoved, ContainerID: id, SandboxID: c.st.SandboxID})
	return nil
}

// ContainerStatus implements runtime.Containers.
func (r *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.ContainerStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return runtime.ContainerStatus{}, fmt.Errorf("fake: container %s: %w", id, runtime.ErrNotFound)
	}
	return c.st, nil
}

// ListContainers implements runtime.Containers.
func (r *Runtime) ListContainers(ctx context.Context, sandboxID string) ([]runtime.ContainerStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runtime.ContainerStatus
	for _, c := range r.containers {
		if sandboxID == "" || c.st.SandboxID == sandboxID {
			out = append(out, c.st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (r *Runtime) running(id string) (*container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil, fmt.Errorf("fake: container %s: %w", id, runtime.ErrNotFound)
	}
	if c.st.State != runtime.StateRunning {
		return nil, fmt.Errorf("fake: container %s is %s: %w", id, c.st.State, runtime.ErrFailedPrecondition)
	}
	return c, nil
}

// Exec implements runtime.Containers.
func (r *Runtime) Exec(ctx context.Context, id string, cmd []string) (runtime.ExecResult, error) {
	c, err := r.running(id)
	if err != nil {
		return runtime.ExecResult{}, err
	}
	if len(cmd) == 0 {
		return runtime.ExecResult{}, fmt.Errorf("fake: exec without a command: %w", runtime.ErrInvalid)
	}
	if c.script.Exec != nil {
		return c.script.Exec(ctx, cmd)
	}
	return ExecArgs(ctx, r.clock, cmd)
}

// Probe implements runtime.Prober.
func (r *Runtime) Probe(ctx context.Context, id string, kind runtime.ProbeKind) (bool, error) {
	c, err := r.running(id)
	if err != nil {
		return false, err
	}
	if c.script.Probe == nil {
		return true, nil
	}
	return c.script.Probe(kind, r.clock.Since(c.started)), nil
}

// Logs implements runtime.Containers.
func (r *Runtime) Logs(ctx context.Context, id string, w io.Writer) error {
	r.mu.Lock()
	c, ok := r.containers[id]
	var b []byte
	if ok {
		b = slices.Clone(c.log.Bytes())
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("fake: container %s: %w", id, runtime.ErrNotFound)
	}
	_, err := w.Write(b)
	return err
}

// Stats implements runtime.Containers.
func (r *Runtime) Stats(ctx context.Context, id string) (runtime.Usage, error) {
	c, err := r.running(id)
	if err != nil {
		return runtime.Usage{}, err
	}
	now := r.clock.Now()
	cpu := uint64(now.Sub(c.started).Nanoseconds()) * uint64(c.script.CPUMilli) / 1000
	return runtime.Usage{Timestamp: now, CPUUsageNanos: cpu, MemoryBytes: c.script.MemoryBytes}, nil
}

// PullImage implements runtime.Images.
func (r *Runtime) PullImage(ctx context.Context, ref string) (runtime.Image, error) {
	if r.pullErr != nil {
		if err := r.pullErr(ref); err != nil {
			return runtime.Image{}, fmt.Errorf("fake: pull %s: %w: %w", ref, runtime.ErrImagePull, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	img, ok := r.images[ref]
	if !ok {
		img = runtime.Image{Ref: ref, ID: "sha256:" + ref}
		r.images[ref] = img
	}
	return img, nil
}

// ImportImage implements runtime.Images: the archive is parsed and its
// digests checked; only names and digests are kept.
func (r *Runtime) ImportImage(ctx context.Context, rd io.Reader) ([]runtime.Image, error) {
	ms, err := ociimage.Read(rd)
	if err != nil {
		return nil, fmt.Errorf("fake: import: %w: %w", runtime.ErrInvalid, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runtime.Image
	for _, m := range ms {
		img := runtime.Image{Ref: m.Ref, ID: m.Digest}
		for _, f := range m.Files {
			img.Size += int64(len(f))
		}
		r.images[m.Ref] = img
		out = append(out, img)
	}
	return out, nil
}

// ImageStatus implements runtime.Images.
func (r *Runtime) ImageStatus(ctx context.Context, ref string) (runtime.Image, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	img, ok := r.images[ref]
	if !ok {
		return runtime.Image{}, fmt.Errorf("fake: image %s: %w", ref, runtime.ErrNotFound)
	}
	return img, nil
}

// RemoveImage implements runtime.Images.
func (r *Runtime) RemoveImage(ctx context.Context, ref string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.images, ref)
	return nil
}

// ArgsBehavior scripts a container from its command line (Command then
// Args, after dropping the program name when it is a path), in the
// language of runtime/runtimetest's test program:
//
//	run                 run until stopped
//	exit N              exit with N at once
//	sleep-exit MS N     run MS milliseconds, then exit with N
//	ignore-term         ignore SIGTERM (stop takes the grace period)
//	oom                 allocate memory until OOM-killed (needs a limit)
//	serve PORT          run until stopped (probes succeed)
//	spin                run until stopped, using one cpu
//
// Anything else runs until stopped. Every container logs
// "testprog: <args>\n" when it starts, like the real program.
func ArgsBehavior(sb runtime.Sandbox, cfg runtime.ContainerConfig) Script {
	args := progArgs(cfg)
	s := Script{Log: "testprog: " + strings.Join(args, " ") + "\n", CPUMilli: 1, MemoryBytes: 4 << 20}
	if len(args) == 0 {
		return s
	}
	switch args[0] {
	case "exit":
		s.RunFor, s.ExitCode = time.Nanosecond, atoi32(arg(args, 1))
	case "sleep-exit":
		s.RunFor, s.ExitCode = time.Duration(atoi32(arg(args, 1)))*time.Millisecond, atoi32(arg(args, 2))
		if s.RunFor <= 0 {
			s.RunFor = time.Nanosecond
		}
	case "ignore-term":
		s.IgnoreSIGTERM = true
	case "spin":
		s.CPUMilli = 1000
	case "oom":
		if cfg.Resources.MemoryLimit > 0 {
			s.OOMAfter = time.Nanosecond
		}
	}
	return s
}

func progArgs(cfg runtime.ContainerConfig) []string {
	args := append(slices.Clone(cfg.Command), cfg.Args...)
	if len(args) > 0 && strings.HasPrefix(args[0], "/") {
		args = args[1:]
	}
	return args
}

func arg(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

func atoi32(s string) int32 {
	n, _ := strconv.Atoi(s)
	return int32(n)
}

// ExecArgs simulates an exec of the test program: "exit N" returns code
// N, "echo X..." prints X, "sleep MS" waits on clk (or until ctx ends,
// returning its error), anything else succeeds.
func ExecArgs(ctx context.Context, clk clockwork.Clock, cmd []string) (runtime.ExecResult, error) {
	args := cmd
	if strings.HasPrefix(args[0], "/") {
		args = args[1:]
	}
	switch arg(args, 0) {
	case "exit":
		return runtime.ExecResult{ExitCode: int(atoi32(arg(args, 1)))}, nil
	case "echo":
		return runtime.ExecResult{Output: []byte(strings.Join(args[1:], " ") + "\n")}, nil
	case "sleep":
		select {
		case <-clk.After(time.Duration(atoi32(arg(args, 1))) * time.Millisecond):
			return runtime.ExecResult{}, nil
		case <-ctx.Done():
			return runtime.ExecResult{}, ctx.Err()
		}
	}
	return runtime.ExecResult{}, nil
}
