package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// TestWriteMatrixCounterexamples: the earlier counterexamples are all
// removed (60 of them, one named like a new one), and nothing else;
// every violated cell's counterexample is written, this run's; the
// directory then holds exactly those; the Ps raised for the writes are
// given back. It catches a removal that runs beside the writes instead of
// before them (the removal then may take the new go--zz.yaml), a file
// not written, a stale one left, a removed file that is not a
// counterexample, and GOMAXPROCS left raised.
func TestWriteMatrixCounterexamples(t *testing.T) {
	dir := t.TempDir()
	var earlier []string
	for i := range 60 {
		earlier = append(earlier, fmt.Sprintf("go--old-%02d.yaml", i))
	}
	earlier = append(earlier, "go--zz.yaml")
	for _, name := range earlier {
		inv := strings.TrimSuffix(strings.TrimPrefix(name, "go--"), ".yaml")
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("# "+inv+counterexampleMark+"go: earlier\n"), 0o644))
	}
	// Not a counterexample (no header): prepareCounterexampleDir refuses
	// such a directory, but the removal must not take it either way.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mine--x.yaml"), []byte("keep me\n"), 0o644))

	m := props.Matrix{Profiles: []string{"go"}, Rows: []string{"zz", "new-a", "new-b", "holds"}}
	for i, inv := range m.Rows {
		c := props.Cell{Profile: "go", Invariant: inv}
		if inv != "holds" {
			sc := props.GenScenario(sim.NewPCG(uint64(i + 1)))
			c.Failure = &props.Failure{Invariant: inv, Profile: "go", Detail: "violated", GenSeed: uint64(i + 1), Original: sc, Shrunk: sc}
		}
		m.Cells = append(m.Cells, []props.Cell{c})
	}
	procs := runtime.GOMAXPROCS(0)
	removeErr, writeErr := writeMatrixCounterexamples(dir, m, 0)
	require.NoError(t, removeErr)
	require.NoError(t, writeErr)
	require.Equal(t, procs, runtime.GOMAXPROCS(0), "GOMAXPROCS given back")

	want := []string{"mine--x.yaml"}
	for _, inv := range m.Rows[:3] {
		path := matrixCounterexamplePath(dir, props.Cell{Profile: "go", Invariant: inv})
		data, err := os.ReadFile(path)
		require.NoError(t, err, "%s is written", path)
		require.True(t, strings.HasPrefix(string(data), "# "+inv+counterexampleMark+"go: violated\n"), "%s is this run's:\n%s", path, data)
		want = append(want, filepath.Base(path))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(want)
	require.Equal(t, want, got, "this run's counterexamples, and the file that is not one")
}

// TestInParallelCallsEachOnceAndReportsTheLeastError: with more calls than
// fileWriters, every i is called exactly once and the error returned is
// the least failing i's, whichever goroutine ran it. It catches a
// goroutine's stride that skips or repeats calls past fileWriters, and the
// first error to finish returned instead of the least.
func TestInParallelCallsEachOnceAndReportsTheLeastError(t *testing.T) {
	n := 3*fileWriters + 5
	calls := make([]int, n)
	err := inParallel(n, func(i int) error {
		calls[i]++
		if i == fileWriters+1 || i == 2*fileWriters+3 {
			return fmt.Errorf("call %d", i)
		}
		return nil
	})
	for i, c := range calls {
		require.Equal(t, 1, c, "call %d", i)
	}
	require.EqualError(t, err, fmt.Sprintf("call %d", fileWriters+1))
}
