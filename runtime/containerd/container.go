package containerd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	tasks "github.com/containerd/containerd/api/services/tasks/v1"
	apitask "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/fleetkit/orchestrator/runtime"
)

// containerID names a container after its sandbox, name and attempt, so
// that a duplicate create fails in the daemon itself.
func containerID(sandboxID, name string, attempt int) string {
	id := fmt.Sprintf("%s-%s-%d", sandboxID, name, attempt)
	if len(id) <= 76 && validContainerID(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "c" + hex.EncodeToString(sum[:20])
}

func validContainerID(id string) bool {
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (r *Runtime) startedPath(id string) string {
	return filepath.Join(r.cfg.StateDir, "logs", id+".started")
}

func (r *Runtime) logPath(id string) string {
	return filepath.Join(r.cfg.StateDir, "logs", id+".log")
}

// CreateContainer implements runtime.Containers.
func (r *Runtime) CreateContainer(ctx context.Context, sandboxID string, cfg runtime.ContainerConfig) (string, error) {
	if cfg.Name == "" || cfg.Image == "" {
		return "", fmt.Errorf("containerd: container needs a name and an image: %w", runtime.ErrInvalid)
	}
	ctx = r.nsctx(ctx)
	sbCfg, err := r.sandboxConfig(sandboxID)
	if err != nil {
		return "", err
	}
	img, err := r.image(ctx, cfg.Image)
	if err != nil {
		return "", err
	}
	id := containerID(sandboxID, cfg.Name, cfg.Attempt)
	opts, err := r.specOpts(img, sbCfg, sandboxID, cfg)
	if err != nil {
		return "", err
	}
	labels := map[string]string{labelSandbox: sandboxID, labelName: cfg.Name, labelAttempt: strconv.Itoa(cfg.Attempt)}
	for k, v := range cfg.Labels {
		labels[labelUser+k] = v
	}
	c, err := r.client.NewContainer(ctx, id,
		client.WithImage(img),
		client.WithSnapshotter(r.cfg.Snapshotter),
		client.WithNewSnapshot(id, img),
		client.WithContainerLabels(labels),
		client.WithNewSpec(opts...),
	)
	if err != nil {
		r.forgetImage(cfg.Image) // it may have been removed behind our back
		return "", wrap(err, "create container %s", id)
	}
	logPath := r.logPath(id)
	if f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640); err == nil {
		f.Close()
	}
	task, err := c.NewTask(ctx, cio.LogFile(logPath))
	if err != nil {
		_ = c.Delete(context.WithoutCancel(ctx), client.WithSnapshotCleanup)
		return "", wrap(err, "create task %s", id)
	}
	r.mu.Lock()
	r.created[id] = task
	r.mu.Unlock()
	return id, nil
}

func (r *Runtime) specOpts(img client.Image, sb runtime.SandboxConfig, sandboxID string, cfg runtime.ContainerConfig) ([]oci.SpecOpts, error) {
	dir := r.sandboxDir(sandboxID)
	opts := []oci.SpecOpts{oci.WithImageConfig(img)}
	switch {
	case len(cfg.Command) > 0:
		opts = append(opts, oci.WithProcessArgs(append(append([]string{}, cfg.Command...), cfg.Args...)...))
	case len(cfg.Args) > 0:
		opts = append(opts, oci.WithImageConfigArgs(img, cfg.Args))
	}
	if len(cfg.Env) > 0 {
		opts = append(opts, oci.WithEnv(cfg.Env))
	}
	if cfg.WorkingDir != "" {
		opts = append(opts, oci.WithProcessCwd(cfg.WorkingDir))
	}
	hostname := sb.Hostname
	if hostname == "" {
		hostname = sb.Name
	}
	opts = append(opts,
		oci.WithHostname(hostname),
		oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: filepath.Join(dir, "netns")}),
	)
	mounts := []specs.Mount{
		{Destination: "/etc/resolv.conf", Source: filepath.Join(dir, "resolv.conf"), Type: "bind", Options: []string{"rbind", "ro"}},
		{Destination: "/etc/hosts", Source: filepath.Join(dir, "hosts"), Type: "bind", Options: []string{"rbind", "ro"}},
		{Destination: "/etc/hostname", Source: filepath.Join(dir, "hostname"), Type: "bind", Options: []string{"rbind", "ro"}},
	}
	vols := map[string]bool{}
	for _, v := range sb.Volumes {
		vols[v.Name] = true
	}
	for _, m := range cfg.Mounts {
		if !vols[m.Volume] {
			return nil, fmt.Errorf("containerd: container %s mounts unknown volume %q: %w", cfg.Name, m.Volume, runtime.ErrInvalid)
		}
		if !filepath.IsAbs(m.ContainerPath) {
			return nil, fmt.Errorf("containerd: mount path %q is not absolute: %w", m.ContainerPath, runtime.ErrInvalid)
		}
		o := []string{"rbind", "rw"}
		if m.ReadOnly {
			o[1] = "ro"
		}
		mounts = append(mounts, specs.Mount{Destination: m.ContainerPath, Source: filepath.Join(dir, "volumes", m.Volume), Type: "bind", Options: o})
	}
	opts = append(opts, oci.WithMounts(mounts))

	res := cfg.Resources
	if res.CPUShares > 0 {
		opts = append(opts, oci.WithCPUShares(res.CPUShares))
	}
	if res.CPUQuota > 0 {
		period := res.CPUPeriod
		if period == 0 {
			period = 100000
		}
		opts = append(opts, oci.WithCPUCFS(res.CPUQuota, period))
	}
	if res.MemoryLimit > 0 {
		opts = append(opts, oci.WithMemoryLimit(uint64(res.MemoryLimit)), withNoSwap(res.MemoryLimit))
	}
	if res.PidsLimit > 0 {
		opts = append(opts, oci.WithPidsLimit(res.PidsLimit))
	}

	sec := cfg.Security
	if sec.Privileged {
		opts = append(opts, oci.WithPrivileged, oci.WithAllDevicesAllowed, oci.WithHostDevices)
	}
	switch {
	case sec.RunAsUser != nil && sec.RunAsGroup != nil:
		opts = append(opts, oci.WithUIDGID(uint32(*sec.RunAsUser), uint32(*sec.RunAsGroup)))
	case sec.RunAsUser != nil:
		opts = append(opts, oci.WithUserID(uint32(*sec.RunAsUser)))
	}
	if sec.ReadOnlyRootfs {
		opts = append(opts, oci.WithRootFSReadonly())
	}
	for _, c := range sec.CapDrop {
		if strings.EqualFold(c, "ALL") {
			opts = append(opts, oci.WithCapabilities(nil))
		}
	}
	if drop := capNames(sec.CapDrop); len(drop) > 0 {
		opts = append(opts, oci.WithDroppedCapabilities(drop))
	}
	if add := capNames(sec.CapAdd); len(add) > 0 {
		opts = append(opts, oci.WithAddedCapabilities(add))
	}
	if sec.NoNewPrivileges {
		opts = append(opts, oci.WithNoNewPrivileges)
	}
	if !sec.SeccompUnconfined && !sec.Privileged {
		opts = append(opts, seccomp.WithDefaultProfile())
	}
	return opts, nil
}

// withNoSwap sets the memory+swap limit equal to the memory limit, so that
// a hog is OOM-killed instead of swapping.
func withNoSwap(limit int64) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Linux != nil && s.Linux.Resources != nil && s.Linux.Resources.Memory != nil {
			l := limit
			s.Linux.Resources.Memory.Swap = &l
		}
		return nil
	}
}

func capNames(in []string) []string {
	var out []string
	for _, c := range in {
		if strings.EqualFold(c, "ALL") {
			continue
		}
		c = strings.ToUpper(c)
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, c)
	}
	return out
}

// StartContainer implements runtime.Containers.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	ctx = r.nsctx(ctx)
	// A task this Runtime created and never started needs no look-up: one
	// round trip instead of four on the hot path of every pod start.
	r.mu.Lock()
	task, fresh := r.created[id]
	delete(r.created, id)
	r.mu.Unlock()
	if fresh {
		if err := task.Start(ctx); err != nil {
			return wrap(err, "start %s", id)
		}
		r.recordStart(id)
		return nil
	}
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return wrap(err, "container %s", id)
	}
	t, err := c.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("containerd: container %s has no task to start: %w", id, runtime.ErrFailedPrecondition)
		}
		return wrap(err, "task %s", id)
	}
	st, err := t.Status(ctx)
	if err != nil {
		return wrap(err, "task %s status", id)
	}
	if st.Status != client.Created {
		return fmt.Errorf("containerd: start container %s in state %s: %w", id, st.Status, runtime.ErrFailedPrecondition)
	}
	if err := t.Start(ctx); err != nil {
		return wrap(err, "start %s", id)
	}
	r.recordStart(id)
	return nil
}

// recordStart writes the start time to a file, not a label: a label costs
// a round trip to the daemon on every start.
func (r *Runtime) recordStart(id string) {
	if err := os.WriteFile(r.startedPath(id), []byte(time.Now().UTC().Format(time.RFC3339Nano)), 0o600); err != nil {
		r.log.Warn("record start time", "container", id, "err", err)
	}
}

// StopContainer implements runtime.Containers.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	ctx = r.nsctx(ctx)
	r.mu.Lock()
	delete(r.created, id) // a stopped task can no longer be started
	r.mu.Unlock()
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return wrap(err, "container %s", id)
	}
	t, err := c.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return wrap(err, "task %s", id)
	}
	st, err := t.Status(ctx)
	if err != nil {
		return wrap(err, "task %s status", id)
	}
	if st.Status == client.Stopped {
		return nil
	}
	// Wait before Kill so the exit cannot be missed.
	exitc, err := t.Wait(ctx)
	if err != nil {
		return wrap(err, "wait %s", id)
	}
	if st.Status == client.Created {
		// Never started: runc kills a created container with SIGKILL only.
		grace = 0
	}
	sig := syscall.SIGTERM
	if grace <= 0 {
		sig = syscall.SIGKILL
	}
	if err := t.Kill(ctx, sig); err != nil && !errdefs.IsNotFound(err) {
		return wrap(err, "signal %s", id)
	}
	if sig == syscall.SIGTERM {
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-exitc:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		if err := t.Kill(ctx, syscall.SIGKILL, client.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
			return wrap(err, "kill %s", id)
		}
	}
	select {
	case <-exitc:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RemoveContainer implements runtime.Containers.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	ctx = r.nsctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return wrap(err, "container %s", id)
	}
	if t, err := c.Task(ctx, nil); err == nil {
		if _, err := t.Delete(ctx, client.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			return wrap(err, "delete task %s", id)
		}
	} else if !errdefs.IsNotFound(err) {
		return wrap(err, "task %s", id)
	}
	if err := c.Delete(ctx, client.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return wrap(err, "delete container %s", id)
	}
	r.mu.Lock()
	delete(r.oom, id)
	delete(r.created, id)
	r.mu.Unlock()
	r.removeLogs(id)
	r.events.Publish(runtime.Event{Type: runtime.EventRemoved, ContainerID: id})
	return nil
}

// ContainerStatus implements runtime.Containers.
func (r *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.ContainerStatus, error) {
	ctx = r.nsctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return runtime.ContainerStatus{}, wrap(err, "container %s", id)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return runtime.ContainerStatus{}, wrap(err, "container %s", id)
	}
	var proc *apitask.Process
	resp, err := r.client.TaskService().Get(ctx, &tasks.GetRequest{ContainerID: id})
	switch err = errgrpc.ToNative(err); {
	case err == nil:
		proc = resp.Process
	case !errdefs.IsNotFound(err):
		return runtime.ContainerStatus{}, wrap(err, "task %s", id)
	}
	return r.status(ctx, c, info, proc), nil
}

// status derives a container's status from its record and its task's
// process (nil when it has no task).
func (r *Runtime) status(ctx context.Context, c client.Container, info containers.Container, proc *apitask.Process) runtime.ContainerStatus {
	attempt, _ := strconv.Atoi(info.Labels[labelAttempt])
	st := runtime.ContainerStatus{
		ID: info.ID, SandboxID: info.Labels[labelSandbox], Name: info.Labels[labelName], Attempt: attempt,
		Image: info.Image, CreatedAt: info.CreatedAt, State: runtime.StateUnknown,
	}
	for k, v := range info.Labels {
		if strings.HasPrefix(k, labelUser) {
			if st.Labels == nil {
				st.Labels = map[string]string{}
			}
			st.Labels[strings.TrimPrefix(k, labelUser)] = v
		}
	}
	if b, err := os.ReadFile(r.startedPath(info.ID)); err == nil {
		st.StartedAt, _ = time.Parse(time.RFC3339Nano, string(b))
	}
	if proc == nil {
		// The task is gone (removed by hand, or lost with the daemon's
		// state): the container can only be removed.
		st.State, st.ExitCode, st.Reason = runtime.StateExited, 255, runtime.ReasonError
		return st
	}
	switch proc.Status {
	case apitask.Status_CREATED:
		st.State = runtime.StateCreated
	case apitask.Status_RUNNING, apitask.Status_PAUSING, apitask.Status_PAUSED:
		st.State, st.PID = runtime.StateRunning, int(proc.Pid)
	case apitask.Status_STOPPED:
		st.State, st.ExitCode = runtime.StateExited, int32(proc.ExitStatus)
		if proc.ExitedAt != nil {
			st.FinishedAt = proc.ExitedAt.AsTime()
		}
		switch {
		case st.ExitCode == 137 && r.oomKilled(ctx, c, info):
			st.Reason = runtime.ReasonOOMKilled
		case st.ExitCode == 0:
			st.Reason = runtime.ReasonCompleted
		default:
			st.Reason = runtime.ReasonError
		}
		if st.StartedAt.IsZero() {
			st.StartedAt = st.FinishedAt
		}
	}
	return st
}

// oomKilled tells whether an exited task was killed by the OOM killer:
// from an OOM event, a label recorded earlier, or the cgroup's counter.
func (r *Runtime) oomKilled(ctx context.Context, c client.Container, info containers.Container) bool {
	if info.Labels[labelOOM] == "true" {
		return true
	}
	r.mu.Lock()
	seen := r.oom[info.ID]
	r.mu.Unlock()
	if !seen {
		if t, err := c.Task(ctx, nil); err == nil {
			seen = cgroupOOMKills(ctx, t) > 0
		}
	}
	if seen {
		if _, err := c.SetLabels(ctx, map[string]string{labelOOM: "true"}); err != nil {
			r.log.Warn("record oom kill", "container", info.ID, "err", err)
		}
	}
	return seen
}

// ListContainers implements runtime.Containers. It costs two round trips
// to the daemon however many containers there are.
func (r *Runtime) ListContainers(ctx context.Context, sandboxID string) ([]runtime.ContainerStatus, error) {
	ctx = r.nsctx(ctx)
	filter := fmt.Sprintf("labels.%q", labelSandbox)
	if sandboxID != "" {
		filter = fmt.Sprintf("labels.%q==%q", labelSandbox, sandboxID)
	}
	cs, err := r.client.Containers(ctx, filter)
	if err != nil {
		return nil, wrap(err, "list containers")
	}
	out := make([]runtime.ContainerStatus, 0, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	resp, err := r.client.TaskService().List(ctx, &tasks.ListTasksRequest{})
	if err != nil {
		return nil, wrap(errgrpc.ToNative(err), "list tasks")
	}
	procs := make(map[string]*apitask.Process, len(resp.Tasks))
	for _, p := range resp.Tasks {
		procs[p.ID] = p
	}
	for _, c := range cs {
		info, err := c.Info(ctx) // cached by the list: no round trip
		if err != nil {
			if errdefs.IsNotFound(err) {
				continue
			}
			return nil, wrap(err, "container %s", c.ID())
		}
		out = append(out, r.status(ctx, c, info, procs[c.ID()]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// runningTask loads a container's task and checks that it runs.
func (r *Runtime) runningTask(ctx context.Context, id string) (client.Task, error) {
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return nil, wrap(err, "container %s", id)
	}
	t, err := c.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("containerd: container %s has no task: %w", id, runtime.ErrFailedPrecondition)
		}
		return nil, wrap(err, "task %s", id)
	}
	st, err := t.Status(ctx)
	if err != nil {
		return nil, wrap(err, "task %s status", id)
	}
	if st.Status != client.Running {
		return nil, fmt.Errorf("containerd: container %s is %s: %w", id, st.Status, runtime.ErrFailedPrecondition)
	}
	return t, nil
}

// maxExecOutput caps what Exec keeps.
const maxExecOutput = 64 << 10

type capped struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu <- struct{}{}
	defer func() { <-c.mu }()
	if room := maxExecOutput - c.buf.Len(); room > 0 {
		if len(p) > room {
			c.buf.Write(p[:room])
		} else {
			c.buf.Write(p)
		}
	}
	return len(p), nil
}

// Exec implements runtime.Containers.
func (r *Runtime) Exec(ctx context.Context, id string, cmd []string) (runtime.ExecResult, error) {
	if len(cmd) == 0 {
		return runtime.ExecResult{}, fmt.Errorf("containerd: exec without a command: %w", runtime.ErrInvalid)
	}
	ctx = r.nsctx(ctx)
	t, err := r.runningTask(ctx, id)
	if err != nil {
		return runtime.ExecResult{}, err
	}
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return runtime.ExecResult{}, wrap(err, "container %s", id)
	}
	spec, err := c.Spec(ctx)
	if err != nil {
		return runtime.ExecResult{}, wrap(err, "spec %s", id)
	}
	pspec := *spec.Process
	pspec.Args = cmd
	pspec.Terminal = false
	out := &capped{mu: make(chan struct{}, 1)}
	execID := fmt.Sprintf("exec-%d-%d", time.Now().UnixNano(), r.execSeq.Add(1))
	// Operations that must finish even when ctx has ended.
	bg := context.WithoutCancel(ctx)
	p, err := t.Exec(ctx, execID, &pspec, cio.NewCreator(cio.WithStreams(nil, out, out), cio.WithFIFODir(filepath.Join(r.cfg.StateDir, "fifo"))))
	if err != nil {
		return runtime.ExecResult{}, ctxOr(ctx, wrap(err, "exec in %s", id))
	}
	defer func() {
		if _, err := p.Delete(bg, client.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			r.log.Warn("delete exec process", "container", id, "err", err)
		}
	}()
	exitc, err := p.Wait(bg)
	if err != nil {
		return runtime.ExecResult{}, ctxOr(ctx, wrap(err, "wait exec in %s", id))
	}
	if err := p.Start(ctx); err != nil {
		return runtime.ExecResult{}, ctxOr(ctx, wrap(err, "start exec in %s", id))
	}
	select {
	case es := <-exitc:
		code, _, err := es.Result()
		if err != nil {
			return runtime.ExecResult{}, wrap(err, "exec in %s", id)
		}
		// Wait for the output copy to finish.
		if pio := p.IO(); pio != nil {
			pio.Wait()
		}
		out.mu <- struct{}{}
		res := runtime.ExecResult{ExitCode: int(code), Output: bytes.Clone(out.buf.Bytes())}
		<-out.mu
		return res, nil
	case <-ctx.Done():
		// Kill the probe's process and wait for it, so timed-out probes
		// never pile up.
		if err := p.Kill(bg, syscall.SIGKILL); err != nil && !errdefs.IsNotFound(err) {
			r.log.Warn("kill exec process", "container", id, "err", err)
		}
		<-exitc
		return runtime.ExecResult{}, fmt.Errorf("containerd: exec in %s: %w", id, ctx.Err())
	}
}

// ctxOr returns err, made to wrap the context's error when ctx has ended:
// an RPC cut short by the caller's deadline does not always say so.
func ctxOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// ExecProcesses counts the processes of a running container besides its
// main one: exec'd processes that are still alive. For tests.
func (r *Runtime) ExecProcesses(ctx context.Context, id string) (int, error) {
	ctx = r.nsctx(ctx)
	t, err := r.runningTask(ctx, id)
	if err != nil {
		return 0, err
	}
	ps, err := t.Pids(ctx)
	if err != nil {
		return 0, wrap(err, "pids %s", id)
	}
	return len(ps) - 1, nil
}

// Logs implements runtime.Containers.
func (r *Runtime) Logs(ctx context.Context, id string, w io.Writer) error {
	ctx = r.nsctx(ctx)
	if _, err := r.client.LoadContainer(ctx, id); err != nil {
		return wrap(err, "container %s", id)
	}
	base := r.logPath(id)
	for i := r.cfg.LogMaxFiles; i >= 0; i-- {
		p := base
		if i > 0 {
			p = fmt.Sprintf("%s.%d", base, i)
		}
		f, err := os.Open(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("containerd: logs of %s: %w", id, err)
		}
		_, err = io.Copy(w, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("containerd: logs of %s: %w", id, err)
		}
	}
	return nil
}
