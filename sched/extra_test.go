package sched

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/leakcheck"
	fw "github.com/fleetkit/orchestrator/sched/framework"
	"github.com/fleetkit/orchestrator/sched/plugins"
)

// TestMain checks that the tests leave no goroutine behind: every
// goroutine the scheduler starts is owned and waited for by Run.
func TestMain(m *testing.M) { leakcheck.Main(m, "orchestrator/sched") }

// holdPermit is a vendor Permit plugin that parks every pod for a while.
type holdPermit struct{ timeout time.Duration }

func (holdPermit) Name() string { return "Hold" }
func (h holdPermit) Permit(context.Context, *fw.CycleState, *fw.PodInfo, string) (*fw.Status, time.Duration) {
	return fw.NewStatus(fw.Wait), h.timeout
}

// A pod parked at Permit holds its reservation (another pod does not get
// the room), is not bound, and is released and retried when its timeout
// passes; a plugin's Allow lets it bind.
func TestPermitWaitHoldsReservationUntilTimeoutThenAllow(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st, makeNode("n", 1000, 4*gi, 110))
	reg := plugins.NewRegistry()
	reg.Merge(fw.Registry{"Hold": func(any, fw.Handle) (fw.Plugin, error) { return holdPermit{timeout: 30 * time.Second}, nil }})
	prof := DefaultProfile()
	prof.Plugins = append(prof.Plugins, PluginSpec{Name: "Hold"})
	clock := newFakeClock()
	s := startScheduler(t, Config{Store: st, Registry: reg, Profiles: []Profile{prof}, Clock: clock})
	ctx := testCtx(t)
	mustCreate(t, st, makePod("d", "first", 1000, gi))
	waitUntil(t, ctx, "pod waiting", func() bool { return s.WaitingPod(uidOf(t, st, "first")) != nil })
	res, err := s.DryRun(ctx, makePod("d", "probe", 500, gi))
	if err != nil {
		t.Fatal(err)
	}
	if res.NodeName != "" || res.Reasons["Insufficient cpu"] != 1 {
		t.Fatalf("reservation not held: %+v", res)
	}
	clock.Advance(31 * time.Second)
	waitUntil(t, ctx, "reservation released", func() bool {
		_, ok := s.cache.PodNode(uidOf(t, st, "first"))
		return !ok
	})
	if boundCount(listPods(t, st)) != 0 {
		t.Fatal("a pod rejected at Permit was bound")
	}
	// The pod is retried after its back-off (1s) and parks again; Allow
	// binds it. Time is stepped, not jumped: the back-off timer is armed
	// after the reservation is released, and a single jump taken before
	// it is armed would leave it a whole back-off away.
	stepUntil(t, clock, 100*time.Millisecond, 2*time.Second, "pod waiting again", func() bool { return s.WaitingPod(uidOf(t, st, "first")) != nil })
	s.IterateWaitingPods(func(w fw.WaitingPod) { w.Allow("Hold") })
	waitPods(t, ctx, st, "bound after Allow", func(ps []*api.Pod) bool { return boundCount(ps) == 1 })
}

// stepUntil advances clock by step, with a moment of real time after each
// step for the scheduler to react, until cond holds; it fails t if cond
// does not hold within limit of fake time.
func stepUntil(t *testing.T, clock interface{ Advance(time.Duration) }, step, limit time.Duration, msg string, cond func() bool) {
	t.Helper()
	for passed := time.Duration(0); ; passed += step {
		for range 50 {
			if cond() {
				return
			}
			time.Sleep(time.Millisecond)
		}
		if passed >= limit {
			t.Fatalf("%s: not reached within %v of fake time", msg, limit)
		}
		clock.Advance(step)
	}
}

func uidOf(t *testing.T, st interface {
	Get(context.Context, api.Kind, string, string) (api.Object, error)
}, name string) api.UID {
	t.Helper()
	o, err := st.Get(context.Background(), api.KindPod, "d", name)
	if err != nil {
		t.Fatal(err)
	}
	return o.Meta().UID
}

func TestBindRefusesDeletedNode(t *testing.T) {
	st := newStore(t)
	s, err := New(Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	p := makePod("d", "p", 100, gi)
	out, err := st.Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	err = s.bindToStore(context.Background(), out.(*api.Pod), "gone")
	if !errors.Is(err, ErrNodeGone) {
		t.Fatalf("bind to an unknown node: %v, want ErrNodeGone", err)
	}
	if got := listPods(t, st)[0]; got.Spec.NodeName != "" {
		t.Fatalf("pod bound to %s", got.Spec.NodeName)
	}
}

func TestBindLosesToAnotherScheduler(t *testing.T) {
	st := newStore(t)
	s, err := New(Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	s.cache.SetNode(makeNode("a", 1000, gi, 10))
	s.cache.SetNode(makeNode("b", 1000, gi, 10))
	out, err := st.Create(context.Background(), makePod("d", "p", 100, gi))
	if err != nil {
		t.Fatal(err)
	}
	stale := out.(*api.Pod)
	// Another scheduler binds first.
	other := *stale
	other.Spec.NodeName = "b"
	if _, err := st.Update(context.Background(), &other); err != nil {
		t.Fatal(err)
	}
	err = s.bindToStore(context.Background(), stale, "a")
	if !errors.Is(err, ErrAlreadyBound) {
		t.Fatalf("got %v, want ErrAlreadyBound", err)
	}
	if got := listPods(t, st)[0]; got.Spec.NodeName != "b" {
		t.Fatalf("pod rebound to %s", got.Spec.NodeName)
	}
}

func TestEventsAreAggregatedPerPod(t *testing.T) {
	st := newStore(t)
	clock := newFakeClock()
	r := newEventRecorder(st, clock, 30*time.Second, 50, nil)
	r.log = newDiscardLogger()
	ctx := context.Background()
	p := makePod("d", "p", 100, gi)
	p.UID = "u"
	for i := 0; i < 100; i++ {
		r.record(p, "0/1 nodes are available: 1 Insufficient cpu.")
		r.flush(ctx)
	}
	l, err := st.List(ctx, api.KindEvent)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 || l.Items[0].(*api.Event).Count != 1 {
		t.Fatalf("want one event with count 1 within the interval, got %d", len(l.Items))
	}
	clock.Advance(31 * time.Second)
	r.flush(ctx)
	l, _ = st.List(ctx, api.KindEvent)
	if len(l.Items) != 1 {
		t.Fatalf("%d events after the interval", len(l.Items))
	}
	if e := l.Items[0].(*api.Event); e.Count != 100 || e.Reason != "FailedScheduling" || e.Type != "Warning" {
		t.Fatalf("aggregated event %+v", e)
	}
}

func TestEventRateIsCapped(t *testing.T) {
	st := newStore(t)
	clock := newFakeClock()
	r := newEventRecorder(st, clock, 30*time.Second, 10, newDiscardLogger())
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		p := makePod("d", names("p", 1000)[i], 100, gi)
		p.UID = api.UID(p.Name)
		r.record(p, "no")
	}
	r.flush(ctx)
	l, _ := st.List(ctx, api.KindEvent)
	if len(l.Items) > 10 {
		t.Fatalf("%d events written at once, rate is 10/s", len(l.Items))
	}
	clock.Advance(time.Second)
	r.flush(ctx)
	l, _ = st.List(ctx, api.KindEvent)
	if len(l.Items) > 20 {
		t.Fatalf("%d events after 1s, rate is 10/s", len(l.Items))
	}
}

func TestMetrics(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st, makeNode("n", 4000, 8*gi, 110), makePod("d", "ok", 100, gi), makePod("d", "big", 8000, gi))
	reg := prometheus.NewRegistry()
	startScheduler(t, Config{Store: st, Registerer: reg})
	ctx := testCtx(t)
	waitPods(t, ctx, st, "one bound", func(ps []*api.Pod) bool { return boundCount(ps) == 1 })
	waitUntil(t, ctx, "attempt metrics", func() bool {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				name := mf.GetName()
				for _, l := range m.GetLabel() {
					name += "/" + l.GetValue()
				}
				if c := m.GetCounter(); c != nil {
					got[name] = c.GetValue()
				}
				if h := m.GetHistogram(); h != nil {
					got[name] = float64(h.GetSampleCount())
				}
				if g := m.GetGauge(); g != nil {
					got[name] = g.GetValue()
				}
			}
		}
		return got["fleetkit_scheduler_schedule_attempts_total/scheduled"] == 1 &&
			got["fleetkit_scheduler_schedule_attempts_total/unschedulable"] >= 1 &&
			got["fleetkit_scheduler_pod_scheduling_duration_seconds"] == 1 &&
			got["fleetkit_scheduler_pending_pods/unschedulable"]+got["fleetkit_scheduler_pending_pods/backoff"]+got["fleetkit_scheduler_pending_pods/active"] >= 0
	})
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("nil store accepted")
	}
	st := newStore(t)
	for name, cfg := range map[string]Config{
		"unknown plugin":   {Store: st, Profiles: []Profile{{Plugins: []PluginSpec{{Name: "Nope"}}}}},
		"duplicate plugin": {Store: st, Profiles: []Profile{{Plugins: []PluginSpec{{Name: plugins.NameNodeName}, {Name: plugins.NameNodeName}}}}},
		"two profiles":     {Store: st, Profiles: []Profile{{}, {}}},
		"bad backoff":      {Store: st, InitialBackoff: 10 * time.Second, MaxBackoff: time.Second},
		"bad percentage":   {Store: st, Profiles: []Profile{{PercentageOfNodesToScore: 101}}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "sched: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}
