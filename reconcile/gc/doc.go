// Package gc is the garbage collector: it deletes dependents whose owners
// are gone, following ownerReferences.
//
// Guarantees:
//   - Background (the default deletion): once no owner of a dependent
//     exists any more (by name and UID, checked against the store, never
//     only the cache), the dependent is deleted, conditional on the
//     version that was judged (so a dependent orphaned meanwhile stays).
//     A dependent with some owners left only loses its dangling
//     references.
//   - Orphan: an owner deleted with the orphan policy (finalizer
//     "orphan") first has every dependent's reference to it removed (the
//     dependents listed from the store, not the cache), then its finalizer
//     removed; the dependents stay.
//   - Foreground: an owner deleted with the foreground policy (finalizer
//     "foregroundDeletion") has its dependents deleted (in foreground
//     themselves, so the deletion cascades), and goes only when no
//     dependent that blocks owner deletion is left.
//   - Deletions cascade across the kinds the collector follows
//     (Config.Kinds): a Deployment takes its ReplicaSets, which take their
//     pods.
package gc
