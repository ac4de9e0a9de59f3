package sched

import (
	"fmt"
	"maps"
	"sync"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// podState is a pod the cache accounts for on a node.
type podState struct {
	info     *fw.PodInfo
	node     string
	assumed  bool
	deleting bool // terminating (DeletionTimestamp set)
}

// cache is the scheduler's view of nodes and of the pods on them, bound or
// assumed. Per-node aggregates are kept in NodeInfos; the scheduling cycle
// reads an incremental snapshot (UpdateSnapshot copies only the NodeInfos
// that changed). It is safe for concurrent use.
//
// Life of a pod: Assume (chosen, before binding) → Confirm when the store
// shows the binding (AddPod with the pod's nodeName) → RemovePod when it
// is deleted. Forget undoes an Assume whose binding failed.
type cache struct {
	mu     sync.Mutex
	nodes  map[string]*fw.NodeInfo
	pods   map[api.UID]*podState
	dirty  map[string]struct{}
	gen    int64
	images map[string]int
	// imagesChanged: images must be copied into the next snapshot.
	imagesChanged bool
	// groups counts the placed (assumed or bound) pods of each PodGroup.
	groups map[string]int
}

func newCache() *cache {
	return &cache{
		nodes:  map[string]*fw.NodeInfo{},
		pods:   map[api.UID]*podState{},
		dirty:  map[string]struct{}{},
		images: map[string]int{},
		groups: map[string]int{},
	}
}

func (c *cache) touchLocked(name string, n *fw.NodeInfo) {
	c.gen++
	n.Generation = c.gen
	c.dirty[name] = struct{}{}
}

func (c *cache) nodeLocked(name string) *fw.NodeInfo {
	n, ok := c.nodes[name]
	if !ok {
		n = &fw.NodeInfo{} // placeholder until the node is seen
		c.nodes[name] = n
	}
	return n
}

func (c *cache) imagesLocked(node *api.Node, delta int) {
	if node == nil {
		return
	}
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			k := fw.NormalizeImage(name)
			c.images[k] += delta
			if c.images[k] <= 0 {
				delete(c.images, k)
			}
			c.imagesChanged = true
		}
	}
}

// SetNode adds or updates a node.
func (c *cache) SetNode(node *api.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodeLocked(node.Name)
	c.imagesLocked(n.Node(), -1)
	n.SetNode(node)
	c.imagesLocked(node, 1)
	c.touchLocked(node.Name, n)
}

// RemoveNode removes a node. Its pods stay accounted on a placeholder
// until they are deleted, so they are not lost if the node comes back.
func (c *cache) RemoveNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[name]
	if !ok {
		return
	}
	c.imagesLocked(n.Node(), -1)
	if len(n.Pods) == 0 {
		delete(c.nodes, name)
		c.gen++
		c.dirty[name] = struct{}{}
		return
	}
	n.SetNode(nil)
	c.touchLocked(name, n)
}

// HasNode reports whether a live node of that name is known.
func (c *cache) HasNode(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[name]
	return ok && n.Node() != nil
}

func (c *cache) addLocked(info *fw.PodInfo, node string, assumed bool) {
	n := c.nodeLocked(node)
	n.AddPod(info)
	c.touchLocked(node, n)
	c.pods[info.Pod.UID] = &podState{info: info, node: node, assumed: assumed, deleting: info.Pod.DeletionTimestamp != nil}
	if info.Group != "" {
		c.groups[info.Group]++
	}
}

func (c *cache) removeLocked(ps *podState) {
	if n, ok := c.nodes[ps.node]; ok {
		n.RemovePod(ps.info)
		if n.Node() == nil && len(n.Pods) == 0 {
			delete(c.nodes, ps.node)
			c.gen++
			c.dirty[ps.node] = struct{}{}
		} else {
			c.touchLocked(ps.node, n)
		}
	}
	delete(c.pods, ps.info.Pod.UID)
	if g := ps.info.Group; g != "" {
		if c.groups[g]--; c.groups[g] <= 0 {
			delete(c.groups, g)
		}
	}
}

// Assume accounts pod on node before it is bound.
func (c *cache) Assume(info *fw.PodInfo, node string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[info.Pod.UID]; ok {
		return fmt.Errorf("sched: pod %s/%s is already in the cache", info.Pod.Namespace, info.Pod.Name)
	}
	c.addLocked(info, node, true)
	return nil
}

// Forget undoes Assume; a pod already confirmed is left alone.
func (c *cache) Forget(uid api.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[uid]; ok && ps.assumed {
		c.removeLocked(ps)
	}
}

// AddPod records a pod the store shows bound to a node (confirming an
// assumed pod, or moving it if it was bound elsewhere).
func (c *cache) AddPod(info *fw.PodInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[info.Pod.UID]; ok {
		// The common case, the binding confirmed or a status update:
		// swap the pod in place; aggregates and the node's generation
		// stay, so the next snapshot copies nothing.
		if n := c.nodes[ps.node]; n != nil && ps.node == info.Pod.Spec.NodeName && ps.info.Equivalent(info) && n.ReplacePod(info) {
			ps.info, ps.assumed = info, false
			return
		}
		c.removeLocked(ps)
	}
	c.addLocked(info, info.Pod.Spec.NodeName, false)
}

// RemovePod removes a pod (deleted, or finished).
func (c *cache) RemovePod(uid api.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[uid]; ok {
		c.removeLocked(ps)
	}
}

// IsAssumedOrBound reports whether the cache accounts for the pod, and on
// which node.
func (c *cache) PodNode(uid api.UID) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[uid]
	if !ok {
		return "", false
	}
	return ps.node, true
}

// GroupPlaced returns how many pods of group are assumed or bound.
func (c *cache) GroupPlaced(group string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.groups[group]
}

// Counts returns the numbers of nodes and pods in the cache.
func (c *cache) Counts() (nodes, pods int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.nodes), len(c.pods)
}

// UpdateSnapshot brings s up to date, copying only the NodeInfos that
// changed since the last update of s. The cache keeps one dirty set, so
// only one snapshot (the scheduling loop's) may be kept incrementally;
// others use FullSnapshot.
func (c *cache) UpdateSnapshot(s *fw.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.dirty {
		n, ok := c.nodes[name]
		if !ok || n.Node() == nil {
			s.Remove(name)
			continue
		}
		s.Set(n.Clone())
	}
	if len(c.dirty) > 64 {
		// A map never shrinks, and ranging over it costs its capacity:
		// after a burst (the initial sync) start a small one again.
		c.dirty = map[string]struct{}{}
	} else {
		clear(c.dirty)
	}
	if c.imagesChanged {
		s.SetImageCounts(maps.Clone(c.images))
		c.imagesChanged = false
	}
	s.Commit()
}

// FullSnapshot returns a new snapshot of every node.
func (c *cache) FullSnapshot() *fw.Snapshot {
	c.mu.Lock()
	infos := make([]*fw.NodeInfo, 0, len(c.nodes))
	for _, n := range c.nodes {
		if n.Node() != nil {
			infos = append(infos, n.Clone())
		}
	}
	c.mu.Unlock()
	return fw.NewSnapshot(infos...)
}

// newLoopSnapshot returns the scheduling loop's snapshot, the one kept
// incrementally (with a change log for IncrementalLister).
func newLoopSnapshot() *fw.Snapshot {
	s := fw.NewSnapshot()
	s.SetIncremental()
	return s
}
