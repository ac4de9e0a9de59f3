package sched

import (
	"fmt"

	fw "github.com/fleetkit/orchestrator/sched/framework"
	"github.com/fleetkit/orchestrator/sched/plugins"
)

// DefaultSchedulerName is the schedulerName of the default profile, as in
// Kubernetes. Pods with an empty schedulerName use it.
const DefaultSchedulerName = "default-scheduler"

// PluginSpec enables one plugin in a profile.
type PluginSpec struct {
	// Name is the plugin's name in the Registry.
	Name string
	// Weight multiplies the plugin's normalised score. Defaults to 1.
	// Ignored for plugins that do not score.
	Weight int64
	// Args is passed to the plugin's factory. Defaults to nil (the
	// plugin's defaults).
	Args any
}

// Profile is one named scheduler: pods whose spec.schedulerName equals
// SchedulerName are scheduled with its plugins.
type Profile struct {
	// SchedulerName defaults to DefaultSchedulerName.
	SchedulerName string
	// Plugins are the enabled plugins, in the order they run at each
	// extension point. Defaults to DefaultPlugins().
	Plugins []PluginSpec
	// PercentageOfNodesToScore caps how many feasible nodes are looked for
	// before scoring: 0 (the default) is adaptive as in kube-scheduler
	// (every node below 100 nodes, otherwise max(5, 50 - nodes/125)
	// percent, at least 100 nodes); 100 looks at every node.
	PercentageOfNodesToScore int32
	// DisablePreemption turns off the built-in preemption PostFilter.
	// Defaults to false (preemption on).
	DisablePreemption bool
}

// DefaultPlugins returns the default plugins with kube-scheduler's default
// weights.
func DefaultPlugins() []PluginSpec {
	w := plugins.DefaultWeights()
	var out []PluginSpec
	for _, name := range plugins.DefaultOrder() {
		out = append(out, PluginSpec{Name: name, Weight: w[name]})
	}
	return out
}

// DefaultProfile returns the default profile.
func DefaultProfile() Profile {
	return Profile{SchedulerName: DefaultSchedulerName, Plugins: DefaultPlugins()}
}

type scorePlugin struct {
	p      fw.ScorePlugin
	norm   fw.ScoreNormalizer
	weight int64
}

// profile is a built Profile.
type profile struct {
	name       string
	pct        int32
	preFilter  []fw.PreFilterPlugin
	filter     []fw.FilterPlugin
	postFilter []fw.PostFilterPlugin
	preScore   []fw.PreScorePlugin
	score      []scorePlugin
	reserve    []fw.ReservePlugin
	permit     []fw.PermitPlugin
	preBind    []fw.PreBindPlugin
	bind       []fw.BindPlugin
	postBind   []fw.PostBindPlugin
	// events maps plugin names to the events that may help pods they
	// reject.
	events map[string]fw.ClusterEvent
	// filterPre[i] is the index in preFilter of filter i's plugin, or -1;
	// scorePre likewise for score and preScore. A Skip from that PreFilter
	// (PreScore) skips the Filter (Score).
	filterPre, scorePre []int
}

func buildProfile(p Profile, reg fw.Registry, h fw.Handle) (*profile, error) {
	if p.SchedulerName == "" {
		p.SchedulerName = DefaultSchedulerName
	}
	if len(p.Plugins) == 0 {
		p.Plugins = DefaultPlugins()
	}
	if p.PercentageOfNodesToScore < 0 || p.PercentageOfNodesToScore > 100 {
		return nil, fmt.Errorf("sched: profile %q: PercentageOfNodesToScore %d not in 0..100", p.SchedulerName, p.PercentageOfNodesToScore)
	}
	prof := &profile{name: p.SchedulerName, pct: p.PercentageOfNodesToScore, events: map[string]fw.ClusterEvent{}}
	seen := map[string]bool{}
	for _, spec := range p.Plugins {
		if seen[spec.Name] {
			return nil, fmt.Errorf("sched: profile %q: plugin %q enabled twice", p.SchedulerName, spec.Name)
		}
		seen[spec.Name] = true
		f, ok := reg[spec.Name]
		if !ok {
			return nil, fmt.Errorf("sched: profile %q: plugin %q is not in the registry", p.SchedulerName, spec.Name)
		}
		pl, err := f(spec.Args, h)
		if err != nil {
			return nil, fmt.Errorf("sched: profile %q: plugin %q: %w", p.SchedulerName, spec.Name, err)
		}
		if pl.Name() != spec.Name {
			return nil, fmt.Errorf("sched: profile %q: factory %q built a plugin named %q", p.SchedulerName, spec.Name, pl.Name())
		}
		prof.add(pl, spec.Weight)
	}
	prof.index()
	return prof, nil
}

func (prof *profile) add(pl fw.Plugin, weight int64) {
	ev := fw.AllEvents
	if e, ok := pl.(fw.EnqueueExtensions); ok {
		ev = e.EventsToRegister()
	}
	prof.events[pl.Name()] = ev
	if x, ok := pl.(fw.PreFilterPlugin); ok {
		prof.preFilter = append(prof.preFilter, x)
	}
	if x, ok := pl.(fw.FilterPlugin); ok {
		prof.filter = append(prof.filter, x)
	}
	if x, ok := pl.(fw.PostFilterPlugin); ok {
		prof.postFilter = append(prof.postFilter, x)
	}
	if x, ok := pl.(fw.PreScorePlugin); ok {
		prof.preScore = append(prof.preScore, x)
	}
	if x, ok := pl.(fw.ScorePlugin); ok {
		if weight <= 0 {
			weight = 1
		}
		sp := scorePlugin{p: x, weight: weight}
		sp.norm, _ = pl.(fw.ScoreNormalizer)
		prof.score = append(prof.score, sp)
	}
	if x, ok := pl.(fw.ReservePlugin); ok {
		prof.reserve = append(prof.reserve, x)
	}
	if x, ok := pl.(fw.PermitPlugin); ok {
		prof.permit = append(prof.permit, x)
	}
	if x, ok := pl.(fw.PreBindPlugin); ok {
		prof.preBind = append(prof.preBind, x)
	}
	if x, ok := pl.(fw.BindPlugin); ok {
		prof.bind = append(prof.bind, x)
	}
	if x, ok := pl.(fw.PostBindPlugin); ok {
		prof.postBind = append(prof.postBind, x)
	}
}

func (prof *profile) index() {
	prof.filterPre = make([]int, len(prof.filter))
	for i, f := range prof.filter {
		prof.filterPre[i] = -1
		for j, p := range prof.preFilter {
			if p.Name() == f.Name() {
				prof.filterPre[i] = j
			}
		}
	}
	prof.scorePre = make([]int, len(prof.score))
	for i, sp := range prof.score {
		prof.scorePre[i] = -1
		for j, p := range prof.preScore {
			if p.Name() == sp.p.Name() {
				prof.scorePre[i] = j
			}
		}
	}
}

// numFeasibleNodesToFind follows kube-scheduler: every node below 100;
// otherwise pct percent (adaptive when 0: max(5, 50 - n/125)), at least
// 100.
func numFeasibleNodesToFind(pct int32, n int) int {
	const minFeasible = 100
	if n < minFeasible || pct >= 100 {
		return n
	}
	if pct == 0 {
		pct = int32(50 - n/125)
		if pct < 5 {
			pct = 5
		}
	}
	k := n * int(pct) / 100
	if k < minFeasible {
		return minFeasible
	}
	return k
}
