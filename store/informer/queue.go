package informer

import (
	"context"
	"sync"

	"github.com/fleetkit/orchestrator/api"
)

type op uint8

const (
	opAdd op = iota + 1
	opUpdate
	opDelete
	opRegister // a handler joins, with the cache snapshot it starts from
	opSynced   // the first list has been delivered
)

type notification[T api.Object] struct {
	op       op
	old, obj T
	handler  Handler[T]
	snapshot []T
}

// queue carries notifications from the cache (which never waits for
// handlers) to the delivery goroutine. It is unbounded: the cache runs
// ahead of slow handlers rather than making the store drop its watch.
type queue[T api.Object] struct {
	mu    sync.Mutex
	items []notification[T]
	// syncQueued: the opSynced marker has been queued (guarded by the
	// informer's mu, not by this mutex).
	syncQueued bool
	signal     chan struct{} // capacity 1: "items is not empty"
}

func (q *queue[T]) push(ns ...notification[T]) {
	if len(ns) == 0 {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, ns...)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// take returns every queued notification and gives back done, the
// previous batch, for reuse.
func (q *queue[T]) take(done []notification[T]) []notification[T] {
	clear(done)
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items
	q.items = done[:0]
	return out
}

// deliver is the delivery goroutine: it calls the handlers, one
// notification at a time, in queue order, until ctx ends.
func (i *Informer[T]) deliver(ctx context.Context) {
	var handlers []Handler[T]
	var batch []notification[T]
	for {
		select {
		case <-ctx.Done():
			return
		case <-i.q.signal:
		}
		batch = i.q.take(batch)
		for _, n := range batch {
			if ctx.Err() != nil {
				return
			}
			switch n.op {
			case opAdd:
				for _, h := range handlers {
					h.OnAdd(n.obj)
				}
			case opUpdate:
				for _, h := range handlers {
					h.OnUpdate(n.old, n.obj)
				}
			case opDelete:
				for _, h := range handlers {
					h.OnDelete(n.obj)
				}
			case opRegister:
				handlers = append(handlers, n.handler)
				for _, obj := range n.snapshot {
					n.handler.OnAdd(obj)
				}
			case opSynced:
				close(i.synced)
			}
		}
	}
}
