package memstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/internal/kinds"
	"github.com/fleetkit/orchestrator/store/internal/objects"
)

// Config configures a Store. The zero value is ready to use.
type Config struct {
	// Clock returns the current time, for CreationTimestamp and
	// DeletionTimestamp. Defaults to time.Now.
	Clock func() time.Time
	// HistorySize is how many changes the store keeps for watch replay
	// and past-revision lists. Older revisions fail with ErrCompacted.
	// Defaults to 100,000.
	HistorySize int
	// WatchBuffer is how many undelivered events a watcher may hold
	// beyond its initial replay before it is dropped with
	// ErrWatchDropped. Defaults to 1024.
	WatchBuffer int
	// ProgressInterval is how long a watch opened WithProgressNotify may
	// stay idle before it receives a Bookmark. Defaults to 1s.
	ProgressInterval time.Duration
}

// Defaults of Config.
const (
	DefaultHistorySize      = 100_000
	DefaultWatchBuffer      = 1024
	DefaultProgressInterval = time.Second
)

// Store is the in-memory store. It is safe for concurrent use. See the
// package documentation for its guarantees.
type Store struct {
	clock            func() time.Time
	watchBuffer      int
	progressInterval time.Duration

	mu sync.RWMutex
	// rev is the current revision: the revision of the last write.
	rev int64
	// compacted is the oldest revision still readable: history holds
	// every change with a revision above it.
	compacted int64
	tables    map[api.Kind]*table
	hist      ring
	watchers  map[api.Kind][]*watch
	closed    bool

	sizer objects.Sizer
	equal objects.Equaler
}

var _ store.Store = (*Store)(nil)

// table holds the current objects of one kind, by namespace then name.
// Stored objects are immutable: a write replaces them, never mutates them.
type table struct {
	byNS map[string]map[string]api.Object
}

// change is one write, kept in history.
type change struct {
	rev  int64
	kind api.Kind
	typ  store.EventType
	// obj is the object after the change; for a delete, its last state
	// with ResourceVersion set to rev.
	obj api.Object
	// prev is the object before the change; nil for a create.
	prev api.Object
}

// New returns an empty store at revision 0.
func New(cfg Config) (*Store, error) {
	if cfg.HistorySize < 0 || cfg.WatchBuffer < 0 || cfg.ProgressInterval < 0 {
		return nil, fmt.Errorf("memstore: negative HistorySize, WatchBuffer or ProgressInterval: %w", store.ErrInvalid)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.HistorySize == 0 {
		cfg.HistorySize = DefaultHistorySize
	}
	if cfg.WatchBuffer == 0 {
		cfg.WatchBuffer = DefaultWatchBuffer
	}
	if cfg.ProgressInterval == 0 {
		cfg.ProgressInterval = DefaultProgressInterval
	}
	s := &Store{
		clock:            cfg.Clock,
		watchBuffer:      cfg.WatchBuffer,
		progressInterval: cfg.ProgressInterval,
		tables:           make(map[api.Kind]*table),
		hist:             ring{buf: make([]change, 0, min(cfg.HistorySize, 1024)), max: cfg.HistorySize},
		watchers:         make(map[api.Kind][]*watch),
	}
	for _, ki := range api.Kinds() {
		s.tables[ki.Kind] = &table{byNS: make(map[string]map[string]api.Object)}
	}
	return s, nil
}

// Close ends every watch (with ErrUnavailable) and makes every later call
// fail with ErrUnavailable. Idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	for k, ws := range s.watchers {
		for _, w := range slices.Clone(ws) {
			s.finishLocked(w, fmt.Errorf("memstore: store closed: %w", store.ErrUnavailable))
		}
		delete(s.watchers, k)
	}
	return nil
}

func (s *Store) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

// begin checks ctx and that the store is open; called with s.mu held.
func (s *Store) checkLocked(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return fmt.Errorf("memstore: store closed: %w", store.ErrUnavailable)
	}
	return nil
}

func (s *Store) get(kind api.Kind, ns, name string) api.Object {
	return s.tables[kind].byNS[ns][name]
}

func (s *Store) put(kind api.Kind, obj api.Object) {
	m := obj.Meta()
	t := s.tables[kind]
	names := t.byNS[m.Namespace]
	if names == nil {
		names = make(map[string]api.Object)
		t.byNS[m.Namespace] = names
	}
	names[m.Name] = obj
}

func (s *Store) remove(kind api.Kind, ns, name string) {
	t := s.tables[kind]
	names := t.byNS[ns]
	delete(names, name)
	if len(names) == 0 {
		delete(t.byNS, ns)
	}
}

// commitLocked records a change at s.rev (already advanced) and fans it
// out to the watchers of its kind. Called with s.mu held for writing.
func (s *Store) commitLocked(c change) {
	if evicted, ok := s.hist.push(c); ok {
		s.compacted = max(s.compacted, evicted)
	}
	ws := s.watchers[c.kind]
	for i := 0; i < len(ws); {
		w := ws[i]
		if ev, ok := w.translate(&c); ok && !w.send(ev) {
			s.finishLocked(w, fmt.Errorf("memstore: %s watch fell %d events behind: %w", c.kind, cap(w.ch), store.ErrWatchDropped))
			ws = s.watchers[c.kind] // finishLocked removed w, moving another into slot i
			continue
		}
		i++
	}
}

// shallowCopy returns a new object whose fields equal obj's; the two
// share maps, slices and pointers. Used only on immutable stored objects.
func shallowCopy(obj api.Object) api.Object {
	v := reflect.New(reflect.TypeOf(obj).Elem())
	v.Elem().Set(reflect.ValueOf(obj).Elem())
	return v.Interface().(api.Object)
}

func kindInfo(kind api.Kind) (api.KindInfo, error) {
	ki, ok := api.LookupKind(kind)
	if !ok {
		return ki, fmt.Errorf("memstore: unknown kind %q: %w", kind, store.ErrInvalid)
	}
	return ki, nil
}

func wrap(op string, kind api.Kind, ns, name string, err error) error {
	if ns != "" {
		name = ns + "/" + name
	}
	return fmt.Errorf("memstore: %s %s %s: %w", op, kind, name, err)
}

// Get implements store.Reader. It returns a deep copy.
func (s *Store) Get(ctx context.Context, kind api.Kind, namespace, name string) (api.Object, error) {
	if _, err := kindInfo(kind); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if err := s.checkLocked(ctx); err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	obj := s.get(kind, namespace, name)
	s.mu.RUnlock()
	if obj == nil {
		return nil, wrap("get", kind, namespace, name, store.ErrNotFound)
	}
	return obj.DeepCopyObject(), nil
}

// maxRVPlaceholder stands in for the resourceVersion while sizing an
// object before its revision is known: no revision encodes longer.
const maxRVPlaceholder = math.MaxInt64

// Create implements store.Writer.
func (s *Store) Create(ctx context.Context, in api.Object) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in == nil || reflect.ValueOf(in).IsNil() {
		return nil, fmt.Errorf("memstore: create: nil object: %w", store.ErrInvalid)
	}
	if rv := in.Meta().ResourceVersion; rv != 0 {
		return nil, fmt.Errorf("memstore: create %s %q: resourceVersion must be unset, got %d: %w", in.Kind(), in.Meta().Name, rv, store.ErrInvalid)
	}
	obj := in.DeepCopyObject()
	m := obj.Meta()
	generate := m.Name == "" && m.GenerateName != ""
	if generate {
		m.Name = objects.GenerateName(m.GenerateName)
	}
	ki, err := objects.CheckKey(obj)
	if err != nil {
		return nil, fmt.Errorf("memstore: create: %w", err)
	}
	m.UID = objects.NewUID()
	m.Generation = 1
	m.CreationTimestamp = s.now()
	m.DeletionTimestamp = nil
	m.DeletionGracePeriodSeconds = nil
	m.ResourceVersion = maxRVPlaceholder
	if err := s.sizer.Check(obj); err != nil {
		return nil, fmt.Errorf("memstore: create: %w", err)
	}

	s.mu.Lock()
	if err := s.checkLocked(ctx); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	for tries := 0; s.get(ki.Kind, m.Namespace, m.Name) != nil; tries++ {
		if !generate || tries == 16 {
			s.mu.Unlock()
			return nil, wrap("create", ki.Kind, m.Namespace, m.Name, store.ErrAlreadyExists)
		}
		m.Name = objects.GenerateName(m.GenerateName)
	}
	s.rev++
	m.ResourceVersion = s.rev
	s.put(ki.Kind, obj)
	s.commitLocked(change{rev: s.rev, kind: ki.Kind, typ: store.Added, obj: obj})
	s.mu.Unlock()
	return obj.DeepCopyObject(), nil
}

// casLocked finds the stored object for an update of obj and checks its
// resourceVersion.
func (s *Store) casLocked(op string, obj api.Object) (api.Object, error) {
	m := obj.Meta()
	old := s.get(obj.Kind(), m.Namespace, m.Name)
	if old == nil {
		return nil, wrap(op, obj.Kind(), m.Namespace, m.Name, store.ErrNotFound)
	}
	if rv := m.ResourceVersion; rv != 0 && rv != old.Meta().ResourceVersion {
		return nil, wrap(op, obj.Kind(), m.Namespace, m.Name,
			fmt.Errorf("resourceVersion %d is stale (stored %d): %w", rv, old.Meta().ResourceVersion, store.ErrConflict))
	}
	return old, nil
}

// Update implements store.Writer.
func (s *Store) Update(ctx context.Context, in api.Object) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := objects.CheckKey(in); err != nil {
		return nil, fmt.Errorf("memstore: update: %w", err)
	}
	obj := in.DeepCopyObject()
	m := obj.Meta()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(ctx); err != nil {
		return nil, err
	}
	old, err := s.casLocked("update", obj)
	if err != nil {
		return nil, err
	}
	om := old.Meta()
	kinds.CopyStatus(obj, old)
	m.UID = om.UID
	m.GenerateName = om.GenerateName
	m.CreationTimestamp = om.CreationTimestamp
	m.DeletionTimestamp = om.DeletionTimestamp
	m.DeletionGracePeriodSeconds = om.DeletionGracePeriodSeconds
	m.Generation = om.Generation
	if !s.equal.SpecEqual(old, obj) {
		m.Generation++
	}
	m.ResourceVersion = maxRVPlaceholder
	if err := s.sizer.Check(obj); err != nil {
		return nil, fmt.Errorf("memstore: update: %w", err)
	}
	s.rev++
	m.ResourceVersion = s.rev
	if m.DeletionTimestamp != nil && len(m.Finalizers) == 0 {
		s.remove(obj.Kind(), m.Namespace, m.Name)
		s.commitLocked(change{rev: s.rev, kind: obj.Kind(), typ: store.Deleted, obj: obj, prev: old})
	} else {
		s.put(obj.Kind(), obj)
		s.commitLocked(change{rev: s.rev, kind: obj.Kind(), typ: store.Modified, obj: obj, prev: old})
	}
	return obj.DeepCopyObject(), nil
}

// UpdateStatus implements store.Writer.
func (s *Store) UpdateStatus(ctx context.Context, in api.Object) (api.Object, error) {
	if in != nil && !reflect.ValueOf(in).IsNil() && !kinds.HasStatus(in.Kind()) {
		return s.Update(ctx, in)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := objects.CheckKey(in); err != nil {
		return nil, fmt.Errorf("memstore: update status: %w", err)
	}
	status := in.DeepCopyObject()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(ctx); err != nil {
		return nil, err
	}
	old, err := s.casLocked("update status", in)
	if err != nil {
		return nil, err
	}
	obj := shallowCopy(old)
	kinds.CopyStatus(obj, status)
	m := obj.Meta()
	m.ResourceVersion = maxRVPlaceholder
	if err := s.sizer.Check(obj); err != nil {
		return nil, fmt.Errorf("memstore: update status: %w", err)
	}
	s.rev++
	m.ResourceVersion = s.rev
	s.put(obj.Kind(), obj)
	s.commitLocked(change{rev: s.rev, kind: obj.Kind(), typ: store.Modified, obj: obj, prev: old})
	return obj.DeepCopyObject(), nil
}

// Delete implements store.Writer.
func (s *Store) Delete(ctx context.Context, kind api.Kind, namespace, name string, opts ...store.DeleteOption) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, err
	}
	if err := objects.CheckName(ki, namespace, name); err != nil {
		return nil, fmt.Errorf("memstore: delete: %w", err)
	}
	do := store.NewDeleteOptions(opts...)
	var addFinalizer string
	switch do.Propagation {
	case "", store.PropagateBackground:
	case store.PropagateForeground:
		addFinalizer = api.FinalizerForeground
	case store.PropagateOrphan:
		addFinalizer = api.FinalizerOrphan
	default:
		return nil, fmt.Errorf("memstore: delete %s %s/%s: unknown propagation policy %q: %w", kind, namespace, name, do.Propagation, store.ErrInvalid)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(ctx); err != nil {
		return nil, err
	}
	old := s.get(kind, namespace, name)
	if old == nil {
		return nil, wrap("delete", kind, namespace, name, store.ErrNotFound)
	}
	om := old.Meta()
	if do.UID != "" && do.UID != om.UID {
		return nil, wrap("delete", kind, namespace, name,
			fmt.Errorf("precondition uid %s does not match %s: %w", do.UID, om.UID, store.ErrConflict))
	}
	if do.ResourceVersion != 0 && do.ResourceVersion != om.ResourceVersion {
		return nil, wrap("delete", kind, namespace, name,
			fmt.Errorf("precondition resourceVersion %d does not match %d: %w", do.ResourceVersion, om.ResourceVersion, store.ErrConflict))
	}
	finalizers := om.Finalizers
	if addFinalizer != "" && !slices.Contains(finalizers, addFinalizer) {
		finalizers = append(slices.Clip(finalizers), addFinalizer)
	}
	if len(finalizers) > 0 {
		if om.DeletionTimestamp != nil && len(finalizers) == len(om.Finalizers) {
			return old.DeepCopyObject(), nil // already being deleted: nothing to change
		}
		obj := shallowCopy(old)
		m := obj.Meta()
		m.Finalizers = finalizers
		if m.DeletionTimestamp == nil {
			now := s.now()
			m.DeletionTimestamp = &now
		}
		s.rev++
		m.ResourceVersion = s.rev
		s.put(kind, obj)
		s.commitLocked(change{rev: s.rev, kind: kind, typ: store.Modified, obj: obj, prev: old})
		return obj.DeepCopyObject(), nil
	}
	obj := shallowCopy(old)
	s.rev++
	obj.Meta().ResourceVersion = s.rev
	s.remove(kind, namespace, name)
	s.commitLocked(change{rev: s.rev, kind: kind, typ: store.Deleted, obj: obj, prev: old})
	return obj.DeepCopyObject(), nil
}

// Revision implements store.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkLocked(ctx); err != nil {
		return 0, err
	}
	return s.rev, nil
}

// Compact implements store.Store. It keeps the state at rev: reads at
// rev and later work, reads below rev fail with ErrCompacted. A rev above
// the current revision is ErrInvalid.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(ctx); err != nil {
		return err
	}
	if rev > s.rev {
		return fmt.Errorf("memstore: compact %d: beyond the current revision %d: %w", rev, s.rev, store.ErrInvalid)
	}
	if rev <= s.compacted {
		return nil
	}
	s.hist.dropThrough(rev)
	s.compacted = rev
	return nil
}

// List implements store.Reader. Items are deep copies, sorted by
// namespace then name; pages of a paged list are read at the first page's
// revision.
func (s *Store) List(ctx context.Context, kind api.Kind, opts ...store.ListOption) (*store.List, error) {
	if _, err := kindInfo(kind); err != nil {
		return nil, err
	}
	lo := store.NewListOptions(opts...)
	if lo.Limit < 0 {
		return nil, fmt.Errorf("memstore: list %s: negative limit: %w", kind, store.ErrInvalid)
	}
	var after key
	if lo.Continue != "" {
		rev, k, err := decodeContinue(lo.Continue)
		if err != nil {
			return nil, fmt.Errorf("memstore: list %s: %w", kind, err)
		}
		lo.Revision, after = rev, k
	}
	sel := lo.Selector
	if sel != nil && sel.Empty() {
		sel = nil
	}
	keep := func(obj api.Object) bool {
		m := obj.Meta()
		if lo.Continue != "" && !after.less(key{m.Namespace, m.Name}) {
			return false
		}
		return sel == nil || sel.Matches(m.Labels)
	}

	s.mu.RLock()
	if err := s.checkLocked(ctx); err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	rev := s.rev
	if lo.Revision != 0 {
		rev = lo.Revision
	}
	if rev < s.compacted {
		s.mu.RUnlock()
		return nil, fmt.Errorf("memstore: list %s at revision %d (oldest kept %d): %w", kind, rev, s.compacted, store.ErrCompacted)
	}
	if rev > s.rev {
		s.mu.RUnlock()
		return nil, fmt.Errorf("memstore: list %s at revision %d: beyond the current revision %d: %w", kind, rev, s.rev, store.ErrInvalid)
	}
	// State at rev = current state with the changes after rev undone.
	var past map[key]api.Object
	if rev < s.rev {
		past = make(map[key]api.Object)
		s.hist.since(rev, func(c *change) {
			if c.kind != kind {
				return
			}
			m := c.obj.Meta()
			k := key{m.Namespace, m.Name}
			if _, seen := past[k]; !seen {
				past[k] = c.prev // the first change after rev holds the state at rev
			}
		})
	}
	var items []api.Object
	scan := func(names map[string]api.Object) {
		for _, obj := range names {
			if past != nil {
				m := obj.Meta()
				if _, changed := past[key{m.Namespace, m.Name}]; changed {
					continue
				}
			}
			if keep(obj) {
				items = append(items, obj)
			}
		}
	}
	t := s.tables[kind]
	if lo.Namespace != "" {
		scan(t.byNS[lo.Namespace])
	} else {
		for _, names := range t.byNS {
			scan(names)
		}
	}
	for k, obj := range past {
		if obj != nil && (lo.Namespace == "" || k.ns == lo.Namespace) && keep(obj) {
			items = append(items, obj)
		}
	}
	s.mu.RUnlock()

	slices.SortFunc(items, func(a, b api.Object) int {
		am, bm := a.Meta(), b.Meta()
		if c := strings.Compare(am.Namespace, bm.Namespace); c != 0 {
			return c
		}
		return strings.Compare(am.Name, bm.Name)
	})
	out := &store.List{Revision: rev}
	if lo.Limit > 0 && len(items) > lo.Limit {
		items = items[:lo.Limit]
		last := items[len(items)-1].Meta()
		out.Continue = encodeContinue(rev, key{last.Namespace, last.Name})
	}
	out.Items = make([]api.Object, len(items))
	for i, obj := range items {
		out.Items[i] = obj.DeepCopyObject()
	}
	return out, nil
}

type key struct{ ns, name string }

func (k key) less(o key) bool {
	if k.ns != o.ns {
		return k.ns < o.ns
	}
	return k.name < o.name
}

// A continue token is the list revision and the last key returned. Names
// and namespaces are DNS-1123, so they never contain '/'.
func encodeContinue(rev int64, k key) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(rev, 10) + "/" + k.ns + "/" + k.name))
}

func decodeContinue(tok string) (int64, key, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, key{}, fmt.Errorf("malformed continue token: %w", store.ErrInvalid)
	}
	parts := strings.Split(string(b), "/")
	if len(parts) != 3 {
		return 0, key{}, fmt.Errorf("malformed continue token: %w", store.ErrInvalid)
	}
	rev, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || rev <= 0 {
		return 0, key{}, fmt.Errorf("malformed continue token: %w", store.ErrInvalid)
	}
	return rev, key{parts[1], parts[2]}, nil
}

// ring is the bounded history of changes, oldest first.
type ring struct {
	buf   []change
	start int // index of the oldest change when len(buf) == max
	max   int
}

func (r *ring) len() int { return len(r.buf) }

func (r *ring) at(i int) *change { return &r.buf[(r.start+i)%len(r.buf)] }

// push appends c; when full it evicts the oldest change and returns its
// revision.
func (r *ring) push(c change) (int64, bool) {
	if len(r.buf) < r.max {
		if r.start != 0 { // a ring that was trimmed: make it linear again
			r.buf = append(r.buf[r.start:], r.buf[:r.start]...)
			r.start = 0
		}
		r.buf = append(r.buf, c)
		return 0, false
	}
	old := r.buf[r.start].rev
	r.buf[r.start] = c
	r.start = (r.start + 1) % len(r.buf)
	return old, true
}

// dropThrough discards changes with revisions at or below rev.
func (r *ring) dropThrough(rev int64) {
	n := 0
	for n < len(r.buf) && r.at(n).rev <= rev {
		n++
	}
	if n == 0 {
		return
	}
	kept := make([]change, 0, max(len(r.buf)-n, min(r.max, 1024)))
	for i := n; i < len(r.buf); i++ {
		kept = append(kept, *r.at(i))
	}
	r.buf, r.start = kept, 0
}

// since calls f for every change with a revision above rev, newest first
// when newestFirst, else oldest first.
func (r *ring) since(rev int64, f func(*change)) {
	// Binary search for the first change above rev.
	lo, hi := 0, len(r.buf)
	for lo < hi {
		mid := (lo + hi) / 2
		if r.at(mid).rev <= rev {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for i := lo; i < len(r.buf); i++ {
		f(r.at(i))
	}
}
