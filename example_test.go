package orchestrator_test

import (
	"context"
	"fmt"
	"log"
	"time"

	orchestrator "github.com/fleetkit/orchestrator"
	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/api/manifest"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/runtime/fake"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// A whole cluster in one process: the embedded store, a control plane,
// one simulated node, and the seed article's Deployment applied from its
// manifest.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	backend, err := memstore.New(memstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	cp, err := orchestrator.NewControlPlane(orchestrator.ControlPlaneConfig{Store: backend})
	if err != nil {
		log.Fatal(err)
	}
	rt, err := fake.New(fake.Config{}) // simulated containers
	if err != nil {
		log.Fatal(err)
	}
	agent, err := node.New(node.Config{NodeName: "node-1", Store: backend, Runtime: rt,
		Capacity: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("4"), api.ResourceMemory: api.MustParseQuantity("8Gi")}})
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = cp.Run(ctx); done <- struct{}{} }()
	go func() { _ = agent.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	objs, err := manifest.DecodeBytes([]byte(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-server
spec:
  replicas: 3
  selector:
    matchLabels: {app: api-server}
  template:
    metadata:
      labels: {app: api-server}
    spec:
      containers:
        - name: api
          image: myregistry/api:v1.2.0
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {cpu: 500m, memory: 512Mi}
`))
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range objs {
		if _, err := cp.Store().Create(ctx, o); err != nil {
			log.Fatal(err)
		}
	}

	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		o, err := backend.Get(ctx, api.KindDeployment, "default", "api-server")
		if err != nil {
			log.Fatal(err)
		}
		if d := o.(*api.Deployment); d.Status.AvailableReplicas == 3 {
			fmt.Printf("deployment %s: %d/%d available\n", d.Name, d.Status.AvailableReplicas, *d.Spec.Replicas)
			return
		}
	}
	fmt.Println("not ready in time")
	// Output: deployment api-server: 3/3 available
}
