package informer_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store/informer"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	st, _ := memstore.New(memstore.Config{})
	defer st.Close()

	pods, err := informer.New(st, informer.Config[*api.Pod]{
		Indexers: map[string]informer.IndexFunc[*api.Pod]{
			"node": func(p *api.Pod) []string { return []string{p.Spec.NodeName} },
		},
	})
	if err != nil {
		panic(err)
	}
	deleted := make(chan string, 1)
	pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		DeleteFunc: func(p *api.Pod) { deleted <- p.Name },
	})
	done := make(chan error, 1)
	go func() { done <- pods.Run(ctx) }()
	if err := pods.WaitForSync(ctx); err != nil {
		panic(err)
	}

	for _, name := range []string{"web-1", "web-2", "db-1"} {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}}
		p.Spec.Containers = []api.Container{{Name: "c", Image: "busybox"}}
		p.Spec.NodeName = "node-" + name[:2]
		created, err := st.Create(ctx, p)
		if err != nil {
			panic(err)
		}
		// Read your own write from the cache.
		if err := pods.WaitForRevision(ctx, created.Meta().ResourceVersion); err != nil {
			panic(err)
		}
	}
	var onWeb []string
	for _, p := range pods.ByIndex("node", "node-we") {
		onWeb = append(onWeb, p.Name)
	}
	slices.Sort(onWeb)
	fmt.Println("on node-we:", onWeb)

	if _, err := st.Delete(ctx, api.KindPod, "default", "db-1"); err != nil {
		panic(err)
	}
	fmt.Println("deleted:", <-deleted)

	cancel()
	fmt.Println("Run:", <-done)
	// Output:
	// on node-we: [web-1 web-2]
	// deleted: db-1
	// Run: <nil>
}
