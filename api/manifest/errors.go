package manifest

import (
	"errors"
	"strconv"
	"strings"
)

// Error categories. Every *Error wraps one of these, or, for a validation
// problem, an *api.FieldError (which errors.Is reports as api.ErrInvalid).
var (
	// ErrSyntax: the input is not well-formed YAML or JSON.
	ErrSyntax = errors.New("manifest: syntax error")
	// ErrUnknownField: a field the Go type does not have.
	ErrUnknownField = errors.New("manifest: unknown field")
	// ErrDuplicateField: a key repeated within one mapping.
	ErrDuplicateField = errors.New("manifest: duplicate field")
	// ErrType: a value of the wrong type, or a malformed value (a quantity
	// such as "12ZZ", an integer out of range, a bad timestamp).
	ErrType = errors.New("manifest: wrong type or malformed value")
	// ErrUnknownKind: a missing or unknown kind, or an apiVersion that
	// does not serve the kind.
	ErrUnknownKind = errors.New("manifest: unknown kind")
	// ErrTooLarge: the input or a document exceeds a bound of
	// DecodeOptions (size, nodes visited, problems reported).
	ErrTooLarge = errors.New("manifest: input too large")
)

// Error is one problem in one document of a manifest.
type Error struct {
	// Document is the index of the document in the stream, from 1, as
	// people count: every document separated by "---" counts, empty ones
	// included.
	Document int
	// Line is the 1-based line in the whole input, or 0 when unknown.
	Line int
	// Path is the field path in the document, such as "spec.replica" or
	// "spec.template.spec.containers[0].resources.limits.memory"; empty
	// for a problem with the document as a whole.
	Path string
	// Reason says what is wrong, in lowercase.
	Reason string
	// Err is the category (one of the Err* values of this package) or an
	// *api.FieldError.
	Err error
}

// Error returns "manifest: document N (line L): path: reason".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("manifest: document ")
	b.WriteString(strconv.Itoa(e.Document))
	if e.Line > 0 {
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(")")
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the category or the *api.FieldError.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in a manifest, in input order.
type Errors []*Error

// Error lists every problem, one per line.
func (errs Errors) Error() string {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (errs Errors) Unwrap() []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}
