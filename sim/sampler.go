package sim

import "time"

// Sampler draws durations from one Dist through one Chooser under one
// label: what d.Sample(c, label) returns, draw for draw, so that a call
// site may use either. A call site that draws per message (a handler's
// service time) makes one at set-up, and the distribution's family and
// bounds are resolved then: a constant draws nothing, and a uniform
// distribution drawn from a *PCG is one direct call to the PCG, instead of
// a dispatch on the family, DurationIn's checks and an indirect call
// through the Chooser interface (about half the cost of a handler-time
// draw in the standard scenario). Every other case draws through
// d.Sample.
type Sampler struct {
	d     Dist
	c     Chooser
	label string
	// resolved says a draw is lo, plus pcg.uint64n(n) when n > 0 (the
	// common case, tested first); pow2 says n is a power of two, which
	// uint64n masks rather than scales.
	resolved bool
	pow2     bool
	lo       time.Duration
	n        uint64
	pcg      *PCG
}

// NewSampler returns the Sampler of d drawn through c under label. Only a
// *PCG itself takes the direct path: a type that embeds one may override
// its draws (to record them, say), which a direct call would bypass.
func NewSampler(d Dist, c Chooser, label string) Sampler {
	s := Sampler{d: d, c: c, label: label, lo: d.A}
	p, isPCG := c.(*PCG)
	switch {
	case d.Kind == Constant, d.Kind == Uniform && d.B <= d.A:
		s.resolved = true // Sample and DurationIn draw nothing
	case d.Kind == Uniform && isPCG && uint64(d.B)-uint64(d.A) < 1<<62:
		// DurationIn's IntN over the span, inclusive.
		s.resolved, s.n, s.pcg = true, uint64(d.B)-uint64(d.A)+1, p
		s.pow2 = s.n&(s.n-1) == 0
	}
	return s
}

// Sample draws one duration. The direct case is uint64n with its test of
// n resolved at set-up and its draw inlined: a call less a draw.
func (s *Sampler) Sample() time.Duration {
	switch {
	case s.n > 0 && !s.pow2:
		return s.lo + time.Duration(s.pcg.scale(s.pcg.src.Uint64(), s.n))
	case s.n > 0:
		return s.lo + time.Duration(s.pcg.src.Uint64()&(s.n-1))
	case s.resolved:
		return s.lo
	}
	return s.d.Sample(s.c, s.label)
}
