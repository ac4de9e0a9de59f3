package api

import (
	"reflect"
	"strings"
)

// Default values applied by Default, as in Kubernetes.
const (
	DefaultNamespace                     = "default"
	DefaultSchedulerName                 = "default-scheduler"
	DefaultDNSPolicy                     = "ClusterFirst"
	DefaultTerminationGracePeriodSeconds = 30
	DefaultRevisionHistoryLimit          = 10
	DefaultProgressDeadlineSeconds       = 600
	DefaultPodGroupScheduleTimeout       = 60
	// DefaultHPACPUUtilization is the target of the cpu metric an HPA gets
	// when it names no metric.
	DefaultHPACPUUtilization = 80
)

// Image pull policies.
const (
	PullAlways       = "Always"
	PullIfNotPresent = "IfNotPresent"
	PullNever        = "Never"
)

// Session affinities of a Service.
const (
	SessionAffinityNone     = "None"
	SessionAffinityClientIP = "ClientIP"
)

// HPA scaling policy types and select policies.
const (
	HPAPolicyPods     = "Pods"
	HPAPolicyPercent  = "Percent"
	HPASelectMax      = "Max"
	HPASelectMin      = "Min"
	HPASelectDisabled = "Disabled"
)

// Default fills in obj, in place, every field that Kubernetes defaults
// when it is unset, so that the rest of the SDK never has to interpret an
// unset field. It is idempotent (Default twice equals Default once), never
// overwrites a field that is set, and leaves invalid values for Validate
// to report. A nil obj, or a kind it does not know, is left alone.
//
// The defaults: namespace "default" for namespaced kinds; replicas 1 for
// Deployment and ReplicaSet; Deployment strategy RollingUpdate with
// maxSurge and maxUnavailable 25%, revisionHistoryLimit 10 and
// progressDeadlineSeconds 600; for every pod spec (a Pod's and the
// templates of Deployments and ReplicaSets) restartPolicy Always,
// terminationGracePeriodSeconds 30, dnsPolicy ClusterFirst, schedulerName
// "default-scheduler", toleration operator Equal, container port protocol
// TCP, imagePullPolicy Always for an image tagged :latest or untagged and
// IfNotPresent otherwise, resource requests copied from limits where only
// the limit is set, and probes with periodSeconds 10, timeoutSeconds 1,
// successThreshold 1, failureThreshold 3 (and HTTP probes path "/" and
// scheme HTTP); Service type ClusterIP, sessionAffinity None, port
// protocol TCP and targetPort equal to port; Endpoints port protocol TCP;
// HPA minReplicas 1, a cpu utilization metric of 80% when there is none,
// and the autoscaling/v2 behavior (scale up: no stabilization, the larger
// of 4 pods or 100% per 15s; scale down: a 300s window, 100% per 15s);
// PodGroup scheduleTimeoutSeconds 60.
//
// Unlike Kubernetes, which leaves a nil HPA behavior nil and applies the
// same numbers implicitly, Default materialises the behavior so that the
// autoscaler reads one place.
func Default(obj Object) {
	if isNilObject(obj) {
		return
	}
	if ki, ok := LookupKind(obj.Kind()); ok && ki.Namespaced {
		if m := obj.Meta(); m != nil && m.Namespace == "" {
			m.Namespace = DefaultNamespace
		}
	}
	switch o := obj.(type) {
	case *Pod:
		if o != nil {
			defaultPodSpec(&o.Spec)
		}
	case *ReplicaSet:
		if o != nil {
			defaultInt32(&o.Spec.Replicas, 1)
			defaultPodSpec(&o.Spec.Template.Spec)
		}
	case *Deployment:
		if o != nil {
			defaultDeployment(&o.Spec)
		}
	case *Service:
		if o != nil {
			defaultService(&o.Spec)
		}
	case *Endpoints:
		if o != nil {
			for i := range o.Subsets {
				for j := range o.Subsets[i].Ports {
					if o.Subsets[i].Ports[j].Protocol == "" {
						o.Subsets[i].Ports[j].Protocol = ProtocolTCP
					}
				}
			}
		}
	case *HorizontalPodAutoscaler:
		if o != nil {
			defaultHPA(&o.Spec)
		}
	case *PodGroup:
		if o != nil {
			defaultInt32(&o.Spec.ScheduleTimeoutSeconds, DefaultPodGroupScheduleTimeout)
		}
	}
}

func defaultInt32(p **int32, v int32) {
	if *p == nil {
		*p = &v
	}
}

func defaultDeployment(s *DeploymentSpec) {
	defaultInt32(&s.Replicas, 1)
	defaultInt32(&s.RevisionHistoryLimit, DefaultRevisionHistoryLimit)
	defaultInt32(&s.ProgressDeadlineSeconds, DefaultProgressDeadlineSeconds)
	if s.Strategy.Type == "" {
		s.Strategy.Type = RollingUpdateDeploymentStrategyType
	}
	if s.Strategy.Type == RollingUpdateDeploymentStrategyType {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &RollingUpdateDeployment{}
		}
		ru := s.Strategy.RollingUpdate
		if ru.MaxSurge == nil {
			v := FromString("25%")
			ru.MaxSurge = &v
		}
		if ru.MaxUnavailable == nil {
			v := FromString("25%")
			ru.MaxUnavailable = &v
		}
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultPodSpec(s *PodSpec) {
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartPolicyAlways
	}
	if s.TerminationGracePeriodSeconds == nil {
		v := int64(DefaultTerminationGracePeriodSeconds)
		s.TerminationGracePeriodSeconds = &v
	}
	if s.DNSPolicy == "" {
		s.DNSPolicy = DefaultDNSPolicy
	}
	if s.SchedulerName == "" {
		s.SchedulerName = DefaultSchedulerName
	}
	for i := range s.Tolerations {
		if s.Tolerations[i].Operator == "" {
			s.Tolerations[i].Operator = TolerationOpEqual
		}
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
}

func defaultContainer(c *Container) {
	if c.ImagePullPolicy == "" && c.Image != "" {
		if imageTag(c.Image) == "" || imageTag(c.Image) == "latest" {
			c.ImagePullPolicy = PullAlways
		} else {
			c.ImagePullPolicy = PullIfNotPresent
		}
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = ProtocolTCP
		}
	}
	// As Kubernetes does: a limit without a request makes the request
	// equal to the limit.
	for name, q := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[name]; !ok {
			if c.Resources.Requests == nil {
				c.Resources.Requests = make(ResourceList, len(c.Resources.Limits))
			}
			c.Resources.Requests[name] = q
		}
	}
	defaultProbe(c.StartupProbe)
	defaultProbe(c.LivenessProbe)
	defaultProbe(c.ReadinessProbe)
}

// imageTag returns the tag of an image reference ("" when it has none).
// A digest ("@sha256:...") pins the image, so it counts as a tag.
func imageTag(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		return image[i+1:]
	}
	// The tag follows the last ':' after the last '/', so that a
	// registry port ("host:5000/img") is not taken for a tag.
	last := image[strings.LastIndexByte(image, '/')+1:]
	if i := strings.LastIndexByte(last, ':'); i >= 0 {
		return last[i+1:]
	}
	return ""
}

func defaultProbe(p *Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if h := p.HTTPGet; h != nil {
		if h.Path == "" {
			h.Path = "/"
		}
		if h.Scheme == "" {
			h.Scheme = "HTTP"
		}
	}
}

func defaultService(s *ServiceSpec) {
	if s.Type == "" {
		s.Type = ServiceTypeClusterIP
	}
	if s.SessionAffinity == "" {
		s.SessionAffinity = SessionAffinityNone
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Protocol == "" {
			p.Protocol = ProtocolTCP
		}
		if p.TargetPort.IsZero() {
			p.TargetPort = FromInt(p.Port)
		}
	}
}

func defaultHPA(s *HorizontalPodAutoscalerSpec) {
	defaultInt32(&s.MinReplicas, 1)
	if len(s.Metrics) == 0 {
		u := int32(DefaultHPACPUUtilization)
		s.Metrics = []MetricSpec{{
			Type: ResourceMetricSourceType,
			Resource: &ResourceMetricSource{
				Name:   ResourceCPU,
				Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: &u},
			},
		}}
	}
	if s.Behavior == nil {
		s.Behavior = &HorizontalPodAutoscalerBehavior{}
	}
	if s.Behavior.ScaleUp == nil {
		s.Behavior.ScaleUp = &HPAScalingRules{}
	}
	up := s.Behavior.ScaleUp
	defaultInt32(&up.StabilizationWindowSeconds, 0)
	if up.SelectPolicy == "" {
		up.SelectPolicy = HPASelectMax
	}
	if up.Policies == nil {
		up.Policies = []HPAScalingPolicy{
			{Type: HPAPolicyPods, Value: 4, PeriodSeconds: 15},
			{Type: HPAPolicyPercent, Value: 100, PeriodSeconds: 15},
		}
	}
	if s.Behavior.ScaleDown == nil {
		s.Behavior.ScaleDown = &HPAScalingRules{}
	}
	down := s.Behavior.ScaleDown
	defaultInt32(&down.StabilizationWindowSeconds, 300)
	if down.SelectPolicy == "" {
		down.SelectPolicy = HPASelectMax
	}
	if down.Policies == nil {
		down.Policies = []HPAScalingPolicy{{Type: HPAPolicyPercent, Value: 100, PeriodSeconds: 15}}
	}
}

// isNilObject reports whether obj is nil or a typed nil pointer, on which
// Meta would panic.
func isNilObject(obj Object) bool {
	if obj == nil {
		return true
	}
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
