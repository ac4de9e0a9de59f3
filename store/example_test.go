package store_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// A Deployment created through Admitting(memstore): defaulted, validated,
// admitted, then stored.
func ExampleAdmitting() {
	ctx := context.Background()
	mem, err := memstore.New(memstore.Config{})
	if err != nil {
		panic(err)
	}
	defer mem.Close()
	noLatest := store.AdmitFunc(func(ctx context.Context, op store.Operation, obj, old api.Object) error {
		if d, ok := obj.(*api.Deployment); ok && d.Spec.Template.Spec.Containers[0].Image == "web:latest" {
			return fmt.Errorf("deployment %s: pin an image version: %w", d.Name, store.ErrForbidden)
		}
		return nil
	})
	deployments := store.NewClient[*api.Deployment](store.Admitting(mem, noLatest))

	replicas := int32(3)
	labels := map[string]string{"app": "web"}
	d := &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: "web"}, // namespace defaults to "default"
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: labels},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "web", Image: "web:1.27"}}},
			},
		},
	}
	created, err := deployments.Create(ctx, d)
	if err != nil {
		panic(err)
	}
	fmt.Println(created.Namespace, created.Name, "generation", created.Generation,
		"revisionHistoryLimit", *created.Spec.RevisionHistoryLimit)

	bad := d.DeepCopy()
	bad.Name = "broken"
	bad.Spec.Template.Labels = map[string]string{"app": "other"}
	_, err = deployments.Create(ctx, bad)
	fmt.Println("selector mismatch is invalid:", errors.Is(err, store.ErrInvalid))

	latest := d.DeepCopy()
	latest.Name = "latest"
	latest.Spec.Template.Spec.Containers[0].Image = "web:latest"
	_, err = deployments.Create(ctx, latest)
	fmt.Println("latest tag is forbidden:", errors.Is(err, store.ErrForbidden))
	// Output:
	// default web generation 1 revisionHistoryLimit 10
	// selector mismatch is invalid: true
	// latest tag is forbidden: true
}

// Two writers read the same version; the second write loses the
// compare-and-swap. Mutate re-reads and retries for you.
func ExampleClient_Mutate() {
	ctx := context.Background()
	mem, err := memstore.New(memstore.Config{})
	if err != nil {
		panic(err)
	}
	defer mem.Close()
	nodes := store.NewClient[*api.Node](mem)
	if _, err := nodes.Create(ctx, &api.Node{ObjectMeta: api.ObjectMeta{Name: "node-a"}}); err != nil {
		panic(err)
	}

	first, _ := nodes.Get(ctx, "", "node-a")
	second, _ := nodes.Get(ctx, "", "node-a")
	first.Spec.Unschedulable = true
	if _, err := nodes.Update(ctx, first); err != nil {
		panic(err)
	}
	second.Labels = map[string]string{"zone": "a"}
	_, err = nodes.Update(ctx, second)
	fmt.Println("stale write conflicts:", errors.Is(err, store.ErrConflict))

	n, err := nodes.Mutate(ctx, "", "node-a", func(n *api.Node) error {
		n.Labels = map[string]string{"zone": "a"}
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("unschedulable:", n.Spec.Unschedulable, "zone:", n.Labels["zone"])
	// Output:
	// stale write conflicts: true
	// unschedulable: true zone: a
}
