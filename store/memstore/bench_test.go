package memstore_test

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
	"github.com/fleetkit/orchestrator/store/storetest"
)

func benchStore(b *testing.B, cfg memstore.Config) *memstore.Store {
	b.Helper()
	s, err := memstore.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkUpdate: sequential compare-and-swap updates of one pod.
func BenchmarkUpdate(b *testing.B) {
	ctx := b.Context()
	s := benchStore(b, memstore.Config{})
	obj, err := s.Create(ctx, storetest.TypicalPod("default", "p", 0))
	if err != nil {
		b.Fatal(err)
	}
	p := obj.(*api.Pod)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p.Annotations["example.com/revision"] = strconv.Itoa(i)
		got, err := s.Update(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		p = got.(*api.Pod)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkGetParallel: Get of 1,000 pods from every P at once.
func BenchmarkGetParallel(b *testing.B) {
	ctx := b.Context()
	s := benchStore(b, memstore.Config{})
	const n = 1000
	for i := range n {
		if _, err := s.Create(ctx, storetest.TypicalPod("default", fmt.Sprintf("p%d", i), i%10)); err != nil {
			b.Fatal(err)
		}
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("p%d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Get(ctx, api.KindPod, "default", names[i%n]); err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkList10kSelector: 10,000 pods in 10 namespaces, a selector that
// matches a tenth of them.
func BenchmarkList10kSelector(b *testing.B) {
	ctx := b.Context()
	s := benchStore(b, memstore.Config{})
	for i := range 10_000 {
		if _, err := s.Create(ctx, storetest.TypicalPod(fmt.Sprintf("ns-%d", i%10), fmt.Sprintf("p%05d", i), i%10)); err != nil {
			b.Fatal(err)
		}
	}
	sel := api.SelectorFromSet(map[string]string{"app": "app-3"})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l, err := s.List(ctx, api.KindPod, store.ListSelector(sel))
		if err != nil || len(l.Items) != 1000 {
			b.Fatalf("%d items, %v", len(l.Items), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkWatchFanout: 1,000 watchers of every pod change.
//
// throughput: 10,000 updates written as fast as the store takes them;
// events/s counts events delivered to watchers (1,000 per update) from the
// first write until the last watcher has the last event. The buffer is
// sized so that no watcher is dropped (a dropped watcher fails the
// benchmark): this measures delivery, not the drop policy.
//
// latency: a steady 1,000 updates/s for 2,000 updates; p99-ms is the 99th
// percentile of the time from just before Update to a watcher receiving
// the event, over every (event, watcher) pair.
func BenchmarkWatchFanout(b *testing.B) {
	const watchers = 1000
	b.Run("throughput", func(b *testing.B) {
		const updates = 10_000
		var total time.Duration
		for b.Loop() {
			total += fanout(b, watchers, updates, 0, nil)
		}
		b.ReportMetric(float64(watchers*updates*b.N)/total.Seconds(), "events/s")
	})
	b.Run("latency", func(b *testing.B) {
		const updates = 2000
		var lat []time.Duration
		for b.Loop() {
			fanout(b, watchers, updates, time.Millisecond, &lat)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	})
}

// fanout runs one round: watchers watch, updates are written (one every
// interval, or back to back), and it returns when every watcher has every
// event. With lat, each watcher measures each event's delivery latency.
func fanout(b *testing.B, watchers, updates int, interval time.Duration, lat *[]time.Duration) time.Duration {
	ctx := b.Context()
	s := benchStore(b, memstore.Config{WatchBuffer: updates + 16})
	obj, err := s.Create(ctx, storetest.TypicalPod("default", "p", 0))
	if err != nil {
		b.Fatal(err)
	}
	ws := make([]store.Watch, watchers)
	for i := range ws {
		if ws[i], err = s.Watch(ctx, api.KindPod); err != nil {
			b.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	lats := make([][]time.Duration, watchers)
	for i, w := range ws {
		wg.Go(func() {
			defer w.Stop()
			want := obj.Meta().ResourceVersion + 1
			var mine []time.Duration
			if lat != nil {
				mine = make([]time.Duration, 0, updates)
			}
			for range updates {
				e, ok := <-w.Events()
				if !ok {
					failed.Store(fmt.Sprintf("watcher %d ended: %v", i, w.Err()))
					return
				}
				if e.Revision != want {
					failed.Store(fmt.Sprintf("watcher %d: revision %d, want %d", i, e.Revision, want))
					return
				}
				want++
				if lat != nil {
					sent, _ := strconv.ParseInt(e.Object.Meta().Annotations["sent"], 10, 64)
					mine = append(mine, time.Since(time.Unix(0, sent)))
				}
			}
			lats[i] = mine
		})
	}
	runtime.GC()
	p := obj.(*api.Pod)
	start := time.Now()
	var tick *time.Ticker
	if interval > 0 {
		tick = time.NewTicker(interval)
		defer tick.Stop()
	}
	for range updates {
		if tick != nil {
			<-tick.C
		}
		p.Annotations["sent"] = strconv.FormatInt(time.Now().UnixNano(), 10)
		got, err := s.Update(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		p = got.(*api.Pod)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
	if lat != nil {
		for _, l := range lats {
			*lat = append(*lat, l...)
		}
	}
	return elapsed
}

// BenchmarkMemoryPerPod: heap held per stored pod, 100,000 typical pods.
func BenchmarkMemoryPerPod(b *testing.B) {
	const n = 100_000
	ctx := b.Context()
	var perPod float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := memstore.New(memstore.Config{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if _, err := s.Create(ctx, storetest.TypicalPod(fmt.Sprintf("ns-%d", i%50), fmt.Sprintf("p%06d", i), i%10)); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perPod = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(s)
		s.Close()
	}
	b.ReportMetric(perPod, "bytes/pod")
}
