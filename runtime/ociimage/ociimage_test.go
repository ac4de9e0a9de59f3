package ociimage

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sample() Image {
	return Image{
		Ref:        "docker.io/fleetkit/echo:1",
		Files:      []File{{Path: "/bin/echo", Data: []byte("#!bin"), Executable: true}, {Path: "etc/motd", Data: []byte("hi")}},
		Entrypoint: []string{"/bin/echo"},
		Cmd:        []string{"hello"},
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	var a, b bytes.Buffer
	da, err := Write(&a, sample())
	if err != nil {
		t.Fatal(err)
	}
	db, err := Write(&b, sample())
	if err != nil {
		t.Fatal(err)
	}
	if da != db || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("output not deterministic: %s vs %s", da, db)
	}
	ms, err := Read(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := []Manifest{{
		Ref: "docker.io/fleetkit/echo:1", Digest: da,
		Entrypoint: []string{"/bin/echo"}, Cmd: []string{"hello"},
		Files: map[string][]byte{"/bin/echo": []byte("#!bin"), "/etc/motd": []byte("hi")},
	}}
	if d := cmp.Diff(want, ms); d != "" {
		t.Fatalf("read back (-want +got):\n%s", d)
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name string
		img  Image
	}{
		{"no ref", Image{}},
		{"duplicate", Image{Ref: "x", Files: []File{{Path: "/a"}, {Path: "a"}}}},
		{"file and dir", Image{Ref: "x", Files: []File{{Path: "/a"}, {Path: "/a/b"}}}},
		{"empty path", Image{Ref: "x", Files: []File{{Path: "/"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Write(&bytes.Buffer{}, tt.img); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Write = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestReadDetectsCorruption(t *testing.T) {
	var a bytes.Buffer
	if _, err := Write(&a, sample()); err != nil {
		t.Fatal(err)
	}
	b := a.Bytes()
	i := bytes.Index(b, []byte("#!bin"))
	if i < 0 {
		t.Fatal("layer content not found in archive")
	}
	b[i] = 'X'
	if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Read of corrupted archive = %v, want ErrInvalid", err)
	}
}

func FuzzRead(f *testing.F) {
	var a bytes.Buffer
	if _, err := Write(&a, sample()); err != nil {
		f.Fatal(err)
	}
	f.Add(a.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := Read(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		for _, m := range ms {
			if m.Digest == "" {
				t.Fatal("manifest without digest")
			}
		}
	})
}
