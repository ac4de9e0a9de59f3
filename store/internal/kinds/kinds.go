// Package kinds holds the per-kind knowledge of the store contract: which
// part of an object is its spec and which its status. Functions are pure
// and safe for concurrent use.
package kinds

import (
	"reflect"

	"github.com/fleetkit/orchestrator/api"
)

// HasStatus reports whether kind k has a status separate from its spec.
// Kinds without one (Endpoints, Lease, Event) treat UpdateStatus as
// Update.
func HasStatus(k api.Kind) bool {
	switch k {
	case api.KindEndpoints, api.KindLease, api.KindEvent:
		return false
	}
	return true
}

// CopyStatus sets dst's status to src's (a shallow copy: the two then
// share memory). dst and src must be of the same kind; kinds without a
// status are left alone.
func CopyStatus(dst, src api.Object) {
	switch d := dst.(type) {
	case *api.Namespace:
		d.Status = src.(*api.Namespace).Status
	case *api.Node:
		d.Status = src.(*api.Node).Status
	case *api.Pod:
		d.Status = src.(*api.Pod).Status
	case *api.ReplicaSet:
		d.Status = src.(*api.ReplicaSet).Status
	case *api.Deployment:
		d.Status = src.(*api.Deployment).Status
	case *api.Service:
		d.Status = src.(*api.Service).Status
	case *api.HorizontalPodAutoscaler:
		d.Status = src.(*api.HorizontalPodAutoscaler).Status
	case *api.PodGroup:
		d.Status = src.(*api.PodGroup).Status
	case *api.ResourceQuota:
		d.Status = src.(*api.ResourceQuota).Status
	}
}

// CopySpec sets dst's spec (everything but metadata and status) to src's,
// shallowly. For kinds without a status that is everything but metadata.
func CopySpec(dst, src api.Object) {
	switch d := dst.(type) {
	case *api.Namespace:
		d.Spec = src.(*api.Namespace).Spec
	case *api.Node:
		d.Spec = src.(*api.Node).Spec
	case *api.Pod:
		d.Spec = src.(*api.Pod).Spec
	case *api.ReplicaSet:
		d.Spec = src.(*api.ReplicaSet).Spec
	case *api.Deployment:
		d.Spec = src.(*api.Deployment).Spec
	case *api.Service:
		d.Spec = src.(*api.Service).Spec
	case *api.HorizontalPodAutoscaler:
		d.Spec = src.(*api.HorizontalPodAutoscaler).Spec
	case *api.PodGroup:
		d.Spec = src.(*api.PodGroup).Spec
	case *api.ResourceQuota:
		d.Spec = src.(*api.ResourceQuota).Spec
	case *api.Endpoints:
		d.Subsets = src.(*api.Endpoints).Subsets
	case *api.Lease:
		d.Spec = src.(*api.Lease).Spec
	case *api.Event:
		m := d.ObjectMeta
		*d = *src.(*api.Event)
		d.ObjectMeta = m
	}
}

// SpecEqual reports whether a and b (of the same kind) have equal specs,
// as CopySpec defines the spec. Generation is bumped when it is false.
func SpecEqual(a, b api.Object) bool {
	switch x := a.(type) {
	case *api.Namespace:
		return reflect.DeepEqual(x.Spec, b.(*api.Namespace).Spec)
	case *api.Node:
		return reflect.DeepEqual(x.Spec, b.(*api.Node).Spec)
	case *api.Pod:
		return reflect.DeepEqual(x.Spec, b.(*api.Pod).Spec)
	case *api.ReplicaSet:
		return reflect.DeepEqual(x.Spec, b.(*api.ReplicaSet).Spec)
	case *api.Deployment:
		return reflect.DeepEqual(x.Spec, b.(*api.Deployment).Spec)
	case *api.Service:
		return reflect.DeepEqual(x.Spec, b.(*api.Service).Spec)
	case *api.HorizontalPodAutoscaler:
		return reflect.DeepEqual(x.Spec, b.(*api.HorizontalPodAutoscaler).Spec)
	case *api.PodGroup:
		return reflect.DeepEqual(x.Spec, b.(*api.PodGroup).Spec)
	case *api.ResourceQuota:
		return reflect.DeepEqual(x.Spec, b.(*api.ResourceQuota).Spec)
	case *api.Endpoints:
		return reflect.DeepEqual(x.Subsets, b.(*api.Endpoints).Subsets)
	case *api.Lease:
		return reflect.DeepEqual(x.Spec, b.(*api.Lease).Spec)
	case *api.Event:
		xa, xb := *x, *b.(*api.Event)
		xa.ObjectMeta, xb.ObjectMeta = api.ObjectMeta{}, api.ObjectMeta{}
		return reflect.DeepEqual(xa, xb)
	}
	return reflect.DeepEqual(a, b)
}
