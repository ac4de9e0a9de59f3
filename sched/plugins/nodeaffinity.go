package plugins

import (
	"context"
	"slices"
	"strconv"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// ReasonNodeAffinity is the reason for a node selector or required node
// affinity mismatch.
const ReasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector"

type nodeReq struct {
	key    string
	op     api.NodeSelectorOperator
	values []string
	num    int64
	bad    bool // malformed: matches nothing
}

func compileReq(r *api.NodeSelectorRequirement) nodeReq {
	c := nodeReq{key: r.Key, op: r.Operator, values: r.Values}
	switch r.Operator {
	case api.NodeSelectorOpIn, api.NodeSelectorOpNotIn:
		c.bad = len(r.Values) == 0
	case api.NodeSelectorOpExists, api.NodeSelectorOpDoesNotExist:
		c.bad = len(r.Values) != 0
	case api.NodeSelectorOpGt, api.NodeSelectorOpLt:
		if len(r.Values) != 1 {
			c.bad = true
			break
		}
		n, err := strconv.ParseInt(r.Values[0], 10, 64)
		c.num, c.bad = n, err != nil
	default:
		c.bad = true
	}
	return c
}

func (r *nodeReq) matches(labels map[string]string) bool {
	if r.bad {
		return false
	}
	v, ok := labels[r.key]
	switch r.op {
	case api.NodeSelectorOpIn:
		return ok && slices.Contains(r.values, v)
	case api.NodeSelectorOpNotIn:
		return !ok || !slices.Contains(r.values, v)
	case api.NodeSelectorOpExists:
		return ok
	case api.NodeSelectorOpDoesNotExist:
		return !ok
	case api.NodeSelectorOpGt, api.NodeSelectorOpLt:
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		if r.op == api.NodeSelectorOpGt {
			return n > r.num
		}
		return n < r.num
	}
	return false
}

type nodeTerm struct {
	exprs  []nodeReq
	fields []nodeReq // only metadata.name is supported, as in Kubernetes
}

func compileTerm(t *api.NodeSelectorTerm) nodeTerm {
	var c nodeTerm
	for i := range t.MatchExpressions {
		c.exprs = append(c.exprs, compileReq(&t.MatchExpressions[i]))
	}
	for i := range t.MatchFields {
		r := compileReq(&t.MatchFields[i])
		if r.key != "metadata.name" || (r.op != api.NodeSelectorOpIn && r.op != api.NodeSelectorOpNotIn) {
			r.bad = true
		}
		c.fields = append(c.fields, r)
	}
	return c
}

// matches: an empty term matches nothing (Kubernetes semantics).
func (t *nodeTerm) matches(node *api.Node) bool {
	if len(t.exprs) == 0 && len(t.fields) == 0 {
		return false
	}
	for i := range t.exprs {
		if !t.exprs[i].matches(node.Labels) {
			return false
		}
	}
	if len(t.fields) > 0 {
		f := map[string]string{"metadata.name": node.Name}
		for i := range t.fields {
			if !t.fields[i].matches(f) {
				return false
			}
		}
	}
	return true
}

// RequiredNodeAffinity is a pod's nodeSelector and required node affinity,
// compiled: a node must match every nodeSelector label and at least one
// required term.
type RequiredNodeAffinity struct {
	selector map[string]string
	terms    []nodeTerm
	hasTerms bool
}

// NewRequiredNodeAffinity compiles pod's node constraints.
func NewRequiredNodeAffinity(pod *api.Pod) RequiredNodeAffinity {
	r := RequiredNodeAffinity{selector: pod.Spec.NodeSelector}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		r.hasTerms = true
		for i := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			r.terms = append(r.terms, compileTerm(&a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[i]))
		}
	}
	return r
}

// Empty reports whether there is no constraint.
func (r *RequiredNodeAffinity) Empty() bool { return len(r.selector) == 0 && !r.hasTerms }

// Match reports whether node satisfies the constraints.
func (r *RequiredNodeAffinity) Match(node *api.Node) bool {
	if node == nil {
		return false
	}
	for k, v := range r.selector {
		if lv, ok := node.Labels[k]; !ok || lv != v {
			return false
		}
	}
	if !r.hasTerms {
		return true
	}
	for i := range r.terms {
		if r.terms[i].matches(node) {
			return true
		}
	}
	return false
}

// NodeAffinity filters on the pod's nodeSelector and required node
// affinity (operators In, NotIn, Exists, DoesNotExist, Gt, Lt) and scores
// by the summed weights of the preferred terms a node matches, normalised
// so the best node gets 100.
type NodeAffinity struct {
	rejected, skip *fw.Status
	key            fw.StateKey[*nodeAffinityState]
}

type nodeAffinityState struct {
	required  RequiredNodeAffinity
	preferred []nodeTerm
	weights   []int32
}

var (
	_ fw.PreFilterPlugin = (*NodeAffinity)(nil)
	_ fw.FilterPlugin    = (*NodeAffinity)(nil)
	_ fw.PreScorePlugin  = (*NodeAffinity)(nil)
	_ fw.ScorePlugin     = (*NodeAffinity)(nil)
	_ fw.ScoreNormalizer = (*NodeAffinity)(nil)
)

// NewNodeAffinity is the plugin's Factory.
func NewNodeAffinity(any, fw.Handle) (fw.Plugin, error) {
	return &NodeAffinity{
		rejected: fw.NewStatus(fw.UnschedulableAndUnresolvable, ReasonNodeAffinity),
		skip:     fw.NewStatus(fw.Skip),
		key:      fw.NewStateKey[*nodeAffinityState](NameNodeAffinity),
	}, nil
}

func (*NodeAffinity) Name() string { return NameNodeAffinity }

func (*NodeAffinity) EventsToRegister() fw.ClusterEvent { return fw.NodeAdd | fw.NodeUpdate }

func (p *NodeAffinity) PreFilter(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo) *fw.Status {
	r := NewRequiredNodeAffinity(pod.Pod)
	if r.Empty() {
		return p.skip
	}
	fw.Write(cs, p.key, &nodeAffinityState{required: r})
	return nil
}

func (p *NodeAffinity) Filter(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo, node *fw.NodeInfo) *fw.Status {
	s, ok := fw.Read(cs, p.key)
	var r RequiredNodeAffinity
	if ok {
		r = s.required
	} else {
		r = NewRequiredNodeAffinity(pod.Pod)
	}
	if r.Match(node.Node()) {
		return nil
	}
	return p.rejected
}

func (p *NodeAffinity) PreScore(_ context.Context, cs *fw.CycleState, pod *fw.PodInfo, _ []*fw.NodeInfo) *fw.Status {
	a := pod.Pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || len(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		return p.skip
	}
	st := &nodeAffinityState{}
	for i := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		t := &a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution[i]
		if t.Weight == 0 {
			continue
		}
		st.preferred = append(st.preferred, compileTerm(&t.Preference))
		st.weights = append(st.weights, t.Weight)
	}
	if old, ok := fw.Read(cs, p.key); ok {
		st.required = old.required
	}
	fw.Write(cs, p.key, st)
	return nil
}

func (p *NodeAffinity) Score(_ context.Context, cs *fw.CycleState, _ *fw.PodInfo, node *fw.NodeInfo) (int64, *fw.Status) {
	s, ok := fw.Read(cs, p.key)
	if !ok || node.Node() == nil {
		return 0, nil
	}
	var score int64
	for i := range s.preferred {
		if s.preferred[i].matches(node.Node()) {
			score += int64(s.weights[i])
		}
	}
	return score, nil
}

func (*NodeAffinity) NormalizeScore(_ context.Context, _ *fw.CycleState, _ *fw.PodInfo, scores []fw.NodeScore) *fw.Status {
	DefaultNormalizeScore(scores, false)
	return nil
}
