package etcdstore_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
	"github.com/fleetkit/orchestrator/store/storetest"
)

// The benchmarks run each case on etcdstore (against an in-process etcd)
// and on memstore with the same code, so the ratio of the two comes out
// of one run on one machine:
//
//	go test -run '^$' -bench 'Update|GetParallel|Codec' -benchtime 2000x ./store/etcdstore
//	go test -run '^$' -bench WatchFanout -benchtime 1x ./store/etcdstore

type backend struct {
	name string
	new  func(b *testing.B) store.Store
}

var backends = []backend{
	{"etcdstore", func(b *testing.B) store.Store {
		srv := etcdtest.StartEmbedded(b, etcdtest.Options{})
		return storeOnB(b, srv)
	}},
	{"memstore", func(b *testing.B) store.Store {
		s, err := memstore.New(memstore.Config{WatchBuffer: 20_000})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

func storeOnB(b *testing.B, srv *etcdtest.Server) store.Store {
	return storeOn(b, srv, etcdstoreConfig())
}

// BenchmarkUpdate: sequential compare-and-swap updates of one pod.
func BenchmarkUpdate(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			s := be.new(b)
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
		})
	}
}

// BenchmarkGetParallel: Get of 1,000 pods from every P at once.
func BenchmarkGetParallel(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			s := be.new(b)
			const n = 1000
			for i := range n {
				if _, err := s.Create(ctx, storetest.TypicalPod("default", fmt.Sprintf("p%d", i), i%10)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1))
				for pb.Next() {
					if _, err := s.Get(ctx, api.KindPod, "default", "p"+strconv.Itoa(i%n)); err != nil {
						b.Error(err)
						return
					}
					i += 7
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkWatchFanout: 100 watchers of every pod change, 10,000 updates
// written back to back. events/s counts deliveries (100 per update) from
// the first write until the last watcher has the last event; p99-ms and
// p50-ms are the time from just before an Update to a watcher receiving
// its event, over every (event, watcher) pair, under that full load.
func BenchmarkWatchFanout(b *testing.B) {
	const watchers, updates = 100, 10_000
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			var total time.Duration
			var lat []time.Duration
			for b.Loop() {
				total += fanout(b, be.new(b), watchers, updates, &lat)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(watchers*updates*b.N)/total.Seconds(), "events/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		})
	}
}

func fanout(b *testing.B, s store.Store, watchers, updates int, lat *[]time.Duration) time.Duration {
	ctx := context.Background()
	obj, err := s.Create(ctx, storetest.TypicalPod("default", "p", 0))
	if err != nil {
		b.Fatal(err)
	}
	ws := make([]store.Watch, watchers)
	for i := range ws {
		if ws[i], err = s.Watch(ctx, api.KindPod, store.FromRevision(obj.Meta().ResourceVersion)); err != nil {
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
			mine := make([]time.Duration, 0, updates)
			for len(mine) < updates {
				e, ok := <-w.Events()
				if !ok {
					failed.Store(fmt.Sprintf("watcher %d ended: %v", i, w.Err()))
					return
				}
				if e.Type == store.Bookmark {
					continue
				}
				if e.Revision != want {
					failed.Store(fmt.Sprintf("watcher %d: revision %d, want %d", i, e.Revision, want))
					return
				}
				want++
				sent, _ := strconv.ParseInt(e.Object.Meta().Annotations["sent"], 10, 64)
				mine = append(mine, time.Since(time.Unix(0, sent)))
			}
			lats[i] = mine
		})
	}
	runtime.GC()
	p := obj.(*api.Pod)
	start := time.Now()
	for range updates {
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
	for _, l := range lats {
		*lat = append(*lat, l...)
	}
	return elapsed
}
