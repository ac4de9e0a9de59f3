package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode: decoding never panics, every failure is an Errors whose
// problems carry a document index and a category, and whatever decodes
// survives a round trip through EncodeYAML.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}`))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("apiVersion: v1\nkind: Namespace\nmetadata: &m {<<: *m}\n"))
	f.Add([]byte("%YAML 1.2\n---\n"))
	opts := DecodeOptions{MaxNodes: 20_000}
	f.Fuzz(func(t *testing.T, in []byte) {
		objs, err := opts.DecodeBytes(in)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty Errors", err, err)
			}
			for _, e := range errs {
				if e.Document < 1 || e.Err == nil {
					t.Fatalf("problem without document or category: %#v", e)
				}
			}
			if objs != nil {
				t.Fatalf("objects returned with an error")
			}
			return
		}
		var buf bytes.Buffer
		if err := EncodeYAML(&buf, objs...); err != nil {
			t.Fatalf("encode of decoded objects: %v", err)
		}
		back, err := DecodeBytes(buf.Bytes())
		if err != nil {
			t.Fatalf("decode of encoded objects: %v\n%s", err, buf.String())
		}
		if diff := cmp.Diff(objs, back, cmpOpts); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

// BenchmarkDecodeProductionApp decodes, defaults and validates the
// seven-document production manifest.
func BenchmarkDecodeProductionApp(b *testing.B) {
	in := readTestdata(b, "production-app.yaml")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var objs int
	for b.Loop() {
		out, err := DecodeBytes(in)
		if err != nil {
			b.Fatal(err)
		}
		objs = len(out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*objs), "ns/object")
}

// BenchmarkEncodeYAMLProductionApp encodes the same objects.
func BenchmarkEncodeYAMLProductionApp(b *testing.B) {
	objs, err := DecodeBytes(readTestdata(b, "production-app.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeYAML(&bytes.Buffer{}, objs...); err != nil {
			b.Fatal(err)
		}
	}
}
