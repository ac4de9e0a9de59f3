package leakcheck

import (
	"strings"
	"testing"
	"time"
)

//go:noinline
func parkedInLeakcheckTestHelper(started chan<- struct{}, release <-chan struct{}, done chan<- struct{}) {
	close(started)
	<-release
	close(done)
}

// TestLeaked finds a goroutine that is still running and stops reporting
// it once it has ended.
func TestLeaked(t *testing.T) {
	started, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go parkedInLeakcheckTestHelper(started, release, done)
	<-started
	got := Leaked(50*time.Millisecond, "parkedInLeakcheckTestHelper")
	close(release)
	<-done
	if !strings.Contains(got, "parkedInLeakcheckTestHelper") {
		t.Fatalf("Leaked did not report the parked goroutine: %q", got)
	}
	if got := Leaked(5*time.Second, "parkedInLeakcheckTestHelper"); got != "" {
		t.Fatalf("Leaked reports a goroutine that has ended: %q", got)
	}
}
