package plugins

import (
	"context"
	"fmt"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// TaintToleration rejects nodes with a NoSchedule or NoExecute taint the pod
// does not tolerate (reason "node(s) had untolerated taint {key: value}")
// and scores nodes by how few PreferNoSchedule taints the pod does not
// tolerate (reverse-normalised: none gives 100).
type TaintToleration struct{}

var (
	_ fw.FilterPlugin    = (*TaintToleration)(nil)
	_ fw.ScorePlugin     = (*TaintToleration)(nil)
	_ fw.ScoreNormalizer = (*TaintToleration)(nil)
)

// NewTaintToleration is the plugin's Factory.
func NewTaintToleration(any, fw.Handle) (fw.Plugin, error) { return &TaintToleration{}, nil }

func (*TaintToleration) Name() string { return NameTaintToleration }

func (*TaintToleration) EventsToRegister() fw.ClusterEvent { return fw.NodeAdd | fw.NodeUpdate }

// UntoleratedTaintReason is the reason TaintToleration gives for taint.
func UntoleratedTaintReason(t *api.Taint) string {
	return fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)
}

func (*TaintToleration) Filter(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) *fw.Status {
	taints := node.Taints()
	for i := range taints {
		t := &taints[i]
		if t.Effect != api.TaintEffectNoSchedule && t.Effect != api.TaintEffectNoExecute {
			continue
		}
		if !ToleratesAll(pod.Pod.Spec.Tolerations, t) {
			return fw.NewStatus(fw.UnschedulableAndUnresolvable, UntoleratedTaintReason(t))
		}
	}
	return nil
}

func (*TaintToleration) Score(_ context.Context, _ *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) (int64, *fw.Status) {
	taints := node.Taints()
	var count int64
	for i := range taints {
		t := &taints[i]
		if t.Effect != api.TaintEffectPreferNoSchedule {
			continue
		}
		tolerated := false
		for j := range pod.Pod.Spec.Tolerations {
			tol := &pod.Pod.Spec.Tolerations[j]
			// Only tolerations that apply to PreferNoSchedule count.
			if (tol.Effect == "" || tol.Effect == api.TaintEffectPreferNoSchedule) && ToleratesTaint(tol, t) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			count++
		}
	}
	return count, nil
}

func (*TaintToleration) NormalizeScore(_ context.Context, _ *fw.CycleState, _ *fw.PodInfo, scores []fw.NodeScore) *fw.Status {
	DefaultNormalizeScore(scores, true)
	return nil
}
