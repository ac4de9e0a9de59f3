package containerd

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/typeurl/v2"

	"github.com/fleetkit/orchestrator/runtime"
)

// Stats implements runtime.Containers.
func (r *Runtime) Stats(ctx context.Context, id string) (runtime.Usage, error) {
	ctx = r.nsctx(ctx)
	t, err := r.runningTask(ctx, id)
	if err != nil {
		return runtime.Usage{}, err
	}
	m, err := t.Metrics(ctx)
	if err != nil {
		return runtime.Usage{}, wrap(err, "metrics %s", id)
	}
	v, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		return runtime.Usage{}, fmt.Errorf("containerd: metrics %s: %w", id, err)
	}
	u := runtime.Usage{Timestamp: time.Now()}
	if m.Timestamp != nil {
		u.Timestamp = m.Timestamp.AsTime()
	}
	switch s := v.(type) {
	case *v1.Metrics:
		if s.CPU != nil && s.CPU.Usage != nil {
			u.CPUUsageNanos = s.CPU.Usage.Total
		}
		if s.Memory != nil && s.Memory.Usage != nil {
			u.MemoryBytes = s.Memory.Usage.Usage
			if s.Memory.TotalInactiveFile < u.MemoryBytes {
				u.MemoryBytes -= s.Memory.TotalInactiveFile
			}
		}
	case *v2.Metrics:
		if s.CPU != nil {
			u.CPUUsageNanos = s.CPU.UsageUsec * 1000
		}
		if s.Memory != nil {
			u.MemoryBytes = s.Memory.Usage
			if s.Memory.InactiveFile < u.MemoryBytes {
				u.MemoryBytes -= s.Memory.InactiveFile
			}
		}
	default:
		return runtime.Usage{}, fmt.Errorf("containerd: metrics %s: unknown type %T", id, v)
	}
	return u, nil
}

// cgroupOOMKills reads the OOM-kill counter of a task's cgroup, or 0 when
// it cannot be read.
func cgroupOOMKills(ctx context.Context, t client.Task) uint64 {
	m, err := t.Metrics(ctx)
	if err != nil {
		return 0
	}
	v, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		return 0
	}
	switch s := v.(type) {
	case *v1.Metrics:
		if s.MemoryOomControl != nil {
			return s.MemoryOomControl.OomKill
		}
	case *v2.Metrics:
		if s.MemoryEvents != nil {
			return s.MemoryEvents.OomKill
		}
	}
	return 0
}
