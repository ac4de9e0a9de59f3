package api

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	quantityType = reflect.TypeFor[Quantity]()
	timeType     = reflect.TypeFor[time.Time]()
)

// fill sets every reachable exported field of v to a random non-zero
// value: pointers are allocated, slices and maps get two elements.
func fill(v reflect.Value, r *rand.Rand, depth int) {
	if depth > 12 {
		return
	}
	switch v.Type() {
	case quantityType:
		qs := []string{"250m", "1.5Gi", "123456789012345678901234567890", "1e3", "-7n"}
		v.Set(reflect.ValueOf(MustParseQuantity(qs[r.IntN(len(qs))])))
		return
	case timeType:
		v.Set(reflect.ValueOf(time.Unix(r.Int64N(1<<32)+1, 0).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", r.IntN(1000)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(r.IntN(100) + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(r.IntN(100) + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(r.Float64() + 1)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), r, depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), r, depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, r, depth+1)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, r, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, r, depth+1)
			}
		}
	}
}

// mutate changes every reachable leaf of v in place (through pointers,
// slices and maps), and adds a key to every map. It returns the number of
// changes.
func mutate(v reflect.Value) int {
	switch v.Type() {
	case quantityType:
		v.Set(reflect.ValueOf(v.Interface().(Quantity).Add(MustParseQuantity("1"))))
		return 1
	case timeType:
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Hour)))
		return 1
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
		return 1
	case reflect.Bool:
		v.SetBool(!v.Bool())
		return 1
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
		return 1
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
		return 1
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float() + 1)
		return 1
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return mutate(v.Elem())
	case reflect.Slice:
		n := 0
		for i := range v.Len() {
			n += mutate(v.Index(i))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return 0
		}
		n := 0
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			n += mutate(e)
			v.SetMapIndex(k, e)
		}
		k := reflect.New(v.Type().Key()).Elem()
		if k.Kind() == reflect.String {
			k.SetString("added-by-mutate")
			v.SetMapIndex(k, reflect.New(v.Type().Elem()).Elem())
			n++
		}
		return n
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				n += mutate(f)
			}
		}
		return n
	}
	return 0
}

// sharedQuantity reports a Quantity of a and b (same shape) that share
// their big.Int.
func sharedQuantity(a, b reflect.Value, path string) string {
	if a.Type() == quantityType {
		qa, qb := a.Interface().(Quantity), b.Interface().(Quantity)
		if qa.b != nil && qa.b == qb.b {
			return path
		}
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		return sharedQuantity(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		for i := range min(a.Len(), b.Len()) {
			if p := sharedQuantity(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); bv.IsValid() {
				if p := sharedQuantity(a.MapIndex(k), bv, fmt.Sprintf("%s[%v]", path, k)); p != "" {
					return p
				}
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				if p := sharedQuantity(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

func TestDeepCopyEveryKind(t *testing.T) {
	for _, ki := range Kinds() {
		t.Run(string(ki.Kind), func(t *testing.T) {
			for seed := range uint64(5) {
				orig, ref := ki.New(), ki.New()
				fill(reflect.ValueOf(orig).Elem(), rand.New(rand.NewPCG(seed, 1)), 0)
				fill(reflect.ValueOf(ref).Elem(), rand.New(rand.NewPCG(seed, 1)), 0)
				if !cmp.Equal(orig, ref) {
					t.Fatal("fill is not deterministic")
				}
				cp := orig.DeepCopyObject()
				if reflect.TypeOf(cp) != reflect.TypeOf(orig) || cp.Kind() != ki.Kind {
					t.Fatalf("DeepCopyObject returned %T", cp)
				}
				if diff := cmp.Diff(orig, cp); diff != "" {
					t.Fatalf("copy differs (-orig +copy):\n%s", diff)
				}
				if p := sharedQuantity(reflect.ValueOf(orig).Elem(), reflect.ValueOf(cp).Elem(), string(ki.Kind)); p != "" {
					t.Fatalf("quantity %s shares its big.Int with the original", p)
				}
				if n := mutate(reflect.ValueOf(cp).Elem()); n < 10 {
					t.Fatalf("mutate changed only %d leaves", n)
				}
				if cmp.Equal(orig, cp) {
					t.Fatal("mutating the copy left it equal to the original")
				}
				if diff := cmp.Diff(ref, orig); diff != "" {
					t.Fatalf("mutating the copy changed the original (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDeepCopyNil(t *testing.T) {
	var p *Pod
	if p.DeepCopy() != nil {
		t.Error("(*Pod)(nil).DeepCopy() != nil")
	}
	if o := p.DeepCopyObject(); o != nil {
		t.Errorf("(*Pod)(nil).DeepCopyObject() = %#v, want a nil interface", o)
	}
	var rl ResourceList
	if rl.DeepCopy() != nil {
		t.Error("nil ResourceList copies to non-nil")
	}
	empty := ResourceList{}
	if c := empty.DeepCopy(); c == nil || len(c) != 0 {
		t.Error("empty ResourceList copies to nil")
	}
	// nil and empty slices keep their distinction.
	pod := &Pod{Spec: PodSpec{Containers: []Container{}}}
	if c := pod.DeepCopy(); c.Spec.Containers == nil || c.Spec.Volumes != nil {
		t.Error("nil/empty slices not preserved")
	}
}

func typicalPod() *Pod {
	replicas := int64(30)
	return &Pod{
		ObjectMeta: ObjectMeta{
			Name: "web-7d9f8b6c5-x2k4j", Namespace: "default", UID: "0b7c8a56-4d1f-4e8e-9a51-2f3b1c6d7e8f",
			ResourceVersion: 12345, CreationTimestamp: time.Unix(1700000000, 0),
			Labels:          map[string]string{"app": "web", "pod-template-hash": "7d9f8b6c5", "tier": "frontend"},
			Annotations:     map[string]string{AnnotationPodDeletionCost: "10"},
			OwnerReferences: []OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9f8b6c5", UID: "1"}},
		},
		Spec: PodSpec{
			Containers: []Container{{
				Name: "web", Image: "nginx:1.27", Args: []string{"-g", "daemon off;"},
				Env:   []EnvVar{{Name: "MODE", Value: "prod"}, {Name: "POD", ValueFrom: &EnvVarSource{FieldRef: &ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				Ports: []ContainerPort{{Name: "http", ContainerPort: 80, Protocol: ProtocolTCP}},
				Resources: ResourceRequirements{
					Requests: ResourceList{ResourceCPU: MustParseQuantity("250m"), ResourceMemory: MustParseQuantity("256Mi")},
					Limits:   ResourceList{ResourceCPU: MustParseQuantity("1"), ResourceMemory: MustParseQuantity("512Mi")},
				},
				ReadinessProbe: &Probe{HTTPGet: &HTTPGetAction{Path: "/healthz", Port: FromString("http")}, PeriodSeconds: 5},
				LivenessProbe:  &Probe{TCPSocket: &TCPSocketAction{Port: FromInt(80)}},
			}, {
				Name: "sidecar", Image: "busybox", Command: []string{"sh", "-c", "sleep inf"},
				Resources: ResourceRequirements{Requests: ResourceList{ResourceCPU: MustParseQuantity("50m")}},
			}},
			RestartPolicy:                 RestartPolicyAlways,
			TerminationGracePeriodSeconds: &replicas,
			NodeSelector:                  map[string]string{"kubernetes.io/os": "linux"},
			Tolerations:                   []Toleration{{Key: TaintNodeNotReady, Operator: TolerationOpExists, Effect: TaintEffectNoExecute}},
		},
		Status: PodStatus{
			Phase:      PodRunning,
			Conditions: []PodCondition{{Type: PodReady, Status: ConditionTrue}, {Type: PodScheduled, Status: ConditionTrue}},
			PodIP:      "10.0.0.12",
			ContainerStatuses: []ContainerStatus{
				{Name: "web", Ready: true, State: ContainerState{Running: &ContainerStateRunning{StartedAt: time.Unix(1700000010, 0)}}},
				{Name: "sidecar", Ready: true, State: ContainerState{Running: &ContainerStateRunning{StartedAt: time.Unix(1700000011, 0)}}},
			},
		},
	}
}

func TestDeepCopyTypicalPod(t *testing.T) {
	p := typicalPod()
	c := p.DeepCopy()
	if diff := cmp.Diff(p, c); diff != "" {
		t.Fatal(diff)
	}
}

func BenchmarkDeepCopyPod(b *testing.B) {
	p := typicalPod()
	b.ReportAllocs()
	for b.Loop() {
		if p.DeepCopy() == nil {
			b.Fatal("nil copy")
		}
	}
}
