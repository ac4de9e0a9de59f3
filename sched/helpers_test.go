package sched

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// fakeClock is a manual clock: time moves only with Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at      time.Time
	f       func()
	stopped *bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.AfterFunc(d, func() { ch <- c.Now() })
	return ch
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	stopped := new(bool)
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), f: f, stopped: stopped})
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := *stopped
		*stopped = true
		return !was
	}
}

// Advance moves time forward and fires what is due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			if !*w.stopped {
				*w.stopped = true
				due = append(due, w.f)
			}
			continue
		}
		keep = append(keep, w)
	}
	c.waiters = keep
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

func newStore(t testing.TB) *memstore.Store {
	t.Helper()
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

type nodeOpt func(*api.Node)

func withLabels(kv ...string) nodeOpt {
	return func(n *api.Node) {
		for i := 0; i+1 < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}

func withTaint(key, value string, effect api.TaintEffect) nodeOpt {
	return func(n *api.Node) {
		n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: key, Value: value, Effect: effect})
	}
}

func withGPU(n int64) nodeOpt {
	return func(nd *api.Node) {
		nd.Status.Allocatable[api.ResourceNvidiaGPU] = api.NewQuantity(n, api.DecimalSI)
		nd.Status.Capacity[api.ResourceNvidiaGPU] = api.NewQuantity(n, api.DecimalSI)
	}
}

func makeNode(name string, milliCPU, memBytes, pods int64, opts ...nodeOpt) *api.Node {
	rl := api.ResourceList{
		api.ResourceCPU:    api.NewMilliQuantity(milliCPU, api.DecimalSI),
		api.ResourceMemory: api.NewQuantity(memBytes, api.BinarySI),
		api.ResourcePods:   api.NewQuantity(pods, api.DecimalSI),
	}
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{api.LabelHostname: name}}}
	n.Status.Allocatable = rl
	n.Status.Capacity = api.ResourceList{}
	for k, v := range rl {
		n.Status.Capacity[k] = v
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

type podOpt func(*api.Pod)

func withPriority(p int32) podOpt { return func(pd *api.Pod) { pd.Spec.Priority = &p } }

func withPodLabels(kv ...string) podOpt {
	return func(p *api.Pod) {
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}

func withGroup(g string) podOpt { return withPodLabels(api.LabelPodGroup, g) }

func withPodGPU(n int64) podOpt {
	return func(p *api.Pod) {
		p.Spec.Containers[0].Resources.Requests[api.ResourceNvidiaGPU] = api.NewQuantity(n, api.DecimalSI)
	}
}

func makePod(ns, name string, milliCPU, memBytes int64, opts ...podOpt) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}}
	p.Spec.Containers = []api.Container{{Name: "c", Image: "busybox", Resources: api.ResourceRequirements{Requests: api.ResourceList{
		api.ResourceCPU:    api.NewMilliQuantity(milliCPU, api.DecimalSI),
		api.ResourceMemory: api.NewQuantity(memBytes, api.BinarySI),
	}}}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func mustCreate(t testing.TB, st store.Store, objs ...api.Object) {
	t.Helper()
	for _, o := range objs {
		if _, err := st.Create(context.Background(), o); err != nil {
			t.Fatalf("create %s %s: %v", o.Kind(), o.Meta().Name, err)
		}
	}
}

func listPods(t testing.TB, st store.Store) []*api.Pod {
	t.Helper()
	l, err := st.List(context.Background(), api.KindPod)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*api.Pod, len(l.Items))
	for i, o := range l.Items {
		out[i] = o.(*api.Pod)
	}
	return out
}

// waitKind blocks until cond holds for the store's objects of kind,
// re-checking on every change of that kind (no polling, no sleeps); it
// fails the test when ctx ends first.
func waitKind(t testing.TB, ctx context.Context, st store.Store, kind api.Kind, what string, cond func([]api.Object) bool) []api.Object {
	t.Helper()
	for {
		rev, err := st.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l, err := st.List(ctx, kind, store.AtRevision(rev))
		if err != nil {
			t.Fatal(err)
		}
		if cond(l.Items) {
			return l.Items
		}
		w, err := st.Watch(ctx, kind, store.FromRevision(rev))
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		select {
		case <-ctx.Done():
			w.Stop()
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-w.Events():
		}
		w.Stop()
	}
}

// waitPods blocks until cond holds for the store's pods, re-checking on
// every pod change (no polling, no sleeps); it fails the test when ctx
// ends first.
func waitPods(t testing.TB, ctx context.Context, st store.Store, what string, cond func([]*api.Pod) bool) []*api.Pod {
	t.Helper()
	for {
		rev, err := st.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pods := listPods(t, st)
		if cond(pods) {
			return pods
		}
		w, err := st.Watch(ctx, api.KindPod, store.FromRevision(rev))
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		select {
		case <-ctx.Done():
			w.Stop()
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-w.Events():
		}
		w.Stop()
	}
}

func boundCount(pods []*api.Pod) int {
	n := 0
	for _, p := range pods {
		if p.Spec.NodeName != "" {
			n++
		}
	}
	return n
}

// startScheduler runs a scheduler until the test ends.
func startScheduler(t testing.TB, cfg Config) *Scheduler {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// waitUntil re-checks cond after yielding, until ctx ends. It is for state
// inside the scheduler that has no store change to wait on.
func waitUntil(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

func storeFrom(rev int64) store.WatchOption { return store.FromRevision(rev) }

func newDiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
