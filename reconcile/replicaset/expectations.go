package replicaset

import (
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/reconcile"
)

// expectations record, per ReplicaSet, the creations and deletions the
// controller made but its informer has not shown yet. Safe for concurrent
// use.
type expectations struct {
	mu sync.Mutex
	m  map[reconcile.Request]*expectation
}

type expectation struct {
	adds    int
	deletes map[string]bool
	since   time.Time
}

func newExpectations() *expectations {
	return &expectations{m: make(map[reconcile.Request]*expectation)}
}

func (e *expectations) get(k reconcile.Request, now time.Time) *expectation {
	x := e.m[k]
	if x == nil {
		x = &expectation{deletes: map[string]bool{}}
		e.m[k] = x
	}
	x.since = now
	return x
}

func (e *expectations) expectCreates(k reconcile.Request, n int, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.get(k, now).adds += n
}

func (e *expectations) expectDeletes(k reconcile.Request, names []string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.get(k, now)
	for _, n := range names {
		x.deletes[n] = true
	}
}

func (e *expectations) lowerCreates(k reconcile.Request, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x := e.m[k]; x != nil {
		x.adds = max(0, x.adds-n)
	}
}

func (e *expectations) observeCreate(k reconcile.Request) { e.lowerCreates(k, 1) }

func (e *expectations) observeDelete(k reconcile.Request, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x := e.m[k]; x != nil {
		delete(x.deletes, name)
	}
}

// satisfied reports whether k has no pending expectations, or they are
// older than ttl (then they are dropped).
func (e *expectations) satisfied(k reconcile.Request, now time.Time, ttl time.Duration) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.m[k]
	if x == nil || (x.adds == 0 && len(x.deletes) == 0) {
		return true
	}
	if now.Sub(x.since) > ttl {
		delete(e.m, k)
		return true
	}
	return false
}

func (e *expectations) forget(k reconcile.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, k)
}
