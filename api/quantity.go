package api

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

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

// Scale is a power of ten: a value v at scale s means v × 10^s.
type Scale int32

// Common scales.
const (
	Nano  Scale = -9
	Micro Scale = -6
	Milli Scale = -3
	Kilo  Scale = 3
	Mega  Scale = 6
	Giga  Scale = 9
	Tera  Scale = 12
	Peta  Scale = 15
	Exa   Scale = 18
)

// Errors returned by ParseQuantity, wrapped with the input; classify with
// errors.Is. Both also match ErrInvalidQuantity.
var (
	// ErrInvalidQuantity is the category of every quantity parse error.
	ErrInvalidQuantity = errors.New("api: invalid quantity")
	// ErrQuantityFormat: the text is not a number followed by a suffix.
	ErrQuantityFormat = fmt.Errorf("%w: want a number with an optional suffix", ErrInvalidQuantity)
	// ErrQuantitySuffix: the suffix is none of n u m k M G T P E Ki Mi
	// Gi Ti Pi Ei or an exponent e<N>/E<N>.
	ErrQuantitySuffix = fmt.Errorf("%w: unknown suffix", ErrInvalidQuantity)
)

// qMaxExponent bounds the magnitude of a quantity's decimal exponent
// (digits plus scale). Kubernetes has no such bound, but without one a
// manifest saying "1e999999999" would make the first Add with an ordinary
// value build a billion-digit number. 10^1000 is far beyond any resource.
const qMaxExponent = 1000

// Quantity is a fixed-point amount with Kubernetes syntax and semantics:
// "250m", "0.5", "1e3", "256Mi", "1G". It is a value type; the zero value
// is 0. Arithmetic returns new values and never overflows silently.
//
// The amount is an integer times a power of ten, never finer than 1n
// (10^-9): parsing rounds finer precision up (away from zero), as
// Kubernetes does. Amounts that fit an int64 at their scale are held
// inline and the hot operations (Cmp, Add, Sub, MilliValue) neither
// allocate nor lose precision; larger amounts fall back to math/big.
//
// Format is kept from the input ("1Gi" prints in BinarySI, "1G" in
// DecimalSI) and decides how String prints. Two quantities with equal
// amounts are Equal whatever their Format.
//
// A Quantity is safe for concurrent reads; the big.Int it may hold is
// never modified after creation.
type Quantity struct {
	// v is the unscaled amount when b is nil.
	v int64
	// scale: the amount is v (or b) × 10^scale; scale >= -9.
	scale int32
	// b, when non-nil, is the unscaled amount that does not fit in v.
	// It is never mutated once stored in a Quantity.
	b *big.Int
	// Format is the notation String prints in.
	Format Format
}

var qPow10 = [...]int64{
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000,
	10000000000000, 100000000000000, 1000000000000000,
	10000000000000000, 100000000000000000, 1000000000000000000,
}

// qMulPow10 returns v × 10^d (d >= 0) and whether it fits in an int64.
func qMulPow10(v int64, d int32) (int64, bool) {
	if v == 0 || d == 0 {
		return v, true
	}
	if d < 0 || int(d) >= len(qPow10) {
		return 0, false
	}
	p := qPow10[d]
	if v > 0 {
		if v > math.MaxInt64/p {
			return 0, false
		}
	} else if v < math.MinInt64/p {
		return 0, false
	}
	return v * p, true
}

func qBigPow10(d int32) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil)
}

// bigUnscaled returns the unscaled amount as a big.Int the caller may
// modify.
func (q Quantity) bigUnscaled() *big.Int {
	if q.b != nil {
		return new(big.Int).Set(q.b)
	}
	return big.NewInt(q.v)
}

// qFromBig returns the amount u × 10^scale, inline when it fits. u is
// owned by the result.
func qFromBig(u *big.Int, scale int32, f Format) Quantity {
	if u.IsInt64() {
		return Quantity{v: u.Int64(), scale: scale, Format: f}
	}
	return Quantity{b: u, scale: scale, Format: f}
}

// qDigits returns the number of decimal digits of |u| (1 for 0).
func qDigits(u *big.Int) int {
	if u.Sign() == 0 {
		return 1
	}
	// BitLen*log10(2) is within one of the digit count; correct it.
	n := int(float64(u.BitLen())*0.30102999566398) + 1
	a := new(big.Int).Abs(u)
	if a.Cmp(qBigPow10(int32(n-1))) < 0 {
		n--
	}
	if n < 1 {
		n = 1
	}
	return n
}

// ParseQuantity parses s in Kubernetes quantity syntax: an optional sign,
// a decimal number ("5", "0.5", ".5", "5."), and an optional suffix: a
// decimal SI suffix (n u m k M G T P E), a binary SI suffix (Ki Mi Gi Ti
// Pi Ei) or a decimal exponent (e3, E-3, e+3). No whitespace is allowed.
// As in Kubernetes, a missing number counts as 0 ("", though, is an
// error), precision finer than 1n is rounded up to 1n away from zero, and
// a BinarySI amount is capped at 2^63-1. Beyond Kubernetes, an amount of
// 10^1000 or more is rejected.
//
// Errors wrap ErrQuantityFormat or ErrQuantitySuffix and name the input.
func ParseQuantity(s string) (Quantity, error) {
	q, err := parseQuantity(s)
	if err != nil {
		return Quantity{}, fmt.Errorf("%w: %q", err, s)
	}
	return q, nil
}

func parseQuantity(str string) (Quantity, error) {
	if len(str) == 0 {
		return Quantity{}, ErrQuantityFormat
	}
	pos, end := 0, len(str)
	negative := false
	switch str[0] {
	case '-':
		negative = true
		pos++
	case '+':
		pos++
	}
	for pos < end && str[pos] == '0' {
		pos++
	}
	start := pos
	for pos < end && qIsDigit(str[pos]) {
		pos++
	}
	num := str[start:pos]
	denom := ""
	if pos < end && str[pos] == '.' {
		pos++
		start = pos
		for pos < end && qIsDigit(str[pos]) {
			pos++
		}
		denom = str[start:pos]
	}
	suffix := str[pos:]
	// Suffix shape: letters, then an optional sign and digits.
	i := pos
	for i < end && strings.IndexByte("eEinumkKMGTP", str[i]) >= 0 {
		i++
	}
	if i < end && (str[i] == '-' || str[i] == '+') {
		i++
	}
	for i < end && qIsDigit(str[i]) {
		i++
	}
	if i != end {
		return Quantity{}, ErrQuantityFormat
	}
	base, exp, format, ok := qSuffix(suffix)
	if !ok {
		return Quantity{}, ErrQuantitySuffix
	}

	// The unscaled amount is num+denom at scale -len(denom), times the
	// suffix.
	// num has no leading zeros; significant digits of denom follow them.
	sig := len(num) + len(denom)
	if num == "" {
		sig = len(strings.TrimLeft(denom, "0"))
	}
	if sig == 0 {
		return Quantity{Format: format}, nil
	}
	if len(denom) > math.MaxInt32/2 || sig > math.MaxInt32/2 {
		return Quantity{}, ErrQuantityFormat
	}
	scale := -int64(len(denom))
	if base == 10 {
		scale += exp
	}
	// Reject absurd magnitudes before building anything large.
	if mag := int64(sig) + scale; mag > qMaxExponent {
		return Quantity{}, fmt.Errorf("%w: magnitude beyond 10^%d", ErrInvalidQuantity, qMaxExponent)
	}

	var q Quantity
	q.Format = format
	if v, ok := qParseDigits(num, denom); ok {
		if base == 2 && exp > 0 {
			hi, lo := bits.Mul64(uint64(v), uint64(1)<<uint(exp))
			if hi == 0 && lo <= math.MaxInt64 {
				v = int64(lo)
			} else {
				q.b = new(big.Int).Lsh(big.NewInt(v), uint(exp))
			}
		}
		if q.b == nil {
			q.v = v
		}
	} else {
		u, ok := new(big.Int).SetString(num+denom, 10)
		if !ok {
			return Quantity{}, ErrQuantityFormat
		}
		if base == 2 {
			u.Lsh(u, uint(exp))
		}
		q.b = u
	}
	if negative {
		if q.b != nil {
			q.b.Neg(q.b)
		} else {
			q.v = -q.v
		}
	}
	if q.b != nil && q.b.IsInt64() {
		q.v, q.b = q.b.Int64(), nil
	}
	q = qRoundToNano(q, scale)
	if format == BinarySI {
		// Kubernetes caps binary amounts at the int64 range, and prints
		// fractions below one in DecimalSI.
		if q.b != nil {
			if q.cmpAbsInt64(math.MaxInt64) > 0 {
				v := int64(math.MaxInt64)
				if q.Sign() < 0 {
					v = -v
				}
				q = Quantity{v: v, Format: BinarySI}
			}
		}
		if q.cmpAbsInt64(1) < 0 {
			q.Format = DecimalSI
		}
	}
	return q, nil
}

// qParseDigits returns the decimal digits of a then b as an int64, and
// false when they do not fit.
func qParseDigits(a, b string) (int64, bool) {
	var v uint64
	for _, s := range [2]string{a, b} {
		for i := 0; i < len(s); i++ {
			if v > (math.MaxInt64-9)/10 {
				return 0, false
			}
			v = v*10 + uint64(s[i]-'0')
		}
	}
	return int64(v), true
}

func qIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// qSuffix returns the base (10 or 2), the exponent and the format
// of a suffix.
func qSuffix(s string) (base int, exp int64, f Format, ok bool) {
	switch s {
	case "":
		return 10, 0, DecimalSI, true
	case "n":
		return 10, -9, DecimalSI, true
	case "u":
		return 10, -6, DecimalSI, true
	case "m":
		return 10, -3, DecimalSI, true
	case "k":
		return 10, 3, DecimalSI, true
	case "M":
		return 10, 6, DecimalSI, true
	case "G":
		return 10, 9, DecimalSI, true
	case "T":
		return 10, 12, DecimalSI, true
	case "P":
		return 10, 15, DecimalSI, true
	case "E":
		return 10, 18, DecimalSI, true
	case "Ki":
		return 2, 10, BinarySI, true
	case "Mi":
		return 2, 20, BinarySI, true
	case "Gi":
		return 2, 30, BinarySI, true
	case "Ti":
		return 2, 40, BinarySI, true
	case "Pi":
		return 2, 50, BinarySI, true
	case "Ei":
		return 2, 60, BinarySI, true
	}
	if len(s) > 1 && (s[0] == 'e' || s[0] == 'E') {
		// Kubernetes parses the exponent as an int64 and truncates it to
		// int32. Here an exponent too large for an int64 is clamped, and
		// the magnitude check of parseQuantity rejects what is too large
		// (a tiny amount rounds up to 1n, as it would have anyway).
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			if !errors.Is(err, strconv.ErrRange) {
				return 0, 0, "", false
			}
			n = 1 << 40
			if s[1] == '-' {
				n = -n
			}
		}
		n = max(min(n, 1<<40), -1<<40)
		return 10, n, DecimalExponent, true
	}
	return 0, 0, "", false
}

// qRoundToNano returns the amount q (whose v or b is set, scale ignored)
// at scale, rounded up away from zero to a multiple of 1n.
func qRoundToNano(q Quantity, scale int64) Quantity {
	if scale >= int64(Nano) {
		q.scale = int32(scale)
		return q
	}
	shift := int64(Nano) - scale
	if q.b == nil {
		if shift < int64(len(qPow10)) {
			p := qPow10[shift]
			r := q.v / p
			if q.v%p != 0 {
				if q.v > 0 {
					r++
				} else {
					r--
				}
			}
			return Quantity{v: r, scale: int32(Nano), Format: q.Format}
		}
		// |v| < 10^19 <= 10^shift: a non-zero amount rounds to ±1n.
		return Quantity{v: int64(qSign(q.v)), scale: int32(Nano), Format: q.Format}
	}
	if int64(qDigits(q.b)) <= shift {
		return Quantity{v: int64(q.b.Sign()), scale: int32(Nano), Format: q.Format}
	}
	neg := q.b.Sign() < 0
	u := new(big.Int).Abs(q.b)
	r := new(big.Int)
	u.QuoRem(u, qBigPow10(int32(shift)), r)
	if r.Sign() != 0 {
		u.Add(u, big.NewInt(1))
	}
	if neg {
		u.Neg(u)
	}
	return qFromBig(u, int32(Nano), q.Format)
}

func qSign(v int64) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// MustParseQuantity is ParseQuantity for constants; it panics on error.
func MustParseQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// NewQuantity returns v units in format f.
func NewQuantity(v int64, f Format) Quantity { return Quantity{v: v, Format: f} }

// NewMilliQuantity returns v thousandths of a unit in format f.
func NewMilliQuantity(v int64, f Format) Quantity {
	return Quantity{v: v, scale: int32(Milli), Format: f}
}

// NewScaledQuantity returns v × 10^scale in DecimalSI. A scale below Nano
// is rounded up to Nano, away from zero.
func NewScaledQuantity(v int64, scale Scale) Quantity {
	return qRoundToNano(Quantity{v: v, Format: DecimalSI}, int64(scale))
}

// Value returns the amount in units, rounded up away from zero (1.2 -> 2,
// -1.2 -> -2), saturating at the int64 range.
func (q Quantity) Value() int64 { return q.ScaledValue(0) }

// MilliValue returns the amount in thousandths of a unit, rounded up away
// from zero, saturating at the int64 range.
func (q Quantity) MilliValue() int64 { return q.ScaledValue(Milli) }

// ScaledValue returns the amount in units of 10^scale, rounded up away
// from zero, saturating at the int64 range.
func (q Quantity) ScaledValue(scale Scale) int64 {
	s := int32(scale)
	if q.b == nil {
		if q.scale >= s {
			if r, ok := qMulPow10(q.v, q.scale-s); ok {
				return r
			}
			return qSaturate(qSign(q.v))
		}
		d := s - q.scale
		if int(d) >= len(qPow10) {
			return int64(qSign(q.v))
		}
		p := qPow10[d]
		r := q.v / p
		if q.v%p != 0 {
			if q.v > 0 {
				r++
			} else {
				r--
			}
		}
		return r
	}
	r, _ := q.asScaledBig(s)
	if r.IsInt64() {
		return r.Int64()
	}
	return qSaturate(r.Sign())
}

func qSaturate(sign int) int64 {
	if sign < 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}

// asScaledBig returns the amount in units of 10^s, rounded up away from
// zero, and whether that was exact.
func (q Quantity) asScaledBig(s int32) (*big.Int, bool) {
	u := q.bigUnscaled()
	if q.scale >= s {
		return u.Mul(u, qBigPow10(q.scale-s)), true
	}
	d := s - q.scale
	if qDigits(u) <= int(d) {
		return big.NewInt(int64(u.Sign())), u.Sign() == 0
	}
	neg := u.Sign() < 0
	u.Abs(u)
	r := new(big.Int)
	u.QuoRem(u, qBigPow10(d), r)
	exact := r.Sign() == 0
	if !exact {
		u.Add(u, big.NewInt(1))
	}
	if neg {
		u.Neg(u)
	}
	return u, exact
}

// AsInt64 returns the amount in units and true when it is a whole number
// that fits an int64.
func (q Quantity) AsInt64() (int64, bool) {
	if q.b == nil {
		if q.scale >= 0 {
			return qMulPow10(q.v, q.scale)
		}
		d := -q.scale
		if q.v%qPow10[d] != 0 {
			return 0, false
		}
		return q.v / qPow10[d], true
	}
	r, exact := q.asScaledBig(0)
	if !exact || !r.IsInt64() {
		return 0, false
	}
	return r.Int64(), true
}

// Cmp returns -1, 0 or 1 as q is less than, equal to or greater than o.
// It does not allocate unless an operand is beyond the int64 range.
func (q Quantity) Cmp(o Quantity) int {
	if q.b == nil && o.b == nil {
		if q.scale == o.scale {
			return qCmp64(q.v, o.v)
		}
		sq, so := qSign(q.v), qSign(o.v)
		if sq != so {
			return qCmpInt(sq, so)
		}
		if sq == 0 {
			return 0
		}
		// Same sign: align the larger scale down to the smaller one.
		if q.scale > o.scale {
			if a, ok := qMulPow10(q.v, q.scale-o.scale); ok {
				return qCmp64(a, o.v)
			}
			// |q| exceeds the int64 range at o's scale, so |q| > |o|.
			return sq
		}
		if a, ok := qMulPow10(o.v, o.scale-q.scale); ok {
			return qCmp64(q.v, a)
		}
		return -sq
	}
	return q.cmpBig(o)
}

func qCmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func qCmpInt(a, b int) int { return qCmp64(int64(a), int64(b)) }

func (q Quantity) cmpBig(o Quantity) int {
	a, b := q.bigUnscaled(), o.bigUnscaled()
	sa, sb := a.Sign(), b.Sign()
	if sa != sb {
		return qCmpInt(sa, sb)
	}
	if sa == 0 {
		return 0
	}
	// Compare orders of magnitude first so that amounts of very different
	// size are never aligned (which would build a huge number).
	ma, mb := qDigits(a)+int(q.scale), qDigits(b)+int(o.scale)
	if ma != mb {
		if ma > mb {
			return sa
		}
		return -sa
	}
	if q.scale > o.scale {
		a.Mul(a, qBigPow10(q.scale-o.scale))
	} else if o.scale > q.scale {
		b.Mul(b, qBigPow10(o.scale-q.scale))
	}
	return a.Cmp(b)
}

// cmpAbsInt64 compares |q| with n (n >= 0).
func (q Quantity) cmpAbsInt64(n int64) int {
	if q.b == nil && q.v != math.MinInt64 {
		v := q.v
		if v < 0 {
			v = -v
		}
		return Quantity{v: v, scale: q.scale}.Cmp(Quantity{v: n})
	}
	a := q.bigUnscaled()
	a.Abs(a)
	return qFromBig(a, q.scale, "").Cmp(Quantity{v: n})
}

// Equal reports whether q and o are the same amount, whatever their
// formats. go-cmp uses it.
func (q Quantity) Equal(o Quantity) bool { return q.Cmp(o) == 0 }

// Add returns q+o, in q's format (o's format when q is zero, as in
// Kubernetes). It does not allocate unless the sum is beyond the int64
// range at the finer of the two scales.
func (q Quantity) Add(o Quantity) Quantity {
	f := q.Format
	if q.IsZero() {
		f = o.Format
	}
	if q.b == nil && o.b == nil {
		a, b, s := q.v, o.v, q.scale
		ok := true
		if q.scale > o.scale {
			a, ok = qMulPow10(q.v, q.scale-o.scale)
			s = o.scale
		} else if o.scale > q.scale {
			b, ok = qMulPow10(o.v, o.scale-q.scale)
		}
		if ok {
			if r, overflow := qAdd64(a, b); !overflow {
				return Quantity{v: r, scale: s, Format: f}
			}
		}
	}
	return qAddBig(q, o, f)
}

func qAdd64(a, b int64) (int64, bool) {
	r := a + b
	// Overflow when both operands have the same sign and the result's
	// sign differs.
	return r, (a >= 0) == (b >= 0) && (r >= 0) != (a >= 0)
}

func qAddBig(q, o Quantity, f Format) Quantity {
	a, b := q.bigUnscaled(), o.bigUnscaled()
	s := q.scale
	if q.scale > o.scale {
		a.Mul(a, qBigPow10(q.scale-o.scale))
		s = o.scale
	} else if o.scale > q.scale {
		b.Mul(b, qBigPow10(o.scale-q.scale))
	}
	return qFromBig(a.Add(a, b), s, f)
}

// Sub returns q-o, in q's format (o's format when q is zero).
func (q Quantity) Sub(o Quantity) Quantity {
	f := q.Format
	if q.IsZero() {
		f = o.Format
	}
	r := q.Add(o.Neg())
	r.Format = f
	return r
}

// Neg returns -q, in q's format.
func (q Quantity) Neg() Quantity {
	if q.b == nil {
		if q.v != math.MinInt64 {
			q.v = -q.v
			return q
		}
		return Quantity{b: new(big.Int).Neg(big.NewInt(q.v)), scale: q.scale, Format: q.Format}
	}
	return qFromBig(new(big.Int).Neg(q.b), q.scale, q.Format)
}

// IsZero reports whether q is 0.
func (q Quantity) IsZero() bool {
	if q.b != nil {
		return q.b.Sign() == 0
	}
	return q.v == 0
}

// Sign returns -1, 0 or 1.
func (q Quantity) Sign() int {
	if q.b != nil {
		return q.b.Sign()
	}
	return qSign(q.v)
}

// AsApproximateFloat64 returns q as a float64, ±Inf beyond its range.
func (q Quantity) AsApproximateFloat64() float64 {
	var f float64
	if q.b != nil {
		f, _ = new(big.Float).SetInt(q.b).Float64()
	} else {
		f = float64(q.v)
	}
	if q.scale == 0 || f == 0 {
		return f
	}
	return f * math.Pow10(int(q.scale))
}

// DeepCopy returns a copy of q that shares no memory with it.
func (q Quantity) DeepCopy() Quantity {
	if q.b != nil {
		q.b = new(big.Int).Set(q.b)
	}
	return q
}

// String returns the canonical form ("250m", "256Mi", "1", "1e3"), the
// one Kubernetes prints: the smallest mantissa with a suffix of q's
// format. A BinarySI amount below 1024 in magnitude, or not a whole
// number, prints in DecimalSI; a DecimalSI amount beyond the "E" suffix
// prints with an exponent ("1e21").
func (q Quantity) String() string {
	var buf [32]byte
	return string(q.appendString(buf[:0]))
}

func (q Quantity) appendString(out []byte) []byte {
	if q.IsZero() {
		return append(out, '0')
	}
	format := q.Format
	switch format {
	case DecimalSI, DecimalExponent:
	case BinarySI:
		if q.cmpAbsInt64(1024) < 0 {
			format = DecimalSI
		} else if _, exact := q.asScaledBig(0); !exact {
			format = DecimalSI
		}
	default:
		format = DecimalExponent
	}
	if format == BinarySI {
		u, _ := q.asScaledBig(0)
		exp := 0
		r := new(big.Int)
		k := big.NewInt(1024)
		for exp < 6 {
			t := new(big.Int)
			t.QuoRem(u, k, r)
			if r.Sign() != 0 {
				break
			}
			u = t
			exp++
		}
		out = u.Append(out, 10)
		return append(out, [...]string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}[exp]...)
	}
	var exp int32
	if q.b == nil {
		m, e := q.v, q.scale
		for m%10 == 0 {
			m /= 10
			e++
		}
		switch ((e % 3) + 3) % 3 {
		case 1:
			if r, ok := qMulPow10(m, 1); ok {
				m, e = r, e-1
			} else {
				return q.appendBigCanonical(out, format)
			}
		case 2:
			if r, ok := qMulPow10(m, 2); ok {
				m, e = r, e-2
			} else {
				return q.appendBigCanonical(out, format)
			}
		}
		out = strconv.AppendInt(out, m, 10)
		exp = e
	} else {
		return q.appendBigCanonical(out, format)
	}
	return qAppendDecimalSuffix(out, exp, format)
}

func (q Quantity) appendBigCanonical(out []byte, format Format) []byte {
	u := q.bigUnscaled()
	e := q.scale
	ten := big.NewInt(10)
	r := new(big.Int)
	for {
		t := new(big.Int)
		t.QuoRem(u, ten, r)
		if r.Sign() != 0 {
			break
		}
		u = t
		e++
	}
	for ((e%3)+3)%3 != 0 {
		u.Mul(u, ten)
		e--
	}
	out = u.Append(out, 10)
	return qAppendDecimalSuffix(out, e, format)
}

func qAppendDecimalSuffix(out []byte, exp int32, format Format) []byte {
	if format == DecimalSI {
		switch exp {
		case -9:
			return append(out, 'n')
		case -6:
			return append(out, 'u')
		case -3:
			return append(out, 'm')
		case 0:
			return out
		case 3:
			return append(out, 'k')
		case 6:
			return append(out, 'M')
		case 9:
			return append(out, 'G')
		case 12:
			return append(out, 'T')
		case 15:
			return append(out, 'P')
		case 18:
			return append(out, 'E')
		}
		// No suffix that large: fall back to an exponent, as Kubernetes
		// does, rather than dropping it.
	}
	if exp == 0 {
		return out
	}
	out = append(out, 'e')
	return strconv.AppendInt(out, int64(exp), 10)
}

// MarshalJSON writes the canonical form as a JSON string.
func (q Quantity) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, 24)
	out = append(out, '"')
	out = q.appendString(out)
	return append(out, '"'), nil
}

// UnmarshalJSON reads a JSON string ("250m") or number (0.5, 1e3); null
// reads as zero. Surrounding whitespace inside the string is ignored, as
// in Kubernetes.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*q = Quantity{}
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("%w: malformed JSON string %s", ErrInvalidQuantity, s)
		}
		s = u
	} else if len(s) == 0 || !(qIsDigit(s[0]) || s[0] == '-') {
		return fmt.Errorf("%w: want a JSON string or number, got %s", ErrInvalidQuantity, s)
	}
	p, err := ParseQuantity(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*q = p
	return nil
}
