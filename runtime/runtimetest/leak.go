package runtimetest

import (
	"fmt"
	goruntime "runtime"
	"strings"
	"time"
)

// Leaked waits up to five seconds for every goroutine whose stack mentions
// one of the given function-name fragments (for example
// "orchestrator/node.") to end, and returns the stacks of those that did
// not. Call it from TestMain after m.Run.
func Leaked(fragments ...string) string {
	var left []string
	for i := 0; i < 500; i++ {
		buf := make([]byte, 1<<20)
		buf = buf[:goruntime.Stack(buf, true)]
		left = left[:0]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "runtimetest.Leaked") {
				continue
			}
			for _, f := range fragments {
				if strings.Contains(g, f) {
					left = append(left, g)
					break
				}
			}
		}
		if len(left) == 0 {
			return ""
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Sprintf("%d goroutines leaked:\n%s", len(left), strings.Join(left, "\n\n"))
}
