// Package etcdleader is a leader.Elector on etcd's own primitives: a
// lease-backed session (go.etcd.io/etcd/client/v3/concurrency) and an
// election under a key prefix.
//
// # Guarantees
//
// The elector renews its etcd lease itself (KeepAliveOnce every
// RenewInterval) and measures each renewal from the moment it was sent.
// etcd expires the lease no earlier than TTL after it processed the last
// renewal, which is after it was sent; the leader's context is cancelled
// RenewDeadline (< TTL) after the last acknowledged renewal was sent, so
// it ends before etcd could expire the lease and hand the election to
// another candidate. A lost session (lease expired or revoked, client
// closed) cancels it at once. The difference TTL - RenewDeadline is the
// time the leader's work has to stop.
//
// One exception: a lease revoked by someone else ends the election at
// once, while this leader learns of it only at its next renewal (at most
// RenewInterval later). Nothing in this SDK revokes a lease it does not
// own.
//
// Elector is safe for concurrent use.
package etcdleader
