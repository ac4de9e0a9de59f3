package reconciletest

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// HeldEvents wraps a store so that watches of one kind can be made to
// lag: after Hold(rev), events of Kind at revision rev or later (progress
// notifications included) are held back until Release. An informer on it
// then lags the store, which lets a test drive a controller into the
// interleavings informer lag allows. Safe for concurrent use.
type HeldEvents struct {
	store.Store
	Kind api.Kind

	from    atomic.Int64
	once    sync.Once
	release chan struct{}
}

// NewHeldEvents wraps s, holding events of kind when told to.
func NewHeldEvents(s store.Store, kind api.Kind) *HeldEvents {
	return &HeldEvents{Store: s, Kind: kind, release: make(chan struct{})}
}

// Hold holds back events from revision rev on.
func (h *HeldEvents) Hold(rev int64) { h.from.Store(rev) }

// Release delivers the held events and stops holding. Idempotent.
func (h *HeldEvents) Release() { h.once.Do(func() { close(h.release) }) }

type heldWatch struct {
	store.Watch
	out chan store.Event
}

func (w *heldWatch) Events() <-chan store.Event { return w.out }

// Watch implements store.Store.
func (h *HeldEvents) Watch(ctx context.Context, kind api.Kind, opts ...store.WatchOption) (store.Watch, error) {
	w, err := h.Store.Watch(ctx, kind, opts...)
	if err != nil || kind != h.Kind {
		return w, err
	}
	hw := &heldWatch{Watch: w, out: make(chan store.Event)}
	go func() {
		defer close(hw.out)
		for ev := range w.Events() {
			if from := h.from.Load(); from > 0 && ev.Revision >= from {
				select {
				case <-h.release:
				case <-ctx.Done():
					return
				}
			}
			select {
			case hw.out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return hw, nil
}
