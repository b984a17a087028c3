package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// TestCounterexampleFilesFinish: with no cell staged before,
// counterexampleFiles.finish removes the earlier counterexamples (60 of
// them, one named like a new one), and nothing else; every violated
// cell's counterexample is written, this run's; the directory then holds
// exactly those; the Ps raised for the staging are given back. It
// catches a removal after the renames (it then takes the new
// go--zz.yaml), a file not written, a stale one left, a removed file
// that is not a counterexample, and GOMAXPROCS left raised.
func TestCounterexampleFilesFinish(t *testing.T) {
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
	removeErr, writeErr := newCounterexampleFiles(dir, 0).finish(m)
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

// TestCounterexampleFilesStagedEarly: cells staged while the matrix runs
// (stage, from several goroutines, some twice) end as finish alone would
// write them: only this matrix's counterexamples, renamed into place once
// the earlier ones are removed, each new file 0644 even where an earlier
// one of its name had other permissions; a staged file of a cell the
// matrix does not hold is removed, and no temporary file is left. It
// catches a cell staged twice (a temporary file left), a staged file's
// permissions taken from the earlier file it replaces, and a stray staged
// file kept.
func TestCounterexampleFilesStagedEarly(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "go--a.yaml")
	require.NoError(t, os.WriteFile(old, []byte("# a"+counterexampleMark+"go: earlier\n"), 0o600))

	cell := func(inv string, seed uint64) props.Cell {
		sc := props.GenScenario(sim.NewPCG(seed))
		return props.Cell{Profile: "go", Invariant: inv, Failure: &props.Failure{Invariant: inv, Profile: "go", Detail: "violated", GenSeed: seed, Original: sc, Shrunk: sc}}
	}
	m := props.Matrix{Profiles: []string{"go"}, Rows: []string{"a", "b", "holds"}}
	m.Cells = [][]props.Cell{{cell("a", 1)}, {cell("b", 2)}, {{Profile: "go", Invariant: "holds"}}}
	stray := cell("cut", 3) // a cell the matrix does not hold

	procs := runtime.GOMAXPROCS(0)
	f := newCounterexampleFiles(dir, 0)
	var wg sync.WaitGroup
	for _, c := range []props.Cell{m.Cells[0][0], m.Cells[1][0], m.Cells[2][0], m.Cells[0][0], stray} {
		wg.Go(func() { f.stage(c) })
	}
	wg.Wait()
	removeErr, writeErr := f.finish(m)
	require.NoError(t, removeErr)
	require.NoError(t, writeErr)
	require.Equal(t, procs, runtime.GOMAXPROCS(0), "GOMAXPROCS given back")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		info, err := e.Info()
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o644), info.Mode().Perm(), "%s as a new file", e.Name())
	}
	require.Equal(t, []string{"go--a.yaml", "go--b.yaml"}, got, "this matrix's counterexamples, nothing else")
	data, err := os.ReadFile(old)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "# a"+counterexampleMark+"go: violated\n"), "this run's:\n%s", data)
}

// TestCounterexampleFilesStagingError: a counterexample that cannot be
// staged fails finish with its error, and none of the others is renamed
// into place nor left staged (the earlier counterexamples are removed, as
// before a write). It catches a rename of the files staged before the
// error is looked at, and staged files left behind.
func TestCounterexampleFilesStagingError(t *testing.T) {
	dir := t.TempDir()
	sc := props.GenScenario(sim.NewPCG(1))
	good := props.Cell{Profile: "go", Invariant: "a", Failure: &props.Failure{Invariant: "a", Profile: "go", Shrunk: sc}}
	// A profile name with a separator puts the file in a directory that
	// does not exist.
	bad := props.Cell{Profile: "no/such", Invariant: "b", Failure: &props.Failure{Invariant: "b", Profile: "no/such", Shrunk: sc}}
	m := props.Matrix{Profiles: []string{"go", "no/such"}, Rows: []string{"a", "b"}, Cells: [][]props.Cell{{good, {}}, {{}, bad}}}
	f := newCounterexampleFiles(dir, 0)
	f.stage(good)
	removeErr, writeErr := f.finish(m)
	require.NoError(t, removeErr)
	require.ErrorContains(t, writeErr, "writing the counterexample "+filepath.Join(dir, "no/such--b.yaml"))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing renamed, nothing left staged")
}
