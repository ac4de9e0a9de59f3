package api

import (
	"encoding/json"
	"testing"
)

func TestIntOrStringScaledValue(t *testing.T) {
	tests := []struct {
		v       IntOrString
		total   int
		roundUp bool
		want    int
		wantErr bool
	}{
		{FromInt(3), 10, true, 3, false},
		{FromInt(3), 10, false, 3, false},
		{FromString("25%"), 10, true, 3, false},
		{FromString("25%"), 10, false, 2, false},
		{FromString("25%"), 4, true, 1, false},
		{FromString("25%"), 4, false, 1, false},
		{FromString("0%"), 10, true, 0, false},
		{FromString("100%"), 7, false, 7, false},
		{FromString("33%"), 3, true, 1, false},
		{FromString("33%"), 3, false, 0, false},
		{FromString("1%"), 1, true, 1, false},
		{FromString("1%"), 1, false, 0, false},
		{FromString("150%"), 10, false, 15, false},
		{FromString("29%"), 100, true, 29, false},
		{FromString("29%"), 100, false, 29, false},
		{FromString("25"), 10, true, 0, true},
		{FromString("abc%"), 10, true, 0, true},
		{FromString("-5%"), 10, true, 0, true},
		{FromString("%"), 10, true, 0, true},
	}
	for _, tt := range tests {
		got, err := tt.v.ScaledValue(tt.total, tt.roundUp)
		if (err != nil) != tt.wantErr {
			t.Errorf("%v.ScaledValue(%d, %v) error = %v", tt.v, tt.total, tt.roundUp, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%v.ScaledValue(%d, %v) = %d, want %d", tt.v, tt.total, tt.roundUp, got, tt.want)
		}
	}
}

func TestIntOrStringJSON(t *testing.T) {
	tests := []struct {
		in   string
		want IntOrString
		out  string
	}{
		{`8080`, FromInt(8080), `8080`},
		{`-1`, FromInt(-1), `-1`},
		{`"http"`, FromString("http"), `"http"`},
		{`"25%"`, FromString("25%"), `"25%"`},
		{`"8080"`, FromString("8080"), `"8080"`},
		{`""`, FromString(""), `""`},
		{` 7 `, FromInt(7), `7`},
		{`"a\"b"`, FromString(`a"b`), `"a\"b"`},
	}
	for _, tt := range tests {
		var v IntOrString
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Fatalf("unmarshal %s: %v", tt.in, err)
		}
		if v != tt.want {
			t.Errorf("unmarshal %s = %#v, want %#v", tt.in, v, tt.want)
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tt.out {
			t.Errorf("marshal %#v = %s, want %s", v, out, tt.out)
		}
	}
	for _, bad := range []string{`1.5`, `2147483648`, `true`, `[1]`, `{}`, `"unterminated`} {
		var v IntOrString
		if err := v.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("UnmarshalJSON(%s) succeeded: %#v", bad, v)
		}
	}
	v := FromString("keep")
	if err := json.Unmarshal([]byte(`null`), &v); err != nil || v != FromString("keep") {
		t.Errorf("null: %#v, %v", v, err)
	}
	if FromInt(0).IsZero() != true || FromString("").IsZero() || FromInt(1).IsZero() {
		t.Error("IsZero")
	}
	if FromInt(42).String() != "42" || FromString("x").String() != "x" {
		t.Error("String")
	}
	type port struct {
		P IntOrString `json:"p,omitzero"`
	}
	if b, _ := json.Marshal(port{}); string(b) != `{}` {
		t.Errorf("omitzero: %s", b)
	}
}

func FuzzIntOrStringUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`1`, `"a"`, `"25%"`, `-2147483648`, `2147483648`, `null`, `1e3`, `"\u00e9"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v IntOrString
		if err := v.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %#v: %v", v, err)
		}
		var back IntOrString
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("unmarshal of %s: %v", out, err)
		}
		if back != v {
			t.Fatalf("%s -> %#v -> %s -> %#v", b, v, out, back)
		}
		_, _ = v.ScaledValue(10, true)
	})
}
