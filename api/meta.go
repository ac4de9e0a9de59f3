package api

import "time"

// UID is a unique identifier the store assigns to an object when it is
// created. Two objects that ever had the same name still differ by UID.
type UID string

// ObjectMeta is the metadata every stored object carries. Callers set Name,
// Namespace (or GenerateName), Labels, Annotations, OwnerReferences and
// Finalizers; the store sets UID, ResourceVersion, Generation,
// CreationTimestamp and DeletionTimestamp.
type ObjectMeta struct {
	Name string `json:"name,omitempty"`
	// GenerateName asks the store to pick a unique name with this prefix
	// when Name is empty.
	GenerateName string `json:"generateName,omitempty"`
	Namespace    string `json:"namespace,omitempty"`
	UID          UID    `json:"uid,omitempty"`
	// ResourceVersion is the store revision of the object's last change.
	// Update compares it (compare-and-swap); zero means "unconditional".
	// It is encoded as a string, as Kubernetes clients expect.
	ResourceVersion int64 `json:"resourceVersion,omitempty,string"`
	// Generation counts changes to the spec; status writes leave it alone.
	Generation                 int64             `json:"generation,omitempty"`
	CreationTimestamp          time.Time         `json:"creationTimestamp,omitzero"`
	DeletionTimestamp          *time.Time        `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64            `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string `json:"labels,omitempty"`
	Annotations                map[string]string `json:"annotations,omitempty"`
	OwnerReferences            []OwnerReference  `json:"ownerReferences,omitempty"`
	Finalizers                 []string          `json:"finalizers,omitempty"`
}

// Meta returns the metadata itself. Every kind embeds ObjectMeta, so every
// kind gets this method and satisfies the Meta part of Object.
func (m *ObjectMeta) Meta() *ObjectMeta { return m }

// OwnerReference names an object that owns this one. The garbage collector
// deletes dependents whose owners are gone.
type OwnerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	UID        UID    `json:"uid"`
	// Controller marks the one managing owner.
	Controller *bool `json:"controller,omitempty"`
	// BlockOwnerDeletion holds a foreground deletion of the owner until
	// this dependent is gone.
	BlockOwnerDeletion *bool `json:"blockOwnerDeletion,omitempty"`
}

// Well-known finalizers.
const (
	// FinalizerForeground holds an owner until its blocking dependents are
	// deleted (foreground cascading deletion).
	FinalizerForeground = "foregroundDeletion"
	// FinalizerOrphan makes the garbage collector orphan the dependents
	// instead of deleting them.
	FinalizerOrphan = "orphan"
)

// ConditionStatus is the status of a condition.
type ConditionStatus string

const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// LabelSelector is the structured form of a label selector. A nil
// LabelSelector selects nothing; an empty one selects everything.
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one expression of a LabelSelector.
type LabelSelectorRequirement struct {
	Key string `json:"key"`
	// Operator is In, NotIn, Exists or DoesNotExist.
	Operator LabelSelectorOperator `json:"operator"`
	Values   []string              `json:"values,omitempty"`
}

// LabelSelectorOperator is the operator of a LabelSelectorRequirement.
type LabelSelectorOperator string

const (
	LabelSelectorOpIn           LabelSelectorOperator = "In"
	LabelSelectorOpNotIn        LabelSelectorOperator = "NotIn"
	LabelSelectorOpExists       LabelSelectorOperator = "Exists"
	LabelSelectorOpDoesNotExist LabelSelectorOperator = "DoesNotExist"
)
