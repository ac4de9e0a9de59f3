package api

// Deep copies of every API type are generated into zz_generated_deepcopy.go
// by internal/gen/deepcopy; run "go generate ./api" after changing a type.
// A generated copy shares no memory with the original (Quantity's
// big.Int, when it has one, is cloned through Quantity.DeepCopy), except
// the *time.Location inside time.Time values, which is immutable.

//go:generate go run ../internal/gen/deepcopy
