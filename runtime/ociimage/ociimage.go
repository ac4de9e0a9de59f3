package ociimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// Media types and annotations of the OCI image specification.
const (
	MediaTypeIndex    = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar"

	// AnnotationRefName is the OCI tag annotation of a manifest in index.json.
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// AnnotationImageName is the full image name containerd stores the
	// image under when it imports the archive.
	AnnotationImageName = "io.containerd.image.name"
)

// ErrInvalid is wrapped by every error about a malformed Image or archive.
var ErrInvalid = errors.New("ociimage: invalid")

// epoch is the timestamp of every entry: fixed so that output is
// reproducible.
var epoch = time.Unix(0, 0).UTC()

// File is one file of an image's single layer.
type File struct {
	// Path is absolute or relative to /, with forward slashes.
	Path string
	// Mode holds permission bits; 0 means 0644 (0755 for Executable).
	Mode fs.FileMode
	// Executable is a shorthand for Mode 0755.
	Executable bool
	Data       []byte
	// Symlink, when set, makes the entry a symbolic link to it; Data is
	// ignored.
	Symlink string
}

// Image is what Write puts in an archive.
type Image struct {
	// Ref is the full name, e.g. "docker.io/fleetkit/echo:1". Required.
	Ref string
	// Files make up the image's only layer.
	Files      []File
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	// User is the default user ("65534" or "1000:1000"); "" is root.
	User string
	// OS and Architecture default to linux and amd64.
	OS, Architecture string
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType,omitempty"`
	Manifests     []descriptor `json:"manifests"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType,omitempty"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

type imageConfig struct {
	Created      time.Time       `json:"created"`
	Architecture string          `json:"architecture"`
	OS           string          `json:"os"`
	Config       containerConfig `json:"config"`
	RootFS       rootFS          `json:"rootfs"`
}

type containerConfig struct {
	User       string   `json:"User,omitempty"`
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Layer returns the uncompressed tar layer of files, deterministically.
func Layer(files []File) ([]byte, error) {
	type entry struct {
		name string
		f    *File
	}
	seen := map[string]bool{}
	var entries []entry
	for i := range files {
		f := &files[i]
		p := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if p == "" || p == "." {
			return nil, fmt.Errorf("ociimage: file %q: empty path: %w", f.Path, ErrInvalid)
		}
		if seen[p] {
			return nil, fmt.Errorf("ociimage: file %q given twice: %w", f.Path, ErrInvalid)
		}
		seen[p] = true
		entries = append(entries, entry{p, f})
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if !seen[d+"/"] {
				seen[d+"/"] = true
				entries = append(entries, entry{d + "/", nil})
			}
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case e.f == nil:
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
			if seen[strings.TrimSuffix(e.name, "/")] {
				return nil, fmt.Errorf("ociimage: %q is both a file and a directory: %w", e.name, ErrInvalid)
			}
		case e.f.Symlink != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.f.Symlink, 0o777
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.f.Data))
			h.Mode = int64(e.f.Mode.Perm())
			if h.Mode == 0 {
				h.Mode = 0o644
				if e.f.Executable {
					h.Mode = 0o755
				}
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("ociimage: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.f.Data); err != nil {
				return nil, fmt.Errorf("ociimage: %w", err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("ociimage: %w", err)
	}
	return buf.Bytes(), nil
}

// Write writes img as an OCI image layout archive to w and returns the
// digest of its manifest.
func Write(w io.Writer, img Image) (string, error) {
	if img.Ref == "" {
		return "", fmt.Errorf("ociimage: image has no ref: %w", ErrInvalid)
	}
	if img.OS == "" {
		img.OS = "linux"
	}
	if img.Architecture == "" {
		img.Architecture = "amd64"
	}
	layer, err := Layer(img.Files)
	if err != nil {
		return "", err
	}
	layerDigest := digestOf(layer)
	cfg, err := json.Marshal(imageConfig{
		Created: epoch, Architecture: img.Architecture, OS: img.OS,
		Config: containerConfig{User: img.User, Env: img.Env, Entrypoint: img.Entrypoint, Cmd: img.Cmd, WorkingDir: img.WorkingDir},
		RootFS: rootFS{Type: "layers", DiffIDs: []string{layerDigest}},
	})
	if err != nil {
		return "", fmt.Errorf("ociimage: %w", err)
	}
	man, err := json.Marshal(manifest{
		SchemaVersion: 2, MediaType: MediaTypeManifest,
		Config: descriptor{MediaType: MediaTypeConfig, Digest: digestOf(cfg), Size: int64(len(cfg))},
		Layers: []descriptor{{MediaType: MediaTypeLayer, Digest: layerDigest, Size: int64(len(layer))}},
	})
	if err != nil {
		return "", fmt.Errorf("ociimage: %w", err)
	}
	manDigest := digestOf(man)
	tag := img.Ref
	if i := strings.LastIndex(tag, ":"); i > strings.LastIndex(tag, "/") {
		tag = tag[i+1:]
	} else {
		tag = "latest"
	}
	idx, err := json.Marshal(index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: []descriptor{{
		MediaType: MediaTypeManifest, Digest: manDigest, Size: int64(len(man)),
		Annotations: map[string]string{AnnotationImageName: img.Ref, AnnotationRefName: tag},
		Platform:    &platform{Architecture: img.Architecture, OS: img.OS},
	}}})
	if err != nil {
		return "", fmt.Errorf("ociimage: %w", err)
	}
	tw := tar.NewWriter(w)
	put := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	blobs := [][]byte{cfg, layer, man}
	sort.Slice(blobs, func(i, j int) bool { return digestOf(blobs[i]) < digestOf(blobs[j]) })
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Mode: 0o755, ModTime: epoch, Typeflag: tar.TypeDir, Format: tar.FormatPAX}); err != nil {
			return "", fmt.Errorf("ociimage: %w", err)
		}
	}
	for _, b := range blobs {
		if err := put("blobs/sha256/"+strings.TrimPrefix(digestOf(b), "sha256:"), b); err != nil {
			return "", fmt.Errorf("ociimage: %w", err)
		}
	}
	if err := put("index.json", idx); err != nil {
		return "", fmt.Errorf("ociimage: %w", err)
	}
	if err := put("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return "", fmt.Errorf("ociimage: %w", err)
	}
	if err := tw.Close(); err != nil {
		return "", fmt.Errorf("ociimage: %w", err)
	}
	return manDigest, nil
}

// Manifest summarises one image of an archive, as Read returns it.
type Manifest struct {
	Ref        string
	Digest     string
	Entrypoint []string
	Cmd        []string
	// Files maps each regular file of the layers to its content.
	Files map[string][]byte
}

// maxBlob bounds what Read keeps in memory per blob.
const maxBlob = 256 << 20

// Read parses an OCI image layout archive and checks every digest. It is
// meant for tests and small archives: everything is held in memory.
func Read(r io.Reader) ([]Manifest, error) {
	tr := tar.NewReader(r)
	blobs := map[string][]byte{}
	var idx []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ociimage: read archive: %w: %w", ErrInvalid, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxBlob+1))
		if err != nil {
			return nil, fmt.Errorf("ociimage: read %s: %w: %w", h.Name, ErrInvalid, err)
		}
		if len(b) > maxBlob {
			return nil, fmt.Errorf("ociimage: %s too large: %w", h.Name, ErrInvalid)
		}
		name := path.Clean(h.Name)
		switch {
		case name == "index.json":
			idx = b
		case strings.HasPrefix(name, "blobs/sha256/"):
			d := "sha256:" + strings.TrimPrefix(name, "blobs/sha256/")
			if digestOf(b) != d {
				return nil, fmt.Errorf("ociimage: blob %s does not match its digest: %w", name, ErrInvalid)
			}
			blobs[d] = b
		}
	}
	if idx == nil {
		return nil, fmt.Errorf("ociimage: no index.json: %w", ErrInvalid)
	}
	var ix index
	if err := json.Unmarshal(idx, &ix); err != nil {
		return nil, fmt.Errorf("ociimage: index.json: %w: %w", ErrInvalid, err)
	}
	var out []Manifest
	for _, md := range ix.Manifests {
		mb, ok := blobs[md.Digest]
		if !ok {
			return nil, fmt.Errorf("ociimage: manifest %s missing: %w", md.Digest, ErrInvalid)
		}
		var m manifest
		if err := json.Unmarshal(mb, &m); err != nil {
			return nil, fmt.Errorf("ociimage: manifest %s: %w: %w", md.Digest, ErrInvalid, err)
		}
		cb, ok := blobs[m.Config.Digest]
		if !ok {
			return nil, fmt.Errorf("ociimage: config %s missing: %w", m.Config.Digest, ErrInvalid)
		}
		var c imageConfig
		if err := json.Unmarshal(cb, &c); err != nil {
			return nil, fmt.Errorf("ociimage: config %s: %w: %w", m.Config.Digest, ErrInvalid, err)
		}
		ref := md.Annotations[AnnotationImageName]
		if ref == "" {
			ref = md.Annotations[AnnotationRefName]
		}
		res := Manifest{Ref: ref, Digest: md.Digest, Entrypoint: c.Config.Entrypoint, Cmd: c.Config.Cmd, Files: map[string][]byte{}}
		for _, l := range m.Layers {
			lb, ok := blobs[l.Digest]
			if !ok {
				return nil, fmt.Errorf("ociimage: layer %s missing: %w", l.Digest, ErrInvalid)
			}
			lt := tar.NewReader(bytes.NewReader(lb))
			for {
				h, err := lt.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return nil, fmt.Errorf("ociimage: layer %s: %w: %w", l.Digest, ErrInvalid, err)
				}
				if h.Typeflag == tar.TypeReg {
					b, err := io.ReadAll(lt)
					if err != nil {
						return nil, fmt.Errorf("ociimage: layer %s: %w: %w", l.Digest, ErrInvalid, err)
					}
					res.Files["/"+strings.TrimPrefix(path.Clean("/"+h.Name), "/")] = b
				}
			}
		}
		out = append(out, res)
	}
	return out, nil
}
