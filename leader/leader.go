package leader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// Elector elects a leader among processes. It has the shape of
// reconcile.Elector, so an Elector plugs into a controller directly.
type Elector interface {
	// Elect blocks until this process leads or ctx ends (then it returns
	// ctx's error). The returned context ends when leadership may be
	// lost, or when ctx ends; leadership is given up (resigned) once ctx
	// ends. Safe for concurrent use; each call campaigns separately.
	Elect(ctx context.Context) (context.Context, error)
}

// ElectorFunc adapts a function to an Elector.
type ElectorFunc func(ctx context.Context) (context.Context, error)

// Elect calls f.
func (f ElectorFunc) Elect(ctx context.Context) (context.Context, error) { return f(ctx) }

// Run calls lead while this process leads, and campaigns again when lead
// returns, until ctx ends. lead gets a context that ends when leadership
// may be lost; it must return promptly then. Each term is resigned when
// lead returns. Run returns nil once ctx ends, or Elect's error.
func Run(ctx context.Context, e Elector, lead func(ctx context.Context)) error {
	for ctx.Err() == nil {
		// The term is not a child of ctx: when ctx ends, lead is told to
		// stop at once, but the lease is given up only after lead has
		// returned. Resigning as soon as ctx ends would let the next
		// leader start while this one is still winding down.
		term, resign := context.WithCancel(context.WithoutCancel(ctx))
		stopCampaign := context.AfterFunc(ctx, resign)
		lctx, err := e.Elect(term)
		stopCampaign()
		if err != nil || ctx.Err() != nil {
			resign()
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		work, stopWork := context.WithCancel(lctx)
		stopOnCtx := context.AfterFunc(ctx, stopWork)
		lead(work)
		stopOnCtx()
		stopWork()
		resign()
	}
	return nil
}

// Config configures a LeaseElector.
type Config struct {
	// Store holds the Lease object. Required.
	Store store.Store
	// Namespace and Name name the Lease. Name is required; Namespace
	// defaults to "default".
	Namespace, Name string
	// Identity names this candidate in the Lease; it must be unique
	// among candidates (a candidate takes a lease held under its own
	// identity at once). Defaults to the host name and process id.
	Identity string
	// LeaseDuration is how long a candidate waits, after it last saw the
	// lease change, before it takes over. Defaults to 15s.
	LeaseDuration time.Duration
	// RenewDeadline is how long a leader keeps acting without a
	// successful renewal; it must be less than LeaseDuration, and the
	// difference is the time the leader's work has to stop. Defaults to
	// 10s.
	RenewDeadline time.Duration
	// RetryPeriod is the interval between renewals and between attempts
	// to acquire. Defaults to 2s.
	RetryPeriod time.Duration
	// Logger receives transitions. Defaults to discarding.
	Logger *slog.Logger
}

// LeaseElector is an Elector on a Lease object in a store.Store. It is
// safe for concurrent use.
type LeaseElector struct {
	cfg Config
	log *slog.Logger
	wg  sync.WaitGroup
}

var _ Elector = (*LeaseElector)(nil)

// New returns a LeaseElector.
func New(cfg Config) (*LeaseElector, error) {
	if cfg.Store == nil || cfg.Name == "" {
		return nil, fmt.Errorf("leader: Store and Name are required: %w", store.ErrInvalid)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.Identity == "" {
		host, _ := os.Hostname()
		cfg.Identity = host + "_" + strconv.Itoa(os.Getpid())
	}
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = 15 * time.Second
	}
	if cfg.RenewDeadline == 0 {
		cfg.RenewDeadline = 10 * time.Second
	}
	if cfg.RetryPeriod == 0 {
		cfg.RetryPeriod = 2 * time.Second
	}
	if cfg.RenewDeadline >= cfg.LeaseDuration || cfg.RetryPeriod >= cfg.RenewDeadline || cfg.RetryPeriod <= 0 {
		return nil, fmt.Errorf("leader: need 0 < RetryPeriod (%v) < RenewDeadline (%v) < LeaseDuration (%v): %w",
			cfg.RetryPeriod, cfg.RenewDeadline, cfg.LeaseDuration, store.ErrInvalid)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &LeaseElector{cfg: cfg, log: log.With("lease", cfg.Namespace+"/"+cfg.Name, "identity", cfg.Identity)}, nil
}

// Identity returns the candidate's identity.
func (e *LeaseElector) Identity() string { return e.cfg.Identity }

// Run is leader.Run on e, and waits for e's background work to end.
func (e *LeaseElector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	err := Run(ctx, e, lead)
	e.Wait()
	return err
}

// Wait blocks until the renewal goroutines of every term whose context
// has ended are gone (each resigns first).
func (e *LeaseElector) Wait() { e.wg.Wait() }

// Elect implements Elector. The lease is released when ctx ends: a
// caller that keeps acting after that (rather than stopping when the
// returned context ends, which it does at the same moment) may overlap
// with the next leader. Run resigns only after lead has returned.
func (e *LeaseElector) Elect(ctx context.Context) (context.Context, error) {
	cur, renewed, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	e.log.Info("leading")
	e.wg.Go(func() { e.hold(ctx, lctx, cancel, cur, renewed) })
	return lctx, nil
}

func (e *LeaseElector) holder(l *api.Lease) string {
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// acquire campaigns until this candidate holds the lease. It returns the
// lease as written and the time the successful write started.
func (e *LeaseElector) acquire(ctx context.Context) (*api.Lease, time.Time, error) {
	var observedRV int64
	var observedAt time.Time
	for {
		start := time.Now()
		obj, err := e.cfg.Store.Get(ctx, api.KindLease, e.cfg.Namespace, e.cfg.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			l := e.record(nil, start)
			if got, err := e.cfg.Store.Create(ctx, l); err == nil {
				return got.(*api.Lease), start, nil
			}
		case err == nil:
			l := obj.(*api.Lease)
			if l.ResourceVersion != observedRV {
				observedRV, observedAt = l.ResourceVersion, time.Now()
			}
			h := e.holder(l)
			// Free, ours (a previous term of this identity), or unchanged
			// for a whole lease duration of our own time.
			if h == "" || h == e.cfg.Identity || time.Since(observedAt) >= e.cfg.LeaseDuration {
				if got, err := e.cfg.Store.Update(ctx, e.record(l, start)); err == nil {
					return got.(*api.Lease), start, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		case <-time.After(e.cfg.RetryPeriod):
		}
	}
}

// record returns the lease held by this candidate, from the stored one
// (nil: a new lease), renewed at now.
func (e *LeaseElector) record(stored *api.Lease, now time.Time) *api.Lease {
	l := &api.Lease{ObjectMeta: api.ObjectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.Name}}
	if stored != nil {
		l = stored.DeepCopyObject().(*api.Lease)
	}
	id := e.cfg.Identity
	secs := int32((e.cfg.LeaseDuration + time.Second - 1) / time.Second)
	t := now.UTC()
	if e.holder(l) != id {
		var n int32
		if l.Spec.LeaseTransitions != nil {
			n = *l.Spec.LeaseTransitions
		}
		if stored != nil && e.holder(l) != "" {
			n++
		}
		l.Spec.LeaseTransitions = &n
		l.Spec.AcquireTime = &t
	}
	l.Spec.HolderIdentity = &id
	l.Spec.LeaseDurationSeconds = &secs
	l.Spec.RenewTime = &t
	return l
}

// hold renews the lease every RetryPeriod. lctx is cancelled when a
// renewal has not succeeded for RenewDeadline since the start of the
// last successful one, or when the lease is found taken; the lease is
// released once ctx ends.
func (e *LeaseElector) hold(ctx, lctx context.Context, cancel context.CancelFunc, cur *api.Lease, renewed time.Time) {
	defer cancel()
	deadline := time.NewTimer(time.Until(renewed.Add(e.cfg.RenewDeadline)))
	defer deadline.Stop()
	tick := time.NewTicker(e.cfg.RetryPeriod)
	defer tick.Stop()
	for {
		select {
		case <-lctx.Done():
			// Only ctx ends lctx from outside; losing it returns below.
			e.release(cur)
			return
		case <-deadline.C:
			cancel()
			e.log.Warn("leadership lost: no renewal within the renew deadline")
			return
		case <-tick.C:
		}
		start := time.Now()
		rctx, rcancel := context.WithDeadline(lctx, renewed.Add(e.cfg.RenewDeadline))
		got, err := e.cfg.Store.Update(rctx, e.record(cur, start))
		rcancel()
		switch {
		case err == nil:
			cur, renewed = got.(*api.Lease), start
			deadline.Reset(time.Until(renewed.Add(e.cfg.RenewDeadline)))
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
			// Someone else wrote the lease: it is no longer ours.
			cancel()
			e.log.Warn("leadership lost: lease changed by another writer", "err", err)
			return
		default:
			e.log.Debug("renewal failed; retrying until the renew deadline", "err", err)
		}
	}
}

// release gives the lease up so that another candidate can take over at
// once. It is best effort: if it fails, the lease expires.
func (e *LeaseElector) release(cur *api.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RetryPeriod)
	defer cancel()
	l := cur.DeepCopyObject().(*api.Lease)
	empty := ""
	l.Spec.HolderIdentity = &empty
	if _, err := e.cfg.Store.Update(ctx, l); err != nil {
		e.log.Info("release failed; the lease will expire", "err", err)
		return
	}
	e.log.Info("released")
}
