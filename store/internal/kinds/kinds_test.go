package kinds

import (
	"reflect"
	"testing"

	"github.com/fleetkit/orchestrator/api"
)

// Every kind the api knows is covered: a kind added to api without a case
// here fails this test instead of silently losing its status or spec.
func TestEveryKind(t *testing.T) {
	for _, ki := range api.Kinds() {
		t.Run(string(ki.Kind), func(t *testing.T) {
			v := reflect.ValueOf(ki.New()).Elem()
			_, hasStatus := v.Type().FieldByName("Status")
			if HasStatus(ki.Kind) != hasStatus {
				t.Fatalf("HasStatus = %v, but the type has a Status field: %v", HasStatus(ki.Kind), hasStatus)
			}
			a, b := ki.New(), ki.New()
			if !SpecEqual(a, b) {
				t.Fatal("two empty objects have different specs")
			}
			// Set every non-metadata field of b to a non-zero value.
			bv := reflect.ValueOf(b).Elem()
			for i := 0; i < bv.NumField(); i++ {
				f := bv.Type().Field(i)
				if f.Name == "ObjectMeta" {
					continue
				}
				fill(bv.Field(i))
			}
			b.Meta().Name = "other"
			CopySpec(a, b)
			if !SpecEqual(a, b) {
				t.Fatal("CopySpec did not copy the whole spec")
			}
			if a.Meta().Name != "" {
				t.Fatal("CopySpec copied metadata")
			}
			if hasStatus {
				av := reflect.ValueOf(a).Elem()
				if !av.FieldByName("Status").IsZero() {
					t.Fatal("CopySpec copied the status")
				}
				CopyStatus(a, b)
				if !reflect.DeepEqual(av.FieldByName("Status").Interface(), bv.FieldByName("Status").Interface()) {
					t.Fatal("CopyStatus did not copy the status")
				}
				c := ki.New()
				fill(reflect.ValueOf(c).Elem().FieldByName("Status"))
				if SpecEqual(a, c) {
					t.Fatal("specs differ but SpecEqual says equal")
				}
			}
		})
	}
}

// fill sets v to a non-zero value: the first settable leaf it finds.
func fill(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
		return true
	case reflect.Bool:
		v.SetBool(true)
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
		return true
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
		return true
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
		return true
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		return true
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && fill(v.Field(i)) {
				return true
			}
		}
	}
	return false
}
