package props

import (
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMatrixRanksOnlyUnsettledRuns: a matrix worker ranks run g unless
// every row g violates is settled by an earlier run (pick.settledBy), and
// settle keeps the least such run whatever the order the workers call it
// in. It catches a worker that skips a run a later run settled (the
// consumer would then rank it, on one goroutine, or pick a worse
// counterexample), one that ranks runs an earlier one settled (two workers
// running ahead of the consumer then rank scenarios one worker never
// does), and a settle that keeps the last run rather than the least.
func TestMatrixRanksOnlyUnsettledRuns(t *testing.T) {
	cat := catalogue()
	picks := make([]pick, len(cat))
	for k := range picks {
		picks[k].settledBy.Store(math.MaxInt64)
	}
	a, b := cat[0], cat[1]
	require.True(t, unsettled(picks, cat, []Invariant{a}, 50), "nothing settled yet")
	var wg sync.WaitGroup
	for _, g := range []int{70, 40, 90, 55} {
		wg.Go(func() { picks[0].settle(g) })
	}
	wg.Wait()
	require.Equal(t, int64(40), picks[0].settledBy.Load(), "settle keeps the least run")
	require.True(t, unsettled(picks, cat, []Invariant{a}, 40), "run 40 itself is ranked")
	require.True(t, unsettled(picks, cat, []Invariant{a}, 39), "a run before the settling one is ranked")
	require.False(t, unsettled(picks, cat, []Invariant{a}, 41), "a run after the settling one is not")
	require.True(t, unsettled(picks, cat, []Invariant{a, b}, 41), "a run that also violates an unsettled row is ranked")
	picks[1].settle(60)
	require.False(t, unsettled(picks, cat, []Invariant{b, a}, 61), "every row settled by an earlier run")
	require.True(t, unsettled(picks, cat, []Invariant{b, a}, 59), "row b is settled only by a later run")
}
