package deployment_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/reconcile/deployment"
)

// FuzzResolveFenceposts checks the rollout bounds parsed from arbitrary
// maxSurge / maxUnavailable strings: never negative, never both zero, and
// percentages rounded as Kubernetes does.
func FuzzResolveFenceposts(f *testing.F) {
	for _, s := range [][2]string{{"25%", "25%"}, {"0", "0"}, {"10%", "0"}, {"1", "x"}, {"%", "-1%"}, {"100%", "33%"}} {
		f.Add(s[0], s[1], int32(10))
	}
	f.Fuzz(func(t *testing.T, surge, unavail string, replicas int32) {
		if replicas < 0 || replicas > 1_000_000 {
			return
		}
		parse := func(s string) api.IntOrString {
			if n, err := strconv.ParseInt(s, 10, 32); err == nil {
				return api.FromInt(int32(n))
			}
			return api.FromString(s)
		}
		ms, mu := parse(surge), parse(unavail)
		s, u, err := deployment.ResolveFenceposts(&ms, &mu, replicas)
		if err != nil {
			return
		}
		if s < 0 || u < 0 || (s == 0 && u == 0) {
			t.Fatalf("ResolveFenceposts(%q, %q, %d) = %d, %d", surge, unavail, replicas, s, u)
		}
		if p, ok := strings.CutSuffix(surge, "%"); ok {
			if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 1000 {
				if want := int32(math.Ceil(float64(n) * float64(replicas) / 100)); s != want {
					t.Fatalf("surge %s of %d = %d, want %d (rounded up)", surge, replicas, s, want)
				}
			}
		}
		if p, ok := strings.CutSuffix(unavail, "%"); ok && s > 0 {
			if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 1000 {
				if want := int32(math.Floor(float64(n) * float64(replicas) / 100)); u != want {
					t.Fatalf("unavailable %s of %d = %d, want %d (rounded down)", unavail, replicas, u, want)
				}
			}
		}
	})
}
