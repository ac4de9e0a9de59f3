package api

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// The expected values below are written by hand from the semantics that
// Kubernetes documents for k8s.io/apimachinery/pkg/api/resource.Quantity.
func TestParseQuantityCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
		format         Format
		milli          int64
	}{
		{"integer", "5", "5", DecimalSI, 5000},
		{"milli to unit", "1000m", "1", DecimalSI, 1000},
		{"half", "0.5", "500m", DecimalSI, 500},
		{"leading dot", ".5", "500m", DecimalSI, 500},
		{"trailing dot", "5.", "5", DecimalSI, 5000},
		{"plus sign", "+1", "1", DecimalSI, 1000},
		{"negative fraction", "-1.5", "-1500m", DecimalSI, -1500},
		{"leading zeros", "007", "7", DecimalSI, 7000},
		{"cpu millis", "250m", "250m", DecimalSI, 250},
		{"micro", "1u", "1u", DecimalSI, 1},
		{"nano", "1n", "1n", DecimalSI, 1},
		{"kilo", "1k", "1k", DecimalSI, 1000000},
		{"mega stays", "100M", "100M", DecimalSI, 100000000000},
		{"1.5k", "1.5k", "1500", DecimalSI, 1500000},
		{"giga", "2G", "2G", DecimalSI, 2000000000000},
		{"exa", "1E", "1E", DecimalSI, math.MaxInt64},
		{"beyond exa prints exponent", "1000E", "1e21", DecimalSI, math.MaxInt64},
		{"exponent kept", "1e3", "1e3", DecimalExponent, 1000000},
		{"exponent upper", "1E3", "1e3", DecimalExponent, 1000000},
		{"exponent plus", "1e+3", "1e3", DecimalExponent, 1000000},
		{"negative exponent", "12E-3", "12e-3", DecimalExponent, 12},
		{"exponent to multiple of three", "1e4", "10e3", DecimalExponent, 10000000},
		{"exponent zero", "5e0", "5", DecimalExponent, 5000},
		{"kibi", "1Ki", "1Ki", BinarySI, 1024000},
		{"mebi", "256Mi", "256Mi", BinarySI, 268435456000},
		{"1.5Gi", "1.5Gi", "1536Mi", BinarySI, 1610612736000},
		{"0.5Gi", "0.5Gi", "512Mi", BinarySI, 536870912000},
		{"1024Mi", "1024Mi", "1Gi", BinarySI, 1073741824000},
		{"binary below 1024 prints decimal", "0.5Ki", "512", BinarySI, 512000},
		{"binary not divisible", "1.5Ki", "1536", BinarySI, 1536000},
		{"binary fraction prints decimal", "1.0001Ki", "1024102400u", BinarySI, 1024103},
		{"binary below one becomes decimal", "0.0001Ki", "102400u", DecimalSI, 103},
		{"binary capped", "8Ei", "9223372036854775807", BinarySI, math.MaxInt64},
		{"exbi", "1Ei", "1Ei", BinarySI, math.MaxInt64},
		{"zero", "0", "0", DecimalSI, 0},
		{"zero with suffix", "0Mi", "0", BinarySI, 0},
		{"negative zero", "-0", "0", DecimalSI, 0},
		{"empty number is zero", "Mi", "0", BinarySI, 0},
		{"sign only is zero", "-", "0", DecimalSI, 0},
		{"dot only is zero", ".", "0", DecimalSI, 0},
		{"sub-nano rounds up", "0.0000000001", "1n", DecimalSI, 1},
		{"sub-nano negative rounds away", "-0.0000000001", "-1n", DecimalSI, -1},
		{"sub-nano suffix", "0.1n", "1n", DecimalSI, 1},
		{"1.5n rounds to 2n", "1.5n", "2n", DecimalSI, 1},
		{"tiny exponent", "1e-99999999999999999999", "1e-9", DecimalExponent, 1},
		{"beyond int64", "123456789012345678901234567890", "123456789012345678901234567890", DecimalSI, math.MaxInt64},
		{"beyond int64 negative", "-123456789012345678901234567890", "-123456789012345678901234567890", DecimalSI, math.MinInt64},
		{"big with trailing zeros", "100000000000000000000000", "100e21", DecimalSI, math.MaxInt64},
		{"long fraction", "0.000000001000000000000000000001", "2n", DecimalSI, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuantity(tt.in)
			if err != nil {
				t.Fatalf("ParseQuantity(%q): %v", tt.in, err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("ParseQuantity(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			if q.Format != tt.format {
				t.Errorf("ParseQuantity(%q).Format = %q, want %q", tt.in, q.Format, tt.format)
			}
			if got := q.MilliValue(); got != tt.milli {
				t.Errorf("ParseQuantity(%q).MilliValue() = %d, want %d", tt.in, got, tt.milli)
			}
			back, err := ParseQuantity(q.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", q.String(), err)
			}
			if !back.Equal(q) {
				t.Errorf("reparse of %q = %v, want %v", q.String(), back, q)
			}
		})
	}
}

func TestParseQuantityErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrQuantityFormat},
		{"1.2.3", ErrQuantityFormat},
		{"5i", ErrQuantitySuffix},
		{"1 Gi", ErrQuantityFormat},
		{" 1", ErrQuantityFormat},
		{"1 ", ErrQuantityFormat},
		{"+-1", ErrQuantitySuffix},
		{"1Mi5", ErrQuantitySuffix},
		{"12ZZ", ErrQuantityFormat},
		{"1K", ErrQuantitySuffix},
		{"1ki", ErrQuantitySuffix},
		{"1e", ErrQuantitySuffix},
		{"1Ee3", ErrQuantitySuffix},
		{"1e3Mi", ErrQuantityFormat},
		{"aoeu", ErrQuantityFormat},
		{".5i", ErrQuantitySuffix},
		{"-3.01e-", ErrQuantitySuffix},
		{"1e99999", ErrInvalidQuantity},
		{"1e99999999999999999999999", ErrInvalidQuantity},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseQuantity(tt.in)
			if err == nil {
				t.Fatalf("ParseQuantity(%q) succeeded, want error", tt.in)
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidQuantity) {
				t.Errorf("ParseQuantity(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if want := `"` + tt.in + `"`; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name the input %s", err, want)
			}
		})
	}
}

func TestQuantityValueRounding(t *testing.T) {
	tests := []struct {
		in           string
		value, milli int64
	}{
		{"1.2", 2, 1200},
		{"-1.2", -2, -1200},
		{"1m", 1, 1},
		{"1u", 1, 1},
		{"-1u", -1, -1},
		{"999m", 1, 999},
		{"2", 2, 2000},
		{"1.0001", 2, 1001},
		{"9223372036854775807", math.MaxInt64, math.MaxInt64},
		{"-9223372036854775808", math.MinInt64, math.MinInt64},
		{"10E", math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		q := MustParseQuantity(tt.in)
		if got := q.Value(); got != tt.value {
			t.Errorf("%s.Value() = %d, want %d", tt.in, got, tt.value)
		}
		if got := q.MilliValue(); got != tt.milli {
			t.Errorf("%s.MilliValue() = %d, want %d", tt.in, got, tt.milli)
		}
	}
	if got := MustParseQuantity("1.5").ScaledValue(Nano); got != 1500000000 {
		t.Errorf("ScaledValue(Nano) = %d", got)
	}
	if got := MustParseQuantity("1500M").ScaledValue(Giga); got != 2 {
		t.Errorf("ScaledValue(Giga) = %d", got)
	}
}

func TestQuantityArithmetic(t *testing.T) {
	tests := []struct {
		a, b, sum, diff string
		cmp             int
	}{
		{"250m", "2", "2250m", "-1750m", -1},
		{"1Gi", "512Mi", "1536Mi", "512Mi", 1},
		{"1", "1000m", "2", "0", 0},
		{"1k", "1e3", "2k", "0", 0},
		{"100M", "1n", "100000000000000001n", "99999999999999999n", 1},
		{"1E", "1n", "1000000000000000000000000001n", "999999999999999999999999999n", 1},
		{"9223372036854775807", "1", "9223372036854775808", "9223372036854775806", 1},
		{"-9223372036854775807", "2", "-9223372036854775805", "-9223372036854775809", -1},
		{"123456789012345678901234567890", "123456789012345678901234567890", "246913578024691357802469135780", "0", 0},
		{"-5", "3", "-2", "-8", -1},
		{"0", "5Mi", "5Mi", "-5Mi", -1},
		{"1e100", "1", "1" + strings.Repeat("0", 99) + "1", strings.Repeat("9", 100), 1},
	}
	for _, tt := range tests {
		a, b := MustParseQuantity(tt.a), MustParseQuantity(tt.b)
		sum, diff := MustParseQuantity(tt.sum), MustParseQuantity(tt.diff)
		if got := a.Add(b); !got.Equal(sum) {
			t.Errorf("%s + %s = %v, want %s", tt.a, tt.b, got, tt.sum)
		}
		if got := b.Add(a); !got.Equal(sum) {
			t.Errorf("%s + %s = %v, want %s", tt.b, tt.a, got, tt.sum)
		}
		if got := a.Sub(b); !got.Equal(diff) {
			t.Errorf("%s - %s = %v, want %s", tt.a, tt.b, got, tt.diff)
		}
		if got := a.Cmp(b); got != tt.cmp {
			t.Errorf("%s cmp %s = %d, want %d", tt.a, tt.b, got, tt.cmp)
		}
		if got := b.Cmp(a); got != -tt.cmp {
			t.Errorf("%s cmp %s = %d, want %d", tt.b, tt.a, got, -tt.cmp)
		}
		if got := a.Sub(b).Add(b); !got.Equal(a) {
			t.Errorf("(%s - %s) + %s = %v, want %s", tt.a, tt.b, tt.b, got, tt.a)
		}
		if got := a.Neg().Neg(); !got.Equal(a) || got.Sign() != a.Sign() {
			t.Errorf("-(-%s) = %v", tt.a, got)
		}
		if a.Neg().Sign() != -a.Sign() {
			t.Errorf("sign of -%s", tt.a)
		}
	}
}

func TestQuantityFormatOfResults(t *testing.T) {
	if got := MustParseQuantity("1Gi").Add(MustParseQuantity("512Mi")).String(); got != "1536Mi" {
		t.Errorf("1Gi+512Mi = %s", got)
	}
	// A zero takes the format of what is added to it, as in Kubernetes.
	var zero Quantity
	if got := zero.Add(MustParseQuantity("1Gi")); got.Format != BinarySI || got.String() != "1Gi" {
		t.Errorf("0+1Gi = %s (%s)", got, got.Format)
	}
	if got := MustParseQuantity("1").Add(MustParseQuantity("1Ki")).String(); got != "1025" {
		t.Errorf("1+1Ki = %s", got)
	}
	if got := NewQuantity(1024, BinarySI).String(); got != "1Ki" {
		t.Errorf("NewQuantity(1024, BinarySI) = %s", got)
	}
	if got := NewMilliQuantity(1500, DecimalSI).String(); got != "1500m" {
		t.Errorf("NewMilliQuantity(1500) = %s", got)
	}
	if got := NewScaledQuantity(5, Mega).String(); got != "5M" {
		t.Errorf("NewScaledQuantity(5, Mega) = %s", got)
	}
	if got := NewScaledQuantity(15, -10).String(); got != "2n" {
		t.Errorf("NewScaledQuantity(15, -10) = %s", got)
	}
	if got := NewQuantity(math.MinInt64, DecimalSI).Neg().String(); got != "9223372036854775808" {
		t.Errorf("-MinInt64 = %s", got)
	}
}

func TestQuantityMisc(t *testing.T) {
	if !MustParseQuantity("0m").IsZero() || MustParseQuantity("1n").IsZero() {
		t.Error("IsZero")
	}
	if (Quantity{}).String() != "0" || (Quantity{}).Sign() != 0 {
		t.Error("zero value")
	}
	for in, want := range map[string]float64{"1.5": 1.5, "250m": 0.25, "1Ki": 1024, "-2e3": -2000, "1e400": math.Inf(1)} {
		if got := MustParseQuantity(in).AsApproximateFloat64(); got != want && math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("%s.AsApproximateFloat64() = %v, want %v", in, got, want)
		}
	}
	if v, ok := MustParseQuantity("2k").AsInt64(); !ok || v != 2000 {
		t.Errorf("AsInt64(2k) = %d, %v", v, ok)
	}
	if _, ok := MustParseQuantity("1.5").AsInt64(); ok {
		t.Error("AsInt64(1.5) exact")
	}
	for _, in := range []string{"9223372036854775807", "-9223372036854775808", "922337203685477580.7"} {
		if q := MustParseQuantity(in); q.b != nil {
			t.Errorf("%s is held in a big.Int although it fits an int64", in)
		}
	}
	if _, ok := MustParseQuantity("1e30").AsInt64(); ok {
		t.Error("AsInt64(1e30) fits")
	}
}

func TestQuantityDeepCopySharesNothing(t *testing.T) {
	q := MustParseQuantity("123456789012345678901234567890")
	c := q.DeepCopy()
	if !c.Equal(q) {
		t.Fatal("copy differs")
	}
	if q.b == nil || c.b == q.b {
		t.Fatal("big amount shared between copies")
	}
}

func TestQuantityJSON(t *testing.T) {
	type doc struct {
		Q  Quantity  `json:"q"`
		P  *Quantity `json:"p,omitempty"`
		Zs Quantity  `json:"zs"`
	}
	tests := []struct {
		in   string
		want string
	}{
		{`{"q":"250m","zs":"0"}`, `{"q":"250m","zs":"0"}`},
		{`{"q":0.5,"zs":0}`, `{"q":"500m","zs":"0"}`},
		{`{"q":1,"zs":null}`, `{"q":"1","zs":"0"}`},
		{`{"q":1e3,"zs":"0"}`, `{"q":"1e3","zs":"0"}`},
		{`{"q":" 1Gi ","p":"1.5Gi","zs":"0"}`, `{"q":"1Gi","p":"1536Mi","zs":"0"}`},
		{`{"q":"\u0031Ki","zs":"0"}`, `{"q":"1Ki","zs":"0"}`},
	}
	for _, tt := range tests {
		var d doc
		if err := json.Unmarshal([]byte(tt.in), &d); err != nil {
			t.Fatalf("unmarshal %s: %v", tt.in, err)
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tt.want {
			t.Errorf("%s -> %s, want %s", tt.in, out, tt.want)
		}
	}
	for _, bad := range []string{`{"q":"1.2.3"}`, `{"q":true}`, `{"q":[1]}`, `{"q":"12ZZ"}`} {
		var d doc
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("unmarshal %s succeeded", bad)
		}
	}
	var q Quantity
	err := q.UnmarshalJSON([]byte(`"5i"`))
	if !errors.Is(err, ErrQuantitySuffix) {
		t.Errorf("UnmarshalJSON(5i) = %v", err)
	}
}

func TestQuantityHotPathsDoNotAllocate(t *testing.T) {
	a, b := MustParseQuantity("250m"), MustParseQuantity("64Gi")
	var sink int
	var sum Quantity
	n := testing.AllocsPerRun(100, func() {
		sink += a.Cmp(b)
		sum = a.Add(b).Sub(a)
		sink += int(sum.MilliValue() & 1)
		sink += int(b.Value() & 1)
	})
	if n != 0 {
		t.Errorf("Cmp/Add/Sub/MilliValue allocate %v times per run", n)
	}
	_ = sink
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"0", "1", "250m", "1.5Gi", "1e3", "12E-3", "-0.5", ".5", "5.", "100M", "1Ei", "8Ei", "1e-20", "123456789012345678901234567890", "1000E", "1.0001Ki", "+-1", "1Mi5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		str := q.String()
		back, err := ParseQuantity(str)
		if err != nil {
			t.Fatalf("ParseQuantity(%q) -> %q does not parse: %v", s, str, err)
		}
		if !back.Equal(q) {
			t.Fatalf("ParseQuantity(%q) = %s, reparsed %s differs", s, str, back)
		}
		if again := back.String(); again != str {
			t.Fatalf("canonical form not stable: %q -> %q -> %q", s, str, again)
		}
		if q.Add(q.Neg()).Sign() != 0 {
			t.Fatalf("%s - %s != 0", s, s)
		}
		if q.Cmp(back) != 0 || q.Sign() != back.Sign() {
			t.Fatalf("cmp/sign mismatch for %q", s)
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var j Quantity
		if err := json.Unmarshal(b, &j); err != nil || !j.Equal(q) {
			t.Fatalf("JSON round trip of %q: %s, %v", s, b, err)
		}
	})
}

func BenchmarkParseQuantity(b *testing.B) {
	for _, s := range []string{"250m", "1.5Gi", "100M"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseQuantity(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkQuantityCmp(b *testing.B) {
	x, y := MustParseQuantity("250m"), MustParseQuantity("2")
	b.ReportAllocs()
	s := 0
	for b.Loop() {
		s += x.Cmp(y)
	}
	_ = s
}

func BenchmarkQuantityAdd(b *testing.B) {
	x, y := MustParseQuantity("250m"), MustParseQuantity("2")
	b.ReportAllocs()
	var sum Quantity
	for b.Loop() {
		sum = sum.Add(x).Add(y)
	}
	_ = sum
}
