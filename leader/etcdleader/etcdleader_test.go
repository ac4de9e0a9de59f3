package etcdleader_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/leader/etcdleader"
	"github.com/fleetkit/orchestrator/reconcile"
)

// An Elector is a reconcile.Elector: controllers gate on it directly.
var _ reconcile.Elector = (*etcdleader.Elector)(nil)

// killableLease wraps a client's lease API so a test can kill the
// session: renewals and revocation fail and the session's keep-alive
// stops, as when the leader's process stalls, while the lease lives on in
// etcd until it expires.
type killableLease struct {
	clientv3.Lease
	mu     sync.Mutex
	killed bool
	stop   []context.CancelFunc
}

func (k *killableLease) KeepAlive(ctx context.Context, id clientv3.LeaseID) (<-chan *clientv3.LeaseKeepAliveResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	k.mu.Lock()
	k.stop = append(k.stop, cancel)
	killed := k.killed
	k.mu.Unlock()
	if killed {
		cancel()
	}
	return k.Lease.KeepAlive(ctx, id)
}

func (k *killableLease) KeepAliveOnce(ctx context.Context, id clientv3.LeaseID) (*clientv3.LeaseKeepAliveResponse, error) {
	k.mu.Lock()
	killed := k.killed
	k.mu.Unlock()
	if killed {
		return nil, fmt.Errorf("test: session killed")
	}
	return k.Lease.KeepAliveOnce(ctx, id)
}

func (k *killableLease) Revoke(ctx context.Context, id clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error) {
	k.mu.Lock()
	killed := k.killed
	k.mu.Unlock()
	if killed {
		return nil, fmt.Errorf("test: session killed")
	}
	return k.Lease.Revoke(ctx, id)
}

func (k *killableLease) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.killed = true
	for _, c := range k.stop {
		c()
	}
}

type leadership struct {
	mu         sync.Mutex
	active     string
	violations []string
	terms      []string
}

func (l *leadership) lead(id string) func(ctx context.Context) {
	return func(ctx context.Context) {
		l.mu.Lock()
		if l.active != "" {
			l.violations = append(l.violations, fmt.Sprintf("%s started leading while %s was active", id, l.active))
		}
		l.active = id
		l.terms = append(l.terms, id)
		l.mu.Unlock()
		<-ctx.Done()
		l.mu.Lock()
		if l.active == id {
			l.active = ""
		}
		l.mu.Unlock()
	}
}

func (l *leadership) waitLeader(t *testing.T, not string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		a := l.active
		l.mu.Unlock()
		if a != "" && a != not {
			return a
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no new leader (other than %q) within 30s", not)
	return ""
}

type candidate struct {
	client *clientv3.Client
	lease  *killableLease
	cancel context.CancelFunc
	done   chan struct{}
}

// TestFailover kills the leader's session, then partitions a leader
// (closes its client), then stops one: each time another candidate takes
// over, and never while the previous leader still acts.
func TestFailover(t *testing.T) {
	srv := etcdtest.StartEmbedded(t, etcdtest.Options{})
	ls := &leadership{}
	cands := map[string]*candidate{}
	for i := range 3 {
		id := fmt.Sprintf("c%d", i)
		c := srv.Client(t)
		kl := &killableLease{Lease: c.Lease}
		c.Lease = kl
		e, err := etcdleader.New(etcdleader.Config{Client: c, Election: "/test/election", Identity: id, TTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cd := &candidate{client: c, lease: kl, cancel: cancel, done: make(chan struct{})}
		cands[id] = cd
		go func() {
			defer close(cd.done)
			if err := e.Run(ctx, ls.lead(id)); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}()
	}
	defer func() {
		for _, c := range cands {
			c.cancel()
			<-c.done
		}
	}()

	cur := ls.waitLeader(t, "")
	start := time.Now()
	cands[cur].lease.kill()
	next := ls.waitLeader(t, cur)
	t.Logf("failover after killing %s's session: %s leads after %v (TTL 2s)", cur, next, time.Since(start).Round(time.Millisecond))

	cur = next
	start = time.Now()
	_ = cands[cur].client.Close()
	next = ls.waitLeader(t, cur)
	t.Logf("failover after closing %s's client: %s leads after %v (TTL 2s)", cur, next, time.Since(start).Round(time.Millisecond))

	cur = next
	start = time.Now()
	cands[cur].cancel()
	<-cands[cur].done
	ls.mu.Lock()
	stillActive := ls.active
	ls.mu.Unlock()
	if stillActive == cur {
		t.Fatalf("%s returned from Run while still acting", cur)
	}
	t.Logf("%s resigned: candidates left: none but the killed and the partitioned", cur)

	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.violations) > 0 {
		t.Fatalf("two leaders acted at once: %v", ls.violations)
	}
}

// TestResignHandsOver: with two healthy candidates, stopping the leader
// hands over without waiting for the TTL; on the in-process etcd and on
// the etcd binary (3.4 in Debian).
func TestResignHandsOver(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testResignHandsOver(t, etcdtest.StartEmbedded(t, etcdtest.Options{})) })
	t.Run("binary", func(t *testing.T) { testResignHandsOver(t, etcdtest.StartBinary(t, etcdtest.Options{})) })
}

func testResignHandsOver(t *testing.T, srv *etcdtest.Server) {
	ls := &leadership{}
	cancels := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for i := range 2 {
		id := fmt.Sprintf("c%d", i)
		e, err := etcdleader.New(etcdleader.Config{Client: srv.Client(t), Election: "/test/resign", Identity: id, TTL: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancels[id] = cancel
		wg.Go(func() { _ = e.Run(ctx, ls.lead(id)) })
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	}()
	cur := ls.waitLeader(t, "")
	start := time.Now()
	cancels[cur]()
	next := ls.waitLeader(t, cur)
	t.Logf("handover after %s resigned: %s leads after %v (TTL 5s)", cur, next, time.Since(start).Round(time.Millisecond))
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.violations) > 0 {
		t.Fatalf("two leaders acted at once: %v", ls.violations)
	}
}
