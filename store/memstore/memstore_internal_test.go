package memstore

import (
	"errors"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

func TestContinueTokenRoundTrip(t *testing.T) {
	for _, k := range []key{{"default", "web-0"}, {"", "node-a.example"}, {"a", "b"}} {
		rev, got, err := decodeContinue(encodeContinue(42, k))
		if err != nil || rev != 42 || got != k {
			t.Fatalf("round trip of %v: %d %v %v", k, rev, got, err)
		}
	}
	for _, bad := range []string{"", "!!", "MTIz", "MC9hL2I", "LTEvYS9i", "eC9hL2I"} { // "123", "0/a/b", "-1/a/b", "x/a/b"
		if _, _, err := decodeContinue(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("decode %q: %v, want ErrInvalid", bad, err)
		}
	}
}

// FuzzContinueToken: List with any token either fails with ErrInvalid or
// ErrCompacted, or returns a sorted page of the state at some revision;
// it never panics.
func FuzzContinueToken(f *testing.F) {
	f.Add(encodeContinue(1, key{"default", "a"}))
	f.Add(encodeContinue(3, key{"", ""}))
	f.Add("not base64")
	f.Add("MC8vLy8")
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}}
		if _, err := s.Create(f.Context(), p); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, tok string) {
		l, err := s.List(t.Context(), api.KindPod, store.WithContinue(tok), store.WithLimit(2))
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrCompacted) {
				t.Fatalf("token %q: %v", tok, err)
			}
			return
		}
		if len(l.Items) > 2 || l.Revision < 1 || l.Revision > 3 {
			t.Fatalf("token %q: %d items at revision %d", tok, len(l.Items), l.Revision)
		}
		for i := 1; i < len(l.Items); i++ {
			if l.Items[i-1].Meta().Name >= l.Items[i].Meta().Name {
				t.Fatalf("token %q: unsorted page", tok)
			}
		}
	})
}
