package sim

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustPercentiles(t *testing.T, s string) Dist {
	t.Helper()
	d, err := ParseDist(s)
	require.NoError(t, err)
	return d
}

// samples returns n sorted samples of d from seed.
func samples(d Dist, seed uint64, n int) []time.Duration {
	c := NewPCG(seed)
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d.Sample(c, "x")
	}
	slices.Sort(out)
	return out
}

// TestPercentilesQuantilesMatched checks that the empirical quantiles of
// many draws land on the given percentiles. It catches a quantile function
// that interpolates in the wrong segment (an off-by-one in the binary
// search) or ignores min.
func TestPercentilesQuantilesMatched(t *testing.T) {
	const n = 200_000
	for _, tc := range []struct {
		s       string
		points  map[float64]time.Duration
		meanTol float64 // relative; the p99.9 tail makes the last mean noisy
	}{
		{"percentiles(p50=20ms, p90=80ms, p99=300ms, max=1s)",
			map[float64]time.Duration{0.25: 10 * time.Millisecond, 0.5: 20 * time.Millisecond, 0.7: 50 * time.Millisecond, 0.9: 80 * time.Millisecond, 0.99: 300 * time.Millisecond}, 0.02},
		{"percentiles(min=5ms,p50=10ms,max=15ms)",
			map[float64]time.Duration{0.1: 6 * time.Millisecond, 0.5: 10 * time.Millisecond, 0.75: 12500 * time.Microsecond}, 0.01},
		{"percentiles(p99.9=1ms,max=1s)",
			map[float64]time.Duration{0.5: 500500 * time.Nanosecond, 0.999: time.Millisecond}, 0.15},
	} {
		t.Run(tc.s, func(t *testing.T) {
			d := mustPercentiles(t, tc.s)
			xs := samples(d, 3, n)
			require.GreaterOrEqual(t, xs[0], d.A)
			require.LessOrEqual(t, xs[n-1], d.B)
			// Compare in quantile space: the share of draws at most
			// the percentile's value is the percentile, within 0.5%
			// (the standard error is at most 0.11%).
			for q, v := range tc.points {
				share := float64(sort.Search(n, func(i int) bool { return xs[i] > v })) / n
				require.InDelta(t, q, share, 0.005, "quantile %v (value %v)", q, v)
			}
			mean := 0.0
			for _, x := range xs {
				mean += float64(x) / n
			}
			require.InDelta(t, float64(d.Mean()), mean, tc.meanTol*float64(d.Mean()))
		})
	}
}

// TestPercentilesEdges pins the quantile function at its ends and at a
// given point: u=0 is min, a draw just below 1 stays within max, and u at a
// given percentile is its value. It catches interpolation that overshoots
// the segment's upper value.
func TestPercentilesEdges(t *testing.T) {
	d := mustPercentiles(t, "percentiles(min=1ms,p50=2ms,max=3ms)")
	require.Equal(t, time.Millisecond, d.Sample(&script{floats: []float64{0}}, "x"))
	require.Equal(t, 2*time.Millisecond, d.Sample(&script{floats: []float64{0.5}}, "x"))
	require.LessOrEqual(t, d.Sample(&script{floats: []float64{0.9999999999999999}}, "x"), 3*time.Millisecond)
	require.Equal(t, time.Millisecond, d.A)
	require.Equal(t, 3*time.Millisecond, d.B)
	require.Equal(t, "percentiles(min=1ms,p50=2ms,max=3ms)", d.String())
	require.Equal(t, 2*time.Millisecond, d.Mean())
}

// TestEmpiricalDraws checks that every recorded value is drawn about
// equally often and nothing else is drawn: it catches an index off by one
// (the last value never drawn, or out of range at u near 1).
func TestEmpiricalDraws(t *testing.T) {
	d, err := NewEmpirical("empirical(t.txt)", []time.Duration{30, 10, 20, 10})
	require.NoError(t, err)
	require.Equal(t, "empirical(t.txt)", d.String())
	require.Equal(t, time.Duration(10), d.A)
	require.Equal(t, time.Duration(30), d.B)
	require.Equal(t, time.Duration(17), d.Mean()) // 70/4, truncated
	counts := map[time.Duration]int{}
	for _, x := range samples(d, 5, 40_000) {
		counts[x]++
	}
	require.Len(t, counts, 3)
	require.InDelta(t, 20_000, counts[10], 600)
	require.InDelta(t, 10_000, counts[20], 600)
	require.InDelta(t, 10_000, counts[30], 600)
	require.Equal(t, time.Duration(30), d.Sample(&script{floats: []float64{0.9999999999999999}}, "x"))
	require.Equal(t, time.Duration(10), d.Sample(&script{floats: []float64{0}}, "x"))
}

// TestMeasuredDeterministic: the same seed gives the same draws, one
// choice per sample.
func TestMeasuredDeterministic(t *testing.T) {
	e, err := NewEmpirical("empirical(t.txt)", []time.Duration{1, 5, 9, 200})
	require.NoError(t, err)
	for _, d := range []Dist{e, mustPercentiles(t, "percentiles(p50=20ms,max=1s)")} {
		require.Equal(t, samples(d, 11, 100), samples(d, 11, 100))
		require.NotEqual(t, samples(d, 11, 100), samples(d, 12, 100))
		cc := &counting{Chooser: NewPCG(1)}
		d.Sample(cc, "x")
		require.Equal(t, 1, cc.n, "%v", d)
	}
}

func TestNewEmpiricalErrors(t *testing.T) {
	_, err := NewEmpirical("empirical(e.txt)", nil)
	require.ErrorContains(t, err, "no durations")
	_, err = NewEmpirical("empirical(e.txt)", []time.Duration{5, -1})
	require.ErrorContains(t, err, "must not be negative")
	_, err = NewEmpirical("empirical(e.txt)", make([]time.Duration, MaxTablePoints+1))
	require.ErrorContains(t, err, "more than the 262144 allowed")
	_, err = ParseDist("empirical(e.txt)")
	require.ErrorIs(t, err, ErrNeedsFile)
}

func TestParsePercentilesErrors(t *testing.T) {
	for s, want := range map[string]string{
		"percentiles()":                       `argument "": want KEY=DURATION`,
		"percentiles(p50=1ms)":                "missing max=DURATION",
		"percentiles(p50=2ms,p40=3ms,max=1s)": "p40 is not above the percentile before it",
		"percentiles(p50=1ms,p50=2ms,max=1s)": "p50 is not above",
		"percentiles(p50=2ms,p90=1ms,max=1s)": "p90=1ms is below 2ms",
		"percentiles(p50=2ms,max=1ms)":        "max=1ms is below 2ms",
		"percentiles(min=3ms,p50=2ms,max=1s)": "p50=2ms is below 3ms",
		"percentiles(p50=1ms,min=0,max=1s)":   "min must come first",
		"percentiles(max=1s,p50=1ms)":         `"p50=1ms" comes after max`,
		"percentiles(p0=1ms,max=1s)":          `key "p0": want pQ with Q a percentile strictly between 0 and 100`,
		"percentiles(p100=1ms,max=1s)":        `key "p100"`,
		"percentiles(pNaN=1ms,max=1s)":        `key "pNaN"`,
		"percentiles(q50=1ms,max=1s)":         `key "q50": want pQ`,
		"percentiles(p50=-1ms,max=1s)":        `p50: duration "-1ms" must not be negative`,
		"percentiles(p50=fast,max=1s)":        `p50: bad duration "fast"`,
		"percentiles(p50,max=1s)":             `argument "p50": want KEY=DURATION`,
	} {
		_, err := ParseDist(s)
		require.ErrorContains(t, err, want, s)
	}
}
