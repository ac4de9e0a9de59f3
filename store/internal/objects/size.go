package objects

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// CheckSize fails with store.ErrInvalid when obj's JSON encoding exceeds
// store.MaxObjectBytes.
//
// Encoding every write would cost more than the rest of a memstore
// update, so CheckSize first computes SizeBound, a cheap upper bound of
// the encoded size that allocates nothing, and encodes only when the
// bound exceeds the limit. Objects near the limit are rare, so almost
// every write is checked without encoding, and the answer is exact in
// every case.
func CheckSize(obj api.Object) error {
	if SizeBound(obj) <= store.MaxObjectBytes {
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

// unbounded is returned for values whose encoding SizeBound cannot bound
// (a json.Marshaler it does not know, an interface); it forces encoding.
const unbounded = 1 << 40

var (
	timeType      = reflect.TypeFor[time.Time]()
	quantityType  = reflect.TypeFor[api.Quantity]()
	intstrType    = reflect.TypeFor[api.IntOrString]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshType = reflect.TypeFor[encoding.TextMarshaler]()
)

// SizeBound returns an upper bound of the length of json.Marshal(obj).
// Every field counts as if present (omitempty only shortens), every
// string byte as its worst escape (\u00XX, six bytes), every number at
// its longest form.
func SizeBound(obj api.Object) int {
	return sizeBound(reflect.ValueOf(obj))
}

func sizeBound(v reflect.Value) int {
	t := v.Type()
	switch t {
	case timeType:
		return 40 // "2006-01-02T15:04:05.999999999+07:00" with quotes
	case quantityType:
		return 48 // canonical form of an int64 milli value and suffix, quoted
	case intstrType:
		is := v.Interface().(api.IntOrString)
		if is.IsString {
			return 6*len(is.StrVal) + 2
		}
		return 11
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 4
		}
		return sizeBound(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return 4
		}
		return unbounded
	}
	if t.Implements(marshalerType) || t.Implements(textMarshType) ||
		reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshType) {
		return unbounded
	}
	switch t.Kind() {
	case reflect.String:
		return 6*v.Len() + 2
	case reflect.Bool:
		return 5
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return 22 // 20 digits, sign, and quotes for ",string"
	case reflect.Float32, reflect.Float64:
		return 32
	case reflect.Struct:
		n := 2
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
			n += 6*len(name) + 4 + sizeBound(v.Field(i))
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return 4
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return 4*v.Len()/3 + 6
		}
		fallthrough
	case reflect.Array:
		n := 2
		for i := 0; i < v.Len(); i++ {
			n += sizeBound(v.Index(i)) + 1
			if n >= unbounded {
				return unbounded
			}
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return 4
		}
		n := 2
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() == reflect.String {
				n += 6*k.Len() + 2
			} else {
				n += 24
			}
			n += sizeBound(it.Value()) + 2
			if n >= unbounded {
				return unbounded
			}
		}
		return n
	}
	return unbounded
}
