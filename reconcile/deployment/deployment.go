package deployment

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile"
	"github.com/fleetkit/orchestrator/reconcile/internal/podutil"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/informer"
)

// Annotations of this controller.
const (
	// AnnotationDesiredReplicas, on a ReplicaSet, is the Deployment's
	// replicas when the ReplicaSet was last scaled (proportional scaling).
	AnnotationDesiredReplicas = "deployment.kubernetes.io/desired-replicas"
	// AnnotationMaxReplicas, on a ReplicaSet, is replicas + maxSurge of
	// the Deployment when the ReplicaSet was last scaled.
	AnnotationMaxReplicas = "deployment.kubernetes.io/max-replicas"
	// AnnotationComplete, on a ReplicaSet, marks a revision whose rollout
	// completed: the target of automatic rollbacks.
	AnnotationComplete = "deployment.fleetkit.dev/complete"
)

// Condition reasons, as Kubernetes.
const (
	ReasonNewRSAvailable   = "NewReplicaSetAvailable"
	ReasonRSUpdated        = "ReplicaSetUpdated"
	ReasonDeadlineExceeded = "ProgressDeadlineExceeded"
	ReasonPaused           = "DeploymentPaused"
	ReasonResumed          = "DeploymentResumed"
	ReasonMinAvailable     = "MinimumReplicasAvailable"
	ReasonMinUnavailable   = "MinimumReplicasUnavailable"
	ReasonAutoRollback     = "AutoRollback"
)

// Config configures the controller.
type Config struct {
	// Store is where Deployments and ReplicaSets are written. Required.
	Store store.Store
	// Informers on Store, shared with other controllers. Default to
	// informers of the controller's own.
	Deployments *informer.Informer[*api.Deployment]
	ReplicaSets *informer.Informer[*api.ReplicaSet]
	Pods        *informer.Informer[*api.Pod]
	// Workers is how many Deployments are reconciled at once. Defaults to 4.
	Workers int
	// Options: clock, logger, metrics, leader election and retry limits.
	reconcile.Options
}

// Controller is the Deployment controller. Safe for concurrent use.
type Controller struct {
	cfg  Config
	ctrl *reconcile.Controller
}

var _ reconcile.Reconciler = (*Controller)(nil)

// New returns a controller; Start runs it.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("deployment: no store: %w", store.ErrInvalid)
	}
	cfg.Options = cfg.Options.WithDefaults()
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	var err error
	if cfg.Deployments, err = reconcile.InformerOr(cfg.Deployments, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("deployment: %w", err)
	}
	if cfg.ReplicaSets, err = reconcile.InformerOr(cfg.ReplicaSets, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("deployment: %w", err)
	}
	if cfg.Pods, err = reconcile.InformerOr(cfg.Pods, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("deployment: %w", err)
	}
	c := &Controller{cfg: cfg}
	c.ctrl, err = reconcile.New(cfg.Options.Config("deployment", c, cfg.Workers))
	if err != nil {
		return nil, err
	}
	reconcile.Watch(c.ctrl, cfg.Deployments, reconcile.ForObject())
	owner := reconcile.ForController(api.KindDeployment)
	reconcile.Watch(c.ctrl, cfg.ReplicaSets, func(o api.Object) []reconcile.Request {
		if reqs := owner(o); len(reqs) > 0 {
			return reqs
		}
		return c.adopters(o) // an orphan: the Deployments that may adopt it
	})
	// Pods are read (podCounts: pods not yet deleted, available pods), so
	// their changes must requeue the Deployment too. Their ReplicaSets'
	// status is not enough: the ReplicaSet controller counts pods through
	// its own informer, which may be ahead of this one; a sync that ran on
	// the new ReplicaSet status but a stale pod cache would otherwise never
	// run again once this cache caught up.
	reconcile.WatchHandler(c.ctrl, cfg.Pods, informer.HandlerFuncs[*api.Pod]{
		AddFunc:    c.podChanged,
		UpdateFunc: func(_, p *api.Pod) { c.podChanged(p) },
		DeleteFunc: c.podChanged,
	})
	return c, nil
}

func (c *Controller) adopters(o api.Object) []reconcile.Request {
	m := o.Meta()
	if podutil.ControllerOf(m) != nil {
		return nil
	}
	var out []reconcile.Request
	for _, d := range c.cfg.Deployments.ListInNamespace(m.Namespace, nil) {
		if sel, err := api.LabelSelectorAsSelector(d.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(m.Labels) {
			out = append(out, reconcile.RequestFor(d))
		}
	}
	return out
}

// podChanged queues the Deployment that controls p's ReplicaSet. A pod
// whose ReplicaSet is not in the cache yet needs nothing: the
// ReplicaSet's own event will queue its Deployment.
func (c *Controller) podChanged(p *api.Pod) {
	ref := podutil.ControllerOf(&p.ObjectMeta)
	if ref == nil || ref.Kind != string(api.KindReplicaSet) {
		return
	}
	rs, ok := c.cfg.ReplicaSets.Get(p.Namespace, ref.Name)
	if !ok || rs.UID != ref.UID {
		return
	}
	if dref := podutil.ControllerOf(&rs.ObjectMeta); dref != nil && dref.Kind == string(api.KindDeployment) {
		c.ctrl.Queue().Add(reconcile.Request{Kind: api.KindDeployment, Namespace: rs.Namespace, Name: dref.Name})
	}
}

// Start runs the controller until ctx ends; see reconcile.Controller.Start.
func (c *Controller) Start(ctx context.Context) error { return c.ctrl.Start(ctx) }

// Reconcile drives one Deployment.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	d, ok := c.cfg.Deployments.Get(req.Namespace, req.Name)
	if !ok || d.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	d = d.DeepCopy()
	if d.Spec.Selector == nil {
		return reconcile.Result{}, reconcile.Terminal(fmt.Errorf("deployment: %s/%s has no selector: %w", d.Namespace, d.Name, store.ErrInvalid))
	}
	rss, adopted, err := c.claimReplicaSets(ctx, d)
	if err != nil || adopted {
		// After an adoption, look again once the informer shows it.
		return reconcile.Result{Requeue: adopted}, err
	}
	if to, ok := d.Annotations[api.AnnotationRollbackTo]; ok {
		return reconcile.Result{}, c.rollback(ctx, d, rss, to)
	}
	newRS, olds := findNewRS(d, rss)
	if !d.Spec.Paused && newRS == nil {
		if behind, err := c.cacheBehind(ctx, d); err != nil || behind {
			return reconcile.Result{Requeue: behind}, err
		}
		var err error
		if newRS, err = c.createNewRS(ctx, d, rss); err != nil {
			return reconcile.Result{}, err
		}
		rss = append(rss, newRS)
	} else if newRS != nil {
		if err := c.syncRevision(ctx, d, newRS, rss); err != nil {
			return reconcile.Result{}, err
		}
	}
	replicas := ptrOr(d.Spec.Replicas, 1)
	surge, unavail := int32(0), int32(0)
	if d.Spec.Strategy.Type != api.RecreateDeploymentStrategyType {
		var ru api.RollingUpdateDeployment
		if d.Spec.Strategy.RollingUpdate != nil {
			ru = *d.Spec.Strategy.RollingUpdate
		}
		var err error
		if surge, unavail, err = ResolveFenceposts(ru.MaxSurge, ru.MaxUnavailable, replicas); err != nil {
			return reconcile.Result{}, reconcile.Terminal(err)
		}
	}
	changed := false
	switch {
	case c.isScalingEvent(d, rss, replicas):
		changed, err = c.scaleProportionally(ctx, d, newRS, olds, replicas, surge)
	case d.Spec.Paused:
	case d.Spec.Strategy.Type == api.RecreateDeploymentStrategyType:
		changed, err = c.recreate(ctx, d, newRS, olds, replicas)
	default:
		changed, err = c.rollingUpdate(ctx, d, newRS, olds, replicas, surge, unavail)
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	if err := c.cleanup(ctx, d, newRS, olds); err != nil {
		return reconcile.Result{}, err
	}
	return c.syncStatus(ctx, d, newRS, c.ownedReplicaSets(d), replicas, unavail, changed)
}

// claimReplicaSets returns d's ReplicaSets, adopting orphans whose labels
// match d's selector (a compare-and-swap adds the controller reference).
func (c *Controller) claimReplicaSets(ctx context.Context, d *api.Deployment) ([]*api.ReplicaSet, bool, error) {
	sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, false, reconcile.Terminal(fmt.Errorf("deployment: %s/%s: %w: %w", d.Namespace, d.Name, store.ErrInvalid, err))
	}
	for _, rs := range c.cfg.ReplicaSets.ListInNamespace(d.Namespace, nil) {
		if podutil.ControllerOf(&rs.ObjectMeta) != nil || rs.DeletionTimestamp != nil || sel.Empty() || !sel.Matches(rs.Labels) {
			continue
		}
		cp := rs.DeepCopy()
		cp.OwnerReferences = append(cp.OwnerReferences, podutil.ControllerRef(d))
		if _, err := c.cfg.Store.Update(ctx, cp); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("deployment: adopt replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
		}
		c.cfg.Logger.Info("adopted replicaset", "deployment", d.Name, "replicaset", rs.Name)
		return nil, true, nil
	}
	return c.ownedReplicaSets(d), false, nil
}

// cacheBehind reports whether the store holds a ReplicaSet of d's (or an
// orphan d would adopt) that the ReplicaSet cache does not show yet, or
// shows older. Creating a ReplicaSet is the one decision that a stale
// cache makes wrong for good: the informers are separate, so a new
// Deployment can be seen before the orphan created just before it, and
// the Deployment would then create a second ReplicaSet of the same
// template. When the cache is behind, the sync waits for it: that
// ReplicaSet's event queues d again (see New), and the requeue covers the
// rest.
func (c *Controller) cacheBehind(ctx context.Context, d *api.Deployment) (bool, error) {
	sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() {
		return false, nil // claimReplicaSets has rejected these already
	}
	l, err := c.cfg.Store.List(ctx, api.KindReplicaSet, store.ListInNamespace(d.Namespace))
	if err != nil {
		return false, fmt.Errorf("deployment: list replicasets of %s/%s: %w", d.Namespace, d.Name, err)
	}
	for _, o := range l.Items {
		rs := o.(*api.ReplicaSet)
		ref := podutil.ControllerOf(&rs.ObjectMeta)
		if ref != nil && ref.UID != d.UID || ref == nil && !sel.Matches(rs.Labels) {
			continue
		}
		if cached, ok := c.cfg.ReplicaSets.Get(rs.Namespace, rs.Name); !ok || cached.UID != rs.UID || cached.ResourceVersion < rs.ResourceVersion {
			return true, nil
		}
	}
	return false, nil
}

func (c *Controller) ownedReplicaSets(d *api.Deployment) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, rs := range c.cfg.ReplicaSets.ListInNamespace(d.Namespace, nil) {
		if ref := podutil.ControllerOf(&rs.ObjectMeta); ref != nil && ref.UID == d.UID {
			out = append(out, rs)
		}
	}
	slices.SortFunc(out, func(a, b *api.ReplicaSet) int { return cmp.Compare(revision(a), revision(b)) })
	return out
}

// templateHash is the pod-template-hash of a template (without that label).
func templateHash(t api.PodTemplateSpec, collisions int32) string {
	b, _ := json.Marshal(stripHash(t))
	h := fnv.New32a()
	h.Write(b)
	if collisions > 0 {
		h.Write([]byte(strconv.Itoa(int(collisions))))
	}
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

func stripHash(t api.PodTemplateSpec) api.PodTemplateSpec {
	if _, ok := t.Labels[api.LabelPodTemplateHash]; ok {
		t.Labels = maps.Clone(t.Labels)
		delete(t.Labels, api.LabelPodTemplateHash)
	}
	return t
}

func equalTemplates(a, b api.PodTemplateSpec) bool {
	x, _ := json.Marshal(stripHash(a))
	y, _ := json.Marshal(stripHash(b))
	return string(x) == string(y)
}

// findNewRS returns the ReplicaSet of d's template and the others, in
// the order of rss. When several have d's template (an adopted orphan
// beside the one d created), the oldest (then the first by name) is the
// new one, as in Kubernetes. The choice must not depend on revisions:
// syncRevision makes the new ReplicaSet the highest revision, so picking
// the first match in revision order flipped between the two on every
// sync and bumped revisions forever.
func findNewRS(d *api.Deployment, rss []*api.ReplicaSet) (newRS *api.ReplicaSet, olds []*api.ReplicaSet) {
	for _, rs := range rss {
		if equalTemplates(rs.Spec.Template, d.Spec.Template) && (newRS == nil || olderRS(rs, newRS)) {
			newRS = rs
		}
	}
	for _, rs := range rss {
		if rs != newRS {
			olds = append(olds, rs)
		}
	}
	return newRS, olds
}

func olderRS(a, b *api.ReplicaSet) bool {
	return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp), cmp.Compare(a.Name, b.Name)) < 0
}

func revision(rs *api.ReplicaSet) int64 {
	v, _ := strconv.ParseInt(rs.Annotations[api.AnnotationRevision], 10, 64)
	return v
}

func maxRevision(rss []*api.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		m = max(m, revision(rs))
	}
	return m
}

func (c *Controller) createNewRS(ctx context.Context, d *api.Deployment, rss []*api.ReplicaSet) (*api.ReplicaSet, error) {
	coll := ptrOr(d.Status.CollisionCount, 0)
	hash := templateHash(d.Spec.Template, coll)
	tmpl := d.DeepCopy().Spec.Template
	tmpl.Labels = maps.Clone(tmpl.Labels)
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[api.LabelPodTemplateHash] = hash
	sel := d.DeepCopy().Spec.Selector
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[api.LabelPodTemplateHash] = hash
	var initial int32
	if d.Spec.Strategy.Type == api.RecreateDeploymentStrategyType {
		initial = 0
	}
	rs := &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace, Labels: tmpl.Labels,
			Annotations: map[string]string{
				api.AnnotationRevision:    strconv.FormatInt(maxRevision(rss)+1, 10),
				AnnotationDesiredReplicas: strconv.Itoa(int(ptrOr(d.Spec.Replicas, 1))),
				AnnotationMaxReplicas:     strconv.Itoa(int(ptrOr(d.Spec.Replicas, 1) + maxSurge(d, ptrOr(d.Spec.Replicas, 1)))),
			},
			OwnerReferences: []api.OwnerReference{podutil.ControllerRef(d)},
		},
		Spec: api.ReplicaSetSpec{Replicas: &initial, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: tmpl},
	}
	out, err := c.cfg.Store.Create(ctx, rs)
	if errors.Is(err, store.ErrAlreadyExists) {
		// Ours, not yet in the informer? Then use it.
		got, gerr := c.cfg.Store.Get(ctx, api.KindReplicaSet, rs.Namespace, rs.Name)
		if gerr != nil {
			return nil, fmt.Errorf("deployment: get replicaset %s/%s: %w", rs.Namespace, rs.Name, gerr)
		}
		if ex := got.(*api.ReplicaSet); equalTemplates(ex.Spec.Template, d.Spec.Template) {
			if ref := podutil.ControllerOf(&ex.ObjectMeta); ref != nil && ref.UID == d.UID {
				return ex, nil
			}
		}
		// A ReplicaSet of that name with another template (or owner): a
		// hash collision. Bump the count so the next sync picks another
		// name.
		cp := d.DeepCopy()
		n := coll + 1
		cp.Status.CollisionCount = &n
		if _, err := c.cfg.Store.UpdateStatus(ctx, cp); err != nil {
			return nil, fmt.Errorf("deployment: record hash collision of %s/%s: %w", d.Namespace, d.Name, err)
		}
		return nil, fmt.Errorf("deployment: replicaset %s exists with another template: %w", rs.Name, store.ErrAlreadyExists)
	}
	if err != nil {
		return nil, fmt.Errorf("deployment: create replicaset for %s/%s: %w", d.Namespace, d.Name, err)
	}
	c.cfg.Logger.Info("created replicaset", "deployment", d.Name, "replicaset", rs.Name, "revision", rs.Annotations[api.AnnotationRevision])
	return out.(*api.ReplicaSet), nil
}

// syncRevision makes the new ReplicaSet the highest revision (after a
// rollback to an old template) and copies it to the Deployment.
func (c *Controller) syncRevision(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, rss []*api.ReplicaSet) error {
	rev := revision(newRS)
	if m := maxRevision(rss); rev < m || rev == 0 {
		cp := newRS.DeepCopy()
		if cp.Annotations == nil {
			cp.Annotations = map[string]string{}
		}
		cp.Annotations[api.AnnotationRevision] = strconv.FormatInt(m+1, 10)
		if _, err := c.cfg.Store.Update(ctx, cp); err != nil {
			return fmt.Errorf("deployment: bump revision of %s/%s: %w", cp.Namespace, cp.Name, err)
		}
		rev = m + 1
	}
	if d.Annotations[api.AnnotationRevision] != strconv.FormatInt(rev, 10) {
		cp := d.DeepCopy()
		if cp.Annotations == nil {
			cp.Annotations = map[string]string{}
		}
		cp.Annotations[api.AnnotationRevision] = strconv.FormatInt(rev, 10)
		if _, err := c.cfg.Store.Update(ctx, cp); err != nil {
			return fmt.Errorf("deployment: record revision of %s/%s: %w", d.Namespace, d.Name, err)
		}
	}
	return nil
}

// rollback copies the template of the requested revision ("" or "0": the
// previous one) into the Deployment and clears the request.
func (c *Controller) rollback(ctx context.Context, d *api.Deployment, rss []*api.ReplicaSet, to string) error {
	want, _ := strconv.ParseInt(to, 10, 64)
	cur, _ := findNewRS(d, rss)
	var target *api.ReplicaSet
	for _, rs := range slices.Backward(rss) {
		if want == 0 && (cur == nil || rs.UID != cur.UID) && (cur == nil || revision(rs) < revision(cur)) {
			target = rs
			break
		}
		if want != 0 && revision(rs) == want {
			target = rs
			break
		}
	}
	cp := d.DeepCopy()
	delete(cp.Annotations, api.AnnotationRollbackTo)
	if target != nil {
		cp.Spec.Template = stripHash(target.DeepCopy().Spec.Template)
		c.cfg.Logger.Info("rolling back", "deployment", d.Name, "to", revision(target))
	} else {
		c.cfg.Logger.Warn("rollback target not found", "deployment", d.Name, "revision", to)
	}
	if _, err := c.cfg.Store.Update(ctx, cp); err != nil {
		return fmt.Errorf("deployment: rollback %s/%s: %w", d.Namespace, d.Name, err)
	}
	return nil
}

// podCounts returns, per ReplicaSet UID, the pods the pod informer still
// holds (including those being deleted) and the available ones.
func (c *Controller) podCounts(d *api.Deployment, minReady time.Duration) (all, avail map[api.UID]int32) {
	all, avail = map[api.UID]int32{}, map[api.UID]int32{}
	now := c.cfg.Clock.Now()
	for _, p := range c.cfg.Pods.ListInNamespace(d.Namespace, nil) {
		ref := podutil.ControllerOf(&p.ObjectMeta)
		if ref == nil || ref.Kind != string(api.KindReplicaSet) || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		all[ref.UID]++
		if p.DeletionTimestamp == nil && podutil.IsAvailable(p, minReady, now) {
			avail[ref.UID]++
		}
	}
	return all, avail
}

// uncachedPods returns, per ReplicaSet UID, the pods the store holds now
// (including those being deleted) of the ReplicaSets of rss that may have
// pods beyond their spec which the pod cache, at revision podRev, does
// not show; the others are absent from the map.
//
// The pod cache lags the store's creations. A ReplicaSet may have pods it
// created for an earlier, larger spec (before a template change made it
// an old ReplicaSet, say) that this cache does not show yet: once it is
// scaled below them, neither its spec nor the cache counts them. Every
// ReplicaSet controller sync that read an earlier generation has ended,
// its creations done, before the first status write with the current
// generation observed; later syncs create nothing beyond the current
// spec. So a ReplicaSet whose cached status has observed its generation,
// cached at a resourceVersion (at or after that write) the pod cache has
// reached, has every pod its spec does not cover in the cache. Only the
// others cost a List, of their own pods (namespace and selector).
func (c *Controller) uncachedPods(ctx context.Context, rss []*api.ReplicaSet, podRev int64) (map[api.UID]int32, error) {
	var live map[api.UID]int32
	for _, rs := range rss {
		if rs.Status.ObservedGeneration >= rs.Generation && rs.ResourceVersion <= podRev {
			continue
		}
		if live == nil {
			live = map[api.UID]int32{}
		}
		opts := []store.ListOption{store.ListInNamespace(rs.Namespace)}
		if sel, err := api.LabelSelectorAsSelector(rs.Spec.Selector); err == nil && !sel.Empty() {
			opts = append(opts, store.ListSelector(sel))
		}
		l, err := c.cfg.Store.List(ctx, api.KindPod, opts...)
		if err != nil {
			return nil, fmt.Errorf("deployment: list pods of replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
		}
		live[rs.UID] = 0
		for _, o := range l.Items {
			p := o.(*api.Pod)
			if ref := podutil.ControllerOf(&p.ObjectMeta); ref != nil && ref.UID == rs.UID && p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed {
				live[rs.UID]++
			}
		}
	}
	return live, nil
}

func (c *Controller) rollingUpdate(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, olds []*api.ReplicaSet, replicas, surge, unavail int32) (bool, error) {
	// Read before the pods are counted: the counts reflect the store at
	// podRev at least (see uncachedPods).
	podRev := c.cfg.Pods.Revision()
	all, avail := c.podCounts(d, time.Duration(d.Spec.MinReadySeconds)*time.Second)
	rss := append(slices.Clone(olds), newRS)
	var total, available int32
	for _, rs := range rss {
		spec := ptrOr(rs.Spec.Replicas, 0)
		total += max(spec, all[rs.UID])
		// Never count more available pods than the spec or the
		// ReplicaSet's own status allow: both lag in the safe direction.
		available += min(avail[rs.UID], spec, rs.Status.AvailableReplicas)
	}
	newSpec := ptrOr(newRS.Spec.Replicas, 0)
	if newSpec > replicas {
		return true, c.scale(ctx, d, newRS, replicas)
	}
	if up := NewScaleUp(replicas, surge, total, newSpec); up > 0 {
		// Before adding pods, also count those the cache may not show
		// (uncachedPods). Pods created after this look come from the specs
		// counted here.
		live, err := c.uncachedPods(ctx, rss, podRev)
		if err != nil {
			return false, err
		}
		exists := total
		for _, rs := range rss {
			if n, ok := live[rs.UID]; ok {
				exists += max(0, n-max(ptrOr(rs.Spec.Replicas, 0), all[rs.UID]))
			}
		}
		if up := NewScaleUp(replicas, surge, exists, newSpec); up > 0 {
			return true, c.scale(ctx, d, newRS, newSpec+up)
		}
	}
	// Scale old ReplicaSets down: first their unavailable pods, then
	// available ones as far as availability allows, oldest first.
	newUnavailable := newSpec - min(avail[newRS.UID], newRS.Status.AvailableReplicas)
	budget := total - (replicas - unavail) - newUnavailable
	changed := false
	for _, rs := range olds {
		spec := ptrOr(rs.Spec.Replicas, 0)
		unhealthy := spec - min(avail[rs.UID], rs.Status.AvailableReplicas, spec)
		if n := min(unhealthy, budget); n > 0 {
			if err := c.scale(ctx, d, rs, spec-n); err != nil {
				return true, err
			}
			budget -= n
			changed = true
		}
	}
	if changed {
		return true, nil
	}
	down := OldScaleDown(replicas, unavail, available)
	for _, rs := range olds {
		if down <= 0 {
			break
		}
		spec := ptrOr(rs.Spec.Replicas, 0)
		n := min(spec, down)
		if n <= 0 {
			continue
		}
		if err := c.scale(ctx, d, rs, spec-n); err != nil {
			return true, err
		}
		down -= n
		changed = true
	}
	return changed, nil
}

func (c *Controller) recreate(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, olds []*api.ReplicaSet, replicas int32) (bool, error) {
	changed := false
	for _, rs := range olds {
		if ptrOr(rs.Spec.Replicas, 0) > 0 {
			if err := c.scale(ctx, d, rs, 0); err != nil {
				return true, err
			}
			changed = true
		}
	}
	if changed {
		return true, nil
	}
	// Read before the pods are counted: the counts reflect the store at
	// podRev at least (see uncachedPods).
	podRev := c.cfg.Pods.Revision()
	all, _ := c.podCounts(d, 0)
	for _, rs := range olds {
		if all[rs.UID] > 0 || rs.Status.Replicas > 0 {
			return false, nil // old pods still running
		}
	}
	spec := ptrOr(newRS.Spec.Replicas, 0)
	if spec > replicas {
		return true, c.scale(ctx, d, newRS, replicas)
	}
	if spec < replicas {
		// The old ReplicaSets are at 0, so every pod of theirs is beyond
		// their spec: neither the pod cache (which lags creations) nor a
		// status written from the pods found before creating may show
		// it yet. Count those in the store (uncachedPods) before the new
		// pods may be created; their events queue this Deployment again.
		live, err := c.uncachedPods(ctx, olds, podRev)
		if err != nil {
			return false, err
		}
		for _, rs := range olds {
			if live[rs.UID] > 0 {
				return false, nil // old pods the cache does not show yet
			}
		}
		return true, c.scale(ctx, d, newRS, replicas)
	}
	return false, nil
}

// isScalingEvent reports whether replicas changed since the active
// ReplicaSets were last scaled.
func (c *Controller) isScalingEvent(d *api.Deployment, rss []*api.ReplicaSet, replicas int32) bool {
	active := 0
	for _, rs := range rss {
		if ptrOr(rs.Spec.Replicas, 0) == 0 {
			continue
		}
		active++
		if v, ok := rs.Annotations[AnnotationDesiredReplicas]; ok && v != strconv.Itoa(int(replicas)) {
			return true
		}
	}
	return false
}

// scaleProportionally spreads a change of replicas over the active
// ReplicaSets in proportion to their size, as Kubernetes does: each
// ReplicaSet grows by the ratio of the new maximum (replicas + surge) to
// the one it was last scaled for (its max-replicas annotation), so a
// partly applied scaling is never applied twice; the rounding remainder
// goes to the largest (the newest on ties).
func (c *Controller) scaleProportionally(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, olds []*api.ReplicaSet, replicas, surge int32) (bool, error) {
	rss := slices.Clone(olds)
	if newRS != nil {
		rss = append(rss, newRS)
	}
	var cur int32
	for _, rs := range rss {
		cur += ptrOr(rs.Spec.Replicas, 0)
	}
	allowed := replicas + surge
	if d.Spec.Paused || d.Spec.Strategy.Type == api.RecreateDeploymentStrategyType {
		allowed = replicas
	}
	toAdd := allowed - cur
	slices.SortStableFunc(rss, func(a, b *api.ReplicaSet) int {
		x := cmp.Or(cmp.Compare(ptrOr(b.Spec.Replicas, 0), ptrOr(a.Spec.Replicas, 0)), cmp.Compare(revision(b), revision(a)))
		if toAdd < 0 {
			return -x // scale the smallest down first
		}
		return x
	})
	target := map[api.UID]int32{}
	var added int32
	for _, rs := range rss {
		spec := ptrOr(rs.Spec.Replicas, 0)
		target[rs.UID] = spec
		if toAdd == 0 || spec == 0 {
			continue
		}
		frac := fraction(rs, allowed)
		left := toAdd - added
		var n int32
		if toAdd > 0 {
			n = min(frac, left)
		} else {
			n = max(frac, left)
		}
		target[rs.UID] += n
		added += n
	}
	if len(rss) > 0 && toAdd != added {
		target[rss[0].UID] += toAdd - added
	}
	for _, rs := range rss {
		if err := c.scale(ctx, d, rs, max(0, target[rs.UID])); err != nil {
			return true, err
		}
	}
	return true, nil
}

// fraction is how many replicas rs gains (or loses) when the
// Deployment's maximum becomes allowed.
func fraction(rs *api.ReplicaSet, allowed int32) int32 {
	spec := ptrOr(rs.Spec.Replicas, 0)
	was, err := strconv.ParseInt(rs.Annotations[AnnotationMaxReplicas], 10, 32)
	if err != nil || was <= 0 {
		return 0
	}
	return int32(math.Round(float64(spec)*float64(allowed)/float64(was))) - spec
}

// scale sets rs's replicas (and its desired- and max-replicas
// annotations).
func (c *Controller) scale(ctx context.Context, d *api.Deployment, rs *api.ReplicaSet, n int32) error {
	replicas := ptrOr(d.Spec.Replicas, 1)
	want := strconv.Itoa(int(replicas))
	maxWant := strconv.Itoa(int(replicas + maxSurge(d, replicas)))
	if ptrOr(rs.Spec.Replicas, 0) == n && rs.Annotations[AnnotationDesiredReplicas] == want && rs.Annotations[AnnotationMaxReplicas] == maxWant {
		return nil
	}
	cp := rs.DeepCopy()
	cp.Spec.Replicas = &n
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[AnnotationDesiredReplicas] = want
	cp.Annotations[AnnotationMaxReplicas] = maxWant
	if _, err := c.cfg.Store.Update(ctx, cp); err != nil {
		return fmt.Errorf("deployment: scale %s/%s to %d: %w", rs.Namespace, rs.Name, n, err)
	}
	return nil
}

// maxSurge is d's resolved maxSurge (0 for Recreate or invalid bounds).
func maxSurge(d *api.Deployment, replicas int32) int32 {
	if d.Spec.Strategy.Type == api.RecreateDeploymentStrategyType {
		return 0
	}
	var ru api.RollingUpdateDeployment
	if d.Spec.Strategy.RollingUpdate != nil {
		ru = *d.Spec.Strategy.RollingUpdate
	}
	s, _, err := ResolveFenceposts(ru.MaxSurge, ru.MaxUnavailable, replicas)
	if err != nil {
		return 0
	}
	return s
}

// cleanup deletes the oldest empty old ReplicaSets beyond
// revisionHistoryLimit.
func (c *Controller) cleanup(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, olds []*api.ReplicaSet) error {
	limit := int(ptrOr(d.Spec.RevisionHistoryLimit, 10))
	var empty []*api.ReplicaSet
	for _, rs := range olds {
		if ptrOr(rs.Spec.Replicas, 0) == 0 && rs.Status.Replicas == 0 && rs.DeletionTimestamp == nil {
			empty = append(empty, rs)
		}
	}
	for i := 0; i < len(empty)-limit; i++ {
		rs := empty[i]
		if _, err := c.cfg.Store.Delete(ctx, api.KindReplicaSet, rs.Namespace, rs.Name, store.WithUID(rs.UID)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("deployment: delete old replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
		}
	}
	return nil
}

func (c *Controller) syncStatus(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, rss []*api.ReplicaSet, replicas, unavail int32, changed bool) (reconcile.Result, error) {
	now := c.cfg.Clock.Now()
	st := api.DeploymentStatus{ObservedGeneration: d.Generation, CollisionCount: d.Status.CollisionCount}
	for _, rs := range rss {
		st.Replicas += rs.Status.Replicas
		st.ReadyReplicas += rs.Status.ReadyReplicas
		st.AvailableReplicas += rs.Status.AvailableReplicas
	}
	if newRS != nil {
		// Look up the freshest copy: this sync may have just scaled it.
		for _, rs := range rss {
			if rs.UID == newRS.UID {
				newRS = rs
			}
		}
		st.UpdatedReplicas = newRS.Status.Replicas
	}
	st.UnavailableReplicas = max(0, replicas-st.AvailableReplicas)
	complete := newRS != nil && st.UpdatedReplicas == replicas && st.Replicas == replicas && st.AvailableReplicas == replicas &&
		ptrOr(newRS.Spec.Replicas, 0) == replicas && newRS.Status.ObservedGeneration == newRS.Generation

	old := d.Status
	st.Conditions = slices.Clone(old.Conditions)
	if st.AvailableReplicas >= replicas-unavail {
		setCondition(&st, api.DeploymentAvailable, api.ConditionTrue, ReasonMinAvailable, "Deployment has minimum availability.", now)
	} else {
		setCondition(&st, api.DeploymentAvailable, api.ConditionFalse, ReasonMinUnavailable, "Deployment does not have minimum availability.", now)
	}
	progressed := changed || st.UpdatedReplicas != old.UpdatedReplicas || st.AvailableReplicas != old.AvailableReplicas ||
		st.ReadyReplicas != old.ReadyReplicas || st.ObservedGeneration != old.ObservedGeneration
	deadline := time.Duration(ptrOr(d.Spec.ProgressDeadlineSeconds, 600)) * time.Second
	var after time.Duration
	prog := condition(&st, api.DeploymentProgressing)
	autoRollback := false
	switch {
	case d.Spec.Paused:
		setCondition(&st, api.DeploymentProgressing, api.ConditionUnknown, ReasonPaused, "Deployment is paused.", now)
	case complete:
		setCondition(&st, api.DeploymentProgressing, api.ConditionTrue, ReasonNewRSAvailable, "ReplicaSet "+newRS.Name+" has successfully progressed.", now)
		if newRS.Annotations[AnnotationComplete] != "true" {
			cp := newRS.DeepCopy()
			if cp.Annotations == nil {
				cp.Annotations = map[string]string{}
			}
			cp.Annotations[AnnotationComplete] = "true"
			if _, err := c.cfg.Store.Update(ctx, cp); err != nil {
				return reconcile.Result{}, fmt.Errorf("deployment: mark %s/%s complete: %w", cp.Namespace, cp.Name, err)
			}
		}
	case prog != nil && prog.Reason == ReasonDeadlineExceeded && !progressed:
		// Stays failed until something moves.
	case progressed || prog == nil || prog.Reason == ReasonNewRSAvailable || prog.Reason == ReasonPaused:
		name := ""
		if newRS != nil {
			name = newRS.Name
		}
		setCondition(&st, api.DeploymentProgressing, api.ConditionTrue, ReasonRSUpdated, "ReplicaSet "+name+" is progressing.", now)
		condition(&st, api.DeploymentProgressing).LastUpdateTime = now
		after = deadline
	default:
		if left := prog.LastUpdateTime.Add(deadline).Sub(now); left > 0 {
			after = left
		} else {
			setCondition(&st, api.DeploymentProgressing, api.ConditionFalse, ReasonDeadlineExceeded, "ReplicaSet has timed out progressing.", now)
			autoRollback = d.Spec.AutoRollback
		}
	}
	if !equalStatus(st, old) {
		cp := d.DeepCopy()
		cp.Status = st
		if _, err := c.cfg.Store.UpdateStatus(ctx, cp); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return reconcile.Result{}, nil
			}
			return reconcile.Result{}, fmt.Errorf("deployment: update status of %s/%s: %w", d.Namespace, d.Name, err)
		}
	}
	if autoRollback {
		if err := c.requestAutoRollback(ctx, d, rss, newRS); err != nil {
			return reconcile.Result{}, err
		}
	}
	if minReady := time.Duration(d.Spec.MinReadySeconds) * time.Second; minReady > 0 && st.ReadyReplicas > st.AvailableReplicas {
		if after == 0 || minReady < after {
			after = minReady
		}
	}
	return reconcile.Result{RequeueAfter: after}, nil
}

// requestAutoRollback asks for a rollback to the newest complete revision
// other than the failing one.
func (c *Controller) requestAutoRollback(ctx context.Context, d *api.Deployment, rss []*api.ReplicaSet, newRS *api.ReplicaSet) error {
	for _, rs := range slices.Backward(rss) {
		if (newRS == nil || rs.UID != newRS.UID) && rs.Annotations[AnnotationComplete] == "true" {
			cur, err := c.cfg.Store.Get(ctx, api.KindDeployment, d.Namespace, d.Name)
			if err != nil {
				return fmt.Errorf("deployment: auto rollback of %s/%s: %w", d.Namespace, d.Name, err)
			}
			cp := cur.(*api.Deployment)
			if cp.Annotations == nil {
				cp.Annotations = map[string]string{}
			}
			cp.Annotations[api.AnnotationRollbackTo] = strconv.FormatInt(revision(rs), 10)
			if _, err := c.cfg.Store.Update(ctx, cp); err != nil {
				return fmt.Errorf("deployment: auto rollback of %s/%s: %w", d.Namespace, d.Name, err)
			}
			c.cfg.Logger.Warn("progress deadline exceeded; rolling back", "deployment", d.Name, "to", revision(rs), "reason", ReasonAutoRollback)
			return nil
		}
	}
	return nil
}

func condition(st *api.DeploymentStatus, t api.DeploymentConditionType) *api.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

func setCondition(st *api.DeploymentStatus, t api.DeploymentConditionType, s api.ConditionStatus, reason, msg string, now time.Time) {
	c := condition(st, t)
	if c == nil {
		st.Conditions = append(st.Conditions, api.DeploymentCondition{Type: t, Status: s, Reason: reason, Message: msg, LastUpdateTime: now, LastTransitionTime: now})
		return
	}
	if c.Status != s {
		c.LastTransitionTime = now
	}
	if c.Reason != reason {
		c.LastUpdateTime = now
	}
	c.Status, c.Reason, c.Message = s, reason, msg
}

func equalStatus(a, b api.DeploymentStatus) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
