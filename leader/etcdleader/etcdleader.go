package etcdleader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/fleetkit/orchestrator/leader"
	"github.com/fleetkit/orchestrator/store"
)

// Config configures an Elector.
type Config struct {
	// Client is the etcd client; the Elector does not close it. Required.
	Client *clientv3.Client
	// Election is the key prefix candidates campaign under, e.g.
	// "/fleetkit/leader/scheduler". Required.
	Election string
	// Identity is the value this candidate proclaims (for observers;
	// the election itself is by session). Defaults to the host name and
	// process id.
	Identity string
	// TTL is the session lease's time to live, rounded up to whole
	// seconds: how long a dead leader blocks the election. Defaults to
	// 10s.
	TTL time.Duration
	// RenewDeadline is how long the leader acts after sending its last
	// acknowledged renewal. Must be less than TTL. Defaults to 2/3 TTL.
	RenewDeadline time.Duration
	// RenewInterval is the interval between renewals. Must be less than
	// RenewDeadline. Defaults to 1/3 TTL.
	RenewInterval time.Duration
	// Logger receives transitions. Defaults to discarding.
	Logger *slog.Logger
}

// Elector is a leader.Elector on etcd. Safe for concurrent use.
type Elector struct {
	cfg Config
	ttl int64 // seconds
	log *slog.Logger
	wg  sync.WaitGroup
}

var _ leader.Elector = (*Elector)(nil)

// New returns an Elector.
func New(cfg Config) (*Elector, error) {
	if cfg.Client == nil || cfg.Election == "" {
		return nil, fmt.Errorf("etcdleader: Client and Election are required: %w", store.ErrInvalid)
	}
	if !strings.HasSuffix(cfg.Election, "/") {
		cfg.Election += "/"
	}
	if cfg.Identity == "" {
		host, _ := os.Hostname()
		cfg.Identity = host + "_" + strconv.Itoa(os.Getpid())
	}
	if cfg.TTL == 0 {
		cfg.TTL = 10 * time.Second
	}
	secs := int64((cfg.TTL + time.Second - 1) / time.Second)
	cfg.TTL = time.Duration(secs) * time.Second
	if cfg.RenewDeadline == 0 {
		cfg.RenewDeadline = cfg.TTL * 2 / 3
	}
	if cfg.RenewInterval == 0 {
		cfg.RenewInterval = cfg.TTL / 3
	}
	if cfg.RenewInterval <= 0 || cfg.RenewInterval >= cfg.RenewDeadline || cfg.RenewDeadline >= cfg.TTL {
		return nil, fmt.Errorf("etcdleader: need 0 < RenewInterval (%v) < RenewDeadline (%v) < TTL (%v): %w",
			cfg.RenewInterval, cfg.RenewDeadline, cfg.TTL, store.ErrInvalid)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Elector{cfg: cfg, ttl: secs, log: log.With("election", cfg.Election, "identity", cfg.Identity)}, nil
}

// Run is leader.Run on e, and waits for e's background work to end.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	err := leader.Run(ctx, e, lead)
	e.Wait()
	return err
}

// Wait blocks until the goroutines of every term whose context has ended
// are gone (each resigns and revokes its lease first).
func (e *Elector) Wait() { e.wg.Wait() }

// Elect implements leader.Elector. Leadership is resigned (and the
// session's lease revoked) when ctx ends.
func (e *Elector) Elect(ctx context.Context) (context.Context, error) {
	for {
		lctx, err := e.term(ctx)
		if err == nil {
			return lctx, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e.log.Info("campaign failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(e.cfg.RenewInterval):
		}
	}
}

// term opens a session, campaigns and, once elected, returns the
// leader's context. The session's goroutine outlives the call.
func (e *Elector) term(ctx context.Context) (context.Context, error) {
	sent := time.Now()
	grant, err := e.cfg.Client.Grant(ctx, e.ttl)
	if err != nil {
		return nil, fmt.Errorf("etcdleader: grant: %w", err)
	}
	// The session's own keep-alive also runs; renewals are timed by hold.
	sess, err := concurrency.NewSession(e.cfg.Client, concurrency.WithLease(grant.ID), concurrency.WithContext(ctx))
	if err != nil {
		e.revoke(grant.ID)
		return nil, fmt.Errorf("etcdleader: session: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	e.wg.Go(func() { e.hold(ctx, sctx, cancel, sess, sent) })
	el := concurrency.NewElection(sess, e.cfg.Election)
	if err := el.Campaign(sctx, e.cfg.Identity); err != nil {
		cancel()
		return nil, fmt.Errorf("etcdleader: campaign: %w", err)
	}
	if sctx.Err() != nil {
		return nil, fmt.Errorf("etcdleader: session lost while elected: %w", sctx.Err())
	}
	e.log.Info("leading")
	return sctx, nil
}

// hold renews the session's lease and cancels sctx when leadership may
// be lost; once ctx ends it resigns and revokes.
func (e *Elector) hold(ctx, sctx context.Context, cancel context.CancelFunc, sess *concurrency.Session, acked time.Time) {
	defer cancel()
	deadline := time.NewTimer(time.Until(acked.Add(e.cfg.RenewDeadline)))
	defer deadline.Stop()
	tick := time.NewTicker(e.cfg.RenewInterval)
	defer tick.Stop()
	for {
		select {
		case <-sctx.Done():
			e.close(sess)
			return
		case <-sess.Done():
			cancel()
			e.log.Warn("leadership lost: session ended")
			e.close(sess)
			return
		case <-deadline.C:
			cancel()
			e.log.Warn("leadership lost: no renewal acknowledged within the renew deadline")
			e.close(sess)
			return
		case <-tick.C:
		}
		sent := time.Now()
		rctx, rcancel := context.WithDeadline(sctx, acked.Add(e.cfg.RenewDeadline))
		_, err := e.cfg.Client.KeepAliveOnce(rctx, sess.Lease())
		rcancel()
		switch {
		case err == nil:
			acked = sent
			deadline.Reset(time.Until(acked.Add(e.cfg.RenewDeadline)))
		case errors.Is(err, context.Canceled) && sctx.Err() != nil:
			// ctx ended during the renewal: the next loop resigns.
		default:
			if strings.Contains(err.Error(), "lease not found") {
				cancel()
				e.log.Warn("leadership lost: lease gone", "err", err)
				e.close(sess)
				return
			}
			e.log.Debug("renewal failed; retrying until the renew deadline", "err", err)
		}
	}
}

// close resigns (by revoking the session's lease, which deletes the
// campaign key) so that the next candidate takes over at once. Best
// effort: if etcd cannot be reached, the lease expires after TTL.
func (e *Elector) close(sess *concurrency.Session) {
	e.revoke(sess.Lease())
	sess.Orphan() // stop its keep-alive; the lease is revoked or expiring
}

func (e *Elector) revoke(id clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewInterval)
	defer cancel()
	if _, err := e.cfg.Client.Revoke(ctx, id); err != nil {
		e.log.Info("revoke failed; the lease will expire", "err", err)
	}
}
