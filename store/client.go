package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fleetkit/orchestrator/api"
)

// Client is typed access to the objects of one kind, T (a pointer type
// such as *api.Pod). It adds no state: every call goes to the Store, with
// its guarantees. Safe for concurrent use.
type Client[T api.Object] struct {
	s    Store
	kind api.Kind
}

// NewClient returns a Client for T on s. Wrap s with Admitting first to
// have writes defaulted, validated and admitted.
func NewClient[T api.Object](s Store) *Client[T] {
	var zero T // a nil pointer: Kind never reads fields
	return &Client[T]{s: s, kind: zero.Kind()}
}

// Kind returns the kind of T.
func (c *Client[T]) Kind() api.Kind { return c.kind }

// cast converts a stored object to T; a store returning another type for
// the kind is a broken backend, reported as ErrInvalid, never a panic.
func (c *Client[T]) cast(obj api.Object, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	t, ok := obj.(T)
	if !ok {
		return zero, fmt.Errorf("store: client for %s got a %T: %w", c.kind, obj, ErrInvalid)
	}
	return t, nil
}

// Get returns the object named name in namespace.
func (c *Client[T]) Get(ctx context.Context, namespace, name string) (T, error) {
	return c.cast(c.s.Get(ctx, c.kind, namespace, name))
}

// TypedList is a page of a typed List.
type TypedList[T api.Object] struct {
	Items    []T
	Revision int64
	Continue string
}

// List lists objects as Store.List does.
func (c *Client[T]) List(ctx context.Context, opts ...ListOption) (*TypedList[T], error) {
	l, err := c.s.List(ctx, c.kind, opts...)
	if err != nil {
		return nil, err
	}
	out := &TypedList[T]{Items: make([]T, len(l.Items)), Revision: l.Revision, Continue: l.Continue}
	for i, obj := range l.Items {
		if out.Items[i], err = c.cast(obj, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Create creates obj and returns it as stored.
func (c *Client[T]) Create(ctx context.Context, obj T) (T, error) {
	return c.cast(c.s.Create(ctx, obj))
}

// Update updates obj (compare-and-swap on its resourceVersion).
func (c *Client[T]) Update(ctx context.Context, obj T) (T, error) {
	return c.cast(c.s.Update(ctx, obj))
}

// UpdateStatus updates obj's status (compare-and-swap).
func (c *Client[T]) UpdateStatus(ctx context.Context, obj T) (T, error) {
	return c.cast(c.s.UpdateStatus(ctx, obj))
}

// Delete deletes the object, returning its last state.
func (c *Client[T]) Delete(ctx context.Context, namespace, name string, opts ...DeleteOption) (T, error) {
	return c.cast(c.s.Delete(ctx, c.kind, namespace, name, opts...))
}

// MutateRetries bounds the attempts of Mutate.
const MutateRetries = 16

// Mutate reads the object, applies f to it and writes it back with
// Update, conditional on the version read; when another writer got there
// first (ErrConflict) it reads again and retries, up to MutateRetries
// times. f may run several times and must only change the object it is
// given; an error from f stops Mutate and is returned as is. Mutate
// returns the object as stored.
func (c *Client[T]) Mutate(ctx context.Context, namespace, name string, f func(T) error) (T, error) {
	var zero T
	var err error
	for range MutateRetries {
		var obj T
		if obj, err = c.Get(ctx, namespace, name); err != nil {
			return zero, err
		}
		if err = f(obj); err != nil {
			return zero, err
		}
		var out T
		if out, err = c.Update(ctx, obj); !errors.Is(err, ErrConflict) {
			return out, err
		}
	}
	return zero, fmt.Errorf("store: mutate %s %s/%s: gave up after %d conflicts: %w", c.kind, namespace, name, MutateRetries, err)
}

// TypedEvent is a watch event with a typed object. Object is the zero T
// for a Bookmark.
type TypedEvent[T api.Object] struct {
	Type     EventType
	Object   T
	Revision int64
}

// TypedWatch is a Watch with typed events. Safe for concurrent use.
type TypedWatch[T api.Object] struct {
	w    Watch
	ch   chan TypedEvent[T]
	stop chan struct{}
	done chan struct{}
	once sync.Once
	err  error // set before done closes
}

// Watch watches as Store.Watch does. The events' objects are shared as
// the backend shares them (see the backend's documentation): do not
// modify them.
func (c *Client[T]) Watch(ctx context.Context, opts ...WatchOption) (*TypedWatch[T], error) {
	w, err := c.s.Watch(ctx, c.kind, opts...)
	if err != nil {
		return nil, err
	}
	tw := &TypedWatch[T]{w: w, ch: make(chan TypedEvent[T]), stop: make(chan struct{}), done: make(chan struct{})}
	go tw.run(c.kind)
	return tw, nil
}

// run converts events until the underlying watch ends or Stop is called.
func (tw *TypedWatch[T]) run(kind api.Kind) {
	defer close(tw.done)
	defer close(tw.ch)
	for e := range tw.w.Events() {
		te := TypedEvent[T]{Type: e.Type, Revision: e.Revision}
		if e.Object != nil {
			obj, ok := e.Object.(T)
			if !ok {
				tw.err = fmt.Errorf("store: watch of %s got a %T: %w", kind, e.Object, ErrInvalid)
				tw.w.Stop()
				return
			}
			te.Object = obj
		}
		select {
		case tw.ch <- te:
		case <-tw.stop:
			tw.w.Stop()
			return
		}
	}
	tw.err = tw.w.Err()
}

// Events returns the typed events; it is closed when the watch ends.
func (tw *TypedWatch[T]) Events() <-chan TypedEvent[T] { return tw.ch }

// Err returns why the watch ended, once Events is closed (as Watch.Err).
func (tw *TypedWatch[T]) Err() error {
	select {
	case <-tw.done:
		return tw.err
	default:
		return nil
	}
}

// Stop ends the watch and waits for its goroutine. Idempotent.
func (tw *TypedWatch[T]) Stop() {
	tw.once.Do(func() {
		close(tw.stop)
		tw.w.Stop()
	})
	<-tw.done
}
