package api

import "reflect"

// ValidateUpdate checks newObj as Validate does and, against oldObj (the
// stored version), the fields that may not change once an object exists:
// the kind, metadata.name, metadata.namespace and metadata.uid (once set);
// the selector of a Deployment or ReplicaSet; a Service's clusterIP once
// allocated (unless the Service becomes ExternalName); and a Pod's spec,
// except the containers' images, additions to the tolerations, and
// spec.nodeName set once (binding). It returns nil or a FieldErrors with
// every problem. Neither object is modified.
//
// Equality is structural (reflect.DeepEqual), so a quantity written in a
// different notation ("1" against "1000m") counts as a change.
func ValidateUpdate(newObj, oldObj Object) error {
	var f fieldErrs
	validateObject(&f, newObj)
	if isNilObject(newObj) || isNilObject(oldObj) {
		if isNilObject(oldObj) {
			f.required("", "old object is nil")
		}
		return f.err()
	}
	if newObj.Kind() != oldObj.Kind() {
		f.add("kind", ErrorTypeImmutable, string(newObj.Kind()), "was "+string(oldObj.Kind()))
		return f.err()
	}
	nm, om := newObj.Meta(), oldObj.Meta()
	if nm.Name != om.Name {
		f.add("metadata.name", ErrorTypeImmutable, nm.Name, "field is immutable")
	}
	if nm.Namespace != om.Namespace {
		f.add("metadata.namespace", ErrorTypeImmutable, nm.Namespace, "field is immutable")
	}
	if om.UID != "" && nm.UID != om.UID {
		f.add("metadata.uid", ErrorTypeImmutable, string(nm.UID), "field is immutable")
	}
	switch n := newObj.(type) {
	case *Deployment:
		o := oldObj.(*Deployment)
		if !reflect.DeepEqual(n.Spec.Selector, o.Spec.Selector) {
			f.add("spec.selector", ErrorTypeImmutable, nil, "field is immutable")
		}
	case *ReplicaSet:
		o := oldObj.(*ReplicaSet)
		if !reflect.DeepEqual(n.Spec.Selector, o.Spec.Selector) {
			f.add("spec.selector", ErrorTypeImmutable, nil, "field is immutable")
		}
	case *Service:
		o := oldObj.(*Service)
		if o.Spec.ClusterIP != "" && n.Spec.ClusterIP != o.Spec.ClusterIP && n.Spec.Type != ServiceTypeExternalName {
			f.add("spec.clusterIP", ErrorTypeImmutable, n.Spec.ClusterIP, "field is immutable")
		}
	case *Pod:
		validatePodSpecUpdate(&f, &n.Spec, &oldObj.(*Pod).Spec)
	}
	return f.err()
}

// validatePodSpecUpdate allows only the mutable fields of a pod spec to
// change: it copies the old spec, applies the allowed changes from the new
// one, and requires the result to equal the new spec.
func validatePodSpecUpdate(f *fieldErrs, n, o *PodSpec) {
	allowed := *o // shallow: only the fields replaced below are written
	if len(n.Containers) == len(o.Containers) {
		allowed.Containers = make([]Container, len(o.Containers))
		for i := range o.Containers {
			allowed.Containers[i] = o.Containers[i]
			allowed.Containers[i].Image = n.Containers[i].Image
		}
	}
	// Tolerations may only be added: every old one must still be there.
	tolerationsOK := true
	for _, ot := range o.Tolerations {
		found := false
		for _, nt := range n.Tolerations {
			if reflect.DeepEqual(ot, nt) {
				found = true
				break
			}
		}
		if !found {
			tolerationsOK = false
		}
	}
	if tolerationsOK {
		allowed.Tolerations = n.Tolerations
	} else {
		f.forbidden("spec.tolerations", "existing tolerations may not be removed or changed, only added")
	}
	if o.NodeName == "" {
		allowed.NodeName = n.NodeName
	}
	if !reflect.DeepEqual(&allowed, n) {
		if o.NodeName != "" && n.NodeName != o.NodeName {
			f.add("spec.nodeName", ErrorTypeImmutable, n.NodeName, "a bound pod may not move to another node")
		}
		f.forbidden("spec", "pod updates may not change fields other than spec.containers[*].image, spec.tolerations (only additions) and spec.nodeName (only to bind)")
	}
}
