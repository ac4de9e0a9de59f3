package storetest

import (
	"strconv"

	"github.com/fleetkit/orchestrator/api"
)

// TypicalPod is a pod as a Deployment creates it: labels, an owner, one
// container with ports, env, resources and a probe. Backends' benchmarks
// use it, so that their figures compare.
func TypicalPod(ns, name string, app int) *api.Pod {
	ctrl := true
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{
			Namespace:       ns,
			Name:            name,
			Labels:          map[string]string{"app": "app-" + strconv.Itoa(app), "pod-template-hash": "7d4b9c8f6d", "tier": "backend"},
			Annotations:     map[string]string{"example.com/revision": "3"},
			OwnerReferences: []api.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "app-7d4b9c8f6d", UID: "0b5e7c59-2f7a-4c43-9f0e-8b1d5c7e2a11", Controller: &ctrl}},
		},
		Spec: api.PodSpec{
			Containers: []api.Container{{
				Name:  "app",
				Image: "registry.example/team/app:1.4.2",
				Ports: []api.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: api.ProtocolTCP}},
				Env:   []api.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "PORT", Value: "8080"}},
				Resources: api.ResourceRequirements{
					Requests: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("250m"), api.ResourceMemory: api.MustParseQuantity("256Mi")},
					Limits:   api.ResourceList{api.ResourceMemory: api.MustParseQuantity("512Mi")},
				},
				ReadinessProbe: &api.Probe{HTTPGet: &api.HTTPGetAction{Path: "/healthz", Port: api.FromInt(8080)}, PeriodSeconds: 10},
			}},
			RestartPolicy: api.RestartPolicyAlways,
			NodeName:      "node-" + strconv.Itoa(app),
		},
		Status: api.PodStatus{Phase: api.PodRunning, PodIP: "10.1.2.3", HostIP: "192.168.0.10"},
	}
}
