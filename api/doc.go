// Package api holds the object types of the SDK and the rules about
// them: quantities, label selectors, defaulting and validation.
//
// # What the types model
//
// The kinds (Namespace, Node, Pod, ReplicaSet, Deployment, Service,
// Endpoints, HorizontalPodAutoscaler, PodGroup, ResourceQuota, Lease,
// Event) model their Kubernetes namesakes. Field names, json names,
// apiVersions (KindInfo.APIVersion) and the meaning of each field follow
// Kubernetes, so a Kubernetes manifest applies unchanged for the fields
// the SDK supports; package api/manifest decodes such manifests strictly
// and refuses a field the SDK does not support instead of dropping it.
// Where the SDK extends Kubernetes (Probe.PeriodMilliseconds,
// DeploymentSpec.AutoRollback) the field comment says so.
//
// Every kind implements Object through a pointer. Quantity and the
// selectors use Kubernetes syntax and semantics exactly.
//
// # Default and Validate: the single place for rules
//
// Default fills every field that Kubernetes defaults (replicas 1,
// RollingUpdate 25%/25%, probe periods, Service type ClusterIP, ...), in
// place; it is idempotent and never overwrites a field that is set.
// Validate checks an object against the rules of its kind and returns nil
// or a FieldErrors listing every problem with its full field path
// ("spec.template.spec.containers[0].resources.limits.cpu",
// "metadata.labels[app.kubernetes.io/name]"); ValidateUpdate adds the
// rules on fields that may not change once an object exists. Errors from
// both satisfy errors.Is(err, ErrInvalid).
//
// These three functions are the only place where the SDK's rules about
// objects live: every entry point (manifest decoding, store writes
// through the typed client) runs Default and then Validate, and no
// other package re-implements a rule. Validate accepts an unset field
// that Default would fill, so it may run before Default too.
//
// # Concurrency
//
// The functions of this package are safe for concurrent use on distinct
// objects; Default writes the object it is given, so it must not run
// concurrently with any other use of that object. Objects are plain
// values: share them between goroutines only through DeepCopyObject or
// with synchronisation of your own.
package api
