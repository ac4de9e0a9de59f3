package cni

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/runtime"
)

// Config configures a Network.
type Config struct {
	// PodCIDR is the node's pod range, e.g. 10.244.1.0/24. Required.
	PodCIDR string
	// Bridge is the bridge's name. Defaults to fk0.
	Bridge string
	// PluginDirs are searched for the plugins. Defaults to /usr/lib/cni
	// and /opt/cni/bin.
	PluginDirs []string
	// StateDir holds IPAM leases, the CNI cache and IP records. Defaults to
	// /var/lib/fleetkit/cni.
	StateDir string
	// MTU of pod interfaces; 0 lets the plugin choose.
	MTU int
	// SkipLoopback leaves lo alone, for runtimes whose sandboxes have it
	// up already (runtime.Sandbox.NetNSPath promises so): one plugin run
	// less per pod. Defaults to false: the loopback plugin runs.
	SkipLoopback bool
}

// Network attaches sandboxes to the bridge. Safe for concurrent use.
type Network struct {
	cfg       Config
	cni       *libcni.CNIConfig
	list      *libcni.NetworkConfigList // bridge
	withPorts *libcni.NetworkConfigList // bridge + portmap
	lo        *libcni.NetworkConfigList
	mu        sync.Mutex
	locks     map[string]*idLock // per sandbox: Setup and Teardown of one sandbox never overlap
}

type idLock struct {
	sync.Mutex
	refs int
}

// lock serialises the calls for one sandbox; different sandboxes run in
// parallel (the plugins lock their own shared state).
func (n *Network) lock(id string) func() {
	n.mu.Lock()
	l := n.locks[id]
	if l == nil {
		l = &idLock{}
		n.locks[id] = l
	}
	l.refs++
	n.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		n.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(n.locks, id)
		}
		n.mu.Unlock()
	}
}

var _ node.Network = (*Network)(nil)

// ErrInvalid is wrapped by configuration errors.
var ErrInvalid = errors.New("cni: invalid")

// New checks cfg and returns a Network. It changes nothing on the host:
// the bridge appears with the first Setup.
func New(cfg Config) (*Network, error) {
	p, err := netip.ParsePrefix(cfg.PodCIDR)
	if err != nil {
		return nil, fmt.Errorf("cni: pod CIDR %q: %w: %w", cfg.PodCIDR, ErrInvalid, err)
	}
	if cfg.Bridge == "" {
		cfg.Bridge = "fk0"
	}
	if len(cfg.Bridge) > 15 {
		return nil, fmt.Errorf("cni: bridge name %q longer than 15: %w", cfg.Bridge, ErrInvalid)
	}
	if len(cfg.PluginDirs) == 0 {
		cfg.PluginDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}
	}
	if cfg.StateDir == "" {
		cfg.StateDir = "/var/lib/fleetkit/cni"
	}
	for _, d := range []string{"ipam", "cache", "ips"} {
		if err := os.MkdirAll(filepath.Join(cfg.StateDir, d), 0o700); err != nil {
			return nil, fmt.Errorf("cni: state dir: %w", err)
		}
	}
	bridge := map[string]any{
		"type": "bridge", "bridge": cfg.Bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
		"ipam": map[string]any{
			"type":    "host-local",
			"ranges":  [][]map[string]string{{{"subnet": p.Masked().String()}}},
			"dataDir": filepath.Join(cfg.StateDir, "ipam"),
		},
	}
	if cfg.MTU > 0 {
		bridge["mtu"] = cfg.MTU
	}
	// portmap only acts for pods with host ports; for the others it adds
	// nothing to the host.
	// Pods without host ports use a list without portmap: one plugin run
	// less per pod.
	portmap := map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}}
	mk := func(plugins ...any) (*libcni.NetworkConfigList, error) {
		b, err := json.Marshal(map[string]any{"cniVersion": "1.0.0", "name": "fleetkit-" + cfg.Bridge, "plugins": plugins})
		if err != nil {
			return nil, fmt.Errorf("cni: %w", err)
		}
		l, err := libcni.ConfListFromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("cni: config: %w: %w", ErrInvalid, err)
		}
		return l, nil
	}
	list, err := mk(bridge)
	if err != nil {
		return nil, err
	}
	withPorts, err := mk(bridge, portmap)
	if err != nil {
		return nil, err
	}
	lo, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.0.0","name":"fleetkit-lo","plugins":[{"type":"loopback"}]}`))
	if err != nil {
		return nil, fmt.Errorf("cni: loopback config: %w", err)
	}
	return &Network{
		cfg: cfg, list: list, withPorts: withPorts, lo: lo, locks: map[string]*idLock{},
		// An explicit exec: libcni creates its default lazily, which races
		// when sandboxes are set up in parallel.
		cni: libcni.NewCNIConfigWithCacheDir(cfg.PluginDirs, filepath.Join(cfg.StateDir, "cache"),
			&invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}}),
	}, nil
}

func (n *Network) rtConf(sb runtime.Sandbox, ifname string, ports []PortMapping) *libcni.RuntimeConf {
	rc := &libcni.RuntimeConf{
		ContainerID: sb.ID, NetNS: sb.NetNSPath, IfName: ifname,
		Args: [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", sb.Namespace}, {"K8S_POD_NAME", sb.Name}, {"K8S_POD_INFRA_CONTAINER_ID", sb.ID}},
	}
	if len(ports) > 0 {
		rc.CapabilityArgs = map[string]any{"portMappings": ports}
	}
	return rc
}

// PortMapping forwards a host port to a pod port (a container's hostPort).
type PortMapping struct {
	HostPort      int32  `json:"hostPort"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// hostPorts lists the host ports a pod asks for.
func hostPorts(pod *api.Pod) []PortMapping {
	if pod == nil {
		return nil
	}
	var out []PortMapping
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			proto := strings.ToLower(string(p.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			out = append(out, PortMapping{HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: proto, HostIP: p.HostIP})
		}
	}
	return out
}

func (n *Network) listFor(ports []PortMapping) *libcni.NetworkConfigList {
	if len(ports) > 0 {
		return n.withPorts
	}
	return n.list
}

// record is what Setup remembers of a sandbox, for idempotence and for
// Teardown.
type record struct {
	IP    string        `json:"ip"`
	Ports []PortMapping `json:"ports,omitempty"`
}

func (n *Network) record(id string) string { return filepath.Join(n.cfg.StateDir, "ips", id) }

func (n *Network) readRecord(id string) (record, bool) {
	var rec record
	b, err := os.ReadFile(n.record(id))
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.IP == "" {
		return record{}, false
	}
	return rec, true
}

// Setup implements node.Network.
func (n *Network) Setup(ctx context.Context, sb runtime.Sandbox, pod *api.Pod) (string, error) {
	if sb.NetNSPath == "" {
		return "", fmt.Errorf("cni: sandbox %s has no network namespace: %w", sb.ID, ErrInvalid)
	}
	defer n.lock(sb.ID)()
	if rec, ok := n.readRecord(sb.ID); ok {
		return rec.IP, nil
	}
	// Loopback and eth0 are independent: set them up in parallel.
	loErr := make(chan error, 1)
	go func() {
		if n.cfg.SkipLoopback {
			loErr <- nil
			return
		}
		_, err := n.cni.AddNetworkList(ctx, n.lo, n.rtConf(sb, "lo", nil))
		loErr <- err
	}()
	ports := hostPorts(pod)
	list := n.listFor(ports)
	res, err := n.cni.AddNetworkList(ctx, list, n.rtConf(sb, "eth0", ports))
	if lerr := <-loErr; lerr != nil && err == nil {
		err = fmt.Errorf("loopback: %w", lerr)
	}
	if err != nil {
		_ = n.cni.DelNetworkList(context.WithoutCancel(ctx), list, n.rtConf(sb, "eth0", ports))
		return "", fmt.Errorf("cni: add %s: %w", sb.ID, runtime.Transient(err))
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil || len(r.IPs) == 0 {
		return "", fmt.Errorf("cni: add %s: no IP in result (%v)", sb.ID, err)
	}
	ip := r.IPs[0].Address.IP.String()
	b, err := json.Marshal(record{IP: ip, Ports: ports})
	if err != nil {
		return "", fmt.Errorf("cni: record %s: %w", sb.ID, err)
	}
	if err := os.WriteFile(n.record(sb.ID), b, 0o600); err != nil {
		return "", fmt.Errorf("cni: record %s: %w", sb.ID, err)
	}
	return ip, nil
}

// Teardown implements node.Network.
func (n *Network) Teardown(ctx context.Context, sb runtime.Sandbox) error {
	defer n.lock(sb.ID)()
	rec, _ := n.readRecord(sb.ID)
	rc := n.rtConf(sb, "eth0", rec.Ports)
	if _, err := os.Stat(sb.NetNSPath); err != nil {
		rc.NetNS = "" // gone: plugins still release the address
	}
	if err := n.cni.DelNetworkList(ctx, n.listFor(rec.Ports), rc); err != nil {
		return fmt.Errorf("cni: del %s: %w", sb.ID, runtime.Transient(err))
	}
	if err := os.Remove(n.record(sb.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cni: record %s: %w", sb.ID, err)
	}
	return nil
}
