package informer

import "github.com/fleetkit/orchestrator/api"

// IndexNamespace is the name of the built-in index by namespace: ByIndex
// (IndexNamespace, ns) returns the objects in namespace ns.
const IndexNamespace = "namespace"

// IndexFunc returns the values under which an object is indexed (none, one
// or several). It must be deterministic (the same object always gives the
// same values), must not modify obj, and is called with the informer's
// cache locked, so it must not call back into the informer.
type IndexFunc[T api.Object] func(obj T) []string

// LabelIndex returns an IndexFunc that indexes objects by the value of
// label key; objects without the label are not indexed.
func LabelIndex[T api.Object](key string) IndexFunc[T] {
	return func(obj T) []string {
		v, ok := obj.Meta().Labels[key]
		if !ok {
			return nil
		}
		return []string{v}
	}
}

func namespaceIndex[T api.Object](obj T) []string {
	return []string{obj.Meta().Namespace}
}

// Lister reads an informer's local cache. Reads never block on the store
// and are safe for concurrent use. Returned objects are shared, read-only
// views of the cache: callers must not modify them (DeepCopyObject first,
// then write the copy back through the store). Slices returned are the
// caller's own.
type Lister[T api.Object] interface {
	// Get returns the object namespace/name ("" namespace for
	// cluster-scoped kinds), and false if the cache does not hold it.
	Get(namespace, name string) (T, bool)
	// List returns the cached objects matching sel (nil matches
	// everything), in no particular order.
	List(sel api.Selector) []T
	// ByIndex returns the cached objects indexed under value by the index
	// named index, in no particular order; nil if there are none or the
	// informer has no such index.
	ByIndex(index, value string) []T
}

// objKey identifies an object within one kind.
type objKey struct{ namespace, name string }

func keyOf(m *api.ObjectMeta) objKey { return objKey{m.Namespace, m.Name} }

// cache is the indexed store of objects. It is not safe for concurrent use
// on its own: the Informer guards it with its mutex.
type cache[T api.Object] struct {
	items    map[objKey]T
	indexers map[string]IndexFunc[T]
	// indices: index name -> value -> the objects indexed under it. The
	// object itself is the map value so ByIndex needs no second lookup.
	indices map[string]map[string]map[objKey]T
}

func newCache[T api.Object](indexers map[string]IndexFunc[T]) *cache[T] {
	c := &cache[T]{
		items:    make(map[objKey]T),
		indexers: make(map[string]IndexFunc[T], len(indexers)+1),
		indices:  make(map[string]map[string]map[objKey]T, len(indexers)+1),
	}
	for name, f := range indexers {
		c.indexers[name] = f
	}
	c.indexers[IndexNamespace] = namespaceIndex[T]
	for name := range c.indexers {
		c.indices[name] = make(map[string]map[objKey]T)
	}
	return c
}

func (c *cache[T]) get(k objKey) (T, bool) {
	obj, ok := c.items[k]
	return obj, ok
}

// put stores obj under k, replacing and re-indexing any previous object.
func (c *cache[T]) put(k objKey, obj T) {
	old, had := c.items[k]
	c.items[k] = obj
	for name, f := range c.indexers {
		idx := c.indices[name]
		newVals := f(obj)
		if had {
			for _, v := range f(old) {
				if !contains(newVals, v) {
					c.unindex(idx, v, k)
				}
			}
		}
		for _, v := range newVals {
			set := idx[v]
			if set == nil {
				set = make(map[objKey]T)
				idx[v] = set
			}
			set[k] = obj
		}
	}
}

// remove drops the object under k, if any.
func (c *cache[T]) remove(k objKey) {
	old, had := c.items[k]
	if !had {
		return
	}
	delete(c.items, k)
	for name, f := range c.indexers {
		idx := c.indices[name]
		for _, v := range f(old) {
			c.unindex(idx, v, k)
		}
	}
}

func (c *cache[T]) unindex(idx map[string]map[objKey]T, v string, k objKey) {
	set := idx[v]
	delete(set, k)
	if len(set) == 0 {
		delete(idx, v)
	}
}

func (c *cache[T]) list(sel api.Selector) []T {
	all := sel == nil || sel.Empty()
	out := make([]T, 0, len(c.items))
	for _, obj := range c.items {
		if all || sel.Matches(obj.Meta().Labels) {
			out = append(out, obj)
		}
	}
	return out
}

func (c *cache[T]) byIndex(index, value string, sel api.Selector) []T {
	idx, ok := c.indices[index]
	if !ok {
		return nil
	}
	set := idx[value]
	if len(set) == 0 {
		return nil
	}
	all := sel == nil || sel.Empty()
	out := make([]T, 0, len(set))
	for _, obj := range set {
		if all || sel.Matches(obj.Meta().Labels) {
			out = append(out, obj)
		}
	}
	return out
}

func contains(vals []string, v string) bool {
	for _, x := range vals {
		if x == v {
			return true
		}
	}
	return false
}
