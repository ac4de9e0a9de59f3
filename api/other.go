package api

import "time"

// HorizontalPodAutoscaler (autoscaling/v2) scales a workload's replicas to
// keep metrics near their targets.
type HorizontalPodAutoscaler struct {
	ObjectMeta `json:"metadata"`
	Spec       HorizontalPodAutoscalerSpec   `json:"spec,omitzero"`
	Status     HorizontalPodAutoscalerStatus `json:"status,omitzero"`
}

// CrossVersionObjectReference names the scaled workload.
type CrossVersionObjectReference struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// HorizontalPodAutoscalerSpec is the desired behaviour of an HPA.
type HorizontalPodAutoscalerSpec struct {
	ScaleTargetRef CrossVersionObjectReference `json:"scaleTargetRef"`
	// MinReplicas defaults to 1.
	MinReplicas *int32                           `json:"minReplicas,omitempty"`
	MaxReplicas int32                            `json:"maxReplicas"`
	Metrics     []MetricSpec                     `json:"metrics,omitempty"`
	Behavior    *HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// MetricSourceType is Resource, Pods, Object or External.
type MetricSourceType string

const (
	ResourceMetricSourceType MetricSourceType = "Resource"
	PodsMetricSourceType     MetricSourceType = "Pods"
	ObjectMetricSourceType   MetricSourceType = "Object"
	ExternalMetricSourceType MetricSourceType = "External"
)

// MetricSpec is one metric an HPA scales on.
type MetricSpec struct {
	Type     MetricSourceType      `json:"type"`
	Resource *ResourceMetricSource `json:"resource,omitempty"`
	Pods     *PodsMetricSource     `json:"pods,omitempty"`
	Object   *ObjectMetricSource   `json:"object,omitempty"`
	External *ExternalMetricSource `json:"external,omitempty"`
}

// ResourceMetricSource scales on a resource (cpu, memory) of the pods.
type ResourceMetricSource struct {
	Name   ResourceName `json:"name"`
	Target MetricTarget `json:"target"`
}

// PodsMetricSource scales on a per-pod custom metric.
type PodsMetricSource struct {
	Metric MetricIdentifier `json:"metric"`
	Target MetricTarget     `json:"target"`
}

// ObjectMetricSource scales on a metric of another object.
type ObjectMetricSource struct {
	DescribedObject CrossVersionObjectReference `json:"describedObject"`
	Metric          MetricIdentifier            `json:"metric"`
	Target          MetricTarget                `json:"target"`
}

// ExternalMetricSource scales on a metric from outside the cluster.
type ExternalMetricSource struct {
	Metric MetricIdentifier `json:"metric"`
	Target MetricTarget     `json:"target"`
}

// MetricIdentifier names a custom metric.
type MetricIdentifier struct {
	Name     string         `json:"name"`
	Selector *LabelSelector `json:"selector,omitempty"`
}

// MetricTargetType is Utilization, Value or AverageValue.
type MetricTargetType string

const (
	UtilizationMetricType  MetricTargetType = "Utilization"
	ValueMetricType        MetricTargetType = "Value"
	AverageValueMetricType MetricTargetType = "AverageValue"
)

// MetricTarget is the target value of a metric.
type MetricTarget struct {
	Type               MetricTargetType `json:"type"`
	Value              *Quantity        `json:"value,omitempty"`
	AverageValue       *Quantity        `json:"averageValue,omitempty"`
	AverageUtilization *int32           `json:"averageUtilization,omitempty"`
}

// HorizontalPodAutoscalerBehavior tunes scaling in each direction.
type HorizontalPodAutoscalerBehavior struct {
	ScaleUp   *HPAScalingRules `json:"scaleUp,omitempty"`
	ScaleDown *HPAScalingRules `json:"scaleDown,omitempty"`
}

// HPAScalingRules bound how fast an HPA scales in one direction.
type HPAScalingRules struct {
	StabilizationWindowSeconds *int32 `json:"stabilizationWindowSeconds,omitempty"`
	// SelectPolicy is Max (the default), Min or Disabled.
	SelectPolicy string             `json:"selectPolicy,omitempty"`
	Policies     []HPAScalingPolicy `json:"policies,omitempty"`
	// Tolerance, as in Kubernetes 1.33+, overrides the 10% default.
	Tolerance *Quantity `json:"tolerance,omitempty"`
}

// HPAScalingPolicy allows a change of Value pods (type Pods) or Value
// percent (type Percent) per PeriodSeconds.
type HPAScalingPolicy struct {
	Type          string `json:"type"`
	Value         int32  `json:"value"`
	PeriodSeconds int32  `json:"periodSeconds"`
}

// HorizontalPodAutoscalerStatus is the observed state of an HPA.
type HorizontalPodAutoscalerStatus struct {
	ObservedGeneration int64          `json:"observedGeneration,omitempty"`
	LastScaleTime      *time.Time     `json:"lastScaleTime,omitempty"`
	CurrentReplicas    int32          `json:"currentReplicas,omitempty"`
	DesiredReplicas    int32          `json:"desiredReplicas"`
	CurrentMetrics     []MetricStatus `json:"currentMetrics,omitempty"`
	Conditions         []HPACondition `json:"conditions,omitempty"`
}

// MetricStatus is the last observed value of one metric.
type MetricStatus struct {
	Type     MetricSourceType      `json:"type"`
	Resource *ResourceMetricStatus `json:"resource,omitempty"`
}

// ResourceMetricStatus is the last observed value of a resource metric.
type ResourceMetricStatus struct {
	Name    ResourceName      `json:"name"`
	Current MetricValueStatus `json:"current"`
}

// MetricValueStatus is a metric's current value.
type MetricValueStatus struct {
	Value              *Quantity `json:"value,omitempty"`
	AverageValue       *Quantity `json:"averageValue,omitempty"`
	AverageUtilization *int32    `json:"averageUtilization,omitempty"`
}

// HPACondition is one observed aspect of an HPA (AbleToScale,
// ScalingActive, ScalingLimited).
type HPACondition struct {
	Type               string          `json:"type"`
	Status             ConditionStatus `json:"status"`
	LastTransitionTime time.Time       `json:"lastTransitionTime,omitzero"`
	Reason             string          `json:"reason,omitempty"`
	Message            string          `json:"message,omitempty"`
}

// PodGroup is a gang: no pod of the group runs until MinMember of them can
// be placed at once. Pods join with the label LabelPodGroup.
type PodGroup struct {
	ObjectMeta `json:"metadata"`
	Spec       PodGroupSpec   `json:"spec,omitzero"`
	Status     PodGroupStatus `json:"status,omitzero"`
}

// PodGroupSpec is the desired state of a gang.
type PodGroupSpec struct {
	MinMember int32 `json:"minMember"`
	// ScheduleTimeoutSeconds bounds how long placed members wait at Permit
	// for the rest. Defaults to 60.
	ScheduleTimeoutSeconds *int32       `json:"scheduleTimeoutSeconds,omitempty"`
	MinResources           ResourceList `json:"minResources,omitempty"`
}

// PodGroupPhase is Pending, Scheduled, Running, Failed or Finished.
type PodGroupPhase string

const (
	PodGroupPending   PodGroupPhase = "Pending"
	PodGroupScheduled PodGroupPhase = "Scheduled"
	PodGroupRunning   PodGroupPhase = "Running"
	PodGroupFailed    PodGroupPhase = "Failed"
	PodGroupFinished  PodGroupPhase = "Finished"
)

// PodGroupStatus is the observed state of a gang.
type PodGroupStatus struct {
	Phase              PodGroupPhase `json:"phase,omitempty"`
	Scheduled          int32         `json:"scheduled,omitempty"`
	Running            int32         `json:"running,omitempty"`
	Succeeded          int32         `json:"succeeded,omitempty"`
	Failed             int32         `json:"failed,omitempty"`
	ObservedGeneration int64         `json:"observedGeneration,omitempty"`
}

// ResourceQuota caps the total resources of a namespace's pods.
type ResourceQuota struct {
	ObjectMeta `json:"metadata"`
	Spec       ResourceQuotaSpec   `json:"spec,omitzero"`
	Status     ResourceQuotaStatus `json:"status,omitzero"`
}

// ResourceQuotaSpec: Hard maps names such as "pods", "requests.cpu",
// "limits.memory", "requests.nvidia.com/gpu" (or plain "cpu", meaning
// requests.cpu) to caps.
type ResourceQuotaSpec struct {
	Hard ResourceList `json:"hard,omitempty"`
}

// ResourceQuotaStatus is the enforced caps and current usage.
type ResourceQuotaStatus struct {
	Hard ResourceList `json:"hard,omitempty"`
	Used ResourceList `json:"used,omitempty"`
}

// Lease is a heartbeat and a lock: node agents renew one per node, and
// leader election holds one per group.
type Lease struct {
	ObjectMeta `json:"metadata"`
	Spec       LeaseSpec `json:"spec,omitzero"`
}

// LeaseSpec is the state of a lease.
type LeaseSpec struct {
	HolderIdentity       *string    `json:"holderIdentity,omitempty"`
	LeaseDurationSeconds *int32     `json:"leaseDurationSeconds,omitempty"`
	AcquireTime          *time.Time `json:"acquireTime,omitempty"`
	RenewTime            *time.Time `json:"renewTime,omitempty"`
	LeaseTransitions     *int32     `json:"leaseTransitions,omitempty"`
}

// Event records something that happened to an object, for people.
type Event struct {
	ObjectMeta     `json:"metadata"`
	InvolvedObject ObjectReference `json:"involvedObject"`
	Reason         string          `json:"reason,omitempty"`
	Message        string          `json:"message,omitempty"`
	// Type is Normal or Warning.
	Type           string      `json:"type,omitempty"`
	Count          int32       `json:"count,omitempty"`
	FirstTimestamp time.Time   `json:"firstTimestamp,omitzero"`
	LastTimestamp  time.Time   `json:"lastTimestamp,omitzero"`
	Source         EventSource `json:"source,omitzero"`
}

// EventSource names the component that recorded an event.
type EventSource struct {
	Component string `json:"component,omitempty"`
	Host      string `json:"host,omitempty"`
}

// Event types.
const (
	EventTypeNormal  = "Normal"
	EventTypeWarning = "Warning"
)
