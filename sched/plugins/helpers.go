package plugins

import (
	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// DefaultNormalizeScore scales scores so the highest becomes MaxNodeScore
// (kube-scheduler's helper of the same name); with reverse, the highest
// becomes 0 and 0 becomes MaxNodeScore. All zero gives all 0, or all
// MaxNodeScore with reverse.
func DefaultNormalizeScore(scores []fw.NodeScore, reverse bool) {
	var max int64
	for _, s := range scores {
		if s.Score > max {
			max = s.Score
		}
	}
	if max == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = fw.MaxNodeScore
			}
		}
		return
	}
	for i := range scores {
		s := fw.MaxNodeScore * scores[i].Score / max
		if reverse {
			s = fw.MaxNodeScore - s
		}
		scores[i].Score = s
	}
}

// ToleratesTaint reports whether t tolerates taint (Kubernetes rules: an
// empty effect matches every effect; an empty key with Exists matches
// every taint; Equal, the default operator, compares values).
func ToleratesTaint(t *api.Toleration, taint *api.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case api.TolerationOpExists:
		return true
	case "", api.TolerationOpEqual:
		return t.Key != "" && t.Value == taint.Value
	}
	return false
}

// ToleratesAll reports whether some toleration tolerates taint.
func ToleratesAll(tols []api.Toleration, taint *api.Taint) bool {
	for i := range tols {
		if ToleratesTaint(&tols[i], taint) {
			return true
		}
	}
	return false
}

// nodeLabels returns a node's labels, or nil for a placeholder.
func nodeLabels(n *fw.NodeInfo) map[string]string { return n.Labels() }
