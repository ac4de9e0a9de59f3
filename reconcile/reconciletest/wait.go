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

// AdvanceUntil moves c forward by step at a time, giving the system a
// moment of real time to react after each step, until cond holds; it
// fails t if cond does not hold within limit of fake time. It returns the
// fake time that passed. Stepping avoids a race of single big advances:
// a component that reads the clock just before an advance and arms a
// timer just after it would wait a whole extra period.
func AdvanceUntil(t testing.TB, c *Clock, step, limit time.Duration, cond func() bool, msg string, args ...any) time.Duration {
	t.Helper()
	var passed time.Duration
	for {
		for range 50 {
			if cond() {
				return passed
			}
			runtime.Gosched()
			time.Sleep(time.Millisecond)
		}
		if passed >= limit {
			t.Fatalf("condition never held within %v of fake time: "+msg, append([]any{limit}, args...)...)
		}
		c.Advance(step)
		passed += step
	}
}
