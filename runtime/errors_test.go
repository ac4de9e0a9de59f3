package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/fleetkit/orchestrator/runtime"
)

func TestIsTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"unavailable", fmt.Errorf("x: %w", runtime.ErrUnavailable), true},
		{"marked", runtime.Transient(errors.New("pull timed out")), true},
		{"marked and wrapped", fmt.Errorf("outer: %w", runtime.Transient(runtime.ErrImagePull)), true},
		{"not found", fmt.Errorf("x: %w", runtime.ErrNotFound), false},
		{"invalid", runtime.ErrInvalid, false},
		{"context", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runtime.IsTransient(tt.err); got != tt.want {
				t.Fatalf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if runtime.Transient(nil) != nil {
		t.Fatal("Transient(nil) != nil")
	}
	if err := runtime.Transient(fmt.Errorf("a: %w", runtime.ErrImagePull)); !errors.Is(err, runtime.ErrImagePull) {
		t.Fatal("Transient hides the category")
	}
}
