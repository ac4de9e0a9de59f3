package runtimetest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"testing"

	"github.com/fleetkit/orchestrator/runtime/ociimage"
)

// TestImageRef is the name TestImage gives its image.
const TestImageRef = "fleetkit.test/testprog:1"

// TestProgPath is where the program sits in the image.
const TestProgPath = "/testprog"

// BuildGo builds the main package pkg (an import path) as a static binary
// (CGO_ENABLED=0) and returns its bytes.
func BuildGo(t testing.TB, pkg string) []byte {
	t.Helper()
	gobin := filepath.Join(goruntime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	out := filepath.Join(t.TempDir(), "prog")
	cmd := exec.Command(gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImage builds testprog and returns the OCI archive of an image named
// TestImageRef whose entrypoint is TestProgPath.
func TestImage(t testing.TB) []byte {
	t.Helper()
	bin := BuildGo(t, "github.com/fleetkit/orchestrator/runtime/runtimetest/testprog")
	var buf bytes.Buffer
	_, err := ociimage.Write(&buf, ociimage.Image{
		Ref:          TestImageRef,
		Files:        []ociimage.File{{Path: TestProgPath, Data: bin, Executable: true}, {Path: "/tmp/.keep"}, {Path: "/etc/passwd", Data: []byte("root:x:0:0:root:/:/testprog\nnobody:x:65534:65534:nobody:/:/testprog\n")}},
		Entrypoint:   []string{TestProgPath},
		Cmd:          []string{"run"},
		Architecture: goruntime.GOARCH,
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
