package framework

import (
	"slices"
	"strings"
)

// Snapshot is a NodeLister over NodeInfos the caller owns. Build it with
// NewSnapshot, or change it with Set, Remove and SetImageCounts followed
// by Commit. Reads are safe for concurrent use between commits; changes
// are not safe concurrently with anything.
type Snapshot struct {
	infos    map[string]*NodeInfo
	list     []*NodeInfo
	index    map[string]int
	affinity []*NodeInfo
	images   map[string]int

	structural bool // list order must be rebuilt
	affDirty   bool

	// Change log, for IncrementalLister (see SetIncremental).
	incremental bool
	epoch       int64
	gen         int64
	log         []*NodeInfo
	pending     []*NodeInfo
	logFloor    int64
}

// IncrementalLister is an optional capability of a NodeLister: it tells
// which nodes changed since a version, so a plugin can keep aggregates
// across cycles and update them in time proportional to the change.
type IncrementalLister interface {
	// Version returns the lister's epoch (it changes when nodes are added
	// or removed) and its generation (the highest NodeInfo.Generation).
	Version() (epoch, gen int64)
	// ChangedSince returns the NodeInfos (latest versions, possibly
	// repeated) whose Generation is above gen, provided the epoch is
	// still epoch; false means the caller must rescan List().
	ChangedSince(epoch, gen int64) ([]*NodeInfo, bool)
}

var _ IncrementalLister = (*Snapshot)(nil)

var _ NodeLister = (*Snapshot)(nil)

// NewSnapshot returns a committed snapshot of nodes; image counts are
// computed from the nodes' status.
func NewSnapshot(nodes ...*NodeInfo) *Snapshot {
	s := &Snapshot{infos: make(map[string]*NodeInfo, len(nodes)), index: map[string]int{}}
	for _, n := range nodes {
		s.Set(n)
	}
	s.SetImageCounts(ImageCounts(nodes))
	s.Commit()
	return s
}

// ImageCounts counts, for each normalised image name, the nodes that have it.
func ImageCounts(nodes []*NodeInfo) map[string]int {
	m := map[string]int{}
	for _, n := range nodes {
		if n.Node() == nil {
			continue
		}
		for _, img := range n.Node().Status.Images {
			for _, name := range img.Names {
				m[NormalizeImage(name)]++
			}
		}
	}
	return m
}

// SetIncremental turns on the change log behind ChangedSince. Only a
// snapshot kept up to date by one owner (the scheduling loop's) should
// have it: plugins keep aggregates for one incremental lister.
func (s *Snapshot) SetIncremental() { s.incremental = true }

// Set adds or replaces the NodeInfo of n's node.
func (s *Snapshot) Set(n *NodeInfo) {
	if s.incremental {
		s.pending = append(s.pending, n)
	}
	name := n.Name()
	old, ok := s.infos[name]
	s.infos[name] = n
	if i, ok := s.index[name]; ok && !s.structural {
		s.list[i] = n
	} else {
		s.structural = true
	}
	if len(n.PodsWithAffinity) > 0 || (ok && len(old.PodsWithAffinity) > 0) {
		s.affDirty = true
	}
}

// Remove drops the named node.
func (s *Snapshot) Remove(name string) {
	if old, ok := s.infos[name]; ok {
		delete(s.infos, name)
		s.structural = true
		if s.incremental {
			s.pending = append(s.pending, &NodeInfo{node: old.node, Generation: old.Generation})
		}
		if len(old.PodsWithAffinity) > 0 {
			s.affDirty = true
		}
	}
}

// SetImageCounts replaces the image counts (the map is kept, not copied).
func (s *Snapshot) SetImageCounts(m map[string]int) { s.images = m }

// Commit makes the changes since the last Commit visible to readers.
func (s *Snapshot) Commit() {
	if s.structural {
		s.epoch++
		s.list = s.list[:0]
		for _, n := range s.infos {
			s.list = append(s.list, n)
		}
		slices.SortFunc(s.list, func(a, b *NodeInfo) int { return strings.Compare(a.Name(), b.Name()) })
		clear(s.index)
		for i, n := range s.list {
			s.index[n.Name()] = i
		}
		s.structural = false
	}
	if s.affDirty {
		s.affinity = s.affinity[:0]
		for _, n := range s.list {
			if len(n.PodsWithAffinity) > 0 {
				s.affinity = append(s.affinity, n)
			}
		}
		s.affDirty = false
	}
	if len(s.pending) > 0 {
		slices.SortFunc(s.pending, func(a, b *NodeInfo) int { return cmpInt64(a.Generation, b.Generation) })
		for _, n := range s.pending {
			if n.Generation > s.gen {
				s.gen = n.Generation
			}
		}
		s.log = append(s.log, s.pending...)
		clear(s.pending)
		s.pending = s.pending[:0]
		if max := 4*len(s.list) + 1024; len(s.log) > max {
			drop := len(s.log) / 2
			s.logFloor = s.log[drop-1].Generation
			s.log = append(s.log[:0], s.log[drop:]...)
		}
	}
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Version implements IncrementalLister.
func (s *Snapshot) Version() (epoch, gen int64) { return s.epoch, s.gen }

// ChangedSince implements IncrementalLister.
func (s *Snapshot) ChangedSince(epoch, gen int64) ([]*NodeInfo, bool) {
	if !s.incremental || epoch != s.epoch || gen < s.logFloor {
		return nil, false
	}
	i, _ := slices.BinarySearchFunc(s.log, gen+1, func(n *NodeInfo, g int64) int { return cmpInt64(n.Generation, g) })
	return s.log[i:], true
}

// List implements NodeLister.
func (s *Snapshot) List() []*NodeInfo { return s.list }

// Len implements NodeLister.
func (s *Snapshot) Len() int { return len(s.list) }

// Get implements NodeLister.
func (s *Snapshot) Get(name string) (*NodeInfo, bool) {
	n, ok := s.infos[name]
	return n, ok
}

// HavePodsWithAffinity implements NodeLister.
func (s *Snapshot) HavePodsWithAffinity() []*NodeInfo { return s.affinity }

// ImageNodes implements NodeLister.
func (s *Snapshot) ImageNodes(image string) int { return s.images[image] }

// NormalizeImage returns the canonical form of an image reference as a
// node reports it: a registry host ("docker.io" when none is given, with
// "library/" for single-component names) and a tag (":latest" when
// neither tag nor digest is given).
func NormalizeImage(ref string) string {
	name := ref
	if i := strings.IndexByte(name, '/'); i < 0 {
		name = "docker.io/library/" + name
	} else if first := name[:i]; !strings.ContainsAny(first, ".:") && first != "localhost" {
		name = "docker.io/" + name
	}
	if strings.Contains(name, "@") {
		return name
	}
	last := name[strings.LastIndexByte(name, '/')+1:]
	if !strings.Contains(last, ":") {
		name += ":latest"
	}
	return name
}
