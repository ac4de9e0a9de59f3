package manifest_test

import (
	"fmt"
	"os"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/api/manifest"
)

func ExampleDecodeBytes() {
	objs, err := manifest.DecodeBytes([]byte(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	d := objs[0].(*api.Deployment)
	fmt.Println(d.Namespace, d.Name, *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].ImagePullPolicy)
	// Output: default web 1 IfNotPresent
}

func ExampleDecodeBytes_errors() {
	_, err := manifest.DecodeBytes([]byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replica: 3
---
apiVersion: v1
kind: Service
metadata:
  name: Web
spec:
  ports: [{port: 80}]
`))
	fmt.Println(err)
	// Output:
	// manifest: document 1 (line 6): spec.replica: unknown field
	// manifest: document 1 (line 5): spec.selector: required value: a non-empty selector is required
	// manifest: document 1 (line 5): spec.template.spec.containers: required value: a pod needs at least one container
	// manifest: document 2 (line 11): metadata.name: invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character
}

func ExampleEncodeYAML() {
	svc := &api.Service{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       api.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []api.ServicePort{{Port: 80, TargetPort: api.FromString("http")}}},
	}
	if err := manifest.EncodeYAML(os.Stdout, svc); err != nil {
		fmt.Println(err)
	}
	// Output:
	// apiVersion: v1
	// kind: Service
	// metadata:
	//   name: web
	//   namespace: default
	// spec:
	//   selector:
	//     app: web
	//   ports:
	//     - port: 80
	//       targetPort: http
}
