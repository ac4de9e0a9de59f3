// Package leakcheck fails a test binary whose tests leave goroutines
// running: every goroutine the module starts must have an owner that
// waits for it. Packages that start goroutines call Main from TestMain.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Grace is how long goroutines may take to unwind after the tests end.
const Grace = 5 * time.Second

// Main runs m and, if the tests passed, fails the binary when a goroutine
// whose stack mentions one of fragments (function-name fragments such as
// "orchestrator/store/memstore."; none means any package of this module)
// is still running after Grace.
//
//	func TestMain(m *testing.M) { leakcheck.Main(m, "orchestrator/node.") }
func Main(m *testing.M, fragments ...string) {
	code := m.Run()
	if code == 0 {
		if leaked := Leaked(Grace, fragments...); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// Leaked waits up to grace for every goroutine whose stack mentions one of
// fragments (none: any package of this module) to end, and returns the
// stacks of those that did not, or "".
func Leaked(grace time.Duration, fragments ...string) string {
	if len(fragments) == 0 {
		fragments = []string{"github.com/fleetkit/orchestrator/"}
	}
	deadline := time.Now().Add(grace)
	for {
		left := matching(fragments)
		if len(left) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return fmt.Sprintf("%d goroutines:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func matching(fragments []string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		// The goroutine asking (running Main or Leaked) is not a leak.
		if strings.Contains(g, "internal/leakcheck.Leaked(") || strings.Contains(g, "testing.(*M).") {
			continue
		}
		for _, f := range fragments {
			if strings.Contains(g, f) {
				left = append(left, g)
				break
			}
		}
	}
	return left
}
