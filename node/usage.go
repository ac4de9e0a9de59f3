package node

import (
	"context"
	"sort"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/runtime"
)

// PodUsage is the resource usage of one pod.
type PodUsage struct {
	Namespace, Name string
	UID             api.UID
	Timestamp       time.Time
	// CPUMilli is the cpu rate since the previous sample, in millicores
	// (0 on the first sample of a container).
	CPUMilli int64
	// MemoryBytes is the working set.
	MemoryBytes int64
	Containers  map[string]ContainerUsage
}

// ContainerUsage is the usage of one container.
type ContainerUsage struct {
	CPUMilli    int64
	MemoryBytes int64
}

// UsageSource reports pod resource usage; the autoscalers read it.
// Agent implements it.
type UsageSource interface {
	// PodUsage samples every running pod of the node, sorted by
	// namespace and name.
	PodUsage(ctx context.Context) ([]PodUsage, error)
}

var _ UsageSource = (*Agent)(nil)

// PodUsage implements UsageSource. CPU is a rate between this call and the
// previous one.
func (a *Agent) PodUsage(ctx context.Context) ([]PodUsage, error) {
	type item struct {
		pod *api.Pod
		ids map[string]string // container id -> name
	}
	var items []item
	a.mu.Lock()
	for _, w := range a.workers {
		p, gone := w.snapshot()
		if gone {
			continue
		}
		w.mu.Lock()
		ids := map[string]string{}
		for id := range w.ids {
			ids[id] = ""
		}
		w.mu.Unlock()
		items = append(items, item{p, ids})
	}
	a.mu.Unlock()
	var out []PodUsage
	seen := map[string]bool{}
	for _, it := range items {
		pu := PodUsage{Namespace: it.pod.Namespace, Name: it.pod.Name, UID: it.pod.UID, Containers: map[string]ContainerUsage{}}
		cs, err := a.rt.ListContainers(ctx, string(it.pod.UID))
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.State != runtime.StateRunning {
				continue
			}
			if _, ok := it.ids[c.ID]; !ok {
				continue
			}
			u, err := a.rt.Stats(ctx, c.ID)
			if err != nil {
				continue // exited between list and stats
			}
			seen[c.ID] = true
			cu := ContainerUsage{MemoryBytes: int64(u.MemoryBytes)}
			a.usageMu.Lock()
			if prev, ok := a.samples[c.ID]; ok && u.Timestamp.After(prev.Timestamp) && u.CPUUsageNanos >= prev.CPUUsageNanos {
				cu.CPUMilli = int64(float64(u.CPUUsageNanos-prev.CPUUsageNanos) / float64(u.Timestamp.Sub(prev.Timestamp).Nanoseconds()) * 1000)
			}
			a.samples[c.ID] = u
			a.usageMu.Unlock()
			pu.Containers[c.Name] = cu
			pu.CPUMilli += cu.CPUMilli
			pu.MemoryBytes += cu.MemoryBytes
			if u.Timestamp.After(pu.Timestamp) {
				pu.Timestamp = u.Timestamp
			}
		}
		out = append(out, pu)
	}
	a.usageMu.Lock()
	for id := range a.samples {
		if !seen[id] {
			delete(a.samples, id)
		}
	}
	a.usageMu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
