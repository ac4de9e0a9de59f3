package sched

import "time"

// Clock is the scheduler's source of time: back-off, Permit timeouts, gang
// timeouts and event aggregation all read it, so tests inject a fake one
// and never sleep. It must be safe for concurrent use.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives the time once d has elapsed.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f in its own goroutine once d has elapsed, unless
	// the returned stop function is called first (it reports whether it
	// stopped the call).
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
