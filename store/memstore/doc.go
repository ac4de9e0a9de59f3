// Package memstore is the in-memory store.Store: the embedded default,
// for a cluster in one process and for tests. It passes store/storetest
// without opting out of anything.
//
// # Model
//
// One global revision under one sync.RWMutex. The current objects of each
// kind live in a map by namespace then name; a List in one namespace scans
// that namespace only, and a label selector is matched while scanning (no
// label index: see BenchmarkList10kSelector; the deep copies of the
// matching items, not the scan, dominate a selective list). Writes take the lock exclusively, reads share
// it. Stored objects are immutable: a write stores a new object and never
// changes one in place, so a read can deep-copy outside the lock.
//
// # History and compaction
//
// Every write appends a change (the object before and after) to a bounded
// ring of Config.HistorySize changes. Watches replay from it and a List at
// a past revision undoes the changes after that revision from the current
// state. When the ring is full its oldest change is dropped and that
// revision becomes compacted; Compact drops history on request. Reading a
// revision below the oldest kept fails with store.ErrCompacted. The state
// at a compacted revision itself stays readable (as in etcd).
//
// # Watches
//
// A write hands its event to every watcher of its kind while it holds the
// lock, so every watcher sees the changes in revision order, with no gaps
// or duplicates, and a Bookmark never precedes a change it covers. The
// hand-off never blocks: each watcher has a buffered channel holding its
// initial replay plus Config.WatchBuffer events; a watcher whose buffer is
// full when a write arrives is closed at once with store.ErrWatchDropped
// (the events already buffered are still delivered first). Writers
// therefore never wait for a slow reader, and a dropped watcher relists.
// A watch opened WithProgressNotify gets a Bookmark after each
// Config.ProgressInterval without events.
//
// # Copies
//
// Create, Update and UpdateStatus store a deep copy of their input and
// return another; Get and List return deep copies. Watch events are not
// copied: one object per change is shared by every watcher and by the
// store's history. Watchers must treat event objects as read-only
// (DeepCopyObject before modifying): copying per watcher would cost a
// deep copy per event per watcher and cap fan-out far below what it is.
//
// # Size limit
//
// An object whose JSON encoding exceeds store.MaxObjectBytes is refused
// with store.ErrInvalid. Encoding every write would cost more than the
// write, so the store first computes an upper bound of the encoded size by
// walking the object without allocating (every string byte counted as its
// longest escape, every number at its longest form, every field as if
// present, quantities at their exact (memoised) length) with plans
// compiled once per type, and encodes only when the bound exceeds the
// limit: the check is exact, and cheap for every object not near it.
//
// # Time and identity
//
// CreationTimestamp and DeletionTimestamp come from Config.Clock,
// truncated to the second, in UTC. UIDs are random version 4 UUIDs from
// crypto/rand.
//
// # Goroutines
//
// The store starts no goroutine of its own. A watch registers a callback
// on its context (context.AfterFunc) and, with progress notification, a
// timer; both end with the watch. Close ends every watch with
// store.ErrUnavailable and fails later calls with it.
package memstore
