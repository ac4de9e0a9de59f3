// Package reconcile is the controller kit: reconcilers, a work queue,
// watches that map store changes to keys, and a controller runner with
// workers, leader election, metrics and structured logs. The built-in
// controllers live in its subpackages (replicaset, deployment,
// nodelifecycle, endpoints, gc, quota, podgroup).
//
// # Requests are keys
//
// A Request names an object (kind, namespace, name), never an event. A
// Reconciler reads current state and acts on it, so missed, merged or
// repeated notifications are harmless: reconciling twice is the same as
// reconciling once.
//
// # Guarantees of the Queue
//
//   - a key is queued at most once (de-duplication);
//   - a key is never handed to two workers at once; a key added while it is
//     processed is processed again after Done, so no change is lost;
//   - failures are retried with per-key exponential back-off and an overall
//     token bucket (RateLimit); Result.RequeueAfter requeues after a delay;
//     errors wrapping ErrTerminal (Terminal) are not retried; a panicking
//     reconciler is recovered (ErrPanic) and retried like an error; an
//     error wrapping store.ErrConflict (a lost compare-and-swap: the
//     reconciler read a stale version) is retried after the base delay
//     without growing the back-off;
//   - after ShutDown, ready keys drain and delayed keys are dropped.
//
// # Guarantees of the Controller
//
//   - Start blocks until leadership (Elector; SingleProcess by default),
//     runs the watched caches, waits for their first list, then runs
//     Config.Workers workers until ctx ends;
//   - on shutdown, reconciles in flight finish with a live context before
//     Start returns, and only then is leadership given up (the elector's
//     context is ended); on leadership loss their context is cancelled
//     and Start returns ErrLeadershipLost. The leader package's electors
//     have the Elector shape and plug in directly;
//   - every goroutine it starts has returned when Start returns;
//   - time (back-off, requeue-after) comes from Config.Clock.
//
// # Metrics
//
// On the Registerer the host passes in, labelled controller=<name>:
// fleetkit_reconcile_queue_depth, fleetkit_reconcile_queue_wait_seconds,
// fleetkit_reconcile_duration_seconds, fleetkit_reconcile_errors_total and
// fleetkit_reconcile_total.
//
// # Watches
//
// Watch connects a store/informer.Informer to a controller through a
// Mapper: ForObject (the object itself), ForController and ForOwners
// (owners through ownerReferences), or any function. Objects read from an
// informer are shared: controllers copy before they modify.
package reconcile
