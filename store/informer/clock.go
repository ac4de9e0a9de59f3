package informer

import "time"

// Clock is the source of time for resync periods and back-off waits. Tests
// inject a fake one so that they never sleep. Any richer clock (with Now,
// timers, tickers) satisfies it.
type Clock interface {
	// After returns a channel that receives the time once d has elapsed.
	// It must be safe for concurrent use.
	After(d time.Duration) <-chan time.Time
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
