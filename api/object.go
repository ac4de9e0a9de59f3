package api

// Kind names a type of object, as in a manifest's "kind" field.
type Kind string

// The kinds the SDK stores.
const (
	KindNamespace               Kind = "Namespace"
	KindNode                    Kind = "Node"
	KindPod                     Kind = "Pod"
	KindReplicaSet              Kind = "ReplicaSet"
	KindDeployment              Kind = "Deployment"
	KindService                 Kind = "Service"
	KindEndpoints               Kind = "Endpoints"
	KindHorizontalPodAutoscaler Kind = "HorizontalPodAutoscaler"
	KindPodGroup                Kind = "PodGroup"
	KindResourceQuota           Kind = "ResourceQuota"
	KindLease                   Kind = "Lease"
	KindEvent                   Kind = "Event"
)

// Object is implemented by every stored kind (always through a pointer:
// *Pod, *Node, ...). Meta is promoted from the embedded ObjectMeta.
type Object interface {
	// Meta returns a pointer to the object's metadata, for reading and
	// writing in place.
	Meta() *ObjectMeta
	// Kind returns the object's kind; it never depends on field values.
	Kind() Kind
	// DeepCopyObject returns a copy that shares no memory with the original.
	DeepCopyObject() Object
}

// KindInfo describes one kind: where it lives and how to make one.
type KindInfo struct {
	Kind Kind
	// APIVersion is the manifest apiVersion, e.g. "apps/v1".
	APIVersion string
	// Namespaced is false for cluster-scoped kinds (Namespace, Node).
	Namespaced bool
	// New returns a new, empty object of the kind.
	New func() Object
}

// kinds is a fixed table; it is never modified after package load.
var kinds = [...]KindInfo{
	{KindNamespace, "v1", false, func() Object { return new(Namespace) }},
	{KindNode, "v1", false, func() Object { return new(Node) }},
	{KindPod, "v1", true, func() Object { return new(Pod) }},
	{KindReplicaSet, "apps/v1", true, func() Object { return new(ReplicaSet) }},
	{KindDeployment, "apps/v1", true, func() Object { return new(Deployment) }},
	{KindService, "v1", true, func() Object { return new(Service) }},
	{KindEndpoints, "v1", true, func() Object { return new(Endpoints) }},
	{KindHorizontalPodAutoscaler, "autoscaling/v2", true, func() Object { return new(HorizontalPodAutoscaler) }},
	{KindPodGroup, "scheduling.x-k8s.io/v1alpha1", true, func() Object { return new(PodGroup) }},
	{KindResourceQuota, "v1", true, func() Object { return new(ResourceQuota) }},
	{KindLease, "coordination.k8s.io/v1", true, func() Object { return new(Lease) }},
	{KindEvent, "v1", true, func() Object { return new(Event) }},
}

// Kinds returns every kind the SDK knows, in a fixed order.
func Kinds() []KindInfo {
	out := make([]KindInfo, len(kinds))
	copy(out, kinds[:])
	return out
}

// LookupKind returns the description of kind k, and false if the SDK does
// not know it.
func LookupKind(k Kind) (KindInfo, bool) {
	for _, ki := range kinds {
		if ki.Kind == k {
			return ki, true
		}
	}
	return KindInfo{}, false
}

func (*Namespace) Kind() Kind               { return KindNamespace }
func (*Node) Kind() Kind                    { return KindNode }
func (*Pod) Kind() Kind                     { return KindPod }
func (*ReplicaSet) Kind() Kind              { return KindReplicaSet }
func (*Deployment) Kind() Kind              { return KindDeployment }
func (*Service) Kind() Kind                 { return KindService }
func (*Endpoints) Kind() Kind               { return KindEndpoints }
func (*HorizontalPodAutoscaler) Kind() Kind { return KindHorizontalPodAutoscaler }
func (*PodGroup) Kind() Kind                { return KindPodGroup }
func (*ResourceQuota) Kind() Kind           { return KindResourceQuota }
func (*Lease) Kind() Kind                   { return KindLease }
func (*Event) Kind() Kind                   { return KindEvent }
