package etcdstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/fleetkit/orchestrator/internal/etcdtest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/etcdstore"
	"github.com/fleetkit/orchestrator/store/storetest"
)

// TestConformance runs the store suite against a fresh in-process etcd
// per subtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := newStore(t)
		return s
	})
}

// TestConformanceBinary runs the suite against the etcd server binary
// (3.4 in Debian): one server, a fresh key prefix per subtest, so each
// subtest sees an empty store. Skips outside CI without the binary.
func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	srv := etcdtest.StartBinary(t, etcdtest.Options{})
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) store.Store {
		return storeOn(t, srv, etcdstore.Config{Prefix: fmt.Sprintf("conformance-%d", n.Add(1))})
	})
}
