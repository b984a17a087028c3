package props

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCellDoneSeesEveryCellOnce: RunMatrix hands each cell of the matrix
// it returns to CellDone exactly once, as the matrix holds it (its
// failure shrunk), on 1 and 2 workers alike. It catches a cell reported
// before it is shrunk (its Failure differs), one reported twice or never,
// and a call that races with the others (under -race).
func TestCellDoneSeesEveryCellOnce(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]Cell{}
			m, err := RunMatrix(SwarmConfig{Profiles: []string{"go", "java"}, Runs: 40, Seed: 1, DeterminismRuns: 5, Workers: workers,
				CellDone: func(c Cell) {
					mu.Lock()
					defer mu.Unlock()
					key := c.Profile + "--" + c.Invariant
					require.NotContains(t, seen, key, "reported once")
					seen[key] = c
				}})
			require.NoError(t, err)
			violated := 0
			for _, row := range m.Cells {
				for _, c := range row {
					require.Equal(t, c, seen[c.Profile+"--"+c.Invariant], "reported as the matrix holds it")
					if c.Violated() {
						violated++
					}
				}
			}
			require.Len(t, seen, len(m.Rows)*len(m.Profiles), "every cell, no other")
			require.Positive(t, violated, "cells with a shrunk failure are among them")
		})
	}
}

// TestCellDoneLeavesOutACutProfile: a matrix interrupted just before a
// profile's first run leaves that profile out, and CellDone sees none of
// its cells, although RunMatrix shrinks the one its known violation's
// GenSeed fills (java's queue-drain-no-loss, TestMatrixPlaysRareKnownSeed).
// It catches CellDone called for every cell shrunk.
func TestCellDoneLeavesOutACutProfile(t *testing.T) {
	const runs = 20
	stop := make(chan struct{})
	done := 0
	var mu sync.Mutex
	var profiles []string
	m, err := RunMatrix(SwarmConfig{Profiles: []string{"go", "java"}, Runs: runs, Seed: 1, Workers: 2, Stop: stop,
		// Called before each result is taken: the stop is seen before
		// the first of java's.
		Progress: func(n int) {
			if done += n; done == runs {
				close(stop)
			}
		},
		CellDone: func(c Cell) {
			mu.Lock()
			defer mu.Unlock()
			profiles = append(profiles, c.Profile)
		}})
	require.NoError(t, err)
	require.True(t, m.Interrupted)
	require.Equal(t, []string{"go"}, m.Profiles)
	require.Len(t, profiles, len(m.Rows))
	for _, p := range profiles {
		require.Equal(t, "go", p)
	}
}
