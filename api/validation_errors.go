package api

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalid classifies every error that Validate and ValidateUpdate
// return: errors.Is(err, ErrInvalid) holds for a FieldErrors and for each
// of its *FieldError.
var ErrInvalid = errors.New("api: invalid object")

// ErrorType says what is wrong with a field.
type ErrorType string

// The error types, as in Kubernetes field errors.
const (
	// ErrorTypeRequired: a required field is unset.
	ErrorTypeRequired ErrorType = "required value"
	// ErrorTypeInvalid: the value is malformed or out of range.
	ErrorTypeInvalid ErrorType = "invalid value"
	// ErrorTypeNotSupported: the value is not one of a fixed set.
	ErrorTypeNotSupported ErrorType = "unsupported value"
	// ErrorTypeDuplicate: the value repeats one that must be unique.
	ErrorTypeDuplicate ErrorType = "duplicate value"
	// ErrorTypeForbidden: the field may not be set here.
	ErrorTypeForbidden ErrorType = "forbidden"
	// ErrorTypeTooLong: the value exceeds its maximum length.
	ErrorTypeTooLong ErrorType = "too long"
	// ErrorTypeImmutable: an update changed a field that may not change.
	ErrorTypeImmutable ErrorType = "immutable"
	// ErrorTypeNotFound: a reference names something that does not exist.
	ErrorTypeNotFound ErrorType = "not found"
)

// FieldError is one problem with one field of an object.
type FieldError struct {
	// Path is the field's full path in manifest terms, for example
	// "spec.template.spec.containers[0].resources.limits.cpu" or
	// "metadata.labels[app.kubernetes.io/name]". Map keys are written in
	// brackets, except resource names, which are written as fields.
	Path string
	Type ErrorType
	// Value is the offending value, or nil when there is none to show.
	Value any
	// Detail explains the rule, in lowercase; it may be empty.
	Detail string
}

// Error returns "path: type[: value][: detail]".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	b.WriteString(": ")
	b.WriteString(string(e.Type))
	if e.Value != nil {
		b.WriteString(": ")
		switch v := e.Value.(type) {
		case string:
			b.WriteString(strconv.Quote(v))
		default:
			fmt.Fprint(&b, v)
		}
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// FieldErrors is every problem found in one object, in a fixed order (the
// order of the fields). Validate never returns an empty FieldErrors: no
// problem is a nil error.
type FieldErrors []*FieldError

// Error lists every problem, separated by "; ".
func (errs FieldErrors) Error() string {
	var b strings.Builder
	b.WriteString("api: invalid object: ")
	for i, e := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (errs FieldErrors) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the individual problems, for errors.As.
func (errs FieldErrors) Unwrap() []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

// fieldErrs collects problems while a validator walks an object.
type fieldErrs struct{ list FieldErrors }

func (f *fieldErrs) add(path string, t ErrorType, value any, detail string) {
	f.list = append(f.list, &FieldError{Path: path, Type: t, Value: value, Detail: detail})
}

func (f *fieldErrs) required(path, detail string) { f.add(path, ErrorTypeRequired, nil, detail) }

func (f *fieldErrs) invalid(path string, value any, detail string) {
	f.add(path, ErrorTypeInvalid, value, detail)
}

func (f *fieldErrs) forbidden(path, detail string) { f.add(path, ErrorTypeForbidden, nil, detail) }

func (f *fieldErrs) notSupported(path string, value any, supported ...string) {
	f.add(path, ErrorTypeNotSupported, value, "supported values: "+strings.Join(supported, ", "))
}

func (f *fieldErrs) duplicate(path string, value any) { f.add(path, ErrorTypeDuplicate, value, "") }

func (f *fieldErrs) err() error {
	if len(f.list) == 0 {
		return nil
	}
	return f.list
}

// Path builders. Paths are plain strings: validation is not a hot path
// and strings make the errors easy to compare in tests.

func fieldPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func indexPath(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

func keyPath(parent, key string) string { return parent + "[" + key + "]" }
