package main

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	orchestrator "github.com/fleetkit/orchestrator"
	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/api/manifest"
	"github.com/fleetkit/orchestrator/node"
	"github.com/fleetkit/orchestrator/runtime/fake"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/etcdstore"
	"github.com/fleetkit/orchestrator/store/memstore"
)

// defaultManifests are the project's example manifests: the seed
// article's Deployment and Service, a production-shaped app, a GPU
// inference Deployment and a gang of GPU trainers.
//
//go:embed manifests/*.yaml
var defaultManifests embed.FS

// config is what the command line sets.
type config struct {
	// Nodes is the number of general nodes (8 cpu, 32Gi each).
	Nodes int
	// GPUNodes is the number of GPU nodes (64 cpu, 512Gi, 8 GPUs each,
	// labelled accelerator=nvidia).
	GPUNodes int
	// Manifests are files to apply; none means the embedded examples.
	Manifests []string
	// Etcd, when set, are etcd endpoints to use instead of the embedded
	// in-memory store.
	Etcd []string
	// Containerd, when set, is a containerd socket: the nodes then run
	// real containers (runtime/containerd) on a CNI bridge network of
	// their own (node/cni) instead of simulated ones. Needs root.
	Containerd string
	// Images are OCI image archives imported into every real node.
	Images []string
	// StateDir holds the real nodes' sandboxes, logs and IP leases.
	// Defaults to a temporary directory.
	StateDir string
	// UntilReady: stop once every workload is ready (true) or run until
	// interrupted (false).
	UntilReady bool
	// Timeout bounds the run when UntilReady is set.
	Timeout time.Duration
	// Interval is how often the status table is printed.
	Interval time.Duration
	Log      *slog.Logger
	Out      io.Writer
}

// errNotReady is returned when UntilReady is set and the workloads did not
// become ready within Timeout.
var errNotReady = errors.New("cluster: workloads not ready in time")

// run assembles a whole cluster in this process: a store, the control
// plane (scheduler and controllers), and node agents (simulated, or real
// ones on containerd), then applies the manifests and reports progress
// until ctx ends or, with UntilReady, until every Deployment, ReplicaSet
// and PodGroup is ready.
func run(ctx context.Context, cfg config) error {
	// Manifests are read and checked before anything starts.
	objs, err := loadManifests(cfg.Manifests)
	if err != nil {
		return err
	}
	backend, closeStore, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore()

	cp, err := orchestrator.NewControlPlane(orchestrator.ControlPlaneConfig{Store: backend, Logger: cfg.Log})
	if err != nil {
		return err
	}
	var agents []*node.Agent
	var real *realNodes
	if cfg.Containerd != "" {
		if real, err = newRealNodes(ctx, backend, cfg); err != nil {
			return err
		}
		defer real.close()
		agents = real.agents
	} else if agents, err = newNodes(backend, cfg); err != nil {
		return err
	}

	// The control plane stops first; the node agents stay until the pods
	// are gone, so that real containers are stopped gracefully rather
	// than left running.
	cpCtx, stopCP := context.WithCancel(ctx)
	defer stopCP()
	nodeCtx, stopNodes := context.WithCancel(context.WithoutCancel(ctx))
	defer stopNodes()
	g, gctx := errgroup.WithContext(cpCtx)
	g.Go(func() error { return cp.Run(gctx) })
	var nodes errgroup.Group
	for _, a := range agents {
		nodes.Go(func() error { return a.Run(nodeCtx) })
	}
	g.Go(func() error {
		defer stopCP() // the reporter decides when a run-until-ready ends
		if err := apply(gctx, cp.Store(), objs, cfg.Out); err != nil {
			return err
		}
		return report(gctx, backend, cfg)
	})
	err = g.Wait()
	if real != nil {
		if derr := real.drain(context.WithoutCancel(ctx), backend, cfg.Out); derr != nil && err == nil {
			err = derr
		}
	}
	stopNodes()
	if nerr := nodes.Wait(); nerr != nil && err == nil {
		err = nerr
	}
	return err
}

func openStore(ctx context.Context, cfg config) (store.Store, func(), error) {
	if len(cfg.Etcd) > 0 {
		s, err := etcdstore.New(etcdstore.Config{Endpoints: cfg.Etcd, Logger: cfg.Log})
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	}
	s, err := memstore.New(memstore.Config{})
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// newNodes builds the node agents, each with a simulated runtime and pod
// network of its own.
func newNodes(st store.Store, cfg config) ([]*node.Agent, error) {
	var agents []*node.Agent
	add := func(name string, i int, capacity api.ResourceList, labels map[string]string) error {
		rt, err := fake.New(fake.Config{})
		if err != nil {
			return err
		}
		cidr := fmt.Sprintf("10.244.%d.0/24", i)
		network, err := node.NewSimulatedNetwork(cidr)
		if err != nil {
			return err
		}
		a, err := node.New(node.Config{NodeName: name, Store: st, Runtime: rt, Network: network, PodCIDR: cidr,
			Capacity: capacity, Labels: labels, BackoffInitial: time.Second, Logger: cfg.Log.With("node", name)})
		if err != nil {
			return err
		}
		agents = append(agents, a)
		return nil
	}
	zones := []string{"zone-a", "zone-b", "zone-c"}
	for i := range cfg.Nodes {
		name := fmt.Sprintf("node-%d", i+1)
		if err := add(name, i, api.ResourceList{
			api.ResourceCPU:    api.MustParseQuantity("8"),
			api.ResourceMemory: api.MustParseQuantity("32Gi"),
		}, map[string]string{api.LabelZone: zones[i%len(zones)]}); err != nil {
			return nil, err
		}
	}
	for i := range cfg.GPUNodes {
		name := fmt.Sprintf("gpu-node-%d", i+1)
		if err := add(name, 100+i, api.ResourceList{
			api.ResourceCPU:       api.MustParseQuantity("64"),
			api.ResourceMemory:    api.MustParseQuantity("512Gi"),
			api.ResourceNvidiaGPU: api.MustParseQuantity("8"),
		}, map[string]string{api.LabelZone: zones[i%len(zones)], "accelerator": "nvidia"}); err != nil {
			return nil, err
		}
	}
	return agents, nil
}

// loadManifests decodes the named files, or the embedded examples.
func loadManifests(paths []string) ([]api.Object, error) {
	var objs []api.Object
	decode := func(name string, b []byte) error {
		o, err := manifest.DecodeBytes(b)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		objs = append(objs, o...)
		return nil
	}
	if len(paths) == 0 {
		names, err := fs.Glob(defaultManifests, "manifests/*.yaml")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			b, err := defaultManifests.ReadFile(n)
			if err != nil {
				return nil, err
			}
			if err := decode(n, b); err != nil {
				return nil, err
			}
		}
		return objs, nil
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := decode(p, b); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// apply creates the objects, namespaces first, then quotas and groups,
// then the rest, so that admission sees what it checks against. An object
// that exists already is left as it is.
func apply(ctx context.Context, st store.Store, objs []api.Object, out io.Writer) error {
	rank := func(o api.Object) int {
		switch o.Kind() {
		case api.KindNamespace:
			return 0
		case api.KindResourceQuota, api.KindPodGroup:
			return 1
		}
		return 2
	}
	objs = slices.Clone(objs)
	slices.SortStableFunc(objs, func(a, b api.Object) int { return cmp.Compare(rank(a), rank(b)) })
	for _, o := range objs {
		m := o.Meta()
		if info, _ := api.LookupKind(o.Kind()); info.Namespaced && m.Namespace == "" {
			m.Namespace = "default"
		}
		if o.Kind() != api.KindNamespace && m.Namespace != "" {
			if err := ensureNamespace(ctx, st, m.Namespace); err != nil {
				return err
			}
		}
		_, err := st.Create(ctx, o)
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			fmt.Fprintf(out, "%s %s unchanged\n", strings.ToLower(string(o.Kind())), qualified(m))
		case err != nil:
			return fmt.Errorf("apply %s %s: %w", o.Kind(), qualified(m), err)
		default:
			fmt.Fprintf(out, "%s %s created\n", strings.ToLower(string(o.Kind())), qualified(m))
		}
	}
	return nil
}

func ensureNamespace(ctx context.Context, st store.Store, ns string) error {
	_, err := st.Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	return nil
}

func qualified(m *api.ObjectMeta) string {
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// report prints the workloads' state every Interval when it changed. With
// UntilReady it returns nil once everything is ready, or errNotReady after
// Timeout.
func report(ctx context.Context, st store.Store, cfg config) error {
	var deadline <-chan time.Time
	if cfg.UntilReady {
		t := time.NewTimer(cfg.Timeout)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	var last string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			return errNotReady // the last state printed is the one it ended in
		case <-tick.C:
		}
		var b strings.Builder
		ready, err := printStatus(ctx, st, &b)
		if err != nil {
			return err
		}
		if b.String() != last {
			last = b.String()
			fmt.Fprint(cfg.Out, last)
		}
		if ready && cfg.UntilReady {
			fmt.Fprintln(cfg.Out, "every workload is ready")
			return nil
		}
	}
}

// printStatus writes one table of Deployments, ReplicaSets without a
// Deployment, PodGroups, Services and nodes, and reports whether every
// workload is ready.
func printStatus(ctx context.Context, st store.Store, out io.Writer) (bool, error) {
	list := func(k api.Kind) ([]api.Object, error) {
		l, err := st.List(ctx, k)
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}
	deps, err := list(api.KindDeployment)
	if err != nil {
		return false, err
	}
	rss, err := list(api.KindReplicaSet)
	if err != nil {
		return false, err
	}
	groups, err := list(api.KindPodGroup)
	if err != nil {
		return false, err
	}
	svcs, err := list(api.KindService)
	if err != nil {
		return false, err
	}
	eps, err := list(api.KindEndpoints)
	if err != nil {
		return false, err
	}
	pods, err := list(api.KindPod)
	if err != nil {
		return false, err
	}
	nodes, err := list(api.KindNode)
	if err != nil {
		return false, err
	}

	ready := true
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\nWORKLOAD\tREADY\tUP-TO-DATE\tAVAILABLE\n")
	for _, o := range deps {
		d := o.(*api.Deployment)
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		ok := d.Status.ObservedGeneration >= d.Generation && d.Status.AvailableReplicas == want && d.Status.UpdatedReplicas == want
		ready = ready && ok
		fmt.Fprintf(w, "deployment/%s\t%d/%d\t%d\t%d\n", qualified(&d.ObjectMeta), d.Status.ReadyReplicas, want, d.Status.UpdatedReplicas, d.Status.AvailableReplicas)
	}
	for _, o := range rss {
		rs := o.(*api.ReplicaSet)
		if len(rs.OwnerReferences) > 0 {
			continue // shown through its Deployment
		}
		want := int32(1)
		if rs.Spec.Replicas != nil {
			want = *rs.Spec.Replicas
		}
		ready = ready && rs.Status.ReadyReplicas == want
		fmt.Fprintf(w, "replicaset/%s\t%d/%d\t-\t%d\n", qualified(&rs.ObjectMeta), rs.Status.ReadyReplicas, want, rs.Status.AvailableReplicas)
	}
	for _, o := range groups {
		g := o.(*api.PodGroup)
		ready = ready && g.Status.Phase == api.PodGroupRunning
		fmt.Fprintf(w, "podgroup/%s\t%s\t%d scheduled\t%d running\n", qualified(&g.ObjectMeta), cmp.Or(string(g.Status.Phase), "-"), g.Status.Scheduled, g.Status.Running)
	}
	addrs := map[string]int{}
	for _, o := range eps {
		e := o.(*api.Endpoints)
		for _, s := range e.Subsets {
			addrs[qualified(&e.ObjectMeta)] += len(s.Addresses)
		}
	}
	fmt.Fprintf(w, "\nSERVICE\tTYPE\tCLUSTER-IP\tREADY ENDPOINTS\n")
	for _, o := range svcs {
		s := o.(*api.Service)
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", qualified(&s.ObjectMeta), s.Spec.Type, cmp.Or(s.Spec.ClusterIP, "-"), addrs[qualified(&s.ObjectMeta)])
	}
	perNode := map[string]int{}
	phases := map[api.PodPhase]int{}
	for _, o := range pods {
		p := o.(*api.Pod)
		perNode[p.Spec.NodeName]++
		phases[cmp.Or(p.Status.Phase, api.PodPending)]++
	}
	fmt.Fprintf(w, "\nNODE\tPODS\tREADY\n")
	for _, o := range nodes {
		n := o.(*api.Node)
		cond := "Unknown"
		for _, c := range n.Status.Conditions {
			if c.Type == api.NodeReady {
				cond = string(c.Status)
			}
		}
		fmt.Fprintf(w, "%s\t%d\t%s\n", n.Name, perNode[n.Name], cond)
	}
	fmt.Fprintf(w, "\npods: %d running, %d pending, %d failed, %d unscheduled\n",
		phases[api.PodRunning], phases[api.PodPending], phases[api.PodFailed], perNode[""])
	return ready && len(deps)+len(rss)+len(groups) > 0, w.Flush()
}
