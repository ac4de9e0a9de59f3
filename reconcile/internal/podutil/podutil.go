// Package podutil holds the pod and selector helpers the built-in
// controllers share: readiness, availability, Service selector matching and owner
// references. Pure functions, safe for concurrent use.
package podutil

import (
	"time"

	"github.com/fleetkit/orchestrator/api"
)

// MatchesSet reports whether labels contain every pair of set (a Service
// selector). An empty set matches nothing, as for Services.
func MatchesSet(set, labels map[string]string) bool {
	if len(set) == 0 {
		return false
	}
	for k, v := range set {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Condition returns the pod's condition of type t, or nil.
func Condition(p *api.Pod, t api.PodConditionType) *api.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// IsReady reports whether the pod's Ready condition is True.
func IsReady(p *api.Pod) bool {
	c := Condition(p, api.PodReady)
	return c != nil && c.Status == api.ConditionTrue
}

// IsAvailable reports whether the pod has been ready for at least
// minReady at now.
func IsAvailable(p *api.Pod, minReady time.Duration, now time.Time) bool {
	c := Condition(p, api.PodReady)
	if c == nil || c.Status != api.ConditionTrue {
		return false
	}
	return minReady <= 0 || !c.LastTransitionTime.Add(minReady).After(now)
}

// AvailableIn returns how long until a ready pod becomes available
// (0 if it is, or is not ready).
func AvailableIn(p *api.Pod, minReady time.Duration, now time.Time) time.Duration {
	c := Condition(p, api.PodReady)
	if c == nil || c.Status != api.ConditionTrue || minReady <= 0 {
		return 0
	}
	return max(0, c.LastTransitionTime.Add(minReady).Sub(now))
}

// IsActive reports whether the pod counts towards a controller's replicas:
// not terminated and not being deleted.
func IsActive(p *api.Pod) bool {
	return p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed && p.DeletionTimestamp == nil
}

// ControllerOf returns the controlling owner reference, or nil.
func ControllerOf(m *api.ObjectMeta) *api.OwnerReference {
	for i := range m.OwnerReferences {
		if r := &m.OwnerReferences[i]; r.Controller != nil && *r.Controller {
			return r
		}
	}
	return nil
}

// ControllerRef returns a controlling, deletion-blocking owner reference
// to owner.
func ControllerRef(owner api.Object) api.OwnerReference {
	info, _ := api.LookupKind(owner.Kind())
	yes := true
	return api.OwnerReference{APIVersion: info.APIVersion, Kind: string(owner.Kind()), Name: owner.Meta().Name,
		UID: owner.Meta().UID, Controller: &yes, BlockOwnerDeletion: &yes}
}
