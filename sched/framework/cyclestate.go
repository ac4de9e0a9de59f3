package framework

import "sync"

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

// CycleState holds per-cycle plugin state and the node view of the cycle.
// Read and Write are safe for concurrent use.
type CycleState struct {
	mu    sync.RWMutex
	data  map[*string]any
	nodes NodeLister
}

// NewCycleState returns an empty state reading nodes from lister.
func NewCycleState(lister NodeLister) *CycleState {
	return &CycleState{data: make(map[*string]any, 4), nodes: lister}
}

// Nodes returns the view of the cluster this cycle decides against.
func (s *CycleState) Nodes() NodeLister { return s.nodes }

// Write stores v under k.
func Write[T any](s *CycleState, k StateKey[T], v T) {
	s.mu.Lock()
	s.data[k.id] = v
	s.mu.Unlock()
}

// Read returns the value stored under k and whether there was one.
func Read[T any](s *CycleState, k StateKey[T]) (T, bool) {
	s.mu.RLock()
	v, ok := s.data[k.id]
	s.mu.RUnlock()
	if !ok {
		var zero T
		return zero, false
	}
	return v.(T), true
}

// Delete removes the value under k.
func Delete[T any](s *CycleState, k StateKey[T]) {
	s.mu.Lock()
	delete(s.data, k.id)
	s.mu.Unlock()
}
