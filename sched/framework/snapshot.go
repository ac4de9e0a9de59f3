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
}

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

// Set adds or replaces the NodeInfo of n's node.
func (s *Snapshot) Set(n *NodeInfo) {
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
