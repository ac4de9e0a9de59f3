package etcdstore

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

func samplePod() *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{
			Namespace: "default", Name: "web-7d4b9c8f6d-x2x4z", UID: "0b5e7c59-2f7a-4c43-9f0e-8b1d5c7e2a11",
			ResourceVersion: 42, Generation: 1, CreationTimestamp: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
			Labels: map[string]string{"app": "web", "pod-template-hash": "7d4b9c8f6d"},
		},
		Spec: api.PodSpec{Containers: []api.Container{{
			Name: "app", Image: "registry.example/team/app:1.4.2",
			Ports: []api.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: api.ProtocolTCP}},
			Env:   []api.EnvVar{{Name: "LOG_LEVEL", Value: "info"}},
			Resources: api.ResourceRequirements{
				Requests: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("250m"), api.ResourceMemory: api.MustParseQuantity("256Mi")},
			},
		}}, NodeName: "node-1"},
		Status: api.PodStatus{Phase: api.PodRunning, PodIP: "10.1.2.3"},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	in := samplePod()
	data, err := encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if in.ResourceVersion != 42 {
		t.Fatal("encode changed its input")
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["metadata"].(map[string]any)["resourceVersion"]; ok {
		t.Fatal("the stored form carries a resourceVersion; it must come from the mod revision")
	}
	out, err := decodeValue(api.KindPod, data, 42)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Fatalf("round trip (-in +out):\n%s", d)
	}
}

func TestContinueToken(t *testing.T) {
	for _, tok := range []continueToken{{Rev: 7, Namespace: "a-b", Name: "p.q"}, {Rev: 1, Name: "node-1"}} {
		got, err := parseContinue(tok.String())
		if err != nil || got != tok {
			t.Fatalf("round trip of %+v: %+v %v", tok, got, err)
		}
	}
	for _, bad := range []string{"", "!!", "e30", "eyJyIjowLCJtIjoieCJ9", "eyJyIjoxLCJtIjoiWC9ZIn0"} {
		if _, err := parseContinue(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("parseContinue(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

// FuzzParseContinue: any token parses to a valid position or fails with
// ErrInvalid, and a parsed token prints back to one that parses equal.
func FuzzParseContinue(f *testing.F) {
	f.Add(continueToken{Rev: 7, Namespace: "a-b", Name: "p.q"}.String())
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseContinue(s)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		again, err := parseContinue(tok.String())
		if err != nil || again != tok {
			t.Fatalf("%+v does not round-trip: %+v %v", tok, again, err)
		}
	})
}

// FuzzDecodeValue: stored bytes (possibly written by another tool)
// decode to an object or fail with ErrInvalid, never panic; after one
// round trip the encoding no longer changes.
func FuzzDecodeValue(f *testing.F) {
	data, _ := encode(samplePod())
	f.Add(data)
	f.Add([]byte(`{"metadata":{"name":"x"}}`))
	f.Add([]byte(`{"spec":{"containers":[{"resources":{"requests":{"cpu":"1e3"}}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		obj, err := decodeValue(api.KindPod, b, 5)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		again, err := encode(obj)
		if err != nil {
			return // e.g. over the size limit once re-encoded
		}
		back, err := decodeValue(api.KindPod, again, 5)
		if err != nil {
			t.Fatalf("re-encoded object does not decode: %v", err)
		}
		// After one round trip the encoding is canonical: a fixed point
		// (specBytes relies on it to compare specs).
		canon, err := encode(back)
		if err != nil {
			t.Fatal(err)
		}
		back2, err := decodeValue(api.KindPod, canon, 5)
		if err != nil {
			t.Fatal(err)
		}
		if third, err := encode(back2); err != nil || string(third) != string(canon) {
			t.Fatalf("canonical encoding is not a fixed point:\n%s\n%s (%v)", canon, third, err)
		}
	})
}

// BenchmarkCodec: the cost of the JSON stored form of a typical pod.
func BenchmarkCodec(b *testing.B) {
	p := samplePod()
	data, err := encode(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p.Annotations = map[string]string{"i": strconv.Itoa(i)}
			if _, err := encode(p); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data)), "bytes/object")
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeValue(api.KindPod, data, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
