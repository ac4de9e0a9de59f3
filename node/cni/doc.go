// Package cni is the node's pod network over CNI plugins (the reference
// plugins: bridge, host-local, loopback, portmap): each pod's network namespace gets
// a loopback interface and an eth0 on a Linux bridge of its own
// (Config.Bridge) with an address from the node's pod CIDR. The bridge is
// the pods' gateway, so pods on the node reach each other and the host
// reaches every pod.
//
// Guarantees: Setup is idempotent per sandbox (the IP is recorded under
// StateDir and returned again, also to a restarted agent); Teardown
// releases the IP and is idempotent; all state (IPAM leases, the CNI
// result cache) lives under StateDir; nothing is configured outside the
// bridge and the namespaces it is given (no masquerading), except for pods
// that ask for a hostPort: for those the portmap plugin adds its DNAT rules
// (its own CNI-HOSTPORT-* chains), removed again by Teardown.
//
// A Network is safe for concurrent use.
package cni
