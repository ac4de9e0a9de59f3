// Package informer follows one kind of object in a store.Store: it lists
// the objects, watches every change from the list's revision, keeps them
// in a local indexed cache that controllers read without touching the
// store, and calls handlers with every change.
//
// # Usage
//
// New an Informer for a type (informer.New(st, informer.Config[*api.Pod]{})),
// add handlers, start Run in a goroutine the caller owns, WaitForSync, then
// read the cache through Get, List, ListInNamespace and ByIndex. The
// package example shows it whole.
//
// # Guarantees to handlers
//
//   - One goroutine per informer calls every handler, one call at a time:
//     handlers need no locking against each other or themselves.
//   - Calls come in store revision order. A relist (after compaction)
//     delivers the difference between the cache and the list as one
//     batch at the list's revision: deletes first, then adds and updates,
//     each in namespace/name order.
//   - Convergence: after the last change to the store, once the informer
//     has caught up, the objects a handler has been told about (adds and
//     updates minus deletes) are exactly the objects in the store that
//     match the informer's namespace and selector, at their latest
//     resourceVersion. This holds across dropped watches, compaction and
//     an unavailable store: an object deleted while the informer was not
//     watching is delivered as OnDelete with the last state the informer
//     knew. No delete is lost.
//   - No duplicates: a given revision of an object is delivered at most
//     once (as an add or as the new side of an update), except for
//     resyncs, which call OnUpdate(obj, obj) on purpose, and for the
//     initial OnAdd calls of a handler added late. An object deleted and
//     re-created under the same name during an outage is delivered as a
//     delete of the old one and an add of the new one (they differ by
//     UID).
//   - Handlers are level-triggered at heart: they may see fewer
//     intermediate states than the store held (a relist collapses
//     them), never a state older than one they have seen.
//   - Objects passed to handlers and returned by the Lister are shared,
//     read-only views of the cache (no copy is made, for speed): never
//     modify them; DeepCopyObject first and write the copy to the store.
//
// # Cache and read-your-writes
//
// The cache is updated before handlers are called and never waits for
// them: a slow handler delays only later handler calls. Revision reports
// the store revision the cache reflects; WaitForRevision(ctx, R) blocks
// until the cache reflects revision R, so a controller that wrote an
// object (and got it back at resourceVersion R) can read its own write.
// HasSynced and WaitForSync report that the first list is in the cache
// and has been delivered to every handler added before it.
//
// # Recovery
//
// A watch that ends (ErrWatchDropped, ErrUnavailable, closed) is resumed
// from the cache's revision; when that revision is compacted away
// (ErrCompacted) the informer relists and delivers the difference.
// Consecutive failures back off exponentially (Config.InitialBackoff to
// Config.MaxBackoff, with jitter) on the injected Clock. Watches ask for
// progress notifications, so the revision advances while nothing in the
// informer's scope changes.
//
// # Concurrency
//
// An Informer is safe for concurrent use. Run may be called once; it owns
// the informer's goroutines and waits for them before it returns.
package informer
