package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func newMem(t *testing.T) *memstore.Store {
	t.Helper()
	s, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func deployment(name string, replicas int32) *api.Deployment {
	labels := map[string]string{"app": name}
	return &api.Deployment{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name},
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: labels},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "registry.example/app:1"}}},
			},
		},
	}
}

func TestAdmittingDefaultsAndValidates(t *testing.T) {
	ctx := t.Context()
	mem := newMem(t)
	s := store.Admitting(mem)

	in := deployment("web", 3)
	in.Namespace = "" // defaulted to "default"
	before := in.DeepCopyObject()
	got, err := s.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	d := got.(*api.Deployment)
	if d.Namespace != api.DefaultNamespace || d.Spec.RevisionHistoryLimit == nil || d.Spec.Template.Spec.RestartPolicy == "" {
		t.Fatalf("create through Admitting was not defaulted: ns %q revisionHistoryLimit %v restartPolicy %q",
			d.Namespace, d.Spec.RevisionHistoryLimit, d.Spec.Template.Spec.RestartPolicy)
	}
	if diff := cmp.Diff(before, api.Object(in)); diff != "" {
		t.Fatalf("Admitting modified the caller's object (-before +after):\n%s", diff)
	}

	rev, _ := mem.Revision(ctx)
	bad := deployment("bad", -1)
	bad.Spec.Template.Labels = map[string]string{"app": "other"}
	_, err = s.Create(ctx, bad)
	if !errors.Is(err, store.ErrInvalid) || !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("invalid create: %v, want ErrInvalid", err)
	}
	var fe api.FieldErrors
	if !errors.As(err, &fe) || len(fe) < 2 {
		t.Fatalf("invalid create: %v, want api.FieldErrors with both problems", err)
	}
	for _, path := range []string{"spec.replicas", "spec.template.metadata.labels"} {
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name field %s", err, path)
		}
	}

	// ValidateUpdate: a Deployment's selector is immutable.
	up := d.DeepCopyObject().(*api.Deployment)
	up.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": "web", "x": "y"}}
	up.Spec.Template.Labels = map[string]string{"app": "web", "x": "y"}
	_, err = s.Update(ctx, up)
	if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "spec.selector") {
		t.Fatalf("update of an immutable selector: %v, want ErrInvalid naming spec.selector", err)
	}
	if now, _ := mem.Revision(ctx); now != rev {
		t.Fatalf("refused writes moved the revision from %d to %d", rev, now)
	}
	stored, err := mem.Get(ctx, api.KindDeployment, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(api.Object(d), stored); diff != "" {
		t.Fatalf("refused update changed the stored object:\n%s", diff)
	}
	_, err = mem.Get(ctx, api.KindDeployment, "default", "bad")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused create was stored: %v", err)
	}
}

func TestAdmitters(t *testing.T) {
	ctx := t.Context()
	plain := errors.New("quota exceeded")
	cases := []struct {
		name  string
		err   error
		want  []error
		exact bool
	}{
		{"forbidden as is", fmt.Errorf("no: %w", store.ErrForbidden), []error{store.ErrForbidden}, true},
		{"invalid as is", fmt.Errorf("bad label: %w", store.ErrInvalid), []error{store.ErrInvalid}, true},
		{"plain error becomes forbidden", plain, []error{store.ErrForbidden, plain}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := newMem(t)
			var ops []store.Operation
			s := store.Admitting(mem, store.AdmitFunc(func(ctx context.Context, op store.Operation, obj, old api.Object) error {
				ops = append(ops, op)
				if op == store.Create && obj.Meta().Name == "allowed" {
					return nil
				}
				return tc.err
			}))
			if _, err := s.Create(ctx, deployment("allowed", 1)); err != nil {
				t.Fatal(err)
			}
			rev, _ := mem.Revision(ctx)
			_, cerr := s.Create(ctx, deployment("refused", 1))
			up := deployment("allowed", 2)
			_, uerr := s.Update(ctx, up)
			_, serr := s.UpdateStatus(ctx, up)
			_, derr := s.Delete(ctx, api.KindDeployment, "default", "allowed")
			for _, err := range []error{cerr, uerr, serr, derr} {
				for _, w := range tc.want {
					if !errors.Is(err, w) {
						t.Fatalf("refusal %v does not wrap %v", err, w)
					}
				}
				if tc.exact && err != tc.err {
					t.Fatalf("refusal %v was not returned as is", err)
				}
			}
			if now, _ := mem.Revision(ctx); now != rev {
				t.Fatalf("refused writes moved the revision from %d to %d", rev, now)
			}
			want := []store.Operation{store.Create, store.Create, store.Update, store.Update, store.Delete}
			if diff := cmp.Diff(want, ops); diff != "" {
				t.Fatalf("operations admitted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMutatingAdmitterIsRevalidated(t *testing.T) {
	ctx := t.Context()
	s := store.Admitting(newMem(t), store.AdmitFunc(func(ctx context.Context, op store.Operation, obj, old api.Object) error {
		d := obj.(*api.Deployment)
		if d.Annotations == nil {
			d.Annotations = map[string]string{}
		}
		d.Annotations["admitted"] = "yes"
		if d.Name == "breaks" {
			r := int32(-5)
			d.Spec.Replicas = &r
		}
		return nil
	}))
	got, err := s.Create(ctx, deployment("web", 1))
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta().Annotations["admitted"] != "yes" {
		t.Fatalf("mutation of the admitter not stored: %v", got.Meta().Annotations)
	}
	_, err = s.Create(ctx, deployment("breaks", 1))
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("an admitter that made the object invalid: %v, want ErrInvalid", err)
	}
}

func TestUpdateStatusAdmitsStoredSpec(t *testing.T) {
	ctx := t.Context()
	mem := newMem(t)
	var seen *api.Deployment
	s := store.Admitting(mem, store.AdmitFunc(func(ctx context.Context, op store.Operation, obj, old api.Object) error {
		if op == store.Update {
			seen = obj.DeepCopyObject().(*api.Deployment)
		}
		return nil
	}))
	if _, err := s.Create(ctx, deployment("web", 3)); err != nil {
		t.Fatal(err)
	}
	// A status write carrying a stale, different spec: the spec is not
	// what gets stored, so it is neither validated nor shown to admitters.
	in := deployment("web", 7)
	in.Status.Replicas = 3
	got, err := s.UpdateStatus(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	d := got.(*api.Deployment)
	if *seen.Spec.Replicas != 3 || seen.Status.Replicas != 3 || *d.Spec.Replicas != 3 || d.Status.Replicas != 3 {
		t.Fatalf("admitter saw spec %d status %d; stored spec %d status %d; want 3 and 3",
			*seen.Spec.Replicas, seen.Status.Replicas, *d.Spec.Replicas, d.Status.Replicas)
	}
}

// An unconditional update is admitted against the version it replaces:
// when another writer slips in between, it is admitted again.
func TestAdmissionIsAtomicWithTheWrite(t *testing.T) {
	ctx := t.Context()
	mem := newMem(t)
	var calls atomic.Int32
	var saw []string
	s := store.Admitting(mem, store.AdmitFunc(func(ctx context.Context, op store.Operation, obj, old api.Object) error {
		if op != store.Update {
			return nil
		}
		if calls.Add(1) == 1 {
			// Another writer changes the object after admission read it.
			cur, err := mem.Get(ctx, api.KindDeployment, "default", "web")
			if err != nil {
				return err
			}
			cur.Meta().Labels = map[string]string{"interloper": "yes"}
			if _, err := mem.Update(ctx, cur); err != nil {
				return err
			}
		}
		saw = append(saw, old.Meta().Labels["interloper"])
		return nil
	}))
	if _, err := s.Create(ctx, deployment("web", 1)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Update(ctx, deployment("web", 2)) // resourceVersion 0: unconditional
	if err != nil {
		t.Fatal(err)
	}
	if *got.(*api.Deployment).Spec.Replicas != 2 {
		t.Fatal("update not stored")
	}
	if diff := cmp.Diff([]string{"", "yes"}, saw); diff != "" {
		t.Fatalf("versions admitted against (-want +got):\n%s", diff)
	}
	if calls.Load() != 2 {
		t.Fatalf("admitter ran %d times, want 2 (once per version)", calls.Load())
	}
}

func TestClient(t *testing.T) {
	ctx := t.Context()
	s := store.Admitting(newMem(t))
	pods := store.NewClient[*api.Pod](s)
	if pods.Kind() != api.KindPod {
		t.Fatalf("kind %s", pods.Kind())
	}
	w, err := pods.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "counter", Annotations: map[string]string{"n": "0"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "app", Image: "registry.example/app:1"}}}}
	created, err := pods.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if e := <-w.Events(); e.Type != store.Added || e.Object.Name != "counter" || e.Revision != created.ResourceVersion {
		t.Fatalf("typed event %v %s at %d", e.Type, e.Object.Name, e.Revision)
	}

	// Concurrent read-modify-writes: every Mutate that succeeds
	// increments exactly once (no lost update); one that gives up under
	// contention says so with ErrConflict and changed nothing.
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var ok atomic.Int64
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				_, err := pods.Mutate(ctx, "default", "counter", func(p *api.Pod) error {
					var n int
					fmt.Sscan(p.Annotations["n"], &n)
					p.Annotations["n"] = fmt.Sprint(n + 1)
					return nil
				})
				switch {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, store.ErrConflict):
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("mutate: %v", err)
	}
	got, err := pods.Get(ctx, "default", "counter")
	if err != nil {
		t.Fatal(err)
	}
	if got.Annotations["n"] != fmt.Sprint(ok.Load()) || ok.Load() == 0 {
		t.Fatalf("counter %s after %d successful mutations", got.Annotations["n"], ok.Load())
	}

	stop := errors.New("stop")
	if _, err := pods.Mutate(ctx, "default", "counter", func(*api.Pod) error { return stop }); err != stop {
		t.Fatalf("mutate returned %v, want f's error as is", err)
	}
	_, err = pods.Mutate(ctx, "default", "missing", func(*api.Pod) error { return nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("mutate of a missing object: %v", err)
	}

	got.Status.Phase = api.PodRunning
	st, err := pods.UpdateStatus(ctx, got)
	if err != nil || st.Status.Phase != api.PodRunning {
		t.Fatalf("update status: %v %v", st, err)
	}
	l, err := pods.List(ctx)
	if err != nil || len(l.Items) != 1 || l.Items[0].Name != "counter" {
		t.Fatalf("list: %+v %v", l, err)
	}
	gone, err := pods.Delete(ctx, "default", "counter")
	if err != nil || gone.UID != created.UID {
		t.Fatalf("delete: %v %v", gone, err)
	}
	_, err = pods.Get(ctx, "default", "counter")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestTypedWatchEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pods := store.NewClient[*api.Pod](newMem(t))
	w, err := pods.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range w.Events() {
	}
	if !errors.Is(w.Err(), context.Canceled) {
		t.Fatalf("Err after cancel: %v", w.Err())
	}
	w.Stop()

	w, err = pods.Watch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	w.Stop()
	w.Stop()
	if _, ok := <-w.Events(); ok {
		t.Fatal("events open after Stop")
	}
	if w.Err() != nil {
		t.Fatalf("Err after Stop: %v", w.Err())
	}
}
