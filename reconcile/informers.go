package reconcile

import (
	"log/slog"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// InformerOr returns shared when it is not nil, and otherwise a new
// informer of T on s: the default of a controller Config's informer
// fields, so that a controller works alone and shares caches when its
// host hands them in.
func InformerOr[T api.Object](shared *informer.Informer[T], s store.Store, logger *slog.Logger) (*informer.Informer[T], error) {
	if shared != nil {
		return shared, nil
	}
	return informer.New[T](s, informer.Config[T]{Logger: logger})
}
