package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fleetkit/orchestrator/api"
)

// Request names the object to reconcile: a key, never an event. The
// reconciler reads the current state of that object (and whatever else it
// needs) and acts on it; it must not care what change caused the request.
type Request struct {
	Kind      api.Kind
	Namespace string
	Name      string
}

// String returns "Kind namespace/name" (or "Kind name" when cluster-scoped).
func (r Request) String() string {
	if r.Namespace == "" {
		return fmt.Sprintf("%s %s", r.Kind, r.Name)
	}
	return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
}

// RequestFor returns the request naming obj.
func RequestFor(obj api.Object) Request {
	m := obj.Meta()
	return Request{Kind: obj.Kind(), Namespace: m.Namespace, Name: m.Name}
}

// Result says what to do after a successful reconcile.
type Result struct {
	// RequeueAfter, when positive, reconciles the key again after this
	// long (and resets its failure back-off).
	RequeueAfter time.Duration
	// Requeue, when RequeueAfter is zero, reconciles the key again after
	// its rate-limited back-off.
	Requeue bool
}

// Reconciler drives the object named by a request towards its desired
// state.
//
// Reconcile may block, and must return when ctx ends. It must be
// idempotent: the kit may call it any number of times for a key, but never
// twice at once for the same key. A nil error with a zero Result means
// "done until something changes". A non-nil error retries the key with
// back-off, unless it wraps ErrTerminal (see Terminal), which stops the
// retries until the key is queued again by a change.
type Reconciler interface {
	Reconcile(ctx context.Context, req Request) (Result, error)
}

// ReconcilerFunc adapts a function to a Reconciler.
type ReconcilerFunc func(ctx context.Context, req Request) (Result, error)

// Reconcile calls f.
func (f ReconcilerFunc) Reconcile(ctx context.Context, req Request) (Result, error) {
	return f(ctx, req)
}

var _ Reconciler = ReconcilerFunc(nil)

// ErrTerminal classifies errors that retrying cannot fix.
var ErrTerminal = errors.New("reconcile: terminal error")

type terminalError struct{ err error }

func (e terminalError) Error() string { return e.err.Error() }
func (e terminalError) Unwrap() []error {
	return []error{e.err, ErrTerminal}
}

// Terminal marks err as terminal: the kit records it and does not retry
// the key. errors.Is(Terminal(err), ErrTerminal) and errors.Is(Terminal(err),
// err) both hold. Terminal(nil) is nil.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return terminalError{err}
}
