// Package endpoints is the Endpoints controller: for every Service with a
// selector it keeps an Endpoints object of the same name listing the
// addresses of the pods the selector picks.
//
// Guarantees:
//   - Ready pods are in addresses, the others in notReadyAddresses (all in
//     addresses when the Service publishes not-ready addresses); pods
//     without an IP, terminated or being deleted are left out.
//   - Named target ports are resolved per pod, from the pod's container
//     ports; pods that resolve to the same ports share a subset; a pod
//     that lacks a named port is left out of that port's subset.
//   - The result is deterministic (sorted) and written only when it
//     changes; it follows pods as they come, go, and change readiness.
//   - The Endpoints of a deleted Service are deleted. A Service without a
//     selector is not managed (its Endpoints are the user's).
package endpoints
