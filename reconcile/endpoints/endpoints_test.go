package endpoints_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/endpoints"
	"github.com/fleetkit/orchestrator/reconcile/reconciletest"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/memstore"
)

func pod(name, ip string, ready bool, port int32, labels map[string]string) *api.Pod {
	st := api.ConditionFalse
	if ready {
		st = api.ConditionTrue
	}
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: labels, UID: api.UID("uid-" + name)},
		Spec: api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "c", Image: "x",
			Ports: []api.ContainerPort{{Name: "http", ContainerPort: port}}}}},
		Status: api.PodStatus{Phase: api.PodRunning, PodIP: ip, Conditions: []api.PodCondition{{Type: api.PodReady, Status: st}}},
	}
}

func service() *api.Service {
	return &api.Service{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []api.ServicePort{
			{Name: "http", Port: 80, TargetPort: api.FromString("http")},
			{Name: "metrics", Port: 9100, TargetPort: api.FromInt(9100)},
		}}}
}

func TestSubsetsResolveNamedPortsPerPod(t *testing.T) {
	web := map[string]string{"app": "web"}
	pods := []*api.Pod{
		pod("a", "10.0.0.2", true, 8080, web),
		pod("b", "10.0.0.1", true, 8080, web),
		pod("c", "10.0.0.3", false, 8080, web),
		pod("d", "10.0.0.4", true, 9090, web),
		pod("other", "10.0.0.5", true, 8080, map[string]string{"app": "db"}),
		pod("noip", "", true, 8080, web),
	}
	got := endpoints.Subsets(service(), pods)
	n1 := "n1"
	addr := func(name, ip string) api.EndpointAddress {
		return api.EndpointAddress{IP: ip, NodeName: &n1, TargetRef: &api.ObjectReference{Kind: "Pod", Namespace: "default", Name: name, UID: api.UID("uid-" + name)}}
	}
	ports := func(p int32) []api.EndpointPort {
		return []api.EndpointPort{{Name: "http", Port: p, Protocol: api.ProtocolTCP}, {Name: "metrics", Port: 9100, Protocol: api.ProtocolTCP}}
	}
	want := []api.EndpointSubset{
		{Addresses: []api.EndpointAddress{addr("b", "10.0.0.1"), addr("a", "10.0.0.2")}, NotReadyAddresses: []api.EndpointAddress{addr("c", "10.0.0.3")}, Ports: ports(8080)},
		{Addresses: []api.EndpointAddress{addr("d", "10.0.0.4")}, Ports: ports(9090)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("subsets (-want +got):\n%s", diff)
	}
	svc := service()
	svc.Spec.PublishNotReadyAddresses = true
	for _, ss := range endpoints.Subsets(svc, pods) {
		if len(ss.NotReadyAddresses) != 0 {
			t.Fatal("publishNotReadyAddresses must put every pod in addresses")
		}
	}
}

func TestEndpointsFollowPods(t *testing.T) {
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := endpoints.New(endpoints.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Start(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	bg := context.Background()
	if _, err := st.Create(bg, service()); err != nil {
		t.Fatal(err)
	}
	web := map[string]string{"app": "web"}
	for _, p := range []*api.Pod{pod("a", "10.0.0.1", true, 8080, web), pod("b", "10.0.0.2", false, 8080, web)} {
		status := p.Status
		p.UID = ""
		o, err := st.Create(bg, p)
		if err != nil {
			t.Fatal(err)
		}
		o.(*api.Pod).Status = status
		if _, err := st.UpdateStatus(bg, o); err != nil {
			t.Fatal(err)
		}
	}
	ips := func() (ready, notReady []string) {
		o, err := st.Get(bg, api.KindEndpoints, "default", "web")
		if err != nil {
			return nil, nil
		}
		for _, ss := range o.(*api.Endpoints).Subsets {
			for _, a := range ss.Addresses {
				ready = append(ready, a.IP)
			}
			for _, a := range ss.NotReadyAddresses {
				notReady = append(notReady, a.IP)
			}
		}
		return ready, notReady
	}
	str := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	reconciletest.Eventually(t, func() bool { r, n := ips(); return str(r) == `["10.0.0.1"]` && str(n) == `["10.0.0.2"]` }, "one ready, one not")
	if _, err := st.Delete(bg, api.KindPod, "default", "a"); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool { r, n := ips(); return len(r) == 0 && str(n) == `["10.0.0.2"]` }, "deleted pod removed")
	if _, err := st.Delete(bg, api.KindService, "default", "web"); err != nil {
		t.Fatal(err)
	}
	reconciletest.Eventually(t, func() bool {
		_, err := st.Get(bg, api.KindEndpoints, "default", "web")
		return errors.Is(err, store.ErrNotFound)
	}, "endpoints of a deleted service deleted")
}
