package reconciletest

import (
	"runtime"
	"testing"
	"time"
)

// Eventually polls cond until it holds, failing t with msg after a
// generous real-time bound (a hang guard, not a timing assertion: the
// bound only turns a deadlock into a failure instead of a test timeout).
func Eventually(t testing.TB, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition never held: "+msg, args...)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// WaitTimers waits until c has at least n timers pending, so that an
// Advance is seen by whoever armed them.
func WaitTimers(t testing.TB, c *Clock, n int) {
	t.Helper()
	Eventually(t, func() bool { return c.Timers() >= n }, "want %d pending timers, have %d", n, c.Timers())
}
