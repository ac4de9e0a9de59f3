package memstore_test

import (
	"testing"

	"github.com/fleetkit/orchestrator/internal/leakcheck"
)

// TestMain fails the package when a goroutine of the package outlives
// the tests.
func TestMain(m *testing.M) { leakcheck.Main(m, "orchestrator/store.", "orchestrator/store/memstore.") }
