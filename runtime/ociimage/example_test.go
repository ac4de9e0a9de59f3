package ociimage_test

import (
	"bytes"
	"fmt"

	"github.com/fleetkit/orchestrator/runtime/ociimage"
)

// An image from one file, read back.
func ExampleWrite() {
	var buf bytes.Buffer
	if _, err := ociimage.Write(&buf, ociimage.Image{
		Ref:        "docker.io/fleetkit/hello:1",
		Files:      []ociimage.File{{Path: "/hello.txt", Data: []byte("hello\n")}},
		Entrypoint: []string{"/bin/cat", "/hello.txt"},
	}); err != nil {
		panic(err)
	}
	ms, err := ociimage.Read(&buf)
	if err != nil {
		panic(err)
	}
	fmt.Println(ms[0].Ref, ms[0].Entrypoint, string(ms[0].Files["/hello.txt"]))
	// Output: docker.io/fleetkit/hello:1 [/bin/cat /hello.txt] hello
}
