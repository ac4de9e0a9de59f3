package api

import "encoding/json"

// TEMPORARY: replaced by generated deep copies (zz_generated_deepcopy.go).

// DeepCopy returns a deep copy of o.
func (o *Namespace) DeepCopy() *Namespace {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(Namespace)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *Namespace) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *Node) DeepCopy() *Node {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(Node)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *Node) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *Pod) DeepCopy() *Pod {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(Pod)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *Pod) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *ReplicaSet) DeepCopy() *ReplicaSet {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(ReplicaSet)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *ReplicaSet) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *Deployment) DeepCopy() *Deployment {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(Deployment)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *Deployment) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *Service) DeepCopy() *Service {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(Service)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *Service) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *Endpoints) DeepCopy() *Endpoints {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(Endpoints)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *Endpoints) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *HorizontalPodAutoscaler) DeepCopy() *HorizontalPodAutoscaler {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(HorizontalPodAutoscaler)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *HorizontalPodAutoscaler) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *PodGroup) DeepCopy() *PodGroup {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(PodGroup)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *PodGroup) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *ResourceQuota) DeepCopy() *ResourceQuota {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(ResourceQuota)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *ResourceQuota) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *Lease) DeepCopy() *Lease {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(Lease)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *Lease) DeepCopyObject() Object { return o.DeepCopy() }

// DeepCopy returns a deep copy of o.
func (o *Event) DeepCopy() *Event {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	n := new(Event)
	_ = json.Unmarshal(b, n)
	return n
}

// DeepCopyObject returns a deep copy of o as an Object.
func (o *Event) DeepCopyObject() Object { return o.DeepCopy() }
