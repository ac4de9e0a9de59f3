package reconciletest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// LeaseNamespace is where node leases live.
const LeaseNamespace = "kube-node-lease"

// KubeletConfig configures a Kubelet.
type KubeletConfig struct {
	// Store is the cluster's store. Required.
	Store store.Store
	// Nodes are the simulated nodes' names. Required.
	Nodes []string
	// Clock stamps conditions and leases. Defaults to RealClock.
	Clock reconcile.Clock
	// Workers is how many pods are handled at once. Defaults to 8.
	Workers int
	// Bind, when true, binds unscheduled pods to nodes round-robin (a
	// trivial placement standing in for a scheduler).
	Bind bool
	// Allocatable is what RegisterNodes reports as each node's capacity
	// and allocatable resources (for a real scheduler). Defaults to none.
	Allocatable api.ResourceList
	// Fail, when set, names pods that cannot start: they stay Pending
	// and not ready (as with an image that cannot be pulled).
	Fail func(*api.Pod) bool
}

// Kubelet simulates the node agents of many nodes in one process: it
// marks pods bound to a live node Running and Ready through the store,
// binds unscheduled pods when asked to, and renews the nodes' leases.
// Safe for concurrent use.
type Kubelet struct {
	cfg  KubeletConfig
	pods *informer.Informer[*api.Pod]
	ctrl *reconcile.Controller

	mu   sync.Mutex
	down map[string]bool
	next atomic.Uint64 // pod IPs
	rr   atomic.Uint64 // round-robin placement
}

// NewKubelet returns a simulated kubelet; Start runs it.
func NewKubelet(cfg KubeletConfig) (*Kubelet, error) {
	if cfg.Store == nil || len(cfg.Nodes) == 0 {
		return nil, fmt.Errorf("reconciletest: kubelet needs a store and nodes: %w", store.ErrInvalid)
	}
	if cfg.Clock == nil {
		cfg.Clock = reconcile.RealClock{}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	k := &Kubelet{cfg: cfg, down: map[string]bool{}}
	var err error
	if k.pods, err = informer.New[*api.Pod](cfg.Store, informer.Config[*api.Pod]{}); err != nil {
		return nil, err
	}
	if k.ctrl, err = reconcile.New(reconcile.Config{Name: "kubelet", Reconciler: reconcile.ReconcilerFunc(k.reconcile),
		Workers: cfg.Workers, Clock: cfg.Clock}); err != nil {
		return nil, err
	}
	reconcile.Watch(k.ctrl, k.pods, reconcile.ForObject())
	return k, nil
}

// Start runs the kubelet until ctx ends.
func (k *Kubelet) Start(ctx context.Context) error { return k.ctrl.Start(ctx) }

// RegisterNodes creates the Node objects (Ready) and their Leases.
func (k *Kubelet) RegisterNodes(ctx context.Context) error {
	now := k.cfg.Clock.Now()
	for _, n := range k.cfg.Nodes {
		node := &api.Node{ObjectMeta: api.ObjectMeta{Name: n, Labels: map[string]string{api.LabelHostname: n}}}
		if _, err := k.cfg.Store.Create(ctx, node); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
		got, err := k.cfg.Store.Get(ctx, api.KindNode, "", n)
		if err != nil {
			return err
		}
		node = got.(*api.Node)
		if k.cfg.Allocatable != nil {
			node.Status.Capacity = maps.Clone(k.cfg.Allocatable)
			node.Status.Allocatable = maps.Clone(k.cfg.Allocatable)
		}
		node.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletReady"}}
		if _, err := k.cfg.Store.UpdateStatus(ctx, node); err != nil {
			return err
		}
	}
	return k.RenewLeases(ctx)
}

// RenewLeases renews the lease of every live node to the clock's now,
// and reports Ready=True again for a live node that is not Ready.
func (k *Kubelet) RenewLeases(ctx context.Context) error {
	now := k.cfg.Clock.Now()
	for _, n := range k.cfg.Nodes {
		if k.IsDown(n) {
			continue
		}
		if err := k.reportReady(ctx, n, now); err != nil {
			return err
		}
		holder := n
		dur := int32(40)
		l := &api.Lease{ObjectMeta: api.ObjectMeta{Name: n, Namespace: LeaseNamespace},
			Spec: api.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur, RenewTime: &now}}
		if _, err := k.cfg.Store.Update(ctx, l); errors.Is(err, store.ErrNotFound) {
			_, err = k.cfg.Store.Create(ctx, l)
			if err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return nil
}

func (k *Kubelet) reportReady(ctx context.Context, name string, now time.Time) error {
	o, err := k.cfg.Store.Get(ctx, api.KindNode, "", name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	node := o.(*api.Node)
	for _, c := range node.Status.Conditions {
		if c.Type == api.NodeReady && c.Status == api.ConditionTrue {
			return nil
		}
	}
	node.Status.Conditions = slices.DeleteFunc(node.Status.Conditions, func(c api.NodeCondition) bool { return c.Type == api.NodeReady })
	node.Status.Conditions = append(node.Status.Conditions, api.NodeCondition{Type: api.NodeReady, Status: api.ConditionTrue,
		LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletReady"})
	_, err = k.cfg.Store.UpdateStatus(ctx, node)
	return err
}

// SetDown stops (or restarts) a node: a down node renews no lease and
// starts no pod.
func (k *Kubelet) SetDown(node string, down bool) {
	k.mu.Lock()
	k.down[node] = down
	k.mu.Unlock()
	if !down {
		for _, p := range k.pods.List(nil) {
			if p.Spec.NodeName == node {
				k.ctrl.Queue().Add(reconcile.RequestFor(p))
			}
		}
	}
}

// IsDown reports whether SetDown(node, true) is in effect.
func (k *Kubelet) IsDown(node string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.down[node]
}

func (k *Kubelet) reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	p, ok := k.pods.Get(req.Namespace, req.Name)
	if !ok || p.DeletionTimestamp != nil || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
		return reconcile.Result{}, nil
	}
	if p.Spec.NodeName == "" {
		if !k.cfg.Bind {
			return reconcile.Result{}, nil
		}
		node := k.pickNode()
		if node == "" {
			return reconcile.Result{}, nil
		}
		cp := p.DeepCopy()
		cp.Spec.NodeName = node
		out, err := k.cfg.Store.Update(ctx, cp)
		if errors.Is(err, store.ErrNotFound) {
			return reconcile.Result{}, nil
		}
		if err != nil {
			return reconcile.Result{}, err
		}
		p = out.(*api.Pod)
	}
	if k.IsDown(p.Spec.NodeName) {
		return reconcile.Result{}, nil
	}
	failing := k.cfg.Fail != nil && k.cfg.Fail(p)
	if (failing && p.Status.Phase == api.PodPending) || (!failing && p.Status.Phase == api.PodRunning) {
		return reconcile.Result{}, nil
	}
	cp := p.DeepCopy()
	now := k.cfg.Clock.Now()
	cp.Status.HostIP = "10.0.0.1"
	if failing {
		cp.Status.Phase = api.PodPending
		cp.Status.Conditions = []api.PodCondition{{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: now},
			{Type: api.PodReady, Status: api.ConditionFalse, LastTransitionTime: now, Reason: "ContainersNotReady"}}
		cp.Status.ContainerStatuses = nil
		for _, c := range cp.Spec.Containers {
			cp.Status.ContainerStatuses = append(cp.Status.ContainerStatuses, api.ContainerStatus{Name: c.Name, Image: c.Image,
				State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: "ErrImagePull"}}})
		}
	} else {
		n := k.next.Add(1)
		cp.Status.Phase = api.PodRunning
		cp.Status.PodIP = fmt.Sprintf("10.%d.%d.%d", 100+n>>16&0xff, n>>8&0xff, n&0xff)
		cp.Status.StartTime = &now
		cp.Status.Conditions = []api.PodCondition{{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: now},
			{Type: api.ContainersReady, Status: api.ConditionTrue, LastTransitionTime: now},
			{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: now}}
		cp.Status.ContainerStatuses = nil
		for _, c := range cp.Spec.Containers {
			cp.Status.ContainerStatuses = append(cp.Status.ContainerStatuses, api.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true,
				State: api.ContainerState{Running: &api.ContainerStateRunning{StartedAt: now}}})
		}
	}
	if _, err := k.cfg.Store.UpdateStatus(ctx, cp); err != nil && !errors.Is(err, store.ErrNotFound) {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, nil
}

func (k *Kubelet) pickNode() string {
	for range len(k.cfg.Nodes) {
		n := k.cfg.Nodes[int(k.rr.Add(1)%uint64(len(k.cfg.Nodes)))]
		if !k.IsDown(n) {
			return n
		}
	}
	return ""
}
