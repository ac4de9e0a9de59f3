package node_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/fleetkit/orchestrator/runtime/runtimetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leak := runtimetest.Leaked("orchestrator/node"); leak != "" {
			fmt.Fprintln(os.Stderr, leak)
			code = 1
		}
	}
	os.Exit(code)
}
