package node_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/testenv"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/node/cni"
	"github.com/fleetkit/orchestrator/runtime/containerd"
	"github.com/fleetkit/orchestrator/runtime/runtimetest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func percentile(d []time.Duration, p float64) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}

// podTimes follows pod statuses and records when each pod was first seen
// Running and Ready.
type podTimes struct {
	mu      sync.Mutex
	running map[string]time.Time
	ready   map[string]time.Time
	changed chan struct{}
}

func followPods(ctx context.Context, b *testing.B, st store.Store) *podTimes {
	pt := &podTimes{running: map[string]time.Time{}, ready: map[string]time.Time{}, changed: make(chan struct{}, 1)}
	rev, _ := st.Revision(ctx)
	w, err := st.Watch(ctx, api.KindPod, store.FromRevision(rev))
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for ev := range w.Events() {
			p, ok := ev.Object.(*api.Pod)
			if !ok {
				continue
			}
			now := time.Now()
			pt.mu.Lock()
			if _, seen := pt.running[p.Name]; !seen && p.Status.Phase == api.PodRunning {
				pt.running[p.Name] = now
			}
			if _, seen := pt.ready[p.Name]; !seen && condition(p, api.PodReady) == api.ConditionTrue {
				pt.ready[p.Name] = now
			}
			pt.mu.Unlock()
			select {
			case pt.changed <- struct{}{}:
			default:
			}
		}
	}()
	return pt
}

func (pt *podTimes) waitReady(b *testing.B, names []string) {
	deadline := time.After(120 * time.Second)
	for {
		pt.mu.Lock()
		n := 0
		for _, name := range names {
			if _, ok := pt.ready[name]; ok {
				n++
			}
		}
		pt.mu.Unlock()
		if n == len(names) {
			return
		}
		select {
		case <-pt.changed:
		case <-deadline:
			b.Fatalf("%d of %d pods ready", n, len(names))
		}
	}
}

// BenchmarkPodStart measures, on containerd with the CNI bridge, the time
// from a pod bound to the node until its status says Running and Ready
// (readiness probe succeeding at once), for 50 pods one after another and
// 20 at once; and the raw containerd client's create+start of the same
// image, reported as overhead-x = our p50 to Running / raw p50.
func BenchmarkPodStart(b *testing.B) {
	testenv.RequireRoot(b)
	sock := testenv.ContainerdSocket(b)
	ctx := context.Background()
	dir := b.TempDir()
	crt, err := containerd.New(containerd.Config{Address: sock, Namespace: "fleetkit-bench", StateDir: filepath.Join(dir, "rt"), Snapshotter: os.Getenv("FLEETKIT_CONTAINERD_SNAPSHOTTER")})
	if err != nil {
		b.Fatal(err)
	}
	defer removeNamespaceCgroups("fleetkit-bench")
	defer crt.Close()
	if _, err := crt.ImportImage(ctx, bytes.NewReader(runtimetest.TestImage(b))); err != nil {
		b.Fatal(err)
	}
	const bridge = "fkb0"
	defer exec.Command("ip", "link", "del", bridge).Run()
	netw, err := cni.New(cni.Config{PodCIDR: "10.244.252.0/24", Bridge: bridge, StateDir: filepath.Join(dir, "cni"), SkipLoopback: true})
	if err != nil {
		b.Fatal(err)
	}
	st, _ := memstore.New(memstore.Config{})
	a, err := node.New(node.Config{NodeName: "bench", Store: st, Runtime: crt, Network: netw, PodCIDR: "10.244.252.0/24", ResyncInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { a.Run(actx); close(done) }()
	defer func() { cancel(); <-done }()
	pt := followPods(actx, b, st)

	mkPod := func(name string) {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Spec: api.PodSpec{
			NodeName: "bench",
			Containers: []api.Container{{Name: "web", Image: runtimetest.TestImageRef, Args: []string{"serve", "8080"},
				ReadinessProbe: &api.Probe{HTTPGet: &api.HTTPGetAction{Path: "/ready", Port: api.FromInt(8080)}, PeriodSeconds: 1}}},
		}}
		if _, err := st.Create(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	cleanup := func(names []string) {
		for _, n := range names {
			st.Delete(ctx, api.KindPod, "default", n)
		}
		for i := 0; ; i++ {
			sbs, _ := crt.ListSandboxes(ctx)
			if len(sbs) == 0 {
				return
			}
			if i > 6000 {
				b.Fatalf("%d sandboxes left", len(sbs))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	report := func(b *testing.B, names []string, created map[string]time.Time) []time.Duration {
		var run, rdy []time.Duration
		pt.mu.Lock()
		for _, n := range names {
			run = append(run, pt.running[n].Sub(created[n]))
			rdy = append(rdy, pt.ready[n].Sub(created[n]))
		}
		pt.mu.Unlock()
		b.ReportMetric(percentile(run, 0.5), "p50-ms")
		b.ReportMetric(percentile(run, 0.99), "p99-ms")
		b.ReportMetric(percentile(rdy, 0.5), "ready-p50-ms")
		b.ReportMetric(percentile(rdy, 0.99), "ready-p99-ms")
		return run
	}
	round := 0
	var seqRun, parRun []time.Duration
	b.Run("sequential-50", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			round++
			var names []string
			created := map[string]time.Time{}
			for j := 0; j < 50; j++ {
				n := fmt.Sprintf("s%d-%02d", round, j)
				names = append(names, n)
				created[n] = time.Now()
				mkPod(n)
				pt.waitReady(b, []string{n})
			}
			seqRun = report(b, names, created)
			b.StopTimer()
			cleanup(names)
			b.StartTimer()
		}
	})
	b.Run("concurrent-20", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			round++
			var names []string
			created := map[string]time.Time{}
			for j := 0; j < 20; j++ {
				n := fmt.Sprintf("c%d-%02d", round, j)
				names = append(names, n)
				created[n] = time.Now()
				mkPod(n)
			}
			pt.waitReady(b, names)
			parRun = report(b, names, created)
			b.StopTimer()
			cleanup(names)
			b.StartTimer()
		}
	})
	c := crt.Client()
	nctx := namespaces.WithNamespace(ctx, crt.Namespace())
	img, err := c.GetImage(nctx, runtimetest.TestImageRef)
	if err != nil {
		b.Fatal(err)
	}
	// rawStart creates and starts one container with the bare client and
	// returns how long that took and a function that removes it.
	rawStart := func(b *testing.B, id string, extra ...oci.SpecOpts) (time.Duration, func()) {
		start := time.Now()
		opts := append([]oci.SpecOpts{oci.WithImageConfig(img), oci.WithProcessArgs(runtimetest.TestProgPath, "run")}, extra...)
		ctr, err := c.NewContainer(nctx, id, client.WithImage(img), client.WithSnapshotter(os.Getenv("FLEETKIT_CONTAINERD_SNAPSHOTTER")), client.WithNewSnapshot(id, img),
			client.WithNewSpec(opts...))
		if err != nil {
			b.Fatal(err)
		}
		task, err := ctr.NewTask(nctx, cio.NullIO)
		if err != nil {
			b.Fatal(err)
		}
		if err := task.Start(nctx); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		return d, func() {
			exitc, _ := task.Wait(nctx)
			task.Kill(nctx, syscall.SIGKILL)
			<-exitc
			task.Delete(nctx)
			ctr.Delete(nctx, client.WithSnapshotCleanup)
		}
	}
	b.Run("raw-containerd-50", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var raw []time.Duration
			for j := 0; j < 50; j++ {
				d, rm := rawStart(b, fmt.Sprintf("raw-s%d-%d", i, j))
				raw = append(raw, d)
				b.StopTimer()
				rm()
				b.StartTimer()
			}
			b.ReportMetric(percentile(raw, 0.5), "p50-ms")
			b.ReportMetric(percentile(raw, 0.99), "p99-ms")
			if len(seqRun) > 0 {
				b.ReportMetric(percentile(seqRun, 0.5)/percentile(raw, 0.5), "overhead-x")
			}
		}
	})
	// The same with the default seccomp profile, which pods get unless they
	// opt out: it shows how much of the overhead is the profile itself.
	b.Run("raw-containerd-seccomp-50", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var raw []time.Duration
			for j := 0; j < 50; j++ {
				d, rm := rawStart(b, fmt.Sprintf("raw-sc%d-%d", i, j), seccomp.WithDefaultProfile())
				raw = append(raw, d)
				b.StopTimer()
				rm()
				b.StartTimer()
			}
			b.ReportMetric(percentile(raw, 0.5), "p50-ms")
			b.ReportMetric(percentile(raw, 0.99), "p99-ms")
			if len(seqRun) > 0 {
				b.ReportMetric(percentile(seqRun, 0.5)/percentile(raw, 0.5), "overhead-x")
			}
		}
	})
	b.Run("raw-containerd-concurrent-20", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			raw := make([]time.Duration, 20)
			rms := make([]func(), 20)
			var wg sync.WaitGroup
			for j := 0; j < 20; j++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					raw[j], rms[j] = rawStart(b, fmt.Sprintf("raw-c%d-%d", i, j))
				}()
			}
			wg.Wait()
			b.ReportMetric(percentile(raw, 0.5), "p50-ms")
			b.ReportMetric(percentile(raw, 0.99), "p99-ms")
			if len(parRun) > 0 {
				b.ReportMetric(percentile(parRun, 0.5)/percentile(raw, 0.5), "overhead-x")
			}
			b.StopTimer()
			for _, rm := range rms {
				rm()
			}
			b.StartTimer()
		}
	})
}
