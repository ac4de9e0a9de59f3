package informer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetkit/orchestrator/api"
)

// TestCacheMatchesModel applies random puts and removes to the cache and
// to a plain map, and checks after every step that every read of the
// cache (Get, all, every index value) equals the same read computed from
// the map.
func TestCacheMatchesModel(t *testing.T) {
	c := newCache(map[string]IndexFunc[*api.Pod]{
		"node": nodeIndex,
		"app":  LabelIndex[*api.Pod]("app"),
		"multi": func(p *api.Pod) []string { // several values per object
			var out []string
			for k := range p.Labels {
				out = append(out, k)
			}
			return out
		},
	})
	model := map[objKey]*api.Pod{}
	rng := rand.New(rand.NewPCG(3, 4))
	names := func(ps []*api.Pod) []string {
		out := make([]string, 0, len(ps))
		for _, p := range ps {
			out = append(out, p.Namespace+"/"+p.Name+"@"+fmt.Sprint(p.ResourceVersion))
		}
		slices.Sort(out)
		return out
	}
	for step := range 3000 {
		k := objKey{fmt.Sprintf("ns%d", rng.IntN(3)), fmt.Sprintf("p%d", rng.IntN(30))}
		if rng.IntN(3) == 0 {
			c.remove(k)
			delete(model, k)
		} else {
			p := pod(k.namespace, k.name, map[string]string{})
			p.ResourceVersion = int64(step)
			if rng.IntN(2) == 0 {
				p.Labels["app"] = fmt.Sprint(rng.IntN(3))
			}
			if rng.IntN(2) == 0 {
				p.Labels["tier"] = "x"
			}
			if rng.IntN(4) > 0 {
				p.Spec.NodeName = fmt.Sprintf("n%d", rng.IntN(4))
			}
			c.put(k, p)
			model[k] = p
		}
		if step%50 != 0 {
			continue
		}
		var all []*api.Pod
		want := map[string][]string{}
		for _, p := range model {
			all = append(all, p)
			for name, f := range c.indexers {
				for _, v := range f(p) {
					want[name+"="+v] = append(want[name+"="+v], p.Namespace+"/"+p.Name+"@"+fmt.Sprint(p.ResourceVersion))
				}
			}
		}
		for _, v := range want {
			slices.Sort(v)
		}
		got := map[string][]string{}
		for name, idx := range c.indices {
			for v := range idx {
				got[name+"="+v] = names(c.byIndex(name, v, nil))
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("step %d: indexes (-model +cache):\n%s", step, diff)
		}
		if diff := cmp.Diff(names(all), names(c.list(nil))); diff != "" {
			t.Fatalf("step %d: list (-model +cache):\n%s", step, diff)
		}
		for k, p := range model {
			if got, ok := c.get(k); !ok || got != p {
				t.Fatalf("step %d: get %v = %v, %v", step, k, got, ok)
			}
		}
	}
}
