package sched

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scheduler's Prometheus metrics; a nil *metrics records
// nothing.
type metrics struct {
	attempts *prometheus.CounterVec
	e2e      prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, s *Scheduler) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "fleetkit", Subsystem: "scheduler", Name: "schedule_attempts_total",
			Help: "Scheduling attempts by result (scheduled, unschedulable, error).",
		}, []string{"result"}),
		e2e: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "fleetkit", Subsystem: "scheduler", Name: "pod_scheduling_duration_seconds",
			Help:    "Time from a pod's first queueing to its binding.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 18),
		}),
	}
	cs := []prometheus.Collector{m.attempts, m.e2e}
	for i, q := range []string{"active", "backoff", "unschedulable"} {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "fleetkit", Subsystem: "scheduler", Name: "pending_pods",
			Help: "Pods waiting in each sub-queue.", ConstLabels: prometheus.Labels{"queue": q},
		}, func() float64 {
			a, b, u := s.queue.Lens()
			return float64([]int{a, b, u}[i])
		}))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("sched: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) attempt(result string, _ time.Time) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(result).Inc()
}

func (m *metrics) bound(qp *queuedPod, now time.Time) {
	if m == nil {
		return
	}
	m.e2e.Observe(now.Sub(qp.initialAttempt).Seconds())
}
