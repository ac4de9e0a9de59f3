package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fleetkit/orchestrator/runtime/ociimage"
)

// TestPackWritesAReadableImage packs two files and reads the archive back:
// one image, with the given name and entrypoint.
func TestPackWritesAReadableImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "app")
	if err := os.WriteFile(bin, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "app.conf")
	if err := os.WriteFile(conf, []byte("level=info\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "app.tar")
	img := ociimage.Image{Ref: "example.com/app:v1"}
	if err := pack(&img, out, "", []string{bin, conf + ":/etc/app.conf"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := ociimage.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Ref != "example.com/app:v1" {
		t.Fatalf("archive holds %+v, want one image example.com/app:v1", ms)
	}
	if len(img.Entrypoint) != 1 || img.Entrypoint[0] != "/app" || !img.Files[0].Executable || img.Files[1].Executable {
		t.Fatalf("image = entrypoint %v, files %+v", img.Entrypoint, img.Files)
	}
	if err := pack(&ociimage.Image{Ref: "x:1"}, out, "", []string{conf + ":relative"}); err == nil {
		t.Fatal("a relative path in the image was accepted")
	}
}
