// Package objects holds the kind-aware helpers every store backend needs
// to apply the store contract the same way: key checks, name generation,
// UIDs, the spec/status split and the encoded-size bound.
//
// Every function is pure (or reads crypto/rand) and safe for concurrent
// use. Objects passed in are read, never retained, and modified only where
// a function says so.
package objects

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// CheckKey checks that obj is of a known kind, that its name is a valid
// name for the kind, and that it has a namespace exactly when its kind is
// namespaced. Errors wrap store.ErrInvalid.
func CheckKey(obj api.Object) (api.KindInfo, error) {
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		return api.KindInfo{}, fmt.Errorf("nil object: %w", store.ErrInvalid)
	}
	ki, ok := api.LookupKind(obj.Kind())
	if !ok {
		return ki, fmt.Errorf("unknown kind %q: %w", obj.Kind(), store.ErrInvalid)
	}
	m := obj.Meta()
	return ki, CheckName(ki, m.Namespace, m.Name)
}

// CheckName checks namespace and name for kind ki (see CheckKey).
func CheckName(ki api.KindInfo, namespace, name string) error {
	if ki.Namespaced {
		if namespace == "" {
			return fmt.Errorf("%s %q: namespace is required: %w", ki.Kind, name, store.ErrInvalid)
		}
		if !IsDNS1123Label(namespace) {
			return fmt.Errorf("%s %q: namespace %q is not a DNS-1123 label: %w", ki.Kind, name, namespace, store.ErrInvalid)
		}
	} else if namespace != "" {
		return fmt.Errorf("%s %q is cluster-scoped but has namespace %q: %w", ki.Kind, name, namespace, store.ErrInvalid)
	}
	if name == "" {
		return fmt.Errorf("%s: name is required: %w", ki.Kind, store.ErrInvalid)
	}
	valid := IsDNS1123Subdomain(name)
	if ki.Kind == api.KindNamespace {
		valid = IsDNS1123Label(name)
	}
	if !valid {
		return fmt.Errorf("%s name %q is not a valid DNS-1123 name: %w", ki.Kind, name, store.ErrInvalid)
	}
	return nil
}

// IsDNS1123Label reports whether s is a DNS-1123 label: at most 63
// lowercase alphanumerics or '-', starting and ending alphanumeric.
func IsDNS1123Label(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// IsDNS1123Subdomain reports whether s is a DNS-1123 subdomain: at most
// 253 characters, dot-separated DNS-1123 labels.
func IsDNS1123Subdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if !IsDNS1123Label(s[start:i]) {
				return false
			}
			start = i + 1
		}
	}
	return true
}

// nameAlphabet avoids vowels and look-alike characters, so generated
// names never spell words, as Kubernetes does.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// GenerateName returns prefix followed by five random characters. The
// prefix is cut so that the result stays a valid DNS-1123 label length.
func GenerateName(prefix string) string {
	const suffix = 5
	if len(prefix) > 63-suffix {
		prefix = prefix[:63-suffix]
	}
	var b [suffix]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	out := make([]byte, 0, len(prefix)+suffix)
	out = append(out, prefix...)
	for _, c := range b {
		out = append(out, nameAlphabet[int(c)%len(nameAlphabet)])
	}
	return string(out)
}

// NewUID returns a random (version 4) UUID.
func NewUID() api.UID {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return api.UID(s[:])
}
