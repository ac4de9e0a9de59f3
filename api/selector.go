package api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalidSelector classifies every error of ParseSelector,
// NewRequirement, ValidatedSelectorFromSet and LabelSelectorAsSelector.
var ErrInvalidSelector = errors.New("api: invalid label selector")

// ErrInvalidLabel classifies the errors of ValidateLabelKey and
// ValidateLabelValue.
var ErrInvalidLabel = errors.New("api: invalid label")

// Selector matches label sets. Implementations are immutable and safe for
// concurrent use.
type Selector interface {
	// Matches reports whether labels satisfy every requirement. It does
	// not allocate.
	Matches(labels map[string]string) bool
	// Empty reports whether the selector matches everything.
	Empty() bool
	// String returns the canonical string form, which ParseSelector
	// reads back to an equal selector. The selector that matches nothing
	// (Nothing, a nil LabelSelector) has no string form: its String is
	// "<none>", which ParseSelector rejects rather than widening it.
	String() string
	// Requirements returns a copy of the requirements, sorted by key,
	// and false when the selector matches nothing (then there are no
	// requirements to inspect).
	Requirements() (reqs []Requirement, selectable bool)
}

// SelectionOperator is the operator of a Requirement.
type SelectionOperator string

// The operators of the string syntax. Greater-than and less-than exist
// in Kubernetes' string syntax only as ">" and "<" ("Gt"/"Lt" are node
// selector operators); their value must be an integer and they match
// labels whose value is an integer beyond it.
const (
	SelectionIn           SelectionOperator = "in"
	SelectionNotIn        SelectionOperator = "notin"
	SelectionEquals       SelectionOperator = "="
	SelectionDoubleEquals SelectionOperator = "=="
	SelectionNotEquals    SelectionOperator = "!="
	SelectionExists       SelectionOperator = "exists"
	SelectionDoesNotExist SelectionOperator = "!"
	SelectionGreaterThan  SelectionOperator = "gt"
	SelectionLessThan     SelectionOperator = "lt"
)

// Requirement is one condition on one label key. It is immutable; build
// one with NewRequirement.
type Requirement struct {
	key string
	op  SelectionOperator
	// values is sorted and free of duplicates.
	values []string
	// num is the integer value of a gt/lt requirement.
	num int64
}

// NewRequirement returns a validated requirement. In and NotIn need at
// least one value; Equals, DoubleEquals and NotEquals exactly one;
// GreaterThan and LessThan exactly one integer; Exists and DoesNotExist
// none. The key and values must be valid label keys and values. Values
// are copied, sorted and de-duplicated. Errors wrap ErrInvalidSelector.
func NewRequirement(key string, op SelectionOperator, values []string) (Requirement, error) {
	r, err := newRequirement("", key, op, values)
	if err != nil {
		return Requirement{}, fmt.Errorf("%w: %w", ErrInvalidSelector, err)
	}
	return r, nil
}

// newRequirement validates with field paths under path ("" for plain
// "key"/"values"). Its errors are not yet classified: callers wrap them
// with ErrInvalidSelector.
func newRequirement(path, key string, op SelectionOperator, values []string) (Requirement, error) {
	field := func(f string) string {
		if path == "" {
			return f
		}
		return path + "." + f
	}
	if err := ValidateLabelKey(key); err != nil {
		return Requirement{}, fmt.Errorf("%s: %w", field("key"), err)
	}
	r := Requirement{key: key, op: op}
	switch op {
	case SelectionIn, SelectionNotIn:
		if len(values) == 0 {
			return Requirement{}, fmt.Errorf("%s: for 'in', 'notin' operators, values set can't be empty", field("values"))
		}
	case SelectionEquals, SelectionDoubleEquals, SelectionNotEquals:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("%s: exact-match compatibility requires one single value, got %d", field("values"), len(values))
		}
	case SelectionExists, SelectionDoesNotExist:
		if len(values) != 0 {
			return Requirement{}, fmt.Errorf("%s: values set must be empty for exists and does not exist", field("values"))
		}
	case SelectionGreaterThan, SelectionLessThan:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("%s: for '>', '<' operators, exactly one value is required", field("values"))
		}
		n, err := strconv.ParseInt(values[0], 10, 64)
		if err != nil {
			return Requirement{}, fmt.Errorf("%s[0]: for '>', '<' operators, the value must be an integer, got %q", field("values"), values[0])
		}
		r.num = n
	default:
		return Requirement{}, fmt.Errorf("%s: unsupported operator %q", field("operator"), op)
	}
	for i, v := range values {
		if err := ValidateLabelValue(v); err != nil {
			return Requirement{}, fmt.Errorf("%s[%d]: %w", field("values"), i, err)
		}
	}
	if len(values) > 0 {
		r.values = slices.Clone(values)
		slices.Sort(r.values)
		r.values = slices.Compact(r.values)
	}
	return r, nil
}

// Key returns the label key the requirement is about.
func (r Requirement) Key() string { return r.key }

// Operator returns the requirement's operator.
func (r Requirement) Operator() SelectionOperator { return r.op }

// Values returns a copy of the sorted values.
func (r Requirement) Values() []string { return slices.Clone(r.values) }

// Matches reports whether labels satisfy r. NotIn and NotEquals match
// label sets that lack the key; GreaterThan and LessThan never match a
// missing or non-integer value. It does not allocate.
func (r Requirement) Matches(labels map[string]string) bool {
	v, ok := labels[r.key]
	switch r.op {
	case SelectionIn, SelectionEquals, SelectionDoubleEquals:
		return ok && r.has(v)
	case SelectionNotIn, SelectionNotEquals:
		return !ok || !r.has(v)
	case SelectionExists:
		return ok
	case SelectionDoesNotExist:
		return !ok
	case SelectionGreaterThan, SelectionLessThan:
		if !ok {
			return false
		}
		n, isInt := selParseInt(v)
		if !isInt {
			return false
		}
		if r.op == SelectionGreaterThan {
			return n > r.num
		}
		return n < r.num
	}
	return false
}

func (r Requirement) has(v string) bool {
	if len(r.values) <= 8 {
		for _, x := range r.values {
			if x == v {
				return true
			}
		}
		return false
	}
	_, found := slices.BinarySearch(r.values, v)
	return found
}

// selParseInt parses a base-10 int64 like strconv.ParseInt, without
// allocating an error for text that is not one.
func selParseInt(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var u uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// String returns the requirement in the string syntax: "k=v", "k!=v",
// "k in (a,b)", "k notin (a,b)", "k", "!k", "k>5", "k<5".
func (r Requirement) String() string {
	var b strings.Builder
	r.appendTo(&b)
	return b.String()
}

func (r Requirement) appendTo(b *strings.Builder) {
	if r.op == SelectionDoesNotExist {
		b.WriteByte('!')
	}
	b.WriteString(r.key)
	switch r.op {
	case SelectionExists, SelectionDoesNotExist:
		return
	case SelectionEquals, SelectionDoubleEquals, SelectionNotEquals:
		b.WriteString(string(r.op))
	case SelectionGreaterThan:
		b.WriteByte('>')
	case SelectionLessThan:
		b.WriteByte('<')
	case SelectionIn, SelectionNotIn:
		b.WriteByte(' ')
		b.WriteString(string(r.op))
		b.WriteString(" (")
		b.WriteString(strings.Join(r.values, ","))
		b.WriteByte(')')
		return
	}
	if len(r.values) == 1 {
		b.WriteString(r.values[0])
	}
}

// compare orders requirements by key, then operator, then values, so
// that String is canonical.
func (r Requirement) compare(o Requirement) int {
	if c := strings.Compare(r.key, o.key); c != 0 {
		return c
	}
	if c := strings.Compare(string(r.op), string(o.op)); c != 0 {
		return c
	}
	return slices.Compare(r.values, o.values)
}

// labelSelector is the conjunction of its requirements, sorted by
// compare. nothing marks the selector that matches no label set.
type labelSelector struct {
	reqs    []Requirement
	nothing bool
}

var _ Selector = (*labelSelector)(nil)

// NewSelector returns the conjunction of reqs (Everything when there are
// none). reqs is copied.
func NewSelector(reqs ...Requirement) Selector {
	s := &labelSelector{reqs: slices.Clone(reqs)}
	slices.SortStableFunc(s.reqs, Requirement.compare)
	return s
}

// Everything returns a selector that matches every label set.
func Everything() Selector { return &labelSelector{} }

// Nothing returns a selector that matches no label set.
func Nothing() Selector { return &labelSelector{nothing: true} }

func (s *labelSelector) Matches(labels map[string]string) bool {
	if s.nothing {
		return false
	}
	for i := range s.reqs {
		if !s.reqs[i].Matches(labels) {
			return false
		}
	}
	return true
}

func (s *labelSelector) Empty() bool { return !s.nothing && len(s.reqs) == 0 }

func (s *labelSelector) String() string {
	if s.nothing {
		return "<none>"
	}
	var b strings.Builder
	for i, r := range s.reqs {
		if i > 0 {
			b.WriteByte(',')
		}
		r.appendTo(&b)
	}
	return b.String()
}

func (s *labelSelector) Requirements() ([]Requirement, bool) {
	if s.nothing {
		return nil, false
	}
	return slices.Clone(s.reqs), true
}

// SelectorFromSet returns a selector requiring every label of set (key =
// value); an empty set selects everything. Like Kubernetes'
// SelectorFromSet it does not validate: a set with invalid keys or
// values gives a selector whose String does not parse. Use
// ValidatedSelectorFromSet for input from users.
func SelectorFromSet(set map[string]string) Selector {
	s := &labelSelector{reqs: make([]Requirement, 0, len(set))}
	for k, v := range set {
		s.reqs = append(s.reqs, Requirement{key: k, op: SelectionEquals, values: []string{v}})
	}
	slices.SortFunc(s.reqs, Requirement.compare)
	return s
}

// ValidatedSelectorFromSet is SelectorFromSet that rejects invalid keys
// and values; errors wrap ErrInvalidSelector and name the key.
func ValidatedSelectorFromSet(set map[string]string) (Selector, error) {
	s := &labelSelector{reqs: make([]Requirement, 0, len(set))}
	for k, v := range set {
		r, err := newRequirement("["+k+"]", k, SelectionEquals, []string{v})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidSelector, err)
		}
		s.reqs = append(s.reqs, r)
	}
	slices.SortFunc(s.reqs, Requirement.compare)
	return s, nil
}

// LabelSelectorAsSelector converts the structured form. A nil
// LabelSelector selects nothing; an empty one selects everything.
// matchLabels are equality requirements; matchExpressions use In, NotIn,
// Exists or DoesNotExist. Errors wrap ErrInvalidSelector and name the
// field: "matchLabels[app]: ...", "matchExpressions[1].operator: ...".
func LabelSelectorAsSelector(ls *LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	if len(ls.MatchLabels)+len(ls.MatchExpressions) == 0 {
		return Everything(), nil
	}
	s := &labelSelector{reqs: make([]Requirement, 0, len(ls.MatchLabels)+len(ls.MatchExpressions))}
	for k, v := range ls.MatchLabels {
		r, err := newRequirement("matchLabels["+k+"]", k, SelectionEquals, []string{v})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidSelector, err)
		}
		s.reqs = append(s.reqs, r)
	}
	for i, e := range ls.MatchExpressions {
		path := "matchExpressions[" + strconv.Itoa(i) + "]"
		var op SelectionOperator
		switch e.Operator {
		case LabelSelectorOpIn:
			op = SelectionIn
		case LabelSelectorOpNotIn:
			op = SelectionNotIn
		case LabelSelectorOpExists:
			op = SelectionExists
		case LabelSelectorOpDoesNotExist:
			op = SelectionDoesNotExist
		default:
			return nil, fmt.Errorf("%w: %s.operator: %q is not a valid label selector operator (want In, NotIn, Exists or DoesNotExist)", ErrInvalidSelector, path, e.Operator)
		}
		r, err := newRequirement(path, e.Key, op, e.Values)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidSelector, err)
		}
		s.reqs = append(s.reqs, r)
	}
	slices.SortStableFunc(s.reqs, Requirement.compare)
	return s, nil
}

// ValidateLabelKey checks a label key: an optional prefix, a DNS-1123
// subdomain of at most 253 characters followed by '/', then a name of 1
// to 63 characters of [A-Za-z0-9-_.] that starts and ends with an
// alphanumeric character. Errors wrap ErrInvalidLabel and say what is
// wrong.
func ValidateLabelKey(key string) error {
	name := key
	if i := strings.IndexByte(key, '/'); i >= 0 {
		prefix := key[:i]
		name = key[i+1:]
		if strings.IndexByte(name, '/') >= 0 {
			return fmt.Errorf("%w: key %q: a key is an optional DNS subdomain prefix and '/' followed by a name; it has more than one '/'", ErrInvalidLabel, key)
		}
		if prefix == "" {
			return fmt.Errorf("%w: key %q: prefix before '/' must be non-empty", ErrInvalidLabel, key)
		}
		if msg := checkDNSSubdomain(prefix); msg != "" {
			return fmt.Errorf("%w: key %q: prefix %s", ErrInvalidLabel, key, msg)
		}
	}
	if name == "" {
		return fmt.Errorf("%w: key %q: name part must be non-empty", ErrInvalidLabel, key)
	}
	if msg := selCheckName(name); msg != "" {
		return fmt.Errorf("%w: key %q: name part %s", ErrInvalidLabel, key, msg)
	}
	return nil
}

// ValidateLabelValue checks a label value: empty, or 1 to 63 characters
// of [A-Za-z0-9-_.] that start and end with an alphanumeric character.
// Errors wrap ErrInvalidLabel and say what is wrong.
func ValidateLabelValue(value string) error {
	if value == "" {
		return nil
	}
	if msg := selCheckName(value); msg != "" {
		return fmt.Errorf("%w: value %q: %s", ErrInvalidLabel, value, msg)
	}
	return nil
}

func selAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// selCheckName checks a label name or value (non-empty); it returns ""
// or what is wrong.
func selCheckName(s string) string {
	if len(s) > 63 {
		return fmt.Sprintf("must be no more than 63 characters, has %d", len(s))
	}
	if !selAlnum(s[0]) {
		return fmt.Sprintf("must start with an alphanumeric character, starts with %q", s[0])
	}
	if !selAlnum(s[len(s)-1]) {
		return fmt.Sprintf("must end with an alphanumeric character, ends with %q", s[len(s)-1])
	}
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if !selAlnum(c) && c != '-' && c != '_' && c != '.' {
			return fmt.Sprintf("has invalid character %q at offset %d (allowed: alphanumerics, '-', '_', '.')", c, i)
		}
	}
	return ""
}

// ParseSelector parses a selector in Kubernetes string syntax:
// "app=web,tier!=db,env in (a,b),!legacy". Requirements are separated by
// commas and are one of: "key" (exists), "!key" (does not exist),
// "key=value", "key==value", "key!=value", "key in (v1,v2)",
// "key notin (v1,v2)", "key>N", "key<N" (N an integer). Whitespace
// (space, tab, CR, LF) may surround any token; values may be empty
// ("key=", "key in ()"). The empty string selects everything.
//
// Errors wrap ErrInvalidSelector, quote the input and give the byte
// offset of the offending token.
func ParseSelector(s string) (Selector, error) {
	p := selParser{in: s}
	reqs, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidSelector, s, err)
	}
	sel := &labelSelector{reqs: reqs}
	slices.SortStableFunc(sel.reqs, Requirement.compare)
	return sel, nil
}

type selTokenKind int

const (
	selEOF selTokenKind = iota
	selIdent
	selComma
	selOpenPar
	selClosePar
	selBang     // "!"
	selEq       // "="
	selDoubleEq // "=="
	selNotEq    // "!="
	selGt       // ">"
	selLt       // "<"
)

type selToken struct {
	kind selTokenKind
	lit  string
	pos  int
}

func (t selToken) describe() string {
	if t.kind == selEOF {
		return "end of string"
	}
	return fmt.Sprintf("'%s' at offset %d", t.lit, t.pos)
}

type selParser struct {
	in   string
	pos  int
	peek *selToken
	tok  selToken
}

func selSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func selSpecial(c byte) bool {
	switch c {
	case '=', '!', '(', ')', ',', '>', '<':
		return true
	}
	return false
}

// next returns the next token.
func (p *selParser) next() selToken {
	if p.peek != nil {
		t := *p.peek
		p.peek = nil
		return t
	}
	for p.pos < len(p.in) && selSpace(p.in[p.pos]) {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.in) {
		return selToken{kind: selEOF, pos: start}
	}
	c := p.in[p.pos]
	two := func(k2 selTokenKind, k1 selTokenKind) selToken {
		if p.pos+1 < len(p.in) && p.in[p.pos+1] == '=' {
			p.pos += 2
			return selToken{kind: k2, lit: p.in[start:p.pos], pos: start}
		}
		p.pos++
		return selToken{kind: k1, lit: p.in[start:p.pos], pos: start}
	}
	switch c {
	case ',':
		p.pos++
		return selToken{kind: selComma, lit: ",", pos: start}
	case '(':
		p.pos++
		return selToken{kind: selOpenPar, lit: "(", pos: start}
	case ')':
		p.pos++
		return selToken{kind: selClosePar, lit: ")", pos: start}
	case '>':
		p.pos++
		return selToken{kind: selGt, lit: ">", pos: start}
	case '<':
		p.pos++
		return selToken{kind: selLt, lit: "<", pos: start}
	case '=':
		return two(selDoubleEq, selEq)
	case '!':
		return two(selNotEq, selBang)
	}
	for p.pos < len(p.in) && !selSpace(p.in[p.pos]) && !selSpecial(p.in[p.pos]) {
		p.pos++
	}
	return selToken{kind: selIdent, lit: p.in[start:p.pos], pos: start}
}

func (p *selParser) lookahead() selToken {
	if p.peek == nil {
		t := p.next()
		p.peek = &t
	}
	return *p.peek
}

func (p *selParser) parse() ([]Requirement, error) {
	var reqs []Requirement
	for {
		t := p.lookahead()
		switch t.kind {
		case selEOF:
			if len(reqs) > 0 {
				// Only reachable after a trailing comma, caught below.
				return reqs, nil
			}
			return nil, nil
		case selIdent, selBang:
		default:
			return nil, fmt.Errorf("found %s, expected: !, identifier, or end of string", t.describe())
		}
		r, err := p.parseRequirement()
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
		t = p.next()
		switch t.kind {
		case selEOF:
			return reqs, nil
		case selComma:
			if n := p.lookahead(); n.kind != selIdent && n.kind != selBang {
				return nil, fmt.Errorf("found %s, expected: identifier after ','", n.describe())
			}
		default:
			return nil, fmt.Errorf("found %s, expected: ',' or end of string", t.describe())
		}
	}
}

func (p *selParser) parseRequirement() (Requirement, error) {
	t := p.next()
	op := SelectionOperator("")
	if t.kind == selBang {
		op = SelectionDoesNotExist
		t = p.next()
	}
	if t.kind != selIdent {
		return Requirement{}, fmt.Errorf("found %s, expected: identifier", t.describe())
	}
	key, keyPos := t.lit, t.pos
	if err := ValidateLabelKey(key); err != nil {
		return Requirement{}, fmt.Errorf("at offset %d: %w", keyPos, err)
	}
	if n := p.lookahead(); n.kind == selEOF || n.kind == selComma {
		if op == "" {
			op = SelectionExists
		}
		return p.requirement(keyPos, key, op, nil)
	}
	if op == SelectionDoesNotExist {
		n := p.lookahead()
		return Requirement{}, fmt.Errorf("found %s, expected: ',' or end of string after '!%s'", n.describe(), key)
	}
	t = p.next()
	switch {
	case t.kind == selIdent && t.lit == "in":
		op = SelectionIn
	case t.kind == selIdent && t.lit == "notin":
		op = SelectionNotIn
	case t.kind == selEq:
		op = SelectionEquals
	case t.kind == selDoubleEq:
		op = SelectionDoubleEquals
	case t.kind == selNotEq:
		op = SelectionNotEquals
	case t.kind == selGt:
		op = SelectionGreaterThan
	case t.kind == selLt:
		op = SelectionLessThan
	default:
		return Requirement{}, fmt.Errorf("found %s, expected: =, ==, !=, in, notin, >, <", t.describe())
	}
	var values []string
	var err error
	valuesPos := p.lookahead().pos
	if op == SelectionIn || op == SelectionNotIn {
		values, err = p.parseValueSet()
	} else {
		values, err = p.parseExactValue()
	}
	if err != nil {
		return Requirement{}, err
	}
	return p.requirement(valuesPos, key, op, values)
}

func (p *selParser) requirement(pos int, key string, op SelectionOperator, values []string) (Requirement, error) {
	r, err := newRequirement("", key, op, values)
	if err != nil {
		return Requirement{}, fmt.Errorf("at offset %d: %w", pos, err)
	}
	return r, nil
}

func (p *selParser) parseExactValue() ([]string, error) {
	t := p.lookahead()
	if t.kind == selEOF || t.kind == selComma {
		return []string{""}, nil
	}
	t = p.next()
	if t.kind != selIdent {
		return nil, fmt.Errorf("found %s, expected: identifier", t.describe())
	}
	return []string{t.lit}, nil
}

// parseValueSet reads "(v1,v2)"; empty members, as in "()" or "(a,)",
// are the empty value, as in Kubernetes.
func (p *selParser) parseValueSet() ([]string, error) {
	t := p.next()
	if t.kind != selOpenPar {
		return nil, fmt.Errorf("found %s, expected: '('", t.describe())
	}
	var values []string
	expectValue := true
	for {
		t = p.next()
		switch t.kind {
		case selIdent:
			if !expectValue {
				return nil, fmt.Errorf("found %s, expected: ',' or ')'", t.describe())
			}
			values = append(values, t.lit)
			expectValue = false
		case selComma:
			if expectValue {
				values = append(values, "")
			}
			expectValue = true
		case selClosePar:
			if expectValue {
				values = append(values, "")
			}
			return values, nil
		default:
			return nil, fmt.Errorf("found %s, expected: ',', ')' or identifier", t.describe())
		}
	}
}
