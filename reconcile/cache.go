package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// CacheConfig configures a Cache.
type CacheConfig struct {
	// Store is read with List and Watch. Required.
	Store store.Store
	// Kind is the kind cached. Required.
	Kind api.Kind
	// Namespace restricts the cache to one namespace. Defaults to all.
	Namespace string
	// Logger logs relists. Defaults to discarding.
	Logger *slog.Logger
	// RetryDelay is the pause before retrying a failed List or Watch.
	// Defaults to 100ms.
	RetryDelay time.Duration
	// Clock times RetryDelay. Defaults to RealClock.
	Clock Clock
}

// Handler is told of every change the cache applies: old is nil for an
// added object, new is nil for a deleted one. Handlers run one at a time,
// in store order, on the cache's goroutine: they must be quick (enqueue a
// key) and must not modify the objects.
type Handler func(old, new api.Object)

// IndexFunc returns the index values of obj.
type IndexFunc func(obj api.Object) []string

// Cache is a list+watch cache of one kind: it lists, then watches from the
// list's revision, and relists (telling handlers the difference) when the
// watch is compacted away or dropped. Safe for concurrent use.
//
// Objects returned by Get, List and ByIndex are shared with the cache and
// with other readers: never modify them; DeepCopyObject first.
type Cache struct {
	cfg CacheConfig

	mu       sync.RWMutex
	objs     map[string]api.Object // key: namespace/name
	indexers map[string]IndexFunc
	indexes  map[string]map[string]map[string]api.Object
	handlers []Handler
	synced   chan struct{}
	started  bool
	rev      int64
}

// NewCache returns a cache; Start fills it and keeps it current.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("reconcile: cache: no store: %w", store.ErrInvalid)
	}
	if _, ok := api.LookupKind(cfg.Kind); !ok {
		return nil, fmt.Errorf("reconcile: cache: unknown kind %q: %w", cfg.Kind, store.ErrInvalid)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 100 * time.Millisecond
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	c := &Cache{
		cfg:      cfg,
		objs:     make(map[string]api.Object),
		indexers: map[string]IndexFunc{IndexNamespace: namespaceIndex, IndexOwner: ownerIndex},
		indexes:  make(map[string]map[string]map[string]api.Object),
		synced:   make(chan struct{}),
	}
	return c, nil
}

// Built-in indexes.
const (
	// IndexNamespace indexes objects by namespace.
	IndexNamespace = "namespace"
	// IndexOwner indexes objects by the UIDs of their owners.
	IndexOwner = "owner"
)

func namespaceIndex(o api.Object) []string { return []string{o.Meta().Namespace} }

func ownerIndex(o api.Object) []string {
	refs := o.Meta().OwnerReferences
	if len(refs) == 0 {
		return nil
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = string(r.UID)
	}
	return out
}

// Kind returns the cached kind.
func (c *Cache) Kind() api.Kind { return c.cfg.Kind }

// AddIndex adds a named index. Call it before Start.
func (c *Cache) AddIndex(name string, f IndexFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.indexers[name] = f
}

// AddHandler registers h. Call it before Start; handlers added later miss
// the objects already cached.
func (c *Cache) AddHandler(h Handler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers = append(c.handlers, h)
}

// Synced is closed once the first list is in the cache.
func (c *Cache) Synced() <-chan struct{} { return c.synced }

// WaitSynced blocks until the first list is in the cache, or ctx ends.
func (c *Cache) WaitSynced(ctx context.Context) error {
	select {
	case <-c.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Revision returns the store revision the cache has seen up to.
func (c *Cache) Revision() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rev
}

// Get returns the cached object, or nil.
func (c *Cache) Get(namespace, name string) api.Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.objs[namespace+"/"+name]
}

// List returns the cached objects of namespace ("" for all), in no
// particular order.
func (c *Cache) List(namespace string) []api.Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if namespace == "" {
		out := make([]api.Object, 0, len(c.objs))
		for _, o := range c.objs {
			out = append(out, o)
		}
		return out
	}
	return c.byIndexLocked(IndexNamespace, namespace)
}

// ByIndex returns the cached objects whose index name has value.
func (c *Cache) ByIndex(name, value string) []api.Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byIndexLocked(name, value)
}

func (c *Cache) byIndexLocked(name, value string) []api.Object {
	set := c.indexes[name][value]
	out := make([]api.Object, 0, len(set))
	for _, o := range set {
		out = append(out, o)
	}
	return out
}

// Start lists and watches until ctx ends, then returns nil. A cache runs
// once: a second Start (for example by a second controller sharing the
// cache) does not start another watch and just waits for its own ctx.
func (c *Cache) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		<-ctx.Done()
		return nil
	}
	c.started = true
	c.mu.Unlock()
	for ctx.Err() == nil {
		rev, err := c.relist(ctx)
		if err == nil {
			err = c.watch(ctx, rev)
		}
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, store.ErrCompacted) && !errors.Is(err, store.ErrWatchDropped) {
			c.cfg.Logger.Warn("cache: list/watch failed; retrying", "kind", c.cfg.Kind, "err", err)
			t := c.cfg.Clock.NewTimer(c.cfg.RetryDelay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C():
			}
		}
	}
	return nil
}

func (c *Cache) relist(ctx context.Context) (int64, error) {
	opts := []store.ListOption{}
	if c.cfg.Namespace != "" {
		opts = append(opts, store.ListInNamespace(c.cfg.Namespace))
	}
	var items []api.Object
	var rev int64
	cont := ""
	for {
		o := opts
		if cont != "" {
			o = append(append([]store.ListOption{}, opts...), store.WithContinue(cont))
		}
		l, err := c.cfg.Store.List(ctx, c.cfg.Kind, o...)
		if err != nil {
			return 0, err
		}
		items = append(items, l.Items...)
		if rev == 0 {
			rev = l.Revision
		}
		if l.Continue == "" {
			break
		}
		cont = l.Continue
	}
	seen := make(map[string]bool, len(items))
	for _, o := range items {
		k := key(o)
		seen[k] = true
		c.apply(k, o)
	}
	c.mu.RLock()
	var gone []string
	for k := range c.objs {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	c.mu.RUnlock()
	for _, k := range gone {
		c.apply(k, nil)
	}
	c.mu.Lock()
	c.rev = rev
	c.mu.Unlock()
	select {
	case <-c.synced:
	default:
		close(c.synced)
	}
	return rev, nil
}

func (c *Cache) watch(ctx context.Context, rev int64) error {
	opts := []store.WatchOption{store.FromRevision(rev)}
	if c.cfg.Namespace != "" {
		opts = append(opts, store.WatchInNamespace(c.cfg.Namespace))
	}
	w, err := c.cfg.Store.Watch(ctx, c.cfg.Kind, opts...)
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.Events() {
		switch ev.Type {
		case store.Added, store.Modified:
			c.apply(key(ev.Object), ev.Object)
		case store.Deleted:
			c.apply(key(ev.Object), nil)
		}
		c.mu.Lock()
		c.rev = ev.Revision
		c.mu.Unlock()
	}
	if err := w.Err(); err != nil {
		return err
	}
	return ctx.Err()
}

func key(o api.Object) string { m := o.Meta(); return m.Namespace + "/" + m.Name }

// apply puts obj (nil: removes) under k, updates indexes, and runs the
// handlers outside the lock.
func (c *Cache) apply(k string, obj api.Object) {
	c.mu.Lock()
	old := c.objs[k]
	if old != nil && obj != nil && old.Meta().ResourceVersion == obj.Meta().ResourceVersion && old.Meta().UID == obj.Meta().UID {
		c.mu.Unlock()
		return // relist of an unchanged object
	}
	if old == nil && obj == nil {
		c.mu.Unlock()
		return
	}
	if old != nil {
		for name, f := range c.indexers {
			for _, v := range f(old) {
				if set := c.indexes[name][v]; set != nil {
					delete(set, k)
					if len(set) == 0 {
						delete(c.indexes[name], v)
					}
				}
			}
		}
	}
	if obj == nil {
		delete(c.objs, k)
	} else {
		c.objs[k] = obj
		for name, f := range c.indexers {
			idx := c.indexes[name]
			if idx == nil {
				idx = make(map[string]map[string]api.Object)
				c.indexes[name] = idx
			}
			for _, v := range f(obj) {
				set := idx[v]
				if set == nil {
					set = make(map[string]api.Object)
					idx[v] = set
				}
				set[k] = obj
			}
		}
	}
	hs := c.handlers
	c.mu.Unlock()
	for _, h := range hs {
		h(old, obj)
	}
}
