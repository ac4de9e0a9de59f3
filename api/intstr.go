package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IntOrString holds a number or a string, as ports ("8080" or "http") and
// rollout bounds (1 or "25%") need. The zero value is the number 0.
type IntOrString struct {
	IsString bool
	IntVal   int32
	StrVal   string
}

// FromInt returns an IntOrString holding the number v.
func FromInt(v int32) IntOrString { return IntOrString{IntVal: v} }

// FromString returns an IntOrString holding the string s.
func FromString(s string) IntOrString { return IntOrString{IsString: true, StrVal: s} }

// IsZero reports whether v is the number 0 (used by omitzero).
func (v IntOrString) IsZero() bool { return !v.IsString && v.IntVal == 0 }

// String returns the number in decimal or the string.
func (v IntOrString) String() string {
	if v.IsString {
		return v.StrVal
	}
	return strconv.Itoa(int(v.IntVal))
}

// MarshalJSON writes a JSON number or string.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.IsString {
		return json.Marshal(v.StrVal)
	}
	return strconv.AppendInt(nil, int64(v.IntVal), 10), nil
}

// UnmarshalJSON reads a JSON number (an integer within int32) or string.
// JSON null leaves v unchanged, as encoding/json does for plain values.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("api: int or string: %w", err)
		}
		*v = FromString(s)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 32)
	if err != nil {
		return fmt.Errorf("api: int or string: want an integer within int32 or a string, got %s", b)
	}
	*v = FromInt(int32(n))
	return nil
}

// ScaledValue resolves v against total: a number is returned as is; a
// percentage "N%" is N% of total, rounded up when roundUp is set and down
// otherwise (Kubernetes rounds maxSurge up and maxUnavailable down).
func (v IntOrString) ScaledValue(total int, roundUp bool) (int, error) {
	if !v.IsString {
		return int(v.IntVal), nil
	}
	s, ok := strings.CutSuffix(v.StrVal, "%")
	if !ok {
		return 0, fmt.Errorf("api: int or string: invalid value %q: want a number or a percentage", v.StrVal)
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 {
		return 0, fmt.Errorf("api: int or string: invalid value %q: want a number or a percentage", v.StrVal)
	}
	x := float64(p) * float64(total) / 100
	if roundUp {
		return int(math.Ceil(x)), nil
	}
	return int(math.Floor(x)), nil
}
