package objects

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

func TestDNS1123(t *testing.T) {
	cases := []struct {
		s                string
		label, subdomain bool
	}{
		{"web", true, true},
		{"web-0", true, true},
		{"0web", true, true},
		{"a.b", false, true},
		{"Web", false, false},
		{"-web", false, false},
		{"web-", false, false},
		{"a..b", false, false},
		{".a", false, false},
		{"web_0", false, false},
		{"", false, false},
		{strings.Repeat("a", 63), true, true},
		{strings.Repeat("a", 64), false, false},
		{strings.Repeat("a.", 126) + "a", false, true},
		{strings.Repeat("a.", 127), false, false},
	}
	for _, tc := range cases {
		if got := IsDNS1123Label(tc.s); got != tc.label {
			t.Errorf("IsDNS1123Label(%q) = %v", tc.s, got)
		}
		if got := IsDNS1123Subdomain(tc.s); got != tc.subdomain {
			t.Errorf("IsDNS1123Subdomain(%q) = %v", tc.s, got)
		}
	}
}

func TestGeneratedNamesAndUIDs(t *testing.T) {
	uid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[api.UID]bool{}
	for range 1000 {
		u := NewUID()
		if !uid.MatchString(string(u)) || seen[u] {
			t.Fatalf("uid %q malformed or repeated", u)
		}
		seen[u] = true
	}
	long := strings.Repeat("p", 100)
	for _, prefix := range []string{"web-", long} {
		n := GenerateName(prefix)
		if !IsDNS1123Label(n) || !strings.HasPrefix(prefix, n[:len(n)-5]) {
			t.Fatalf("GenerateName(%q) = %q", prefix, n)
		}
	}
}

func TestCheckSizeIsExact(t *testing.T) {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "p", Annotations: map[string]string{"a": ""}}}
	b, _ := json.Marshal(p)
	room := store.MaxObjectBytes - len(b)
	p.Annotations["a"] = strings.Repeat("x", room) // exactly at the limit
	var sz Sizer
	if err := sz.Check(p); err != nil {
		t.Fatalf("object of exactly MaxObjectBytes refused: %v", err)
	}
	p.Annotations["a"] += "x"
	if err := sz.Check(p); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("object one byte over: %v, want ErrInvalid", err)
	}
}

// FuzzSizeBound: the bound is never below the real encoding.
func FuzzSizeBound(f *testing.F) {
	f.Add("web", "app", "<b>&\u2028", "10.0.0.1", int64(3), "250m")
	f.Add("", "", "\xff\xfe", "", int64(-1<<63), "1Gi")
	var sz Sizer
	f.Fuzz(func(t *testing.T, name, key, value, ip string, n int64, qty string) {
		grace := n
		q, err := api.ParseQuantity(qty)
		if err != nil {
			q = api.Quantity{}
		}
		p := &api.Pod{
			ObjectMeta: api.ObjectMeta{Name: name, Namespace: key, Labels: map[string]string{key: value},
				Annotations: map[string]string{value: name}, ResourceVersion: n, Finalizers: []string{value, key}},
			Spec: api.PodSpec{
				TerminationGracePeriodSeconds: &grace,
				Containers: []api.Container{{Name: name, Image: value, Args: []string{key, value},
					Resources: api.ResourceRequirements{Limits: api.ResourceList{api.ResourceName(key): q}}}},
			},
			Status: api.PodStatus{PodIP: ip, Message: value},
		}
		b, err := json.Marshal(p)
		if err != nil {
			return
		}
		if bound := sz.Bound(p); bound < len(b) {
			t.Fatalf("bound %d below the encoded size %d: %s", bound, len(b), b)
		}
	})
}

// The Equaler agrees with reflect.DeepEqual on specs, apart from nil
// against empty, for every kind and a range of differences.
func TestSpecEqual(t *testing.T) {
	var e Equaler
	base := func() *api.Pod {
		grace := int64(30)
		return &api.Pod{
			ObjectMeta: api.ObjectMeta{Name: "p", Labels: map[string]string{"a": "b"}},
			Spec: api.PodSpec{
				TerminationGracePeriodSeconds: &grace,
				NodeSelector:                  map[string]string{"zone": "a"},
				Containers: []api.Container{{Name: "c", Image: "i", Resources: api.ResourceRequirements{
					Requests: api.ResourceList{api.ResourceCPU: api.MustParseQuantity("250m")}}}},
			},
		}
	}
	changes := map[string]func(p *api.Pod){
		"image":        func(p *api.Pod) { p.Spec.Containers[0].Image = "j" },
		"grace":        func(p *api.Pod) { *p.Spec.TerminationGracePeriodSeconds = 31 },
		"grace nil":    func(p *api.Pod) { p.Spec.TerminationGracePeriodSeconds = nil },
		"selector":     func(p *api.Pod) { p.Spec.NodeSelector["zone"] = "b" },
		"selector key": func(p *api.Pod) { p.Spec.NodeSelector = map[string]string{"region": "a"} },
		"quantity": func(p *api.Pod) {
			p.Spec.Containers[0].Resources.Requests[api.ResourceCPU] = api.MustParseQuantity("300m")
		},
		"containers": func(p *api.Pod) { p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: "d"}) },
	}
	for name, change := range changes {
		a, b := base(), base()
		change(b)
		if e.SpecEqual(a, b) {
			t.Errorf("%s: specs differ but SpecEqual says equal", name)
		}
	}
	same := map[string]func(p *api.Pod){
		"labels":       func(p *api.Pod) { p.Labels["a"] = "c" },
		"status":       func(p *api.Pod) { p.Status.Phase = api.PodRunning },
		"nil vs empty": func(p *api.Pod) { p.Spec.Volumes = []api.Volume{} },
	}
	for name, change := range same {
		a, b := base(), base()
		change(b)
		if !e.SpecEqual(a, b) {
			t.Errorf("%s: specs equal but SpecEqual says different", name)
		}
	}
	if !e.SpecEqual(base(), base().DeepCopy()) {
		t.Error("a deep copy differs")
	}
	now := time.Now()
	l1 := &api.Lease{Spec: api.LeaseSpec{RenewTime: &now}}
	utc := now.UTC()
	l2 := &api.Lease{Spec: api.LeaseSpec{RenewTime: &utc}}
	if !e.SpecEqual(l1, l2) {
		t.Error("one instant in two locations differs")
	}
	later := now.Add(time.Second)
	l2.Spec.RenewTime = &later
	if e.SpecEqual(l1, l2) {
		t.Error("two instants are equal")
	}
	ev1 := &api.Event{Reason: "a", ObjectMeta: api.ObjectMeta{Name: "x"}}
	ev2 := &api.Event{Reason: "a", ObjectMeta: api.ObjectMeta{Name: "y"}}
	if !e.SpecEqual(ev1, ev2) {
		t.Error("events differing only in metadata differ")
	}
	ev2.Reason = "b"
	if e.SpecEqual(ev1, ev2) {
		t.Error("events with different reasons are equal")
	}
}
