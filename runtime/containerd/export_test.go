package containerd_test

import (
	"context"

	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"

	"github.com/fleetkit/orchestrator/runtime/containerd"
)

func loadSpec(r *containerd.Runtime, id string) (*oci.Spec, error) {
	ctx := namespaces.WithNamespace(context.Background(), r.Namespace())
	c, err := r.Client().LoadContainer(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.Spec(ctx)
}
