package node

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/store"
)

// worker reconciles one pod. Fields below mu are shared with the agent;
// the rest belong to the run goroutine.
type worker struct {
	a     *Agent
	uid   api.UID
	wakec chan struct{}

	mu   sync.Mutex
	pod  *api.Pod
	gone bool
	ids  map[string]bool

	admitted bool
	rejected bool
	sb       *runtime.Sandbox
	podIP    string
	// The network is set up on its own goroutine (owned by bg) while the
	// first containers are created; netCh closes when it is done.
	bg         sync.WaitGroup
	netCh      chan struct{}
	netIP      string
	netErr     error
	startTime  *time.Time
	containers map[string]*cstate
	lastStatus *api.PodStatus
	terminated bool
}

// cstate is what the worker knows of one container of the pod.
type cstate struct {
	id          string // current runtime container, "" before the first
	attempt     int
	restarts    int32
	everStarted bool
	last        *api.ContainerStateTerminated // lastState
	term        *api.ContainerStateTerminated // current, when exited
	handledExit string                        // container id whose exit was accounted
	backoff     time.Duration
	restartAt   time.Time
	done        bool // exited and will not restart
	waiting     string
	waitingMsg  string
	probes      *probeSet
	probesFor   string
	killReason  string
	startedAt   time.Time
}

func newWorker(a *Agent, p *api.Pod) *worker {
	w := &worker{a: a, uid: p.UID, wakec: make(chan struct{}, 1), pod: p, ids: map[string]bool{}, containers: map[string]*cstate{}}
	st := p.Status
	w.lastStatus = &st
	return w
}

func (w *worker) wake() {
	select {
	case w.wakec <- struct{}{}:
	default:
	}
}

func (w *worker) update(p *api.Pod) {
	w.mu.Lock()
	w.pod = p
	w.mu.Unlock()
	w.wake()
}

func (w *worker) deleted() {
	w.mu.Lock()
	w.gone = true
	w.mu.Unlock()
	w.wake()
}

func (w *worker) owns(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ids[id]
}

func (w *worker) setID(old, id string) {
	w.mu.Lock()
	delete(w.ids, old)
	if id != "" {
		w.ids[id] = true
	}
	w.mu.Unlock()
}

func (w *worker) snapshot() (*api.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.gone
}

func (w *worker) run(ctx context.Context) {
	defer w.bg.Wait()
	defer func() {
		for _, cs := range w.containers {
			cs.probes.stop()
		}
	}()
	for {
		next, finished := w.sync(ctx)
		if finished || ctx.Err() != nil {
			return
		}
		if next <= 0 || next > w.a.cfg.ResyncInterval {
			next = w.a.cfg.ResyncInterval
		}
		t := w.a.clk.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.wakec:
		case <-t.Chan():
		}
		t.Stop()
	}
}

func (w *worker) gracePeriod(p *api.Pod) time.Duration {
	switch {
	case p.DeletionGracePeriodSeconds != nil:
		return time.Duration(*p.DeletionGracePeriodSeconds) * time.Second
	case p.Spec.TerminationGracePeriodSeconds != nil:
		return time.Duration(*p.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return w.a.cfg.DefaultGracePeriod
}

// sync takes the next steps for the pod and reports when it wants to run
// again (0: at the next resync) and whether the worker is finished.
func (w *worker) sync(ctx context.Context) (time.Duration, bool) {
	a := w.a
	a.metrics.syncs.Inc()
	pod, gone := w.snapshot()
	if gone || pod.DeletionTimestamp != nil {
		return w.terminate(ctx, pod, gone)
	}
	if w.rejected {
		return 0, false
	}
	if !w.admitted {
		if ok, res, msg := a.admit(pod); !ok {
			w.rejected = true
			st := pod.Status
			st.Phase, st.Reason, st.Message = api.PodFailed, "OutOf"+string(res), msg
			st.Conditions = setCondition(st.Conditions, api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue}, a.clk.Now())
			w.writeStatus(ctx, pod, st)
			return 0, false
		}
		w.admitted = true
	}
	if w.sb == nil {
		if err := w.setupSandbox(ctx, pod); err != nil {
			a.log.Warn("sandbox", "pod", pod.Namespace+"/"+pod.Name, "err", err)
			w.writeStatus(ctx, pod, w.computeStatus(pod))
			return a.cfg.BackoffInitial, false
		}
	}
	if w.podIP == "" {
		select {
		case <-w.netCh:
			if err := w.waitNet(ctx); err != nil {
				return a.cfg.BackoffInitial, false
			}
		default:
		}
	}
	list, err := a.rt.ListContainers(ctx, w.sb.ID)
	if err != nil {
		a.log.Warn("list containers", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return time.Second, false
	}
	byID := make(map[string]runtime.ContainerStatus, len(list))
	for _, c := range list {
		byID[c.ID] = c
	}
	now := a.clk.Now()
	var next time.Duration
	soon := func(d time.Duration) {
		if d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cs := w.containers[c.Name]
		if cs == nil {
			cs = &cstate{}
			w.containers[c.Name] = cs
		}
		if cs.done {
			continue
		}
		st, has := byID[cs.id]
		switch {
		case cs.id == "":
			soon(w.startContainer(ctx, pod, c, cs, 0))
			continue
		case !has:
			// Removed behind our back: count it as an exit.
			st = runtime.ContainerStatus{ID: cs.id, State: runtime.StateExited, ExitCode: 255, Reason: runtime.ReasonError, FinishedAt: now}
		}
		switch st.State {
		case runtime.StateCreated:
			if err := a.rt.StartContainer(ctx, cs.id); err != nil {
				cs.waiting, cs.waitingMsg = "CreateContainerError", err.Error()
				soon(time.Second)
			} else {
				a.metrics.starts.Inc()
				cs.everStarted = true
				soon(time.Millisecond)
			}
		case runtime.StateRunning:
			cs.everStarted = true
			cs.waiting = ""
			cs.startedAt = st.StartedAt.UTC().Round(0)
			if cs.probesFor != cs.id {
				cs.probes.stop()
				cs.probes, cs.probesFor = a.startProbes(ctx, c, cs.id, w.podIP, w.wake), cs.id
			}
			if _, _, failed := cs.probes.state(); failed {
				cs.killReason = cs.probes.reason
				a.log.Info("restarting container", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "reason", cs.killReason)
				if err := a.rt.StopContainer(ctx, cs.id, w.gracePeriod(pod)); err != nil {
					a.log.Warn("stop container", "err", err)
				}
				soon(time.Millisecond)
			}
		case runtime.StateExited:
			soon(w.handleExit(ctx, pod, c, cs, st, now))
		default:
			soon(time.Second)
		}
	}
	w.writeStatus(ctx, pod, w.computeStatus(pod))
	return next, false
}

// handleExit accounts for an exited container and restarts it when the
// policy says so and its back-off has passed.
func (w *worker) handleExit(ctx context.Context, pod *api.Pod, c *api.Container, cs *cstate, st runtime.ContainerStatus, now time.Time) time.Duration {
	a := w.a
	if cs.handledExit != st.ID {
		cs.handledExit = st.ID
		cs.everStarted = true
		cs.probes.stop()
		cs.probes, cs.probesFor = nil, ""
		reason := st.Reason
		if reason == "" {
			reason = runtime.ReasonError
		}
		cs.term = &api.ContainerStateTerminated{
			ExitCode: st.ExitCode, Reason: reason, Message: cs.killReason,
			StartedAt: st.StartedAt.UTC().Round(0), FinishedAt: st.FinishedAt.UTC().Round(0), ContainerID: containerID(st.ID),
		}
		cs.killReason = ""
		restart := false
		switch pod.Spec.RestartPolicy {
		case api.RestartPolicyNever:
		case api.RestartPolicyOnFailure:
			restart = st.ExitCode != 0
		default:
			restart = true
		}
		if !restart {
			cs.done = true
			return 0
		}
		if !st.StartedAt.IsZero() && st.FinishedAt.Sub(st.StartedAt) >= a.cfg.BackoffReset {
			cs.backoff = 0
		}
		cs.restartAt = now.Add(cs.backoff)
		if cs.backoff == 0 {
			cs.backoff = a.cfg.BackoffInitial
		} else {
			cs.backoff = min(cs.backoff*2, a.cfg.BackoffMax)
		}
	}
	if wait := cs.restartAt.Sub(now); wait > 0 {
		cs.waiting, cs.waitingMsg = "CrashLoopBackOff", fmt.Sprintf("back-off %s restarting failed container %s", wait.Round(time.Millisecond), c.Name)
		return wait
	}
	old := cs.id
	if d := w.startContainer(ctx, pod, c, cs, cs.attempt+1); d > 0 {
		return d
	}
	a.metrics.restarts.Inc()
	cs.restarts++
	cs.last, cs.term = cs.term, nil
	if err := a.rt.RemoveContainer(ctx, old); err != nil {
		a.log.Warn("remove old container", "container", old, "err", err)
	}
	return 0
}

// startContainer creates and starts attempt of c. It returns how long to
// wait before retrying when it failed, 0 on success.
func (w *worker) startContainer(ctx context.Context, pod *api.Pod, c *api.Container, cs *cstate, attempt int) time.Duration {
	a := w.a
	if a.imagePresent(c.Image) {
		// Checked within the last minute; a create that still finds no
		// image forgets it below.
	} else if _, err := a.rt.ImageStatus(ctx, c.Image); err != nil {
		if !errors.Is(err, runtime.ErrNotFound) {
			cs.waiting, cs.waitingMsg = "ErrImagePull", err.Error()
			return time.Second
		}
		if c.ImagePullPolicy == "Never" {
			cs.waiting, cs.waitingMsg = "ErrImageNeverPull", fmt.Sprintf("image %s is not present and pull policy is Never", c.Image)
			return a.cfg.BackoffInitial
		}
		cs.waiting, cs.waitingMsg = "ContainerCreating", "pulling "+c.Image
		if _, err := a.rt.PullImage(ctx, c.Image); err != nil {
			cs.waiting, cs.waitingMsg = "ErrImagePull", err.Error()
			return a.cfg.BackoffInitial
		}
		a.sawImage(c.Image)
	} else {
		a.sawImage(c.Image)
	}
	if needsPodIP(c) {
		if err := w.waitNet(ctx); err != nil {
			cs.waiting, cs.waitingMsg = "ContainerCreating", err.Error()
			return a.cfg.BackoffInitial
		}
	}
	cfg := a.containerConfig(pod, c, attempt, w.podIP)
	id, err := a.rt.CreateContainer(ctx, w.sb.ID, cfg)
	if errors.Is(err, runtime.ErrAlreadyExists) {
		// Created by an earlier pass or agent; find and adopt it.
		list, lerr := a.rt.ListContainers(ctx, w.sb.ID)
		if lerr == nil {
			for _, s := range list {
				if s.Name == c.Name && s.Attempt == attempt {
					id, err = s.ID, nil
				}
			}
		}
	}
	if err != nil {
		if errors.Is(err, runtime.ErrNotFound) {
			a.forgetImage(c.Image)
		}
		cs.waiting, cs.waitingMsg = "CreateContainerError", err.Error()
		return a.cfg.BackoffInitial
	}
	w.setID(cs.id, id)
	cs.id, cs.attempt = id, attempt
	if err := w.waitNet(ctx); err != nil {
		cs.waiting, cs.waitingMsg = "ContainerCreating", err.Error()
		return a.cfg.BackoffInitial
	}
	if err := a.rt.StartContainer(ctx, id); err != nil && !errors.Is(err, runtime.ErrFailedPrecondition) {
		cs.waiting, cs.waitingMsg = "RunContainerError", err.Error()
		return time.Second
	}
	a.metrics.starts.Inc()
	cs.everStarted, cs.waiting, cs.waitingMsg = true, "", ""
	return 0
}

// waitNet waits for the network set-up started by setupSandbox. On
// failure the sandbox is dropped so that the next pass sets it up again
// (both steps are idempotent).
func (w *worker) waitNet(ctx context.Context) error {
	select {
	case <-w.netCh:
	case <-ctx.Done():
		return ctx.Err()
	}
	if w.netErr != nil {
		err := fmt.Errorf("pod network: %w", w.netErr)
		w.a.log.Warn("pod network", "pod", string(w.uid), "err", err)
		w.sb, w.netErr = nil, nil
		return err
	}
	w.podIP = w.netIP
	return nil
}

func needsPodIP(c *api.Container) bool {
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP" {
			return true
		}
	}
	return false
}

// setupSandbox runs (or adopts) the pod's sandbox and network and adopts
// containers that an earlier agent left running.
func (w *worker) setupSandbox(ctx context.Context, pod *api.Pod) error {
	a := w.a
	sb, err := a.rt.RunSandbox(ctx, a.sandboxConfig(pod))
	if err != nil {
		return err
	}
	w.sb = &sb
	w.netCh = make(chan struct{})
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		defer close(w.netCh)
		w.netIP, w.netErr = a.net.Setup(ctx, sb, pod)
	}()
	if pod.Status.StartTime != nil {
		t := *pod.Status.StartTime
		w.startTime = &t
	} else {
		t := a.clk.Now().UTC().Round(0).Truncate(time.Second)
		w.startTime = &t
	}
	list, err := a.rt.ListContainers(ctx, sb.ID)
	if err != nil {
		return err
	}
	// Adopt the latest attempt of each container; remove older ones.
	latest := map[string]runtime.ContainerStatus{}
	sort.Slice(list, func(i, j int) bool { return list[i].Attempt < list[j].Attempt })
	for _, c := range list {
		if prev, ok := latest[c.Name]; ok {
			if err := a.rt.RemoveContainer(ctx, prev.ID); err != nil {
				a.log.Warn("remove superseded container", "container", prev.ID, "err", err)
			}
		}
		latest[c.Name] = c
	}
	prevStatus := map[string]api.ContainerStatus{}
	for _, s := range pod.Status.ContainerStatuses {
		prevStatus[s.Name] = s
	}
	for name, c := range latest {
		cs := &cstate{id: c.ID, attempt: c.Attempt, restarts: int32(c.Attempt), everStarted: c.State != runtime.StateCreated}
		if ps, ok := prevStatus[name]; ok {
			cs.last = ps.LastState.Terminated
			if cs.restarts < ps.RestartCount {
				cs.restarts = ps.RestartCount
			}
		}
		w.containers[name] = cs
		w.setID("", c.ID)
	}
	return nil
}

// terminate stops the pod: SIGTERM, grace period, SIGKILL; then removes
// containers, network and sandbox. The worker finishes once the pod is gone
// from the store.
func (w *worker) terminate(ctx context.Context, pod *api.Pod, gone bool) (time.Duration, bool) {
	a := w.a
	if !w.terminated {
		if w.netCh != nil {
			<-w.netCh
		}
		for _, cs := range w.containers {
			cs.probes.stop()
			cs.probes, cs.probesFor = nil, ""
		}
		sb := w.sb
		if sb == nil {
			sbs, err := a.rt.ListSandboxes(ctx)
			if err != nil {
				return time.Second, false
			}
			for i := range sbs {
				if sbs[i].ID == string(w.uid) {
					sb = &sbs[i]
				}
			}
		}
		if sb != nil {
			if err := a.removeSandbox(ctx, *sb, w.gracePeriod(pod)); err != nil {
				if ctx.Err() == nil {
					a.log.Warn("terminate pod", "pod", pod.Namespace+"/"+pod.Name, "err", err)
				}
				return time.Second, false
			}
		}
		w.terminated = true
		a.release(w.uid)
	}
	if gone {
		return 0, true
	}
	st := pod.Status
	if st.Phase != api.PodSucceeded && st.Phase != api.PodFailed {
		st.Phase = api.PodFailed
		if st.Reason == "" {
			st.Reason = "Terminated"
		}
	}
	st.Conditions = setCondition(st.Conditions, api.PodCondition{Type: api.PodReady, Status: api.ConditionFalse, Reason: "PodTerminated"}, a.clk.Now())
	st.Conditions = setCondition(st.Conditions, api.PodCondition{Type: api.ContainersReady, Status: api.ConditionFalse, Reason: "PodTerminated"}, a.clk.Now())
	w.writeStatus(ctx, pod, st)
	return 0, false
}

// computeStatus derives the pod's status from what the worker knows.
func (w *worker) computeStatus(pod *api.Pod) api.PodStatus {
	now := w.a.clk.Now()
	st := api.PodStatus{
		Phase: api.PodPending, PodIP: w.podIP, StartTime: w.startTime,
		Conditions: append([]api.PodCondition(nil), pod.Status.Conditions...),
		HostIP:     w.a.cfg.NodeIP, QOSClass: qosClass(pod),
	}
	allReady, allDone, allStarted, anyFailed, anyRunning := true, true, true, false, false
	for _, c := range pod.Spec.Containers {
		cs := w.containers[c.Name]
		s := api.ContainerStatus{Name: c.Name, Image: c.Image}
		if cs == nil {
			s.State.Waiting = &api.ContainerStateWaiting{Reason: "ContainerCreating"}
			allReady, allDone, allStarted = false, false, false
			st.ContainerStatuses = append(st.ContainerStatuses, s)
			continue
		}
		s.RestartCount = cs.restarts
		if cs.id != "" {
			s.ContainerID = containerID(cs.id)
		}
		if cs.last != nil {
			l := *cs.last
			s.LastState.Terminated = &l
		}
		if !cs.everStarted {
			allStarted = false
		}
		switch {
		case cs.done && cs.term != nil:
			t := *cs.term
			s.State.Terminated = &t
			if t.ExitCode != 0 {
				anyFailed = true
			}
			allReady = false
		case cs.waiting != "" || cs.id == "":
			reason := cs.waiting
			if reason == "" {
				reason = "ContainerCreating"
			}
			s.State.Waiting = &api.ContainerStateWaiting{Reason: reason, Message: cs.waitingMsg}
			if cs.term != nil && reason == "CrashLoopBackOff" {
				t := *cs.term
				s.LastState.Terminated = &t
				anyRunning = true // restarting counts as running
			}
			allReady, allDone = false, false
		case cs.term != nil:
			// Exited, restart pending this very pass.
			t := *cs.term
			s.State.Terminated = &t
			allReady, allDone, anyRunning = false, false, true
		default:
			allDone, anyRunning = false, true
			started, ready := false, false
			if cs.probes != nil {
				started, ready, _ = cs.probes.state()
			}
			s.State.Running = &api.ContainerStateRunning{StartedAt: w.containerStart(cs)}
			s.Started = &started
			s.Ready = started && ready
			if !s.Ready {
				allReady = false
			}
		}
		st.ContainerStatuses = append(st.ContainerStatuses, s)
	}
	switch {
	case allDone && len(pod.Spec.Containers) > 0:
		st.Phase = api.PodSucceeded
		if anyFailed {
			st.Phase = api.PodFailed
		}
	case allStarted && anyRunning:
		st.Phase = api.PodRunning
	}
	ready := api.ConditionFalse
	reason := "ContainersNotReady"
	if allReady && st.Phase == api.PodRunning {
		ready, reason = api.ConditionTrue, ""
	}
	if st.Phase == api.PodSucceeded {
		reason = "PodCompleted"
	}
	st.Conditions = setCondition(st.Conditions, api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue}, now)
	st.Conditions = setCondition(st.Conditions, api.PodCondition{Type: api.PodInitialized, Status: api.ConditionTrue}, now)
	st.Conditions = setCondition(st.Conditions, api.PodCondition{Type: api.ContainersReady, Status: ready, Reason: reason}, now)
	st.Conditions = setCondition(st.Conditions, api.PodCondition{Type: api.PodReady, Status: ready, Reason: reason}, now)
	return st
}

// containerStart is the running container's start time as the runtime
// reported it.
func (w *worker) containerStart(cs *cstate) time.Time {
	if cs.startedAt.IsZero() {
		return w.a.clk.Now().UTC().Round(0)
	}
	return cs.startedAt
}

// setCondition sets or replaces condition c, keeping the transition time
// when the status did not change.
// It never writes into the given slice's array: that may be shared with
// the store's copy of the pod.
func setCondition(in []api.PodCondition, c api.PodCondition, now time.Time) []api.PodCondition {
	conds := append([]api.PodCondition(nil), in...)
	for i := range conds {
		if conds[i].Type == c.Type {
			if conds[i].Status == c.Status {
				c.LastTransitionTime = conds[i].LastTransitionTime
			} else {
				c.LastTransitionTime = now.UTC().Round(0).Truncate(time.Second)
			}
			conds[i] = c
			return conds
		}
	}
	c.LastTransitionTime = now.UTC().Round(0).Truncate(time.Second)
	return append(conds, c)
}

func qosClass(p *api.Pod) string {
	any, guaranteed := false, true
	for _, c := range p.Spec.Containers {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			any = true
		}
		for _, r := range []api.ResourceName{api.ResourceCPU, api.ResourceMemory} {
			l, hasL := c.Resources.Limits[r]
			q, hasQ := c.Resources.Requests[r]
			if !hasL || (hasQ && q.Cmp(l) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return "BestEffort"
	case guaranteed:
		return "Guaranteed"
	}
	return "Burstable"
}

// writeStatus writes st when it differs from what was last written.
func (w *worker) writeStatus(ctx context.Context, pod *api.Pod, st api.PodStatus) {
	// Every time in a computed status is UTC without a monotonic reading,
	// so DeepEqual is exact here (and far cheaper than cmp.Equal, which
	// showed up in simulations of thousands of pods). A false difference
	// costs one redundant write, never a missed one.
	if w.lastStatus != nil && reflect.DeepEqual(*w.lastStatus, st) {
		return
	}
	cp := pod.DeepCopyObject().(*api.Pod)
	cp.Status = st
	cp.ResourceVersion = 0
	if _, err := w.a.st.UpdateStatus(ctx, cp); err != nil {
		if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			w.a.log.Warn("write pod status", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		}
		return
	}
	w.a.metrics.writes.Inc()
	w.lastStatus = &st
}

// imageTTL is how long an image seen present is trusted without asking
// the runtime again.
const imageTTL = time.Minute

func (a *Agent) imagePresent(ref string) bool {
	a.imgMu.Lock()
	defer a.imgMu.Unlock()
	t, ok := a.images[ref]
	return ok && a.clk.Since(t) < imageTTL
}

func (a *Agent) sawImage(ref string) {
	a.imgMu.Lock()
	a.images[ref] = a.clk.Now()
	a.imgMu.Unlock()
}

func (a *Agent) forgetImage(ref string) {
	a.imgMu.Lock()
	delete(a.images, ref)
	a.imgMu.Unlock()
}
