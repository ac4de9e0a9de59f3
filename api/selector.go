package api

// Selector matches label sets. Implementations are immutable and safe for
// concurrent use.
//
// TODO(api): parser (ParseSelector) and structured form
// (LabelSelectorAsSelector) being written.
type Selector interface {
	// Matches reports whether labels satisfy every requirement.
	Matches(labels map[string]string) bool
	// Empty reports whether the selector matches everything.
	Empty() bool
	// String returns the canonical string form, which ParseSelector
	// reads back to an equal selector.
	String() string
}

// ParseSelector parses a selector in Kubernetes string syntax:
// "app=web,tier!=db,env in (a,b),!legacy". The empty string selects
// everything.
func ParseSelector(s string) (Selector, error) { panic("TODO") }

// SelectorFromSet returns a selector requiring every label of set.
func SelectorFromSet(set map[string]string) Selector { panic("TODO") }

// LabelSelectorAsSelector converts the structured form. A nil
// LabelSelector selects nothing; an empty one selects everything.
func LabelSelectorAsSelector(ls *LabelSelector) (Selector, error) { panic("TODO") }

// Everything returns a selector that matches every label set.
func Everything() Selector { panic("TODO") }
