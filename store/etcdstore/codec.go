package etcdstore

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// encode returns the stored form of obj: compact JSON without the
// resourceVersion (which is the key's mod revision). JSON rather than a
// binary codec keeps etcd's data readable with etcdctl; its cost is
// measured by BenchmarkEncode.
func encode(obj api.Object) ([]byte, error) {
	m := obj.Meta()
	rv := m.ResourceVersion
	m.ResourceVersion = 0
	data, err := json.Marshal(obj)
	m.ResourceVersion = rv
	if err != nil {
		return nil, fmt.Errorf("etcdstore: encode %s %s/%s: %w: %w", obj.Kind(), m.Namespace, m.Name, store.ErrInvalid, err)
	}
	if len(data) > store.MaxObjectBytes {
		return nil, fmt.Errorf("etcdstore: encode %s %s/%s: %d bytes, limit %d: %w", obj.Kind(), m.Namespace, m.Name, len(data), store.MaxObjectBytes, store.ErrInvalid)
	}
	return data, nil
}

// decodeValue decodes a stored value of kind at mod revision rev.
func decodeValue(kind api.Kind, value []byte, rev int64) (api.Object, error) {
	ki, ok := api.LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("etcdstore: decode: unknown kind %q: %w", kind, store.ErrInvalid)
	}
	obj := ki.New()
	if err := json.Unmarshal(value, obj); err != nil {
		return nil, fmt.Errorf("etcdstore: decode %s: %w: %w", kind, store.ErrInvalid, err)
	}
	obj.Meta().ResourceVersion = rev
	return obj, nil
}

func decode(kind api.Kind, kv *mvccpb.KeyValue) (api.Object, error) {
	obj, err := decodeValue(kind, kv.Value, kv.ModRevision)
	if err != nil {
		return nil, fmt.Errorf("%w (key %s)", err, kv.Key)
	}
	return obj, nil
}

// continueToken is the position after which the next page of a List
// starts, and the revision the whole list is read at.
type continueToken struct {
	Rev       int64  `json:"r"`
	Namespace string `json:"n,omitempty"`
	Name      string `json:"m"`
}

func (t continueToken) String() string {
	b, _ := json.Marshal(t) // cannot fail: a struct of strings and an int
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseContinue parses a token made by continueToken.String. Tokens come
// from clients, so every malformed one is ErrInvalid.
func parseContinue(s string) (continueToken, error) {
	var t continueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, fmt.Errorf("etcdstore: continue token: %w: %w", store.ErrInvalid, err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("etcdstore: continue token: %w: %w", store.ErrInvalid, err)
	}
	if t.Rev <= 0 || t.Name == "" {
		return t, fmt.Errorf("etcdstore: continue token: no revision or position: %w", store.ErrInvalid)
	}
	if t.Namespace != "" {
		if err := validLabel(t.Namespace); err != nil {
			return t, fmt.Errorf("etcdstore: continue token: %w", err)
		}
	}
	if err := validName(t.Name); err != nil {
		return t, fmt.Errorf("etcdstore: continue token: %w", err)
	}
	return t, nil
}
