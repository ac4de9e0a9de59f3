package informer

import "github.com/fleetkit/orchestrator/api"

// Handler receives the changes an informer sees. Every method is called
// from the informer's single delivery goroutine, one call at a time, in the
// order of the store revisions the changes happened at (see the package
// documentation). Objects passed in are shared with the cache and with
// other handlers: a handler must not modify them (DeepCopyObject first).
// A handler should return quickly; a slow handler delays every handler of
// the informer, but never the cache, which keeps following the store.
type Handler[T api.Object] interface {
	// OnAdd: obj appeared in the informer's view (created, moved into the
	// namespace or selector, or found by the first list or a relist). A
	// handler added after the informer has synced gets OnAdd for every
	// object in the cache first.
	OnAdd(obj T)
	// OnUpdate: an object changed from old to new. During a resync, old
	// and new are the same object.
	OnUpdate(old, new T)
	// OnDelete: obj left the informer's view (deleted, or no longer
	// matches the namespace or selector). obj is the last state the
	// informer knew: when the delete was seen by a watch, the object as
	// deleted; when it was found missing by a relist after an outage, the
	// last state the informer saw before the outage.
	OnDelete(obj T)
}

// HandlerFuncs adapts functions to a Handler. A nil function ignores its
// events.
type HandlerFuncs[T api.Object] struct {
	AddFunc    func(obj T)
	UpdateFunc func(old, new T)
	DeleteFunc func(obj T)
}

var _ Handler[*api.Pod] = HandlerFuncs[*api.Pod]{}

// OnAdd calls AddFunc if it is set.
func (h HandlerFuncs[T]) OnAdd(obj T) {
	if h.AddFunc != nil {
		h.AddFunc(obj)
	}
}

// OnUpdate calls UpdateFunc if it is set.
func (h HandlerFuncs[T]) OnUpdate(old, new T) {
	if h.UpdateFunc != nil {
		h.UpdateFunc(old, new)
	}
}

// OnDelete calls DeleteFunc if it is set.
func (h HandlerFuncs[T]) OnDelete(obj T) {
	if h.DeleteFunc != nil {
		h.DeleteFunc(obj)
	}
}
