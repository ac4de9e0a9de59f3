package objects

import (
	"reflect"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
)

// Equaler compares the specs of two objects of one kind: every field but
// ObjectMeta and Status (so for kinds without a status, everything but
// metadata), as the store decides whether to bump Generation.
//
// It is structural like reflect.DeepEqual, with two differences that
// match the JSON encoding: a nil and an empty slice or map are equal, and
// times are compared with time.Time.Equal. Plans are compiled once per
// type, so a comparison does no reflection on types and allocates only
// for maps of non-string values. Safe for concurrent use; the zero value
// is ready.
type Equaler struct {
	plans sync.Map // reflect.Type -> eqFunc
	mu    sync.Mutex
}

type eqFunc func(a, b reflect.Value) bool

// SpecEqual reports whether a and b, of the same kind, have equal specs.
func (e *Equaler) SpecEqual(a, b api.Object) bool {
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	if av.Type() != bv.Type() {
		return false
	}
	t := av.Type()
	f, ok := e.plans.Load(t)
	if !ok {
		e.mu.Lock()
		f = compileSpecEqual(t.Elem())
		e.plans.Store(t, f)
		e.mu.Unlock()
	}
	return f.(eqFunc)(av.Elem(), bv.Elem())
}

func compileSpecEqual(t reflect.Type) eqFunc {
	building := map[reflect.Type]*eqFunc{}
	var idx []int
	var fs []eqFunc
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Name == "ObjectMeta" || f.Name == "Status" {
			continue
		}
		idx = append(idx, i)
		fs = append(fs, compileEq(f.Type, building))
	}
	return func(a, b reflect.Value) bool {
		for j, i := range idx {
			if !fs[j](a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
}

var stringSliceType = reflect.TypeFor[[]string]()

func compileEq(t reflect.Type, building map[reflect.Type]*eqFunc) eqFunc {
	if p, ok := building[t]; ok {
		return func(a, b reflect.Value) bool { return (*p)(a, b) }
	}
	p := new(eqFunc)
	building[t] = p
	*p = compileEqType(t, building)
	return *p
}

func compileEqType(t reflect.Type, building map[reflect.Type]*eqFunc) eqFunc {
	if t == timeType {
		wall, _ := t.FieldByName("wall")
		ext, _ := t.FieldByName("ext")
		return func(a, b reflect.Value) bool {
			if a.CanInterface() && b.CanInterface() {
				return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
			}
			return a.FieldByIndex(wall.Index).Uint() == b.FieldByIndex(wall.Index).Uint() &&
				a.FieldByIndex(ext.Index).Int() == b.FieldByIndex(ext.Index).Int()
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(a, b reflect.Value) bool { return a.Bool() == b.Bool() }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(a, b reflect.Value) bool { return a.Int() == b.Int() }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(a, b reflect.Value) bool { return a.Uint() == b.Uint() }
	case reflect.Float32, reflect.Float64:
		return func(a, b reflect.Value) bool { return a.Float() == b.Float() }
	case reflect.String:
		return func(a, b reflect.Value) bool { return a.String() == b.String() }
	case reflect.Pointer:
		elem := compileEq(t.Elem(), building)
		return func(a, b reflect.Value) bool {
			if a.IsNil() || b.IsNil() {
				return a.IsNil() == b.IsNil()
			}
			return a.Pointer() == b.Pointer() || elem(a.Elem(), b.Elem())
		}
	case reflect.Struct:
		n := t.NumField()
		fs := make([]eqFunc, n)
		for i := range n {
			fs[i] = compileEq(t.Field(i).Type, building)
		}
		return func(a, b reflect.Value) bool {
			for i, f := range fs {
				if !f(a.Field(i), b.Field(i)) {
					return false
				}
			}
			return true
		}
	case reflect.Slice, reflect.Array:
		elem := compileEq(t.Elem(), building)
		return func(a, b reflect.Value) bool {
			if a.Len() != b.Len() {
				return false
			}
			for i := 0; i < a.Len(); i++ {
				if !elem(a.Index(i), b.Index(i)) {
					return false
				}
			}
			return true
		}
	case reflect.Map:
		if t == stringMapType {
			return func(a, b reflect.Value) bool {
				if a.Len() != b.Len() {
					return false
				}
				if a.CanInterface() && b.CanInterface() {
					bm := b.Interface().(map[string]string)
					for k, v := range a.Interface().(map[string]string) {
						if w, ok := bm[k]; !ok || w != v {
							return false
						}
					}
					return true
				}
				return mapEq(a, b, func(x, y reflect.Value) bool { return x.String() == y.String() })
			}
		}
		elem := compileEq(t.Elem(), building)
		return func(a, b reflect.Value) bool {
			if a.Len() != b.Len() {
				return false
			}
			return mapEq(a, b, elem)
		}
	}
	// Interfaces, funcs, channels: no api type has them in a spec; be
	// conservative (unequal bumps Generation, which is always safe).
	return func(a, b reflect.Value) bool { return false }
}

func mapEq(a, b reflect.Value, elem eqFunc) bool {
	it := a.MapRange()
	for it.Next() {
		w := b.MapIndex(it.Key())
		if !w.IsValid() || !elem(it.Value(), w) {
			return false
		}
	}
	return true
}
