package api_test

import (
	"errors"
	"fmt"

	"github.com/fleetkit/orchestrator/api"
)

func ExampleValidate() {
	replicas := int32(-1)
	d := &api.Deployment{
		ObjectMeta: api.ObjectMeta{Name: "web", Labels: map[string]string{"app.kubernetes.io/name": "bad value"}},
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: api.PodSpec{Containers: []api.Container{{
					Name: "web", Image: "nginx:1.27",
					Resources: api.ResourceRequirements{
						Requests: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("2")},
						Limits:   api.ResourceList{api.ResourceCPU: api.MustParseQuantity("1")},
					},
				}}},
			},
		},
	}
	api.Default(d)
	err := api.Validate(d)
	fmt.Println(errors.Is(err, api.ErrInvalid))
	var fes api.FieldErrors
	errors.As(err, &fes)
	for _, fe := range fes {
		fmt.Println(fe)
	}
	// Output:
	// true
	// metadata.labels[app.kubernetes.io/name]: invalid value: "bad value": value has invalid character ' ' at offset 3 (allowed: alphanumerics, '-', '_', '.')
	// spec.replicas: invalid value: -1: must be greater than or equal to 0
	// spec.template.spec.containers[0].resources.requests.cpu: invalid value: "2": must be less than or equal to cpu limit of 1
}
