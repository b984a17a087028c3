package sim

import (
	"math/bits"
	"math/rand/v2"
	"time"
)

// Chooser is the one door through which a simulation takes nondeterministic
// decisions: latency draws, handler durations, queue-member picks, fault
// timing. Every call carries a label naming the decision, so that a
// property-testing driver can record, replay and shrink each choice.
//
// Implementations must be deterministic functions of their seed (or recorded
// input) and the sequence of calls made on them.
type Chooser interface {
	// IntN returns a value in [0, n). n must be > 0.
	IntN(label string, n int) int
	// Float64 returns a value in [0, 1).
	Float64(label string) float64
	// Stream returns an independent Chooser for one subsystem. Draws on one
	// stream never shift the values another stream returns, so changing a
	// timeout does not reshuffle unrelated draws.
	Stream(name string) Chooser
}

// Bool returns true with probability p.
func Bool(c Chooser, label string, p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	return c.Float64(label) < p
}

// DurationIn returns a duration drawn uniformly from [lo, hi].
func DurationIn(c Chooser, label string, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	// The span is computed in uint64: hi-lo overflows int64 when the bounds
	// have opposite signs and are far apart. Adding the offset back to lo
	// wraps modulo 2^64 and lands in [lo, hi].
	span := uint64(hi) - uint64(lo)
	if span >= 1<<62 {
		off := uint64(c.Float64(label) * float64(span))
		off = min(off, span) // float64(span) may round up
		return lo + time.Duration(off)
	}
	return lo + time.Duration(int64(c.IntN(label, int(span+1))))
}

// Perm returns a permutation of [0, n) drawn through c (Fisher-Yates).
func Perm(c Chooser, label string, n int) []int {
	p := make([]int, n)
	PermInto(c, label, p)
	return p
}

// PermInto fills p with a permutation of [0, len(p)), drawn as Perm draws
// it: for a caller that reuses its list from run to run.
func PermInto(c Chooser, label string, p []int) {
	n := len(p)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := c.IntN(label, i+1)
		p[i], p[j] = p[j], p[i]
	}
}

// PCG is the seeded Chooser used by the command line: a PCG generator from
// math/rand/v2. Streams are derived from the seed and the stream name, so
// each subsystem's draws depend only on its own calls.
type PCG struct {
	// src lives in the PCG itself, so that a stream is one allocation: a
	// run makes one per client, link and subscription. It is first, and
	// the only field a draw reads, so that an object holding a PCG can
	// keep what its draws read apart from seed and name (the model's
	// links hold src in their first cache line).
	src  rand.PCG
	seed uint64
	// name is the FNV-1 hash of the stream's name ("" for the root, then
	// "/" and each Stream's name appended), which is all a nested stream
	// needs of it: hashing on from it makes a stream without building
	// its name, which was half a stream's allocations.
	name uint64
}

// NewPCG returns a Chooser seeded with seed.
func NewPCG(seed uint64) *PCG {
	return newPCG(seed, fnvOffset64)
}

// newPCG returns the stream of seed whose name hashes to name.
func newPCG(seed, name uint64) *PCG {
	return &PCG{seed: seed, name: name, src: *rand.NewPCG(seed, name)}
}

// IntN implements Chooser. It draws what math/rand/v2's Rand.IntN draws
// from the same source (TestPCGDrawsAsRand), without going through Rand
// and its Source interface: a run draws a handler time per message, and
// those two calls were a tenth of the standard scenario's CPU.
func (p *PCG) IntN(_ string, n int) int {
	if n <= 0 {
		panic("sim: IntN of a non-positive n")
	}
	return int(p.uint64n(uint64(n)))
}

// uint64n is math/rand/v2's Rand.uint64n: Lemire's multiply-and-reject,
// which maps a 64-bit draw onto [0, n) exactly uniformly, with a power of
// two masked. Either way the first draw is taken first.
func (p *PCG) uint64n(n uint64) uint64 {
	x := p.src.Uint64()
	if n&(n-1) == 0 {
		return x & (n - 1)
	}
	return p.scale(x, n)
}

// scale is uint64n for an n that is not a power of two, given the first
// draw x: the high word of x*n, unless the low word falls in the biased
// part, where rejectN draws again. It is small enough to be inlined, so
// that a Sampler draws without a call (the rejection is rare unless n is
// near 2^64).
func (p *PCG) scale(x, n uint64) uint64 {
	hi, lo := bits.Mul64(x, n)
	if lo < n {
		return p.rejectN(n, hi, lo)
	}
	return hi
}

// rejectN finishes scale when the low word lo fell below n: draws are
// rejected while it is below 2^64 mod n.
func (p *PCG) rejectN(n, hi, lo uint64) uint64 {
	thresh := -n % n
	for lo < thresh {
		hi, lo = bits.Mul64(p.src.Uint64(), n)
	}
	return hi
}

// Float64 implements Chooser, as math/rand/v2's Rand.Float64 does: one of
// the 2^53 evenly spaced values in [0, 1).
func (p *PCG) Float64(_ string) float64 {
	return float64(p.src.Uint64()<<11>>11) / (1 << 53)
}

// Stream implements Chooser. The stream name is appended to the parent's, so
// nested streams are independent too.
func (p *PCG) Stream(name string) Chooser {
	return newPCG(p.seed, fnvAdd(fnvAdd(p.name, "/"), name))
}

// Restream makes dst what p.Stream(name) would return, name being the
// concatenation of parts, in dst's memory and without building the name:
// a model.Runner re-seeds the streams of its previous run (one per link
// and subscription) rather than allocating new ones.
func (p *PCG) Restream(dst *PCG, parts ...string) {
	h := fnvAdd(p.name, "/")
	for _, s := range parts {
		h = fnvAdd(h, s)
	}
	dst.seed, dst.name = p.seed, h
	dst.src.Seed(p.seed, h)
}

// NameHash is the hash of p's stream name, which the streams made from p
// (Stream, Restream) mix with their own names: a caller that keeps such
// a stream compares it, to know that Reseed gives what Restream would.
func (p *PCG) NameHash() uint64 { return p.name }

// Reseed makes dst what p.Restream(dst, parts...) makes, given name, the
// NameHash of a stream that an earlier Restream made with the same parts
// from a PCG whose NameHash was p's: a stream's name hash depends on
// those alone, not on the seed. It saves hashing the parts again, byte
// by byte, for each of the thousand subscriptions' and links' streams
// that a model.Runner re-seeds every run.
func (p *PCG) Reseed(dst *PCG, name uint64) {
	dst.seed, dst.name = p.seed, name
	dst.src.Seed(p.seed, name)
}

// Fixed is a Chooser that always takes the first option: IntN returns 0 and
// Float64 returns 0.5 (the median of a distribution). It is useful for
// closed-form checks where every draw should be at its typical value.
type Fixed struct{}

// IntN implements Chooser.
func (Fixed) IntN(string, int) int { return 0 }

// Float64 implements Chooser.
func (Fixed) Float64(string) float64 { return 0.5 }

// Stream implements Chooser.
func (f Fixed) Stream(string) Chooser { return f }

// fnvOffset64 is FNV-1's hash of the empty string.
const fnvOffset64 = 14695981039346656037

func fnv64(s string) uint64 { return fnvAdd(fnvOffset64, s) }

// fnvAdd continues the FNV-1 hash h over s: fnvAdd(fnv64(a), b) is
// fnv64(a+b).
func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
