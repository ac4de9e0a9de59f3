package runtime

import "errors"

// Error categories. Every error a Runtime returns wraps one of these (or a
// context error); classify with errors.Is.
var (
	// ErrNotFound: the sandbox, container or image does not exist.
	ErrNotFound = errors.New("runtime: not found")
	// ErrAlreadyExists: a sandbox or container with that name exists.
	ErrAlreadyExists = errors.New("runtime: already exists")
	// ErrInvalid: the request is malformed or asks for something the
	// backend cannot do. Retrying cannot help.
	ErrInvalid = errors.New("runtime: invalid")
	// ErrFailedPrecondition: the object is in the wrong state for the call
	// (start of a running container, exec in a stopped one).
	ErrFailedPrecondition = errors.New("runtime: failed precondition")
	// ErrUnavailable: the backend cannot be reached now. Transient.
	ErrUnavailable = errors.New("runtime: unavailable")
	// ErrImagePull: an image could not be fetched or unpacked.
	ErrImagePull = errors.New("runtime: image pull")
)

// transientError marks an error as worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Transient marks err as transient: the same call may succeed later. It
// returns nil for nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}

// IsTransient reports whether err is worth retrying: it wraps
// ErrUnavailable, was marked with Transient, or is a deadline that ran out
// inside the backend.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var te *transientError
	return errors.As(err, &te) || errors.Is(err, ErrUnavailable)
}
