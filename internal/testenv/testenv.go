// Package testenv decides whether tests that need real parts (a containerd
// daemon, an etcd binary, root) run, skip, or fail.
//
// Outside CI a test whose dependency is missing skips with a message that
// says what is missing. In CI (CI=true) it fails instead: CI installs and
// starts every dependency (.ci/run), so a missing one is a broken CI, not
// a reason to pass quietly.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test (outside CI) or fails it (in CI), naming what is
// missing and how to provide it.
func Missing(t testing.TB, what string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true but %s", what)
	}
	t.Skipf("skipping: %s", what)
}

// RequireRoot skips or fails unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "this test needs root")
	}
}

// ContainerdSocket returns the containerd socket the tests use, from
// FLEETKIT_CONTAINERD_SOCKET (set by scripts/containerd-up.sh), or skips or
// fails when it is unset or absent.
func ContainerdSocket(t testing.TB) string {
	t.Helper()
	p := os.Getenv("FLEETKIT_CONTAINERD_SOCKET")
	if p == "" {
		Missing(t, "FLEETKIT_CONTAINERD_SOCKET is not set (start one with scripts/containerd-up.sh)")
		return ""
	}
	if _, err := os.Stat(p); err != nil {
		Missing(t, "containerd socket "+p+" is absent: "+err.Error())
	}
	return p
}

// Binary returns the path of an executable named by the environment
// variable env, or else found on PATH as name; it skips or fails when
// there is none.
func Binary(t testing.TB, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed (set "+env+" or install it; .ci/run does)")
	}
	return p
}
