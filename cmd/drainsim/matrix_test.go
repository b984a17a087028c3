package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/internal/update"
	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/props"
)

// checkSection compares the generated section name of file (a path from
// the module root, e.g. "docs/matrix.md") with want, or with -update
// rewrites it (see package internal/update).
func checkSection(t *testing.T, file, name, want, stale string) {
	t.Helper()
	path := filepath.Join("..", "..", filepath.FromSlash(file))
	if update.Enabled() {
		require.NoError(t, update.WriteSection(path, name, want))
		return
	}
	got, err := update.Section(path, name)
	require.NoError(t, err)
	require.Equal(t, got, want, "%s is stale: %s, or rerun this test with -update", file, stale)
}

// TestProfilesTableMatchesDocs: the profile table of docs/profiles.md is exactly
// what `drainsim profiles --format markdown` prints, and the terminal table
// lists every profile and every knob.
func TestProfilesTableMatchesDocs(t *testing.T) {
	code, md, errOut := runCLI("profiles", "--format", "markdown")
	require.Equal(t, 0, code, errOut)
	checkSection(t, "docs/profiles.md", "profiles", md, "rerun drainsim profiles --format markdown")

	code, text, errOut := runCLI("profiles")
	require.Equal(t, 0, code, errOut)
	header := strings.Fields(strings.SplitN(text, "\n", 2)[0])
	require.Equal(t, append([]string{"KNOB"}, model.ProfileNames()...), header)
	for _, k := range model.Knobs() {
		require.Contains(t, text, "\n"+k.Field+" ", "knob %s", k.Field)
		require.Contains(t, md, "| `"+k.Field+"` |", "knob %s", k.Field)
	}
	for _, name := range model.ProfileNames() {
		p, _ := model.LookupProfile(name)
		require.Contains(t, text, p.Library)
		for _, inf := range p.Inferred {
			require.Contains(t, text, "INFERRED:  "+inf.ID)
		}
	}
}

// TestMatrix is the acceptance test of the verdict matrix: `drainsim check
// --profile all --matrix` exits 0, shows exactly the known violations (none
// unexpected, none unreproduced), prints what docs/matrix.md shows, writes the
// counterexamples committed in examples/matrix, and `drainsim run` replays
// each violation.
func TestMatrix(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cx")
	code, out, errOut := runCLI("check", "--profile", "all", "--matrix", "--out", dir, "--format", "markdown")
	require.Equal(t, 0, code, errOut+out)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| `") {
			require.NotContains(t, line, "NEW[", "an unexpected violation")
			require.NotContains(t, line, "ok?[", "a known violation not reproduced")
		}
	}
	slash := filepath.ToSlash(dir)
	// docs/matrix.md links each counterexample relative to docs/.
	md := strings.ReplaceAll(out, "]("+slash, "](../examples/matrix")
	checkSection(t, "docs/matrix.md", "matrix", strings.ReplaceAll(md, slash, "examples/matrix"),
		"rerun drainsim check --profile all --matrix --out examples/matrix --format markdown")

	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	if update.Enabled() {
		old, err := filepath.Glob("../../examples/matrix/*.yaml")
		require.NoError(t, err)
		for _, f := range old {
			require.NoError(t, os.Remove(f))
		}
		for _, f := range files {
			got, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join("../../examples/matrix", filepath.Base(f)),
				[]byte(strings.ReplaceAll(string(got), slash, "examples/matrix")), 0o644))
		}
	}
	require.Len(t, files, len(props.KnownViolations()), "one counterexample per known violation")
	for _, k := range props.KnownViolations() {
		name := k.Profile + "--" + k.Invariant + ".yaml"
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, "no counterexample for %s", name)
		committed, err := os.ReadFile(filepath.Join("../../examples/matrix", name))
		require.NoError(t, err)
		require.Equal(t, string(committed), strings.ReplaceAll(string(got), slash, "examples/matrix"), "examples/matrix/%s is stale", name)
		if k.Inferred != "" {
			require.Contains(t, string(got), "rests on the profile's inferred behaviour "+k.Inferred)
		}

		code, replay, errOut := runCLI("run", filepath.Join(dir, name))
		require.Equal(t, 1, code, "%s: %s", name, errOut)
		require.Contains(t, replay, "FAIL "+k.Invariant+" ", name)
		code, js, _ := runCLI("run", filepath.Join(dir, name), "--format", "json")
		require.Equal(t, 1, code)
		p, _ := model.LookupProfile(k.Profile)
		for _, inf := range p.Inferred {
			require.Contains(t, js, `"id": "`+inf.ID+`"`, "%s: the JSON outcome flags the profile's inferred behaviours", name)
		}
	}
}

// TestMatrixText: the terminal matrix names each counterexample's path
// and marks inferred violations; a violation no profile is known for makes
// the command exit 1 and is replayed with its mutation.
func TestMatrixText(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI("check", "--profile", "node-v1", "--matrix", "--runs", "100", "--out", dir)
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "INVARIANT")
	require.Contains(t, out, "R[1]", "node-v1's lost messages: N1-M1, seen on node-nats 1.4.12 (R: seen on the real library)")
	require.Contains(t, out, "drainsim run "+filepath.ToSlash(filepath.Join(dir, "node-v1--no-loss-under-drain.yaml")))

	code, out, errOut = runCLI("check", "--profile", "csharp-v1", "--matrix", "--runs", "100", "--out", dir)
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "I[1]", "csharp-v1's early removal rests on the inferred CS-M4")
	require.Contains(t, out, "INFERRED behaviours")

	code, out, errOut = runCLI("check", "--profile", "go", "--matrix", "--runs", "300", "--out", dir, "--mutation", "no-flush-barrier")
	require.Equal(t, 1, code, errOut+out)
	require.Contains(t, out, "NEW[1]")
	file := filepath.Join(dir, "go--no-loss-under-drain.yaml")
	require.Contains(t, out, "drainsim run "+filepath.ToSlash(file)+" --mutation no-flush-barrier")
	code, replay, _ := runCLI("run", file, "--mutation", "no-flush-barrier")
	require.Equal(t, 1, code)
	require.Contains(t, replay, "FAIL no-loss-under-drain")
}

// TestCheckSkipsKnownViolations: a plain check of a profile leaves its
// known violations out and says so.
func TestCheckSkipsKnownViolations(t *testing.T) {
	code, out, errOut := runCLI("check", "--profile", "node-v1", "--runs", "200")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "not checked: closed-callback under node-v1")
	require.Contains(t, out, "ok: 200 scenarios run")
}

func TestMatrixAndProfilesBadUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--matrix", "--format", "xml"}, "--format"},
		{[]string{"check", "--matrix", "--runs", "0"}, "--runs 0"},
		{[]string{"check", "--matrix", "--runs", "50", "--profile", "node-v1", "--out", "/dev/null/x"}, "counterexample directory"},
		{[]string{"profiles", "--format", "xml"}, "--format"},
		{[]string{"profiles", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.want, "%v", c.args)
	}
}

// TestRunFlagsInferred: the text summary of a run under a profile with
// inferred behaviours names them; under nats.go it names none.
func TestRunFlagsInferred(t *testing.T) {
	code, out, errOut := runCLI("run", "../../examples/profiles/csharp-v1-drain-reconnecting.yaml")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "INFERRED (profile csharp-v1, not yet checked against the library): drain-reconnecting (docs/profiles/csharp-v1.md#drain-while-reconnecting-proceeds)")
	code, out, errOut = runCLI("run", "../../examples/profiles/go.yaml", "--format", "json")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `"profile_inferred": []`)
	require.NotContains(t, out, "INFERRED")
}

// clusterMatrixRuns is the --runs of the cluster matrix that
// docs/cluster.md shows: enough to reach the clusters' corner
// cases in a test's time, not to reproduce every known violation.
const clusterMatrixRuns = "2000"

// TestMatrixTopology: `drainsim check --profile all --matrix --topology`
// exits 0 (every violation on generated topologies is a known one of its
// profile), says so in its heading, and prints what docs/cluster.md
// shows; the one-server heading stays as it was. (Break it catches: a
// cluster condition dropped from an invariant shows a NEW cell and exit 1.)
func TestMatrixTopology(t *testing.T) {
	code, out, errOut := runCLI("check", "--profile", "all", "--matrix", "--topology", "--runs", clusterMatrixRuns, "--format", "markdown")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "on generated topologies")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| `") {
			require.NotContains(t, line, "NEW[", "an unexpected violation on a cluster")
		}
	}
	checkSection(t, "docs/cluster.md", "cluster-matrix", out,
		"rerun drainsim check --profile all --matrix --topology --runs "+clusterMatrixRuns+" --format markdown")

	code, out, errOut = runCLI("check", "--profile", "go", "--matrix", "--runs", "50")
	require.Equal(t, 0, code, errOut+out)
	require.NotContains(t, out, "topolog")
}

// TestMatrixTopologyMutation: the cluster matrix takes a cluster mutation,
// names it in its heading and in each replay command, and shows the
// violation it causes as NEW (exit 1).
func TestMatrixTopologyMutation(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI("check", "--profile", "go", "--matrix", "--topology", "--runs", "300", "--mutation", "no-rsub-fallback", "--out", dir)
	require.Equal(t, 1, code, errOut+out)
	require.Contains(t, out, "on generated topologies (1-4 servers: routes, gateways, a leaf spoke), mutation no-rsub-fallback")
	require.Contains(t, out, "NEW[")
	require.Contains(t, out, "--mutation no-rsub-fallback")
	file := filepath.Join(dir, "go--queue-drain-no-loss.yaml")
	code, replay, _ := runCLI("run", file, "--mutation", "no-rsub-fallback")
	require.Equal(t, 1, code, replay)
	require.Contains(t, replay, "FAIL queue-drain-no-loss")
}
