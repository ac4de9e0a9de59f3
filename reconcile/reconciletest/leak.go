package reconciletest

import (
	"testing"

	"github.com/fleetkit/orchestrator/internal/leakcheck"
)

// Main runs m, then fails the package if goroutines started by the
// module's code are still running once the tests are done (every
// goroutine must have an owner that waits for it). Use it from TestMain:
//
//	func TestMain(m *testing.M) { reconciletest.Main(m) }
func Main(m *testing.M) { leakcheck.Main(m) }
