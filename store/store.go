package store

import (
	"context"
	"errors"

	"github.com/fleetkit/orchestrator/api"
)

// Error categories. Every error a Store returns wraps one of these (or a
// context error) and is classified with errors.Is.
var (
	// ErrNotFound: the object does not exist (or a precondition named a
	// UID that no longer exists).
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: Create of a name that is taken.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: a compare-and-swap lost (stale resourceVersion or a
	// failed precondition). Re-read and retry.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid: the object or the request is malformed (bad name, wrong
	// kind, too large, failed validation). Retrying cannot help.
	ErrInvalid = errors.New("store: invalid")
	// ErrCompacted: the requested revision is older than the store keeps.
	// Relist, then watch from the list's revision.
	ErrCompacted = errors.New("store: revision compacted")
	// ErrWatchDropped: a watcher fell too far behind and was closed so that
	// writers never block. Relist, then watch again.
	ErrWatchDropped = errors.New("store: watch dropped (watcher too slow)")
	// ErrUnavailable: the backend cannot be reached now; transient.
	ErrUnavailable = errors.New("store: unavailable")
)

// MaxObjectBytes is the largest encoded object a store accepts (as etcd's
// default request limit).
const MaxObjectBytes = 1536 * 1024

// Store is a revisioned store of api objects: one global revision that
// only grows, compare-and-swap updates, consistent lists and gap-free
// watches. Implementations are safe for concurrent use. Every method
// blocks until done or until ctx ends. Objects passed in are never
// retained; objects returned belong to the caller.
//
// Backends: store/memstore (embedded default), store/etcdstore
// (distributed). store/storetest is the conformance suite they all pass.
type Store interface {
	Reader
	Writer
	// Watch streams every change to objects of kind after a revision; see
	// WatchOption. It fails with ErrCompacted when that revision is no
	// longer kept.
	Watch(ctx context.Context, kind api.Kind, opts ...WatchOption) (Watch, error)
	// Revision returns the store's current revision.
	Revision(ctx context.Context) (int64, error)
	// Compact discards history at and below rev; watches and lists from
	// those revisions then fail with ErrCompacted. Idempotent.
	Compact(ctx context.Context, rev int64) error
}

// Reader reads objects.
type Reader interface {
	// Get returns the object of kind in namespace ("" for cluster-scoped
	// kinds) with name, or ErrNotFound.
	Get(ctx context.Context, kind api.Kind, namespace, name string) (api.Object, error)
	// List returns the objects of kind matching opts, all as of one
	// revision (List.Revision), sorted by namespace then name.
	List(ctx context.Context, kind api.Kind, opts ...ListOption) (*List, error)
}

// Writer changes objects. Each successful write advances the revision by
// exactly one and returns the stored object, with its new resourceVersion.
type Writer interface {
	// Create stores a new object. Name (or GenerateName), and Namespace
	// for namespaced kinds, must be set. The store sets UID,
	// ResourceVersion, Generation (1) and CreationTimestamp; a non-zero
	// ResourceVersion on input is ErrInvalid. Taken names: ErrAlreadyExists.
	Create(ctx context.Context, obj api.Object) (api.Object, error)
	// Update replaces an object's metadata and spec, leaving its status as
	// stored. If obj's ResourceVersion is non-zero it must equal the
	// stored one (else ErrConflict); zero means unconditional. Generation
	// is bumped when the spec changes. An update that removes the last
	// finalizer of an object being deleted deletes it.
	Update(ctx context.Context, obj api.Object) (api.Object, error)
	// UpdateStatus replaces an object's status only, with the same
	// compare-and-swap rule as Update. Kinds without a status (Endpoints,
	// Lease, Event) store the whole object as Update does.
	UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error)
	// Delete removes an object, subject to opts' preconditions. An object
	// with finalizers is not removed: its DeletionTimestamp is set (once)
	// and it goes when its last finalizer is removed. Returns the object
	// as last stored (removed, or marked for deletion).
	Delete(ctx context.Context, kind api.Kind, namespace, name string, opts ...DeleteOption) (api.Object, error)
}

// List is the result of a List call.
type List struct {
	Items []api.Object
	// Revision is the store revision the list is consistent at: watch
	// from it to follow changes without gaps.
	Revision int64
	// Continue, when not empty, fetches the next page (WithContinue). The
	// next page is read at the same Revision.
	Continue string
}

// EventType is the type of a watch event.
type EventType int

const (
	// Added: the object was created.
	Added EventType = iota + 1
	// Modified: the object was updated (including a deletion mark).
	Modified
	// Deleted: the object was removed; Object is its last state, at the
	// revision of the delete.
	Deleted
	// Bookmark: no object changed; Revision tells the watcher that it has
	// seen everything up to it. Object is nil.
	Bookmark
)

func (t EventType) String() string {
	switch t {
	case Added:
		return "ADDED"
	case Modified:
		return "MODIFIED"
	case Deleted:
		return "DELETED"
	case Bookmark:
		return "BOOKMARK"
	}
	return "UNKNOWN"
}

// Event is one change seen by a watch.
type Event struct {
	Type EventType
	// Object is the object after the change (before it, for Deleted).
	// Its ResourceVersion equals Revision except for Deleted, whose
	// ResourceVersion is set to the revision of the delete as well.
	Object api.Object
	// Revision is the store revision of the change.
	Revision int64
}

// Watch is a stream of events. Events arrive in revision order with no
// gaps or duplicates for the watched kind and filter. A Watch is safe for
// concurrent use.
type Watch interface {
	// Events returns the channel of events. It is closed when the watch
	// ends: Stop was called, its context ended, or an error occurred.
	Events() <-chan Event
	// Err returns why the watch ended, after Events is closed: nil after
	// Stop, the context's error, ErrWatchDropped, ErrCompacted or
	// ErrUnavailable.
	Err() error
	// Stop ends the watch and releases its resources. Idempotent.
	Stop()
}
