package runtimetest

import (
	"fmt"

	"github.com/fleetkit/orchestrator/internal/leakcheck"
)

// Leaked waits up to five seconds for every goroutine whose stack mentions
// one of the given function-name fragments (for example
// "orchestrator/node.") to end, and returns the stacks of those that did
// not. Call it from TestMain after m.Run.
func Leaked(fragments ...string) string {
	if l := leakcheck.Leaked(leakcheck.Grace, fragments...); l != "" {
		return fmt.Sprintf("goroutines leaked: %s", l)
	}
	return ""
}
