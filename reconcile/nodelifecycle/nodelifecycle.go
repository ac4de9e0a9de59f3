package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// LeaseNamespace is where node agents renew their leases by default.
const LeaseNamespace = "kube-node-lease"

const nodeNameIndex = "nodelifecycle/spec.nodeName"

// Reasons of the conditions and logs.
const (
	ReasonNodeStatusUnknown = "NodeStatusUnknown"
	ReasonEvicted           = "TaintManagerEviction"
)

// Config configures the controller.
type Config struct {
	// Store is where nodes and pods are written. Required.
	Store store.Store
	// Informers on Store, shared with other controllers. Default to
	// informers of the controller's own.
	Nodes  *informer.Informer[*api.Node]
	Leases *informer.Informer[*api.Lease]
	Pods   *informer.Informer[*api.Pod]
	// LeaseNamespace is where node leases are. Defaults to
	// "kube-node-lease".
	LeaseNamespace string
	// GracePeriod is how old a lease may be before its node is
	// unreachable. Defaults to 40s.
	GracePeriod time.Duration
	// DefaultTolerationSeconds is how long pods without a toleration for
	// the not-ready and unreachable taints stay. Defaults to 300s.
	DefaultTolerationSeconds time.Duration
	// EvictionsPerSecond bounds the rate of evictions (burst of as many).
	// Defaults to 10.
	EvictionsPerSecond float64
	// Workers is how many nodes are handled at once. Defaults to 2.
	Workers int
	// Options: clock, logger, metrics, leader election and retry limits.
	reconcile.Options
}

// Controller is the node lifecycle controller. Safe for concurrent use.
type Controller struct {
	cfg  Config
	ctrl *reconcile.Controller

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

var _ reconcile.Reconciler = (*Controller)(nil)

// New returns a controller; Start runs it.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("nodelifecycle: no store: %w", store.ErrInvalid)
	}
	cfg.Options = cfg.Options.WithDefaults()
	if cfg.LeaseNamespace == "" {
		cfg.LeaseNamespace = LeaseNamespace
	}
	if cfg.GracePeriod <= 0 {
		cfg.GracePeriod = 40 * time.Second
	}
	if cfg.DefaultTolerationSeconds <= 0 {
		cfg.DefaultTolerationSeconds = 300 * time.Second
	}
	if cfg.EvictionsPerSecond <= 0 {
		cfg.EvictionsPerSecond = 10
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	var err error
	if cfg.Nodes, err = reconcile.InformerOr(cfg.Nodes, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("nodelifecycle: %w", err)
	}
	if cfg.Leases == nil {
		if cfg.Leases, err = informer.New[*api.Lease](cfg.Store, informer.Config[*api.Lease]{Namespace: cfg.LeaseNamespace, Logger: cfg.Logger}); err != nil {
			return nil, fmt.Errorf("nodelifecycle: %w", err)
		}
	}
	if cfg.Pods, err = reconcile.InformerOr(cfg.Pods, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("nodelifecycle: %w", err)
	}
	// The index is added to shared informers too.
	if err := cfg.Pods.AddIndexers(map[string]informer.IndexFunc[*api.Pod]{nodeNameIndex: func(p *api.Pod) []string { return []string{p.Spec.NodeName} }}); err != nil {
		return nil, fmt.Errorf("nodelifecycle: %w", err)
	}
	c := &Controller{cfg: cfg, tokens: cfg.EvictionsPerSecond, last: cfg.Clock.Now()}
	c.ctrl, err = reconcile.New(cfg.Options.Config("nodelifecycle", c, cfg.Workers))
	if err != nil {
		return nil, err
	}
	reconcile.Watch(c.ctrl, cfg.Nodes, reconcile.ForObject())
	reconcile.Watch(c.ctrl, cfg.Leases, func(o api.Object) []reconcile.Request {
		return []reconcile.Request{{Kind: api.KindNode, Name: o.Meta().Name}}
	})
	// A pod bound to a tainted node must be looked at too.
	reconcile.Watch(c.ctrl, cfg.Pods, func(o api.Object) []reconcile.Request {
		if n := o.(*api.Pod).Spec.NodeName; n != "" {
			return []reconcile.Request{{Kind: api.KindNode, Name: n}}
		}
		return nil
	})
	return c, nil
}

// Start runs the controller until ctx ends; see reconcile.Controller.Start.
func (c *Controller) Start(ctx context.Context) error { return c.ctrl.Start(ctx) }

// Reconcile checks one node's health, taints, and evictions.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	node, ok := c.cfg.Nodes.Get("", req.Name)
	if !ok {
		return reconcile.Result{}, nil
	}
	now := c.cfg.Clock.Now()
	renewed := node.CreationTimestamp
	if l, ok := c.cfg.Leases.Get(c.cfg.LeaseNamespace, node.Name); ok && l.Spec.RenewTime != nil {
		renewed = *l.Spec.RenewTime
	}
	stale := now.Sub(renewed) > c.cfg.GracePeriod
	if stale {
		// Confirm with the store: a lagging cache must not declare a live
		// node dead.
		o, err := c.cfg.Store.Get(ctx, api.KindLease, c.cfg.LeaseNamespace, node.Name)
		switch {
		case err == nil:
			if l := o.(*api.Lease); l.Spec.RenewTime != nil && l.Spec.RenewTime.After(renewed) {
				renewed = *l.Spec.RenewTime
			}
		case !errors.Is(err, store.ErrNotFound):
			return reconcile.Result{}, fmt.Errorf("nodelifecycle: read lease of %s: %w", node.Name, err)
		}
		stale = now.Sub(renewed) > c.cfg.GracePeriod
	}
	ready := readyCondition(node)

	if stale && (ready == nil || ready.Status != api.ConditionUnknown) {
		cp := node.DeepCopy()
		setReady(cp, api.ConditionUnknown, ReasonNodeStatusUnknown, "Node lease not renewed within the grace period.", now)
		out, err := c.cfg.Store.UpdateStatus(ctx, cp)
		if err != nil {
			return reconcile.Result{}, fmt.Errorf("nodelifecycle: mark node %s unknown: %w", node.Name, err)
		}
		node = out.(*api.Node)
		ready = readyCondition(node)
		c.cfg.Logger.Warn("node unreachable", "node", node.Name, "renewed", renewed)
	}
	var want string
	switch {
	case stale || (ready != nil && ready.Status == api.ConditionUnknown):
		want = api.TaintNodeUnreachable
	case ready == nil || ready.Status != api.ConditionTrue:
		want = api.TaintNodeNotReady
	}
	node, err := c.syncTaints(ctx, node, want, now)
	if err != nil {
		return reconcile.Result{}, err
	}
	if want == "" {
		// Look again when the lease would go stale.
		return reconcile.Result{RequeueAfter: renewed.Add(c.cfg.GracePeriod).Sub(now) + time.Second}, nil
	}
	after, err := c.evict(ctx, node, now)
	return reconcile.Result{RequeueAfter: after}, err
}

func readyCondition(n *api.Node) *api.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == api.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func setReady(n *api.Node, s api.ConditionStatus, reason, msg string, now time.Time) {
	c := readyCondition(n)
	if c == nil {
		n.Status.Conditions = append(n.Status.Conditions, api.NodeCondition{Type: api.NodeReady})
		c = &n.Status.Conditions[len(n.Status.Conditions)-1]
	}
	if c.Status != s {
		c.LastTransitionTime = now
	}
	c.Status, c.Reason, c.Message = s, reason, msg
}

// syncTaints leaves exactly the wanted lifecycle NoExecute taint (or
// none) on node, keeping its TimeAdded when it is already there.
func (c *Controller) syncTaints(ctx context.Context, node *api.Node, want string, now time.Time) (*api.Node, error) {
	var taints []api.Taint
	has := false
	for _, t := range node.Spec.Taints {
		lifecycle := t.Effect == api.TaintEffectNoExecute && (t.Key == api.TaintNodeUnreachable || t.Key == api.TaintNodeNotReady)
		if !lifecycle {
			taints = append(taints, t)
			continue
		}
		if t.Key == want {
			has = true
			taints = append(taints, t)
		}
	}
	if want != "" && !has {
		taints = append(taints, api.Taint{Key: want, Effect: api.TaintEffectNoExecute, TimeAdded: &now})
	}
	if len(taints) == len(node.Spec.Taints) && (want == "" || has) {
		return node, nil
	}
	cp := node.DeepCopy()
	cp.Spec.Taints = taints
	out, err := c.cfg.Store.Update(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("nodelifecycle: taint node %s: %w", node.Name, err)
	}
	if want == "" {
		c.cfg.Logger.Info("node healthy again; taints removed", "node", node.Name)
	}
	return out.(*api.Node), nil
}

// tolerates returns how long pod tolerates taint (forever: -1).
func (c *Controller) tolerates(p *api.Pod, t api.Taint) time.Duration {
	for _, tol := range p.Spec.Tolerations {
		if tol.Effect != "" && tol.Effect != t.Effect {
			continue
		}
		switch {
		case tol.Operator == api.TolerationOpExists && (tol.Key == "" || tol.Key == t.Key):
		case tol.Key == t.Key && tol.Value == t.Value:
		default:
			continue
		}
		if tol.TolerationSeconds == nil {
			return -1
		}
		return time.Duration(max(0, *tol.TolerationSeconds)) * time.Second
	}
	return c.cfg.DefaultTolerationSeconds
}

// evict deletes the pods of node whose toleration has run out; it returns
// when to look again.
func (c *Controller) evict(ctx context.Context, node *api.Node, now time.Time) (time.Duration, error) {
	var next time.Duration
	soon := func(d time.Duration) {
		if d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	unreachable := slices.ContainsFunc(node.Spec.Taints, func(t api.Taint) bool { return t.Key == api.TaintNodeUnreachable })
	for _, p := range c.cfg.Pods.ByIndex(nodeNameIndex, node.Name) {
		if p.DeletionTimestamp != nil {
			continue
		}
		if unreachable && podutil.IsReady(p) {
			// Nobody on the node can say the pod is ready any more.
			if err := c.markNotReady(ctx, p, now); err != nil {
				return 0, err
			}
		}
		var due time.Time
		forever := true
		for _, t := range node.Spec.Taints {
			if t.Effect != api.TaintEffectNoExecute {
				continue
			}
			d := c.tolerates(p, t)
			if d < 0 {
				continue
			}
			added := now
			if t.TimeAdded != nil {
				added = *t.TimeAdded
			}
			if at := added.Add(d); forever || at.Before(due) {
				due, forever = at, false
			}
		}
		if forever {
			continue
		}
		if due.After(now) {
			soon(due.Sub(now))
			continue
		}
		if wait := c.take(now); wait > 0 {
			soon(wait)
			continue
		}
		_, err := c.cfg.Store.Delete(ctx, api.KindPod, p.Namespace, p.Name, store.WithUID(p.UID))
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			return 0, fmt.Errorf("nodelifecycle: evict pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		c.cfg.Logger.Info("evicted pod", "node", node.Name, "pod", p.Namespace+"/"+p.Name, "reason", ReasonEvicted)
	}
	return next, nil
}

func (c *Controller) markNotReady(ctx context.Context, p *api.Pod, now time.Time) error {
	cp := p.DeepCopy()
	for i := range cp.Status.Conditions {
		if cp.Status.Conditions[i].Type == api.PodReady {
			cp.Status.Conditions[i] = api.PodCondition{Type: api.PodReady, Status: api.ConditionFalse, LastTransitionTime: now, Reason: "NodeUnreachable"}
		}
	}
	if _, err := c.cfg.Store.UpdateStatus(ctx, cp); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("nodelifecycle: mark pod %s/%s not ready: %w", p.Namespace, p.Name, err)
	}
	return nil
}

// take takes one eviction token, or returns how long until one is there.
func (c *Controller) take(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	burst := max(1, c.cfg.EvictionsPerSecond)
	if el := now.Sub(c.last); el > 0 {
		c.tokens = min(burst, c.tokens+el.Seconds()*c.cfg.EvictionsPerSecond)
		c.last = now
	}
	if c.tokens >= 1 {
		c.tokens--
		return 0
	}
	return time.Duration((1 - c.tokens) / c.cfg.EvictionsPerSecond * float64(time.Second))
}
