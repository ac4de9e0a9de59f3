package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetkit/orchestrator/api"
	yaml "go.yaml.in/yaml/v3"
)

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	resourceListType    = reflect.TypeFor[api.ResourceList]()
)

// structInfo is the json view of a struct type: its fields by name.
type structInfo struct {
	fields map[string]fieldInfo
}

type fieldInfo struct {
	index []int
	// asString is the json ",string" option: a number written as a
	// string.
	asString bool
}

// structInfo builds (once per call) the field table of t, following
// encoding/json's rules: the json tag names a field, "-" hides it, and an
// embedded struct without a name in its tag has its fields promoted.
// Matching is case-sensitive, as Kubernetes' strict decoding is.
func (d *decoder) structInfo(t reflect.Type) *structInfo {
	if si, ok := d.structs[t]; ok {
		return si
	}
	si := &structInfo{fields: make(map[string]fieldInfo)}
	d.structs[t] = si
	var add func(t reflect.Type, index []int)
	add = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(slices.Clone(index), i)
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					add(ft, idx)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if _, taken := si.fields[name]; taken && len(index) > 0 {
				continue // the shallower field wins, as in encoding/json
			}
			si.fields[name] = fieldInfo{index: idx, asString: hasOpt(opts, "string")}
		}
	}
	add(t, nil)
	return si
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// decodeStruct fills struct v from mapping n. At the top of a document
// (top), apiVersion and kind are accepted and skipped: they chose the type.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string, top bool) {
	si := d.structInfo(v.Type())
	for _, p := range d.pairs(n, path, 0) {
		if d.full {
			return
		}
		if top && (p.key == "apiVersion" || p.key == "kind") {
			continue
		}
		fp := joinField(path, p.key)
		fi, ok := si.fields[p.key]
		if !ok {
			d.fail(p.keyNode, fp, ErrUnknownField, "unknown field")
			continue
		}
		f := fieldByIndex(v, fi.index)
		d.decodeValue(p.val, f, fp, fi.asString)
	}
}

// fieldByIndex is reflect.Value.FieldByIndex that allocates embedded
// pointers on the way.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// decodeValue fills v from node n; path names v in errors.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string, asString bool) {
	if !d.spend(n) {
		return
	}
	n = resolve(n)
	if n == nil {
		d.fail(nil, path, ErrType, "alias chain too long")
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.SetZero() // null means unset, as in JSON
		return
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decodeValue(n, v.Elem(), path, asString)
		d.budget++ // the pointer itself is not a node
		return
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		d.decodeUnmarshaler(n, v, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, ErrType, "want a mapping, got %s", describe(n))
			return
		}
		d.decodeStruct(n, v, path, false)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, ErrType, "want a mapping, got %s", describe(n))
			return
		}
		d.decodeMap(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, ErrType, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if d.full {
				return
			}
			d.decodeValue(c, s.Index(i), path+"["+strconv.Itoa(i)+"]", false)
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!timestamp") {
			d.fail(n, path, ErrType, "want a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.fail(n, path, ErrType, "want a boolean, got %s", describe(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := d.integer(n, path, asString)
		if !ok {
			return
		}
		if v.OverflowInt(i) {
			d.fail(n, path, ErrType, "%d is out of range for %s", i, t.Kind())
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := d.integer(n, path, asString)
		if !ok {
			return
		}
		if i < 0 || v.OverflowUint(uint64(i)) {
			d.fail(n, path, ErrType, "%d is out of range for %s", i, t.Kind())
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || tag != "!!int" && tag != "!!float" {
			d.fail(n, path, ErrType, "want a number, got %s", describe(n))
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || v.OverflowFloat(f) {
			d.fail(n, path, ErrType, "malformed or out-of-range number %s", truncate(n.Value))
			return
		}
		v.SetFloat(f)
	default:
		// The api types use none of the other kinds; refusing is safer
		// than guessing.
		d.fail(n, path, ErrType, "cannot decode into %s", t)
	}
}

// integer reads an integer scalar (or, with asString, a string holding
// one).
func (d *decoder) integer(n *yaml.Node, path string, asString bool) (int64, bool) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || !(tag == "!!int" || asString && tag == "!!str") {
		d.fail(n, path, ErrType, "want an integer, got %s", describe(n))
		return 0, false
	}
	i, err := parseYAMLInt(n.Value)
	if err != nil {
		d.fail(n, path, ErrType, "malformed or out-of-range integer %s", truncate(n.Value))
		return 0, false
	}
	return i, true
}

// parseYAMLInt reads the integer notations YAML resolves as !!int:
// decimal with an optional sign, 0x, 0o, 0b, and "_" separators.
func parseYAMLInt(s string) (int64, error) {
	s = strings.ReplaceAll(s, "_", "")
	if rest, ok := strings.CutPrefix(s, "0o"); ok {
		return strconv.ParseInt(rest, 8, 64)
	}
	return strconv.ParseInt(s, 0, 64)
}

// decodeMap fills a map from mapping n; keys are strings (or string
// kinds such as api.ResourceName).
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.fail(n, path, ErrType, "cannot decode into %s", t)
		return
	}
	pairs := d.pairs(n, path, 0)
	m := reflect.MakeMapWithSize(t, len(pairs))
	for _, p := range pairs {
		if d.full {
			return
		}
		var kp string
		if t == resourceListType {
			kp = joinField(path, p.key) // resource names read as fields
		} else {
			kp = path + "[" + p.key + "]"
		}
		elem := reflect.New(t.Elem()).Elem()
		before := len(d.errs)
		d.decodeValue(p.val, elem, kp, false)
		if len(d.errs) == before {
			// A value that failed is left out rather than set to zero,
			// so that validation does not report the zero as well.
			m.SetMapIndex(reflect.ValueOf(p.key).Convert(t.Key()), elem)
		}
	}
	v.Set(m)
}

// decodeUnmarshaler hands a scalar to the type's UnmarshalJSON, written
// as the JSON it means: a string, a number, true or false.
func (d *decoder) decodeUnmarshaler(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, ErrType, "want a scalar, got %s", describe(n))
		return
	}
	var raw []byte
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		raw, _ = json.Marshal(n.Value)
	case "!!int":
		if json.Valid([]byte(n.Value)) {
			raw = []byte(n.Value)
		} else if i, err := parseYAMLInt(n.Value); err == nil {
			raw = strconv.AppendInt(nil, i, 10)
		} else {
			d.fail(n, path, ErrType, "malformed integer %s", truncate(n.Value))
			return
		}
	case "!!float":
		if json.Valid([]byte(n.Value)) {
			raw = []byte(n.Value)
		} else if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			raw = strconv.AppendFloat(nil, f, 'g', -1, 64)
		} else {
			d.fail(n, path, ErrType, "malformed number %s", truncate(n.Value))
			return
		}
	case "!!bool":
		raw = []byte(strings.ToLower(n.Value))
	default:
		d.fail(n, path, ErrType, "unsupported value %s", describe(n))
		return
	}
	u := v.Addr().Interface().(json.Unmarshaler)
	if err := callUnmarshal(u, raw); err != nil {
		d.fail(n, path, ErrType, "invalid value %s: %s", describe(n), strings.TrimSpace(err.Error()))
	}
}

// callUnmarshal runs UnmarshalJSON, turning a panic into an error: the
// types are another package's, and one bad value must not crash a reader
// of untrusted manifests.
func callUnmarshal(u json.Unmarshaler, raw []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	return u.UnmarshalJSON(raw)
}
