package memstore_test

import (
	"testing"

	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
	"github.com/fleetkit/orchestrator/store/storetest"
)

func newStore(t *testing.T, cfg memstore.Config) *memstore.Store {
	t.Helper()
	s, err := memstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, memstore.Config{}) })
}
