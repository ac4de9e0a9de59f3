package framework

import (
	"context"
	"log/slog"
	"time"

	"github.com/fleetkit/orchestrator/api"
)

// MaxNodeScore is the highest score a ScorePlugin returns after
// normalisation; MinNodeScore the lowest.
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Plugin is the base of every extension point. Name must be unique within
// a profile and constant.
type Plugin interface {
	Name() string
}

// PreFilterPlugin runs once per scheduling cycle before any Filter. It may
// compute state for its Filter (store it in the CycleState) and may return
// a Skip status to say its Filter has nothing to check for this pod, or an
// Unschedulable status to reject the pod without looking at nodes. Called
// from one goroutine at a time per cycle.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *PodInfo) *Status
}

// NodeNarrower is an optional capability of a PreFilterPlugin: after a
// successful PreFilter of the same cycle it may name nodes that pass its
// Filter, so the scheduler examines only those (without calling that
// plugin's Filter on them); want is how many feasible nodes the cycle
// looks for, and the plugin may return a sample of about twice that many.
// ok false means no narrowing. If no candidate turns out feasible the
// scheduler examines every node with every filter, so narrowing never
// changes whether a pod fits, only how fast the answer comes.
type NodeNarrower interface {
	CandidateNodes(state *CycleState, pod *PodInfo, want int) (nodes []*NodeInfo, ok bool)
}

// FilterPlugin says whether a pod may run on a node. It is called
// concurrently for different nodes of one cycle, so it must only read
// the CycleState and the NodeInfo (never modify them). A nil or Success
// status means the node fits; Unschedulable and
// UnschedulableAndUnresolvable carry the reasons shown to users.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *PodInfo, node *NodeInfo) *Status
}

// PostFilterPlugin runs when no node fits (preemption is one). It returns
// the node nominated for the pod, if any. filtered maps every node name to
// the status that rejected it.
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, state *CycleState, pod *PodInfo, filtered map[string]*Status) (nominatedNode string, status *Status)
}

// PreScorePlugin runs once before Score over the feasible nodes. Skip means
// its Score is not called for this pod (every node gets 0 from it).
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *PodInfo, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks a feasible node. Called concurrently for different
// nodes; it must only read the CycleState and the NodeInfo. If the plugin
// also implements ScoreNormalizer its raw scores are normalised, otherwise
// they must already lie in [MinNodeScore, MaxNodeScore].
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *PodInfo, node *NodeInfo) (int64, *Status)
}

// ScoreNormalizer is an optional capability of a ScorePlugin: it rewrites
// the raw scores of all feasible nodes into [MinNodeScore, MaxNodeScore],
// in place. Called once per cycle, from one goroutine.
type ScoreNormalizer interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *PodInfo, scores []NodeScore) *Status
}

// NodeScore is a node's score from one plugin.
type NodeScore struct {
	Name  string
	Score int64
}

// ReservePlugin is told when a pod is assumed on a node (Reserve) and when
// that assumption is undone (Unreserve: a later stage failed, binding
// failed, or the pod was rejected while waiting). Unreserve must be
// idempotent and must not fail; it may be called without a prior Reserve
// of the same plugin (when an earlier plugin's Reserve failed).
type ReservePlugin interface {
	Plugin
	Reserve(ctx context.Context, state *CycleState, pod *PodInfo, nodeName string) *Status
	Unreserve(ctx context.Context, state *CycleState, pod *PodInfo, nodeName string)
}

// PermitPlugin may allow, reject or delay binding. Returning Wait with a
// timeout parks the pod (holding its reservation) until the plugin, or
// another, calls Allow or Reject on its WaitingPod (see Handle), or until
// the timeout passes, which rejects it.
type PermitPlugin interface {
	Plugin
	Permit(ctx context.Context, state *CycleState, pod *PodInfo, nodeName string) (*Status, time.Duration)
}

// PreBindPlugin runs before Bind, outside the scheduling loop (in a
// binding goroutine). A failure unreserves the pod and retries it later.
type PreBindPlugin interface {
	Plugin
	PreBind(ctx context.Context, state *CycleState, pod *PodInfo, nodeName string) *Status
}

// BindPlugin writes the binding. Plugins are tried in order; one that does
// not handle the pod returns Skip. When every Bind plugin skips (or there
// are none), the scheduler binds through the store with compare-and-swap.
type BindPlugin interface {
	Plugin
	Bind(ctx context.Context, state *CycleState, pod *PodInfo, nodeName string) *Status
}

// PostBindPlugin is informed after a successful bind; it cannot fail.
type PostBindPlugin interface {
	Plugin
	PostBind(ctx context.Context, state *CycleState, pod *PodInfo, nodeName string)
}

// EnqueueExtensions is an optional capability of a plugin that rejects
// pods: it names the cluster events after which a pod it rejected may fit,
// so the queue retries the pod only then. A plugin without it is assumed
// to care about every event.
type EnqueueExtensions interface {
	EventsToRegister() ClusterEvent
}

// ClusterEvent is a set of cluster changes, as a bit mask.
type ClusterEvent uint32

// Cluster events that move unschedulable pods back to the active queue.
const (
	NodeAdd ClusterEvent = 1 << iota
	NodeUpdate
	NodeDelete
	AssignedPodAdd
	AssignedPodUpdate
	AssignedPodDelete
	PodGroupChange
	// AllEvents is every event.
	AllEvents ClusterEvent = 1<<iota - 1
)

// WaitingPod is a pod parked at Permit. Its methods are safe for
// concurrent use.
type WaitingPod interface {
	// Pod returns the waiting pod.
	Pod() *api.Pod
	// NodeName returns the node it is reserved on.
	NodeName() string
	// Allow records plugin's approval; the pod proceeds once every plugin
	// that made it wait has allowed it.
	Allow(plugin string)
	// Reject rejects the pod: its reservation is released and it is
	// retried later.
	Reject(plugin, msg string)
}

// Handle is what the framework gives plugin factories. It is safe for
// concurrent use.
type Handle interface {
	// Logger returns the scheduler's logger.
	Logger() *slog.Logger
	// WaitingPod returns the pod with uid waiting at Permit, or nil.
	WaitingPod(uid api.UID) WaitingPod
	// IterateWaitingPods calls f for each pod waiting at Permit.
	IterateWaitingPods(f func(WaitingPod))
}

// Factory builds a plugin from its arguments (nil for defaults).
type Factory func(args any, h Handle) (Plugin, error)

// Registry maps plugin names to factories. The host builds one (start from
// plugins.NewRegistry and add its own) and passes it to the scheduler;
// there is no global registration.
type Registry map[string]Factory

// Merge adds other's factories to r. A name present in both is an error,
// so a vendor plugin never silently replaces a default one.
func (r Registry) Merge(other Registry) error {
	for name, f := range other {
		if _, ok := r[name]; ok {
			return errorf("plugin %q registered twice", name)
		}
		r[name] = f
	}
	return nil
}
