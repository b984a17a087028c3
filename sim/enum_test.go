package sim

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// enumerate runs run once per sequence of e and returns what each returned.
func enumerate(e *Enum, run func(Chooser) string) []string {
	var out []string
	for {
		out = append(out, run(e))
		if !e.Next() {
			return out
		}
	}
}

// TestEnumVisitsEverySequenceDepthFirst: a run whose second choice exists
// only after the first took option 1 has 4 sequences, visited in
// lexicographic order; the tree of choices has 6 nodes. It fails if Next
// does not drop exhausted choices (a sequence repeats or the walk never
// ends), or does not advance the last choice first (the order changes).
func TestEnumVisitsEverySequenceDepthFirst(t *testing.T) {
	e := NewEnum(16)
	got := enumerate(e, func(c Chooser) string {
		a := c.IntN("a", 2)
		if a == 0 {
			return "a0"
		}
		return fmt.Sprintf("a1b%d", c.Stream("s").IntN("b", 3))
	})
	require.Equal(t, []string{"a0", "a1b0", "a1b1", "a1b2"}, got)
	require.NoError(t, e.Err())
	require.Equal(t, uint64(6), e.States())
}

// TestEnumCountsProduct: independent choices of 2, 1 (no choice) and 3
// options give 6 sequences; the single-option draw takes no place in them.
func TestEnumCountsProduct(t *testing.T) {
	e := NewEnum(16)
	var seqs [][]Choice
	got := enumerate(e, func(c Chooser) string {
		s := fmt.Sprint(c.IntN("x", 2), c.IntN("one", 1), c.IntN("y", 3))
		seqs = append(seqs, e.Sequence())
		return s
	})
	require.Len(t, got, 6)
	require.Equal(t, "0 0 0", got[0])
	require.Equal(t, "1 0 2", got[5])
	require.Equal(t, []Choice{{Label: "x", N: 2, V: 1}, {Label: "y", N: 3, V: 2}}, seqs[5])
	require.Equal(t, "y=2/3", seqs[5][1].String())
}

// TestEnumRefusesContinuousAndWide: a Float64 draw or a choice wider than
// the bound ends the enumeration with an error naming the draw. Without
// the refusal a uniform draw over nanoseconds would look "proved" after
// one value.
func TestEnumRefusesContinuousAndWide(t *testing.T) {
	e := NewEnum(4)
	e.Stream("net").Float64("latency")
	require.False(t, e.Next())
	require.True(t, errors.Is(e.Err(), ErrContinuous), "%v", e.Err())
	require.Contains(t, e.Err().Error(), "net/latency")

	e = NewEnum(4)
	Dist{Kind: Uniform, A: time.Millisecond, B: 2 * time.Millisecond}.Sample(e.Stream("handler"), "handler-duration")
	require.False(t, e.Next())
	require.True(t, errors.Is(e.Err(), ErrWideChoice), "%v", e.Err())
	require.Contains(t, e.Err().Error(), "handler/handler-duration has 1000001 options")
}

// TestEnumDetectsDivergence: a run that does not repeat the choices of the
// prefix it replays (here: it draws at random) is reported, not enumerated
// as if it were deterministic. It fails if intN stops comparing the label
// and width of a replayed choice.
func TestEnumDetectsDivergence(t *testing.T) {
	e := NewEnum(16)
	calls := 0
	enumerate(e, func(c Chooser) string {
		calls++
		if calls == 1 {
			c.IntN("a", 2)
		} else {
			c.IntN("b", 2)
		}
		return ""
	})
	require.True(t, errors.Is(e.Err(), ErrDiverged), "%v", e.Err())

	e = NewEnum(16)
	calls = 0
	enumerate(e, func(c Chooser) string {
		calls++
		if calls == 1 {
			c.IntN("a", 2)
			c.IntN("b", 2)
		}
		return ""
	})
	require.True(t, errors.Is(e.Err(), ErrDiverged), "a run that stops short of its prefix: %v", e.Err())
}

// TestTapeReplaysSequence: the values of an Enum sequence, replayed by a
// Tape, give the same run; single-option draws take no value in either.
func TestTapeReplaysSequence(t *testing.T) {
	run := func(c Chooser) string {
		return fmt.Sprint(c.IntN("x", 3), c.IntN("one", 1), c.Stream("s").IntN("y", 2), c.IntN("z", 4))
	}
	e := NewEnum(16)
	for range 7 {
		run(e)
		require.True(t, e.Next())
	}
	want := run(e)
	var vals []int
	for _, c := range e.Sequence() {
		vals = append(vals, c.V)
	}
	require.Equal(t, want, run(NewTape(vals)))
	require.Equal(t, "0 0 1 3", want)
	require.Equal(t, "2 0 0 0", run(NewTape([]int{9})), "values are clamped; past the end, option 0")
	require.Equal(t, 0.5, NewTape(nil).Float64("f"))
}

// TestOneOf: oneof(...) parses, renders back, draws each value by one IntN
// (so Enum visits each, first written first) and has the values' mean.
func TestOneOf(t *testing.T) {
	d, err := ParseDist("oneof(50ms, 10ms,200ms)")
	require.NoError(t, err)
	require.Equal(t, OneOf, d.Kind)
	require.Equal(t, "oneof(50ms,10ms,200ms)", d.String())
	require.Equal(t, 10*time.Millisecond, d.A)
	require.Equal(t, 200*time.Millisecond, d.B)
	require.Equal(t, (260*time.Millisecond)/3, d.Mean())
	back, err := ParseDist(d.String())
	require.NoError(t, err)
	require.Equal(t, d.Table.V, back.Table.V)
	e := NewEnum(16)
	got := enumerate(e, func(c Chooser) string { return d.Sample(c, "h").String() })
	require.Equal(t, []string{"50ms", "10ms", "200ms"}, got)
	for _, bad := range []string{"oneof()", "oneof(1ms,)", "oneof(-1ms)", "oneof(1ms,x)"} {
		_, err := ParseDist(bad)
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), bad)
	}
}
