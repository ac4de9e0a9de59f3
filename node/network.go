package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/runtime"
)

// Network connects pod sandboxes to the pod network.
type Network interface {
	// Setup attaches the sandbox to the network and returns the pod's IP.
	// Idempotent: a sandbox already set up returns its IP.
	Setup(ctx context.Context, sb runtime.Sandbox, pod *api.Pod) (string, error)
	// Teardown detaches the sandbox and releases its IP. Idempotent.
	Teardown(ctx context.Context, sb runtime.Sandbox) error
}

// SimulatedNetwork hands out pod IPs from a CIDR without touching the host:
// the pod network of simulated nodes (runtime/fake). Safe for concurrent
// use.
type SimulatedNetwork struct {
	mu     sync.Mutex
	prefix netip.Prefix
	next   uint32
	byID   map[string]netip.Addr
	used   map[netip.Addr]bool
}

// NewSimulatedNetwork returns a SimulatedNetwork over cidr (for example
// "10.244.1.0/24"); .0 and .1 are never handed out.
func NewSimulatedNetwork(cidr string) (*SimulatedNetwork, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		return nil, fmt.Errorf("node: pod CIDR %q: need an IPv4 prefix of /30 or wider", cidr)
	}
	return &SimulatedNetwork{prefix: p.Masked(), next: 2, byID: map[string]netip.Addr{}, used: map[netip.Addr]bool{}}, nil
}

// Setup implements Network.
func (n *SimulatedNetwork) Setup(ctx context.Context, sb runtime.Sandbox, pod *api.Pod) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if a, ok := n.byID[sb.ID]; ok {
		return a.String(), nil
	}
	size := uint32(1) << (32 - n.prefix.Bits())
	base := binary.BigEndian.Uint32(n.prefix.Addr().AsSlice())
	for i := uint32(0); i < size; i++ {
		off := n.next
		n.next++
		if n.next >= size-1 {
			n.next = 2
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], base+off)
		a := netip.AddrFrom4(b)
		if !n.used[a] {
			n.used[a] = true
			n.byID[sb.ID] = a
			return a.String(), nil
		}
	}
	return "", fmt.Errorf("node: pod CIDR %s is exhausted", n.prefix)
}

// Teardown implements Network.
func (n *SimulatedNetwork) Teardown(ctx context.Context, sb runtime.Sandbox) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if a, ok := n.byID[sb.ID]; ok {
		delete(n.used, a)
		delete(n.byID, sb.ID)
	}
	return nil
}
