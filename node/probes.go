package node

import (
	"context"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/node/probe"
	"github.com/fleetkit/orchestrator/runtime"
)

// probeSet runs the probes of one running container. Its goroutines are
// owned by the set: stop cancels and waits for them.
type probeSet struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	startedCh chan struct{}

	mu         sync.Mutex
	started    bool
	ready      bool
	liveFailed bool
	reason     string
}

func (ps *probeSet) state() (started, ready, liveFailed bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.started, ps.ready, ps.liveFailed
}

func (ps *probeSet) stop() {
	if ps == nil {
		return
	}
	ps.cancel()
	ps.wg.Wait()
}

func probePeriod(p *api.Probe) time.Duration {
	if p.PeriodMilliseconds > 0 {
		return time.Duration(p.PeriodMilliseconds) * time.Millisecond
	}
	if p.PeriodSeconds > 0 {
		return time.Duration(p.PeriodSeconds) * time.Second
	}
	return 10 * time.Second
}

// startProbes starts the probes of container c (runtime id) and returns
// their set; wake is called whenever a result changes.
func (a *Agent) startProbes(ctx context.Context, c *api.Container, id, podIP string, wake func()) *probeSet {
	ctx, cancel := context.WithCancel(ctx)
	ps := &probeSet{cancel: cancel, startedCh: make(chan struct{})}
	ps.started = c.StartupProbe == nil
	if ps.started {
		close(ps.startedCh)
	}
	ps.ready = c.ReadinessProbe == nil
	target := probe.Target{ContainerID: id, PodIP: podIP, Ports: c.Ports}
	run := func(kind runtime.ProbeKind, p *api.Probe) {
		ps.wg.Add(1)
		go func() {
			defer ps.wg.Done()
			a.probeLoop(ctx, ps, kind, p, target, wake)
		}()
	}
	if c.StartupProbe != nil {
		run(runtime.ProbeStartup, c.StartupProbe)
	}
	if c.LivenessProbe != nil {
		run(runtime.ProbeLiveness, c.LivenessProbe)
	}
	if c.ReadinessProbe != nil {
		run(runtime.ProbeReadiness, c.ReadinessProbe)
	}
	return ps
}

func (a *Agent) probeLoop(ctx context.Context, ps *probeSet, kind runtime.ProbeKind, p *api.Probe, t probe.Target, wake func()) {
	if kind != runtime.ProbeStartup {
		select {
		case <-ctx.Done():
			return
		case <-ps.startedCh:
		}
	}
	if p.InitialDelaySeconds > 0 && !sleepClock(ctx, a.clk, time.Duration(p.InitialDelaySeconds)*time.Second) {
		return
	}
	successT, failureT := max(1, int(p.SuccessThreshold)), max(1, int(p.FailureThreshold))
	if p.FailureThreshold == 0 {
		failureT = 3
	}
	period := probePeriod(p)
	var successes, failures int
	// Until a startup or readiness probe first succeeds it is retried
	// sooner than its period (25ms, doubling to at most 100ms), so that a
	// container that comes up a few milliseconds after its process starts
	// is not kept unready for a whole period. Liveness keeps its period.
	fast := kind != runtime.ProbeLiveness
	retry := 25 * time.Millisecond
	for {
		ok, err := a.prober.Run(ctx, kind, p, t)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			ok = false
		}
		if ok {
			successes, failures = successes+1, 0
		} else {
			successes, failures = 0, failures+1
		}
		changed := false
		ps.mu.Lock()
		switch kind {
		case runtime.ProbeStartup:
			if successes >= successT {
				ps.started, changed = true, true
				close(ps.startedCh)
			} else if failures >= failureT {
				ps.liveFailed, ps.reason, changed = true, "startup probe failed", true
			}
		case runtime.ProbeLiveness:
			if failures >= failureT {
				ps.liveFailed, ps.reason, changed = true, "liveness probe failed", true
			}
		case runtime.ProbeReadiness:
			if successes >= successT && !ps.ready {
				ps.ready, changed = true, true
			} else if failures >= failureT && ps.ready {
				ps.ready, changed = false, true
			}
		}
		done := kind != runtime.ProbeReadiness && changed
		ps.mu.Unlock()
		if changed {
			wake()
		}
		if done {
			return
		}
		wait := period
		if fast && ok {
			fast = false
		}
		if fast && retry < period {
			wait, retry = retry, min(retry*2, 100*time.Millisecond)
		}
		if !sleepClock(ctx, a.clk, wait) {
			return
		}
	}
}
