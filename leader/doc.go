// Package leader elects one active instance of a component (the
// scheduler, the controller set) among several processes.
//
// An Elector's Elect blocks until this process leads and returns a
// context that ends when leadership may be lost. Work done under that
// context is the leader's work; Run wraps Elect into "run this function
// while leading, campaign again when it ends".
//
// # Guarantees
//
// The leader's context is cancelled before any other candidate could
// take over: a leader that cannot renew its lease by RenewDeadline (of
// local time since the start of its last successful renewal) cancels the
// context, while a candidate takes over only after LeaseDuration (of its
// own local time) has passed without the lease record changing. As long
// as clocks run at the same rate (they need not agree) and the leader's
// work stops within LeaseDuration - RenewDeadline of its context ending,
// no two leaders act at once. Wall-clock skew between machines does not
// matter: nobody compares timestamps written by someone else.
//
// Backends: LeaseElector here, on any store.Store (a Lease object
// updated by compare-and-swap; works on memstore and etcdstore), and
// leader/etcdleader, on etcd's own leases and elections.
package leader
