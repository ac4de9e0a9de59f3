package leader_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fleetkit/orchestrator/leader"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// A LeaseElector is a reconcile.Elector: controllers gate on it directly.
var _ reconcile.Elector = (*leader.LeaseElector)(nil)

// Run a function only while this process leads.
func ExampleLeaseElector_Run() {
	s, _ := memstore.New(memstore.Config{})
	defer s.Close()
	e, err := leader.New(leader.Config{
		Store: s, Name: "scheduler", Identity: "sched-a",
		LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	_ = e.Run(ctx, func(lctx context.Context) {
		fmt.Println("leading as", e.Identity())
		stop() // the work is done; Run resigns and returns
		<-lctx.Done()
	})
	fmt.Println("resigned")
	// Output:
	// leading as sched-a
	// resigned
}
