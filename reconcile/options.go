package reconcile

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Options are the settings every built-in controller takes from its host;
// each controller's Config embeds them. The zero value of every field is
// its default.
type Options struct {
	// Clock times back-off, requeue-after and the controller's own
	// deadlines. Defaults to RealClock.
	Clock Clock
	// Logger receives structured logs. Defaults to discarding.
	Logger *slog.Logger
	// Registerer receives the controller's metrics. Defaults to none.
	Registerer prometheus.Registerer
	// Elector gates the controller on leadership. Defaults to
	// SingleProcess.
	Elector Elector
	// RateLimit bounds retries. Zero fields take their defaults.
	RateLimit RateLimit
}

// WithDefaults returns o with Clock and Logger filled in, for controllers
// that read them directly.
func (o Options) WithDefaults() Options {
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Config returns the Config of a controller named name that runs r on
// workers workers with these options.
func (o Options) Config(name string, r Reconciler, workers int) Config {
	return Config{Name: name, Reconciler: r, Workers: workers, Clock: o.Clock, Logger: o.Logger,
		Registerer: o.Registerer, Elector: o.Elector, RateLimit: o.RateLimit}
}
