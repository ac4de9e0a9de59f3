package sched

import (
	"context"
	"fmt"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// Result is the answer of DryRun.
type Result struct {
	// NodeName is where the pod would go; "" when it fits nowhere.
	NodeName string
	// EvaluatedNodes and FeasibleNodes count the nodes filtered and the
	// ones that passed.
	EvaluatedNodes, FeasibleNodes int
	// Reasons counts, when the pod fits nowhere, the nodes rejected for
	// each reason ("Insufficient cpu": 4990).
	Reasons map[string]int
	// Message is "0/N nodes are available: ..." when the pod fits nowhere.
	Message string
}

// DryRun answers "would this pod fit now, where, and if not why" against
// the scheduler's current cache (bound and assumed pods included) with the
// pod's profile. It writes nothing and reserves nothing; pods nominated
// after preemption count as in a real cycle. Safe to call while Run runs,
// and before (with an empty cache, every pod fits nowhere).
func (s *Scheduler) DryRun(ctx context.Context, pod *api.Pod) (Result, error) {
	prof, err := s.profileFor(pod)
	if err != nil {
		return Result{}, err
	}
	info, err := fw.NewPodInfo(pod)
	if err != nil {
		return Result{}, fmt.Errorf("sched: dry run: %w", err)
	}
	snap := s.cache.FullSnapshot()
	a := algo{parallelism: s.cfg.Parallelism}
	res, diag, err := a.schedulePod(ctx, prof, fw.NewCycleState(snap), info, s.nominationsView())
	if err != nil {
		return Result{}, err
	}
	out := Result{NodeName: res.node, EvaluatedNodes: res.evaluated, FeasibleNodes: res.feasible}
	if diag != nil {
		out.Reasons = diag.reasonCounts()
		out.Message = diag.message()
	}
	return out, nil
}
