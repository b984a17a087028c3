package sim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DistKind names a family of duration distributions.
type DistKind uint8

// The supported distribution families.
const (
	Constant    DistKind = iota // always A
	Uniform                     // uniform on [A, B]
	Exponential                 // exponential with mean A
	LogNormal                   // log-normal with median A and shape Sigma
	Empirical                   // a recorded value of Table, each equally likely; A, B its least and greatest
	Percentiles                 // piecewise-linear quantile function through Table's points; A, B its min and max
	OneOf                       // one of Table's values as written, each equally likely, drawn by IntN; A, B its least and greatest
)

// Dist is a distribution of durations: service times of handlers, network
// latencies. It is a plain value so that scenario files can carry it, and it
// draws only through a Chooser. Every family uses exactly one draw per sample
// (inverse-CDF sampling), so a shrinking driver sees one choice per sample.
type Dist struct {
	Kind  DistKind
	A, B  time.Duration
	Sigma float64
	// Table holds the measured values of Empirical and Percentiles; nil for
	// the other families. It is shared and never modified after parsing,
	// so a Dist stays a comparable value that is cheap to copy.
	Table *Table
}

// Table is the measured shape of an Empirical or Percentiles distribution:
// its quantile function at points P (ascending, from 0 to 1) with values V
// (non-decreasing). An Empirical table has one point per recorded value,
// sorted, and no interpolation between them.
type Table struct {
	Source string // the text it was parsed from, for String: "empirical(times.txt)"
	P      []float64
	V      []time.Duration
}

// Const returns the distribution that is always d.
func Const(d time.Duration) Dist { return Dist{Kind: Constant, A: d} }

// Sample draws one duration. Results are never negative.
func (d Dist) Sample(c Chooser, label string) time.Duration {
	switch d.Kind {
	case Constant:
		return d.A
	case Uniform:
		return DurationIn(c, label, d.A, d.B)
	case Exponential:
		u := c.Float64(label)
		return clampDuration(-float64(d.A) * math.Log1p(-u))
	case LogNormal:
		u := c.Float64(label)
		z := normalQuantile(u)
		return clampDuration(float64(d.A) * math.Exp(d.Sigma*z))
	case Empirical:
		// Recorded values are sorted, so a shrinking driver that pulls
		// the draw towards 0 gets the fastest recorded value.
		v := d.Table.V
		return v[min(int(c.Float64(label)*float64(len(v))), len(v)-1)]
	case Percentiles:
		return d.Table.quantile(c.Float64(label))
	case OneOf:
		// One IntN over the values, so that an enumerating driver
		// (Enum) visits each and a shrinking one pulls towards the first.
		return d.Table.V[c.IntN(label, len(d.Table.V))]
	}
	panic(fmt.Sprintf("sim: unknown distribution kind %d", d.Kind))
}

// Mean returns the distribution's expected value.
func (d Dist) Mean() time.Duration {
	switch d.Kind {
	case Uniform:
		return (d.A + d.B) / 2
	case LogNormal:
		return clampDuration(float64(d.A) * math.Exp(d.Sigma*d.Sigma/2))
	case Empirical, OneOf:
		var sum float64
		for _, v := range d.Table.V {
			sum += float64(v)
		}
		return clampDuration(sum / float64(len(d.Table.V)))
	case Percentiles:
		// The mean of a piecewise-linear quantile function is the area
		// under it: a trapezoid per segment.
		t := d.Table
		var sum float64
		for i := 1; i < len(t.P); i++ {
			sum += (t.P[i] - t.P[i-1]) * (float64(t.V[i-1]) + float64(t.V[i])) / 2
		}
		return clampDuration(sum)
	}
	return d.A
}

// quantile returns the value of t's piecewise-linear quantile function at
// u in [0, 1).
func (t *Table) quantile(u float64) time.Duration {
	i, _ := slices.BinarySearch(t.P, u) // t.P[i-1] < u <= t.P[i]
	switch {
	case i == 0:
		return t.V[0]
	case i >= len(t.P):
		return t.V[len(t.V)-1]
	}
	lo, hi := t.V[i-1], t.V[i]
	f := (u - t.P[i-1]) / (t.P[i] - t.P[i-1])
	return lo + min(time.Duration(f*float64(hi-lo)), hi-lo)
}

// IsZero reports whether d always yields 0.
func (d Dist) IsZero() bool {
	return d.Kind == Constant && d.A == 0
}

// String renders d in the syntax ParseDist accepts.
func (d Dist) String() string {
	switch d.Kind {
	case Uniform:
		return fmt.Sprintf("uniform(%v,%v)", d.A, d.B)
	case Exponential:
		return fmt.Sprintf("exp(%v)", d.A)
	case LogNormal:
		return fmt.Sprintf("lognormal(%v,%s)", d.A, strconv.FormatFloat(d.Sigma, 'g', -1, 64))
	case Empirical, Percentiles:
		return d.Table.Source
	case OneOf:
		vs := make([]string, len(d.Table.V))
		for i, v := range d.Table.V {
			vs[i] = v.String()
		}
		return "oneof(" + strings.Join(vs, ",") + ")"
	}
	return d.A.String()
}

// ParseDist parses a distribution written as one of:
//
//	200ms                  constant
//	uniform(50ms,200ms)    uniform between the bounds, inclusive
//	exp(100ms)             exponential with the given mean
//	lognormal(100ms,0.5)   log-normal with the given median and shape sigma
//	percentiles(p50=20ms,p90=80ms,p99=300ms,max=1s)
//	                       measured percentiles; see ParsePercentiles
//	oneof(10ms,50ms,200ms) one of the listed values, each equally likely: a
//	                       finite domain, which exhaustive exploration
//	                       (Enum) visits value by value, first listed first
//
// empirical(FILE), a distribution of recorded values, reads a file, which
// ParseDist does not do: the scenario decoder reads it and calls
// NewEmpirical. ParseDist refuses it with an error wrapping ErrNeedsFile.
//
// Durations use Go's syntax (time.ParseDuration) and must not be negative.
func ParseDist(s string) (Dist, error) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 {
		v, err := parseNonNegDuration(s)
		if err != nil {
			return Dist{}, err
		}
		return Const(v), nil
	}
	if !strings.HasSuffix(s, ")") {
		return Dist{}, fmt.Errorf("distribution %q: missing closing parenthesis", s)
	}
	name := strings.TrimSpace(s[:open])
	switch name {
	case "empirical":
		return Dist{}, fmt.Errorf("distribution %q: %w", s, ErrNeedsFile)
	case "percentiles":
		return parsePercentiles(s, s[open+1:len(s)-1])
	case "oneof":
		return parseOneOf(s, s[open+1:len(s)-1])
	}
	args := strings.Split(s[open+1:len(s)-1], ",")
	for i := range args {
		args[i] = strings.TrimSpace(args[i])
	}
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("distribution %q: %s takes %d argument(s), got %d", s, name, n, len(args))
		}
		return nil
	}
	switch name {
	case "const", "constant":
		if err := want(1); err != nil {
			return Dist{}, err
		}
		v, err := parseNonNegDuration(args[0])
		return Const(v), err
	case "uniform":
		if err := want(2); err != nil {
			return Dist{}, err
		}
		lo, err := parseNonNegDuration(args[0])
		if err != nil {
			return Dist{}, err
		}
		hi, err := parseNonNegDuration(args[1])
		if err != nil {
			return Dist{}, err
		}
		if hi < lo {
			return Dist{}, fmt.Errorf("distribution %q: upper bound %v is below lower bound %v", s, hi, lo)
		}
		return Dist{Kind: Uniform, A: lo, B: hi}, nil
	case "exp", "exponential":
		if err := want(1); err != nil {
			return Dist{}, err
		}
		m, err := parseNonNegDuration(args[0])
		return Dist{Kind: Exponential, A: m}, err
	case "lognormal":
		if err := want(2); err != nil {
			return Dist{}, err
		}
		med, err := parseNonNegDuration(args[0])
		if err != nil {
			return Dist{}, err
		}
		sigma, err := strconv.ParseFloat(args[1], 64)
		if err != nil || sigma < 0 || math.IsNaN(sigma) || math.IsInf(sigma, 0) || sigma > 10 {
			return Dist{}, fmt.Errorf("distribution %q: sigma %q must be a number between 0 and 10", s, args[1])
		}
		return Dist{Kind: LogNormal, A: med, Sigma: sigma}, nil
	}
	return Dist{}, fmt.Errorf("distribution %q: unknown family %q (want a duration, uniform(lo,hi), exp(mean), lognormal(median,sigma), percentiles(p50=...,max=...), oneof(d1,d2,...) or empirical(file))", s, name)
}

// ErrNeedsFile is returned, wrapped, by ParseDist for empirical(FILE): only
// a reader of scenario files, which knows where FILE is, can build it.
var ErrNeedsFile = errors.New("empirical(FILE) reads a file of durations, so it is only accepted in a scenario or sweep file")

// MaxTablePoints is the most values an empirical file or percentiles list
// may hold: enough for any measured sample, small enough that a Table never
// costs more than a few megabytes.
const MaxTablePoints = 1 << 18

// NewEmpirical returns the distribution that draws each of values with equal
// probability. source is how String renders it, e.g. "empirical(times.txt)".
// values must be non-empty and non-negative; they are copied and sorted.
func NewEmpirical(source string, values []time.Duration) (Dist, error) {
	switch {
	case len(values) == 0:
		return Dist{}, fmt.Errorf("distribution %q: no durations: want at least one", source)
	case len(values) > MaxTablePoints:
		return Dist{}, fmt.Errorf("distribution %q: %d durations, more than the %d allowed", source, len(values), MaxTablePoints)
	}
	v := slices.Clone(values)
	slices.Sort(v)
	if v[0] < 0 {
		return Dist{}, fmt.Errorf("distribution %q: duration %v must not be negative", source, v[0])
	}
	return Dist{Kind: Empirical, A: v[0], B: v[len(v)-1], Table: &Table{Source: source, V: v}}, nil
}

// parsePercentiles parses the arguments of percentiles(...), s being the
// whole text: comma-separated KEY=DURATION pairs, KEY being pQ for a
// percentile Q strictly between 0 and 100 (p50, p99.9), min (the 0th
// percentile, 0 if left out) or max (the 100th, required, since the
// distribution must be bounded). Percentiles must ascend and their values
// must not decrease. Between the given points the quantile function is
// linear, so a draw between p90=80ms and p99=300ms is uniform on that span
// with probability 9%.
func parsePercentiles(s, args string) (Dist, error) {
	t := &Table{Source: s, P: []float64{0}, V: []time.Duration{0}}
	haveMin, haveMax := false, false
	for _, arg := range strings.Split(args, ",") {
		arg = strings.TrimSpace(arg)
		key, val, ok := strings.Cut(arg, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok {
			return Dist{}, fmt.Errorf("distribution %q: argument %q: want KEY=DURATION such as p50=20ms, min=1ms or max=1s", s, arg)
		}
		if haveMax {
			return Dist{}, fmt.Errorf("distribution %q: %q comes after max: max must be last", s, arg)
		}
		v, err := parseNonNegDuration(val)
		if err != nil {
			return Dist{}, fmt.Errorf("distribution %q: %s: %w", s, key, err)
		}
		var p float64
		switch {
		case key == "min":
			if len(t.P) > 1 || haveMin {
				return Dist{}, fmt.Errorf("distribution %q: min must come first, once", s)
			}
			t.V[0], haveMin = v, true
			continue
		case key == "max":
			p, haveMax = 1, true
		case strings.HasPrefix(key, "p"):
			q, err := strconv.ParseFloat(key[1:], 64)
			if err != nil || !(q > 0 && q < 100) {
				return Dist{}, fmt.Errorf("distribution %q: key %q: want pQ with Q a percentile strictly between 0 and 100 (p50, p99.9), min or max", s, key)
			}
			p = q / 100
		default:
			return Dist{}, fmt.Errorf("distribution %q: key %q: want pQ (p50, p99.9), min or max", s, key)
		}
		last := len(t.P) - 1
		if p <= t.P[last] {
			return Dist{}, fmt.Errorf("distribution %q: %s is not above the percentile before it: list percentiles in ascending order", s, key)
		}
		if v < t.V[last] {
			return Dist{}, fmt.Errorf("distribution %q: %s=%v is below %v, the value before it: a quantile function never decreases", s, key, v, t.V[last])
		}
		t.P, t.V = append(t.P, p), append(t.V, v)
		if len(t.P) > MaxTablePoints {
			return Dist{}, fmt.Errorf("distribution %q: more than %d points", s, MaxTablePoints)
		}
	}
	if !haveMax {
		return Dist{}, fmt.Errorf("distribution %q: missing max=DURATION: the greatest value, needed to bound the last segment", s)
	}
	return Dist{Kind: Percentiles, A: t.V[0], B: t.V[len(t.V)-1], Table: t}, nil
}

// parseOneOf parses the arguments of oneof(...), s being the whole text:
// one or more comma-separated durations, kept in the order written, so that
// the first is the one a zero draw takes.
func parseOneOf(s, args string) (Dist, error) {
	parts := strings.Split(args, ",")
	if len(parts) > MaxTablePoints {
		return Dist{}, fmt.Errorf("distribution %q: %d values, more than the %d allowed", s, len(parts), MaxTablePoints)
	}
	t := &Table{V: make([]time.Duration, len(parts))} // String renders it from V
	for i, p := range parts {
		v, err := parseNonNegDuration(strings.TrimSpace(p))
		if err != nil {
			return Dist{}, fmt.Errorf("distribution %q: value %d: %w (want oneof(d1,d2,...) with at least one duration)", s, i+1, err)
		}
		t.V[i] = v
	}
	return Dist{Kind: OneOf, A: slices.Min(t.V), B: slices.Max(t.V), Table: t}, nil
}

// ErrDurationTooLong is returned, wrapped, for a well-formed duration longer
// than a time.Duration can hold (about 292 years, 2562047h47m16s).
var ErrDurationTooLong = errors.New("exceeds the maximum of a duration, 2562047h47m16.854775807s")

// ParseDuration is time.ParseDuration, except that a well-formed duration
// too long to represent is an error wrapping ErrDurationTooLong rather than
// an "invalid duration": "3000000h" is not a typo but a value out of range,
// and the message should say so.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil && durationSyntax(s) {
		return 0, fmt.Errorf("duration %q %w", s, ErrDurationTooLong)
	}
	return d, err
}

// durationUnits are the units time.ParseDuration knows.
var durationUnits = []string{"ns", "us", "µs", "μs", "ms", "s", "m", "h"}

// durationSyntax reports whether s has the form time.ParseDuration accepts,
// [-+]?([0-9]*(\.[0-9]*)?unit)+ or a bare 0, whatever its magnitude. A
// string of that form that time.ParseDuration refuses overflows.
func durationSyntax(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "0" {
		return true
	}
	if s == "" {
		return false
	}
	for s != "" {
		digits := 0
		for s != "" && (s[0] >= '0' && s[0] <= '9') {
			s, digits = s[1:], digits+1
		}
		if s != "" && s[0] == '.' {
			s = s[1:]
			for s != "" && (s[0] >= '0' && s[0] <= '9') {
				s, digits = s[1:], digits+1
			}
		}
		if digits == 0 {
			return false
		}
		unit := ""
		for _, u := range durationUnits {
			if strings.HasPrefix(s, u) && len(u) > len(unit) {
				unit = u
			}
		}
		if unit == "" {
			return false
		}
		s = s[len(unit):]
	}
	return true
}

func parseNonNegDuration(s string) (time.Duration, error) {
	d, err := ParseDuration(s)
	if errors.Is(err, ErrDurationTooLong) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. 250ms, 1.5s)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return d, nil
}

func clampDuration(f float64) time.Duration {
	if math.IsNaN(f) || f < 0 {
		return 0
	}
	if f > float64(math.MaxInt64/2) {
		return time.Duration(math.MaxInt64 / 2)
	}
	return time.Duration(f)
}

// normalQuantile returns the inverse CDF of the standard normal distribution
// at p, using Acklam's rational approximation (relative error < 1.2e-9).
func normalQuantile(p float64) float64 {
	if p <= 0 {
		return -8.5
	}
	if p >= 1 {
		return 8.5
	}
	a := [...]float64{-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00}
	b := [...]float64{-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01}
	c := [...]float64{-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00}
	d := [...]float64{7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00}
	const pLow = 0.02425
	switch {
	case p < pLow:
		q := math.Sqrt(-2 * math.Log(p))
		return (((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q + c[5]) / ((((d[0]*q+d[1])*q+d[2])*q+d[3])*q + 1)
	case p <= 1-pLow:
		q := p - 0.5
		r := q * q
		return (((((a[0]*r+a[1])*r+a[2])*r+a[3])*r+a[4])*r + a[5]) * q / (((((b[0]*r+b[1])*r+b[2])*r+b[3])*r+b[4])*r + 1)
	default:
		q := math.Sqrt(-2 * math.Log(1-p))
		return -(((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q + c[5]) / ((((d[0]*q+d[1])*q+d[2])*q+d[3])*q + 1)
	}
}
