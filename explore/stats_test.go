package explore

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWilsonPublishedValues checks the interval against the worked examples
// of Newcombe, "Two-sided confidence intervals for the single proportion:
// comparison of seven methods", Statistics in Medicine 17 (1998), table II,
// method 3 (Wilson score, no continuity correction), to four decimals.
func TestWilsonPublishedValues(t *testing.T) {
	cases := []struct {
		k, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	}
	for _, c := range cases {
		lo, hi := Wilson(c.k, c.n)
		require.InDelta(t, c.lo, lo, 5e-5, "%d/%d low", c.k, c.n)
		require.InDelta(t, c.hi, hi, 5e-5, "%d/%d high", c.k, c.n)
	}
}

func TestWilsonEdges(t *testing.T) {
	lo, hi := Wilson(0, 1000)
	require.Zero(t, lo)
	require.InDelta(t, z95*z95/(1000+z95*z95), hi, 1e-15, "k = 0: z²/(n+z²)")
	lo, hi = Wilson(1000, 1000)
	require.Equal(t, 1.0, hi)
	require.InDelta(t, 1-z95*z95/(1000+z95*z95), lo, 1e-12)
	lo, hi = Wilson(0, 0)
	require.Equal(t, [2]float64{0, 1}, [2]float64{lo, hi})
	for n := 1; n < 60; n++ {
		for k := 0; k <= n; k++ {
			lo, hi := Wilson(k, n)
			p := float64(k) / float64(n)
			require.True(t, 0 <= lo && lo <= p && p <= hi && hi <= 1, "%d/%d: [%v, %v]", k, n, lo, hi)
		}
	}
}

func TestRunsNeeded(t *testing.T) {
	require.Equal(t, 3838, RunsNeeded(1e-3))
	require.Equal(t, 38411, RunsNeeded(1e-4))
	for _, target := range []float64{0.5, 0.05, 0.002, 1e-3, 3e-4, 1e-6} {
		n := RunsNeeded(target)
		_, hi := Wilson(0, n)
		require.LessOrEqual(t, hi, target, "%v: %d runs suffice", target, n)
		_, hi = Wilson(0, n-1)
		require.Greater(t, hi, target, "%v: %d runs do not", target, n-1)
		require.InDelta(t, z95*z95*(1-target)/target, float64(n), 1, "the closed form n = z²(1-p)/p, rounded up")
	}
}

func TestQuantileIsNearestRank(t *testing.T) {
	xs := []int{5, 1, 4, 2, 3} // sorted: 1 2 3 4 5
	s := sortedCopy(xs)
	require.Equal(t, []int{5, 1, 4, 2, 3}, xs, "the input is left alone")
	require.Equal(t, 3, quantile(s, 0.5))
	require.Equal(t, 5, quantile(s, 0.99))
	require.Equal(t, 1, quantile(s, 0))
	require.Equal(t, 1, quantile(s, 0.2))
	require.Equal(t, 2, quantile(s, 0.21))
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1)
	}
	require.Equal(t, int64(99), quantile(hundred, 0.99))
	require.Equal(t, int64(50), quantile(hundred, 0.5))
	require.Equal(t, 7, quantile([]int{7}, 0.99))
}
