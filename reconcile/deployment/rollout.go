package deployment

import (
	"fmt"
	"math"

	"github.com/fleetkit/orchestrator/api"
)

// ResolveFenceposts returns the absolute maxSurge and maxUnavailable of a
// rolling update of replicas pods, as Kubernetes does: percentages of
// maxSurge round up, of maxUnavailable down; when both end at 0,
// maxUnavailable becomes 1 so that the rollout can progress. Nil bounds
// default to 25%.
func ResolveFenceposts(maxSurge, maxUnavailable *api.IntOrString, replicas int32) (surge, unavailable int32, err error) {
	def := api.FromString("25%")
	if maxSurge == nil {
		maxSurge = &def
	}
	if maxUnavailable == nil {
		maxUnavailable = &def
	}
	s, err := maxSurge.ScaledValue(int(replicas), true)
	if err != nil {
		return 0, 0, fmt.Errorf("deployment: maxSurge: %w", err)
	}
	u, err := maxUnavailable.ScaledValue(int(replicas), false)
	if err != nil {
		return 0, 0, fmt.Errorf("deployment: maxUnavailable: %w", err)
	}
	if s < 0 || u < 0 {
		return 0, 0, fmt.Errorf("deployment: negative maxSurge or maxUnavailable")
	}
	if s > math.MaxInt32 || u > math.MaxInt32 {
		return 0, 0, fmt.Errorf("deployment: maxSurge or maxUnavailable out of range")
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

// NewScaleUp returns how many replicas to add to the new ReplicaSet:
// total counts every pod of the Deployment (spec replicas, or existing
// pods if more), newReplicas the new ReplicaSet's spec.
func NewScaleUp(replicas, surge, total, newReplicas int32) int32 {
	if newReplicas >= replicas {
		return 0
	}
	room := replicas + surge - total
	if room <= 0 {
		return 0
	}
	return min(room, replicas-newReplicas)
}

// OldScaleDown returns how many old replicas may go: available counts
// every available pod of the Deployment; the rest of the pods are never
// allowed to bring availability below replicas - unavailable.
func OldScaleDown(replicas, unavailable, available int32) int32 {
	return max(0, available-(replicas-unavailable))
}
