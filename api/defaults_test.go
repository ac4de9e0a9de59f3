package api

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func i32(v int32) *int32 { return &v }
func i64(v int64) *int64 { return &v }
func ios(s string) *IntOrString {
	v := FromString(s)
	return &v
}
func ioi(n int32) *IntOrString {
	v := FromInt(n)
	return &v
}

// defaultedPodSpec is what Default makes of a pod spec with one container
// (image given) and nothing else.
func defaultedPodSpec(image, pull string) PodSpec {
	return PodSpec{
		Containers:                    []Container{{Name: "c", Image: image, ImagePullPolicy: pull}},
		RestartPolicy:                 RestartPolicyAlways,
		TerminationGracePeriodSeconds: i64(30),
		DNSPolicy:                     "ClusterFirst",
		SchedulerName:                 "default-scheduler",
	}
}

func TestDefault(t *testing.T) {
	tests := []struct {
		name string
		in   Object
		want Object
	}{
		{
			name: "namespace is cluster-scoped",
			in:   &Namespace{ObjectMeta: ObjectMeta{Name: "ns"}},
			want: &Namespace{ObjectMeta: ObjectMeta{Name: "ns"}},
		},
		{
			name: "node is cluster-scoped",
			in:   &Node{ObjectMeta: ObjectMeta{Name: "n"}},
			want: &Node{ObjectMeta: ObjectMeta{Name: "n"}},
		},
		{
			name: "pod",
			in:   &Pod{ObjectMeta: ObjectMeta{Name: "p"}, Spec: PodSpec{Containers: []Container{{Name: "c", Image: "nginx"}}}},
			want: &Pod{ObjectMeta: ObjectMeta{Name: "p", Namespace: "default"}, Spec: defaultedPodSpec("nginx", PullAlways)},
		},
		{
			name: "pod keeps what is set",
			in: &Pod{ObjectMeta: ObjectMeta{Name: "p", Namespace: "prod"}, Spec: PodSpec{
				Containers:                    []Container{{Name: "c", Image: "nginx:latest", ImagePullPolicy: PullNever}},
				RestartPolicy:                 RestartPolicyNever,
				TerminationGracePeriodSeconds: i64(0),
				DNSPolicy:                     "Default",
				SchedulerName:                 "gang",
			}},
			want: &Pod{ObjectMeta: ObjectMeta{Name: "p", Namespace: "prod"}, Spec: PodSpec{
				Containers:                    []Container{{Name: "c", Image: "nginx:latest", ImagePullPolicy: PullNever}},
				RestartPolicy:                 RestartPolicyNever,
				TerminationGracePeriodSeconds: i64(0),
				DNSPolicy:                     "Default",
				SchedulerName:                 "gang",
			}},
		},
		{
			name: "container ports, probes, tolerations, requests from limits",
			in: &Pod{ObjectMeta: ObjectMeta{Name: "p", Namespace: "x"}, Spec: PodSpec{
				Tolerations: []Toleration{{Key: "k", Value: "v"}, {Operator: TolerationOpExists}},
				Containers: []Container{{
					Name: "c", Image: "reg:5000/img:v1",
					Ports:          []ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, Protocol: ProtocolUDP}},
					Resources:      ResourceRequirements{Limits: ResourceList{ResourceCPU: MustParseQuantity("1"), ResourceNvidiaGPU: MustParseQuantity("2")}, Requests: ResourceList{ResourceCPU: MustParseQuantity("500m")}},
					LivenessProbe:  &Probe{HTTPGet: &HTTPGetAction{Port: FromInt(80)}},
					ReadinessProbe: &Probe{TCPSocket: &TCPSocketAction{Port: FromInt(80)}, PeriodSeconds: 2, FailureThreshold: 7},
				}},
			}},
			want: &Pod{ObjectMeta: ObjectMeta{Name: "p", Namespace: "x"}, Spec: PodSpec{
				Tolerations: []Toleration{{Key: "k", Operator: TolerationOpEqual, Value: "v"}, {Operator: TolerationOpExists}},
				Containers: []Container{{
					Name: "c", Image: "reg:5000/img:v1", ImagePullPolicy: PullIfNotPresent,
					Ports:          []ContainerPort{{ContainerPort: 80, Protocol: ProtocolTCP}, {ContainerPort: 53, Protocol: ProtocolUDP}},
					Resources:      ResourceRequirements{Limits: ResourceList{ResourceCPU: MustParseQuantity("1"), ResourceNvidiaGPU: MustParseQuantity("2")}, Requests: ResourceList{ResourceCPU: MustParseQuantity("500m"), ResourceNvidiaGPU: MustParseQuantity("2")}},
					LivenessProbe:  &Probe{HTTPGet: &HTTPGetAction{Port: FromInt(80), Path: "/", Scheme: "HTTP"}, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
					ReadinessProbe: &Probe{TCPSocket: &TCPSocketAction{Port: FromInt(80)}, TimeoutSeconds: 1, PeriodSeconds: 2, SuccessThreshold: 1, FailureThreshold: 7},
				}},
				RestartPolicy:                 RestartPolicyAlways,
				TerminationGracePeriodSeconds: i64(30),
				DNSPolicy:                     "ClusterFirst",
				SchedulerName:                 "default-scheduler",
			}},
		},
		{
			name: "replicaset",
			in:   &ReplicaSet{ObjectMeta: ObjectMeta{Name: "rs"}, Spec: ReplicaSetSpec{Template: PodTemplateSpec{Spec: PodSpec{Containers: []Container{{Name: "c", Image: "img@sha256:abc"}}}}}},
			want: &ReplicaSet{ObjectMeta: ObjectMeta{Name: "rs", Namespace: "default"}, Spec: ReplicaSetSpec{Replicas: i32(1), Template: PodTemplateSpec{Spec: defaultedPodSpec("img@sha256:abc", PullIfNotPresent)}}},
		},
		{
			name: "deployment",
			in:   &Deployment{ObjectMeta: ObjectMeta{Name: "d"}, Spec: DeploymentSpec{Template: PodTemplateSpec{Spec: PodSpec{Containers: []Container{{Name: "c", Image: "img:v2"}}}}}},
			want: &Deployment{ObjectMeta: ObjectMeta{Name: "d", Namespace: "default"}, Spec: DeploymentSpec{
				Replicas:                i32(1),
				RevisionHistoryLimit:    i32(10),
				ProgressDeadlineSeconds: i32(600),
				Strategy:                DeploymentStrategy{Type: RollingUpdateDeploymentStrategyType, RollingUpdate: &RollingUpdateDeployment{MaxUnavailable: ios("25%"), MaxSurge: ios("25%")}},
				Template:                PodTemplateSpec{Spec: defaultedPodSpec("img:v2", PullIfNotPresent)},
			}},
		},
		{
			name: "deployment keeps partial rolling update and replicas 0",
			in: &Deployment{ObjectMeta: ObjectMeta{Name: "d", Namespace: "n"}, Spec: DeploymentSpec{Replicas: i32(0),
				Strategy: DeploymentStrategy{RollingUpdate: &RollingUpdateDeployment{MaxSurge: ioi(0)}}}},
			want: &Deployment{ObjectMeta: ObjectMeta{Name: "d", Namespace: "n"}, Spec: DeploymentSpec{
				Replicas:                i32(0),
				RevisionHistoryLimit:    i32(10),
				ProgressDeadlineSeconds: i32(600),
				Strategy:                DeploymentStrategy{Type: RollingUpdateDeploymentStrategyType, RollingUpdate: &RollingUpdateDeployment{MaxUnavailable: ios("25%"), MaxSurge: ioi(0)}},
				Template:                PodTemplateSpec{Spec: PodSpec{RestartPolicy: RestartPolicyAlways, TerminationGracePeriodSeconds: i64(30), DNSPolicy: "ClusterFirst", SchedulerName: "default-scheduler"}},
			}},
		},
		{
			name: "recreate deployment gets no rolling update",
			in:   &Deployment{ObjectMeta: ObjectMeta{Name: "d", Namespace: "n"}, Spec: DeploymentSpec{Strategy: DeploymentStrategy{Type: RecreateDeploymentStrategyType}}},
			want: &Deployment{ObjectMeta: ObjectMeta{Name: "d", Namespace: "n"}, Spec: DeploymentSpec{
				Replicas: i32(1), RevisionHistoryLimit: i32(10), ProgressDeadlineSeconds: i32(600),
				Strategy: DeploymentStrategy{Type: RecreateDeploymentStrategyType},
				Template: PodTemplateSpec{Spec: PodSpec{RestartPolicy: RestartPolicyAlways, TerminationGracePeriodSeconds: i64(30), DNSPolicy: "ClusterFirst", SchedulerName: "default-scheduler"}},
			}},
		},
		{
			name: "service",
			in: &Service{ObjectMeta: ObjectMeta{Name: "s"}, Spec: ServiceSpec{Ports: []ServicePort{
				{Port: 80}, {Port: 53, Protocol: ProtocolUDP, TargetPort: FromString("dns")}}}},
			want: &Service{ObjectMeta: ObjectMeta{Name: "s", Namespace: "default"}, Spec: ServiceSpec{
				Type: ServiceTypeClusterIP, SessionAffinity: SessionAffinityNone,
				Ports: []ServicePort{
					{Port: 80, Protocol: ProtocolTCP, TargetPort: FromInt(80)},
					{Port: 53, Protocol: ProtocolUDP, TargetPort: FromString("dns")}}}},
		},
		{
			name: "endpoints",
			in:   &Endpoints{ObjectMeta: ObjectMeta{Name: "s", Namespace: "n"}, Subsets: []EndpointSubset{{Ports: []EndpointPort{{Port: 80}}}}},
			want: &Endpoints{ObjectMeta: ObjectMeta{Name: "s", Namespace: "n"}, Subsets: []EndpointSubset{{Ports: []EndpointPort{{Port: 80, Protocol: ProtocolTCP}}}}},
		},
		{
			name: "hpa",
			in:   &HorizontalPodAutoscaler{ObjectMeta: ObjectMeta{Name: "h"}, Spec: HorizontalPodAutoscalerSpec{MaxReplicas: 5, Behavior: &HorizontalPodAutoscalerBehavior{ScaleDown: &HPAScalingRules{SelectPolicy: HPASelectMin}}}},
			want: &HorizontalPodAutoscaler{ObjectMeta: ObjectMeta{Name: "h", Namespace: "default"}, Spec: HorizontalPodAutoscalerSpec{
				MinReplicas: i32(1), MaxReplicas: 5,
				Metrics: []MetricSpec{{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: i32(80)}}}},
				Behavior: &HorizontalPodAutoscalerBehavior{
					ScaleUp: &HPAScalingRules{StabilizationWindowSeconds: i32(0), SelectPolicy: HPASelectMax, Policies: []HPAScalingPolicy{
						{Type: HPAPolicyPods, Value: 4, PeriodSeconds: 15}, {Type: HPAPolicyPercent, Value: 100, PeriodSeconds: 15}}},
					ScaleDown: &HPAScalingRules{StabilizationWindowSeconds: i32(300), SelectPolicy: HPASelectMin, Policies: []HPAScalingPolicy{
						{Type: HPAPolicyPercent, Value: 100, PeriodSeconds: 15}}},
				},
			}},
		},
		{
			name: "podgroup",
			in:   &PodGroup{ObjectMeta: ObjectMeta{Name: "g"}, Spec: PodGroupSpec{MinMember: 2}},
			want: &PodGroup{ObjectMeta: ObjectMeta{Name: "g", Namespace: "default"}, Spec: PodGroupSpec{MinMember: 2, ScheduleTimeoutSeconds: i32(60)}},
		},
		{
			name: "lease only gets a namespace",
			in:   &Lease{ObjectMeta: ObjectMeta{Name: "l"}},
			want: &Lease{ObjectMeta: ObjectMeta{Name: "l", Namespace: "default"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			Default(tc.in)
			if diff := cmp.Diff(tc.want, tc.in); diff != "" {
				t.Fatalf("Default (-want +got):\n%s", diff)
			}
			// Idempotent: a second Default changes nothing.
			again := tc.in.DeepCopyObject()
			Default(again)
			if diff := cmp.Diff(tc.in, again); diff != "" {
				t.Errorf("second Default changed the object (-once +twice):\n%s", diff)
			}
		})
	}
}

func TestDefaultNil(t *testing.T) {
	Default(nil)
	var p *Pod
	Default(p) // a typed nil is left alone, without a panic
}

func TestImagePullPolicy(t *testing.T) {
	for image, want := range map[string]string{
		"nginx":                             PullAlways,
		"nginx:latest":                      PullAlways,
		"nginx:1.25":                        PullIfNotPresent,
		"reg.example.com:5000/nginx":        PullAlways,
		"reg.example.com:5000/nginx:latest": PullAlways,
		"reg.example.com:5000/nginx:v1":     PullIfNotPresent,
		"nginx@sha256:0123":                 PullIfNotPresent,
	} {
		c := Container{Name: "c", Image: image}
		defaultContainer(&c)
		if c.ImagePullPolicy != want {
			t.Errorf("%s: imagePullPolicy %s, want %s", image, c.ImagePullPolicy, want)
		}
	}
}
