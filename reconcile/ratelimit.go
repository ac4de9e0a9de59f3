package reconcile

import (
	"math"
	"sync"
	"time"
)

// RateLimit configures retry back-off: per key, an exponential delay of
// BaseDelay·2^(failures) capped at MaxDelay; overall, a token bucket of QPS
// retries per second with Burst, shared by every key of one queue. A retry
// waits for the larger of the two. Only retries are limited: a key queued
// because its object changed goes to the queue at once.
type RateLimit struct {
	// BaseDelay is the first retry's delay. Defaults to 5ms.
	BaseDelay time.Duration
	// MaxDelay caps the per-key delay. Defaults to 5m.
	MaxDelay time.Duration
	// QPS is the overall retry rate. Defaults to 10.
	QPS float64
	// Burst is the overall bucket size. Defaults to 100.
	Burst int
}

func (r RateLimit) withDefaults() RateLimit {
	if r.BaseDelay <= 0 {
		r.BaseDelay = 5 * time.Millisecond
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = 5 * time.Minute
	}
	if r.MaxDelay < r.BaseDelay {
		r.MaxDelay = r.BaseDelay
	}
	if r.QPS <= 0 {
		r.QPS = 10
	}
	if r.Burst <= 0 {
		r.Burst = 100
	}
	return r
}

// limiter implements RateLimit against a Clock. Safe for concurrent use.
type limiter struct {
	cfg   RateLimit
	clock Clock

	mu       sync.Mutex
	failures map[Request]int
	tokens   float64 // may go negative: reserved future tokens
	last     time.Time
}

func newLimiter(cfg RateLimit, c Clock) *limiter {
	return &limiter{cfg: cfg, clock: c, failures: make(map[Request]int), tokens: float64(cfg.Burst), last: c.Now()}
}

// when records one more failure of req and returns how long its retry
// waits.
func (l *limiter) when(req Request) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.failures[req]
	l.failures[req] = n + 1
	per := l.cfg.MaxDelay
	if n < 62 {
		if d := float64(l.cfg.BaseDelay) * math.Pow(2, float64(n)); d < float64(l.cfg.MaxDelay) {
			per = time.Duration(d)
		}
	}
	// Token bucket: refill since last, take one token (possibly going
	// into debt), and wait until the debt is paid.
	now := l.clock.Now()
	if el := now.Sub(l.last); el > 0 {
		l.tokens = math.Min(float64(l.cfg.Burst), l.tokens+el.Seconds()*l.cfg.QPS)
		l.last = now
	}
	l.tokens--
	var overall time.Duration
	if l.tokens < 0 {
		overall = time.Duration(-l.tokens / l.cfg.QPS * float64(time.Second))
	}
	return max(per, overall)
}

func (l *limiter) forget(req Request) {
	l.mu.Lock()
	delete(l.failures, req)
	l.mu.Unlock()
}

func (l *limiter) numRequeues(req Request) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failures[req]
}
