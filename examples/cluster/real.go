package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/node/cni"
	"github.com/fleetkit/orchestrator/runtime"
	"github.com/fleetkit/orchestrator/runtime/containerd"
	"github.com/fleetkit/orchestrator/store"
)

// realNodes are node agents that run real containers through containerd,
// each in a containerd namespace of its own, on a CNI bridge of its own.
type realNodes struct {
	agents   []*node.Agent
	runtimes []*containerd.Runtime
	networks []*cni.Network
	bridges  []string
	tmpDir   string
}

// newRealNodes builds cfg.Nodes agents on the containerd at cfg.Containerd
// and imports cfg.Images into each.
func newRealNodes(ctx context.Context, st store.Store, cfg config) (*realNodes, error) {
	r := &realNodes{}
	dir := cfg.StateDir
	if dir == "" {
		d, err := os.MkdirTemp("", "fleetkit-cluster-")
		if err != nil {
			return nil, err
		}
		dir, r.tmpDir = d, d
	}
	images := make([][]byte, len(cfg.Images))
	for i, p := range cfg.Images {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		images[i] = b
	}
	for i := range max(cfg.Nodes, 1) {
		name := fmt.Sprintf("node-%d", i+1)
		ns := "fleetkit-" + name
		rt, err := containerd.New(containerd.Config{Address: cfg.Containerd, Namespace: ns,
			StateDir: filepath.Join(dir, name, "runtime"), Snapshotter: os.Getenv("FLEETKIT_CONTAINERD_SNAPSHOTTER"),
			Logger: cfg.Log.With("node", name)})
		if err != nil {
			r.close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r.runtimes = append(r.runtimes, rt)
		for j, img := range images {
			if _, err := rt.ImportImage(ctx, bytes.NewReader(img)); err != nil {
				r.close()
				return nil, fmt.Errorf("%s: import %s: %w", name, cfg.Images[j], err)
			}
		}
		cidr := fmt.Sprintf("10.244.%d.0/24", 200+i)
		bridge := fmt.Sprintf("fkc%d", i+1)
		netw, err := cni.New(cni.Config{PodCIDR: cidr, Bridge: bridge, StateDir: filepath.Join(dir, name, "cni"), SkipLoopback: true})
		if err != nil {
			r.close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r.networks = append(r.networks, netw)
		r.bridges = append(r.bridges, bridge)
		a, err := node.New(node.Config{NodeName: name, Store: st, Runtime: rt, Network: netw, PodCIDR: cidr,
			BackoffInitial: time.Second, Logger: cfg.Log.With("node", name)})
		if err != nil {
			r.close()
			return nil, err
		}
		r.agents = append(r.agents, a)
	}
	return r, nil
}

// drain deletes every pod (the control plane has stopped, so nothing
// recreates them) and waits, up to two minutes, until the agents have
// stopped their containers and removed their sandboxes.
func (r *realNodes) drain(ctx context.Context, st store.Store, out io.Writer) error {
	l, err := st.List(ctx, api.KindPod)
	if err != nil {
		return err
	}
	if len(l.Items) > 0 {
		fmt.Fprintf(out, "stopping %d pods\n", len(l.Items))
	}
	for _, o := range l.Items {
		m := o.Meta()
		if _, err := st.Delete(ctx, api.KindPod, m.Namespace, m.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		left := 0
		for _, rt := range r.runtimes {
			sbs, err := rt.ListSandboxes(ctx)
			if err != nil {
				return err
			}
			left += len(sbs)
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d pod sandboxes still present after two minutes", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// close releases the runtimes and removes the bridges and the temporary
// state directory this process created.
func (r *realNodes) close() {
	for _, rt := range r.runtimes {
		rt.Close()
	}
	for _, b := range r.bridges {
		_ = exec.Command("ip", "link", "del", b).Run()
	}
	if r.tmpDir != "" {
		_ = os.RemoveAll(r.tmpDir)
	}
}

var _ runtime.Runtime = (*containerd.Runtime)(nil)
