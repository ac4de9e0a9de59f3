// Package fake is an in-memory runtime.Runtime whose containers are
// simulated: each follows a Script (run for a while, exit with a code,
// crash, get OOM-killed, ignore SIGTERM, fail probes) on an injected clock.
// It costs a few hundred bytes and no goroutine per container, so one
// process can simulate thousands of nodes.
//
// Guarantees: it passes runtime/runtimetest like every backend; state
// changes happen only on Runtime calls and on clock time (clockwork fake
// clocks make tests deterministic); every exit is published to
// subscribers. It implements runtime.Prober so probes follow the script
// instead of the network.
//
// Scripts come from Config.Behavior. The default, ArgsBehavior, reads the
// container's command line in the language of runtime/runtimetest's test
// program (run, exit N, sleep-exit MS N, ignore-term, oom, ...), so the
// same pod spec behaves the same on the fake and on a real backend.
//
// A Runtime is safe for concurrent use.
package fake
