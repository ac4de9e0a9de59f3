package node

import (
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/store"
)

// nilStore and nilRuntime satisfy the interfaces for tests of pure
// functions that never call them.
type nilStore struct{ store.Store }
type nilRuntime struct{ runtime.Runtime }
