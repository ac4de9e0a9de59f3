package framework

import (
	"fmt"
	"maps"
	"slices"

	"github.com/fleetkit/orchestrator/api"
)

// Default requests counted for scoring pods that request no cpu or memory
// (as kube-scheduler: 100m cpu, 200Mi memory), so best-effort pods do not
// all pile on one node.
const (
	DefaultMilliCPURequest int64 = 100
	DefaultMemoryRequest   int64 = 200 << 20
)

// Resource is an amount of each resource, as integers: milli-cpu, bytes of
// memory, a pod count, and extended resources (nvidia.com/gpu,
// ephemeral-storage, ...) in whole units.
type Resource struct {
	MilliCPU int64
	Memory   int64
	Pods     int64
	Scalar   map[api.ResourceName]int64
}

// ResourceFromList converts a ResourceList.
func ResourceFromList(l api.ResourceList) Resource {
	var r Resource
	for name, q := range l {
		r.set(name, q)
	}
	return r
}

func (r *Resource) set(name api.ResourceName, q api.Quantity) {
	switch name {
	case api.ResourceCPU:
		r.MilliCPU = q.MilliValue()
	case api.ResourceMemory:
		r.Memory = q.Value()
	case api.ResourcePods:
		r.Pods = q.Value()
	default:
		if r.Scalar == nil {
			r.Scalar = make(map[api.ResourceName]int64, 1)
		}
		r.Scalar[name] = q.Value()
	}
}

// Add adds o to r (Pods included).
func (r *Resource) Add(o *Resource) {
	r.MilliCPU += o.MilliCPU
	r.Memory += o.Memory
	r.Pods += o.Pods
	for k, v := range o.Scalar {
		if r.Scalar == nil {
			r.Scalar = make(map[api.ResourceName]int64, len(o.Scalar))
		}
		r.Scalar[k] += v
	}
}

// Sub subtracts o from r (Pods included).
func (r *Resource) Sub(o *Resource) {
	r.MilliCPU -= o.MilliCPU
	r.Memory -= o.Memory
	r.Pods -= o.Pods
	for k, v := range o.Scalar {
		if r.Scalar != nil {
			r.Scalar[k] -= v
		}
	}
}

// Get returns the amount of a resource by name.
func (r *Resource) Get(name api.ResourceName) int64 {
	switch name {
	case api.ResourceCPU:
		return r.MilliCPU
	case api.ResourceMemory:
		return r.Memory
	case api.ResourcePods:
		return r.Pods
	}
	return r.Scalar[name]
}

// Clone returns a copy sharing no memory with r.
func (r Resource) Clone() Resource {
	if r.Scalar != nil {
		r.Scalar = cloneScalar(r.Scalar)
	}
	return r
}

func cloneScalar(m map[api.ResourceName]int64) map[api.ResourceName]int64 {
	c := make(map[api.ResourceName]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// AffinityTerm is a compiled PodAffinityTerm.
type AffinityTerm struct {
	Selector    api.Selector
	Namespaces  []string // never empty: defaults to the owning pod's namespace
	TopologyKey string
	Weight      int32 // for preferred terms
}

// Matches reports whether pod p is selected by the term.
func (t *AffinityTerm) Matches(p *api.Pod) bool {
	if !slices.Contains(t.Namespaces, p.Namespace) {
		return false
	}
	return t.Selector.Matches(p.Labels)
}

// PodInfo is a pod with what the scheduler derives from it once: its
// requests as integers and its compiled affinity terms. The Pod is shared
// and must not be modified. A PodInfo is immutable once built.
type PodInfo struct {
	Pod *api.Pod
	// Requests is the sum of the containers' requests (Pods is 1).
	Requests Resource
	// NonZeroMilliCPU and NonZeroMemory are the requests with the
	// scoring defaults applied to zero values.
	NonZeroMilliCPU, NonZeroMemory int64
	Priority                       int32
	// Group is "namespace/name" of the pod's PodGroup, or "".
	Group string

	RequiredAffinity      []AffinityTerm
	RequiredAntiAffinity  []AffinityTerm
	PreferredAffinity     []AffinityTerm
	PreferredAntiAffinity []AffinityTerm
}

// NewPodInfo derives a PodInfo. It fails (wrapping api-level errors) when
// an affinity selector is malformed.
func NewPodInfo(pod *api.Pod) (*PodInfo, error) {
	pi := &PodInfo{Pod: pod}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		for name, q := range c.Resources.Requests {
			switch name {
			case api.ResourceCPU:
				pi.Requests.MilliCPU += q.MilliValue()
			case api.ResourceMemory:
				pi.Requests.Memory += q.Value()
			case api.ResourcePods:
			default:
				if pi.Requests.Scalar == nil {
					pi.Requests.Scalar = make(map[api.ResourceName]int64, 1)
				}
				pi.Requests.Scalar[name] += q.Value()
			}
		}
	}
	pi.Requests.Pods = 1
	pi.NonZeroMilliCPU, pi.NonZeroMemory = pi.Requests.MilliCPU, pi.Requests.Memory
	if pi.NonZeroMilliCPU == 0 {
		pi.NonZeroMilliCPU = DefaultMilliCPURequest
	}
	if pi.NonZeroMemory == 0 {
		pi.NonZeroMemory = DefaultMemoryRequest
	}
	if pod.Spec.Priority != nil {
		pi.Priority = *pod.Spec.Priority
	}
	if g := pod.Labels[api.LabelPodGroup]; g != "" {
		pi.Group = pod.Namespace + "/" + g
	}
	if a := pod.Spec.Affinity; a != nil {
		var err error
		if pa := a.PodAffinity; pa != nil {
			if pi.RequiredAffinity, err = compileTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution, nil); err != nil {
				return nil, err
			}
			if pi.PreferredAffinity, err = compileTerms(pod, nil, pa.PreferredDuringSchedulingIgnoredDuringExecution); err != nil {
				return nil, err
			}
		}
		if pa := a.PodAntiAffinity; pa != nil {
			if pi.RequiredAntiAffinity, err = compileTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution, nil); err != nil {
				return nil, err
			}
			if pi.PreferredAntiAffinity, err = compileTerms(pod, nil, pa.PreferredDuringSchedulingIgnoredDuringExecution); err != nil {
				return nil, err
			}
		}
	}
	return pi, nil
}

// HasAffinity reports whether the pod has any pod (anti-)affinity term.
func (p *PodInfo) HasAffinity() bool {
	return len(p.RequiredAffinity)+len(p.RequiredAntiAffinity)+len(p.PreferredAffinity)+len(p.PreferredAntiAffinity) > 0
}

func compileTerms(pod *api.Pod, req []api.PodAffinityTerm, pref []api.WeightedPodAffinityTerm) ([]AffinityTerm, error) {
	var out []AffinityTerm
	add := func(t *api.PodAffinityTerm, w int32) error {
		sel, err := api.LabelSelectorAsSelector(t.LabelSelector)
		if err != nil {
			return fmt.Errorf("framework: pod %s/%s: affinity term: %w", pod.Namespace, pod.Name, err)
		}
		ns := t.Namespaces
		if len(ns) == 0 {
			ns = []string{pod.Namespace}
		}
		out = append(out, AffinityTerm{Selector: sel, Namespaces: ns, TopologyKey: t.TopologyKey, Weight: w})
		return nil
	}
	for i := range req {
		if err := add(&req[i], 1); err != nil {
			return nil, err
		}
	}
	for i := range pref {
		if err := add(&pref[i].PodAffinityTerm, pref[i].Weight); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// NodeInfo is a node with the pods on it (bound and assumed) and their
// aggregated requests. The scheduler hands plugins read-only copies taken
// from its cache; plugins must not modify them.
type NodeInfo struct {
	node *api.Node
	// Copies of the node fields every Filter reads, kept in the NodeInfo
	// so that filtering a node touches one object (cache misses on the
	// large api.Node dominate the per-node cost otherwise).
	name          string
	unschedulable bool
	taints        []api.Taint
	labels        map[string]string
	// Pods on the node, in no particular order.
	Pods []*PodInfo
	// PodsWithAffinity are the pods with any pod (anti-)affinity term;
	// PodsWithRequiredAntiAffinity those with a required anti-affinity.
	PodsWithAffinity             []*PodInfo
	PodsWithRequiredAntiAffinity []*PodInfo
	// Requested sums the pods' requests; NonZeroRequested sums them with
	// scoring defaults (cpu and memory only).
	Requested        Resource
	NonZeroRequested Resource
	Allocatable      Resource
	// ImageSizes maps the node's images (normalised names) to their
	// sizes in bytes. Shared between copies; read-only.
	ImageSizes map[string]int64
	// Generation changes whenever the NodeInfo changes.
	Generation int64
}

// NewNodeInfo returns a NodeInfo for node with pods on it.
func NewNodeInfo(node *api.Node, pods ...*PodInfo) *NodeInfo {
	n := &NodeInfo{}
	n.SetNode(node)
	for _, p := range pods {
		n.AddPod(p)
	}
	return n
}

// Node returns the node (nil for a placeholder holding pods of a node not
// yet seen).
func (n *NodeInfo) Node() *api.Node { return n.node }

// Name returns the node's name, or "" for a placeholder.
func (n *NodeInfo) Name() string { return n.name }

// Unschedulable returns the node's spec.unschedulable.
func (n *NodeInfo) Unschedulable() bool { return n.unschedulable }

// Taints returns the node's taints (shared; do not modify).
func (n *NodeInfo) Taints() []api.Taint { return n.taints }

// Labels returns the node's labels (shared; do not modify); nil for a
// placeholder.
func (n *NodeInfo) Labels() map[string]string { return n.labels }

// SetNode sets the node object and its allocatable resources.
func (n *NodeInfo) SetNode(node *api.Node) {
	n.node = node
	n.name, n.unschedulable, n.taints, n.labels = "", false, nil, nil
	if node != nil {
		n.name, n.unschedulable, n.taints, n.labels = node.Name, node.Spec.Unschedulable, node.Spec.Taints, node.Labels
		n.Allocatable = ResourceFromList(node.Status.Allocatable)
		n.ImageSizes = nil
		for _, img := range node.Status.Images {
			for _, name := range img.Names {
				if n.ImageSizes == nil {
					n.ImageSizes = make(map[string]int64, len(node.Status.Images))
				}
				n.ImageSizes[NormalizeImage(name)] = img.SizeBytes
			}
		}
	} else {
		n.Allocatable = Resource{}
		n.ImageSizes = nil
	}
}

// AddPod adds p's requests and p to the node.
func (n *NodeInfo) AddPod(p *PodInfo) {
	n.Pods = append(n.Pods, p)
	if p.HasAffinity() {
		n.PodsWithAffinity = append(n.PodsWithAffinity, p)
	}
	if len(p.RequiredAntiAffinity) > 0 {
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, p)
	}
	n.Requested.Add(&p.Requests)
	n.NonZeroRequested.MilliCPU += p.NonZeroMilliCPU
	n.NonZeroRequested.Memory += p.NonZeroMemory
	n.NonZeroRequested.Pods++
}

// RemovePod removes the pod with p's UID and its requests; it reports
// whether the pod was there.
func (n *NodeInfo) RemovePod(p *PodInfo) bool {
	uid := p.Pod.UID
	i := slices.IndexFunc(n.Pods, func(q *PodInfo) bool { return q.Pod.UID == uid })
	if i < 0 {
		return false
	}
	old := n.Pods[i]
	last := len(n.Pods) - 1
	n.Pods[i] = n.Pods[last]
	n.Pods[last] = nil
	n.Pods = n.Pods[:last]
	n.PodsWithAffinity = removeUID(n.PodsWithAffinity, uid)
	n.PodsWithRequiredAntiAffinity = removeUID(n.PodsWithRequiredAntiAffinity, uid)
	n.Requested.Sub(&old.Requests)
	n.NonZeroRequested.MilliCPU -= old.NonZeroMilliCPU
	n.NonZeroRequested.Memory -= old.NonZeroMemory
	n.NonZeroRequested.Pods--
	return true
}

// ReplacePod swaps in p for the pod with the same UID, leaving aggregates
// alone: the caller guarantees that nothing a plugin reads changed
// (requests, labels, affinity, priority, deletion). It reports whether the
// pod was there.
func (n *NodeInfo) ReplacePod(p *PodInfo) bool {
	uid := p.Pod.UID
	found := false
	for _, s := range [][]*PodInfo{n.Pods, n.PodsWithAffinity, n.PodsWithRequiredAntiAffinity} {
		for i, q := range s {
			if q.Pod.UID == uid {
				s[i] = p
				found = true
				break
			}
		}
	}
	return found
}

// Equivalent reports whether p and o are versions of one pod that no
// plugin can tell apart: same requests, priority, group, labels,
// namespace and deletion state, and no pod affinity terms. Status updates
// produce equivalent versions.
func (p *PodInfo) Equivalent(o *PodInfo) bool {
	a, b := p.Pod, o.Pod
	return a.UID == b.UID && a.Namespace == b.Namespace && p.Priority == o.Priority && p.Group == o.Group &&
		!p.HasAffinity() && !o.HasAffinity() &&
		(a.DeletionTimestamp == nil) == (b.DeletionTimestamp == nil) &&
		p.Requests.MilliCPU == o.Requests.MilliCPU && p.Requests.Memory == o.Requests.Memory &&
		p.NonZeroMilliCPU == o.NonZeroMilliCPU && p.NonZeroMemory == o.NonZeroMemory &&
		maps.Equal(p.Requests.Scalar, o.Requests.Scalar) && maps.Equal(a.Labels, b.Labels)
}

func removeUID(s []*PodInfo, uid api.UID) []*PodInfo {
	for i, q := range s {
		if q.Pod.UID == uid {
			last := len(s) - 1
			s[i] = s[last]
			s[last] = nil
			return s[:last]
		}
	}
	return s
}

// Clone returns a copy whose slices and maps are its own (the PodInfos and
// the Node are shared, being immutable).
func (n *NodeInfo) Clone() *NodeInfo {
	c := *n
	c.Pods = slices.Clone(n.Pods)
	c.PodsWithAffinity = slices.Clone(n.PodsWithAffinity)
	c.PodsWithRequiredAntiAffinity = slices.Clone(n.PodsWithRequiredAntiAffinity)
	c.Requested = n.Requested.Clone()
	c.NonZeroRequested = n.NonZeroRequested.Clone()
	c.Allocatable = n.Allocatable.Clone()
	return &c
}

// NodeLister is the read-only view of the cluster a cycle decides against.
// Implementations are safe for concurrent reads.
type NodeLister interface {
	// List returns every node, in a stable order. Do not modify.
	List() []*NodeInfo
	// Get returns the named node.
	Get(name string) (*NodeInfo, bool)
	// HavePodsWithAffinity returns the nodes that hold a pod with pod
	// (anti-)affinity terms.
	HavePodsWithAffinity() []*NodeInfo
	// ImageNodes returns on how many nodes an image (normalised with
	// NormalizeImage) is present.
	ImageNodes(image string) int
	// Len returns the number of nodes.
	Len() int
}
