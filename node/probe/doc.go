// Package probe runs a container's health probes: HTTP GET, TCP connect
// and exec, each bounded by the probe's timeout.
//
// Guarantees: a probe never outlives its timeout (an exec'd probe process
// is killed and waited for by the runtime, so timed-out probes do not pile
// up); HTTP probes do not follow redirects off the pod and treat any status
// in [200, 400) as success; a runtime that implements runtime.Prober (a
// simulated one) answers probes itself and the network is not used.
//
// A Prober is safe for concurrent use.
package probe
