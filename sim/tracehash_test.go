package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTraceHashAllocatesNothing: Hash writes FNV-1a itself and copies no
// string. It catches a return to hash/fnv through io.WriteString, which
// allocated a []byte per string hashed (a quarter of the determinism
// check's time went to Hash); TestTraceHash pins the value, which must not
// change.
func TestTraceHashAllocatesNothing(t *testing.T) {
	tr := build(sample())
	require.Zero(t, testing.AllocsPerRun(10, func() { tr.Hash() }))
}

// TestCompareWithIsEqual: a trace comparing with ref (CompareWith) matches
// the sample and no one-place change of it, as Equal does, and it records
// nothing. It catches is (which both use) not comparing the fields (the
// changed field value matches), Matches not checking that every event of
// ref came (the shorter trace matches), compare not stopping at ref's end
// (an index out of range on the longer one), and Reset keeping the
// reference (the trace reused after Reset still compares).
func TestCompareWithIsEqual(t *testing.T) {
	ref := build(sample())
	variants := map[string][]rec{"same": sample()}
	short := sample()
	variants["shorter"] = short[:len(short)-1]
	variants["longer"] = append(sample(), rec{2_000_000_000, "app", "stop", nil})
	at := sample()
	at[1].at++
	variants["time"] = at
	actor := sample()
	actor[2].actor = "consumer-2"
	variants["actor"] = actor
	kind := sample()
	kind[0].kind = "begin"
	variants["kind"] = kind
	field := sample()
	field[2].fields = []Field{Str("note", "hello world"), Str("empty", ""), Dur("lat", 1500*time.Microsecond), Int("neg", -4)}
	variants["field"] = field
	cmp := NewTrace()
	for name, recs := range variants {
		cmp.CompareWith(ref)
		for _, r := range recs {
			cmp.Add(r.at, r.actor, r.kind, r.fields...)
		}
		require.Equal(t, name == "same", cmp.Matches(), name)
		require.Equal(t, build(recs).Equal(ref), cmp.Matches(), "%s: as Equal", name)
		require.Zero(t, cmp.Len(), "%s: a comparing trace records nothing", name)
	}
	cmp.Reset()
	cmp.Add(0, "app", "start")
	require.Equal(t, 1, cmp.Len(), "after Reset the trace records again")
	require.False(t, cmp.Matches(), "a trace that does not compare does not match")
}
