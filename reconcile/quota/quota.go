package quota

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// ErrExceeded classifies quota refusals (together with store.ErrForbidden).
var ErrExceeded = errors.New("quota: exceeded")

// Config configures the quota controller and admitter.
type Config struct {
	// Store is the backend, seen without the admitter (the controller's
	// and the admitter's own writes are not admitted again). Required.
	Store store.Store
	// Informers on Store. Default to informers of the controller's own.
	Quotas *informer.Informer[*api.ResourceQuota]
	Pods   *informer.Informer[*api.Pod]
	// Workers is how many quotas are recounted at once. Defaults to 1.
	Workers int
	// SettleTime is how long a charge made at admission is kept on top of
	// a recount, for the pod write that follows the admission to land.
	// Defaults to 5s.
	SettleTime time.Duration
	// Options: clock, logger, metrics, leader election and retry limits.
	reconcile.Options
}

// Controller keeps quota status and admits pod creations. Safe for
// concurrent use.
type Controller struct {
	cfg  Config
	ctrl *reconcile.Controller
	mu   sync.Mutex // serializes charges per process (CAS makes them safe across processes)

	ledgerMu sync.Mutex
	ledger   map[reconcile.Request][]charge // recent charges per quota
}

// charge is usage charged at admission, kept on top of recounts until the
// pod it admitted has certainly been written.
type charge struct {
	at    time.Time
	pod   string
	usage api.ResourceList
}

var _ reconcile.Reconciler = (*Controller)(nil)

// New returns a controller; Start runs the recounting, Admitter enforces.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("quota: no store: %w", store.ErrInvalid)
	}
	cfg.Options = cfg.Options.WithDefaults()
	if cfg.SettleTime <= 0 {
		cfg.SettleTime = 5 * time.Second
	}
	var err error
	if cfg.Quotas, err = reconcile.InformerOr(cfg.Quotas, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("quota: %w", err)
	}
	if cfg.Pods, err = reconcile.InformerOr(cfg.Pods, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("quota: %w", err)
	}
	c := &Controller{cfg: cfg, ledger: map[reconcile.Request][]charge{}}
	c.ctrl, err = reconcile.New(cfg.Options.Config("resourcequota", c, cfg.Workers))
	if err != nil {
		return nil, err
	}
	reconcile.Watch(c.ctrl, cfg.Quotas, reconcile.ForObject())
	// A pod that goes (or ends) releases usage; a new pod was charged at
	// admission, but a recount keeps status exact either way.
	reconcile.Watch(c.ctrl, cfg.Pods, func(o api.Object) []reconcile.Request {
		var out []reconcile.Request
		for _, q := range cfg.Quotas.ListInNamespace(o.Meta().Namespace, nil) {
			out = append(out, reconcile.RequestFor(q))
		}
		return out
	})
	return c, nil
}

// Start runs the recounting until ctx ends; see reconcile.Controller.Start.
func (c *Controller) Start(ctx context.Context) error { return c.ctrl.Start(ctx) }

// Admitter returns the admission hook for store.Admitting.
func (c *Controller) Admitter() store.Admitter { return store.AdmitFunc(c.admit) }

func (c *Controller) admit(ctx context.Context, op store.Operation, obj, _ api.Object) error {
	if op != store.Create {
		return nil
	}
	pod, ok := obj.(*api.Pod)
	if !ok {
		return nil
	}
	if pod.Name == "" && pod.GenerateName != "" {
		// Name the pod now (as the Kubernetes API server does before it
		// stores one), so that its charge can be matched to it; a rare
		// collision fails the create with ErrAlreadyExists.
		pod.Name = pod.GenerateName + randSuffix()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	usage := PodUsage(pod)
	for range 16 {
		l, err := c.cfg.Store.List(ctx, api.KindResourceQuota, store.ListInNamespace(pod.Namespace))
		if err != nil {
			return fmt.Errorf("quota: list quotas of %s: %w", pod.Namespace, err)
		}
		// Check every quota first, so a refusal charges nothing.
		for _, o := range l.Items {
			if err := Check(o.(*api.ResourceQuota), usage, pod); err != nil {
				return err
			}
		}
		conflict := false
		for i, o := range l.Items {
			q := o.(*api.ResourceQuota).DeepCopy()
			q.Status.Hard = maps.Clone(q.Spec.Hard)
			q.Status.Used = add(q.Status.Used, usage, q.Spec.Hard)
			if _, err := c.cfg.Store.UpdateStatus(ctx, q); err != nil {
				if errors.Is(err, store.ErrConflict) && i == 0 {
					conflict = true // nothing charged yet: start over
					break
				}
				return fmt.Errorf("quota: charge %s/%s: %w", q.Namespace, q.Name, err)
			}
			c.ledgerMu.Lock()
			k := reconcile.RequestFor(q)
			c.ledger[k] = append(c.ledger[k], charge{at: c.cfg.Clock.Now(), pod: pod.Name, usage: usage})
			c.ledgerMu.Unlock()
		}
		if !conflict {
			return nil
		}
	}
	return fmt.Errorf("quota: charge for pod %s/%s: quotas kept changing: %w", pod.Namespace, pod.Name, store.ErrConflict)
}

// Check returns an error wrapping store.ErrForbidden and ErrExceeded if
// adding usage to q's used amounts exceeds its hard limits.
func Check(q *api.ResourceQuota, usage api.ResourceList, pod *api.Pod) error {
	for _, name := range slices.Sorted(maps.Keys(q.Spec.Hard)) {
		hard := q.Spec.Hard[name]
		req, ok := usage[name]
		if !ok || req.IsZero() {
			continue
		}
		used := q.Status.Used[name]
		if total := used.Add(req); total.Cmp(hard) > 0 {
			over := total.Sub(hard)
			return fmt.Errorf("quota: pod %s/%s exceeds quota %s: %s requested %s, used %s, limited to %s (over by %s): %w: %w",
				pod.Namespace, podName(pod), q.Name, name, req.String(), used.String(), hard.String(), over.String(), store.ErrForbidden, ErrExceeded)
		}
	}
	return nil
}

func podName(p *api.Pod) string {
	if p.Name != "" {
		return p.Name
	}
	return p.GenerateName + "*"
}

// add returns used + usage, for the resources of hard.
func add(used, usage, hard api.ResourceList) api.ResourceList {
	out := api.ResourceList{}
	for name := range hard {
		out[name] = used[name].Add(usage[name])
	}
	return out
}

// PodUsage returns what a pod counts against quotas, under every name a
// quota may use: "pods", "requests.X", "limits.X", and bare "X" for
// requests.
func PodUsage(p *api.Pod) api.ResourceList {
	out := api.ResourceList{api.ResourcePods: api.NewQuantity(1, api.DecimalSI)}
	if p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
		return api.ResourceList{}
	}
	for _, c := range p.Spec.Containers {
		req := c.Resources.Requests
		for name, v := range c.Resources.Limits {
			if _, ok := req[name]; !ok {
				// Requests default to limits.
				req = maps.Clone(req)
				if req == nil {
					req = api.ResourceList{}
				}
				req[name] = v
			}
		}
		for name, v := range req {
			for _, k := range []api.ResourceName{name, "requests." + name} {
				out[k] = out[k].Add(v)
			}
		}
		for name, v := range c.Resources.Limits {
			k := "limits." + name
			out[k] = out[k].Add(v)
		}
	}
	return out
}

// Reconcile recounts one quota's usage from the pods in the store.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	o, err := c.cfg.Store.Get(ctx, api.KindResourceQuota, req.Namespace, req.Name)
	if errors.Is(err, store.ErrNotFound) {
		return reconcile.Result{}, nil
	}
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("quota: get %s/%s: %w", req.Namespace, req.Name, err)
	}
	q := o.(*api.ResourceQuota)
	l, err := c.cfg.Store.List(ctx, api.KindPod, store.ListInNamespace(req.Namespace))
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("quota: list pods of %s: %w", req.Namespace, err)
	}
	used := api.ResourceList{}
	for name := range q.Spec.Hard {
		used[name] = api.Quantity{}
	}
	listed := make(map[string]bool, len(l.Items))
	for _, po := range l.Items {
		p := po.(*api.Pod)
		listed[p.Name] = true
		if p.DeletionTimestamp != nil {
			continue
		}
		used = add(used, PodUsage(p), q.Spec.Hard)
	}
	// A charge whose pod is not listed yet may belong to a pod about to
	// be written: keep it for SettleTime (after that the create failed or
	// the pod is gone).
	now := c.cfg.Clock.Now()
	var after time.Duration
	c.ledgerMu.Lock()
	recent := slices.DeleteFunc(c.ledger[req], func(ch charge) bool {
		return listed[ch.pod] || now.Sub(ch.at) >= c.cfg.SettleTime
	})
	if len(recent) == 0 {
		delete(c.ledger, req)
	} else {
		c.ledger[req] = recent
		after = recent[0].at.Add(c.cfg.SettleTime).Sub(now)
	}
	for _, ch := range recent {
		used = add(used, ch.usage, q.Spec.Hard)
	}
	c.ledgerMu.Unlock()
	res := reconcile.Result{RequeueAfter: after}
	if equal(used, q.Status.Used) && equal(q.Spec.Hard, q.Status.Hard) {
		return res, nil
	}
	q.Status.Hard = maps.Clone(q.Spec.Hard)
	q.Status.Used = used
	if _, err := c.cfg.Store.UpdateStatus(ctx, q); err != nil && !errors.Is(err, store.ErrNotFound) {
		return reconcile.Result{}, fmt.Errorf("quota: update status of %s/%s: %w", q.Namespace, q.Name, err)
	}
	return res, nil
}

func equal(a, b api.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Cmp(w) != 0 {
			return false
		}
	}
	return true
}

func randSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}
