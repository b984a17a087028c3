package sim

import (
	"errors"
	"fmt"
	"math"
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
)

// Dist is a distribution of durations: service times of handlers, network
// latencies. It is a plain value so that scenario files can carry it, and it
// draws only through a Chooser. Every family uses exactly one draw per sample
// (inverse-CDF sampling), so a shrinking driver sees one choice per sample.
type Dist struct {
	Kind  DistKind
	A, B  time.Duration
	Sigma float64
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
	}
	return d.A
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
	}
	return d.A.String()
}

// ParseDist parses a distribution written as one of:
//
//	200ms                  constant
//	uniform(50ms,200ms)    uniform between the bounds, inclusive
//	exp(100ms)             exponential with the given mean
//	lognormal(100ms,0.5)   log-normal with the given median and shape sigma
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
	return Dist{}, fmt.Errorf("distribution %q: unknown family %q (want a duration, uniform(lo,hi), exp(mean) or lognormal(median,sigma))", s, name)
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
