package etcdstore

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// Config configures a Store. The zero value of every field but Endpoints
// (or Client) is its default.
type Config struct {
	// Endpoints are the etcd client URLs ("http://10.0.0.1:2379" or
	// "https://..."). Required unless Client is set.
	Endpoints []string
	// Client, when set, is used instead of dialing Endpoints; Close
	// leaves it open. The TLS and dial fields are then ignored.
	Client *clientv3.Client
	// Prefix is the first key segment of every object, so several
	// clusters can share one etcd. Defaults to "fleetkit".
	Prefix string
	// CAFile is a PEM bundle of CAs that sign the server certificates;
	// setting it (or CertFile) turns TLS on. Defaults to the system pool.
	CAFile string
	// CertFile and KeyFile are the PEM client certificate and key
	// presented to etcd (mutual TLS). Defaults to none.
	CertFile, KeyFile string
	// DialTimeout bounds connecting to etcd in New. Defaults to 5s.
	DialTimeout time.Duration
	// RequestTimeout bounds every call whose context has no deadline,
	// so nothing hangs on an unreachable etcd. Defaults to 15s.
	RequestTimeout time.Duration
	// ProgressInterval is how often an idle watch that asked for
	// Bookmarks requests a progress notification from etcd. Negative
	// leaves it to the server's own interval. Defaults to 5s.
	ProgressInterval time.Duration
	// WatchQueue is how many events a watch may leave unread (beyond its
	// channel's buffer) before it is ended with store.ErrWatchDropped;
	// writers and other watches never wait for it. Defaults to 100,000.
	WatchQueue int
	// PageSize is how many keys List reads from etcd per round trip.
	// Defaults to 500.
	PageSize int
	// Now returns the time for creation and deletion timestamps.
	// Defaults to time.Now.
	Now func() time.Time
	// Logger receives warnings (undecodable values). Defaults to
	// discarding them.
	Logger *slog.Logger
}

// Store is a store.Store on etcd. It is safe for concurrent use.
type Store struct {
	client    *clientv3.Client
	ownClient bool
	root      string // "/<prefix>/"
	cfg       Config
	log       *slog.Logger

	decodes *decodeCache

	mu      sync.Mutex
	closed  bool
	watches sync.WaitGroup
	cancels map[*watch]context.CancelFunc
	hubs    map[string]*hub // shared etcd watches, by key prefix
}

var _ store.Store = (*Store)(nil)

// New connects to etcd (or adopts cfg.Client) and returns a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "fleetkit"
	}
	cfg.Prefix = strings.Trim(cfg.Prefix, "/")
	if cfg.Prefix == "" {
		return nil, fmt.Errorf("etcdstore: prefix %q is empty once trimmed of slashes: %w", cfg.Prefix, store.ErrInvalid)
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	if cfg.ProgressInterval == 0 {
		cfg.ProgressInterval = 5 * time.Second
	}
	if cfg.WatchQueue <= 0 {
		cfg.WatchQueue = 100_000
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 500
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{root: "/" + cfg.Prefix + "/", cfg: cfg, log: log, cancels: map[*watch]context.CancelFunc{}, hubs: map[string]*hub{}, decodes: newDecodeCache(4096)}
	if cfg.Client != nil {
		s.client = cfg.Client
		return s, nil
	}
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("etcdstore: no endpoints: %w", store.ErrInvalid)
	}
	// The client logs through zap; its warnings (every retried call) are
	// noise next to the errors the Store returns, so they are dropped.
	ccfg := clientv3.Config{Endpoints: cfg.Endpoints, DialTimeout: cfg.DialTimeout, Logger: zap.NewNop()}
	if cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		ccfg.TLS = tc
	}
	c, err := clientv3.New(ccfg)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: connect: %w: %w", store.ErrUnavailable, err)
	}
	s.client, s.ownClient = c, true
	return s, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcdstore: read CA: %w: %w", store.ErrInvalid, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcdstore: CA file %s holds no PEM certificate: %w", cfg.CAFile, store.ErrInvalid)
		}
		tc.RootCAs = pool
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, fmt.Errorf("etcdstore: CertFile and KeyFile go together: %w", store.ErrInvalid)
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcdstore: load client certificate: %w: %w", store.ErrInvalid, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Client returns the etcd client the store uses (for leader election on
// the same connection). It stays owned by the Store.
func (s *Store) Client() *clientv3.Client { return s.client }

// Close ends every open watch, waits for their goroutines and closes the
// client if New dialed it. Idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, cancel := range s.cancels {
		cancel()
	}
	for _, h := range s.hubs {
		h.cancel()
	}
	s.mu.Unlock()
	s.watches.Wait()
	if s.ownClient {
		return s.client.Close()
	}
	return nil
}

// reqCtx bounds a call by RequestTimeout when ctx has no deadline.
func (s *Store) reqCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.cfg.RequestTimeout)
}

func (s *Store) kindPrefix(k api.Kind) string { return s.root + string(k) + "/" }

func (s *Store) nsPrefix(k api.Kind, ns string) string { return s.kindPrefix(k) + ns + "/" }

func (s *Store) key(k api.Kind, ns, name string) string { return s.nsPrefix(k, ns) + name }

func lookup(k api.Kind) (api.KindInfo, error) {
	ki, ok := api.LookupKind(k)
	if !ok {
		return ki, fmt.Errorf("etcdstore: unknown kind %q: %w", k, store.ErrInvalid)
	}
	return ki, nil
}

// checkKey validates the kind, namespace and name of a request.
func checkKey(k api.Kind, ns, name string) (api.KindInfo, error) {
	ki, err := lookup(k)
	if err != nil {
		return ki, err
	}
	if k == api.KindNamespace {
		if err := validLabel(name); err != nil { // namespaces name key segments
			return ki, fmt.Errorf("etcdstore: %s %q: %w", k, name, err)
		}
	}
	if ki.Namespaced {
		if err := validLabel(ns); err != nil {
			return ki, fmt.Errorf("etcdstore: %s %s/%s: namespace: %w", k, ns, name, err)
		}
	} else if ns != "" {
		return ki, fmt.Errorf("etcdstore: %s %q is cluster-scoped but has namespace %q: %w", k, name, ns, store.ErrInvalid)
	}
	if err := validName(name); err != nil {
		return ki, fmt.Errorf("etcdstore: %s %s/%s: name: %w", k, ns, name, err)
	}
	return ki, nil
}

// validName checks a DNS-1123 subdomain: what Kubernetes accepts for
// most object names. Slashes can never appear, so keys stay unambiguous.
func validName(s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("%q must be 1 to 253 characters: %w", s, store.ErrInvalid)
	}
	for _, part := range strings.Split(s, ".") {
		if err := dnsLabel(part, s); err != nil {
			return err
		}
	}
	return nil
}

// validLabel checks a DNS-1123 label (namespaces).
func validLabel(s string) error {
	if s == "" || len(s) > 63 {
		return fmt.Errorf("%q must be 1 to 63 characters: %w", s, store.ErrInvalid)
	}
	return dnsLabel(s, s)
}

func dnsLabel(p, whole string) error {
	if p == "" || len(p) > 63 {
		return fmt.Errorf("%q is not a DNS-1123 name: %w", whole, store.ErrInvalid)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '-' || i == 0 || i == len(p)-1) {
			return fmt.Errorf("%q is not a DNS-1123 name (lowercase letters, digits, '-' and '.'): %w", whole, store.ErrInvalid)
		}
	}
	return nil
}

// classify maps an etcd client error to the store's categories, keeping
// the original in the chain.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("etcdstore: %s: %w", what, err)
	case errors.Is(err, rpctypes.ErrCompacted):
		return fmt.Errorf("etcdstore: %s: %w", what, store.ErrCompacted)
	case errors.Is(err, rpctypes.ErrFutureRev):
		return fmt.Errorf("etcdstore: %s: revision is in the future: %w", what, store.ErrInvalid)
	case errors.Is(err, rpctypes.ErrRequestTooLarge), errors.Is(err, rpctypes.ErrTooManyOps):
		return fmt.Errorf("etcdstore: %s: %w: %w", what, store.ErrInvalid, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, clientv3.ErrNoAvailableEndpoints):
		return fmt.Errorf("etcdstore: %s: %w: %w", what, store.ErrUnavailable, err)
	}
	var code codes.Code
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		code = ee.Code()
	} else if st, ok := status.FromError(err); ok {
		code = st.Code()
	}
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
		return fmt.Errorf("etcdstore: %s: %w: %w", what, store.ErrUnavailable, err)
	case codes.Canceled:
		return fmt.Errorf("etcdstore: %s: %w: %w", what, context.Canceled, err)
	case codes.InvalidArgument, codes.OutOfRange:
		return fmt.Errorf("etcdstore: %s: %w: %w", what, store.ErrInvalid, err)
	}
	// Timeouts of the server (ErrTimeout, ErrTimeoutDueToLeaderFail, ...)
	// carry codes.Unavailable and are handled above; anything else is an
	// unexpected failure of the backend, which is transient as far as a
	// caller can tell.
	return fmt.Errorf("etcdstore: %s: %w: %w", what, store.ErrUnavailable, err)
}

func (s *Store) now() time.Time { return s.cfg.Now().UTC().Round(0) }

func newUID() api.UID {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return api.UID(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32])
}

const suffixAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func randSuffix() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = suffixAlphabet[int(b[i])%len(suffixAlphabet)]
	}
	return string(b[:])
}

// Get implements store.Reader.
func (s *Store) Get(ctx context.Context, kind api.Kind, namespace, name string) (api.Object, error) {
	if _, err := checkKey(kind, namespace, name); err != nil {
		return nil, err
	}
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	obj, _, err := s.get(ctx, kind, namespace, name)
	return obj, err
}

func (s *Store) get(ctx context.Context, kind api.Kind, ns, name string) (api.Object, *mvccpb.KeyValue, error) {
	resp, err := s.client.Get(ctx, s.key(kind, ns, name))
	if err != nil {
		return nil, nil, classify(fmt.Sprintf("get %s %s/%s", kind, ns, name), err)
	}
	if len(resp.Kvs) == 0 {
		return nil, nil, fmt.Errorf("etcdstore: get %s %s/%s: %w", kind, ns, name, store.ErrNotFound)
	}
	obj, err := decode(kind, resp.Kvs[0])
	if err != nil {
		return nil, nil, err
	}
	return obj, resp.Kvs[0], nil
}

// Revision implements store.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.client.Get(ctx, s.root, clientv3.WithCountOnly())
	if err != nil {
		return 0, classify("revision", err)
	}
	return resp.Header.Revision, nil
}

// Compact implements store.Store. As in etcd, the state at rev itself
// stays readable; reads below rev fail with store.ErrCompacted, and a rev
// beyond the current revision is store.ErrInvalid.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	_, err := s.client.Compact(ctx, rev)
	if err != nil && !errors.Is(err, rpctypes.ErrCompacted) { // compacted: already at or beyond rev
		return classify(fmt.Sprintf("compact %d", rev), err)
	}
	return nil
}

// Create implements store.Writer.
func (s *Store) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		return nil, fmt.Errorf("etcdstore: create: nil object: %w", store.ErrInvalid)
	}
	o := obj.DeepCopyObject()
	m := o.Meta()
	if m.ResourceVersion != 0 {
		return nil, fmt.Errorf("etcdstore: create %s %s/%s: resourceVersion must be unset: %w", o.Kind(), m.Namespace, m.Name, store.ErrInvalid)
	}
	generate := m.Name == "" && m.GenerateName != ""
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		if generate {
			m.Name = m.GenerateName + randSuffix()
		}
		if _, err := checkKey(o.Kind(), m.Namespace, m.Name); err != nil {
			return nil, fmt.Errorf("etcdstore: create: %w", err)
		}
		m.UID = newUID()
		m.Generation = 1
		m.CreationTimestamp = s.now()
		m.DeletionTimestamp = nil
		data, err := encode(o)
		if err != nil {
			return nil, err
		}
		key := s.key(o.Kind(), m.Namespace, m.Name)
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, string(data))).
			Commit()
		if err != nil {
			return nil, classify(fmt.Sprintf("create %s %s/%s", o.Kind(), m.Namespace, m.Name), err)
		}
		if !resp.Succeeded {
			if generate && attempt < 8 {
				continue // generated name taken: pick another
			}
			return nil, fmt.Errorf("etcdstore: create %s %s/%s: %w", o.Kind(), m.Namespace, m.Name, store.ErrAlreadyExists)
		}
		m.ResourceVersion = resp.Header.Revision
		s.decodes.put(cacheKey{key: key, mod: m.ResourceVersion, rv: m.ResourceVersion, private: true}, o.DeepCopyObject())
		return o, nil
	}
}

// Update implements store.Writer.
func (s *Store) Update(ctx context.Context, obj api.Object) (api.Object, error) {
	return s.update(ctx, obj, false)
}

// UpdateStatus implements store.Writer.
func (s *Store) UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error) {
	return s.update(ctx, obj, true)
}

func (s *Store) update(ctx context.Context, obj api.Object, statusOnly bool) (api.Object, error) {
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		return nil, fmt.Errorf("etcdstore: update: nil object: %w", store.ErrInvalid)
	}
	kind := obj.Kind()
	in := obj.Meta()
	if _, err := checkKey(kind, in.Namespace, in.Name); err != nil {
		return nil, fmt.Errorf("etcdstore: update: %w", err)
	}
	if statusOnly && !hasStatus(obj) {
		statusOnly = false // kinds without status: the whole object, as Update
	}
	what := fmt.Sprintf("update %s %s/%s", kind, in.Namespace, in.Name)
	key := s.key(kind, in.Namespace, in.Name)
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	for {
		var cur api.Object
		var mod int64
		if c, ok := s.decodes.stored(key, in.ResourceVersion); ok && in.ResourceVersion != 0 {
			// The state at the named revision is known: the transaction's
			// compare decides whether it is still current.
			cur, mod = c, in.ResourceVersion
		} else {
			c, kv, err := s.get(ctx, kind, in.Namespace, in.Name)
			if err != nil {
				return nil, fmt.Errorf("etcdstore: update: %w", err)
			}
			if in.ResourceVersion != 0 && in.ResourceVersion != kv.ModRevision {
				return nil, fmt.Errorf("etcdstore: %s: resourceVersion %d, stored %d: %w", what, in.ResourceVersion, kv.ModRevision, store.ErrConflict)
			}
			cur, mod = c, kv.ModRevision
		}
		next, err := merge(cur, obj, statusOnly)
		if err != nil {
			return nil, fmt.Errorf("etcdstore: %s: %w", what, err)
		}
		nm := next.Meta()
		var op clientv3.Op
		if nm.DeletionTimestamp != nil && len(nm.Finalizers) == 0 {
			op = clientv3.OpDelete(key) // last finalizer gone: the object goes
		} else {
			data, err := encode(next)
			if err != nil {
				return nil, err
			}
			op = clientv3.OpPut(key, string(data))
		}
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", mod)).
			Then(op).
			Commit()
		if err != nil {
			return nil, classify(what, err)
		}
		if !resp.Succeeded {
			if in.ResourceVersion != 0 {
				if _, _, err := s.get(ctx, kind, in.Namespace, in.Name); errors.Is(err, store.ErrNotFound) {
					return nil, fmt.Errorf("etcdstore: update: %w", err) // deleted since
				}
				return nil, fmt.Errorf("etcdstore: %s: changed concurrently: %w", what, store.ErrConflict)
			}
			continue // unconditional update: re-read and try again
		}
		rev := resp.Header.Revision
		nm.ResourceVersion = rev
		if op.IsPut() {
			s.decodes.put(cacheKey{key: key, mod: rev, rv: rev, private: true}, next.DeepCopyObject())
		}
		return next, nil
	}
}

// merge computes the object an Update (or UpdateStatus) of cur with in
// stores. Store-owned metadata always comes from cur.
func merge(cur, in api.Object, statusOnly bool) (api.Object, error) {
	if statusOnly {
		next := cur.DeepCopyObject()
		setStatus(next, in.DeepCopyObject())
		next.Meta().ResourceVersion = 0
		return next, nil
	}
	next := in.DeepCopyObject()
	nm, cm := next.Meta(), cur.Meta()
	nm.Name, nm.Namespace = cm.Name, cm.Namespace
	nm.GenerateName = cm.GenerateName
	nm.UID = cm.UID
	nm.CreationTimestamp = cm.CreationTimestamp
	nm.DeletionTimestamp = cm.DeletionTimestamp
	nm.DeletionGracePeriodSeconds = cm.DeletionGracePeriodSeconds
	nm.Generation = cm.Generation
	nm.ResourceVersion = 0
	if hasStatus(next) {
		setStatus(next, cur)
	}
	changed, err := specChanged(cur, next)
	if err != nil {
		return nil, err
	}
	if changed {
		nm.Generation++
	}
	return next, nil
}

// hasStatus reports whether obj's kind has a status (a Status field).
func hasStatus(obj api.Object) bool {
	return reflect.ValueOf(obj).Elem().FieldByName("Status").IsValid()
}

// setStatus copies src's Status into dst (same kind); src must not be
// used afterwards by the caller if it is shared.
func setStatus(dst, src api.Object) {
	f := reflect.ValueOf(dst).Elem().FieldByName("Status")
	f.Set(reflect.ValueOf(src.DeepCopyObject()).Elem().FieldByName("Status"))
}

// specChanged compares everything but metadata and status: the spec
// for kinds with one, the payload fields for Endpoints and Event. Equal
// values (the usual case of a metadata or status write) are recognised
// without encoding; otherwise the encodings decide, so that nil and empty
// count as equal, as a round trip through the store makes them.
func specChanged(a, b api.Object) (bool, error) {
	if reflect.DeepEqual(payload(a), payload(b)) {
		return false, nil
	}
	ea, err := specBytes(a)
	if err != nil {
		return false, err
	}
	eb, err := specBytes(b)
	if err != nil {
		return false, err
	}
	return string(ea) != string(eb), nil
}

// payload returns the fields of o other than ObjectMeta and Status.
func payload(o api.Object) []any {
	v := reflect.ValueOf(o).Elem()
	var out []any
	for i := 0; i < v.NumField(); i++ {
		if f := v.Type().Field(i); f.Name != "ObjectMeta" && f.Name != "Status" {
			out = append(out, v.Field(i).Interface())
		}
	}
	return out
}

// specBytes is the canonical encoding of o's payload. One round trip
// through JSON makes it canonical: some values encode differently from
// what they decode to (an empty, non-nil map inside an omitzero struct
// encodes as {} and decodes to the zero struct, which is then omitted).
func specBytes(o api.Object) ([]byte, error) {
	c := o.DeepCopyObject()
	*c.Meta() = api.ObjectMeta{}
	if hasStatus(c) {
		f := reflect.ValueOf(c).Elem().FieldByName("Status")
		f.Set(reflect.Zero(f.Type()))
	}
	b, err := encode(c)
	if err != nil {
		return nil, err
	}
	back, err := decodeValue(c.Kind(), b, 0)
	if err != nil {
		return nil, err
	}
	return encode(back)
}

// Delete implements store.Writer.
func (s *Store) Delete(ctx context.Context, kind api.Kind, namespace, name string, opts ...store.DeleteOption) (api.Object, error) {
	if _, err := checkKey(kind, namespace, name); err != nil {
		return nil, fmt.Errorf("etcdstore: delete: %w", err)
	}
	do := store.NewDeleteOptions(opts...)
	what := fmt.Sprintf("delete %s %s/%s", kind, namespace, name)
	key := s.key(kind, namespace, name)
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	for {
		cur, kv, err := s.get(ctx, kind, namespace, name)
		if err != nil {
			return nil, fmt.Errorf("etcdstore: delete: %w", err)
		}
		cm := cur.Meta()
		if do.UID != "" && do.UID != cm.UID {
			return nil, fmt.Errorf("etcdstore: %s: uid precondition %s, stored %s: %w", what, do.UID, cm.UID, store.ErrConflict)
		}
		if do.ResourceVersion != 0 && do.ResourceVersion != kv.ModRevision {
			return nil, fmt.Errorf("etcdstore: %s: resourceVersion precondition %d, stored %d: %w", what, do.ResourceVersion, kv.ModRevision, store.ErrConflict)
		}
		next := cur.DeepCopyObject()
		nm := next.Meta()
		nm.ResourceVersion = 0
		changed := false
		switch do.Propagation {
		case store.PropagateForeground:
			changed = addFinalizer(nm, api.FinalizerForeground) || changed
		case store.PropagateOrphan:
			changed = addFinalizer(nm, api.FinalizerOrphan) || changed
		}
		var op clientv3.Op
		if len(nm.Finalizers) > 0 {
			if nm.DeletionTimestamp == nil {
				t := s.now()
				nm.DeletionTimestamp = &t
				changed = true
			}
			if !changed {
				return cur, nil // already marked: nothing to write
			}
			data, err := encode(next)
			if err != nil {
				return nil, err
			}
			op = clientv3.OpPut(key, string(data))
		} else {
			op = clientv3.OpDelete(key)
		}
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
			Then(op).
			Commit()
		if err != nil {
			return nil, classify(what, err)
		}
		if !resp.Succeeded {
			if do.ResourceVersion != 0 {
				return nil, fmt.Errorf("etcdstore: %s: changed concurrently: %w", what, store.ErrConflict)
			}
			continue
		}
		nm.ResourceVersion = resp.Header.Revision
		return next, nil
	}
}

func addFinalizer(m *api.ObjectMeta, f string) bool {
	for _, x := range m.Finalizers {
		if x == f {
			return false
		}
	}
	m.Finalizers = append(m.Finalizers, f)
	return true
}
