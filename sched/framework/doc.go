// Package framework defines the scheduler's extension points and the data
// plugins see.
//
// Extension points are small interfaces that embed Plugin (PreFilter,
// Filter, PostFilter, PreScore, Score with optional ScoreNormalizer,
// Reserve/Unreserve, Permit, PreBind, Bind, PostBind); a plugin implements
// any subset and the scheduler finds them by type assertion. Plugins reach
// the scheduler through a Registry of Factory functions that the host
// builds and passes in: there is no global registration.
//
// Guarantees the scheduler gives plugins:
//   - Filter and Score are called concurrently for different nodes of one
//     cycle; every other point is called from one goroutine per pod.
//   - NodeInfo, PodInfo and api objects handed to plugins are shared and
//     read-only; a plugin never sees a NodeInfo change during a cycle.
//   - Per-cycle state lives in a CycleState under typed StateKeys.
//   - Unreserve is called exactly for pods that passed Reserve and then
//     failed a later stage, and may be called more than once.
//
// A Status carries the reasons shown to users ("Insufficient cpu"); a
// rejected pod's message aggregates them over nodes, so every Filter
// explains itself.
package framework
