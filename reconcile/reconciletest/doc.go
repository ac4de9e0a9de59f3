// Package reconciletest holds test helpers for controllers: a fake clock
// (Clock), a simulated node agent (Kubelet) that runs pods on simulated
// nodes by writing their status through the store, and Eventually, a
// polling wait for end states.
//
// These are helpers for tests and benchmarks, never for production code.
package reconciletest
