package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// noPanic runs the command line and fails the test on a panic.
func noPanic(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("%v: panic: %v", args, p)
		}
	}()
	return runCLI(args...)
}

// TestBadFlagSets: each bad set of flags is refused through the CLI entry
// with exit status 2 and one line on stderr that names the flag and what
// it wants, before any work; none panics. Before issue 11, --workers
// 1000000000 allocated a slot per worker (out of memory), --seeds 0 was
// taken as "unset", --out and --format without --matrix were ignored, and
// a shard of more shards than seeds ran empty; each case fails when its
// check is removed.
func TestBadFlagSets(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "shard.json")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"explore", exampleSweep, "--colour"}, "drainsim explore: flag provided but not defined: -colour (see drainsim explore -h)"},
		{[]string{"explore", exampleSweep, "--workers"}, "drainsim explore: flag needs an argument: -workers"},
		{[]string{"explore", exampleSweep, "--workers", "0"}, "--workers 0: want 1 to 1024"},
		{[]string{"explore", exampleSweep, "--workers", "-3"}, "--workers -3: want 1 to 1024"},
		{[]string{"explore", exampleSweep, "--workers", "1000000000"}, "--workers 1000000000: want 1 to 1024"},
		{[]string{"explore", exampleSweep, "--workers", "two"}, `invalid value "two" for flag -workers: parse error`},
		{[]string{"explore", exampleSweep, "--seeds", "-1"}, "--seeds -1: want 1 to 10000000"},
		{[]string{"explore", exampleSweep, "--seeds", "0"}, "--seeds 0: want 1 to 10000000"},
		{[]string{"explore", exampleSweep, "--seeds", "1000000000000000"}, "--seeds 1000000000000000: want 1 to 10000000"},
		{[]string{"explore", exampleSweep, "--seeds", "1e15"}, `invalid value "1e15" for flag -seeds`},
		{[]string{"explore", exampleSweep, "--target", "1.5"}, "--target: target 1.5 is not between"},
		{[]string{"explore", exampleSweep, "--target", "NaN"}, "--target: target NaN is not between"},
		{[]string{"explore", exampleSweep, "--target", "-0.1"}, "--target: target -0.1 is not between"},
		{[]string{"explore", exampleSweep, "--shard", "0/3", "--raw", raw}, `--shard: bad shard "0/3": want k/n with 1 <= k <= n`},
		{[]string{"explore", exampleSweep, "--shard", "4/3", "--raw", raw}, `bad shard "4/3"`},
		{[]string{"explore", exampleSweep, "--shard", "1/0", "--raw", raw}, `bad shard "1/0"`},
		{[]string{"explore", exampleSweep, "--shard", "x", "--raw", raw}, `bad shard "x"`},
		{[]string{"explore", exampleSweep, "--shard", "1/9999999999", "--raw", raw}, "--shard 1/9999999999: the sweep runs 4000 seeds per cell, fewer than 9999999999 shards"},
		{[]string{"explore", exampleSweep, "--shard", "1/2"}, "write it with --raw FILE"},
		{[]string{"explore", exampleSweep, "--shard", "1/2", "--raw", raw, "--csv", "y"}, "write it with --raw FILE (no --csv, --json or --svg)"},
		{[]string{"explore", exampleSweep, "--progress=maybe"}, `invalid boolean value "maybe" for -progress`},
		{[]string{"explore"}, "drainsim explore: want exactly one sweep file"},
		{[]string{"explore", exampleSweep, exampleSweep}, "want exactly one sweep file"},
		{[]string{"merge"}, "drainsim merge: want the --raw file of every shard"},
		{[]string{"merge", raw, "--shard", "1/2"}, "drainsim merge: flag provided but not defined: -shard"},
		{[]string{"merge", raw, "--target", "0.0000000001"}, "merge: --target: target 1e-10 is not between 1e-09 and 1"},
		{[]string{"check", "--runs", "0"}, "drainsim check: --runs 0: want at least 1"},
		{[]string{"check", "--runs", "-5"}, "--runs -5: want at least 1"},
		{[]string{"check", "--seed", "-1"}, `invalid value "-1" for flag -seed`},
		{[]string{"check", "--determinism", "-1"}, "--determinism -1: want 0 or more"},
		{[]string{"check", "--profile", "cobol"}, "check: --profile: unknown profile"},
		{[]string{"check", "--mutation", "nope"}, "check: --mutation: unknown mutation"},
		{[]string{"check", "--out", dir}, "check: --out " + dir + ": is a directory: want a file name"},
		{[]string{"check", "--workers", "0"}, "check: --workers 0: want 1 to 1024"},
		{[]string{"check", "--format", "markdown"}, "check: --format works only with --matrix"},
		{[]string{"check", "--matrix", "--format", "xml"}, `check: --format "xml": want text or markdown`},
		{[]string{"check", "--matrix", "--out"}, "flag needs an argument: -out"},
		{[]string{"check", "a.yaml", "extra"}, `check: unexpected argument "extra"`},
		{[]string{"run"}, "drainsim run: want exactly one scenario file"},
		{[]string{"run", "../../examples/sub-drain.yaml", "--seed", "x"}, `invalid value "x" for flag -seed`},
		{[]string{"profiles", "--format"}, "flag needs an argument: -format"},
	}
	require.GreaterOrEqual(t, len(cases), 21, "the issue tried 21 bad flag sets")
	for _, c := range cases {
		start := time.Now()
		code, out, errOut := noPanic(t, c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.want, "%v", c.args)
		require.Equal(t, 1, strings.Count(errOut, "\n"), "%v: one line: %q", c.args, errOut)
		require.True(t, strings.HasPrefix(errOut, "drainsim "), "%v: %q", c.args, errOut)
		require.Empty(t, out, "%v", c.args)
		require.Less(t, time.Since(start), 2*time.Second, "%v: refused before any work", c.args)
	}
	_, err := os.Stat(raw)
	require.True(t, errors.Is(err, os.ErrNotExist), "no output written")
}

// TestOutputsCheckedBeforeWork: an output that cannot be written, that
// is an input, or that another output also names is refused at once
// (exit 2, nothing run, no table printed), not after the sweep ran: the
// sweep here would take minutes. Before issue 11 each of these ran the
// whole sweep and then failed, or silently overwrote the input, or kept
// one of two outputs; each case fails when its check in planOutputs is
// removed.
func TestOutputsCheckedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	sweepCopy := filepath.Join(dir, "sweep.yaml")
	base, err := filepath.Abs("../../examples/request-timeout.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(sweepCopy, []byte("name: s\nscenario: "+base+"\nseeds: 100000\naxes: {drain_timeout: [1s, 2s]}\n"), 0o644))
	shard := filepath.Join(dir, "shard.json")
	require.NoError(t, os.WriteFile(shard, []byte("{}"), 0o644))
	link := filepath.Join(dir, "link.csv")
	require.NoError(t, os.Symlink(filepath.Join(dir, "out.csv"), link))
	ro := filepath.Join(dir, "ro")
	require.NoError(t, os.Mkdir(ro, 0o555))
	big := []string{"explore", sweepCopy}
	cases := []struct {
		args []string
		want string
	}{
		{append(big, "--csv", filepath.Join(dir, "no/such/dir/out.csv")), "drainsim explore: --csv " + dir + "/no/such/dir/out.csv: cannot write in directory " + dir + "/no/such/dir: no such file or directory"},
		{append(big, "--svg", "/dev/null/x.svg"), "--svg /dev/null/x.svg: cannot write there: not a directory"},
		{append(big, "--json", dir), "--json " + dir + ": is a directory: want a file name"},
		{append(big, "--json", "/dev/null"), "--json /dev/null: is not a regular file"},
		{append(big, "--csv", sweepCopy), "--csv " + sweepCopy + " is the sweep file (" + sweepCopy + "): drainsim does not overwrite its inputs"},
		{append(big, "--svg", base), "is the sweep's base scenario"},
		{append(big, "--csv", filepath.Join(dir, "a"), "--json", filepath.Join(dir, "a")), "--csv " + dir + "/a and --json " + dir + "/a are the same file: give each output its own"},
		{append(big, "--csv", filepath.Join(dir, "x/../b"), "--raw", filepath.Join(dir, "b")), "are the same file"},
		{append(big, "--csv", link, "--svg", filepath.Join(dir, "out.csv")), "are the same file"},
		{[]string{"merge", shard, "--raw", shard}, "drainsim merge: --raw " + shard + " is an input shard (" + shard + "): drainsim does not overwrite its inputs"},
		{[]string{"merge", shard, "--csv", "./" + filepath.Base(shard)}, "is an input shard"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases = append(cases, struct {
			args []string
			want string
		}{append(big, "--csv", filepath.Join(ro, "out.csv")), "cannot write in directory " + ro + ": permission denied"})
	}
	t.Chdir(dir) // for ./shard.json
	for _, c := range cases {
		start := time.Now()
		code, out, errOut := noPanic(t, c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.want, "%v", c.args)
		require.Equal(t, 1, strings.Count(errOut, "\n"), "%v: one line: %q", c.args, errOut)
		require.Empty(t, out, "%v", c.args)
		require.Less(t, time.Since(start), 2*time.Second, "%v: refused before any work", c.args)
	}
	data, err := os.ReadFile(shard)
	require.NoError(t, err)
	require.Equal(t, "{}", string(data), "the input is untouched")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.HasPrefix(e.Name(), ".drainsim"), "a temporary file left behind: %s", e.Name())
	}
}

// TestWriteFileAtomic: a write that fails half way leaves the existing
// file as it was, and no temporary file; one that succeeds replaces it
// and keeps its permissions. Writing in place (os.WriteFile) fails the
// first part: it truncated a 22 MB raw file to 0 bytes on Ctrl-C.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	require.NoError(t, os.WriteFile(path, []byte("old contents\n"), 0o600))
	err := writeFileAtomic(path, func(w io.Writer) error {
		fmt.Fprint(w, strings.Repeat("partial,", 10000))
		return errors.New("interrupted")
	})
	require.EqualError(t, err, "interrupted")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "old contents\n", string(data))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")

	require.NoError(t, writeFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new\n", string(data))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

// TestMatrixOut: without --out, check --matrix writes no counterexample
// (it used to fill ./drainsim-counterexamples); with --out it replaces
// the counterexamples of an earlier run (a stale one used to stay beside
// the new ones) and refuses, before running, a directory holding anything
// else, which it never removes.
func TestMatrixOut(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	args := []string{"check", "--matrix", "--profile", "node-v1", "--runs", "100"}
	code, out, errOut := noPanic(t, args...)
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "counterexamples not written (--out DIR writes them)")
	require.Contains(t, out, "counterexample not written (--out DIR writes it)")
	entries, err := os.ReadDir(cwd)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing written without --out")

	dir := filepath.Join(cwd, "cx")
	code, out, errOut = noPanic(t, append(args, "--out", dir)...)
	require.Equal(t, 0, code, errOut+out)
	first, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, first)
	stale := filepath.Join(dir, "go--gone-invariant.yaml")
	require.NoError(t, os.WriteFile(stale, []byte("# gone-invariant fails under profile go: old\nname: x\n"), 0o644))
	code, out, errOut = noPanic(t, append(args, "--out", dir)...)
	require.Equal(t, 0, code, errOut+out)
	again, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.Equal(t, first, again, "the stale counterexample is gone, the new ones are there")

	for _, foreign := range []string{"notes.txt", "mine.yaml", "a--b.yaml"} {
		p := filepath.Join(dir, foreign)
		require.NoError(t, os.WriteFile(p, []byte("keep me\n"), 0o644))
		start := time.Now()
		code, out, errOut = noPanic(t, "check", "--matrix", "--profile", "all", "--out", dir)
		require.Equal(t, 2, code, errOut+out)
		require.Contains(t, errOut, "drainsim check: --out "+dir+": counterexample directory holds "+foreign+", which drainsim did not write")
		require.Less(t, time.Since(start), 2*time.Second, "refused before the matrix runs")
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Equal(t, "keep me\n", string(data))
		require.NoError(t, os.Remove(p))
	}
}
