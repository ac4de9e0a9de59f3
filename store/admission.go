package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store/internal/kinds"
)

// ErrForbidden: an admitter refused the write. Retrying the same write
// cannot help until whatever the admitter checks changes.
var ErrForbidden = errors.New("store: forbidden")

// Operation is the kind of write an Admitter is asked about.
type Operation string

// The operations admitters see. UpdateStatus is seen as Update, with obj
// the object as it would be stored (the stored spec and metadata with the
// new status).
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// Admitter decides whether a write may happen. For Create, old is nil;
// for Update, old is the stored object the write replaces; for Delete,
// obj is nil and old is the object to delete. Admit may modify obj (a
// mutating admitter): the result is validated again before it is
// written. It must not modify old, must not retain either, and must be
// safe for concurrent use. Admit may block; it must return when ctx ends.
//
// An error that wraps ErrInvalid, ErrForbidden or another store category
// (or a context error) is returned to the writer as is; any other error
// is wrapped with ErrForbidden.
type Admitter interface {
	Admit(ctx context.Context, op Operation, obj, old api.Object) error
}

// AdmitFunc adapts a function to Admitter.
type AdmitFunc func(ctx context.Context, op Operation, obj, old api.Object) error

// Admit calls f.
func (f AdmitFunc) Admit(ctx context.Context, op Operation, obj, old api.Object) error {
	return f(ctx, op, obj, old)
}

// admissionRetries bounds how often Admitting re-reads an object that
// changed between its admission and its write.
const admissionRetries = 16

// Admitting returns a Store that admits every write before next sees it:
// Create, Update and UpdateStatus run api.Default on a copy of the object
// (the caller's object is never modified), then api.Validate (Create) or
// api.ValidateUpdate against the stored object (Update, UpdateStatus),
// then the admitters in order; Delete runs the admitters. A validation
// failure wraps ErrInvalid (and api.ErrInvalid; errors.As finds the
// api.FieldErrors with every field path). The first refusal stops the
// write, and nothing stored changes.
//
// Admission and the write are atomic: the write is made conditional on
// the resourceVersion of the object that was admitted against. An
// unconditional write (resourceVersion 0) whose object changes in between
// is admitted again against the new version, up to 16 times, then fails
// with ErrConflict. Reads, watches, Revision and Compact pass through.
// The returned Store is safe for concurrent use if next and the admitters
// are.
func Admitting(next Store, admitters ...Admitter) Store {
	return &admitting{Store: next, admitters: admitters}
}

type admitting struct {
	Store
	admitters []Admitter
}

func describe(obj api.Object) string {
	m := obj.Meta()
	if m.Namespace != "" {
		return fmt.Sprintf("%s %s/%s", obj.Kind(), m.Namespace, m.Name)
	}
	return fmt.Sprintf("%s %s", obj.Kind(), m.Name)
}

func isNil(obj api.Object) bool { return obj == nil || reflect.ValueOf(obj).IsNil() }

// admit runs the admitters and classifies their errors.
func (a *admitting) admit(ctx context.Context, op Operation, obj, old api.Object) error {
	for _, ad := range a.admitters {
		if err := ad.Admit(ctx, op, obj, old); err != nil {
			if isCategorized(err) {
				return err
			}
			return fmt.Errorf("%w: %w", ErrForbidden, err)
		}
	}
	return nil
}

func isCategorized(err error) bool {
	for _, c := range []error{ErrInvalid, ErrForbidden, ErrNotFound, ErrAlreadyExists, ErrConflict,
		ErrCompacted, ErrWatchDropped, ErrUnavailable, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

func invalid(op string, obj api.Object, err error) error {
	return fmt.Errorf("store: %s %s: %w: %w", op, describe(obj), ErrInvalid, err)
}

// Create implements Writer.
func (a *admitting) Create(ctx context.Context, in api.Object) (api.Object, error) {
	if isNil(in) {
		return nil, fmt.Errorf("store: create: nil object: %w", ErrInvalid)
	}
	obj := in.DeepCopyObject()
	api.Default(obj)
	if err := api.Validate(obj); err != nil {
		return nil, invalid("create", obj, err)
	}
	if len(a.admitters) > 0 {
		if err := a.admit(ctx, Create, obj, nil); err != nil {
			return nil, err
		}
		if err := api.Validate(obj); err != nil {
			return nil, invalid("create (after admission)", obj, err)
		}
	}
	return a.Store.Create(ctx, obj)
}

// Update implements Writer.
func (a *admitting) Update(ctx context.Context, in api.Object) (api.Object, error) {
	return a.update(ctx, in, false)
}

// UpdateStatus implements Writer.
func (a *admitting) UpdateStatus(ctx context.Context, in api.Object) (api.Object, error) {
	return a.update(ctx, in, !isNil(in) && kinds.HasStatus(in.Kind()))
}

func (a *admitting) update(ctx context.Context, in api.Object, status bool) (api.Object, error) {
	if isNil(in) {
		return nil, fmt.Errorf("store: update: nil object: %w", ErrInvalid)
	}
	op, write := "update", a.Store.Update
	if status {
		op, write = "update status", a.Store.UpdateStatus
	}
	m := in.Meta()
	var err error
	for range admissionRetries {
		var cur api.Object
		cur, err = a.Store.Get(ctx, in.Kind(), m.Namespace, m.Name)
		if err != nil {
			return nil, err
		}
		old := cur.DeepCopyObject() // admitters get a copy they cannot harm us through
		obj := in.DeepCopyObject()
		api.Default(obj)
		// Admission judges what will be stored: for Update the new
		// metadata and spec with the stored status and system fields,
		// for UpdateStatus the stored object with the new status.
		checked := obj
		if status {
			checked = cur
			kinds.CopyStatus(checked, obj)
		} else {
			kinds.CopyStatus(obj, cur)
			keepSystemFields(obj.Meta(), cur.Meta())
		}
		if err := api.ValidateUpdate(checked, old); err != nil {
			return nil, invalid(op, obj, err)
		}
		if len(a.admitters) > 0 {
			if err := a.admit(ctx, Update, checked, old); err != nil {
				return nil, err
			}
			if err := api.ValidateUpdate(checked, old); err != nil {
				return nil, invalid(op+" (after admission)", obj, err)
			}
			if status {
				kinds.CopyStatus(obj, checked)
			} else {
				obj = checked
			}
		}
		if m.ResourceVersion != 0 {
			// The caller's condition; a conflict is theirs to handle.
			return write(ctx, obj)
		}
		obj.Meta().ResourceVersion = old.Meta().ResourceVersion
		out, werr := write(ctx, obj)
		if !errors.Is(werr, ErrConflict) {
			return out, werr
		}
		err = werr
	}
	return nil, fmt.Errorf("store: %s %s: the object kept changing during admission: %w", op, describe(in), err)
}

// Delete implements Writer.
func (a *admitting) Delete(ctx context.Context, kind api.Kind, namespace, name string, opts ...DeleteOption) (api.Object, error) {
	if len(a.admitters) == 0 {
		return a.Store.Delete(ctx, kind, namespace, name, opts...)
	}
	do := NewDeleteOptions(opts...)
	var err error
	for range admissionRetries {
		var old api.Object
		old, err = a.Store.Get(ctx, kind, namespace, name)
		if err != nil {
			return nil, err
		}
		if err := a.admit(ctx, Delete, nil, old); err != nil {
			return nil, err
		}
		if do.ResourceVersion != 0 {
			return a.Store.Delete(ctx, kind, namespace, name, opts...)
		}
		out, derr := a.Store.Delete(ctx, kind, namespace, name, append(opts, WithResourceVersion(old.Meta().ResourceVersion))...)
		if !errors.Is(derr, ErrConflict) || (do.UID != "" && do.UID != old.Meta().UID) {
			return out, derr
		}
		err = derr
	}
	return nil, fmt.Errorf("store: delete %s %s/%s: the object kept changing during admission: %w", kind, namespace, name, err)
}

// keepSystemFields copies the metadata the store owns from the stored
// object: an update cannot change them (the store ignores them), so
// validation and admitters see what will be stored.
func keepSystemFields(m, stored *api.ObjectMeta) {
	if m.UID == "" {
		m.UID = stored.UID
	}
	m.Generation = stored.Generation
	m.CreationTimestamp = stored.CreationTimestamp
	m.DeletionTimestamp = stored.DeletionTimestamp
	m.DeletionGracePeriodSeconds = stored.DeletionGracePeriodSeconds
}
