package api

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func goodPodSpec() PodSpec {
	return PodSpec{Containers: []Container{{
		Name:  "app",
		Image: "myregistry/api:v1.2.0",
		Ports: []ContainerPort{{Name: "http", ContainerPort: 8080}},
		Resources: ResourceRequirements{
			Requests: ResourceList{ResourceCPU: MustParseQuantity("250m"), ResourceMemory: MustParseQuantity("256Mi")},
			Limits:   ResourceList{ResourceCPU: MustParseQuantity("500m"), ResourceMemory: MustParseQuantity("512Mi")},
		},
		ReadinessProbe: &Probe{HTTPGet: &HTTPGetAction{Path: "/ready", Port: FromString("http")}},
	}}}
}

func goodPod() *Pod {
	return &Pod{ObjectMeta: ObjectMeta{Name: "p", Namespace: "default", Labels: map[string]string{"app": "web"}}, Spec: goodPodSpec()}
}

func goodDeployment() *Deployment {
	return &Deployment{
		ObjectMeta: ObjectMeta{Name: "api-server", Namespace: "default"},
		Spec: DeploymentSpec{
			Replicas: i32(3),
			Selector: &LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Template: PodTemplateSpec{ObjectMeta: ObjectMeta{Labels: map[string]string{"app": "api", "tier": "backend"}}, Spec: goodPodSpec()},
		},
	}
}

func goodService() *Service {
	return &Service{ObjectMeta: ObjectMeta{Name: "api", Namespace: "default"}, Spec: ServiceSpec{
		Selector: map[string]string{"app": "api"},
		Ports:    []ServicePort{{Port: 80, TargetPort: FromInt(8000)}},
	}}
}

func goodHPA() *HorizontalPodAutoscaler {
	return &HorizontalPodAutoscaler{ObjectMeta: ObjectMeta{Name: "h", Namespace: "default"}, Spec: HorizontalPodAutoscalerSpec{
		ScaleTargetRef: CrossVersionObjectReference{Kind: "Deployment", Name: "api-server"},
		MinReplicas:    i32(2), MaxReplicas: 10,
		Metrics: []MetricSpec{{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: i32(50)}}}},
	}}
}

type wantErr struct {
	path string
	typ  ErrorType
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		obj  func() Object
		want []wantErr
	}{
		{"pod ok", func() Object { return goodPod() }, nil},
		{"pod defaulted ok", func() Object { p := goodPod(); Default(p); return p }, nil},
		{"deployment ok", func() Object { return goodDeployment() }, nil},
		{"service ok", func() Object { return goodService() }, nil},
		{"hpa ok", func() Object { return goodHPA() }, nil},
		{"namespace ok", func() Object { return &Namespace{ObjectMeta: ObjectMeta{Name: "production"}} }, nil},

		// metadata
		{"missing name", func() Object { p := goodPod(); p.Name = ""; return p }, []wantErr{{"metadata.name", ErrorTypeRequired}}},
		{"bad names", func() Object {
			p := goodPod()
			p.Name = "Bad_Name"
			p.Namespace = "a.b"
			return p
		}, []wantErr{{"metadata.name", ErrorTypeInvalid}, {"metadata.namespace", ErrorTypeInvalid}}},
		{"subdomain name ok for pods", func() Object { p := goodPod(); p.Name = "a.b-c"; return p }, nil},
		{"service name must be a label", func() Object { s := goodService(); s.Name = "a.b"; return s }, []wantErr{{"metadata.name", ErrorTypeInvalid}}},
		{"namespace on cluster-scoped kind", func() Object { return &Node{ObjectMeta: ObjectMeta{Name: "n", Namespace: "x"}} }, []wantErr{{"metadata.namespace", ErrorTypeForbidden}}},
		{"labels", func() Object {
			p := goodPod()
			p.Labels = map[string]string{"app.kubernetes.io/name": "bad value", "-bad": "ok", "Example.com/x": "v", "ok": strings.Repeat("a", 64)}
			return p
		}, []wantErr{{"metadata.labels[-bad]", ErrorTypeInvalid}, {"metadata.labels[Example.com/x]", ErrorTypeInvalid}, {"metadata.labels[app.kubernetes.io/name]", ErrorTypeInvalid}, {"metadata.labels[ok]", ErrorTypeInvalid}}},
		{"annotation size", func() Object {
			p := goodPod()
			p.Annotations = map[string]string{"a": strings.Repeat("x", 200<<10), "b": strings.Repeat("x", 60<<10), "bad key!": ""}
			return p
		}, []wantErr{{"metadata.annotations[bad key!]", ErrorTypeInvalid}, {"metadata.annotations", ErrorTypeTooLong}}},
		{"owner reference", func() Object {
			p := goodPod()
			p.OwnerReferences = []OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "rs"}}
			return p
		}, []wantErr{{"metadata.ownerReferences[0].uid", ErrorTypeRequired}}},

		// pod spec
		{"no containers", func() Object { p := goodPod(); p.Spec.Containers = nil; return p }, []wantErr{{"spec.containers", ErrorTypeRequired}}},
		{"container names and image", func() Object {
			p := goodPod()
			c := p.Spec.Containers[0]
			c2 := c
			c2.Image = ""
			c3 := c
			c3.Name = "Bad"
			p.Spec.Containers = append(p.Spec.Containers, c2, c3)
			return p
		}, []wantErr{{"spec.containers[1].name", ErrorTypeDuplicate}, {"spec.containers[1].image", ErrorTypeRequired}, {"spec.containers[2].name", ErrorTypeInvalid}}},
		{"ports", func() Object {
			p := goodPod()
			p.Spec.Containers[0].Ports = []ContainerPort{
				{Name: "http", ContainerPort: 8080, HostPort: 80},
				{Name: "http", ContainerPort: 0},
				{Name: "123", ContainerPort: 70000},
				{Name: "very-long-port-name", ContainerPort: 1, Protocol: "ICMP"},
			}
			c2 := Container{Name: "side", Image: "i", Ports: []ContainerPort{{ContainerPort: 9000, HostPort: 80}, {ContainerPort: 9001, HostPort: 80, Protocol: ProtocolUDP}}}
			p.Spec.Containers = append(p.Spec.Containers, c2)
			return p
		}, []wantErr{
			{"spec.containers[0].ports[1].name", ErrorTypeDuplicate},
			{"spec.containers[0].ports[1].containerPort", ErrorTypeRequired},
			{"spec.containers[0].ports[2].name", ErrorTypeInvalid},
			{"spec.containers[0].ports[2].containerPort", ErrorTypeInvalid},
			{"spec.containers[0].ports[3].name", ErrorTypeInvalid},
			{"spec.containers[0].ports[3].protocol", ErrorTypeNotSupported},
			{"spec.containers[1].ports[0].hostPort", ErrorTypeDuplicate},
		}},
		{"resources", func() Object {
			p := goodPod()
			r := &p.Spec.Containers[0].Resources
			r.Requests[ResourceCPU] = MustParseQuantity("2")
			r.Limits[ResourceCPU] = MustParseQuantity("1")
			r.Requests[ResourceMemory] = MustParseQuantity("-1")
			r.Requests[ResourceNvidiaGPU] = MustParseQuantity("500m")
			r.Limits[ResourceNvidiaGPU] = MustParseQuantity("500m")
			r.Requests["example.com/fpga"] = MustParseQuantity("1")
			r.Limits["example.com/fpga"] = MustParseQuantity("2")
			r.Requests["vendor.io/nic"] = MustParseQuantity("1")
			r.Limits["bogus"] = MustParseQuantity("1")
			return p
		}, []wantErr{
			{"spec.containers[0].resources.limits.bogus", ErrorTypeInvalid},
			{"spec.containers[0].resources.limits.nvidia.com/gpu", ErrorTypeInvalid},
			{"spec.containers[0].resources.requests.cpu", ErrorTypeInvalid},
			{"spec.containers[0].resources.requests.example.com/fpga", ErrorTypeInvalid},
			{"spec.containers[0].resources.requests.memory", ErrorTypeInvalid},
			{"spec.containers[0].resources.requests.nvidia.com/gpu", ErrorTypeInvalid},
			{"spec.containers[0].resources.limits.vendor.io/nic", ErrorTypeRequired},
		}},
		{"gpu ok", func() Object {
			p := goodPod()
			r := &p.Spec.Containers[0].Resources
			r.Requests[ResourceNvidiaGPU] = MustParseQuantity("1")
			r.Limits[ResourceNvidiaGPU] = MustParseQuantity("1")
			return p
		}, nil},
		{"probes", func() Object {
			p := goodPod()
			c := &p.Spec.Containers[0]
			c.ReadinessProbe = &Probe{}
			c.LivenessProbe = &Probe{Exec: &ExecAction{Command: []string{"true"}}, TCPSocket: &TCPSocketAction{Port: FromInt(80)}, SuccessThreshold: 2, PeriodSeconds: -1}
			c.StartupProbe = &Probe{HTTPGet: &HTTPGetAction{Port: FromString("metrics"), Scheme: "FTP"}}
			return p
		}, []wantErr{
			{"spec.containers[0].startupProbe.httpGet.scheme", ErrorTypeNotSupported},
			{"spec.containers[0].startupProbe.httpGet.port", ErrorTypeNotFound},
			{"spec.containers[0].livenessProbe", ErrorTypeForbidden},
			{"spec.containers[0].livenessProbe.periodSeconds", ErrorTypeInvalid},
			{"spec.containers[0].livenessProbe.successThreshold", ErrorTypeInvalid},
			{"spec.containers[0].readinessProbe", ErrorTypeRequired},
		}},
		{"readiness may need two successes", func() Object {
			p := goodPod()
			p.Spec.Containers[0].ReadinessProbe.SuccessThreshold = 2
			return p
		}, nil},
		{"restart policy and friends", func() Object {
			p := goodPod()
			p.Spec.RestartPolicy = "Sometimes"
			p.Spec.DNSPolicy = "Magic"
			p.Spec.TerminationGracePeriodSeconds = i64(-1)
			p.Spec.NodeSelector = map[string]string{"disk": "ssd!"}
			return p
		}, []wantErr{
			{"spec.restartPolicy", ErrorTypeNotSupported},
			{"spec.terminationGracePeriodSeconds", ErrorTypeInvalid},
			{"spec.dnsPolicy", ErrorTypeNotSupported},
			{"spec.nodeSelector[disk]", ErrorTypeInvalid},
		}},
		{"volumes", func() Object {
			p := goodPod()
			p.Spec.Volumes = []Volume{{Name: "tmp", EmptyDir: &EmptyDirVolumeSource{}}, {Name: "tmp", EmptyDir: &EmptyDirVolumeSource{Medium: "Disk"}}, {Name: "x"}}
			p.Spec.Containers[0].VolumeMounts = []VolumeMount{{Name: "tmp", MountPath: "/tmp"}, {Name: "nope", MountPath: "/n"}, {Name: "x", SubPath: "../etc"}}
			return p
		}, []wantErr{
			{"spec.volumes[1].name", ErrorTypeDuplicate},
			{"spec.volumes[1].emptyDir.medium", ErrorTypeNotSupported},
			{"spec.volumes[2]", ErrorTypeRequired},
			{"spec.containers[0].volumeMounts[1].name", ErrorTypeNotFound},
			{"spec.containers[0].volumeMounts[2].mountPath", ErrorTypeRequired},
			{"spec.containers[0].volumeMounts[2].subPath", ErrorTypeInvalid},
		}},
		{"tolerations", func() Object {
			p := goodPod()
			p.Spec.Tolerations = []Toleration{
				{Key: "nvidia.com/gpu", Operator: TolerationOpExists, Effect: TaintEffectNoSchedule},
				{Key: "k", Operator: TolerationOpExists, Value: "v"},
				{Operator: TolerationOpEqual, Value: "v"},
				{Key: "k", Operator: "Like"},
				{Key: "k", Value: "v", Effect: "Sometimes"},
				{Key: "k", Value: "v", Effect: TaintEffectNoSchedule, TolerationSeconds: i64(5)},
				{Operator: TolerationOpExists},
			}
			return p
		}, []wantErr{
			{"spec.tolerations[1].value", ErrorTypeInvalid},
			{"spec.tolerations[2].operator", ErrorTypeInvalid},
			{"spec.tolerations[3].operator", ErrorTypeNotSupported},
			{"spec.tolerations[4].effect", ErrorTypeNotSupported},
			{"spec.tolerations[5].effect", ErrorTypeInvalid},
		}},
		{"affinity", func() Object {
			p := goodPod()
			p.Spec.Affinity = &Affinity{
				NodeAffinity: &NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &NodeSelector{NodeSelectorTerms: []NodeSelectorTerm{{MatchExpressions: []NodeSelectorRequirement{
						{Key: "zone", Operator: NodeSelectorOpIn, Values: []string{"a"}},
						{Key: "zone", Operator: NodeSelectorOpIn},
						{Key: "gpu", Operator: NodeSelectorOpExists, Values: []string{"x"}},
						{Key: "cores", Operator: NodeSelectorOpGt, Values: []string{"many"}},
						{Key: "cores", Operator: NodeSelectorOpLt, Values: []string{"1", "2"}},
						{Key: "cores", Operator: "Near"},
					}}}},
					PreferredDuringSchedulingIgnoredDuringExecution: []PreferredSchedulingTerm{{Weight: 0}, {Weight: 101}, {Weight: 100}},
				},
				PodAntiAffinity: &PodAntiAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution:  []PodAffinityTerm{{}},
					PreferredDuringSchedulingIgnoredDuringExecution: []WeightedPodAffinityTerm{{Weight: 50, PodAffinityTerm: PodAffinityTerm{TopologyKey: LabelHostname, LabelSelector: &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "app", Operator: LabelSelectorOpIn}}}}}},
				},
			}
			return p
		}, []wantErr{
			{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values", ErrorTypeRequired},
			{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[2].values", ErrorTypeForbidden},
			{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[3].values[0]", ErrorTypeInvalid},
			{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[4].values", ErrorTypeRequired},
			{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[5].operator", ErrorTypeNotSupported},
			{"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", ErrorTypeInvalid},
			{"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].weight", ErrorTypeInvalid},
			{"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey", ErrorTypeRequired},
			{"spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions[0].values", ErrorTypeRequired},
		}},
		{"topology spread", func() Object {
			p := goodPod()
			p.Spec.TopologySpreadConstraints = []TopologySpreadConstraint{
				{MaxSkew: 1, TopologyKey: LabelZone, WhenUnsatisfiable: DoNotSchedule},
				{MaxSkew: 0, TopologyKey: LabelZone, WhenUnsatisfiable: DoNotSchedule},
				{MaxSkew: 1, TopologyKey: LabelHostname, WhenUnsatisfiable: "Whenever", MinDomains: i32(2)},
			}
			return p
		}, []wantErr{
			{"spec.topologySpreadConstraints[1].maxSkew", ErrorTypeInvalid},
			{"spec.topologySpreadConstraints[1].{topologyKey, whenUnsatisfiable}", ErrorTypeDuplicate},
			{"spec.topologySpreadConstraints[2].whenUnsatisfiable", ErrorTypeNotSupported},
			{"spec.topologySpreadConstraints[2].minDomains", ErrorTypeInvalid},
		}},

		// workloads
		{"deployment selector", func() Object {
			d := goodDeployment()
			d.Spec.Selector = &LabelSelector{}
			d.Spec.Replicas = i32(-1)
			return d
		}, []wantErr{{"spec.replicas", ErrorTypeInvalid}, {"spec.selector", ErrorTypeRequired}}},
		{"deployment selector mismatch", func() Object {
			d := goodDeployment()
			d.Spec.Selector.MatchLabels["app"] = "other"
			return d
		}, []wantErr{{"spec.template.metadata.labels", ErrorTypeInvalid}}},
		{"deployment template", func() Object {
			d := goodDeployment()
			d.Spec.Template.Spec.RestartPolicy = RestartPolicyNever
			d.Spec.Template.Spec.Containers[0].Resources.Limits[ResourceCPU] = MustParseQuantity("100m")
			return d
		}, []wantErr{{"spec.template.spec.containers[0].resources.requests.cpu", ErrorTypeInvalid}, {"spec.template.spec.restartPolicy", ErrorTypeNotSupported}}},
		{"rolling update", func() Object {
			d := goodDeployment()
			d.Spec.Strategy.RollingUpdate = &RollingUpdateDeployment{MaxSurge: ioi(0), MaxUnavailable: ios("0%")}
			return d
		}, []wantErr{{"spec.strategy.rollingUpdate.maxUnavailable", ErrorTypeInvalid}}},
		{"rolling update malformed", func() Object {
			d := goodDeployment()
			d.Spec.Strategy.RollingUpdate = &RollingUpdateDeployment{MaxSurge: ios("lots"), MaxUnavailable: ios("150%")}
			d.Spec.ProgressDeadlineSeconds = i32(5)
			d.Spec.MinReadySeconds = 10
			return d
		}, []wantErr{{"spec.progressDeadlineSeconds", ErrorTypeInvalid}, {"spec.strategy.rollingUpdate.maxSurge", ErrorTypeInvalid}, {"spec.strategy.rollingUpdate.maxUnavailable", ErrorTypeInvalid}}},
		{"recreate with rolling update", func() Object {
			d := goodDeployment()
			d.Spec.Strategy = DeploymentStrategy{Type: RecreateDeploymentStrategyType, RollingUpdate: &RollingUpdateDeployment{}}
			return d
		}, []wantErr{{"spec.strategy.rollingUpdate", ErrorTypeForbidden}}},
		{"replicaset", func() Object {
			return &ReplicaSet{ObjectMeta: ObjectMeta{Name: "rs", Namespace: "n"}, Spec: ReplicaSetSpec{
				Replicas: i32(-2),
				Selector: &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "app", Operator: LabelSelectorOpExists, Values: []string{"x"}}}},
				Template: PodTemplateSpec{Spec: goodPodSpec()},
			}}
		}, []wantErr{{"spec.replicas", ErrorTypeInvalid}, {"spec.selector.matchExpressions[0].values", ErrorTypeForbidden}}},

		// services
		{"service ports", func() Object {
			s := goodService()
			s.Spec.Ports = []ServicePort{{Port: 80}, {Name: "b", Port: 70000, TargetPort: FromString("Not_A_Name")}, {Name: "b", Port: 80, NodePort: 30001}}
			return s
		}, []wantErr{
			{"spec.ports[0].name", ErrorTypeRequired},
			{"spec.ports[1].port", ErrorTypeInvalid},
			{"spec.ports[1].targetPort", ErrorTypeInvalid},
			{"spec.ports[2].name", ErrorTypeDuplicate},
			{"spec.ports[2]", ErrorTypeDuplicate},
			{"spec.ports[2].nodePort", ErrorTypeForbidden},
		}},
		{"service needs ports", func() Object { s := goodService(); s.Spec.Ports = nil; return s }, []wantErr{{"spec.ports", ErrorTypeRequired}}},
		{"headless needs no ports", func() Object { s := goodService(); s.Spec.Ports = nil; s.Spec.ClusterIP = ClusterIPNone; return s }, nil},
		{"headless nodeport", func() Object {
			s := goodService()
			s.Spec.Type = ServiceTypeNodePort
			s.Spec.ClusterIP = ClusterIPNone
			s.Spec.Ports[0].NodePort = 20000
			return s
		}, []wantErr{{"spec.clusterIP", ErrorTypeInvalid}, {"spec.ports[0].nodePort", ErrorTypeInvalid}}},
		{"nodeport ok", func() Object {
			s := goodService()
			s.Spec.Type = ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 30080
			return s
		}, nil},
		{"externalname", func() Object {
			s := goodService()
			s.Spec = ServiceSpec{Type: ServiceTypeExternalName, ClusterIP: "10.0.0.1"}
			return s
		}, []wantErr{{"spec.externalName", ErrorTypeRequired}, {"spec.clusterIP", ErrorTypeForbidden}}},
		{"externalname ok", func() Object {
			s := goodService()
			s.Spec = ServiceSpec{Type: ServiceTypeExternalName, ExternalName: "orders.db.example.com."}
			return s
		}, nil},
		{"service misc", func() Object {
			s := goodService()
			s.Spec.Type = "Fancy"
			s.Spec.ClusterIP = "10.0.0.300"
			s.Spec.SessionAffinity = "Sticky"
			return s
		}, []wantErr{{"spec.type", ErrorTypeNotSupported}, {"spec.clusterIP", ErrorTypeInvalid}, {"spec.sessionAffinity", ErrorTypeNotSupported}}},

		// hpa
		{"hpa replicas", func() Object {
			h := goodHPA()
			h.Spec.MinReplicas = i32(0)
			h.Spec.MaxReplicas = 0
			h.Spec.ScaleTargetRef = CrossVersionObjectReference{}
			return h
		}, []wantErr{{"spec.scaleTargetRef.kind", ErrorTypeRequired}, {"spec.scaleTargetRef.name", ErrorTypeRequired}, {"spec.minReplicas", ErrorTypeInvalid}, {"spec.maxReplicas", ErrorTypeInvalid}}},
		{"hpa max below min", func() Object { h := goodHPA(); h.Spec.MaxReplicas = 1; return h }, []wantErr{{"spec.maxReplicas", ErrorTypeInvalid}}},
		{"hpa metrics", func() Object {
			h := goodHPA()
			v := MustParseQuantity("0")
			h.Spec.Metrics = []MetricSpec{
				{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: i32(0)}}},
				{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{Name: ResourceMemory, Target: MetricTarget{Type: AverageValueMetricType, AverageValue: &v, AverageUtilization: i32(50)}}},
				{Type: PodsMetricSourceType},
				{Type: "Magic", Resource: &ResourceMetricSource{Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType}}, Pods: &PodsMetricSource{Metric: MetricIdentifier{Name: "qps"}, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: i32(5)}}},
			}
			h.Spec.Behavior = &HorizontalPodAutoscalerBehavior{ScaleUp: &HPAScalingRules{SelectPolicy: "Most", StabilizationWindowSeconds: i32(4000), Policies: []HPAScalingPolicy{{Type: "Nodes", Value: 0, PeriodSeconds: 0}}}}
			return h
		}, []wantErr{
			{"spec.metrics[0].resource.target.averageUtilization", ErrorTypeInvalid},
			{"spec.metrics[1].resource.target.averageUtilization", ErrorTypeForbidden},
			{"spec.metrics[1].resource.target.averageValue", ErrorTypeInvalid},
			{"spec.metrics[2].pods", ErrorTypeRequired},
			{"spec.metrics[3]", ErrorTypeForbidden},
			{"spec.metrics[3].type", ErrorTypeNotSupported},
			{"spec.metrics[3].resource.target.averageUtilization", ErrorTypeRequired},
			{"spec.metrics[3].pods.target.type", ErrorTypeNotSupported},
			{"spec.behavior.scaleUp.stabilizationWindowSeconds", ErrorTypeInvalid},
			{"spec.behavior.scaleUp.selectPolicy", ErrorTypeNotSupported},
			{"spec.behavior.scaleUp.policies[0].type", ErrorTypeNotSupported},
			{"spec.behavior.scaleUp.policies[0].value", ErrorTypeInvalid},
			{"spec.behavior.scaleUp.policies[0].periodSeconds", ErrorTypeInvalid},
		}},
		{"hpa defaulted ok", func() Object { h := goodHPA(); Default(h); return h }, nil},

		// the rest
		{"podgroup", func() Object {
			return &PodGroup{ObjectMeta: ObjectMeta{Name: "g", Namespace: "n"}, Spec: PodGroupSpec{MinMember: 0, ScheduleTimeoutSeconds: i32(0)}}
		}, []wantErr{{"spec.minMember", ErrorTypeInvalid}, {"spec.scheduleTimeoutSeconds", ErrorTypeInvalid}}},
		{"quota", func() Object {
			return &ResourceQuota{ObjectMeta: ObjectMeta{Name: "q", Namespace: "n"}, Spec: ResourceQuotaSpec{Hard: ResourceList{
				"requests.cpu": MustParseQuantity("8"), "requests.nvidia.com/gpu": MustParseQuantity("4"), "count/deployments.apps": MustParseQuantity("3"),
				"pods": MustParseQuantity("-1"), "limits.nvidia.com/gpu": MustParseQuantity("4"), "potatoes": MustParseQuantity("1"),
			}}}
		}, []wantErr{{"spec.hard.limits.nvidia.com/gpu", ErrorTypeInvalid}, {"spec.hard.pods", ErrorTypeInvalid}, {"spec.hard.potatoes", ErrorTypeInvalid}}},
		{"lease", func() Object {
			return &Lease{ObjectMeta: ObjectMeta{Name: "node-a", Namespace: "kube-node-lease"}, Spec: LeaseSpec{LeaseDurationSeconds: i32(0), LeaseTransitions: i32(-1)}}
		}, []wantErr{{"spec.leaseDurationSeconds", ErrorTypeInvalid}, {"spec.leaseTransitions", ErrorTypeInvalid}}},
		{"event", func() Object {
			return &Event{ObjectMeta: ObjectMeta{Name: "p.123", Namespace: "a"}, InvolvedObject: ObjectReference{Kind: "Pod", Namespace: "b"}, Type: "Bad", Count: -1}
		}, []wantErr{{"involvedObject.name", ErrorTypeRequired}, {"involvedObject.namespace", ErrorTypeInvalid}, {"type", ErrorTypeNotSupported}, {"count", ErrorTypeInvalid}}},
		{"node", func() Object {
			return &Node{ObjectMeta: ObjectMeta{Name: "n1"}, Spec: NodeSpec{PodCIDR: "10.0.0.0/33", Taints: []Taint{
				{Key: "gpu", Effect: TaintEffectNoSchedule}, {Key: "gpu", Effect: TaintEffectNoSchedule}, {Key: "x"},
			}}}
		}, []wantErr{{"spec.podCIDR", ErrorTypeInvalid}, {"spec.taints[1]", ErrorTypeDuplicate}, {"spec.taints[2].effect", ErrorTypeRequired}}},
		{"endpoints", func() Object {
			return &Endpoints{ObjectMeta: ObjectMeta{Name: "s", Namespace: "n"}, Subsets: []EndpointSubset{{
				Addresses: []EndpointAddress{{IP: "10.1.0.5"}, {IP: "nope"}},
				Ports:     []EndpointPort{{Name: "a", Port: 80}, {Port: 0}},
			}}}
		}, []wantErr{{"subsets[0].addresses[1].ip", ErrorTypeInvalid}, {"subsets[0].ports[1].name", ErrorTypeRequired}, {"subsets[0].ports[1].port", ErrorTypeRequired}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.obj()
			before := obj.DeepCopyObject()
			err := Validate(obj)
			if diff := cmp.Diff(before, obj); diff != "" {
				t.Errorf("Validate modified the object:\n%s", diff)
			}
			got := errPaths(t, err)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(wantErr{})); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

func errPaths(t *testing.T, err error) []wantErr {
	t.Helper()
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	var fes FieldErrors
	if !errors.As(err, &fes) || len(fes) == 0 {
		t.Fatalf("error %v (%T) is not a non-empty FieldErrors", err, err)
	}
	var out []wantErr
	for _, fe := range fes {
		if !strings.Contains(err.Error(), fe.Path+": ") {
			t.Errorf("Error() %q does not list %q", err.Error(), fe.Path)
		}
		out = append(out, wantErr{fe.Path, fe.Type})
	}
	return out
}

func TestValidateNil(t *testing.T) {
	var p *Pod
	if err := Validate(p); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate(typed nil) = %v", err)
	}
	if err := Validate(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate(nil) = %v", err)
	}
}

func TestFieldErrorString(t *testing.T) {
	fe := &FieldError{Path: "spec.replicas", Type: ErrorTypeInvalid, Value: int32(-1), Detail: "must be greater than or equal to 0"}
	if got, want := fe.Error(), "spec.replicas: invalid value: -1: must be greater than or equal to 0"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	errs := FieldErrors{fe, {Path: "metadata.name", Type: ErrorTypeRequired}}
	if got, want := errs.Error(), "api: invalid object: spec.replicas: invalid value: -1: must be greater than or equal to 0; metadata.name: required value"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var target *FieldError
	if !errors.As(error(errs), &target) || target != fe {
		t.Errorf("errors.As does not find the first FieldError")
	}
}

func TestValidateUpdate(t *testing.T) {
	tests := []struct {
		name   string
		old    func() Object
		change func(Object)
		want   []wantErr
	}{
		{"deployment replicas and template may change", func() Object { return goodDeployment() }, func(o Object) {
			d := o.(*Deployment)
			d.Spec.Replicas = i32(5)
			d.Spec.Template.Spec.Containers[0].Image = "img:v2"
		}, nil},
		{"deployment selector is immutable", func() Object { return goodDeployment() }, func(o Object) {
			d := o.(*Deployment)
			d.Spec.Selector = &LabelSelector{MatchLabels: map[string]string{"tier": "backend"}}
		}, []wantErr{{"spec.selector", ErrorTypeImmutable}}},
		{"name, namespace, uid", func() Object { p := goodPod(); p.UID = "u1"; return p }, func(o Object) {
			m := o.Meta()
			m.Name, m.Namespace, m.UID = "q", "other", "u2"
		}, []wantErr{{"metadata.name", ErrorTypeImmutable}, {"metadata.namespace", ErrorTypeImmutable}, {"metadata.uid", ErrorTypeImmutable}}},
		{"pod image, toleration added, node bound", func() Object { return goodPod() }, func(o Object) {
			p := o.(*Pod)
			p.Spec.Containers[0].Image = "img:v3"
			p.Spec.Tolerations = append(p.Spec.Tolerations, Toleration{Key: "k", Operator: TolerationOpExists})
			p.Spec.NodeName = "node-1"
			p.Labels["extra"] = "yes"
		}, nil},
		{"pod resources are immutable", func() Object { return goodPod() }, func(o Object) {
			o.(*Pod).Spec.Containers[0].Resources.Limits[ResourceCPU] = MustParseQuantity("2")
		}, []wantErr{{"spec", ErrorTypeForbidden}}},
		{"bound pod cannot move", func() Object { p := goodPod(); p.Spec.NodeName = "a"; return p }, func(o Object) {
			o.(*Pod).Spec.NodeName = "b"
		}, []wantErr{{"spec.nodeName", ErrorTypeImmutable}, {"spec", ErrorTypeForbidden}}},
		{"tolerations cannot be removed", func() Object {
			p := goodPod()
			p.Spec.Tolerations = []Toleration{{Key: "k", Operator: TolerationOpExists}}
			return p
		}, func(o Object) { o.(*Pod).Spec.Tolerations = nil }, []wantErr{{"spec.tolerations", ErrorTypeForbidden}, {"spec", ErrorTypeForbidden}}},
		{"service clusterIP", func() Object { s := goodService(); s.Spec.ClusterIP = "10.96.0.10"; return s }, func(o Object) {
			o.(*Service).Spec.ClusterIP = "10.96.0.11"
		}, []wantErr{{"spec.clusterIP", ErrorTypeImmutable}}},
		{"new object is validated too", func() Object { return goodService() }, func(o Object) {
			o.(*Service).Spec.Ports[0].Port = 0
		}, []wantErr{{"spec.ports[0].port", ErrorTypeRequired}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := tc.old()
			oldCopy := old.DeepCopyObject()
			updated := old.DeepCopyObject()
			tc.change(updated)
			err := ValidateUpdate(updated, old)
			if diff := cmp.Diff(oldCopy, old); diff != "" {
				t.Errorf("ValidateUpdate modified the old object:\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, errPaths(t, err), cmp.AllowUnexported(wantErr{})); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
	if err := ValidateUpdate(goodPod(), goodService()); !errors.Is(err, ErrInvalid) {
		t.Errorf("kind change accepted: %v", err)
	}
}
