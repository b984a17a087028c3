package sim

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sampleStats draws n samples of d and returns their mean and median in
// nanoseconds, failing the test on a negative sample.
func sampleStats(t *testing.T, d Dist, seed uint64, n int) (mean, median float64) {
	t.Helper()
	c := NewPCG(seed)
	xs := make([]float64, n)
	var sum float64
	for i := range xs {
		v := d.Sample(c, "x")
		if v < 0 {
			t.Fatalf("%v sampled a negative duration %v", d, v)
		}
		xs[i] = float64(v)
		sum += xs[i]
	}
	slices.Sort(xs)
	return sum / float64(n), xs[n/2]
}

func TestDistSampleMeans(t *testing.T) {
	const n = 200_000
	for _, tc := range []struct {
		d   Dist
		tol float64 // relative tolerance on the mean
	}{
		{Const(0), 0},
		{Const(150 * time.Millisecond), 0},
		{Dist{Kind: Uniform, A: 50 * time.Millisecond, B: 200 * time.Millisecond}, 0.01},
		{Dist{Kind: Uniform, A: 0, B: 10}, 0.01},
		{Dist{Kind: Uniform, A: time.Second, B: time.Second}, 0},
		{Dist{Kind: Exponential, A: 100 * time.Millisecond}, 0.02},
		{Dist{Kind: Exponential, A: time.Microsecond}, 0.02},
		{Dist{Kind: LogNormal, A: 100 * time.Millisecond, Sigma: 0.5}, 0.02},
		{Dist{Kind: LogNormal, A: 10 * time.Millisecond, Sigma: 0.1}, 0.01},
		{Dist{Kind: LogNormal, A: 10 * time.Millisecond, Sigma: 0}, 0},
	} {
		t.Run(tc.d.String(), func(t *testing.T) {
			mean, _ := sampleStats(t, tc.d, 17, n)
			want := float64(tc.d.Mean())
			require.InDelta(t, want, mean, tc.tol*want+1e-9)
		})
	}
}

func TestDistMean(t *testing.T) {
	require.Equal(t, 5*time.Millisecond, Const(5*time.Millisecond).Mean())
	require.Equal(t, 150*time.Millisecond, Dist{Kind: Uniform, A: 100 * time.Millisecond, B: 200 * time.Millisecond}.Mean())
	require.Equal(t, 7*time.Second, Dist{Kind: Exponential, A: 7 * time.Second}.Mean())
	ln := Dist{Kind: LogNormal, A: 100 * time.Millisecond, Sigma: 0.5}
	require.InDelta(t, 100e6*math.Exp(0.125), float64(ln.Mean()), 1)
	// A huge log-normal mean is clamped rather than overflowing.
	huge := Dist{Kind: LogNormal, A: time.Hour, Sigma: 10}
	require.Equal(t, time.Duration(math.MaxInt64/2), huge.Mean())
}

func TestLogNormalMedian(t *testing.T) {
	for _, sigma := range []float64{0.1, 0.5, 1, 2} {
		d := Dist{Kind: LogNormal, A: 100 * time.Millisecond, Sigma: sigma}
		_, median := sampleStats(t, d, 23, 100_001)
		// The sample median of n draws has relative error ~ 1.25*sigma/sqrt(n).
		require.InEpsilon(t, 100e6, median, 0.02*sigma+0.001, "sigma=%v", sigma)
		// Fixed draws the distribution's median exactly.
		require.Equal(t, 100*time.Millisecond, d.Sample(Fixed{}, "x"))
	}
}

func TestExponentialMedian(t *testing.T) {
	d := Dist{Kind: Exponential, A: 100 * time.Millisecond}
	_, median := sampleStats(t, d, 29, 100_001)
	require.InEpsilon(t, 100e6*math.Ln2, median, 0.02)
}

func TestUniformBounds(t *testing.T) {
	d := Dist{Kind: Uniform, A: 3, B: 6}
	c := NewPCG(31)
	seen := map[time.Duration]int{}
	for range 10_000 {
		seen[d.Sample(c, "u")]++
	}
	require.Len(t, seen, 4, "both bounds are inclusive")
	for v := range seen {
		require.True(t, v >= 3 && v <= 6, "%v", v)
	}
}

func TestDistExtremeDrawsAreNonNegativeAndFinite(t *testing.T) {
	us := []float64{0, 1e-300, 1e-9, 0.5, 1 - 1e-9, math.Nextafter(1, 0)}
	for _, d := range []Dist{
		{Kind: Exponential, A: 0},
		{Kind: Exponential, A: time.Millisecond},
		{Kind: Exponential, A: math.MaxInt64},
		{Kind: LogNormal, A: 0, Sigma: 3},
		{Kind: LogNormal, A: time.Millisecond, Sigma: 0},
		{Kind: LogNormal, A: time.Millisecond, Sigma: 10},
		{Kind: LogNormal, A: math.MaxInt64, Sigma: 10},
		{Kind: Uniform, A: 0, B: math.MaxInt64},
	} {
		prev := time.Duration(-1)
		for _, u := range us {
			v := d.Sample(&script{floats: []float64{u}, ints: []int{0}}, "x")
			require.GreaterOrEqual(t, v, time.Duration(0), "%v at u=%v", d, u)
			require.LessOrEqual(t, v, time.Duration(math.MaxInt64), "%v at u=%v", d, u)
			if d.Kind != Uniform {
				require.GreaterOrEqual(t, v, prev, "%v is not monotone in u", d)
			}
			prev = v
		}
	}
	// Exponential at u=0 is 0; the clamp caps overflowing draws.
	require.Zero(t, Dist{Kind: Exponential, A: time.Second}.Sample(&script{floats: []float64{0}}, "x"))
	require.Equal(t, time.Duration(math.MaxInt64/2),
		Dist{Kind: LogNormal, A: time.Hour, Sigma: 10}.Sample(&script{floats: []float64{math.Nextafter(1, 0)}}, "x"))
}

func TestDistOneDrawPerSample(t *testing.T) {
	for _, tc := range []struct {
		d     Dist
		draws int
	}{
		{Const(time.Second), 0},
		{Dist{Kind: Uniform, A: 1, B: 1}, 0},
		{Dist{Kind: Uniform, A: 1, B: 9}, 1},
		{Dist{Kind: Exponential, A: 1}, 1},
		{Dist{Kind: LogNormal, A: 1, Sigma: 1}, 1},
	} {
		cc := &counting{Chooser: NewPCG(1)}
		tc.d.Sample(cc, "x")
		require.Equal(t, tc.draws, cc.n, "%v", tc.d)
	}
}

func TestDistUnknownKindPanics(t *testing.T) {
	require.PanicsWithValue(t, "sim: unknown distribution kind 9", func() {
		Dist{Kind: 9}.Sample(Fixed{}, "x")
	})
}

func TestDistIsZero(t *testing.T) {
	require.True(t, Dist{}.IsZero())
	require.True(t, Const(0).IsZero())
	require.False(t, Const(1).IsZero())
	require.False(t, Dist{Kind: Exponential}.IsZero(), "only the constant family is zero by definition")
}

func TestNormalQuantile(t *testing.T) {
	for _, tc := range []struct{ p, z float64 }{
		{0.5, 0},
		{0.975, 1.959963984540054},
		{0.841344746068543, 1},
		{0.99, 2.326347874040841},
		{0.01, -2.326347874040841},
		{0.001, -3.090232306167814},
		{1e-6, -4.753424308822899},
	} {
		require.InDelta(t, tc.z, normalQuantile(tc.p), 1e-8, "p=%v", tc.p)
		require.InDelta(t, -tc.z, normalQuantile(1-tc.p), 1e-8, "symmetry at p=%v", tc.p)
	}
	require.Equal(t, -8.5, normalQuantile(0))
	require.Equal(t, 8.5, normalQuantile(1))
	prev := math.Inf(-1)
	for p := 1e-6; p < 1; p += 1e-3 {
		z := normalQuantile(p)
		require.Greater(t, z, prev, "not increasing at p=%v", p)
		prev = z
	}
}

func TestParseDist(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Dist
	}{
		{"200ms", Const(200 * time.Millisecond)},
		{"  200ms\t", Const(200 * time.Millisecond)},
		{"0", Const(0)},
		{"0s", Const(0)},
		{"1.5s", Const(1500 * time.Millisecond)},
		{"1h2m3s", Const(time.Hour + 2*time.Minute + 3*time.Second)},
		{"250us", Const(250 * time.Microsecond)},
		{"const(5ms)", Const(5 * time.Millisecond)},
		{"constant(5ms)", Const(5 * time.Millisecond)},
		{"uniform(50ms,200ms)", Dist{Kind: Uniform, A: 50 * time.Millisecond, B: 200 * time.Millisecond}},
		{"uniform( 50ms , 200ms )", Dist{Kind: Uniform, A: 50 * time.Millisecond, B: 200 * time.Millisecond}},
		{"uniform(1ms,1ms)", Dist{Kind: Uniform, A: time.Millisecond, B: time.Millisecond}},
		{"exp(100ms)", Dist{Kind: Exponential, A: 100 * time.Millisecond}},
		{"exponential(100ms)", Dist{Kind: Exponential, A: 100 * time.Millisecond}},
		{"exp(0s)", Dist{Kind: Exponential}},
		{"lognormal(100ms,0.5)", Dist{Kind: LogNormal, A: 100 * time.Millisecond, Sigma: 0.5}},
		{"lognormal(100ms, 0)", Dist{Kind: LogNormal, A: 100 * time.Millisecond}},
		{"lognormal(1s,10)", Dist{Kind: LogNormal, A: time.Second, Sigma: 10}},
		{"lognormal(1s,1e-3)", Dist{Kind: LogNormal, A: time.Second, Sigma: 0.001}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDist(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			again, err := ParseDist(got.String())
			require.NoError(t, err, "String() = %q", got.String())
			require.Equal(t, got, again)
		})
	}
}

func TestDistString(t *testing.T) {
	for _, tc := range []struct {
		d    Dist
		want string
	}{
		{Const(200 * time.Millisecond), "200ms"},
		{Const(0), "0s"},
		{Const(90 * time.Second), "1m30s"},
		{Dist{Kind: Uniform, A: 50 * time.Millisecond, B: 200 * time.Millisecond}, "uniform(50ms,200ms)"},
		{Dist{Kind: Exponential, A: 100 * time.Millisecond}, "exp(100ms)"},
		{Dist{Kind: LogNormal, A: 100 * time.Millisecond, Sigma: 0.5}, "lognormal(100ms,0.5)"},
		{Dist{Kind: LogNormal, A: time.Second, Sigma: 1.0 / 3}, "lognormal(1s,0.3333333333333333)"},
		{Dist{Kind: LogNormal, A: time.Second, Sigma: 1e-7}, "lognormal(1s,1e-07)"},
	} {
		require.Equal(t, tc.want, tc.d.String())
		back, err := ParseDist(tc.want)
		require.NoError(t, err)
		require.Equal(t, tc.d, back)
	}
}

func TestParseDistErrors(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"", `bad duration ""`},
		{"abc", `bad duration "abc"`},
		{"200", `bad duration "200"`},
		{"-5ms", `duration "-5ms" must not be negative`},
		{"3000000h", `duration "3000000h" exceeds the maximum of a duration`},
		{"uniform(1ms,9223372036854775808ns)", `duration "9223372036854775808ns" exceeds the maximum`},
		{"exp(1.5e3h)", `bad duration "1.5e3h"`},
		{"uniform(200ms,50ms)", `upper bound 50ms is below lower bound 200ms`},
		{"uniform(1ms)", `uniform takes 2 argument(s), got 1`},
		{"uniform(1ms,2ms,3ms)", `uniform takes 2 argument(s), got 3`},
		{"uniform(1ms,2ms", `missing closing parenthesis`},
		{"uniform(-1ms,2ms)", `duration "-1ms" must not be negative`},
		{"uniform(1ms,x)", `bad duration "x"`},
		{"exp()", `bad duration ""`},
		{"exp(1ms,2ms)", `exp takes 1 argument(s), got 2`},
		{"exp(-1ms)", `duration "-1ms" must not be negative`},
		{"exp(1ms))", `bad duration "1ms)"`},
		{"const(1ms,2ms)", `const takes 1 argument(s), got 2`},
		{"lognormal(1ms)", `lognormal takes 2 argument(s), got 1`},
		{"lognormal(1ms,-1)", `sigma "-1" must be a number between 0 and 10`},
		{"lognormal(1ms,11)", `sigma "11" must be a number between 0 and 10`},
		{"lognormal(1ms,NaN)", `sigma "NaN" must be a number between 0 and 10`},
		{"lognormal(1ms,inf)", `sigma "inf" must be a number between 0 and 10`},
		{"lognormal(1ms,abc)", `sigma "abc" must be a number between 0 and 10`},
		{"lognormal(-1ms,1)", `duration "-1ms" must not be negative`},
		{"gamma(1ms)", `unknown family "gamma"`},
		{"(1ms)", `unknown family ""`},
		{"Uniform(1ms,2ms)", `unknown family "Uniform"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseDist(tc.in)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.err)
		})
	}
}

// TestParseDurationTooLong checks that ParseDuration tells a duration too
// long for a time.Duration from a malformed one: it catches a durationSyntax
// that accepts everything ("bad duration" would read "exceeds the maximum")
// or nothing (the reverse).
func TestParseDurationTooLong(t *testing.T) {
	for _, s := range []string{"3000000h", "2562048h", "9223372036854775808ns", "99999999999999999999s", "1h2562047h", ".5h9999999999m", "-3000000h"} {
		_, err := ParseDuration(s)
		require.ErrorIs(t, err, ErrDurationTooLong, s)
	}
	for _, s := range []string{"", "h", ".h", "1", "1x", "1e3h", "1h 2m", "--1h", "1.2.3s", "0x10s", "inf"} {
		_, err := ParseDuration(s)
		require.Error(t, err, s)
		require.NotErrorIs(t, err, ErrDurationTooLong, s)
	}
	for s, want := range map[string]time.Duration{"0": 0, "2562047h": 2562047 * time.Hour, "1.5µs": 1500, "-2m": -2 * time.Minute} {
		got, err := ParseDuration(s)
		require.NoError(t, err, s)
		require.Equal(t, want, got, s)
	}
}

func FuzzParseDist(f *testing.F) {
	for _, s := range []string{
		"200ms", "0", "1h2m3.5s", "const(5ms)", "constant(1s)",
		"uniform(50ms,200ms)", "uniform( 1us , 1us )", "exp(100ms)",
		"exponential(1s)", "lognormal(100ms,0.5)", "lognormal(1s,1e-7)",
		"lognormal(1s,0x1p-2)", "uniform(200ms,50ms)", "exp(-1ms)",
		"lognormal(1ms,NaN)", "gamma(1ms)", "(", ")", "((", "uniform(,)",
		"9223372036854775807ns", "2562047h47m16.854775807s",
		"percentiles(p50=20ms, p90=80ms, p99=300ms, max=1s)", "percentiles(min=1ms,p99.9=2ms,max=2ms)",
		"percentiles(p50=2ms,p40=1ms,max=1s)", "percentiles(max=1s,p50=1ms)", "empirical(times.txt)",
		"oneof(1ms,2ms)", "oneof( 5ms )", "oneof(1ms,,2ms)", "oneof()", "oneof(3ms,1ms,2ms)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDist(s)
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		require.GreaterOrEqual(t, d.A, time.Duration(0))
		if d.Kind == Uniform || d.Kind == Percentiles || d.Kind == OneOf {
			require.LessOrEqual(t, d.A, d.B)
		}
		again, err := ParseDist(d.String())
		require.NoError(t, err, "ParseDist(%q).String() = %q does not parse", s, d.String())
		require.Equal(t, d, again, "round trip through %q", d.String())
		require.Equal(t, d.String(), again.String())

		c := NewPCG(uint64(len(s)))
		for range 4 {
			require.GreaterOrEqual(t, d.Sample(c, "x"), time.Duration(0))
		}
	})
}
