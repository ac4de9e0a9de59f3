package framework

import (
	"sync"
	"sync/atomic"
)

// StateKey is a typed key into a CycleState. Create one per kind of state
// with NewStateKey (typically a field of the plugin); two keys never
// collide, even with the same name.
type StateKey[T any] struct {
	id *string
}

// NewStateKey returns a new key; name is for debugging only.
func NewStateKey[T any](name string) StateKey[T] {
	return StateKey[T]{id: &name}
}

type stateEntry struct {
	id *string
	v  any
}

// CycleState holds per-cycle plugin state and the node view of the cycle.
// Read, Write and Delete are safe for concurrent use. Reads take no lock
// (Filter and Score read state for every node, in parallel): writes copy
// the few entries a cycle has and publish them atomically.
type CycleState struct {
	mu      sync.Mutex
	entries atomic.Pointer[[]stateEntry]
	nodes   NodeLister
}

// NewCycleState returns an empty state reading nodes from lister.
func NewCycleState(lister NodeLister) *CycleState {
	return &CycleState{nodes: lister}
}

// Nodes returns the view of the cluster this cycle decides against.
func (s *CycleState) Nodes() NodeLister { return s.nodes }

func (s *CycleState) update(id *string, v any, del bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur []stateEntry
	if p := s.entries.Load(); p != nil {
		cur = *p
	}
	next := make([]stateEntry, 0, len(cur)+1)
	for _, e := range cur {
		if e.id != id {
			next = append(next, e)
		}
	}
	if !del {
		next = append(next, stateEntry{id: id, v: v})
	}
	s.entries.Store(&next)
}

// Write stores v under k.
func Write[T any](s *CycleState, k StateKey[T], v T) { s.update(k.id, v, false) }

// Delete removes the value under k.
func Delete[T any](s *CycleState, k StateKey[T]) { s.update(k.id, nil, true) }

// Read returns the value stored under k and whether there was one.
func Read[T any](s *CycleState, k StateKey[T]) (T, bool) {
	if p := s.entries.Load(); p != nil {
		for _, e := range *p {
			if e.id == k.id {
				return e.v.(T), true
			}
		}
	}
	var zero T
	return zero, false
}
