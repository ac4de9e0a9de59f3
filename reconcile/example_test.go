package reconcile_test

import (
	"context"
	"fmt"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
)

// A queue hands a key out once however often it is added, and never to
// two workers at once.
func ExampleQueue() {
	q := reconcile.NewQueue(reconcile.QueueConfig{})
	defer q.ShutDown()
	web := reconcile.Request{Kind: api.KindDeployment, Namespace: "default", Name: "web"}
	q.Add(web)
	q.Add(web)
	fmt.Println("queued:", q.Len())

	req, _ := q.Get(context.Background())
	q.Add(web) // changed while being reconciled
	fmt.Println("queued while processing:", q.Len())
	q.Done(req)
	fmt.Println("queued after Done:", q.Len())
	// Output:
	// queued: 1
	// queued while processing: 0
	// queued after Done: 1
}
