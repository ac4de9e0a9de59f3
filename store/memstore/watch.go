package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// watch is one watcher. Its channel is written only with s.mu held (by
// writers fanning out, by the replay at start, by the bookmark timer) and
// closed only with s.mu held for writing, so a send never races a close.
type watch struct {
	s    *Store
	kind api.Kind
	ns   string
	sel  api.Selector
	ch   chan store.Event
	// Guarded by s.mu.
	idx    int  // position in s.watchers[kind]; -1 once finished
	active bool // an event was sent since the last progress tick
	err    error
	// stopCtx detaches the context callback; timer sends bookmarks.
	stopCtx func() bool
	timer   *time.Timer
}

var _ store.Watch = (*watch)(nil)

// Watch implements store.Store. The initial replay (every change after
// the requested revision) is queued at once: the channel is sized to hold
// it plus WatchBuffer further events, so a replay never drops a watch.
// Event objects are shared by every watcher and the store: read them,
// never modify them (DeepCopyObject first).
func (s *Store) Watch(ctx context.Context, kind api.Kind, opts ...store.WatchOption) (store.Watch, error) {
	if _, err := kindInfo(kind); err != nil {
		return nil, err
	}
	wo := store.NewWatchOptions(opts...)
	if wo.Revision < 0 {
		return nil, fmt.Errorf("memstore: watch %s: negative revision: %w", kind, store.ErrInvalid)
	}
	w := &watch{s: s, kind: kind, ns: wo.Namespace, sel: wo.Selector}
	if w.sel != nil && w.sel.Empty() {
		w.sel = nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(ctx); err != nil {
		return nil, err
	}
	from := wo.Revision
	if from == 0 {
		from = s.rev
	}
	if from < s.compacted {
		return nil, fmt.Errorf("memstore: watch %s from revision %d (oldest kept %d): %w", kind, from, s.compacted, store.ErrCompacted)
	}
	var replay []store.Event
	s.hist.since(from, func(c *change) {
		if c.kind != kind {
			return
		}
		if ev, ok := w.translate(c); ok {
			replay = append(replay, ev)
		}
	})
	w.ch = make(chan store.Event, len(replay)+s.watchBuffer)
	for _, ev := range replay {
		w.ch <- ev
	}
	w.idx = len(s.watchers[kind])
	s.watchers[kind] = append(s.watchers[kind], w)
	w.stopCtx = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.finishLocked(w, ctx.Err())
	})
	if wo.ProgressNotify {
		w.timer = time.AfterFunc(s.progressInterval, w.progress)
	}
	return w, nil
}

// translate turns a change into the event this watcher sees, if any. An
// object that stops matching the selector is seen as Deleted (with its
// new state), one that starts matching as Added.
func (w *watch) translate(c *change) (store.Event, bool) {
	if w.ns != "" && c.obj.Meta().Namespace != w.ns {
		return store.Event{}, false
	}
	ev := store.Event{Type: c.typ, Object: c.obj, Revision: c.rev}
	if w.sel == nil {
		return ev, true
	}
	was := c.prev != nil && w.sel.Matches(c.prev.Meta().Labels)
	is := c.typ != store.Deleted && w.sel.Matches(c.obj.Meta().Labels)
	switch {
	case was && is:
	case is:
		ev.Type = store.Added
	case was:
		ev.Type = store.Deleted
	default:
		return store.Event{}, false
	}
	return ev, true
}

// send queues ev without blocking; false means the buffer is full.
// Called with s.mu held for writing.
func (w *watch) send(ev store.Event) bool {
	select {
	case w.ch <- ev:
		w.active = true
		return true
	default:
		return false
	}
}

// progress sends a Bookmark if the watch was idle for a whole interval.
func (w *watch) progress() {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.idx < 0 {
		return
	}
	if !w.active {
		// Every change up to s.rev has been queued already (fan-out is
		// synchronous with the write), so the bookmark is never early.
		// A full buffer skips the bookmark; the next write drops the watch.
		select {
		case w.ch <- store.Event{Type: store.Bookmark, Revision: s.rev}:
		default:
		}
	}
	w.active = false
	w.timer.Reset(s.progressInterval)
}

// finishLocked ends w with err (nil after Stop) and unregisters it.
// Idempotent. Called with s.mu held for writing.
func (s *Store) finishLocked(w *watch, err error) {
	if w.idx < 0 {
		return
	}
	ws := s.watchers[w.kind]
	last := len(ws) - 1
	ws[w.idx] = ws[last]
	ws[w.idx].idx = w.idx
	ws[last] = nil
	s.watchers[w.kind] = ws[:last]
	w.idx = -1
	w.err = err
	if w.stopCtx != nil {
		w.stopCtx()
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	close(w.ch)
}

// Events implements store.Watch.
func (w *watch) Events() <-chan store.Event { return w.ch }

// Err implements store.Watch.
func (w *watch) Err() error {
	w.s.mu.RLock()
	defer w.s.mu.RUnlock()
	return w.err
}

// Stop implements store.Watch.
func (w *watch) Stop() {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.finishLocked(w, nil)
}
