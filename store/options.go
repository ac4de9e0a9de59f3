package store

import "github.com/fleetkit/orchestrator/api"

// ListOptions are the resolved options of a List call. Backends read them
// with NewListOptions.
type ListOptions struct {
	// Namespace restricts the list to one namespace; "" is all.
	Namespace string
	// Selector filters by labels; nil matches everything.
	Selector api.Selector
	// Limit caps the page size; 0 is unlimited.
	Limit int
	// Continue is the token of the previous page.
	Continue string
	// Revision reads at a past revision; 0 is the current one.
	Revision int64
}

// ListOption sets an option of a List call.
type ListOption func(*ListOptions)

// NewListOptions resolves opts.
func NewListOptions(opts ...ListOption) ListOptions {
	var lo ListOptions
	for _, o := range opts {
		o(&lo)
	}
	return lo
}

// ListInNamespace restricts a List to one namespace.
func ListInNamespace(ns string) ListOption { return func(o *ListOptions) { o.Namespace = ns } }

// ListSelector filters a List by labels.
func ListSelector(s api.Selector) ListOption { return func(o *ListOptions) { o.Selector = s } }

// WithLimit caps a List's page size.
func WithLimit(n int) ListOption { return func(o *ListOptions) { o.Limit = n } }

// WithContinue fetches the page after the one that returned token.
func WithContinue(token string) ListOption { return func(o *ListOptions) { o.Continue = token } }

// AtRevision reads a List as of a past revision (ErrCompacted if too old).
func AtRevision(rev int64) ListOption { return func(o *ListOptions) { o.Revision = rev } }

// WatchOptions are the resolved options of a Watch call.
type WatchOptions struct {
	// Namespace restricts the watch to one namespace; "" is all.
	Namespace string
	// Selector filters by labels; nil matches everything. An object that
	// stops matching is delivered as Deleted, one that starts matching as
	// Added.
	Selector api.Selector
	// Revision: deliver every change with a revision greater than this.
	// 0 means from the current revision (only future changes).
	Revision int64
	// ProgressNotify asks for Bookmark events when the watch is idle, so
	// the watcher's revision advances.
	ProgressNotify bool
}

// WatchOption sets an option of a Watch call.
type WatchOption func(*WatchOptions)

// NewWatchOptions resolves opts.
func NewWatchOptions(opts ...WatchOption) WatchOptions {
	var wo WatchOptions
	for _, o := range opts {
		o(&wo)
	}
	return wo
}

// WatchInNamespace restricts a Watch to one namespace.
func WatchInNamespace(ns string) WatchOption { return func(o *WatchOptions) { o.Namespace = ns } }

// WatchSelector filters a Watch by labels.
func WatchSelector(s api.Selector) WatchOption { return func(o *WatchOptions) { o.Selector = s } }

// FromRevision delivers every change after rev.
func FromRevision(rev int64) WatchOption { return func(o *WatchOptions) { o.Revision = rev } }

// WithProgressNotify asks for Bookmark events on an idle watch.
func WithProgressNotify() WatchOption { return func(o *WatchOptions) { o.ProgressNotify = true } }

// DeleteOptions are the resolved options of a Delete call.
type DeleteOptions struct {
	// Preconditions: the delete fails with ErrConflict unless the stored
	// object has this UID / ResourceVersion (when set).
	UID             api.UID
	ResourceVersion int64
	// Propagation says what happens to dependents (see PropagationPolicy).
	Propagation PropagationPolicy
}

// PropagationPolicy is how dependents of a deleted owner are handled.
type PropagationPolicy string

const (
	// PropagateBackground (the default): the owner goes now, the garbage
	// collector deletes dependents afterwards.
	PropagateBackground PropagationPolicy = "Background"
	// PropagateForeground: the owner gets the foregroundDeletion finalizer
	// and goes after its blocking dependents.
	PropagateForeground PropagationPolicy = "Foreground"
	// PropagateOrphan: the owner gets the orphan finalizer; dependents
	// lose their owner reference and stay.
	PropagateOrphan PropagationPolicy = "Orphan"
)

// DeleteOption sets an option of a Delete call.
type DeleteOption func(*DeleteOptions)

// NewDeleteOptions resolves opts.
func NewDeleteOptions(opts ...DeleteOption) DeleteOptions {
	var do DeleteOptions
	for _, o := range opts {
		o(&do)
	}
	return do
}

// WithUID deletes only if the stored object has uid.
func WithUID(uid api.UID) DeleteOption { return func(o *DeleteOptions) { o.UID = uid } }

// WithResourceVersion deletes only if the stored object is at rv.
func WithResourceVersion(rv int64) DeleteOption {
	return func(o *DeleteOptions) { o.ResourceVersion = rv }
}

// WithPropagation sets how dependents are handled.
func WithPropagation(p PropagationPolicy) DeleteOption {
	return func(o *DeleteOptions) { o.Propagation = p }
}
