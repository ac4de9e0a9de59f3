package leader_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package when an elector goroutine outlives the
// tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if l := leaked("orchestrator/leader."); l != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked:\n%s\n", l)
			code = 1
		}
	}
	os.Exit(code)
}

// leaked returns the stacks of goroutines still running code of this
// package (prefix), after a bounded wait for those that are exiting.
func leaked(prefix string) string {
	var out []string
	for range 100 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		out = out[:0]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, prefix) && !strings.Contains(g, "leaked(") && !strings.Contains(g, "_test.") {
				out = append(out, g)
			}
		}
		if len(out) == 0 {
			return ""
		}
		time.Sleep(20 * time.Millisecond)
	}
	return strings.Join(out, "\n\n")
}
