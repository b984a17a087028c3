package sim

import (
	"testing"

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
