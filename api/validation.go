package api

import (
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Validate checks obj against the rules of its kind, as Kubernetes states
// them, and returns nil or a FieldErrors listing every problem of the
// object, each with its full field path. It does not modify obj.
//
// Validate accepts an unset field that Default would fill (an empty
// namespace, protocol or restart policy; a zero probe period), so it can
// run before or after Default; every entry point of the SDK runs Default
// first. A nil obj, or a kind the SDK does not know, is invalid.
func Validate(obj Object) error {
	var f fieldErrs
	validateObject(&f, obj)
	return f.err()
}

func validateObject(f *fieldErrs, obj Object) {
	if isNilObject(obj) {
		f.required("", "object is nil")
		return
	}
	ki, ok := LookupKind(obj.Kind())
	if !ok {
		f.add("kind", ErrorTypeNotSupported, string(obj.Kind()), "unknown kind")
		return
	}
	nameRule := checkDNSSubdomain
	switch ki.Kind {
	case KindNamespace, KindService:
		nameRule = checkDNSLabel
	}
	validateObjectMeta(f, "metadata", obj.Meta(), ki.Namespaced, nameRule)
	switch o := obj.(type) {
	case *Namespace:
		for i, fin := range o.Spec.Finalizers {
			validateFinalizer(f, indexPath("spec.finalizers", i), fin)
		}
	case *Node:
		validateNode(f, o)
	case *Pod:
		validatePodSpec(f, "spec", &o.Spec, false)
	case *ReplicaSet:
		validateReplicas(f, "spec.replicas", o.Spec.Replicas)
		if o.Spec.MinReadySeconds < 0 {
			f.invalid("spec.minReadySeconds", o.Spec.MinReadySeconds, "must be greater than or equal to 0")
		}
		validateWorkloadSelector(f, "spec", o.Spec.Selector, &o.Spec.Template)
	case *Deployment:
		validateDeployment(f, o)
	case *Service:
		validateService(f, o)
	case *Endpoints:
		validateEndpoints(f, o)
	case *HorizontalPodAutoscaler:
		validateHPA(f, &o.Spec)
	case *PodGroup:
		validatePodGroup(f, &o.Spec)
	case *ResourceQuota:
		validateQuota(f, &o.Spec)
	case *Lease:
		validateLease(f, &o.Spec)
	case *Event:
		validateEvent(f, o)
	}
}

// --- metadata ---

func validateObjectMeta(f *fieldErrs, p string, m *ObjectMeta, namespaced bool, nameRule func(string) string) {
	if m == nil {
		f.required(p, "")
		return
	}
	switch {
	case m.Name != "":
		if msg := nameRule(m.Name); msg != "" {
			f.invalid(fieldPath(p, "name"), m.Name, msg)
		}
	case m.GenerateName != "":
		// The store appends a suffix of 5 characters.
		if msg := nameRule(m.GenerateName + "x"); msg != "" {
			f.invalid(fieldPath(p, "generateName"), m.GenerateName, msg)
		}
	default:
		f.required(fieldPath(p, "name"), "name or generateName is required")
	}
	if namespaced {
		if m.Namespace != "" {
			if msg := checkDNSLabel(m.Namespace); msg != "" {
				f.invalid(fieldPath(p, "namespace"), m.Namespace, msg)
			}
		}
	} else if m.Namespace != "" {
		f.forbidden(fieldPath(p, "namespace"), "not allowed on this kind: it is cluster-scoped")
	}
	if m.Generation < 0 {
		f.invalid(fieldPath(p, "generation"), m.Generation, "must be greater than or equal to 0")
	}
	if m.ResourceVersion < 0 {
		f.invalid(fieldPath(p, "resourceVersion"), m.ResourceVersion, "must be greater than or equal to 0")
	}
	validateLabels(f, fieldPath(p, "labels"), m.Labels)
	validateAnnotations(f, fieldPath(p, "annotations"), m.Annotations)
	for i, ref := range m.OwnerReferences {
		rp := indexPath(fieldPath(p, "ownerReferences"), i)
		if ref.APIVersion == "" {
			f.required(fieldPath(rp, "apiVersion"), "")
		}
		if ref.Kind == "" {
			f.required(fieldPath(rp, "kind"), "")
		}
		if ref.Name == "" {
			f.required(fieldPath(rp, "name"), "")
		}
		if ref.UID == "" {
			f.required(fieldPath(rp, "uid"), "")
		}
	}
	controllers := 0
	for _, ref := range m.OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			controllers++
		}
	}
	if controllers > 1 {
		f.invalid(fieldPath(p, "ownerReferences"), nil, "only one reference can have controller set to true")
	}
	for i, fin := range m.Finalizers {
		validateFinalizer(f, indexPath(fieldPath(p, "finalizers"), i), fin)
	}
}

func validateFinalizer(f *fieldErrs, p, fin string) {
	if msg := checkQualifiedName(fin); msg != "" {
		f.invalid(p, fin, msg)
	}
}

func validateLabels(f *fieldErrs, p string, labels map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		v := labels[k]
		if msg := checkQualifiedName(k); msg != "" {
			f.invalid(keyPath(p, k), k, "key "+msg)
		}
		if msg := checkLabelValue(v); msg != "" {
			f.invalid(keyPath(p, k), v, "value "+msg)
		}
	}
}

func validateAnnotations(f *fieldErrs, p string, ann map[string]string) {
	total := 0
	for _, k := range slices.Sorted(maps.Keys(ann)) {
		total += len(k) + len(ann[k])
		if msg := checkQualifiedName(strings.ToLower(k)); msg != "" {
			f.invalid(keyPath(p, k), k, "key "+msg)
		}
	}
	if total > TotalAnnotationSizeLimit {
		f.add(p, ErrorTypeTooLong, nil, "may not be more than 262144 bytes in total, have "+strconv.Itoa(total))
	}
}

// validateLabelSelector checks the structured selector's syntax.
func validateLabelSelector(f *fieldErrs, p string, ls *LabelSelector) {
	if ls == nil {
		return
	}
	validateLabels(f, fieldPath(p, "matchLabels"), ls.MatchLabels)
	for i, r := range ls.MatchExpressions {
		rp := indexPath(fieldPath(p, "matchExpressions"), i)
		if msg := checkQualifiedName(r.Key); msg != "" {
			f.invalid(fieldPath(rp, "key"), r.Key, msg)
		}
		switch r.Operator {
		case LabelSelectorOpIn, LabelSelectorOpNotIn:
			if len(r.Values) == 0 {
				f.required(fieldPath(rp, "values"), "must be specified when operator is In or NotIn")
			}
		case LabelSelectorOpExists, LabelSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				f.forbidden(fieldPath(rp, "values"), "may not be specified when operator is Exists or DoesNotExist")
			}
		default:
			f.notSupported(fieldPath(rp, "operator"), string(r.Operator), "In", "NotIn", "Exists", "DoesNotExist")
		}
		for j, v := range r.Values {
			if msg := checkLabelValue(v); msg != "" {
				f.invalid(indexPath(fieldPath(rp, "values"), j), v, msg)
			}
		}
	}
}

func selectorIsEmpty(ls *LabelSelector) bool {
	return ls == nil || len(ls.MatchLabels) == 0 && len(ls.MatchExpressions) == 0
}

// --- workloads ---

func validateReplicas(f *fieldErrs, p string, r *int32) {
	if r != nil && *r < 0 {
		f.invalid(p, *r, "must be greater than or equal to 0")
	}
}

// validateWorkloadSelector checks a controller's selector, its template
// and that the template's labels match the selector.
func validateWorkloadSelector(f *fieldErrs, p string, sel *LabelSelector, tmpl *PodTemplateSpec) {
	sp := fieldPath(p, "selector")
	tp := fieldPath(p, "template")
	if selectorIsEmpty(sel) {
		f.required(sp, "a non-empty selector is required")
	} else {
		before := len(f.list)
		validateLabelSelector(f, sp, sel)
		if len(f.list) == before {
			s, err := LabelSelectorAsSelector(sel)
			if err != nil {
				f.invalid(sp, nil, err.Error())
			} else if !s.Matches(tmpl.Labels) {
				f.invalid(fieldPath(fieldPath(tp, "metadata"), "labels"), nil, "selector does not match template labels")
			}
		}
	}
	validateLabels(f, fieldPath(fieldPath(tp, "metadata"), "labels"), tmpl.Labels)
	validateAnnotations(f, fieldPath(fieldPath(tp, "metadata"), "annotations"), tmpl.Annotations)
	validatePodSpec(f, fieldPath(tp, "spec"), &tmpl.Spec, true)
}

func validateDeployment(f *fieldErrs, d *Deployment) {
	s := &d.Spec
	validateReplicas(f, "spec.replicas", s.Replicas)
	validateWorkloadSelector(f, "spec", s.Selector, &s.Template)
	if s.MinReadySeconds < 0 {
		f.invalid("spec.minReadySeconds", s.MinReadySeconds, "must be greater than or equal to 0")
	}
	if s.RevisionHistoryLimit != nil && *s.RevisionHistoryLimit < 0 {
		f.invalid("spec.revisionHistoryLimit", *s.RevisionHistoryLimit, "must be greater than or equal to 0")
	}
	if s.ProgressDeadlineSeconds != nil {
		switch v := *s.ProgressDeadlineSeconds; {
		case v <= 0:
			f.invalid("spec.progressDeadlineSeconds", v, "must be greater than 0")
		case v <= s.MinReadySeconds:
			f.invalid("spec.progressDeadlineSeconds", v, "must be greater than minReadySeconds")
		}
	}
	switch s.Strategy.Type {
	case "", RollingUpdateDeploymentStrategyType:
		if ru := s.Strategy.RollingUpdate; ru != nil {
			p := "spec.strategy.rollingUpdate"
			surge, sok := validateRolloutBound(f, fieldPath(p, "maxSurge"), ru.MaxSurge)
			unavail, uok := validateRolloutBound(f, fieldPath(p, "maxUnavailable"), ru.MaxUnavailable)
			if uok && ru.MaxUnavailable != nil && ru.MaxUnavailable.IsString && unavail > 100 {
				f.invalid(fieldPath(p, "maxUnavailable"), ru.MaxUnavailable.String(), "must not be greater than 100%")
			}
			// An unset bound defaults to 25%, so only two explicit zeros
			// stall a rollout.
			if sok && uok && ru.MaxSurge != nil && ru.MaxUnavailable != nil && surge == 0 && unavail == 0 {
				f.invalid(fieldPath(p, "maxUnavailable"), ru.MaxUnavailable.String(), "may not be 0 when maxSurge is 0")
			}
		}
	case RecreateDeploymentStrategyType:
		if s.Strategy.RollingUpdate != nil {
			f.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy type is Recreate")
		}
	default:
		f.notSupported("spec.strategy.type", string(s.Strategy.Type), "RollingUpdate", "Recreate")
	}
}

// validateRolloutBound checks a number ≥ 0 or a percentage "N%"; it
// returns the number or percent and whether it was well-formed.
func validateRolloutBound(f *fieldErrs, p string, v *IntOrString) (int, bool) {
	if v == nil {
		return 0, false
	}
	if !v.IsString {
		if v.IntVal < 0 {
			f.invalid(p, v.IntVal, "must be greater than or equal to 0")
			return 0, false
		}
		return int(v.IntVal), true
	}
	num, ok := strings.CutSuffix(v.StrVal, "%")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 || num == "" || num[0] == '+' || num[0] == '-' {
		f.invalid(p, v.StrVal, "must be an integer or a percentage (e.g. '5%')")
		return 0, false
	}
	return n, true
}

// --- pods ---

var restartPolicies = []string{string(RestartPolicyAlways), string(RestartPolicyOnFailure), string(RestartPolicyNever)}

func validatePodSpec(f *fieldErrs, p string, s *PodSpec, template bool) {
	volumes := make(map[string]bool, len(s.Volumes))
	for i, v := range s.Volumes {
		vp := indexPath(fieldPath(p, "volumes"), i)
		if msg := checkDNSLabel(v.Name); msg != "" {
			f.invalid(fieldPath(vp, "name"), v.Name, msg)
		} else if volumes[v.Name] {
			f.duplicate(fieldPath(vp, "name"), v.Name)
		}
		volumes[v.Name] = true
		if v.EmptyDir == nil {
			f.required(vp, "must specify a volume type (only emptyDir is supported)")
		} else {
			if v.EmptyDir.Medium != "" && v.EmptyDir.Medium != "Memory" {
				f.notSupported(fieldPath(fieldPath(vp, "emptyDir"), "medium"), v.EmptyDir.Medium, `""`, "Memory")
			}
			if q := v.EmptyDir.SizeLimit; q != nil && q.Sign() < 0 {
				f.invalid(fieldPath(fieldPath(vp, "emptyDir"), "sizeLimit"), q.String(), "must be greater than or equal to 0")
			}
		}
	}
	cp := fieldPath(p, "containers")
	if len(s.Containers) == 0 {
		f.required(cp, "a pod needs at least one container")
	}
	names := make(map[string]bool, len(s.Containers))
	type hostPortKey struct {
		proto Protocol
		ip    string
		port  int32
	}
	hostPorts := make(map[hostPortKey]bool)
	for i := range s.Containers {
		c := &s.Containers[i]
		ip := indexPath(cp, i)
		if msg := checkDNSLabel(c.Name); msg != "" {
			if c.Name == "" {
				f.required(fieldPath(ip, "name"), "")
			} else {
				f.invalid(fieldPath(ip, "name"), c.Name, msg)
			}
		} else if names[c.Name] {
			f.duplicate(fieldPath(ip, "name"), c.Name)
		}
		names[c.Name] = true
		validateContainer(f, ip, c, volumes)
		for j, port := range c.Ports {
			if port.HostPort == 0 {
				continue
			}
			proto := port.Protocol
			if proto == "" {
				proto = ProtocolTCP
			}
			k := hostPortKey{proto, port.HostIP, port.HostPort}
			if hostPorts[k] {
				f.duplicate(fieldPath(indexPath(fieldPath(ip, "ports"), j), "hostPort"), port.HostPort)
			}
			hostPorts[k] = true
		}
	}
	switch {
	case s.RestartPolicy == "":
	case template && s.RestartPolicy != RestartPolicyAlways:
		f.notSupported(fieldPath(p, "restartPolicy"), string(s.RestartPolicy), string(RestartPolicyAlways))
	case !oneOf(string(s.RestartPolicy), restartPolicies...):
		f.notSupported(fieldPath(p, "restartPolicy"), string(s.RestartPolicy), restartPolicies...)
	}
	if g := s.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		f.invalid(fieldPath(p, "terminationGracePeriodSeconds"), *g, "must be greater than or equal to 0")
	}
	if s.DNSPolicy != "" && !oneOf(s.DNSPolicy, "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None") {
		f.notSupported(fieldPath(p, "dnsPolicy"), s.DNSPolicy, "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
	}
	if s.NodeName != "" {
		if msg := checkDNSSubdomain(s.NodeName); msg != "" {
			f.invalid(fieldPath(p, "nodeName"), s.NodeName, msg)
		}
	}
	if s.SchedulerName != "" {
		if msg := checkDNSSubdomain(s.SchedulerName); msg != "" {
			f.invalid(fieldPath(p, "schedulerName"), s.SchedulerName, msg)
		}
	}
	if s.Hostname != "" {
		if msg := checkDNSLabel(s.Hostname); msg != "" {
			f.invalid(fieldPath(p, "hostname"), s.Hostname, msg)
		}
	}
	if s.Subdomain != "" {
		if msg := checkDNSLabel(s.Subdomain); msg != "" {
			f.invalid(fieldPath(p, "subdomain"), s.Subdomain, msg)
		}
	}
	validateLabels(f, fieldPath(p, "nodeSelector"), s.NodeSelector)
	for i, t := range s.Tolerations {
		validateToleration(f, indexPath(fieldPath(p, "tolerations"), i), t)
	}
	if s.Affinity != nil {
		validateAffinity(f, fieldPath(p, "affinity"), s.Affinity)
	}
	validateSpread(f, fieldPath(p, "topologySpreadConstraints"), s.TopologySpreadConstraints)
	if sc := s.SecurityContext; sc != nil {
		sp := fieldPath(p, "securityContext")
		validateIDs(f, sp, sc.RunAsUser, sc.RunAsGroup)
		if sc.FSGroup != nil && *sc.FSGroup < 0 {
			f.invalid(fieldPath(sp, "fsGroup"), *sc.FSGroup, "must be greater than or equal to 0")
		}
		validateSeccomp(f, sp, sc.SeccompProfile)
	}
}

func validateIDs(f *fieldErrs, p string, user, group *int64) {
	if user != nil && *user < 0 {
		f.invalid(fieldPath(p, "runAsUser"), *user, "must be greater than or equal to 0")
	}
	if group != nil && *group < 0 {
		f.invalid(fieldPath(p, "runAsGroup"), *group, "must be greater than or equal to 0")
	}
}

func validateSeccomp(f *fieldErrs, p string, sp *SeccompProfile) {
	if sp != nil && !oneOf(sp.Type, "RuntimeDefault", "Unconfined") {
		f.notSupported(fieldPath(fieldPath(p, "seccompProfile"), "type"), sp.Type, "RuntimeDefault", "Unconfined")
	}
}

var envFieldPaths = []string{"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.podIP"}

func validateContainer(f *fieldErrs, p string, c *Container, volumes map[string]bool) {
	if c.Image == "" {
		f.required(fieldPath(p, "image"), "")
	} else if strings.TrimSpace(c.Image) != c.Image {
		f.invalid(fieldPath(p, "image"), c.Image, "must not have leading or trailing whitespace")
	}
	if c.ImagePullPolicy != "" && !oneOf(c.ImagePullPolicy, PullAlways, PullIfNotPresent, PullNever) {
		f.notSupported(fieldPath(p, "imagePullPolicy"), c.ImagePullPolicy, PullAlways, PullIfNotPresent, PullNever)
	}
	for i, e := range c.Env {
		ep := indexPath(fieldPath(p, "env"), i)
		switch {
		case e.Name == "":
			f.required(fieldPath(ep, "name"), "")
		case strings.Contains(e.Name, "="):
			f.invalid(fieldPath(ep, "name"), e.Name, "must not contain '='")
		}
		if e.ValueFrom != nil {
			if e.Value != "" {
				f.invalid(fieldPath(ep, "valueFrom"), nil, "may not be specified when value is not empty")
			}
			switch fr := e.ValueFrom.FieldRef; {
			case fr == nil:
				f.required(fieldPath(fieldPath(ep, "valueFrom"), "fieldRef"), "")
			case !oneOf(fr.FieldPath, envFieldPaths...):
				f.notSupported(fieldPath(fieldPath(fieldPath(ep, "valueFrom"), "fieldRef"), "fieldPath"), fr.FieldPath, envFieldPaths...)
			}
		}
	}
	names := make(map[string]bool, len(c.Ports))
	for i, port := range c.Ports {
		pp := indexPath(fieldPath(p, "ports"), i)
		if port.Name != "" {
			if msg := checkPortName(port.Name); msg != "" {
				f.invalid(fieldPath(pp, "name"), port.Name, msg)
			} else if names[port.Name] {
				f.duplicate(fieldPath(pp, "name"), port.Name)
			}
			names[port.Name] = true
		}
		validatePortNumber(f, fieldPath(pp, "containerPort"), port.ContainerPort, true)
		validatePortNumber(f, fieldPath(pp, "hostPort"), port.HostPort, false)
		if port.HostIP != "" {
			if _, err := netip.ParseAddr(port.HostIP); err != nil {
				f.invalid(fieldPath(pp, "hostIP"), port.HostIP, "must be a valid IP address")
			}
		}
		validateProtocol(f, fieldPath(pp, "protocol"), port.Protocol)
	}
	validateResources(f, fieldPath(p, "resources"), &c.Resources)
	for i, m := range c.VolumeMounts {
		mp := indexPath(fieldPath(p, "volumeMounts"), i)
		if m.Name == "" {
			f.required(fieldPath(mp, "name"), "")
		} else if !volumes[m.Name] {
			f.add(fieldPath(mp, "name"), ErrorTypeNotFound, m.Name, "no volume of that name")
		}
		if m.MountPath == "" {
			f.required(fieldPath(mp, "mountPath"), "")
		}
		if strings.HasPrefix(m.SubPath, "/") || containsDotDot(m.SubPath) {
			f.invalid(fieldPath(mp, "subPath"), m.SubPath, "must be a relative path without '..'")
		}
	}
	validateProbe(f, fieldPath(p, "startupProbe"), c.StartupProbe, true, c.Ports)
	validateProbe(f, fieldPath(p, "livenessProbe"), c.LivenessProbe, true, c.Ports)
	validateProbe(f, fieldPath(p, "readinessProbe"), c.ReadinessProbe, false, c.Ports)
	if sc := c.SecurityContext; sc != nil {
		sp := fieldPath(p, "securityContext")
		validateIDs(f, sp, sc.RunAsUser, sc.RunAsGroup)
		validateSeccomp(f, sp, sc.SeccompProfile)
		if sc.Privileged != nil && *sc.Privileged && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
			f.invalid(fieldPath(sp, "allowPrivilegeEscalation"), false, "cannot be false when privileged is true")
		}
	}
}

func containsDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func validatePortNumber(f *fieldErrs, p string, port int32, required bool) {
	switch {
	case port == 0 && required:
		f.required(p, "")
	case port == 0:
	case port < 1 || port > 65535:
		f.invalid(p, port, "must be between 1 and 65535, inclusive")
	}
}

func validateProtocol(f *fieldErrs, p string, proto Protocol) {
	if proto != "" && !oneOf(string(proto), "TCP", "UDP", "SCTP") {
		f.notSupported(p, string(proto), "TCP", "UDP", "SCTP")
	}
}

// validateNamedPort checks a port that is a number or an IANA name.
func validateNamedPort(f *fieldErrs, p string, port IntOrString) {
	if port.IsString {
		if msg := checkPortName(port.StrVal); msg != "" {
			f.invalid(p, port.StrVal, msg)
		}
		return
	}
	if port.IntVal < 1 || port.IntVal > 65535 {
		f.invalid(p, port.IntVal, "must be between 1 and 65535, inclusive")
	}
}

func validateResources(f *fieldErrs, p string, r *ResourceRequirements) {
	rp, lp := fieldPath(p, "requests"), fieldPath(p, "limits")
	for _, name := range slices.Sorted(maps.Keys(r.Limits)) {
		validateResourceQuantity(f, fieldPath(lp, string(name)), name, r.Limits[name])
	}
	for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
		q := r.Requests[name]
		path := fieldPath(rp, string(name))
		if !validateResourceQuantity(f, path, name, q) {
			continue
		}
		limit, hasLimit := r.Limits[name]
		switch {
		case isExtendedResource(name) || isHugePages(name):
			// Not overcommittable: the request is the limit.
			if !hasLimit {
				f.required(fieldPath(lp, string(name)), "a limit must be set for a resource that cannot be overcommitted")
			} else if q.Cmp(limit) != 0 {
				f.invalid(path, q.String(), "must be equal to "+string(name)+" limit of "+limit.String())
			}
		case hasLimit && q.Cmp(limit) > 0:
			f.invalid(path, q.String(), "must be less than or equal to "+string(name)+" limit of "+limit.String())
		}
	}
}

// validateResourceQuantity checks one container resource; it reports
// whether the name and value are well-formed.
func validateResourceQuantity(f *fieldErrs, p string, name ResourceName, q Quantity) bool {
	if msg := checkContainerResourceName(name); msg != "" {
		f.invalid(p, string(name), "resource name "+msg)
		return false
	}
	if q.Sign() < 0 {
		f.invalid(p, q.String(), "must be greater than or equal to 0")
		return false
	}
	if isExtendedResource(name) && q.MilliValue()%1000 != 0 {
		f.invalid(p, q.String(), "must be an integer")
		return false
	}
	return true
}

func validateProbe(f *fieldErrs, p string, pr *Probe, successMustBeOne bool, ports []ContainerPort) {
	if pr == nil {
		return
	}
	handlers := 0
	if pr.Exec != nil {
		handlers++
		if len(pr.Exec.Command) == 0 {
			f.required(fieldPath(fieldPath(p, "exec"), "command"), "")
		}
	}
	if h := pr.HTTPGet; h != nil {
		handlers++
		hp := fieldPath(p, "httpGet")
		validateNamedPort(f, fieldPath(hp, "port"), h.Port)
		if h.Scheme != "" && !oneOf(h.Scheme, "HTTP", "HTTPS") {
			f.notSupported(fieldPath(hp, "scheme"), h.Scheme, "HTTP", "HTTPS")
		}
		if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
			f.invalid(fieldPath(hp, "path"), h.Path, "must be an absolute path")
		}
		for i, hd := range h.HTTPHeaders {
			if hd.Name == "" || strings.ContainsAny(hd.Name, " :\t\r\n") {
				f.invalid(fieldPath(indexPath(fieldPath(hp, "httpHeaders"), i), "name"), hd.Name, "must be a valid HTTP header name")
			}
		}
		validateProbePortRef(f, fieldPath(hp, "port"), h.Port, ports)
	}
	if t := pr.TCPSocket; t != nil {
		handlers++
		tp := fieldPath(p, "tcpSocket")
		validateNamedPort(f, fieldPath(tp, "port"), t.Port)
		validateProbePortRef(f, fieldPath(tp, "port"), t.Port, ports)
	}
	switch {
	case handlers == 0:
		f.required(p, "must specify a handler type (exec, httpGet or tcpSocket)")
	case handlers > 1:
		f.forbidden(p, "may not specify more than 1 handler type")
	}
	for _, v := range []struct {
		name string
		val  int32
	}{
		{"initialDelaySeconds", pr.InitialDelaySeconds},
		{"timeoutSeconds", pr.TimeoutSeconds},
		{"periodSeconds", pr.PeriodSeconds},
		{"periodMilliseconds", pr.PeriodMilliseconds},
		{"successThreshold", pr.SuccessThreshold},
		{"failureThreshold", pr.FailureThreshold},
	} {
		if v.val < 0 {
			f.invalid(fieldPath(p, v.name), v.val, "must be greater than or equal to 0")
		}
	}
	if successMustBeOne && pr.SuccessThreshold > 1 {
		f.invalid(fieldPath(p, "successThreshold"), pr.SuccessThreshold, "must be 1")
	}
}

// validateProbePortRef checks that a named probe port names a port of the
// container.
func validateProbePortRef(f *fieldErrs, p string, port IntOrString, ports []ContainerPort) {
	if !port.IsString || checkPortName(port.StrVal) != "" {
		return
	}
	for _, cp := range ports {
		if cp.Name == port.StrVal {
			return
		}
	}
	f.add(p, ErrorTypeNotFound, port.StrVal, "no container port of that name")
}

func validateToleration(f *fieldErrs, p string, t Toleration) {
	if t.Key != "" {
		if msg := checkQualifiedName(t.Key); msg != "" {
			f.invalid(fieldPath(p, "key"), t.Key, msg)
		}
	}
	switch t.Operator {
	case TolerationOpExists:
		if t.Value != "" {
			f.invalid(fieldPath(p, "value"), t.Value, "must be empty when operator is Exists")
		}
	case TolerationOpEqual, "":
		if t.Key == "" {
			f.invalid(fieldPath(p, "operator"), string(t.Operator), "must be Exists when key is empty")
		}
		if msg := checkLabelValue(t.Value); msg != "" {
			f.invalid(fieldPath(p, "value"), t.Value, msg)
		}
	default:
		f.notSupported(fieldPath(p, "operator"), string(t.Operator), "Equal", "Exists")
	}
	switch t.Effect {
	case "", TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute:
	default:
		f.notSupported(fieldPath(p, "effect"), string(t.Effect), "NoSchedule", "PreferNoSchedule", "NoExecute")
	}
	if t.TolerationSeconds != nil && t.Effect != TaintEffectNoExecute {
		f.invalid(fieldPath(p, "effect"), string(t.Effect), "must be NoExecute when tolerationSeconds is set")
	}
}

func validateAffinity(f *fieldErrs, p string, a *Affinity) {
	if na := a.NodeAffinity; na != nil {
		np := fieldPath(p, "nodeAffinity")
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			rp := fieldPath(fieldPath(np, "requiredDuringSchedulingIgnoredDuringExecution"), "nodeSelectorTerms")
			if len(req.NodeSelectorTerms) == 0 {
				f.required(rp, "must have at least one node selector term")
			}
			for i, term := range req.NodeSelectorTerms {
				validateNodeSelectorTerm(f, indexPath(rp, i), term)
			}
		}
		for i, pref := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			pp := indexPath(fieldPath(np, "preferredDuringSchedulingIgnoredDuringExecution"), i)
			validateWeight(f, fieldPath(pp, "weight"), pref.Weight)
			validateNodeSelectorTerm(f, fieldPath(pp, "preference"), pref.Preference)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		validatePodAffinityTerms(f, fieldPath(p, "podAffinity"), pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		validatePodAffinityTerms(f, fieldPath(p, "podAntiAffinity"), pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
}

func validateWeight(f *fieldErrs, p string, w int32) {
	if w < 1 || w > 100 {
		f.invalid(p, w, "must be in the range 1-100")
	}
}

func validateNodeSelectorTerm(f *fieldErrs, p string, t NodeSelectorTerm) {
	for i, r := range t.MatchExpressions {
		rp := indexPath(fieldPath(p, "matchExpressions"), i)
		if msg := checkQualifiedName(r.Key); msg != "" {
			f.invalid(fieldPath(rp, "key"), r.Key, msg)
		}
		validateNodeSelectorValues(f, rp, r)
	}
	for i, r := range t.MatchFields {
		rp := indexPath(fieldPath(p, "matchFields"), i)
		if r.Key != "metadata.name" {
			f.notSupported(fieldPath(rp, "key"), r.Key, "metadata.name")
		}
		if r.Operator != NodeSelectorOpIn && r.Operator != NodeSelectorOpNotIn {
			f.notSupported(fieldPath(rp, "operator"), string(r.Operator), "In", "NotIn")
		} else if len(r.Values) != 1 {
			f.required(fieldPath(rp, "values"), "must have exactly one value")
		}
	}
}

func validateNodeSelectorValues(f *fieldErrs, p string, r NodeSelectorRequirement) {
	vp := fieldPath(p, "values")
	switch r.Operator {
	case NodeSelectorOpIn, NodeSelectorOpNotIn:
		if len(r.Values) == 0 {
			f.required(vp, "must be specified when operator is In or NotIn")
		}
		for i, v := range r.Values {
			if msg := checkLabelValue(v); msg != "" {
				f.invalid(indexPath(vp, i), v, msg)
			}
		}
	case NodeSelectorOpExists, NodeSelectorOpDoesNotExist:
		if len(r.Values) > 0 {
			f.forbidden(vp, "may not be specified when operator is Exists or DoesNotExist")
		}
	case NodeSelectorOpGt, NodeSelectorOpLt:
		if len(r.Values) != 1 {
			f.required(vp, "must be specified as a single value when operator is Gt or Lt")
		} else if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
			f.invalid(indexPath(vp, 0), r.Values[0], "must be an integer when operator is Gt or Lt")
		}
	default:
		f.notSupported(fieldPath(p, "operator"), string(r.Operator), "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
	}
}

func validatePodAffinityTerms(f *fieldErrs, p string, req []PodAffinityTerm, pref []WeightedPodAffinityTerm) {
	for i, t := range req {
		validatePodAffinityTerm(f, indexPath(fieldPath(p, "requiredDuringSchedulingIgnoredDuringExecution"), i), t)
	}
	for i, w := range pref {
		wp := indexPath(fieldPath(p, "preferredDuringSchedulingIgnoredDuringExecution"), i)
		validateWeight(f, fieldPath(wp, "weight"), w.Weight)
		validatePodAffinityTerm(f, fieldPath(wp, "podAffinityTerm"), w.PodAffinityTerm)
	}
}

func validatePodAffinityTerm(f *fieldErrs, p string, t PodAffinityTerm) {
	if t.TopologyKey == "" {
		f.required(fieldPath(p, "topologyKey"), "")
	} else if msg := checkQualifiedName(t.TopologyKey); msg != "" {
		f.invalid(fieldPath(p, "topologyKey"), t.TopologyKey, msg)
	}
	validateLabelSelector(f, fieldPath(p, "labelSelector"), t.LabelSelector)
	for i, ns := range t.Namespaces {
		if msg := checkDNSLabel(ns); msg != "" {
			f.invalid(indexPath(fieldPath(p, "namespaces"), i), ns, msg)
		}
	}
}

func validateSpread(f *fieldErrs, p string, cs []TopologySpreadConstraint) {
	type pair struct {
		key    string
		action UnsatisfiableConstraintAction
	}
	seen := make(map[pair]bool, len(cs))
	for i, c := range cs {
		cp := indexPath(p, i)
		if c.MaxSkew <= 0 {
			f.invalid(fieldPath(cp, "maxSkew"), c.MaxSkew, "must be greater than 0")
		}
		if c.TopologyKey == "" {
			f.required(fieldPath(cp, "topologyKey"), "")
		} else if msg := checkQualifiedName(c.TopologyKey); msg != "" {
			f.invalid(fieldPath(cp, "topologyKey"), c.TopologyKey, msg)
		}
		switch c.WhenUnsatisfiable {
		case DoNotSchedule, ScheduleAnyway:
		case "":
			f.required(fieldPath(cp, "whenUnsatisfiable"), "")
		default:
			f.notSupported(fieldPath(cp, "whenUnsatisfiable"), string(c.WhenUnsatisfiable), string(DoNotSchedule), string(ScheduleAnyway))
		}
		if c.MinDomains != nil {
			if *c.MinDomains <= 0 {
				f.invalid(fieldPath(cp, "minDomains"), *c.MinDomains, "must be greater than 0")
			} else if c.WhenUnsatisfiable != DoNotSchedule {
				f.invalid(fieldPath(cp, "minDomains"), *c.MinDomains, "can only be used when whenUnsatisfiable is DoNotSchedule")
			}
		}
		validateLabelSelector(f, fieldPath(cp, "labelSelector"), c.LabelSelector)
		k := pair{c.TopologyKey, c.WhenUnsatisfiable}
		if seen[k] {
			f.duplicate(fieldPath(cp, "{topologyKey, whenUnsatisfiable}"), c.TopologyKey+", "+string(c.WhenUnsatisfiable))
		}
		seen[k] = true
	}
}

// --- services and endpoints ---

// NodePortMin and NodePortMax bound the default NodePort range.
const (
	NodePortMin = 30000
	NodePortMax = 32767
)

func validateService(f *fieldErrs, svc *Service) {
	s := &svc.Spec
	typ := s.Type
	if typ == "" {
		typ = ServiceTypeClusterIP
	}
	headless := s.ClusterIP == ClusterIPNone
	switch typ {
	case ServiceTypeClusterIP, ServiceTypeNodePort, ServiceTypeLoadBalancer:
		if headless && typ != ServiceTypeClusterIP {
			f.invalid("spec.clusterIP", s.ClusterIP, "may not be set to 'None' for LoadBalancer or NodePort services")
		}
		if s.ExternalName != "" {
			f.forbidden("spec.externalName", "may only be set when type is ExternalName")
		}
	case ServiceTypeExternalName:
		if s.ExternalName == "" {
			f.required("spec.externalName", "required when type is ExternalName")
		} else if msg := checkDNSSubdomain(strings.TrimSuffix(s.ExternalName, ".")); msg != "" {
			f.invalid("spec.externalName", s.ExternalName, msg)
		}
		if s.ClusterIP != "" {
			f.forbidden("spec.clusterIP", "must be empty for ExternalName services")
		}
	default:
		f.notSupported("spec.type", string(s.Type), "ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
	}
	if s.ClusterIP != "" && !headless {
		if _, err := netip.ParseAddr(s.ClusterIP); err != nil {
			f.invalid("spec.clusterIP", s.ClusterIP, "must be a valid IP address or 'None'")
		}
	}
	if len(s.Ports) == 0 && typ != ServiceTypeExternalName && !headless {
		f.required("spec.ports", "")
	}
	if s.SessionAffinity != "" && !oneOf(s.SessionAffinity, SessionAffinityNone, SessionAffinityClientIP) {
		f.notSupported("spec.sessionAffinity", s.SessionAffinity, SessionAffinityNone, SessionAffinityClientIP)
	}
	validateLabels(f, "spec.selector", s.Selector)
	names := make(map[string]bool, len(s.Ports))
	type portKey struct {
		proto Protocol
		port  int32
	}
	ports := make(map[portKey]bool, len(s.Ports))
	nodePorts := make(map[portKey]bool, len(s.Ports))
	for i, port := range s.Ports {
		pp := indexPath("spec.ports", i)
		switch {
		case port.Name == "" && len(s.Ports) > 1:
			f.required(fieldPath(pp, "name"), "when there is more than one port, every port must be named")
		case port.Name == "":
		case checkDNSLabel(port.Name) != "":
			f.invalid(fieldPath(pp, "name"), port.Name, checkDNSLabel(port.Name))
		case names[port.Name]:
			f.duplicate(fieldPath(pp, "name"), port.Name)
		}
		names[port.Name] = true
		validatePortNumber(f, fieldPath(pp, "port"), port.Port, true)
		validateProtocol(f, fieldPath(pp, "protocol"), port.Protocol)
		// A numeric targetPort equal to port (the default) would only
		// repeat a problem with port.
		if !port.TargetPort.IsZero() && (port.TargetPort.IsString || port.TargetPort.IntVal != port.Port) {
			validateNamedPort(f, fieldPath(pp, "targetPort"), port.TargetPort)
		}
		proto := port.Protocol
		if proto == "" {
			proto = ProtocolTCP
		}
		if k := (portKey{proto, port.Port}); ports[k] {
			f.duplicate(pp, strconv.Itoa(int(port.Port))+"/"+string(proto))
		} else {
			ports[k] = true
		}
		if port.NodePort != 0 {
			np := fieldPath(pp, "nodePort")
			switch {
			case typ != ServiceTypeNodePort && typ != ServiceTypeLoadBalancer:
				f.forbidden(np, "may not be used when type is "+string(typ))
			case port.NodePort < NodePortMin || port.NodePort > NodePortMax:
				f.invalid(np, port.NodePort, "provided port is not in the valid range. The range of valid ports is 30000-32767")
			}
			if k := (portKey{proto, port.NodePort}); nodePorts[k] {
				f.duplicate(np, port.NodePort)
			} else {
				nodePorts[k] = true
			}
		}
	}
}

func validateEndpoints(f *fieldErrs, e *Endpoints) {
	for i, ss := range e.Subsets {
		sp := indexPath("subsets", i)
		for _, group := range []struct {
			name  string
			addrs []EndpointAddress
		}{{"addresses", ss.Addresses}, {"notReadyAddresses", ss.NotReadyAddresses}} {
			for j, a := range group.addrs {
				ap := indexPath(fieldPath(sp, group.name), j)
				if _, err := netip.ParseAddr(a.IP); err != nil {
					f.invalid(fieldPath(ap, "ip"), a.IP, "must be a valid IP address")
				}
				if a.Hostname != "" {
					if msg := checkDNSLabel(a.Hostname); msg != "" {
						f.invalid(fieldPath(ap, "hostname"), a.Hostname, msg)
					}
				}
			}
		}
		for j, port := range ss.Ports {
			pp := indexPath(fieldPath(sp, "ports"), j)
			if port.Name != "" {
				if msg := checkDNSLabel(port.Name); msg != "" {
					f.invalid(fieldPath(pp, "name"), port.Name, msg)
				}
			} else if len(ss.Ports) > 1 {
				f.required(fieldPath(pp, "name"), "")
			}
			validatePortNumber(f, fieldPath(pp, "port"), port.Port, true)
			validateProtocol(f, fieldPath(pp, "protocol"), port.Protocol)
		}
	}
}

// --- the rest ---

func validateNode(f *fieldErrs, n *Node) {
	if n.Spec.PodCIDR != "" {
		if _, err := netip.ParsePrefix(n.Spec.PodCIDR); err != nil {
			f.invalid("spec.podCIDR", n.Spec.PodCIDR, "must be a valid CIDR")
		}
	}
	type pair struct {
		key    string
		effect TaintEffect
	}
	seen := make(map[pair]bool, len(n.Spec.Taints))
	for i, t := range n.Spec.Taints {
		tp := indexPath("spec.taints", i)
		if msg := checkQualifiedName(t.Key); msg != "" {
			f.invalid(fieldPath(tp, "key"), t.Key, msg)
		}
		if msg := checkLabelValue(t.Value); msg != "" {
			f.invalid(fieldPath(tp, "value"), t.Value, msg)
		}
		switch t.Effect {
		case TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute:
		case "":
			f.required(fieldPath(tp, "effect"), "")
		default:
			f.notSupported(fieldPath(tp, "effect"), string(t.Effect), "NoSchedule", "PreferNoSchedule", "NoExecute")
		}
		if seen[pair{t.Key, t.Effect}] {
			f.duplicate(tp, t.Key+":"+string(t.Effect))
		}
		seen[pair{t.Key, t.Effect}] = true
	}
	validateNonNegative(f, "status.capacity", n.Status.Capacity)
	validateNonNegative(f, "status.allocatable", n.Status.Allocatable)
}

func validateNonNegative(f *fieldErrs, p string, rl ResourceList) {
	for _, name := range slices.Sorted(maps.Keys(rl)) {
		if q := rl[name]; q.Sign() < 0 {
			f.invalid(fieldPath(p, string(name)), q.String(), "must be greater than or equal to 0")
		}
	}
}

func validateHPA(f *fieldErrs, s *HorizontalPodAutoscalerSpec) {
	if s.ScaleTargetRef.Kind == "" {
		f.required("spec.scaleTargetRef.kind", "")
	}
	if s.ScaleTargetRef.Name == "" {
		f.required("spec.scaleTargetRef.name", "")
	} else if msg := checkDNSSubdomain(s.ScaleTargetRef.Name); msg != "" {
		f.invalid("spec.scaleTargetRef.name", s.ScaleTargetRef.Name, msg)
	}
	minR := int32(1)
	if s.MinReplicas != nil {
		minR = *s.MinReplicas
		if minR < 1 {
			f.invalid("spec.minReplicas", minR, "must be greater than or equal to 1")
		}
	}
	switch {
	case s.MaxReplicas < 1:
		f.invalid("spec.maxReplicas", s.MaxReplicas, "must be greater than or equal to 1")
	case s.MaxReplicas < minR:
		f.invalid("spec.maxReplicas", s.MaxReplicas, "must be greater than or equal to minReplicas")
	}
	for i := range s.Metrics {
		validateMetric(f, indexPath("spec.metrics", i), &s.Metrics[i])
	}
	if b := s.Behavior; b != nil {
		validateScalingRules(f, "spec.behavior.scaleUp", b.ScaleUp)
		validateScalingRules(f, "spec.behavior.scaleDown", b.ScaleDown)
	}
}

func validateMetric(f *fieldErrs, p string, m *MetricSpec) {
	set := map[MetricSourceType]bool{
		ResourceMetricSourceType: m.Resource != nil,
		PodsMetricSourceType:     m.Pods != nil,
		ObjectMetricSourceType:   m.Object != nil,
		ExternalMetricSourceType: m.External != nil,
	}
	count := 0
	for _, ok := range set {
		if ok {
			count++
		}
	}
	if count > 1 {
		f.forbidden(p, "must populate exactly one of resource, pods, object or external")
	}
	switch m.Type {
	case ResourceMetricSourceType, PodsMetricSourceType, ObjectMetricSourceType, ExternalMetricSourceType:
		if !set[m.Type] {
			f.required(fieldPath(p, strings.ToLower(string(m.Type))), "must populate the source named by type")
		}
	case "":
		f.required(fieldPath(p, "type"), "")
	default:
		f.notSupported(fieldPath(p, "type"), string(m.Type), "Resource", "Pods", "Object", "External")
	}
	if r := m.Resource; r != nil {
		rp := fieldPath(p, "resource")
		if r.Name == "" {
			f.required(fieldPath(rp, "name"), "")
		}
		validateMetricTarget(f, fieldPath(rp, "target"), r.Target, true)
	}
	if pm := m.Pods; pm != nil {
		pp := fieldPath(p, "pods")
		validateMetricID(f, fieldPath(pp, "metric"), pm.Metric)
		if pm.Target.Type != AverageValueMetricType {
			f.notSupported(fieldPath(fieldPath(pp, "target"), "type"), string(pm.Target.Type), "AverageValue")
		} else {
			validateMetricTarget(f, fieldPath(pp, "target"), pm.Target, false)
		}
	}
	if o := m.Object; o != nil {
		op := fieldPath(p, "object")
		if o.DescribedObject.Kind == "" {
			f.required(fieldPath(fieldPath(op, "describedObject"), "kind"), "")
		}
		if o.DescribedObject.Name == "" {
			f.required(fieldPath(fieldPath(op, "describedObject"), "name"), "")
		}
		validateMetricID(f, fieldPath(op, "metric"), o.Metric)
		validateMetricTarget(f, fieldPath(op, "target"), o.Target, false)
	}
	if e := m.External; e != nil {
		ep := fieldPath(p, "external")
		validateMetricID(f, fieldPath(ep, "metric"), e.Metric)
		validateMetricTarget(f, fieldPath(ep, "target"), e.Target, false)
	}
}

func validateMetricID(f *fieldErrs, p string, id MetricIdentifier) {
	if id.Name == "" {
		f.required(fieldPath(p, "name"), "")
	}
	validateLabelSelector(f, fieldPath(p, "selector"), id.Selector)
}

func validateMetricTarget(f *fieldErrs, p string, t MetricTarget, utilizationAllowed bool) {
	switch t.Type {
	case UtilizationMetricType:
		if !utilizationAllowed {
			f.notSupported(fieldPath(p, "type"), string(t.Type), "Value", "AverageValue")
		}
		if t.AverageUtilization == nil {
			f.required(fieldPath(p, "averageUtilization"), "must be set when type is Utilization")
		}
	case ValueMetricType:
		if t.Value == nil {
			f.required(fieldPath(p, "value"), "must be set when type is Value")
		}
	case AverageValueMetricType:
		if t.AverageValue == nil {
			f.required(fieldPath(p, "averageValue"), "must be set when type is AverageValue")
		}
	case "":
		f.required(fieldPath(p, "type"), "")
	default:
		f.notSupported(fieldPath(p, "type"), string(t.Type), "Utilization", "Value", "AverageValue")
	}
	if u := t.AverageUtilization; u != nil {
		if t.Type != UtilizationMetricType {
			f.forbidden(fieldPath(p, "averageUtilization"), "may only be set when type is Utilization")
		} else if *u <= 0 {
			f.invalid(fieldPath(p, "averageUtilization"), *u, "must be greater than 0")
		}
	}
	if q := t.Value; q != nil && q.Sign() <= 0 {
		f.invalid(fieldPath(p, "value"), q.String(), "must be positive")
	}
	if q := t.AverageValue; q != nil && q.Sign() <= 0 {
		f.invalid(fieldPath(p, "averageValue"), q.String(), "must be positive")
	}
}

func validateScalingRules(f *fieldErrs, p string, r *HPAScalingRules) {
	if r == nil {
		return
	}
	if w := r.StabilizationWindowSeconds; w != nil && (*w < 0 || *w > 3600) {
		f.invalid(fieldPath(p, "stabilizationWindowSeconds"), *w, "must be in the range 0-3600")
	}
	if r.SelectPolicy != "" && !oneOf(r.SelectPolicy, HPASelectMax, HPASelectMin, HPASelectDisabled) {
		f.notSupported(fieldPath(p, "selectPolicy"), r.SelectPolicy, HPASelectMax, HPASelectMin, HPASelectDisabled)
	}
	if r.Policies != nil && len(r.Policies) == 0 && r.SelectPolicy != HPASelectDisabled {
		f.required(fieldPath(p, "policies"), "must specify at least one policy")
	}
	for i, pol := range r.Policies {
		pp := indexPath(fieldPath(p, "policies"), i)
		if !oneOf(pol.Type, HPAPolicyPods, HPAPolicyPercent) {
			f.notSupported(fieldPath(pp, "type"), pol.Type, HPAPolicyPods, HPAPolicyPercent)
		}
		if pol.Value <= 0 {
			f.invalid(fieldPath(pp, "value"), pol.Value, "must be greater than 0")
		}
		if pol.PeriodSeconds <= 0 || pol.PeriodSeconds > 1800 {
			f.invalid(fieldPath(pp, "periodSeconds"), pol.PeriodSeconds, "must be in the range 1-1800")
		}
	}
	if q := r.Tolerance; q != nil && q.Sign() < 0 {
		f.invalid(fieldPath(p, "tolerance"), q.String(), "must be greater than or equal to 0")
	}
}

func validatePodGroup(f *fieldErrs, s *PodGroupSpec) {
	if s.MinMember < 1 {
		f.invalid("spec.minMember", s.MinMember, "must be greater than or equal to 1")
	}
	if t := s.ScheduleTimeoutSeconds; t != nil && *t <= 0 {
		f.invalid("spec.scheduleTimeoutSeconds", *t, "must be greater than 0")
	}
	validateNonNegative(f, "spec.minResources", s.MinResources)
}

var quotaNames = []string{
	"pods", "services", "services.nodeports", "services.loadbalancers", "resourcequotas",
	"configmaps", "secrets", "persistentvolumeclaims", "replicationcontrollers",
	"cpu", "memory", "ephemeral-storage",
	"requests.cpu", "requests.memory", "requests.ephemeral-storage", "requests.storage",
	"limits.cpu", "limits.memory", "limits.ephemeral-storage",
}

// checkQuotaName: a standard quota name, requests.<extended or huge
// pages>, hugepages-<size>, or count/<resource>.
func checkQuotaName(name ResourceName) string {
	s := string(name)
	if oneOf(s, quotaNames...) {
		return ""
	}
	if rest, ok := strings.CutPrefix(s, "requests."); ok {
		if isHugePages(ResourceName(rest)) || isExtendedResource(ResourceName(rest)) && checkQualifiedName(rest) == "" {
			return ""
		}
	}
	if isHugePages(name) {
		return ""
	}
	if rest, ok := strings.CutPrefix(s, "count/"); ok && rest != "" {
		return ""
	}
	return "must be a standard quota resource (pods, requests.cpu, limits.memory, ...), requests.<extended resource> or count/<resource>"
}

func validateQuota(f *fieldErrs, s *ResourceQuotaSpec) {
	for _, name := range slices.Sorted(maps.Keys(s.Hard)) {
		p := fieldPath("spec.hard", string(name))
		if msg := checkQuotaName(name); msg != "" {
			f.invalid(p, string(name), msg)
			continue
		}
		q := s.Hard[name]
		if q.Sign() < 0 {
			f.invalid(p, q.String(), "must be greater than or equal to 0")
		}
	}
}

func validateLease(f *fieldErrs, s *LeaseSpec) {
	if d := s.LeaseDurationSeconds; d != nil && *d <= 0 {
		f.invalid("spec.leaseDurationSeconds", *d, "must be greater than 0")
	}
	if t := s.LeaseTransitions; t != nil && *t < 0 {
		f.invalid("spec.leaseTransitions", *t, "must be greater than or equal to 0")
	}
}

func validateEvent(f *fieldErrs, e *Event) {
	if e.InvolvedObject.Kind == "" {
		f.required("involvedObject.kind", "")
	}
	if e.InvolvedObject.Name == "" {
		f.required("involvedObject.name", "")
	}
	if ns := e.InvolvedObject.Namespace; ns != "" && e.Namespace != "" && ns != e.Namespace {
		f.invalid("involvedObject.namespace", ns, "does not match event namespace")
	}
	if e.Type != "" && !oneOf(e.Type, EventTypeNormal, EventTypeWarning) {
		f.notSupported("type", e.Type, EventTypeNormal, EventTypeWarning)
	}
	if e.Count < 0 {
		f.invalid("count", e.Count, "must be greater than or equal to 0")
	}
	if len(e.Reason) > 128 {
		f.add("reason", ErrorTypeTooLong, nil, "must be no more than 128 characters")
	}
	if len(e.Message) > 4096 {
		f.add("message", ErrorTypeTooLong, nil, "must be no more than 4096 characters")
	}
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
