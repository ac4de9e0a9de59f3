package deployment_test

import (
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/deployment"
)

func TestResolveFenceposts(t *testing.T) {
	is := func(v api.IntOrString) *api.IntOrString { return &v }
	tests := []struct {
		name                       string
		surge, unavail             *api.IntOrString
		replicas                   int32
		wantSurge, wantUnavailable int32
	}{
		{"defaults 25% of 10: surge up, unavailable down", nil, nil, 10, 3, 2},
		{"defaults 25% of 4", nil, nil, 4, 1, 1},
		{"defaults of 1: surge rounds up to 1, unavailable to 0", nil, nil, 1, 1, 0},
		{"both zero: unavailable becomes 1", is(api.FromInt(0)), is(api.FromInt(0)), 10, 0, 1},
		{"percent both round to 0", is(api.FromString("10%")), is(api.FromString("10%")), 5, 1, 0},
		{"percent unavailable rounds to 0, surge 0", is(api.FromInt(0)), is(api.FromString("10%")), 5, 0, 1},
		{"absolute", is(api.FromInt(2)), is(api.FromInt(3)), 10, 2, 3},
		{"25%/0 of 10000", is(api.FromString("25%")), is(api.FromInt(0)), 10000, 2500, 0},
		{"33% of 10", is(api.FromString("33%")), is(api.FromString("33%")), 10, 4, 3},
		{"100% surge", is(api.FromString("100%")), is(api.FromInt(0)), 7, 7, 0},
		{"zero replicas", nil, nil, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, u, err := deployment.ResolveFenceposts(tt.surge, tt.unavail, tt.replicas)
			if err != nil {
				t.Fatal(err)
			}
			if s != tt.wantSurge || u != tt.wantUnavailable {
				t.Fatalf("got surge %d unavailable %d, want %d %d", s, u, tt.wantSurge, tt.wantUnavailable)
			}
		})
	}
	if _, _, err := deployment.ResolveFenceposts(is(api.FromString("x%")), nil, 3); err == nil {
		t.Fatal("bad percentage accepted")
	}
}

func TestRolloutSteps(t *testing.T) {
	tests := []struct {
		name                          string
		replicas, surge, total, newRS int32
		want                          int32
	}{
		{"room for the whole surge", 10, 3, 10, 0, 3},
		{"at the cap", 10, 3, 13, 3, 0},
		{"do not overshoot replicas", 10, 3, 10, 9, 1},
		{"done", 10, 3, 10, 10, 0},
		{"existing pods above spec count", 10, 3, 12, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deployment.NewScaleUp(tt.replicas, tt.surge, tt.total, tt.newRS); got != tt.want {
				t.Fatalf("NewScaleUp = %d, want %d", got, tt.want)
			}
		})
	}
	for _, tt := range []struct{ replicas, unavailable, available, want int32 }{
		{10, 0, 13, 3}, {10, 2, 10, 2}, {10, 2, 7, 0}, {10, 0, 10, 0},
	} {
		if got := deployment.OldScaleDown(tt.replicas, tt.unavailable, tt.available); got != tt.want {
			t.Errorf("OldScaleDown(%d,%d,%d) = %d, want %d", tt.replicas, tt.unavailable, tt.available, got, tt.want)
		}
	}
}
