// Package orchestrator is the composition root of fleetkit/orchestrator, a
// Go SDK of container-orchestration primitives: desired state kept in a
// store, controllers that reconcile reality towards it, a scheduler that
// picks the best node, and node agents that run and heal containers.
//
// Every part is a package of its own that a host program can import and
// wire alone; this package wires them into a control plane
// (NewControlPlane), and examples/cluster wires a control plane and node
// agents into a whole cluster in one process. This page is a tour, one
// heading per package, from the bottom layer up. Imports point downwards
// only.
//
// # api — objects, quantities, selectors, manifests
//
// Kinds with Kubernetes field names and apiVersions (Namespace, Node, Pod,
// ReplicaSet, Deployment, Service, Endpoints, HorizontalPodAutoscaler,
// PodGroup, ResourceQuota, Lease, Event), each with ObjectMeta, spec and
// status; Quantity ("250m", "256Mi") and label selectors with Kubernetes'
// exact syntax and semantics; Default and Validate, the one place for
// defaulting and validation rules, whose errors name every field path; and
// api/manifest, a strict decoder of multi-document YAML and JSON whose
// errors name the document, the field path and the line. The api package
// imports nothing else of this module.
//
// # store — the revisioned store contract
//
// store.Store: one global revision that only grows, compare-and-swap
// updates, deletes with preconditions and finalizers, lists consistent at a
// revision with paging, and watches from a revision with no gaps and no
// duplicates. Backends: store/memstore (the embedded default) and
// store/etcdstore (etcd v3, for several machines); store/storetest is the
// conformance suite both pass. store.Admitting runs defaulting, validation
// and admission hooks (such as quotas) on every write; store.Client gives
// typed access. store/informer keeps indexed local caches that recover by
// themselves from compaction, dropped watches and restarts.
//
// # leader — one active instance among several
//
// leader.LeaseElector elects through a Lease object on any store;
// leader/etcdleader uses etcd's own leases and elections. A leader stops
// acting before anyone else can take over.
//
// # sched — the scheduler
//
// A plugin framework (PreFilter, Filter, PostFilter, PreScore, Score,
// Reserve, Permit, PreBind, Bind, PostBind as small interfaces; a registry
// the host passes in; profiles by schedulerName), the default plugins with
// Kubernetes' semantics and formulas, preemption, gang scheduling through
// PodGroups, and explanations ("0/5000 nodes are available: ...") for
// every pod that does not fit.
//
// # reconcile — controllers
//
// The controller kit (a Reconciler takes a key, never an event; a queue
// that de-duplicates keys, never runs one key twice at once, and backs
// off) and the built-in controllers, one package each: replicaset,
// deployment (rolling update, rollback, progress deadline, opt-in
// automatic rollback), nodelifecycle (lease-based failure detection and
// eviction), endpoints, gc (garbage collection by owner), quota and
// podgroup.
//
// # runtime — running containers
//
// runtime.Runtime is a CRI-like interface (sandboxes, containers, images);
// runtime/containerd drives a real containerd through its v2 Go client;
// runtime/fake simulates containers for tests and for thousands of nodes
// in one process; runtime/runtimetest is the conformance suite both pass;
// runtime/ociimage writes OCI image tarballs so images need no registry.
//
// # node — the node agent
//
// node.Agent registers its Node, renews its Lease, runs the pods bound to
// it (sandbox and network, then containers), probes them (startup,
// liveness, readiness over HTTP, TCP and exec), restarts them with back-off,
// reports their status and usage, and terminates them gracefully.
// node/cni attaches pods to a bridge network through the CNI plugins.
//
// # The composition
//
// ControlPlane (this package) runs the scheduler and every controller
// against one store, with shared informers and one elector; clients write
// through ControlPlane.Store. On one machine everything runs in one
// process on memstore; when that is outgrown, the same components run as
// separate processes against etcdstore: nothing in a component knows which
// backend it has.
package orchestrator
