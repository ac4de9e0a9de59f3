package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// watchBuffer is the capacity of a watch's event channel; behind it, a
// watch's queue in its hub takes the rest (up to Config.WatchQueue).
const watchBuffer = 256

// Watch implements store.Store.
func (s *Store) Watch(ctx context.Context, kind api.Kind, opts ...store.WatchOption) (store.Watch, error) {
	ki, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	wo := store.NewWatchOptions(opts...)
	prefix := s.kindPrefix(kind)
	if wo.Namespace != "" {
		if err := validLabel(wo.Namespace); err != nil {
			return nil, fmt.Errorf("etcdstore: watch %s: namespace: %w", kind, err)
		}
		prefix = s.nsPrefix(kind, wo.Namespace)
	}
	if wo.Revision < 0 {
		return nil, fmt.Errorf("etcdstore: watch %s: negative revision: %w", kind, store.ErrInvalid)
	}
	// Resolve the start synchronously: revision 0 becomes the current
	// revision (so a write made after Watch returns is always seen), and
	// a compacted revision fails here rather than on the channel.
	rctx, cancel := s.reqCtx(ctx)
	rev := wo.Revision
	if rev == 0 {
		rev, err = s.Revision(rctx)
	} else {
		_, err = s.client.Get(rctx, prefix, clientv3.WithRev(rev), clientv3.WithCountOnly())
		if err != nil && errors.Is(classify("", err), store.ErrInvalid) {
			err = nil // a future revision: etcd waits for it
		}
	}
	cancel()
	if err != nil {
		return nil, classify(fmt.Sprintf("watch %s from %d", kind, wo.Revision), err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("etcdstore: watch %s: store closed: %w", kind, store.ErrUnavailable)
	}
	wctx, wcancel := context.WithCancel(ctx)
	w := &watch{
		s:      s,
		kind:   ki.Kind,
		opts:   wo,
		parent: ctx,
		ctx:    wctx,
		cancel: wcancel,
		events: make(chan store.Event, watchBuffer),
		signal: make(chan struct{}, 1),
	}
	s.cancels[w] = wcancel
	s.subscribe(ki.Kind, prefix, rev, w)
	s.watches.Add(1)
	go w.run()
	return w, nil
}

// item is one queued delivery: an etcd event, or a bookmark revision.
type item struct {
	ev       *clientv3.Event
	bookmark int64
}

type watch struct {
	s      *Store
	kind   api.Kind
	opts   store.WatchOptions
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	events chan store.Event

	// Set by hub.join, before run starts.
	hub   *hub
	after int64 // deliver only revisions after this
	// lastRev is the revision up to which every change has been
	// delivered; only the run goroutine touches it after join.
	lastRev int64

	qmu    sync.Mutex
	queue  []item
	qerr   error // the hub ended this watch
	signal chan struct{}

	stopped atomic.Bool
	mu      sync.Mutex
	err     error
}

func (w *watch) Events() <-chan store.Event { return w.events }

func (w *watch) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *watch) Stop() {
	w.stopped.Store(true)
	w.cancel()
}

// notify wakes the run goroutine; never blocks.
func (w *watch) notify() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (w *watch) run() {
	defer w.s.watches.Done()
	w.lastRev = w.after
	err := w.loop()
	w.hub.leave(w)
	w.s.mu.Lock()
	delete(w.s.cancels, w)
	w.s.mu.Unlock()
	w.cancel()
	if w.stopped.Load() {
		err = nil
	} else if err == nil {
		err = w.parent.Err()
	}
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	close(w.events)
}

// loop delivers queued items until the watch ends; it returns the hub's
// error, or nil when w's context ended.
func (w *watch) loop() error {
	var tick <-chan time.Time
	if w.opts.ProgressNotify && w.s.cfg.ProgressInterval > 0 {
		t := time.NewTicker(w.s.cfg.ProgressInterval)
		defer t.Stop()
		tick = t.C
	}
	heard := false // an item arrived since the last tick
	for {
		select {
		case <-w.ctx.Done():
			return nil
		case <-tick:
			// etcd sends progress only once every watcher on the
			// stream has caught up and only after a write at or past
			// the watch's start revision, so an idle watch may never
			// get one: say ourselves what is known, that everything
			// up to lastRev has been delivered. Then ask etcd for a
			// notification that may advance it.
			if !heard {
				if !w.send(store.Event{Type: store.Bookmark, Revision: w.lastRev}) {
					return nil
				}
			}
			heard = false
			_ = w.s.client.RequestProgress(w.hub.ctx)
			continue
		case <-w.signal:
		}
		w.qmu.Lock()
		items, qerr := w.queue, w.qerr
		w.queue = nil
		w.qmu.Unlock()
		for _, it := range items {
			heard = true
			if it.ev == nil {
				w.lastRev = max(w.lastRev, it.bookmark)
				if w.opts.ProgressNotify && !w.send(store.Event{Type: store.Bookmark, Revision: w.lastRev}) {
					return nil
				}
				continue
			}
			rev := it.ev.Kv.ModRevision
			if rev <= w.after {
				continue // the hub had it before w's start
			}
			w.lastRev = max(w.lastRev, rev)
			e, ok := w.convert(it.ev)
			if !ok {
				continue
			}
			if !w.send(e) {
				return nil
			}
		}
		if qerr != nil {
			return qerr
		}
	}
}

func watchErr(kind api.Kind, err error) error {
	if strings.Contains(err.Error(), "no leader") {
		return fmt.Errorf("etcdstore: watch %s: %w: %w", kind, store.ErrUnavailable, err)
	}
	return classify(fmt.Sprintf("watch %s", kind), err)
}

func (w *watch) send(e store.Event) bool {
	select {
	case w.events <- e:
		return true
	case <-w.ctx.Done():
		return false
	}
}

func (w *watch) matches(o api.Object) bool {
	return w.opts.Selector == nil || w.opts.Selector.Matches(o.Meta().Labels)
}

// convert turns an etcd event into a store event, applying the selector:
// an object that stops matching is Deleted, one that starts matching is
// Added. ok is false when the change is invisible to this watch.
func (w *watch) convert(ev *clientv3.Event) (store.Event, bool) {
	rev := ev.Kv.ModRevision
	var prev api.Object
	if ev.PrevKv != nil {
		prevRV := ev.PrevKv.ModRevision
		if ev.Type == clientv3.EventTypeDelete {
			prevRV = rev // a Deleted object carries the revision of the delete
		}
		p, err := w.s.decodes.decode(w.kind, ev.PrevKv, prevRV)
		if err != nil {
			w.s.log.Warn("etcdstore: skipping undecodable previous value", "err", err)
		} else {
			prev = p
		}
	}
	if ev.Type == clientv3.EventTypeDelete {
		if prev == nil || !w.matches(prev) {
			return store.Event{}, false
		}
		return store.Event{Type: store.Deleted, Object: prev, Revision: rev}, true
	}
	obj, err := w.s.decodes.decode(w.kind, ev.Kv, rev)
	if err != nil {
		w.s.log.Warn("etcdstore: skipping undecodable value", "err", err)
		return store.Event{}, false
	}
	now := w.matches(obj)
	was := !ev.IsCreate() && prev != nil && w.matches(prev)
	switch {
	case now && was:
		return store.Event{Type: store.Modified, Object: obj, Revision: rev}, true
	case now:
		return store.Event{Type: store.Added, Object: obj, Revision: rev}, true
	case was:
		return store.Event{Type: store.Deleted, Object: obj, Revision: rev}, true
	}
	return store.Event{}, false
}
