package endpoints_test

import (
	"testing"

	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
)

func TestMain(m *testing.M) { reconciletest.Main(m) }
