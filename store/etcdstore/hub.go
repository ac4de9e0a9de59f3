package etcdstore

import (
	"context"
	"fmt"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// A hub is one etcd watch on a key prefix, shared by the store watches
// of that prefix: etcd sends (and the client decodes) each change once
// per Store rather than once per watcher, which is what limits a
// fan-out to many watchers.
//
// The hub keeps its most recent events in a ring. A watch from revision
// R joins a hub when every event after R is still in the ring or yet to
// come (R >= floor); otherwise it gets a hub of its own, started at R.
// Joining and appending happen under the hub's lock, so a joining watch
// gets exactly the events after R: the ring's first, then live ones,
// without gap or duplicate.
//
// The hub never blocks on a watcher: each has a queue, drained by its own
// goroutine; a watcher whose queue exceeds Config.WatchQueue is dropped
// (store.ErrWatchDropped). A hub whose etcd watch fails (no leader,
// compaction after a reconnect, closed client) ends every watcher with
// that error and is replaced by the next Watch.
type hub struct {
	s      *Store
	kind   api.Kind
	prefix string
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	floor   int64 // every event with a revision > floor is in ring or to come
	pos     int64 // every event with a revision <= pos has been received
	ring    []*clientv3.Event
	subs    map[*watch]struct{}
	closing bool  // no more joins: ended, or its last watcher left
	err     error // why it ended
}

const (
	// hubHistory is how many recent events a hub keeps for joiners.
	hubHistory = 1024
)

// subscribe attaches w (to deliver every change after rev) to a hub of
// prefix, starting one when needed. Called with s.mu held.
func (s *Store) subscribe(kind api.Kind, prefix string, rev int64, w *watch) {
	if h := s.hubs[prefix]; h != nil && h.join(w, rev) {
		return
	}
	h := &hub{s: s, kind: kind, prefix: prefix, floor: rev, pos: rev, subs: map[*watch]struct{}{}}
	// A watch that needs a leader is cancelled by a member that loses
	// its cluster, instead of hanging silently.
	h.ctx, h.cancel = context.WithCancel(clientv3.WithRequireLeader(context.Background()))
	if old := s.hubs[prefix]; old == nil || old.ended() {
		s.hubs[prefix] = h // shared; else w's history is gone from the shared hub: a hub of its own
	}
	h.join(w, rev)
	wch := s.client.Watch(h.ctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithPrevKV(), clientv3.WithProgressNotify())
	s.watches.Add(1)
	go h.pump(wch)
}

func (h *hub) ended() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// join adds w if the hub still has every event after rev.
func (h *hub) join(w *watch, rev int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing || rev < h.floor {
		return false
	}
	w.hub, w.after = h, rev
	for _, ev := range h.ring {
		if ev.Kv.ModRevision > rev {
			w.queue = append(w.queue, item{ev: ev})
		}
	}
	h.subs[w] = struct{}{}
	w.notify()
	return true
}

// leave detaches w; the last watcher to leave ends the hub.
func (h *hub) leave(w *watch) {
	h.mu.Lock()
	delete(h.subs, w)
	last := len(h.subs) == 0 && !h.closing
	if last {
		h.closing = true
	}
	h.mu.Unlock()
	if last {
		h.unregister()
		h.cancel()
	}
}

func (h *hub) unregister() {
	h.s.mu.Lock()
	if h.s.hubs[h.prefix] == h {
		delete(h.s.hubs, h.prefix)
	}
	h.s.mu.Unlock()
}

// pump reads the etcd watch and hands every event to every watcher.
func (h *hub) pump(wch clientv3.WatchChan) {
	defer h.s.watches.Done()
	defer h.cancel()
	for {
		var resp clientv3.WatchResponse
		var ok bool
		select {
		case <-h.ctx.Done():
			h.fail(nil)
			return
		case resp, ok = <-wch:
		}
		if !ok {
			if h.ctx.Err() != nil {
				h.fail(nil)
			} else {
				h.fail(fmt.Errorf("etcdstore: watch %s: client closed: %w", h.kind, store.ErrUnavailable))
			}
			return
		}
		if err := resp.Err(); err != nil {
			h.fail(watchErr(h.kind, err))
			return
		}
		h.deliver(resp)
	}
}

func (h *hub) deliver(resp clientv3.WatchResponse) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if resp.IsProgressNotify() {
		h.pos = max(h.pos, resp.Header.Revision)
		for w := range h.subs {
			h.push(w, item{bookmark: h.pos})
		}
		return
	}
	for _, ev := range resp.Events {
		h.ring = append(h.ring, ev)
		h.pos = max(h.pos, ev.Kv.ModRevision)
		for w := range h.subs {
			h.push(w, item{ev: ev})
		}
	}
	if n := len(h.ring); n > 2*hubHistory {
		h.floor = h.ring[n-hubHistory-1].Kv.ModRevision
		h.ring = append([]*clientv3.Event(nil), h.ring[n-hubHistory:]...)
	}
}

// push queues it for w, or drops w when its queue is full. Called with
// h.mu held.
func (h *hub) push(w *watch, it item) {
	w.qmu.Lock()
	if len(w.queue) >= h.s.cfg.WatchQueue {
		w.qerr = fmt.Errorf("etcdstore: watch %s: %d events unread: %w", h.kind, len(w.queue), store.ErrWatchDropped)
		w.qmu.Unlock()
		delete(h.subs, w)
		w.notify()
		return
	}
	w.queue = append(w.queue, it)
	w.qmu.Unlock()
	w.notify()
}

// fail ends the hub and, with a non-nil err, every watcher on it.
func (h *hub) fail(err error) {
	h.mu.Lock()
	h.closing = true
	h.err = err
	subs := h.subs
	h.subs = map[*watch]struct{}{}
	h.mu.Unlock()
	h.unregister()
	for w := range subs {
		w.qmu.Lock()
		if w.qerr == nil {
			w.qerr = err
			if err == nil {
				w.qerr = fmt.Errorf("etcdstore: watch %s: store closed: %w", h.kind, store.ErrUnavailable)
			}
		}
		w.qmu.Unlock()
		w.notify()
	}
}
