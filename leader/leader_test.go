package leader_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/leader"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/etcdstore"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// partitionable wraps a store: while cut, every call blocks until its
// context ends and then fails as an unreachable backend would.
type partitionable struct {
	store.Store
	mu  sync.Mutex
	cut chan struct{} // non-nil while partitioned; closed on heal
}

func (p *partitionable) partition() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut == nil {
		p.cut = make(chan struct{})
	}
}

func (p *partitionable) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut != nil {
		close(p.cut)
		p.cut = nil
	}
}

func (p *partitionable) gate(ctx context.Context) error {
	p.mu.Lock()
	cut := p.cut
	p.mu.Unlock()
	if cut == nil {
		return nil
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("partitioned: %w: %w", store.ErrUnavailable, ctx.Err())
	case <-cut:
		return nil
	}
}

func (p *partitionable) Get(ctx context.Context, k api.Kind, ns, name string) (api.Object, error) {
	if err := p.gate(ctx); err != nil {
		return nil, err
	}
	return p.Store.Get(ctx, k, ns, name)
}

func (p *partitionable) Create(ctx context.Context, o api.Object) (api.Object, error) {
	if err := p.gate(ctx); err != nil {
		return nil, err
	}
	return p.Store.Create(ctx, o)
}

func (p *partitionable) Update(ctx context.Context, o api.Object) (api.Object, error) {
	if err := p.gate(ctx); err != nil {
		return nil, err
	}
	return p.Store.Update(ctx, o)
}

// leadership records who acts as leader and checks that no two act at
// once: the invariant, not a timing.
type leadership struct {
	mu         sync.Mutex
	active     string // "" when nobody acts
	violations []string
	terms      []string
	changed    chan struct{}
}

func newLeadership() *leadership { return &leadership{changed: make(chan struct{}, 100)} }

func (l *leadership) lead(id string) func(ctx context.Context) {
	return func(ctx context.Context) {
		l.mu.Lock()
		if l.active != "" {
			l.violations = append(l.violations, fmt.Sprintf("%s started leading while %s was active", id, l.active))
		}
		l.active = id
		l.terms = append(l.terms, id)
		l.mu.Unlock()
		l.changed <- struct{}{}
		<-ctx.Done() // the work: runs until leadership may be lost
		l.mu.Lock()
		if l.active == id {
			l.active = ""
		}
		l.mu.Unlock()
	}
}

// waitLeader waits for a leader other than not; a bounded wait that
// fails the test instead of hanging.
func (l *leadership) waitLeader(t *testing.T, not string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		l.mu.Lock()
		a := l.active
		l.mu.Unlock()
		if a != "" && a != not {
			return a
		}
		select {
		case <-l.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no new leader (other than %q) within 30s", not)
		}
	}
}

func runElectionScenario(t *testing.T, base store.Store) {
	const n = 3
	ls := newLeadership()
	parts := map[string]*partitionable{}
	cancels := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for i := range n {
		id := fmt.Sprintf("c%d", i)
		p := &partitionable{Store: base}
		parts[id] = p
		e, err := leader.New(leader.Config{
			Store: p, Name: "scheduler", Identity: id,
			LeaseDuration: time.Second, RenewDeadline: 500 * time.Millisecond, RetryPeriod: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancels[id] = cancel
		wg.Go(func() {
			if err := e.Run(ctx, ls.lead(id)); err != nil {
				t.Errorf("%s: run: %v", id, err)
			}
		})
	}
	defer func() {
		for _, p := range parts {
			p.heal()
		}
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	}()

	cur := ls.waitLeader(t, "")
	// Partition the leader three times: each time another takes over,
	// and the cut-off one stops acting first.
	for range 3 {
		start := time.Now()
		parts[cur].partition()
		next := ls.waitLeader(t, cur)
		t.Logf("failover after partitioning %s: %s leads after %v", cur, next, time.Since(start).Round(time.Millisecond))
		parts[cur].heal()
		cur = next
	}
	// A leader that stops (its context ends) resigns: the next takes
	// over without waiting for the lease to expire.
	start := time.Now()
	cancels[cur]()
	next := ls.waitLeader(t, cur)
	t.Logf("handover after %s resigned: %s leads after %v", cur, next, time.Since(start).Round(time.Millisecond))

	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.violations) > 0 {
		t.Fatalf("two leaders acted at once: %v", ls.violations)
	}
	if len(ls.terms) < 5 {
		t.Fatalf("terms %v: want at least 5", ls.terms)
	}
}

func TestLeaseElectorOnMemstore(t *testing.T) {
	s, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runElectionScenario(t, s)
}

func TestLeaseElectorOnEtcdstore(t *testing.T) {
	srv := etcdtest.StartEmbedded(t, etcdtest.Options{})
	s, err := etcdstore.New(etcdstore.Config{Endpoints: srv.Endpoints})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runElectionScenario(t, s)
}

func TestConfigValidation(t *testing.T) {
	s, _ := memstore.New(memstore.Config{})
	defer s.Close()
	for _, cfg := range []leader.Config{
		{Name: "x"},
		{Store: s},
		{Store: s, Name: "x", LeaseDuration: time.Second, RenewDeadline: 2 * time.Second},
		{Store: s, Name: "x", RetryPeriod: time.Minute},
	} {
		if _, err := leader.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted an invalid config", cfg)
		}
	}
}
