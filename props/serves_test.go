package props

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestServesAsWellIsRank: servesAsWell(sc, rank) is rank(sc) >= rank for
// every rank, and asks cfg.Replayable only for rank 2. It catches a
// shortcut that answers differently from rank (the shrunk
// counterexamples, and so the matrix, would change) and one that still
// runs Replayable for ranks that do not need it (half of a short matrix's
// time).
func TestServesAsWellIsRank(t *testing.T) {
	asked := 0
	cfg := SwarmConfig{Replayable: func(sc *scenario.Scenario) bool { asked++; return sc.Seed%2 == 0 }}
	seen := map[int]int{}
	for i := range uint64(300) {
		sc := GenScenario(sim.NewPCG(i))
		want := cfg.rank(sc)
		seen[want]++
		for rank := range 3 {
			asked = 0
			require.Equal(t, want >= rank, cfg.servesAsWell(sc, rank), "generated scenario %d, rank %d", i, rank)
			if rank < 2 {
				require.Zero(t, asked, "generated scenario %d: rank %d asked Replayable", i, rank)
			}
		}
	}
	for rank := range 3 {
		require.Positive(t, seen[rank], "no generated scenario of rank %d: the test covers too little", rank)
	}
}
