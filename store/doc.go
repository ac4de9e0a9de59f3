// Package store is the contract of the orchestrator's state: a revisioned
// store of api objects (Store), the admission wrapper every write from a
// client goes through (Admitting), and typed access (Client).
//
// # Revisions
//
// A store has one global revision, an int64 that starts at 0 and grows by
// exactly one with every successful write (Create, Update, UpdateStatus, a
// Delete that removes or marks an object). A refused write (any error)
// changes nothing and leaves the revision where it was. An object's
// ResourceVersion is the revision of its last change. A Delete of an
// object already marked for deletion, with nothing to add, is not a write.
//
// # Consistency
//
// A List is consistent: every item is as of one revision (List.Revision),
// and no change after it shows. Pages of a paged List are read at the
// first page's revision, so the union of the pages is exactly the list at
// that revision: no duplicates, nothing missing, even under concurrent
// writes. AtRevision reads the past while it is kept.
//
// # Compare-and-swap
//
// Update and UpdateStatus with a non-zero ResourceVersion succeed only if
// it is the stored one (else ErrConflict); exactly one of several writers
// that read the same version wins. Zero means unconditional. Update
// ignores status and UpdateStatus ignores metadata and spec. Generation
// starts at 1 and grows when the spec changes.
//
// # Watches
//
// A watch from revision r delivers every change to objects of its kind
// (and namespace, and selector) with a revision above r, in revision
// order, each once, with no gaps; FromRevision(0) means "from now". An
// object that stops matching a watch's selector is delivered as Deleted,
// one that starts matching as Added. Open a watch from a List's revision
// to follow it without a gap. A watch ends (Events closes) on Stop (Err
// nil), when its context ends (the context's error), or with an error:
// ErrCompacted (the revision is no longer kept), ErrWatchDropped (the
// watcher fell too far behind: writers never wait for watchers) or
// ErrUnavailable. After an error, relist and watch again.
//
// # Compaction
//
// Compact(rev) discards history below rev; lists and watches from those
// revisions fail with ErrCompacted. The current state is never affected.
//
// # Errors
//
// Every error wraps one category, classified with errors.Is: ErrNotFound,
// ErrAlreadyExists, ErrConflict, ErrInvalid, ErrForbidden (admission),
// ErrCompacted, ErrWatchDropped, ErrUnavailable, or a context error.
//
// # Ownership
//
// Objects passed to a store are never retained or modified; objects
// returned by Get, List and writes belong to the caller. Objects in watch
// events may be shared between watchers (memstore shares them): treat
// them as read-only, and DeepCopyObject before modifying.
//
// # Admission
//
// Admitting wraps a Store so that every Create, Update and UpdateStatus is
// defaulted (api.Default) and validated (api.Validate, api.ValidateUpdate)
// and then passed to the admitters, and every Delete to the admitters; a
// refusal stores nothing. Admission is judged against the version the
// write replaces, atomically (see Admitting).
//
// # Typed access
//
// Client[T] gives Get, List, Create, Update, UpdateStatus, Delete and
// Watch for one kind with typed results, and Mutate, a read-modify-write
// that retries compare-and-swap conflicts.
//
// # Backends
//
// store/memstore (the embedded default) and store/etcdstore (etcd v3)
// implement Store; store/storetest is the conformance suite both pass.
// All Store implementations, Admitting and Client are safe for concurrent
// use.
package store
