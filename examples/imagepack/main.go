// Command imagepack writes an OCI image archive from files on this
// machine, for clusters without a registry: a static binary is enough for
// an image.
//
//	CGO_ENABLED=0 go build -o web ./cmd/web
//	go run ./examples/imagepack -ref example.com/web:v1 -o web.tar -entrypoint /web web
//	go run ./examples/cluster -containerd $SOCK -import web.tar -f web.yaml
//
// Each argument is HOSTPATH or HOSTPATH:IMAGEPATH (default: /basename); a
// file executable on the host is executable in the image.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetkit/orchestrator/runtime/ociimage"
)

func main() {
	var (
		img        ociimage.Image
		out        string
		entrypoint string
		env        stringList
	)
	flag.StringVar(&img.Ref, "ref", "", "image name, e.g. example.com/web:v1 (required)")
	flag.StringVar(&out, "o", "", "archive to write (required)")
	flag.StringVar(&entrypoint, "entrypoint", "", "entrypoint, space-separated (default: the first file)")
	flag.StringVar(&img.User, "user", "", "default user, e.g. 65534; default root")
	flag.StringVar(&img.WorkingDir, "workdir", "", "working directory")
	flag.Var(&env, "env", "NAME=VALUE environment variable (repeatable)")
	flag.Parse()
	img.Env = env
	if err := pack(&img, out, entrypoint, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "imagepack:", err)
		os.Exit(1)
	}
}

// pack reads the files named by args into img and writes it to out.
func pack(img *ociimage.Image, out, entrypoint string, args []string) error {
	if img.Ref == "" || out == "" || len(args) == 0 {
		return fmt.Errorf("need -ref, -o and at least one file")
	}
	for _, a := range args {
		host, inImage, ok := strings.Cut(a, ":")
		if !ok {
			inImage = "/" + filepath.Base(host)
		}
		if !strings.HasPrefix(inImage, "/") {
			return fmt.Errorf("%s: the path in the image must be absolute", a)
		}
		fi, err := os.Stat(host)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", host)
		}
		data, err := os.ReadFile(host)
		if err != nil {
			return err
		}
		img.Files = append(img.Files, ociimage.File{Path: inImage, Data: data, Executable: fi.Mode()&0o111 != 0})
	}
	if entrypoint != "" {
		img.Entrypoint = strings.Fields(entrypoint)
	} else {
		img.Entrypoint = []string{img.Files[0].Path}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := ociimage.Write(f, *img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
