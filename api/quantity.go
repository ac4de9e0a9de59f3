package api

// Format is the notation a Quantity prints in.
type Format string

const (
	// DecimalExponent: 1e3, 12e-3.
	DecimalExponent Format = "DecimalExponent"
	// BinarySI: Ki, Mi, Gi, Ti, Pi, Ei.
	BinarySI Format = "BinarySI"
	// DecimalSI: n, u, m, "", k, M, G, T, P, E.
	DecimalSI Format = "DecimalSI"
)

// Quantity is a fixed-point amount with Kubernetes syntax and semantics:
// "250m", "0.5", "1e3", "256Mi", "1G". It is a value type; the zero value
// is 0. Arithmetic returns new values.
//
// TODO(api): exact implementation (being written).
type Quantity struct {
	milli  int64
	Format Format
}

// The API below is fixed; the bodies are a provisional milli-based
// implementation.

// ParseQuantity parses s in Kubernetes quantity syntax.
func ParseQuantity(s string) (Quantity, error) { panic("TODO") }

// MustParseQuantity is ParseQuantity for constants; it panics on error.
func MustParseQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// NewQuantity returns v units in format f.
func NewQuantity(v int64, f Format) Quantity { return Quantity{milli: v * 1000, Format: f} }

// NewMilliQuantity returns v thousandths of a unit in format f.
func NewMilliQuantity(v int64, f Format) Quantity { return Quantity{milli: v, Format: f} }

// Value returns the amount in units, rounded up.
func (q Quantity) Value() int64 { return (q.milli + 999) / 1000 }

// MilliValue returns the amount in thousandths of a unit, rounded up.
func (q Quantity) MilliValue() int64 { return q.milli }

// Cmp returns -1, 0 or 1 as q is less than, equal to or greater than o.
func (q Quantity) Cmp(o Quantity) int {
	switch {
	case q.milli < o.milli:
		return -1
	case q.milli > o.milli:
		return 1
	}
	return 0
}

// Add returns q+o, in q's format.
func (q Quantity) Add(o Quantity) Quantity { q.milli += o.milli; return q }

// Sub returns q-o, in q's format.
func (q Quantity) Sub(o Quantity) Quantity { q.milli -= o.milli; return q }

// IsZero reports whether q is 0.
func (q Quantity) IsZero() bool { return q.milli == 0 }

// Sign returns -1, 0 or 1.
func (q Quantity) Sign() int { return q.Cmp(Quantity{}) }

// AsApproximateFloat64 returns q as a float64.
func (q Quantity) AsApproximateFloat64() float64 { return float64(q.milli) / 1000 }

// String returns the canonical form ("250m", "256Mi", "1").
func (q Quantity) String() string { panic("TODO") }

// MarshalJSON writes the canonical form as a JSON string.
func (q Quantity) MarshalJSON() ([]byte, error) { panic("TODO") }

// UnmarshalJSON reads a JSON string or number.
func (q *Quantity) UnmarshalJSON(b []byte) error { panic("TODO") }
