package node

import (
	"fmt"
	"sort"

	"github.com/fleetkit/orchestrator/api"
)

// podRequests sums a pod's container requests (a limit stands in for a
// missing request, as in Kubernetes) and counts the pod itself.
func podRequests(p *api.Pod) api.ResourceList {
	out := api.ResourceList{api.ResourcePods: api.NewQuantity(1, api.DecimalSI)}
	for _, c := range p.Spec.Containers {
		names := map[api.ResourceName]api.Quantity{}
		for k, v := range c.Resources.Limits {
			names[k] = v
		}
		for k, v := range c.Resources.Requests {
			names[k] = v
		}
		for k, v := range names {
			if cur, ok := out[k]; ok {
				out[k] = cur.Add(v)
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// admit reserves p's requests if they fit; otherwise it returns the
// resource that does not fit.
func (a *Agent) admit(p *api.Pod) (ok bool, short api.ResourceName, msg string) {
	a.admitMu.Lock()
	defer a.admitMu.Unlock()
	if _, done := a.admitted[p.UID]; done {
		return true, "", ""
	}
	req := podRequests(p)
	used := api.ResourceList{}
	for _, r := range a.admitted {
		for k, v := range r {
			if cur, ok := used[k]; ok {
				used[k] = cur.Add(v)
			} else {
				used[k] = v
			}
		}
	}
	names := make([]string, 0, len(req))
	for k := range req {
		names = append(names, string(k))
	}
	sort.Strings(names)
	for _, n := range names {
		k := api.ResourceName(n)
		want := req[k]
		if want.Sign() <= 0 {
			continue
		}
		alloc, has := a.allocatable[k]
		if !has {
			return false, k, fmt.Sprintf("Node didn't have enough resource: %s, requested: %s, capacity: 0", k, want.String())
		}
		total := want
		if u, ok := used[k]; ok {
			total = total.Add(u)
		}
		if total.Cmp(alloc) > 0 {
			u := used[k]
			return false, k, fmt.Sprintf("Node didn't have enough resource: %s, requested: %s, used: %s, capacity: %s", k, want.String(), u.String(), alloc.String())
		}
	}
	a.admitted[p.UID] = req
	return true, "", ""
}

// release returns a pod's reservation.
func (a *Agent) release(uid api.UID) {
	a.admitMu.Lock()
	delete(a.admitted, uid)
	a.admitMu.Unlock()
}
