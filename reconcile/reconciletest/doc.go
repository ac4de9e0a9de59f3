// Package reconciletest holds test helpers for controllers: a fake clock
// (Clock, with AdvanceUntil to step it while a system reacts), a
// simulated node agent (Kubelet) that binds pods round-robin, runs them on
// simulated nodes by writing their status through the store and renews
// node leases, Eventually (a polling wait for end states), and Main (a
// goroutine-leak check for TestMain).
//
// These are helpers for tests and benchmarks, never for production code.
package reconciletest
