package objects

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// Sizer checks objects against store.MaxObjectBytes.
//
// Encoding every write would cost more than the rest of a memstore
// update, so a Sizer first computes Bound, an upper bound of the encoded
// size, and encodes only when the bound exceeds the limit. Objects near
// the limit are rare, so almost every write is checked without encoding,
// and the answer is exact in every case.
//
// Bound walks the object with a plan compiled once per type (field names,
// which fields to skip, how to bound each), so a walk does no reflection
// on types and allocates only for Quantities. A Sizer is safe for
// concurrent use; its zero value is ready.
type Sizer struct {
	plans sync.Map // reflect.Type -> sizeFunc
	mu    sync.Mutex

	// Quantities can be arbitrarily long (math/big), so their length is
	// measured exactly; formatting one is slow, and objects repeat a few
	// values, so lengths are memoised (a bounded number of them).
	qmu  sync.RWMutex
	qlen map[api.Quantity]int
}

// maxQuantityMemo bounds the memo of quantity lengths.
const maxQuantityMemo = 4096

// quantityLen returns the length of q's JSON encoding (quoted string).
func (s *Sizer) quantityLen(q api.Quantity) int {
	s.qmu.RLock()
	n, ok := s.qlen[q]
	s.qmu.RUnlock()
	if ok {
		return n
	}
	n = len(q.String()) + 2
	s.qmu.Lock()
	if s.qlen == nil {
		s.qlen = make(map[api.Quantity]int)
	}
	if len(s.qlen) < maxQuantityMemo {
		s.qlen[q] = n
	}
	s.qmu.Unlock()
	return n
}

type sizeFunc func(reflect.Value) int

// unbounded is returned for values whose encoding Bound cannot bound (a
// json.Marshaler it does not know, an interface); it forces encoding.
const unbounded = 1 << 40

// Check fails with store.ErrInvalid when obj's JSON encoding exceeds
// store.MaxObjectBytes.
func (s *Sizer) Check(obj api.Object) error {
	if s.Bound(obj) <= store.MaxObjectBytes {
		return nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encode %s %q: %v: %w", obj.Kind(), obj.Meta().Name, err, store.ErrInvalid)
	}
	if len(b) > store.MaxObjectBytes {
		return fmt.Errorf("%s %q encodes to %d bytes, over the limit of %d: %w",
			obj.Kind(), obj.Meta().Name, len(b), store.MaxObjectBytes, store.ErrInvalid)
	}
	return nil
}

// Bound returns an upper bound of len(json.Marshal(obj)). Every field
// counts as if present (omitempty only shortens), every string byte as
// its worst escape (\u00XX, six bytes), every number at its longest form.
func (s *Sizer) Bound(obj api.Object) int {
	v := reflect.ValueOf(obj)
	return s.plan(v.Type())(v)
}

func (s *Sizer) plan(t reflect.Type) sizeFunc {
	if f, ok := s.plans.Load(t); ok {
		return f.(sizeFunc)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.compile(t, map[reflect.Type]*sizeFunc{})
	s.plans.Store(t, f)
	return f
}

var (
	timeType         = reflect.TypeFor[time.Time]()
	quantityType     = reflect.TypeFor[api.Quantity]()
	intstrType       = reflect.TypeFor[api.IntOrString]()
	resourceListType = reflect.TypeFor[api.ResourceList]()
	stringMapType    = reflect.TypeFor[map[string]string]()
	marshalerType    = reflect.TypeFor[json.Marshaler]()
	textMarshType    = reflect.TypeFor[encoding.TextMarshaler]()
)

func add(a, b int) int { return min(a+b, unbounded) }

// compile builds the sizeFunc of t; building holds the types being
// compiled, so that a recursive type refers to its own plan.
func (s *Sizer) compile(t reflect.Type, building map[reflect.Type]*sizeFunc) sizeFunc {
	if p, ok := building[t]; ok {
		return func(v reflect.Value) int { return (*p)(v) }
	}
	p := new(sizeFunc)
	building[t] = p
	*p = s.compileType(t, building)
	return *p
}

func (s *Sizer) compileType(t reflect.Type, building map[reflect.Type]*sizeFunc) sizeFunc {
	switch t {
	case timeType:
		return func(reflect.Value) int { return 40 } // "2006-01-02T15:04:05.999999999+07:00", quoted
	case quantityType:
		return func(v reflect.Value) int {
			if v.CanAddr() { // a pointer in an interface does not allocate
				return s.quantityLen(*v.Addr().Interface().(*api.Quantity))
			}
			return s.quantityLen(v.Interface().(api.Quantity))
		}
	case resourceListType:
		return func(v reflect.Value) int {
			if v.IsNil() {
				return 4
			}
			n := 2
			for k, q := range v.Interface().(api.ResourceList) {
				n = add(n, 6*len(k)+2+s.quantityLen(q)+2)
			}
			return n
		}
	case stringMapType:
		return func(v reflect.Value) int {
			if v.IsNil() {
				return 4
			}
			n := 2
			for k, e := range v.Interface().(map[string]string) {
				n = add(n, 6*(len(k)+len(e))+4+2)
			}
			return n
		}
	case intstrType:
		isString, _ := t.FieldByName("IsString")
		strVal, _ := t.FieldByName("StrVal")
		return func(v reflect.Value) int {
			if v.FieldByIndex(isString.Index).Bool() {
				return 6*v.FieldByIndex(strVal.Index).Len() + 2
			}
			return 11
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := s.compile(t.Elem(), building)
		return func(v reflect.Value) int {
			if v.IsNil() {
				return 4
			}
			return elem(v.Elem())
		}
	case reflect.Interface:
		return func(v reflect.Value) int {
			if v.IsNil() {
				return 4
			}
			return unbounded
		}
	}
	if t.Implements(marshalerType) || t.Implements(textMarshType) ||
		reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshType) {
		return func(reflect.Value) int { return unbounded }
	}
	switch t.Kind() {
	case reflect.String:
		return func(v reflect.Value) int { return 6*v.Len() + 2 }
	case reflect.Bool:
		return func(reflect.Value) int { return 5 }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(reflect.Value) int { return 22 } // 20 digits, a sign, quotes for ",string"
	case reflect.Float32, reflect.Float64:
		return func(reflect.Value) int { return 32 }
	case reflect.Struct:
		type field struct {
			index    int
			overhead int
			size     sizeFunc
		}
		var fields []field
		fixed := 2
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			fields = append(fields, field{i, 6*len(name) + 4, s.compile(f.Type, building)})
		}
		return func(v reflect.Value) int {
			n := fixed
			for _, f := range fields {
				n = add(n, f.overhead+f.size(v.Field(f.index)))
			}
			return n
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return func(v reflect.Value) int { return 4*v.Len()/3 + 6 }
		}
		elem := s.compile(t.Elem(), building)
		return func(v reflect.Value) int {
			if t.Kind() == reflect.Slice && v.IsNil() {
				return 4
			}
			n := 2
			for i := 0; i < v.Len(); i++ {
				n = add(n, elem(v.Index(i))+1)
			}
			return n
		}
	case reflect.Map:
		elem := s.compile(t.Elem(), building)
		stringKeys := t.Key().Kind() == reflect.String
		return func(v reflect.Value) int {
			if v.IsNil() {
				return 4
			}
			n := 2
			it := v.MapRange()
			for it.Next() {
				k := 24
				if stringKeys {
					k = 6*it.Key().Len() + 2
				}
				n = add(n, k+elem(it.Value())+2)
			}
			return n
		}
	}
	return func(reflect.Value) int { return unbounded }
}
