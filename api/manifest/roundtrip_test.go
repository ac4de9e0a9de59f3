package manifest

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var validFiles = []string{"seed-deployment.yaml", "seed-service.yaml", "hpa.yaml", "gpu-inference.yaml", "gang-training.yaml", "production-app.yaml"}

// cmpOpts: an empty slice or map encodes as nothing and decodes as nil;
// Quantity and time.Time compare by their Equal methods.
var cmpOpts = cmp.Options{cmpopts.EquateEmpty()}

type encodeFunc func(*bytes.Buffer, ...api.Object) error

var encoders = map[string]encodeFunc{
	"yaml": func(b *bytes.Buffer, objs ...api.Object) error { return EncodeYAML(b, objs...) },
	"json": func(b *bytes.Buffer, objs ...api.Object) error { return EncodeJSON(b, objs...) },
}

func TestRoundTripManifests(t *testing.T) {
	for _, name := range validFiles {
		for format, enc := range encoders {
			t.Run(name+"/"+format, func(t *testing.T) {
				objs := decodeFile(t, name)
				var buf bytes.Buffer
				if err := enc(&buf, objs...); err != nil {
					t.Fatal(err)
				}
				back, err := DecodeBytes(buf.Bytes())
				if err != nil {
					t.Fatalf("decode of encoded output: %v\n%s", err, buf.String())
				}
				if diff := cmp.Diff(objs, back, cmpOpts); diff != "" {
					t.Errorf("round trip (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestEncodeOrder(t *testing.T) {
	objs := decodeFile(t, "seed-service.yaml")
	var buf bytes.Buffer
	if err := EncodeYAML(&buf, objs[0], objs[0]); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "apiVersion: v1\nkind: Service\nmetadata:\n") {
		t.Errorf("YAML does not start with apiVersion, kind, metadata:\n%s", out)
	}
	if strings.Count(out, "\n---\n") != 1 {
		t.Errorf("want two documents separated by ---:\n%s", out)
	}
	if m, s := strings.Index(out, "metadata:"), strings.Index(out, "spec:"); m < 0 || s < m {
		t.Errorf("metadata must come before spec:\n%s", out)
	}
	buf.Reset()
	if err := EncodeJSON(&buf, objs[0]); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\",\n  \"metadata\"") {
		t.Errorf("JSON does not start with apiVersion, kind, metadata:\n%s", buf.String())
	}
}

// TestRoundTripRandom is a property test: for random objects of every
// kind, with random values in every field (strings chosen to trip YAML:
// "true", "1", "null", "<<", "- x", multi-line ...), decode(encode(x))
// equals x in both formats.
func TestRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	iterations := 50
	if testing.Short() {
		iterations = 10
	}
	opts := DecodeOptions{SkipDefaults: true, SkipValidation: true}
	for i := 0; i < iterations; i++ {
		for _, ki := range api.Kinds() {
			obj := ki.New()
			fillRandom(rng, reflect.ValueOf(obj).Elem(), 0)
			for format, enc := range encoders {
				var buf bytes.Buffer
				if err := enc(&buf, obj); err != nil {
					t.Fatalf("%s %s: encode: %v", ki.Kind, format, err)
				}
				back, err := opts.DecodeBytes(buf.Bytes())
				if err != nil {
					t.Fatalf("%s %s: decode: %v\n%s", ki.Kind, format, err, buf.String())
				}
				if len(back) != 1 {
					t.Fatalf("%s %s: got %d objects", ki.Kind, format, len(back))
				}
				if diff := cmp.Diff(obj, back[0], cmpOpts); diff != "" {
					t.Fatalf("%s %s round trip (-want +got):\n%s\n%s", ki.Kind, format, diff, buf.String())
				}
			}
		}
	}
}

var trickyStrings = []string{
	"", "true", "false", "yes", "no", "on", "null", "~", "1", "-1", "0x1F", "0o17", "1e3", "1.5", ".inf", ".nan",
	"<<", "- x", "? y", ": z", "a: b", "#c", "a #c", "*ref", "&anchor", "!tag", "%dir", "@at", "`tick", "---", "...",
	"'single'", "\"double\"", " lead", "trail ", "\ttab", "multi\nline\n", "trailing newline\n", "\\back", "é日本",
	"2024-01-02", "2024-01-02T03:04:05Z", "{a: b}", "[x]", "250m", "app.kubernetes.io/name",
}

var (
	quantityType    = reflect.TypeFor[api.Quantity]()
	intOrStringType = reflect.TypeFor[api.IntOrString]()
	timeType        = reflect.TypeFor[time.Time]()
)

func randomString(rng *rand.Rand) string {
	if rng.IntN(2) == 0 {
		return trickyStrings[rng.IntN(len(trickyStrings))]
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-._/ :"
	b := make([]byte, 1+rng.IntN(12))
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

var quantityStrings = []string{"0", "1", "250m", "256Mi", "1.5Gi", "1e3", "100M", "12345678901234567890", "-2", "0.001", "3k", "1Ei"}

// fillRandom sets v to a random value of its type, the way a manifest
// could hold it.
func fillRandom(rng *rand.Rand, v reflect.Value, depth int) {
	t := v.Type()
	switch t {
	case quantityType:
		v.Set(reflect.ValueOf(api.MustParseQuantity(quantityStrings[rng.IntN(len(quantityStrings))])))
		return
	case intOrStringType:
		if rng.IntN(2) == 0 {
			v.Set(reflect.ValueOf(api.FromInt(rng.Int32N(70000) - 100)))
		} else {
			v.Set(reflect.ValueOf(api.FromString(randomString(rng))))
		}
		return
	case timeType:
		if rng.IntN(3) > 0 {
			v.Set(reflect.ValueOf(time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC()))
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if rng.IntN(3) == 0 || depth > 12 {
			return
		}
		p := reflect.New(t.Elem())
		fillRandom(rng, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() && t.Field(i).Tag.Get("json") != "-" {
				fillRandom(rng, v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		n := rng.IntN(3)
		if depth > 12 {
			n = 0
		}
		s := reflect.MakeSlice(t, n, n)
		for i := 0; i < n; i++ {
			fillRandom(rng, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		n := rng.IntN(3)
		m := reflect.MakeMapWithSize(t, n)
		for i := 0; i < n; i++ {
			k := reflect.New(t.Key()).Elem()
			k.SetString(randomString(rng))
			e := reflect.New(t.Elem()).Elem()
			fillRandom(rng, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.String:
		v.SetString(randomString(rng))
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int32:
		v.SetInt(int64(rng.Int32()) - 1<<30)
	case reflect.Int64, reflect.Int:
		v.SetInt(rng.Int64() - 1<<62)
	default:
		panic("fillRandom: unhandled " + t.String())
	}
}
