package informer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// feedStore serves an empty list and a watch whose events the benchmark
// queued beforehand, so that the informer's own cost is measured.
type feedStore struct {
	store.Store
	events chan store.Event
}

func (f *feedStore) Watch(ctx context.Context, kind api.Kind, opts ...store.WatchOption) (store.Watch, error) {
	return &feedWatch{ch: f.events}, nil
}

type feedWatch struct{ ch chan store.Event }

func (w *feedWatch) Events() <-chan store.Event { return w.ch }
func (w *feedWatch) Err() error                 { return nil }
func (w *feedWatch) Stop()                      {}

// countHandler counts calls and closes done at the target.
type countHandler struct {
	n      atomic.Int64
	target int64
	done   chan struct{}
}

func (h *countHandler) hit() {
	if h.n.Add(1) == h.target {
		close(h.done)
	}
}
func (h *countHandler) OnAdd(*api.Pod)         { h.hit() }
func (h *countHandler) OnUpdate(_, _ *api.Pod) { h.hit() }
func (h *countHandler) OnDelete(*api.Pod)      { h.hit() }
func newCountHandler(target int) *countHandler {
	return &countHandler{target: int64(target), done: make(chan struct{})}
}
func (h *countHandler) wait(b *testing.B) { <-h.done }
func runBench(b *testing.B, inf *Informer[*api.Pod]) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := inf.Run(ctx); err != nil {
			b.Error(err)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// BenchmarkEventThroughput measures watch events applied to the cache
// (with two indexes) and delivered to a handler, per second.
func BenchmarkEventThroughput(b *testing.B) {
	const objects = 1000
	pods := make([]*api.Pod, objects)
	for i := range pods {
		pods[i] = pod(fmt.Sprintf("ns%d", i%10), fmt.Sprintf("p%d", i), map[string]string{"app": fmt.Sprint(i % 7)})
		pods[i].UID = api.UID(fmt.Sprint(i))
		pods[i].Spec.NodeName = fmt.Sprintf("n%d", i%50)
	}
	events := make(chan store.Event, b.N+1)
	for i := range b.N {
		p := *pods[i%objects] // shallow copy: a new version of the object
		p.ResourceVersion = int64(i + 1)
		typ := store.Modified
		if i < objects {
			typ = store.Added
		}
		events <- store.Event{Type: typ, Object: &p, Revision: int64(i + 1)}
	}
	inf, err := New[*api.Pod](&feedStore{Store: newStore(b), events: events}, Config[*api.Pod]{Indexers: map[string]IndexFunc[*api.Pod]{
		"node": nodeIndex,
		"app":  LabelIndex[*api.Pod]("app"),
	}})
	if err != nil {
		b.Fatal(err)
	}
	h := newCountHandler(b.N)
	inf.AddHandler(h)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	stop := runBench(b, inf)
	h.wait(b)
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}

// BenchmarkEndToEnd measures updates written to memstore and delivered
// through a watch, the cache and a handler, per second.
func BenchmarkEndToEnd(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	const objects = 100
	pods := make([]api.Object, objects)
	for i := range pods {
		p, err := s.Create(ctx, pod("default", fmt.Sprintf("p%d", i), nil))
		if err != nil {
			b.Fatal(err)
		}
		pods[i] = p
	}
	inf, err := New(s, Config[*api.Pod]{})
	if err != nil {
		b.Fatal(err)
	}
	h := newCountHandler(objects + b.N)
	inf.AddHandler(h)
	stop := runBench(b, inf)
	defer stop()
	if err := inf.WaitForSync(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		p := pods[i%objects].(*api.Pod)
		up := *p
		up.ResourceVersion = 0 // unconditional
		out, err := s.Update(ctx, &up)
		if err != nil {
			b.Fatal(err)
		}
		pods[i%objects] = out
	}
	h.wait(b)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}

// BenchmarkCacheRead reads a cache of 10,000 pods: all of them through
// the namespace index, 100 through a custom node index, and a selector
// over all of them.
func BenchmarkCacheRead(b *testing.B) {
	const total, nodes = 10_000, 100
	items := make([]api.Object, total)
	for i := range items {
		p := pod("default", fmt.Sprintf("p%05d", i), map[string]string{"app": fmt.Sprint(i % 4)})
		p.UID = api.UID(fmt.Sprint(i))
		p.ResourceVersion = 1
		p.Spec.NodeName = fmt.Sprintf("n%d", i%nodes)
		items[i] = p
	}
	inf, err := New[*api.Pod](&listStore{Store: newStore(b), items: items}, Config[*api.Pod]{Indexers: map[string]IndexFunc[*api.Pod]{"node": nodeIndex}})
	if err != nil {
		b.Fatal(err)
	}
	stop := runBench(b, inf)
	defer stop()
	if err := inf.WaitForSync(context.Background()); err != nil {
		b.Fatal(err)
	}
	if n := inf.Len(); n != total {
		b.Fatalf("cache holds %d pods, want %d", n, total)
	}
	sel := api.SelectorFromSet(map[string]string{"app": "1"})
	for _, bc := range []struct {
		name string
		want int
		read func() []*api.Pod
	}{
		{"ByIndex/namespace-10000", total, func() []*api.Pod { return inf.ByIndex(IndexNamespace, "default") }},
		{"ByIndex/node-100", total / nodes, func() []*api.Pod { return inf.ByIndex("node", "n7") }},
		{"List/selector-2500-of-10000", total / 4, func() []*api.Pod { return inf.List(sel) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := len(bc.read()); got != bc.want {
					b.Fatalf("read %d pods, want %d", got, bc.want)
				}
			}
			b.ReportMetric(float64(bc.want)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// listStore lists fixed items at revision 1; its watch is the real
// store's, and stays idle.
type listStore struct {
	store.Store
	items []api.Object
}

func (l *listStore) List(ctx context.Context, kind api.Kind, opts ...store.ListOption) (*store.List, error) {
	return &store.List{Items: l.items, Revision: 1}, nil
}
