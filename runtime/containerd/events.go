package containerd

import (
	"context"
	"time"

	apievents "github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/typeurl/v2"

	"github.com/fleetkit/orchestrator/runtime"
)

// Subscribe implements runtime.Containers.
func (r *Runtime) Subscribe(ctx context.Context) <-chan runtime.Event { return r.events.Subscribe(ctx) }

// followEvents follows the daemon's task events until Close, re-subscribing
// with back-off when the stream breaks, and re-synchronising after each
// (re)subscription so that exits that happened meanwhile are announced.
func (r *Runtime) followEvents() {
	defer r.wg.Done()
	backoff := 50 * time.Millisecond
	first := true
	for r.ctx.Err() == nil {
		ctx, cancel := context.WithCancel(r.ctx)
		evc, errc := r.client.Subscribe(ctx, `topic=="/tasks/exit"`, `topic=="/tasks/oom"`, `topic=="/tasks/start"`)
		// The subscription is live once the daemon answers; resync after
		// subscribing so that nothing falls between the two.
		if err := r.resync(ctx, !first); err != nil {
			cancel()
			r.log.Debug("containerd unavailable; retrying", "err", err)
			if !sleepCtx(r.ctx, backoff) {
				return
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		first = false
		backoff = 50 * time.Millisecond
	loop:
		for {
			select {
			case env := <-evc:
				if env == nil || env.Namespace != r.cfg.Namespace {
					continue
				}
				r.handle(env.Topic, env.Event)
			case err := <-errc:
				if err != nil {
					r.log.Info("containerd event stream broke; resubscribing", "err", err)
				}
				break loop
			case <-r.ctx.Done():
				break loop
			}
		}
		cancel()
		if !sleepCtx(r.ctx, backoff) {
			return
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (r *Runtime) handle(topic string, any typeurl.Any) {
	if any == nil {
		return
	}
	v, err := typeurl.UnmarshalAny(any)
	if err != nil {
		return
	}
	switch e := v.(type) {
	case *apievents.TaskOOM:
		r.mu.Lock()
		r.oom[e.ContainerID] = true
		r.mu.Unlock()
	case *apievents.TaskExit:
		if e.ID != e.ContainerID && e.ID != "" {
			return // an exec'd process
		}
		r.events.Publish(runtime.Event{Type: runtime.EventExited, ContainerID: e.ContainerID})
	case *apievents.TaskStart:
		r.events.Publish(runtime.Event{Type: runtime.EventStarted, ContainerID: e.ContainerID})
	}
}

// resync checks that the daemon answers; after a reconnect it announces
// EventResync and an exit for every stopped task.
func (r *Runtime) resync(ctx context.Context, announce bool) error {
	cs, err := r.client.Containers(ctx)
	if err != nil {
		return err
	}
	if !announce {
		return nil
	}
	r.events.Publish(runtime.Event{Type: runtime.EventResync})
	for _, c := range cs {
		t, err := c.Task(ctx, nil)
		if err != nil {
			continue
		}
		st, err := t.Status(ctx)
		if err == nil && st.Status == client.Stopped {
			r.events.Publish(runtime.Event{Type: runtime.EventExited, ContainerID: c.ID()})
		}
	}
	return nil
}
