package plugins

import (
	"strings"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	fw "github.com/fleetkit/orchestrator/sched/framework"
)

// FuzzNodeSelectorRequirement fuzzes the parsing and matching of node
// selector requirements (Gt/Lt parse integers from the pod and the node):
// no input panics, and NotIn is the negation of In on well-formed input.
func FuzzNodeSelectorRequirement(f *testing.F) {
	f.Add("zone", "In", "z1,z2", "z1")
	f.Add("gen", "Gt", "4", "5")
	f.Add("gen", "Lt", "-9223372036854775808", "x")
	f.Add("k", "Exists", "", "")
	f.Fuzz(func(t *testing.T, key, op, values, label string) {
		var vals []string
		if values != "" {
			vals = strings.Split(values, ",")
		}
		r := compileReq(&api.NodeSelectorRequirement{Key: key, Operator: api.NodeSelectorOperator(op), Values: vals})
		labels := map[string]string{key: label}
		got := r.matches(labels)
		r.matches(nil)
		if op == "In" && len(vals) > 0 {
			notIn := compileReq(&api.NodeSelectorRequirement{Key: key, Operator: api.NodeSelectorOpNotIn, Values: vals})
			if notIn.matches(labels) == got {
				t.Fatalf("In and NotIn agree on %q for %v", label, vals)
			}
		}
	})
}

// FuzzNormalizeImage fuzzes image reference normalisation: no panic, and
// it is idempotent.
func FuzzNormalizeImage(f *testing.F) {
	for _, s := range []string{"nginx", "a/b:c", "host:5000/x", "x@sha256:00", "", "/", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		once := fw.NormalizeImage(ref)
		if twice := fw.NormalizeImage(once); twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", ref, once, twice)
		}
	})
}
