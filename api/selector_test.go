package api

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Expected values follow the behaviour Kubernetes documents for
// k8s.io/apimachinery/pkg/labels.Parse and metav1.LabelSelectorAsSelector.
func TestParseSelectorCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"blank", "  \t\n", ""},
		{"equals", "app=web", "app=web"},
		{"double equals kept", "app==web", "app==web"},
		{"not equals", "tier!=db", "tier!=db"},
		{"in sorted", "env in (prod,dev)", "env in (dev,prod)"},
		{"in no space before paren", "env in(a)", "env in (a)"},
		{"notin dedup", "env notin (b,a,b)", "env notin (a,b)"},
		{"exists", "gpu", "gpu"},
		{"does not exist", "!legacy", "!legacy"},
		{"bang then space", "! legacy", "!legacy"},
		{"sorted by key", "b=1,a=2", "a=2,b=1"},
		{"whitespace everywhere", " a = b , c != d ,  e  in  ( x , y ) ", "a=b,c!=d,e in (x,y)"},
		{"tabs and newlines", "a=b,\n\tc", "a=b,c"},
		{"empty exact value", "a=", "a="},
		{"empty value before comma", "a=,b", "a=,b"},
		{"empty set", "a in ()", "a in ()"},
		{"empty member", "a in (x,)", "a in (,x)"},
		{"prefixed key", "app.kubernetes.io/name=web", "app.kubernetes.io/name=web"},
		{"greater than", "replicas>3", "replicas>3"},
		{"less than", "replicas < 10", "replicas<10"},
		{"keyword as value", "a=in", "a=in"},
		{"keyword as key", "in in (a)", "in in (a)"},
		{"same key twice", "a,a!=x", "a!=x,a"},
		{"mixed", "app=web,tier!=db,env in (a,b),!legacy", "app=web,env in (a,b),!legacy,tier!=db"},
		{"value charset", "k=A-b_c.9", "k=A-b_c.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSelector(tt.in)
			if err != nil {
				t.Fatalf("ParseSelector(%q): %v", tt.in, err)
			}
			if got := s.String(); got != tt.want {
				t.Errorf("ParseSelector(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			back, err := ParseSelector(s.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", s.String(), err)
			}
			if !selectorsEqual(s, back) {
				t.Errorf("reparse of %q differs", s.String())
			}
			if s.Empty() != (tt.want == "") {
				t.Errorf("Empty() = %v for %q", s.Empty(), tt.in)
			}
		})
	}
}

func selectorsEqual(a, b Selector) bool {
	ra, oka := a.Requirements()
	rb, okb := b.Requirements()
	return oka == okb && cmp.Equal(ra, rb, cmp.AllowUnexported(Requirement{})) && a.String() == b.String()
}

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct {
		name, in, where string
	}{
		{"trailing comma", "a=b,", "end of string"},
		{"leading comma", ",a", "','"},
		{"double comma", "a,,b", "','"},
		{"space inside value", "a=b c", "'c' at offset 4"},
		{"missing operator", "a b", "'b' at offset 2"},
		{"in without parens", "a in b", "'b' at offset 5"},
		{"unclosed set", "a in (b", "end of string"},
		{"set missing comma", "a in (b c)", "'c' at offset 8"},
		{"bang with value", "!a=b", "'=' at offset 2"},
		{"bad key char", "a$b=c", "invalid character '$'"},
		{"key too long", strings.Repeat("k", 64) + "=v", "no more than 63"},
		{"value too long", "k=" + strings.Repeat("v", 64), "no more than 63"},
		{"value bad start", "k=-v", "must start with an alphanumeric"},
		{"value bad end", "k=v.", "must end with an alphanumeric"},
		{"empty prefix", "/a=b", "prefix before '/' must be non-empty"},
		{"uppercase prefix", "Example.com/a=b", "DNS subdomain"},
		{"two slashes", "a/b/c=d", "more than one '/'"},
		{"empty name", "example.com/=b", "name part must be non-empty"},
		{"gt not integer", "a>b", "must be an integer"},
		{"gt empty", "a>", "must be an integer"},
		{"Gt word is not an operator", "a Gt 3", "'Gt' at offset 2"},
		{"triple equals", "a===b", "'=' at offset 3"},
		{"only bang", "!", "end of string"},
		{"close paren", ")", "')' at offset 0"},
		{"value is operator", "a=!", "'!' at offset 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSelector(tt.in)
			if err == nil {
				t.Fatalf("ParseSelector(%q) = %q, want error", tt.in, s)
			}
			if !errors.Is(err, ErrInvalidSelector) {
				t.Errorf("error %v does not wrap ErrInvalidSelector", err)
			}
			if !strings.Contains(err.Error(), tt.where) {
				t.Errorf("error %q does not mention %q", err, tt.where)
			}
		})
	}
}

func TestSelectorMatches(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "front", "replicas": "5", "empty": "", "word": "x5"}
	tests := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"app=web", true},
		{"app==web", true},
		{"app=db", false},
		{"app!=db", true},
		{"app!=web", false},
		{"missing!=x", true},
		{"missing=x", false},
		{"app in (db,web)", true},
		{"app in (db)", false},
		{"missing in (x)", false},
		{"app notin (db)", true},
		{"app notin (web)", false},
		{"missing notin (x)", true},
		{"app", true},
		{"missing", false},
		{"!app", false},
		{"!missing", true},
		{"empty=", true},
		{"empty", true},
		{"empty in ()", true},
		{"app=", false},
		{"replicas>3", true},
		{"replicas>5", false},
		{"replicas<6", true},
		{"replicas<5", false},
		{"missing>1", false},
		{"word>1", false},
		{"word<100", false},
		{"app=web,tier=front", true},
		{"app=web,tier=back", false},
		{"app=web,!missing,tier in (front,back),replicas>1", true},
		{"app in (a,b,c,d,e,f,g,h,i,j,web)", true},
		{"app in (a,b,c,d,e,f,g,h,i,j,k)", false},
	}
	for _, tt := range tests {
		s, err := ParseSelector(tt.sel)
		if err != nil {
			t.Fatalf("ParseSelector(%q): %v", tt.sel, err)
		}
		if got := s.Matches(labels); got != tt.want {
			t.Errorf("%q.Matches(%v) = %v, want %v", tt.sel, labels, got, tt.want)
		}
		if s.Matches(nil) != s.Matches(map[string]string{}) {
			t.Errorf("%q: nil and empty label sets differ", tt.sel)
		}
	}
}

func TestSelectorMatchesDoesNotAllocate(t *testing.T) {
	s, err := ParseSelector("app=web,!missing,tier in (front,back),replicas>1,word<3,env notin (a,b,c,d,e,f,g,h,i,j)")
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web", "tier": "front", "replicas": "5", "word": "nan"}
	n := testing.AllocsPerRun(100, func() { s.Matches(labels) })
	if n != 0 {
		t.Errorf("Matches allocates %v times per call", n)
	}
}

func TestSelectorFromSet(t *testing.T) {
	s := SelectorFromSet(map[string]string{"b": "2", "a": "1"})
	if got := s.String(); got != "a=1,b=2" {
		t.Errorf("String() = %q", got)
	}
	if !s.Matches(map[string]string{"a": "1", "b": "2", "c": "3"}) || s.Matches(map[string]string{"a": "1"}) {
		t.Error("SelectorFromSet matches wrongly")
	}
	if e := SelectorFromSet(nil); !e.Empty() || !e.Matches(nil) || e.String() != "" {
		t.Error("SelectorFromSet(nil) is not Everything")
	}
	if _, err := ValidatedSelectorFromSet(map[string]string{"bad key": "v"}); !errors.Is(err, ErrInvalidSelector) || !strings.Contains(err.Error(), "[bad key]") {
		t.Errorf("ValidatedSelectorFromSet(bad key) = %v", err)
	}
	v, err := ValidatedSelectorFromSet(map[string]string{"a": "1"})
	if err != nil || v.String() != "a=1" {
		t.Errorf("ValidatedSelectorFromSet = %v, %v", v, err)
	}
}

func TestEverythingNothing(t *testing.T) {
	e := Everything()
	if !e.Empty() || !e.Matches(nil) || !e.Matches(map[string]string{"a": "b"}) || e.String() != "" {
		t.Error("Everything")
	}
	n := Nothing()
	if n.Empty() || n.Matches(nil) || n.Matches(map[string]string{"a": "b"}) {
		t.Error("Nothing")
	}
	if reqs, ok := n.Requirements(); ok || reqs != nil {
		t.Error("Nothing.Requirements selectable")
	}
	if _, err := ParseSelector(n.String()); err == nil {
		t.Errorf("Nothing's String %q parses (it would widen to a selector that matches)", n.String())
	}
}

func TestLabelSelectorAsSelector(t *testing.T) {
	tests := []struct {
		name    string
		ls      *LabelSelector
		want    string
		nothing bool
		errPath string
	}{
		{name: "nil selects nothing", ls: nil, nothing: true},
		{name: "empty selects everything", ls: &LabelSelector{}, want: ""},
		{name: "match labels", ls: &LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "db"}}, want: "app=web,tier=db"},
		{name: "expressions", ls: &LabelSelector{
			MatchLabels: map[string]string{"app": "web"},
			MatchExpressions: []LabelSelectorRequirement{
				{Key: "env", Operator: LabelSelectorOpIn, Values: []string{"prod", "dev"}},
				{Key: "zone", Operator: LabelSelectorOpNotIn, Values: []string{"a"}},
				{Key: "gpu", Operator: LabelSelectorOpExists},
				{Key: "legacy", Operator: LabelSelectorOpDoesNotExist},
			}}, want: "app=web,env in (dev,prod),gpu,!legacy,zone notin (a)"},
		{name: "bad operator", ls: &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: LabelSelectorOpIn, Values: []string{"x"}}, {Key: "a", Operator: "Gt", Values: []string{"1"}}}}, errPath: "matchExpressions[1].operator"},
		{name: "in without values", ls: &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: LabelSelectorOpIn}}}, errPath: "matchExpressions[0].values"},
		{name: "exists with values", ls: &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: LabelSelectorOpExists, Values: []string{"x"}}}}, errPath: "matchExpressions[0].values"},
		{name: "bad value", ls: &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: LabelSelectorOpIn, Values: []string{"ok", "not ok"}}}}, errPath: "matchExpressions[0].values[1]"},
		{name: "bad key", ls: &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "-a", Operator: LabelSelectorOpExists}}}, errPath: "matchExpressions[0].key"},
		{name: "bad match label value", ls: &LabelSelector{MatchLabels: map[string]string{"app": "we b"}}, errPath: "matchLabels[app].values[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LabelSelectorAsSelector(tt.ls)
			if tt.errPath != "" {
				if !errors.Is(err, ErrInvalidSelector) || !strings.Contains(err.Error(), tt.errPath) {
					t.Fatalf("err = %v, want one naming %s", err, tt.errPath)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.nothing {
				if s.Matches(nil) || s.Empty() {
					t.Error("nil LabelSelector matches")
				}
				return
			}
			if got := s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			p, err := ParseSelector(s.String())
			if err != nil || !selectorsEqual(p, s) {
				t.Errorf("parse of %q differs: %v", s.String(), err)
			}
		})
	}
	// The selector does not alias the caller's slices.
	ls := &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: LabelSelectorOpIn, Values: []string{"x"}}}}
	s, err := LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	ls.MatchExpressions[0].Values[0] = "y"
	if !s.Matches(map[string]string{"a": "x"}) {
		t.Error("selector aliases the LabelSelector's values")
	}
}

func TestRequirementAccessors(t *testing.T) {
	r, err := NewRequirement("env", SelectionIn, []string{"b", "a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Key() != "env" || r.Operator() != SelectionIn || !cmp.Equal(r.Values(), []string{"a", "b"}) {
		t.Errorf("accessors: %s %s %v", r.Key(), r.Operator(), r.Values())
	}
	r.Values()[0] = "z"
	if r.Values()[0] != "a" {
		t.Error("Values aliases the requirement")
	}
	s := NewSelector(r)
	reqs, ok := s.Requirements()
	if !ok || len(reqs) != 1 || reqs[0].String() != "env in (a,b)" {
		t.Errorf("Requirements() = %v, %v", reqs, ok)
	}
	if _, err := NewRequirement("a", "bogus", nil); !errors.Is(err, ErrInvalidSelector) || !strings.Contains(err.Error(), "operator") {
		t.Errorf("bogus operator: %v", err)
	}
	for _, op := range []SelectionOperator{SelectionEquals, SelectionDoubleEquals, SelectionNotEquals} {
		if _, err := NewRequirement("a", op, []string{"x", "y"}); err == nil {
			t.Errorf("%s with two values accepted", op)
		}
	}
}

func TestValidateLabel(t *testing.T) {
	good := []string{"a", "A", "0", "a.b-c_d", "example.com/a", "a.b.c/x-y", strings.Repeat("a", 63), strings.Repeat("a", 253) + "/b"}
	for _, k := range good {
		if err := ValidateLabelKey(k); err != nil {
			t.Errorf("ValidateLabelKey(%q) = %v", k, err)
		}
	}
	bad := []string{"", "-a", "a-", "a b", "a/", "/a", "a/b/c", "Ex.com/a", "ex..com/a", "-ex.com/a", strings.Repeat("a", 64), strings.Repeat("a", 254) + "/b", "ex_com/a"}
	for _, k := range bad {
		if err := ValidateLabelKey(k); !errors.Is(err, ErrInvalidLabel) {
			t.Errorf("ValidateLabelKey(%q) = %v, want ErrInvalidLabel", k, err)
		}
	}
	for _, v := range []string{"", "a", "A-b_c.d", strings.Repeat("z", 63)} {
		if err := ValidateLabelValue(v); err != nil {
			t.Errorf("ValidateLabelValue(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"-", "a/b", "a b", "_a", strings.Repeat("z", 64), "é"} {
		if err := ValidateLabelValue(v); !errors.Is(err, ErrInvalidLabel) {
			t.Errorf("ValidateLabelValue(%q) = %v", v, err)
		}
	}
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"", "a=b", "a==b,c!=d", "a in (x,y),!b,c", "x notin ()", "a>5,b<3", "example.com/k in (v,)", "a=b c", "a,,b", "!", "in in (in)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidSelector) {
				t.Fatalf("error %v does not wrap ErrInvalidSelector", err)
			}
			return
		}
		str := sel.String()
		back, err := ParseSelector(str)
		if err != nil {
			t.Fatalf("ParseSelector(%q).String() = %q does not parse: %v", s, str, err)
		}
		if !selectorsEqual(sel, back) {
			t.Fatalf("ParseSelector(%q) = %q, reparse differs: %q", s, str, back.String())
		}
		reqs, _ := sel.Requirements()
		labels := map[string]string{}
		for _, r := range reqs {
			if vs := r.Values(); len(vs) > 0 {
				labels[r.Key()] = vs[0]
			}
		}
		if sel.Matches(labels) != back.Matches(labels) {
			t.Fatalf("%q and its reparse match differently", s)
		}
	})
}

func BenchmarkSelectorMatches(b *testing.B) {
	s, err := ParseSelector("app=web,tier in (front,back),!legacy")
	if err != nil {
		b.Fatal(err)
	}
	labels := map[string]string{"app": "web", "tier": "front", "pod-template-hash": "abc"}
	b.ReportAllocs()
	for b.Loop() {
		if !s.Matches(labels) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkParseSelector(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSelector("app=web,tier in (front,back),!legacy"); err != nil {
			b.Fatal(err)
		}
	}
}
