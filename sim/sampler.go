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
	// A draw is lo plus, from pcg: the first draw scaled to [0, scale)
	// (uint64n's Lemire path) when scale is set, the common case, tested
	// first; else the first draw masked with mask (uint64n's path for a
	// span that is a power of two) when mask is set; else nothing when
	// resolved (a constant). One field tested for each case: a span n
	// with a flag for a power of two tested n, then the flag, then n
	// again on the masked path.
	scale uint64
	mask  uint64
	lo    time.Duration
	pcg   *PCG
	// resolved: the draw is one of the cases above.
	resolved bool
	d        Dist
	c        Chooser
	label    string
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
		// DurationIn's IntN over the span, inclusive: n >= 2, so that
		// neither field is 0 when set.
		n := uint64(d.B) - uint64(d.A) + 1
		s.resolved, s.pcg = true, p
		if n&(n-1) == 0 {
			s.mask = n - 1
		} else {
			s.scale = n
		}
	}
	return s
}

// Sample draws one duration. The direct cases are uint64n with its test of
// n resolved at set-up and its draw inlined: a call less a draw.
func (s *Sampler) Sample() time.Duration {
	switch {
	case s.scale > 0:
		return s.lo + time.Duration(s.pcg.scale(s.pcg.src.Uint64(), s.scale))
	case s.mask > 0:
		return s.lo + time.Duration(s.pcg.src.Uint64()&s.mask)
	case s.resolved:
		return s.lo
	}
	return s.d.Sample(s.c, s.label)
}
