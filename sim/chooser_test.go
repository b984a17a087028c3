package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// draws returns n mixed draws from c.
func draws(c Chooser, n int) []float64 {
	out := make([]float64, 0, n)
	for i := range n {
		if i%2 == 0 {
			out = append(out, float64(c.IntN("i", 1_000_000)))
		} else {
			out = append(out, c.Float64("f"))
		}
	}
	return out
}

// counting wraps a Chooser and counts the draws made through it.
type counting struct {
	Chooser
	n int
}

func (c *counting) IntN(label string, n int) int { c.n++; return c.Chooser.IntN(label, n) }
func (c *counting) Float64(label string) float64 { c.n++; return c.Chooser.Float64(label) }

// script is a Chooser that returns fixed Float64 values in turn and
// IntN values from ints in turn (clamped to [0, n)).
type script struct {
	floats []float64
	ints   []int
}

func (s *script) Float64(string) float64 {
	v := s.floats[0]
	s.floats = s.floats[1:]
	return v
}

func (s *script) IntN(_ string, n int) int {
	v := s.ints[0]
	s.ints = s.ints[1:]
	return min(max(v, 0), n-1)
}

func (s *script) Stream(string) Chooser { return s }

func TestPCGSameSeedSameSequence(t *testing.T) {
	a := draws(NewPCG(42), 1000)
	b := draws(NewPCG(42), 1000)
	require.Equal(t, a, b)
	require.NotEqual(t, a, draws(NewPCG(43), 1000))
}

// TestPCGDrawsAsRand: PCG draws from its source as math/rand/v2's Rand
// does, so that every seed's runs, goldens and corpora stay what they were
// when PCG drew through Rand. The bounds cover powers of two (masked),
// small and large ranges, and ones where the rejection loop runs (n near
// 2^63, where -n % n is large). Catches a changed mask, a dropped
// rejection loop, or Float64 keeping 52 or 54 bits.
func TestPCGDrawsAsRand(t *testing.T) {
	bounds := []int{1, 2, 3, 7, 64, 100, 1000, 1 << 20, 1_000_001, 1<<62 + 1, 1<<63 - 1, 3 << 61}
	for _, seed := range []uint64{0, 1, 42, 1 << 40} {
		p := newPCG(seed, fnv64("/s"))
		r := rand.New(rand.NewPCG(seed, fnv64("/s")))
		for i := range 20_000 {
			if i%3 == 2 {
				require.Equal(t, r.Float64(), p.Float64(""), "seed %d draw %d", seed, i)
				continue
			}
			n := bounds[i%len(bounds)]
			require.Equal(t, r.IntN(n), p.IntN("", n), "seed %d draw %d IntN(%d)", seed, i, n)
		}
	}
}

// TestPCGStreamsKeepTheirSeeds: a stream, nested or re-seeded in place
// by Restream over a used PCG, draws what a source seeded with the FNV-1
// hash of its full name ("/net/app/up") draws, as when PCG kept the name
// as a string. Catches Stream or Restream leaving out the "/", hashing
// from the offset instead of the parent's name, or Restream keeping the
// old source's state.
func TestPCGStreamsKeepTheirSeeds(t *testing.T) {
	want := func(seed uint64, name string) []float64 {
		return draws(&PCG{src: *rand.NewPCG(seed, fnv64(name))}, 50)
	}
	for _, seed := range []uint64{0, 9} {
		net := NewPCG(seed).Stream("net").(*PCG)
		require.Equal(t, want(seed, "/net/app/up"), draws(net.Stream("app/up"), 50))
		dst := NewPCG(seed + 1).Stream("other").(*PCG)
		draws(dst, 7)
		net.Restream(dst, "app", "/up")
		require.Equal(t, want(seed, "/net/app/up"), draws(dst, 50))
		require.Equal(t, want(seed, "/net/app/up/x"), draws(dst.Stream("x"), 50), "a stream of a re-seeded stream")
	}
}

func TestPCGLabelsDoNotAffectValues(t *testing.T) {
	// Labels name decisions for recording drivers; PCG ignores them.
	a, b := NewPCG(7), NewPCG(7)
	for range 100 {
		require.Equal(t, a.IntN("x", 10), b.IntN("y", 10))
		require.Equal(t, a.Float64("x"), b.Float64("z"))
	}
}

func TestPCGRanges(t *testing.T) {
	c := NewPCG(1)
	seen := make([]int, 5)
	for range 10_000 {
		v := c.IntN("v", 5)
		require.GreaterOrEqual(t, v, 0)
		require.Less(t, v, 5)
		seen[v]++
		f := c.Float64("f")
		require.GreaterOrEqual(t, f, 0.0)
		require.Less(t, f, 1.0)
	}
	for v, n := range seen {
		require.Greater(t, n, 1500, "value %d is underrepresented", v)
	}
	require.Panics(t, func() { c.IntN("bad", 0) })
}

func TestPCGStreamsAreIndependent(t *testing.T) {
	const seed = 99
	// Reference: stream "b" drawn on its own.
	want := draws(NewPCG(seed).Stream("b"), 200)

	// Drawing heavily on the parent and on stream "a" must not shift "b".
	root := NewPCG(seed)
	draws(root, 37)
	a := root.Stream("a")
	draws(a, 1000)
	b := root.Stream("b")
	draws(a, 5)
	draws(root, 5)
	require.Equal(t, want, draws(b, 200))

	// Different names and different seeds give different streams, and a
	// stream differs from its parent.
	require.NotEqual(t, want, draws(NewPCG(seed).Stream("a"), 200))
	require.NotEqual(t, want, draws(NewPCG(seed+1).Stream("b"), 200))
	require.NotEqual(t, draws(NewPCG(seed), 200), draws(NewPCG(seed).Stream(""), 200))
}

func TestPCGStreamInterleavedExact(t *testing.T) {
	// Stream "b" must yield exactly the same values whether or not other
	// streams are drawn from in between.
	want := make([]int, 300)
	b := NewPCG(5).Stream("b")
	for i := range want {
		want[i] = b.IntN("x", 1<<30)
	}
	root := NewPCG(5)
	a, b := root.Stream("a"), root.Stream("b")
	got := make([]int, 300)
	for i := range got {
		a.IntN("x", 1<<30)
		root.Float64("y")
		got[i] = b.IntN("x", 1<<30)
	}
	require.Equal(t, want, got)
}

func TestPCGNestedStreams(t *testing.T) {
	const seed = 3
	want := draws(NewPCG(seed).Stream("net").Stream("link1"), 200)

	root := NewPCG(seed)
	net := root.Stream("net")
	draws(net, 100) // the parent stream's draws do not shift the child
	l2 := net.Stream("link2")
	draws(l2, 100)
	require.Equal(t, want, draws(net.Stream("link1"), 200))

	// The path matters: a nested stream is not its parent's sibling, nor the
	// same name under another parent.
	require.NotEqual(t, want, draws(NewPCG(seed).Stream("link1"), 200))
	require.NotEqual(t, want, draws(NewPCG(seed).Stream("other").Stream("link1"), 200))
	require.NotEqual(t, want, draws(NewPCG(seed).Stream("link1").Stream("net"), 200))
	require.NotEqual(t, draws(NewPCG(seed).Stream("net"), 200), want)
}

func TestFixed(t *testing.T) {
	var c Chooser = Fixed{}
	require.Equal(t, 0, c.IntN("x", 10))
	require.Equal(t, 0.5, c.Float64("x"))
	require.Equal(t, c, c.Stream("s"))
	require.Equal(t, time.Duration(10), DurationIn(c, "d", 10, 20))
	require.False(t, Bool(c, "b", 0.5), "0.5 < 0.5 is false")
	require.True(t, Bool(c, "b", 0.51))
	require.Equal(t, []int{1, 2, 3, 0}, Perm(c, "p", 4))
}

func TestPerm(t *testing.T) {
	c := NewPCG(11)
	for n := range 40 {
		p := Perm(c, "p", n)
		require.Len(t, p, n)
		sorted := slices.Clone(p)
		slices.Sort(sorted)
		for i, v := range sorted {
			require.Equal(t, i, v, "n=%d: %v is not a permutation", n, p)
		}
	}
	require.Empty(t, Perm(c, "p", 0))
	require.Equal(t, []int{0}, Perm(c, "p", 1))

	// Every permutation of 3 appears, at roughly equal rates.
	counts := map[[3]int]int{}
	for range 6000 {
		p := Perm(c, "p", 3)
		counts[[3]int(p)]++
	}
	require.Len(t, counts, 6)
	for p, n := range counts {
		require.InDelta(t, 1000, n, 150, "permutation %v", p)
	}

	// Perm makes exactly n-1 draws.
	cc := &counting{Chooser: NewPCG(1)}
	Perm(cc, "p", 10)
	require.Equal(t, 9, cc.n)
}

func TestDurationIn(t *testing.T) {
	c := NewPCG(2)
	for _, tc := range []struct{ lo, hi time.Duration }{
		{0, 3},
		{-5, 5},
		{time.Millisecond, 2 * time.Millisecond},
		{-time.Hour, -time.Minute},
		{0, 1<<62 - 1},                 // largest span on the exact path
		{0, 1 << 62},                   // float path
		{-1 << 62, 1 << 62},            // span 2^63 overflows int64
		{math.MinInt64, math.MaxInt64}, // the whole range
		{math.MinInt64, math.MinInt64 + 10},
		{math.MaxInt64 - 10, math.MaxInt64},
	} {
		for range 2000 {
			d := DurationIn(c, "d", tc.lo, tc.hi)
			require.GreaterOrEqual(t, d, tc.lo, "[%d, %d]", tc.lo, tc.hi)
			require.LessOrEqual(t, d, tc.hi, "[%d, %d]", tc.lo, tc.hi)
		}
	}

	// Both bounds are inclusive and every value is reachable.
	seen := map[time.Duration]bool{}
	for range 1000 {
		seen[DurationIn(c, "d", -2, 2)] = true
	}
	require.Len(t, seen, 5)

	// Empty and inverted ranges return lo without drawing.
	cc := &counting{Chooser: c}
	require.Equal(t, time.Duration(7), DurationIn(cc, "d", 7, 7))
	require.Equal(t, time.Duration(7), DurationIn(cc, "d", 7, 3))
	require.Zero(t, cc.n)

	// The extreme draws of the float path stay in range.
	for _, u := range []float64{0, math.Nextafter(1, 0)} {
		for _, r := range [][2]time.Duration{{0, 1 << 62}, {math.MinInt64, math.MaxInt64}, {-1, math.MaxInt64}} {
			d := DurationIn(&script{floats: []float64{u}}, "d", r[0], r[1])
			require.GreaterOrEqual(t, d, r[0])
			require.LessOrEqual(t, d, r[1])
		}
	}
	require.Equal(t, time.Duration(math.MinInt64), DurationIn(&script{floats: []float64{0}}, "d", math.MinInt64, math.MaxInt64))
}

func TestDurationInMean(t *testing.T) {
	c := NewPCG(8)
	var sum float64
	const n = 100_000
	for range n {
		sum += float64(DurationIn(c, "d", 100, 300))
	}
	require.InDelta(t, 200, sum/n, 1)
}

func TestBool(t *testing.T) {
	cc := &counting{Chooser: NewPCG(4)}
	for _, p := range []float64{0, -1, math.Inf(-1)} {
		require.False(t, Bool(cc, "b", p))
	}
	for _, p := range []float64{1, 2, math.Inf(1)} {
		require.True(t, Bool(cc, "b", p))
	}
	require.Zero(t, cc.n, "certain outcomes make no draw")

	// NaN is never true (it does draw).
	require.False(t, Bool(cc, "b", math.NaN()))

	// A probability strictly between 0 and 1 draws exactly once.
	cc.n = 0
	trues := 0
	const n = 100_000
	for range n {
		if Bool(cc, "b", 0.3) {
			trues++
		}
	}
	require.Equal(t, n, cc.n)
	require.InDelta(t, 0.3, float64(trues)/n, 0.01)

	// Tiny and near-one probabilities still behave.
	require.False(t, Bool(&script{floats: []float64{0}}, "b", 0), "p=0 is never true, even for u=0")
	require.True(t, Bool(&script{floats: []float64{0}}, "b", math.SmallestNonzeroFloat64))
	require.False(t, Bool(&script{floats: []float64{math.Nextafter(1, 0)}}, "b", math.Nextafter(1, 0)))
}

// TestPCGDrawStateFirst: src, the only field of a PCG that a draw reads,
// is its first, so that an object holding a PCG can end a cache line with
// it and keep seed and name in the next (the model's links:
// TestLinkWriteFieldsInOneLine). Catches a field put before src.
func TestPCGDrawStateFirst(t *testing.T) {
	var p PCG
	if off := unsafe.Offsetof(p.src); off != 0 {
		t.Errorf("PCG.src at byte %d, want 0", off)
	}
}

// TestReseedIsRestream: Reseed, given the name of a stream that Restream
// made from a PCG of the same name (NameHash) and another seed, draws what
// Restream from the new PCG draws. Catches a Reseed that keeps the old
// seed or rehashes the name from the parent's, and a NameHash that is not
// the name's.
func TestReseedIsRestream(t *testing.T) {
	var dst, want PCG
	NewPCG(1).Stream("handler").(*PCG).Restream(&dst, "c0.", "s7")
	p := NewPCG(2).Stream("handler").(*PCG)
	if q := NewPCG(3).Stream("handler").(*PCG); p.NameHash() != q.NameHash() || p.NameHash() == NewPCG(2).Stream("other").(*PCG).NameHash() {
		t.Fatalf("NameHash depends on the seed or not on the name")
	}
	p.Reseed(&dst, dst.NameHash())
	p.Restream(&want, "c0.s7")
	for i := range 8 {
		if got, w := dst.IntN("x", 1<<40), want.IntN("x", 1<<40); got != w {
			t.Fatalf("draw %d: %d, want %d", i, got, w)
		}
	}
}
