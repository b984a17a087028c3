package props

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestMatrixShrinksWhilePicksSettle: on two workers RunMatrix shrinks a
// cell while later runs go on (once its pick is final: ranked 2, or its
// profile's runs all taken), and the matrix is the one a worker makes
// that shrinks every cell after the last run; cfg.CellDone gets each cell
// of the matrix once, as it is in the matrix. A stand-in for
// conformance.Replayable (an even size replays) makes rank-2 picks. It
// catches a shrink that does not hand its cell to CellDone (tried), a
// cell handed over twice or unlike the matrix's, and a matrix that
// differs between 1 and 2 workers. A cell queued while a later run may
// still replace its pick (tried: queued at rank 1) it does not catch
// reliably: here the workers run ahead of the consumer to the end, and
// shrink the cell only after the pick is replaced; pick.final, the one
// rule for both, is what rules that out.
func TestMatrixShrinksWhilePicksSettle(t *testing.T) {
	cfg := SwarmConfig{
		Profiles: []string{"java", "node-v1", "ruby-em"}, Runs: 200, Seed: 1, DeterminismRuns: 5,
		Replayable: func(sc *scenario.Scenario) bool { return Size(sc)%2 == 0 },
	}
	var matrices [2]Matrix
	for w, workers := range []int{1, 2} {
		var mu sync.Mutex
		done := map[[2]string]Cell{}
		cfg.Workers = workers
		cfg.CellDone = func(c Cell) {
			mu.Lock()
			defer mu.Unlock()
			key := [2]string{c.Profile, c.Invariant}
			_, twice := done[key]
			require.False(t, twice, "workers %d: %v handed over twice", workers, key)
			done[key] = c
		}
		m, err := RunMatrix(cfg)
		require.NoError(t, err)
		require.Len(t, done, len(m.Rows)*len(m.Profiles), "workers %d: every cell handed over", workers)
		for _, row := range m.Cells {
			for _, c := range row {
				require.Equal(t, c, done[[2]string{c.Profile, c.Invariant}], "workers %d", workers)
			}
		}
		matrices[w] = m
	}
	one, two := matrices[0], matrices[1]
	violated := 0
	for k, row := range one.Cells {
		for j, c := range row {
			d := two.Cells[k][j]
			require.Equal(t, c.Violated(), d.Violated(), "%s x %s", c.Profile, c.Invariant)
			if !c.Violated() {
				continue
			}
			violated++
			require.Equal(t, c.Failure.GenSeed, d.Failure.GenSeed, "%s x %s: the same pick on 1 and 2 workers", c.Profile, c.Invariant)
			require.Equal(t, string(c.Failure.Shrunk.Marshal()), string(d.Failure.Shrunk.Marshal()), "%s x %s", c.Profile, c.Invariant)
			require.Equal(t, c.Failure.Detail, d.Failure.Detail)
		}
	}
	require.Greater(t, violated, 3, "the matrix has violated cells to compare")
}

// TestMatrixInterruptedHandsOverKeptCells: a matrix stopped at a
// profile's boundary keeps the profiles that ran, and hands to CellDone
// only their cells, not those of the next profile, which ran no scenario
// (it would get files of its own in check --matrix --out). It catches the
// next profile's cells shrunk and handed over.
func TestMatrixInterruptedHandsOverKeptCells(t *testing.T) {
	for _, workers := range []int{1, 2} {
		stop := make(chan struct{})
		taken := 0
		var mu sync.Mutex
		var profiles []string
		cfg := SwarmConfig{
			Profiles: []string{"java", "node-v1", "ruby-em"}, Runs: 50, Seed: 1, Workers: workers, Stop: stop,
			Progress: func(n int) {
				if taken += n; taken == 50 {
					close(stop)
				}
			},
			CellDone: func(c Cell) {
				mu.Lock()
				defer mu.Unlock()
				profiles = append(profiles, c.Profile)
			},
		}
		m, err := RunMatrix(cfg)
		require.NoError(t, err)
		require.True(t, m.Interrupted)
		require.Equal(t, []string{"java"}, m.Profiles, "workers %d", workers)
		require.Len(t, profiles, len(m.Rows), "workers %d", workers)
		for _, p := range profiles {
			require.Equal(t, "java", p, "workers %d: a cell of a profile the matrix does not keep", workers)
		}
	}
}
