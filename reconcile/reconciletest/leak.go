package reconciletest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs m, then fails the package if goroutines started by the
// module's code are still running once the tests are done (every
// goroutine must have an owner that waits for it). Use it from TestMain:
//
//	func TestMain(m *testing.M) { reconciletest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitForLeaks(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// waitForLeaks returns the stacks of the module's goroutines still alive
// after grace (goroutines may take a moment to unwind after their owner
// returns), or "".
func waitForLeaks(grace time.Duration) string {
	deadline := time.Now().Add(grace)
	for {
		leaked := moduleGoroutines()
		if leaked == "" || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func moduleGoroutines() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "github.com/fleetkit/orchestrator/") || strings.Contains(g, "reconciletest.moduleGoroutines") ||
			strings.Contains(g, "reconciletest.Main") {
			continue
		}
		out = append(out, g)
	}
	return strings.Join(out, "\n\n")
}
