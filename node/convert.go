package node

import (
	"fmt"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/runtime"
)

// sandboxConfig derives a pod's sandbox.
func (a *Agent) sandboxConfig(p *api.Pod) runtime.SandboxConfig {
	host := p.Spec.Hostname
	if host == "" {
		host = p.Name
	}
	cfg := runtime.SandboxConfig{
		ID: string(p.UID), Namespace: p.Namespace, Name: p.Name, Hostname: host,
		Labels: map[string]string{"namespace": p.Namespace, "name": p.Name},
	}
	if p.Spec.DNSPolicy == "" || p.Spec.DNSPolicy == "ClusterFirst" {
		d := a.cfg.ClusterDomain
		cfg.DNS = runtime.DNSConfig{
			Servers:  a.cfg.ClusterDNS,
			Searches: []string{p.Namespace + ".svc." + d, "svc." + d, d},
			Options:  []string{"ndots:5"},
		}
	}
	for _, v := range p.Spec.Volumes {
		if v.EmptyDir == nil {
			continue
		}
		vc := runtime.VolumeConfig{Name: v.Name, Memory: v.EmptyDir.Medium == "Memory"}
		if v.EmptyDir.SizeLimit != nil {
			vc.SizeLimit = v.EmptyDir.SizeLimit.Value()
		}
		cfg.Volumes = append(cfg.Volumes, vc)
	}
	return cfg
}

// containerConfig derives a container's runtime config.
func (a *Agent) containerConfig(p *api.Pod, c *api.Container, attempt int, podIP string) runtime.ContainerConfig {
	cfg := runtime.ContainerConfig{
		Name: c.Name, Attempt: attempt, Image: c.Image, Command: c.Command, Args: c.Args,
		WorkingDir: c.WorkingDir,
		Labels:     map[string]string{"pod": p.Namespace + "/" + p.Name},
	}
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				v = p.Name
			case "metadata.namespace":
				v = p.Namespace
			case "metadata.uid":
				v = string(p.UID)
			case "spec.nodeName":
				v = a.cfg.NodeName
			case "status.podIP":
				v = podIP
			}
		}
		cfg.Env = append(cfg.Env, e.Name+"="+v)
	}
	cfg.Env = append(cfg.Env, "HOSTNAME="+p.Name)
	for _, m := range c.VolumeMounts {
		cfg.Mounts = append(cfg.Mounts, runtime.Mount{Volume: m.Name, ContainerPath: m.MountPath, ReadOnly: m.ReadOnly})
	}
	if q, ok := c.Resources.Requests[api.ResourceCPU]; ok {
		cfg.Resources.CPUShares = uint64(max(2, q.MilliValue()*1024/1000))
	} else if q, ok := c.Resources.Limits[api.ResourceCPU]; ok {
		cfg.Resources.CPUShares = uint64(max(2, q.MilliValue()*1024/1000))
	}
	if q, ok := c.Resources.Limits[api.ResourceCPU]; ok {
		cfg.Resources.CPUPeriod = 100000
		cfg.Resources.CPUQuota = max(1000, q.MilliValue()*100)
	}
	if q, ok := c.Resources.Limits[api.ResourceMemory]; ok {
		cfg.Resources.MemoryLimit = q.Value()
	}
	cfg.Resources.PidsLimit = a.cfg.PodPidsLimit

	psc := p.Spec.SecurityContext
	if psc != nil {
		cfg.Security.RunAsUser, cfg.Security.RunAsGroup = psc.RunAsUser, psc.RunAsGroup
		if psc.SeccompProfile != nil && psc.SeccompProfile.Type == "Unconfined" {
			cfg.Security.SeccompUnconfined = true
		}
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			cfg.Security.RunAsUser = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			cfg.Security.RunAsGroup = sc.RunAsGroup
		}
		cfg.Security.ReadOnlyRootfs = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
		cfg.Security.Privileged = sc.Privileged != nil && *sc.Privileged
		cfg.Security.NoNewPrivileges = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
		if sc.Capabilities != nil {
			cfg.Security.CapAdd, cfg.Security.CapDrop = sc.Capabilities.Add, sc.Capabilities.Drop
		}
		if sc.SeccompProfile != nil {
			cfg.Security.SeccompUnconfined = sc.SeccompProfile.Type == "Unconfined"
		}
	}
	return cfg
}

func containerID(id string) string { return fmt.Sprintf("fleetkit://%s", id) }
