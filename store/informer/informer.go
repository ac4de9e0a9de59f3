package informer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// ErrAlreadyStarted is returned by a second call to Run.
var ErrAlreadyStarted = errors.New("informer: already started")

// Config configures an Informer. The zero value of every field is its
// default.
type Config[T api.Object] struct {
	// Kind is the kind to follow. Defaults to the kind of T; it must be
	// set only when T is an interface type (api.Object).
	Kind api.Kind
	// Namespace restricts the informer to one namespace. Defaults to ""
	// (all namespaces). Must be "" for cluster-scoped kinds.
	Namespace string
	// Selector restricts the informer to objects whose labels match.
	// Defaults to nil (every object). An object whose labels stop
	// matching is delivered as a delete, one that starts matching as an
	// add.
	Selector api.Selector
	// ResyncPeriod: every ResyncPeriod, every handler gets OnUpdate(obj,
	// obj) for every cached object, so that level-triggered consumers
	// re-check state they may have dropped. Defaults to 0 (no resync).
	ResyncPeriod time.Duration
	// Indexers are extra indexes of the cache, by name, queried with
	// ByIndex. The namespace index (IndexNamespace) is always present and
	// its name is reserved. Defaults to none.
	Indexers map[string]IndexFunc[T]
	// PageSize is the page size of the informer's Lists. Defaults to 500.
	PageSize int
	// InitialBackoff is the wait before the second consecutive attempt
	// to list or watch after a failure (the first retry is immediate);
	// each further failure doubles it, with ±20% jitter. Defaults to
	// 100ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait between attempts. Defaults to 30s.
	MaxBackoff time.Duration
	// Logger receives recoveries (dropped watches, relists) and errors.
	// Defaults to discarding.
	Logger *slog.Logger
	// Clock times resyncs and back-off. Defaults to the wall clock.
	Clock Clock
}

// Informer follows the objects of one kind in a store: it lists them,
// then watches from the list's revision, keeps an indexed local cache
// (it is a Lister) and calls its handlers with every change. It recovers
// by itself from dropped watches, compaction and an unavailable store.
// It is safe for concurrent use.
type Informer[T api.Object] struct {
	st       store.Store
	kind     api.Kind
	ns       string
	sel      api.Selector
	resync   time.Duration
	pageSize int
	backoff  time.Duration
	maxBack  time.Duration
	log      *slog.Logger
	clock    Clock

	mu    sync.RWMutex // guards cache, rev, revCh
	cache *cache[T]
	rev   int64
	revCh chan struct{} // closed and replaced whenever rev grows

	q       queue[T]
	synced  chan struct{} // closed when the first list has been delivered
	started atomic.Bool
}

var _ Lister[*api.Pod] = (*Informer[*api.Pod])(nil)

// New returns an informer of the objects of type T in s. It does nothing
// until Run. Errors wrap store.ErrInvalid.
func New[T api.Object](s store.Store, cfg Config[T]) (*Informer[T], error) {
	if s == nil {
		return nil, fmt.Errorf("informer: nil store: %w", store.ErrInvalid)
	}
	kind := cfg.Kind
	if kind == "" {
		var zero T
		if any(zero) == nil {
			return nil, fmt.Errorf("informer: Config.Kind is required when T is an interface type: %w", store.ErrInvalid)
		}
		kind = zero.Kind()
	}
	info, ok := api.LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("informer: unknown kind %q: %w", kind, store.ErrInvalid)
	}
	if !info.Namespaced && cfg.Namespace != "" {
		return nil, fmt.Errorf("informer: %s is cluster-scoped but Config.Namespace is %q: %w", kind, cfg.Namespace, store.ErrInvalid)
	}
	if _, ok := info.New().(T); !ok {
		return nil, fmt.Errorf("informer: objects of kind %s are not of the informer's type %T: %w", kind, *new(T), store.ErrInvalid)
	}
	for name, f := range cfg.Indexers {
		if name == IndexNamespace {
			return nil, fmt.Errorf("informer: index name %q is reserved: %w", name, store.ErrInvalid)
		}
		if f == nil {
			return nil, fmt.Errorf("informer: index %q has a nil IndexFunc: %w", name, store.ErrInvalid)
		}
	}
	if cfg.ResyncPeriod < 0 || cfg.InitialBackoff < 0 || cfg.MaxBackoff < 0 || cfg.PageSize < 0 {
		return nil, fmt.Errorf("informer: negative ResyncPeriod, InitialBackoff, MaxBackoff or PageSize: %w", store.ErrInvalid)
	}
	inf := &Informer[T]{
		st:       s,
		kind:     kind,
		ns:       cfg.Namespace,
		sel:      cfg.Selector,
		resync:   cfg.ResyncPeriod,
		pageSize: cmp.Or(cfg.PageSize, 500),
		backoff:  cmp.Or(cfg.InitialBackoff, 100*time.Millisecond),
		maxBack:  cmp.Or(cfg.MaxBackoff, 30*time.Second),
		log:      cfg.Logger,
		clock:    cfg.Clock,
		cache:    newCache(cfg.Indexers),
		revCh:    make(chan struct{}),
		synced:   make(chan struct{}),
	}
	if inf.sel != nil && inf.sel.Empty() {
		inf.sel = nil
	}
	if inf.maxBack < inf.backoff {
		inf.maxBack = inf.backoff
	}
	if inf.log == nil {
		inf.log = slog.New(slog.DiscardHandler)
	}
	inf.log = inf.log.With("kind", string(kind))
	if inf.clock == nil {
		inf.clock = realClock{}
	}
	inf.q.signal = make(chan struct{}, 1)
	return inf, nil
}

// Kind returns the kind the informer follows.
func (i *Informer[T]) Kind() api.Kind { return i.kind }

// Run lists and watches until ctx ends, then returns nil. It starts the
// delivery goroutine (and the resync one) and waits for them before
// returning. Failures of the store are retried with back-off, never
// returned; Run returns an error only when the store rejects the
// informer's requests as invalid (store.ErrInvalid) or when Run was
// already called (ErrAlreadyStarted). Notifications not yet delivered
// when ctx ends are dropped.
func (i *Informer[T]) Run(ctx context.Context) error {
	if !i.started.CompareAndSwap(false, true) {
		return ErrAlreadyStarted
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { i.deliver(ctx) })
	if i.resync > 0 {
		wg.Go(func() { i.resyncLoop(ctx) })
	}
	err := i.reflect(ctx)
	cancel()
	wg.Wait()
	return err
}

// HasSynced reports whether the first list has been loaded into the cache
// and delivered to every handler added before it.
func (i *Informer[T]) HasSynced() bool {
	select {
	case <-i.synced:
		return true
	default:
		return false
	}
}

// WaitForSync blocks until HasSynced or until ctx ends (then it returns an
// error wrapping ctx's).
func (i *Informer[T]) WaitForSync(ctx context.Context) error {
	select {
	case <-i.synced:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("informer: wait for %s sync: %w", i.kind, ctx.Err())
	}
}

// Revision returns the store revision the cache reflects: every change up
// to it (in the informer's namespace and selector) is in the cache.
func (i *Informer[T]) Revision() int64 {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.rev
}

// WaitForRevision blocks until the cache reflects the store at revision
// rev or later, or until ctx ends (then it returns an error wrapping
// ctx's). A controller that wrote an object and got it back at
// resourceVersion R calls WaitForRevision(ctx, R) to read its own write
// from the cache. The cache advances on the informer's own changes and on
// the store's progress notifications, so waiting for a revision whose
// change lies outside the informer's namespace or selector may take up to
// the store's progress-notify interval. It says nothing about handlers,
// which may lag the cache.
func (i *Informer[T]) WaitForRevision(ctx context.Context, rev int64) error {
	for {
		i.mu.RLock()
		cur, ch := i.rev, i.revCh
		i.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("informer: wait for %s revision %d (at %d): %w", i.kind, rev, cur, ctx.Err())
		}
	}
}

// Get implements Lister.
func (i *Informer[T]) Get(namespace, name string) (T, bool) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.cache.get(objKey{namespace, name})
}

// List implements Lister.
func (i *Informer[T]) List(sel api.Selector) []T {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.cache.list(sel)
}

// ListInNamespace returns the cached objects in namespace matching sel
// (nil matches everything), in no particular order. It reads the
// namespace index, so it costs the size of the namespace, not of the
// cache.
func (i *Informer[T]) ListInNamespace(namespace string, sel api.Selector) []T {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.cache.byIndex(IndexNamespace, namespace, sel)
}

// ByIndex implements Lister.
func (i *Informer[T]) ByIndex(index, value string) []T {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.cache.byIndex(index, value, nil)
}

// AddIndexers adds indexes to the cache, indexing the objects it already
// holds. It may be called at any time, before or during Run, so that
// several components can share one informer and each add the indexes it
// reads. An index name identifies its function: a name already present
// keeps its function, so components must name their indexes distinctly
// (for example with their package name). A nil function or the reserved
// name IndexNamespace is an error (store.ErrInvalid).
func (i *Informer[T]) AddIndexers(indexers map[string]IndexFunc[T]) error {
	for name, f := range indexers {
		if name == IndexNamespace {
			return fmt.Errorf("informer: index name %q is reserved: %w", name, store.ErrInvalid)
		}
		if f == nil {
			return fmt.Errorf("informer: index %q has a nil IndexFunc: %w", name, store.ErrInvalid)
		}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	for name, f := range indexers {
		i.cache.addIndex(name, f)
	}
	return nil
}

// Len returns the number of cached objects.
func (i *Informer[T]) Len() int {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.cache.len()
}

// AddHandler adds h. It may be called at any time, before or during Run.
// h first gets OnAdd for every object in the cache at the time of the
// call, then every change after it; the calls are made by the delivery
// goroutine, not by AddHandler, which does not block.
func (i *Informer[T]) AddHandler(h Handler[T]) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	// The snapshot and the enqueue happen under the cache lock, so h sees
	// exactly the changes made after its snapshot.
	snap := slices.Clone(i.cache.all())
	slices.SortFunc(snap, compareObj[T])
	i.q.push(notification[T]{op: opRegister, handler: h, snapshot: snap})
}

func compareObj[T api.Object](a, b T) int {
	am, bm := a.Meta(), b.Meta()
	return cmp.Or(cmp.Compare(am.Namespace, bm.Namespace), cmp.Compare(am.Name, bm.Name))
}

func (i *Informer[T]) inScope(obj T) bool {
	m := obj.Meta()
	if i.ns != "" && m.Namespace != i.ns {
		return false
	}
	return i.sel == nil || i.sel.Matches(m.Labels)
}

// setRevLocked advances the cache revision; i.mu must be held for writing.
func (i *Informer[T]) setRevLocked(rev int64) {
	if rev > i.rev {
		i.rev = rev
		close(i.revCh)
		i.revCh = make(chan struct{})
	}
}

// errWatchClosed: the store closed a watch without saying why.
var errWatchClosed = errors.New("informer: watch closed")

// reflect is the list-and-watch loop. It returns nil when ctx ends and an
// error only for invalid requests.
func (i *Informer[T]) reflect(ctx context.Context) error {
	needList := true
	failures := 0 // consecutive attempts that made no progress
	fail := func(what string, err error) bool {
		failures++
		wait := i.backoffFor(failures)
		i.log.Info("informer: retrying", "after", what, "err", err, "failures", failures, "wait", wait, "revision", i.Revision())
		return i.sleep(ctx, wait)
	}
	for ctx.Err() == nil {
		var w store.Watch
		var err error
		if needList {
			// Watch first, then list: FromRevision(0) means "from now",
			// so a list at revision 0 (a store never written) could not
			// be followed without a gap. The watch starts at or before
			// the list's revision; apply skips what the list already has.
			w, err = i.st.Watch(ctx, i.kind, i.watchOpts(0)...)
			if err == nil {
				if err = i.relist(ctx); err != nil {
					w.Stop()
				} else {
					needList = false
				}
			}
		} else {
			w, err = i.st.Watch(ctx, i.kind, i.watchOpts(i.Revision())...)
			needList = errors.Is(err, store.ErrCompacted)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, store.ErrInvalid) {
				return fmt.Errorf("informer: list and watch %s: %w", i.kind, err)
			}
			if !fail("list and watch", err) {
				return nil
			}
			continue
		}
		progressed, err := i.consume(ctx, w)
		w.Stop()
		if ctx.Err() != nil {
			return nil
		}
		if progressed {
			failures = 0
		}
		// A watch that ends is resumed from the cache's revision: the
		// store replays every change since, so nothing is lost and
		// nothing is repeated. Only when that revision is compacted away
		// does the informer relist and deliver the difference. Revision 0
		// cannot be resumed (see above): relist, which costs nothing then.
		needList = errors.Is(err, store.ErrCompacted) || i.Revision() == 0
		if !fail("watch ended", err) {
			return nil
		}
	}
	return nil
}

func (i *Informer[T]) watchOpts(from int64) []store.WatchOption {
	opts := []store.WatchOption{store.WithProgressNotify()}
	if from > 0 {
		opts = append(opts, store.FromRevision(from))
	}
	if i.ns != "" {
		opts = append(opts, store.WatchInNamespace(i.ns))
	}
	if i.sel != nil {
		opts = append(opts, store.WatchSelector(i.sel))
	}
	return opts
}

// backoffFor returns the wait before the attempt after the n-th
// consecutive failure: none after the first, then InitialBackoff doubling
// up to MaxBackoff, with ±20% jitter.
func (i *Informer[T]) backoffFor(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	d := i.backoff
	for k := 2; k < n && d < i.maxBack; k++ {
		d *= 2
	}
	d = min(d, i.maxBack)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

// sleep waits d on the clock; false if ctx ended first.
func (i *Informer[T]) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-i.clock.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// maxBatch bounds how many queued watch events are applied under one
// lock, so readers are not starved during a burst.
const maxBatch = 256

// consume applies w's events until it ends. progressed reports whether at
// least one event arrived.
func (i *Informer[T]) consume(ctx context.Context, w store.Watch) (progressed bool, err error) {
	ch := w.Events()
	batch := make([]store.Event, 0, maxBatch)
	for {
		select {
		case <-ctx.Done():
			return progressed, ctx.Err()
		case ev, ok := <-ch:
			if !ok {
				return progressed, watchErr(w)
			}
			progressed = true
			batch = append(batch[:0], ev)
			closed := false
		drain:
			for len(batch) < maxBatch {
				select {
				case ev, ok := <-ch:
					if !ok {
						closed = true
						break drain
					}
					batch = append(batch, ev)
				default:
					break drain
				}
			}
			i.apply(batch)
			clear(batch) // drop references to delivered objects
			if closed {
				return progressed, watchErr(w)
			}
		}
	}
}

func watchErr(w store.Watch) error {
	if err := w.Err(); err != nil {
		return err
	}
	return errWatchClosed
}

// apply puts a batch of watch events into the cache and queues their
// notifications.
func (i *Informer[T]) apply(batch []store.Event) {
	i.mu.Lock()
	defer i.mu.Unlock()
	var notes []notification[T]
	for _, ev := range batch {
		if ev.Revision <= i.rev {
			// Already reflected (a backend repeating itself across a
			// rewatch): delivering it again would be a duplicate.
			continue
		}
		if ev.Type == store.Bookmark || ev.Object == nil {
			i.setRevLocked(ev.Revision)
			continue
		}
		obj, ok := ev.Object.(T)
		if !ok {
			i.log.Error("informer: watch event of the wrong type", "type", fmt.Sprintf("%T", ev.Object), "revision", ev.Revision)
			i.setRevLocked(ev.Revision)
			continue
		}
		k := keyOf(obj.Meta())
		old, had := i.cache.get(k)
		switch {
		case ev.Type == store.Deleted || !i.inScope(obj):
			if had {
				i.cache.remove(k)
				notes = append(notes, notification[T]{op: opDelete, obj: obj})
			}
		case !had:
			i.cache.put(k, obj)
			notes = append(notes, notification[T]{op: opAdd, obj: obj})
		case old.Meta().UID != obj.Meta().UID:
			// Deleted and recreated under the same name: two objects.
			i.cache.put(k, obj)
			notes = append(notes, notification[T]{op: opDelete, obj: old}, notification[T]{op: opAdd, obj: obj})
		default:
			i.cache.put(k, obj)
			notes = append(notes, notification[T]{op: opUpdate, old: old, obj: obj})
		}
		i.setRevLocked(ev.Revision)
	}
	i.q.push(notes...)
}

// relist lists the kind and replaces the cache with the result, queueing
// the difference: deletes of the objects that are gone (with their last
// known state), then adds and updates in namespace/name order. Objects
// whose resourceVersion has not changed are not delivered again.
func (i *Informer[T]) relist(ctx context.Context) error {
	items, rev, err := i.listAll(ctx)
	if err != nil {
		return err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	listed := make(map[objKey]T, len(items))
	for _, obj := range items {
		listed[keyOf(obj.Meta())] = obj
	}
	var notes []notification[T]
	var gone []T
	for _, old := range i.cache.all() {
		if _, ok := listed[keyOf(old.Meta())]; !ok {
			gone = append(gone, old)
		}
	}
	slices.SortFunc(gone, compareObj[T])
	for _, old := range gone {
		i.cache.remove(keyOf(old.Meta()))
		notes = append(notes, notification[T]{op: opDelete, obj: old})
	}
	for _, obj := range items {
		k := keyOf(obj.Meta())
		old, had := i.cache.get(k)
		switch {
		case !had:
			i.cache.put(k, obj)
			notes = append(notes, notification[T]{op: opAdd, obj: obj})
		case old.Meta().UID != obj.Meta().UID:
			i.cache.put(k, obj)
			notes = append(notes, notification[T]{op: opDelete, obj: old}, notification[T]{op: opAdd, obj: obj})
		case obj.Meta().ResourceVersion > old.Meta().ResourceVersion:
			i.cache.put(k, obj)
			notes = append(notes, notification[T]{op: opUpdate, old: old, obj: obj})
		default:
			// Unchanged (or, should a backend serve a stale list, older
			// than what the cache has): keep the cached object.
		}
	}
	i.setRevLocked(rev)
	if !i.q.syncQueued {
		i.q.syncQueued = true
		notes = append(notes, notification[T]{op: opSynced})
	}
	i.q.push(notes...)
	i.log.Debug("informer: listed", "objects", len(items), "revision", rev, "changes", len(notes))
	return nil
}

// listAll reads every page of a List at one revision, keeping the objects
// of type T in scope, in namespace/name order.
func (i *Informer[T]) listAll(ctx context.Context) ([]T, int64, error) {
	base := []store.ListOption{store.WithLimit(i.pageSize)}
	if i.ns != "" {
		base = append(base, store.ListInNamespace(i.ns))
	}
	if i.sel != nil {
		base = append(base, store.ListSelector(i.sel))
	}
	var out []T
	var rev int64
	cont := ""
	for {
		opts := base
		if cont != "" {
			opts = append(slices.Clip(base), store.WithContinue(cont))
		}
		l, err := i.st.List(ctx, i.kind, opts...)
		if err != nil {
			return nil, 0, fmt.Errorf("informer: list %s: %w", i.kind, err)
		}
		if rev == 0 {
			rev = l.Revision
		}
		for _, o := range l.Items {
			obj, ok := o.(T)
			if !ok {
				i.log.Error("informer: listed object of the wrong type", "type", fmt.Sprintf("%T", o))
				continue
			}
			if i.inScope(obj) {
				out = append(out, obj)
			}
		}
		if l.Continue == "" {
			break
		}
		cont = l.Continue
	}
	slices.SortFunc(out, compareObj[T])
	return out, rev, nil
}

// resyncLoop queues OnUpdate(obj, obj) for every cached object every
// resync period, once synced.
func (i *Informer[T]) resyncLoop(ctx context.Context) {
	select {
	case <-i.synced:
	case <-ctx.Done():
		return
	}
	for {
		select {
		case <-i.clock.After(i.resync):
		case <-ctx.Done():
			return
		}
		i.mu.RLock()
		notes := make([]notification[T], 0, i.cache.len())
		for _, obj := range i.cache.all() {
			notes = append(notes, notification[T]{op: opUpdate, old: obj, obj: obj})
		}
		i.q.push(notes...)
		i.mu.RUnlock()
	}
}
