package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/stretchr/testify/require"
)

func TestCheckPassesOnTheUnmutatedModel(t *testing.T) {
	code, out, errOut := runCLI("check", "--runs", "300")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "ok: 300 scenarios run, no invariant violated")
	require.Contains(t, out, "msg-in-flight-at-unsub")
	require.NotContains(t, out, "never reached")

	code, out, errOut = runCLI("check", "--profile", "go", "--runs", "50", "--seed", "7")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "ok: 50 scenarios run")
}

// counterexample extracts the first scenario file `drainsim check` printed.
func counterexample(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "\n# ")
	require.True(t, ok, out)
	yaml, diagram, ok := strings.Cut("# "+rest, "```mermaid\n")
	require.True(t, ok, out)
	require.True(t, strings.HasPrefix(diagram, "sequenceDiagram\n"), diagram)
	return yaml
}

// TestCheckKillsEveryMutation is the acceptance test: for every mutation
// `drainsim mutations` lists, `drainsim check --mutation M --runs 2000`
// exits 1 and prints a shrunk counterexample that `drainsim run --mutation
// M` reproduces.
func TestCheckKillsEveryMutation(t *testing.T) {
	_, list, _ := runCLI("mutations")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	require.NotEmpty(t, lines)
	dir := t.TempDir()
	for _, line := range lines {
		m := strings.Fields(line)[0]
		t.Run(m, func(t *testing.T) {
			code, out, errOut := runCLI("check", "--runs", "2000", "--mutation", m)
			require.Equal(t, 1, code, errOut+out)
			require.Contains(t, out, "FAIL ")
			file := filepath.Join(dir, m+".yaml")
			require.NoError(t, os.WriteFile(file, []byte(counterexample(t, out)), 0o644))
			if strings.HasPrefix(out, "FAIL determinism") {
				return // a map-order leak shows only now and then, not in every run
			}
			code, replay, errOut := runCLI("run", file, "--mutation", m)
			require.Equal(t, 1, code, "the counterexample does not fail under drainsim run: %s%s\n%s", errOut, replay, out)
			require.Contains(t, replay, "FAIL")
		})
	}
}

func TestCheckBadUsageExitsTwo(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--runs", "0"}, "--runs 0"},
		{[]string{"check", "--profile", "cobol"}, "unknown profile"},
		{[]string{"check", "--mutation", "nope"}, "unknown mutation"},
		{[]string{"check", "--determinism", "-1"}, "--determinism"},
		{[]string{"check", "extra"}, `drainsim: extra: no such file or directory`}, // check FILE: a scenario file that is not there
		{[]string{"check", "a.yaml", "extra"}, `unexpected argument "extra"`},
		{[]string{"check", "--bogus"}, "bogus"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.want, "%v", c.args)
	}
}

func TestRunExportFormats(t *testing.T) {
	code, out, errOut := runCLI("run", "../../examples/sub-drain.yaml", "--format", "mermaid")
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasPrefix(out, "sequenceDiagram\n"), out)
	require.Contains(t, out, "PUB updates msg 1")

	code, out, errOut = runCLI("run", "../../examples/sub-drain.yaml", "--format", "chrome")
	require.Equal(t, 0, code, errOut)
	var trace struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &trace))
	require.NotEmpty(t, trace.TraceEvents)
}

// TestCheckIsTheSameForAnyWorkerCount: check, its counterexamples and the
// matrix with its files are byte-identical on 1 and 3 workers. It catches
// workers whose results are taken as they finish rather than in seed
// order (a different first failure, coverage counted past it, another
// counterexample kept by the matrix).
func TestCheckIsTheSameForAnyWorkerCount(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"check", "--profile", "all", "--runs", "100"},
		{"check", "--mutation", "duplicate-delivery", "--runs", "2000"},
		{"check", "--mutation", "no-flush-barrier", "--profile", "all", "--out", filepath.Join(dir, "{W}", "cx.yaml")},
		{"check", "--matrix", "--runs", "300", "--out", filepath.Join(dir, "{W}", "matrix")},
	} {
		var outs []string
		for _, w := range []string{"1", "3"} {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, w), 0o755))
			a := strings.Split(strings.ReplaceAll(strings.Join(args, "\x00"), "{W}", w), "\x00")
			code, out, errOut := runCLI(append(a, "--workers", w)...)
			require.Contains(t, []int{0, 1}, code, "%v: %s", a, errOut)
			outs = append(outs, strings.ReplaceAll(out, filepath.Join(dir, w), "DIR"))
		}
		require.Equal(t, outs[0], outs[1], "%v", args)
	}
	requireSameTree(t, filepath.Join(dir, "1"), filepath.Join(dir, "3"))
}

// requireSameTree fails unless directories a and b hold the same files
// with the same contents, their own paths aside.
func requireSameTree(t *testing.T, a, b string) {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(a, p)
			files = append(files, rel)
		}
		return err
	}))
	require.NotEmpty(t, files)
	for _, f := range files {
		x, y := read(t, filepath.Join(a, f)), read(t, filepath.Join(b, f))
		require.Equal(t, strings.ReplaceAll(x, a, "DIR"), strings.ReplaceAll(y, b, "DIR"), f)
	}
}

// TestCheckOutWritesTheCounterexample: with --out FILE, check writes the
// shrunk counterexample to FILE (a further violation of the same scenario
// to FILE--INVARIANT.yaml) instead of stdout, prints for each the one-line
// command that replays it, and that command fails the same way. It
// catches --out being ignored without --matrix (as before issue 13) and a
// replay line that does not replay.
func TestCheckOutWritesTheCounterexample(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cx.yaml")
	code, out, errOut := runCLI("check", "--mutation", "duplicate-delivery", "--runs", "2000", "--out", file)
	require.Equal(t, 1, code, errOut+out)
	require.NotContains(t, out, "actions:", "the scenario goes to the file, not stdout")
	require.Contains(t, out, "```mermaid\nsequenceDiagram\n", "the diagram stays on stdout")
	replays := regexp.MustCompile(`(?m)written to (\S+); replay: (drainsim run .*)$`).FindAllStringSubmatch(out, -1)
	require.Len(t, replays, 2, out)
	require.Equal(t, file, replays[0][1])
	require.Regexp(t, `cx--[a-z-]+\.yaml$`, replays[1][1])
	for _, r := range replays {
		require.Contains(t, read(t, r[1]), "# replay: "+r[2]+"\n")
		args := strings.Fields(r[2])
		require.Equal(t, []string{"drainsim", "run", r[1], "--mutation", "duplicate-delivery"}, args)
		code, replay, errOut := runCLI(args[1:]...)
		require.Equal(t, 1, code, "the replay command does not fail: %s%s", errOut, replay)
	}

	code, _, errOut = runCLI("check", "--out", dir)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--out "+dir+": is a directory")
}

// TestCheckProgress: --progress reports scenarios done, rate and time on
// stderr, and nothing is reported without it when stderr is not a
// terminal. It catches check running silent (as before issue 13).
func TestCheckProgress(t *testing.T) {
	code, out, errOut := runCLI("check", "--runs", "200", "--progress")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `(?m)^check: 200/200 scenarios \(100%\), \d+ scenarios/s, took [0-9.]+s\n$`, errOut)
	require.Contains(t, out, "ok: 200 scenarios run")

	code, _, errOut = runCLI("check", "--matrix", "--profile", "go", "--runs", "100", "--progress")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `(?m)^check: 100/100 scenarios \(100%\)`, errOut)

	code, _, errOut = runCLI("check", "--runs", "100")
	require.Equal(t, 0, code)
	require.Empty(t, errOut)
}

// TestMatrixCoversEveryProfileByDefault: --matrix without --profile has a
// column per profile, as docs/cli.md says, and prints the INFERRED heading
// only when a profile has inferred behaviours. It catches the default of
// go alone and the empty heading (both seen before issue 13).
func TestMatrixCoversEveryProfileByDefault(t *testing.T) {
	code, out, errOut := runCLI("check", "--matrix", "--runs", "30")
	require.Equal(t, 0, code, errOut)
	header := regexp.MustCompile(`(?m)^INVARIANT +(.*)$`).FindStringSubmatch(out)
	require.NotNil(t, header, out)
	require.Equal(t, model.ProfileNames(), strings.Fields(header[1]))
	require.Contains(t, out, "INFERRED behaviours")

	for _, format := range []string{"text", "markdown"} {
		code, out, errOut = runCLI("check", "--matrix", "--profile", "go", "--runs", "30", "--format", format)
		require.Equal(t, 0, code, errOut)
		require.NotContains(t, strings.ToLower(out), "inferred behaviours", "go has no inferred behaviour: no heading")
	}
}

// TestCheckTopology: `drainsim check --topology` runs generated
// topologies and finds nothing unmutated; with a cluster mutation it
// fails and prints a counterexample with servers that `drainsim run
// --mutation` replays; --topology is refused with a scenario FILE, and
// `drainsim mutations --cluster` lists the cluster mutations, which the
// plain listing leaves out.
func TestCheckTopology(t *testing.T) {
	code, out, errOut := runCLI("check", "--topology", "--runs", "300")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "ok: 300 scenarios run")

	code, out, errOut = runCLI("check", "--topology", "--runs", "2000", "--mutation", "no-rsub-fallback")
	require.Equal(t, 1, code, errOut+out)
	cx := counterexample(t, out)
	require.Contains(t, cx, "servers:")
	file := filepath.Join(t.TempDir(), "cx.yaml")
	require.NoError(t, os.WriteFile(file, []byte(cx), 0o644))
	code, replay, _ := runCLI("run", file, "--mutation", "no-rsub-fallback")
	require.Equal(t, 1, code, replay)

	code, _, errOut = runCLI("check", "../../examples/sub-drain.yaml", "--topology")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--topology works only without a scenario FILE")

	_, list, _ := runCLI("mutations", "--cluster")
	_, plain, _ := runCLI("mutations")
	for _, m := range model.ClusterMutations() {
		require.Contains(t, list, m.Name()+" ")
		require.NotContains(t, plain, m.Name())
	}
}
