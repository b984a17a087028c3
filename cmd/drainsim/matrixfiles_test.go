package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// TestMatrixFilesWriteAfterTheRemoval: matrixFiles removes the earlier
// counterexamples only once a cell is handed over (a matrix interrupted
// before its first scenario leaves the directory as it was), writes the
// violated cells' counterexamples, handed over from several goroutines at
// once, only after that removal, and leaves exactly this run's files. The
// earlier files are many (1,000) and one of them has the name of a new
// one, last in the directory's order, so that the removal reaches it well
// after its new file could be written. It catches a write that does not
// wait for the removal (the removal then takes the new go--zz.yaml: tried,
// caught in 9 runs of 10), a removal started before any cell (tried), and
// one never waited for.
func TestMatrixFilesWriteAfterTheRemoval(t *testing.T) {
	dir := t.TempDir()
	earlier := []string{"go--zz.yaml"}
	for i := range 1000 {
		earlier = append(earlier, fmt.Sprintf("go--old-%04d.yaml", i))
	}
	for _, name := range earlier {
		inv := strings.TrimSuffix(strings.TrimPrefix(name, "go--"), ".yaml")
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("# "+inv+counterexampleMark+"go: earlier\n"), 0o644))
	}
	files := newMatrixFiles(dir, 0)
	files.wait()
	names := func() []string {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		return got
	}
	require.Len(t, names(), len(earlier), "nothing handed over, nothing removed")

	var cells []props.Cell
	for i, inv := range []string{"zz", "new-a", "new-b", "new-c"} {
		sc := props.GenScenario(sim.NewPCG(uint64(i + 1)))
		cells = append(cells, props.Cell{Profile: "go", Invariant: inv,
			Failure: &props.Failure{Invariant: inv, Profile: "go", Detail: "violated", GenSeed: uint64(i + 1), Original: sc, Shrunk: sc}})
	}
	cells = append(cells, props.Cell{Profile: "go", Invariant: "holds"})
	var wg sync.WaitGroup
	for _, c := range cells {
		wg.Go(func() { files.cellDone(c) })
	}
	wg.Wait()
	files.wait()
	require.NoError(t, files.clear())
	var want []string
	for _, c := range cells[:4] {
		path, err := files.written(c)
		require.NoError(t, err)
		require.Equal(t, filepath.Join(dir, "go--"+c.Invariant+".yaml"), path)
		data, err := os.ReadFile(path)
		require.NoError(t, err, "%s is written", path)
		require.True(t, strings.HasPrefix(string(data), "# "+c.Invariant+counterexampleMark+"go: violated\n"), "%s is this run's:\n%s", path, data)
		want = append(want, filepath.Base(path))
	}
	slices.Sort(want)
	require.Equal(t, want, names(), "only this run's counterexamples")
}
