package etcdstore

import (
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/fleetkit/orchestrator/api"
)

// decodeCache shares decoded watch objects between the watches of one
// Store: N watchers of a change decode it once instead of N times, which
// is most of the cost of a fan-out (JSON decoding dominates). Objects in
// it are read-only, as event objects are (see the package doc).
//
// Update also reads it: a value at a mod revision never changes, so an
// object the caller read at resourceVersion rv (from a watch, or from a
// write of this Store) is the stored state at rv, and an update that
// names rv needs no read before its compare-and-swap transaction.
//
// It holds the last size decodes (FIFO). A miss only costs a decode, so
// correctness never depends on it. Safe for concurrent use.
type decodeCache struct {
	mu   sync.Mutex
	m    map[cacheKey]api.Object
	ring []cacheKey
	next int
}

type cacheKey struct {
	key string
	mod int64 // the value's mod revision
	rv  int64 // the resourceVersion the object carries
	// private entries are never handed out, so a caller that modifies an
	// event object (which it must not) cannot corrupt what Update takes
	// for the stored state.
	private bool
}

func newDecodeCache(size int) *decodeCache {
	return &decodeCache{m: make(map[cacheKey]api.Object, size), ring: make([]cacheKey, size)}
}

// decode returns kv decoded with resourceVersion rv, shared.
func (c *decodeCache) decode(kind api.Kind, kv *mvccpb.KeyValue, rv int64) (api.Object, error) {
	k := cacheKey{key: string(kv.Key), mod: kv.ModRevision, rv: rv}
	c.mu.Lock()
	obj, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return obj, nil
	}
	obj, err := decode(kind, kv)
	if err != nil {
		return nil, err
	}
	obj.Meta().ResourceVersion = rv
	if rv == kv.ModRevision {
		c.put(cacheKey{key: k.key, mod: k.mod, rv: rv, private: true}, obj.DeepCopyObject())
	}
	return c.put(k, obj), nil
}

// stored returns the object stored under key at mod revision mod, if
// cached. It is shared: read-only.
func (c *decodeCache) stored(key string, mod int64) (api.Object, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	obj, ok := c.m[cacheKey{key: key, mod: mod, rv: mod, private: true}]
	return obj, ok
}

// put caches obj (which the caller no longer changes) under k, or
// returns the object already cached there.
func (c *decodeCache) put(k cacheKey, obj api.Object) api.Object {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		return old // decoded concurrently: share one
	}
	if len(c.m) == len(c.ring) {
		delete(c.m, c.ring[c.next])
	}
	c.ring[c.next] = k
	c.next = (c.next + 1) % len(c.ring)
	c.m[k] = obj
	return obj
}
