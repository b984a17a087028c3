package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tiedDrainFile is testdata/ties/tied-drain.yaml: a subscription drain and a
// publish of another connection that reach the server at the same instant.
func tiedDrainFile() string { return mustReadFile("../../testdata/ties/tied-drain.yaml") }

func writeScenario(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	return path
}

// TestCheckExhaustiveProves: a complete enumeration says "proved for N
// choice sequences" and exits 0; one stopped by --bound says "not a proof"
// and exits 3. Each invariant says how many sequences it applied to.
func TestCheckExhaustiveProves(t *testing.T) {
	file := writeScenario(t, "tied.yaml", tiedDrainFile())
	code, out, errOut := runCLI("check", "--exhaustive", file)
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "proved for 1 choice sequences (1 states, 11 events): every invariant holds on every one\n")
	require.Regexp(t, `ok +no-loss-under-drain +1 of 1`, out)
	require.Regexp(t, `n/a +queue-at-most-once +none: holds vacuously`, out)

	code, out, errOut = runCLI("check", file, "--exhaustive", "--ties")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "proved for 610 choice sequences (1186 states, 10070 events)")

	code, out, errOut = runCLI("check", "--exhaustive", "--ties", "--bound", "7", file)
	require.Equal(t, exitBoundReached, code, errOut+out)
	require.Contains(t, out, "bound reached after 7 choice sequences (")
	require.Contains(t, out, "not a proof: no invariant violated in those\n")
}

// TestCheckExhaustiveCounterexample: with a mutation whose bug only a tie
// order reaches, --exhaustive --ties prints the violation, the choices
// with their labels, and a scenario that drainsim run replays; with --out
// it writes the file and prints the replay command, which fails under
// the mutation and passes without it.
func TestCheckExhaustiveCounterexample(t *testing.T) {
	file := writeScenario(t, "tied.yaml", tiedDrainFile())
	code, out, errOut := runCLI("check", "--exhaustive", "--ties", "--mutation", "remove-sub-at-once", file)
	require.Equal(t, 1, code, errOut+out)
	require.Contains(t, out, "FAIL no-loss-under-drain violated (profile go, choice sequence 2 of the enumeration): msg 1 to s1 dropped (unknown_sid) at 2.000ms")
	require.Contains(t, out, "choices: ties/tie=0/2 ties/tie=0/3 ties/tie=0/3 ties/tie=0/2 ties/tie=1/2 ties/tie=0/2\n")
	require.Contains(t, out, "ties: permute\nchoices: [0, 0, 0, 0, 1]\n")
	require.Contains(t, out, "violation found after 2 choice sequences")

	cx := filepath.Join(t.TempDir(), "cx.yaml")
	code, out, errOut = runCLI("check", "--exhaustive", "--ties", "--mutation", "remove-sub-at-once", "--out", cx, file)
	require.Equal(t, 1, code, errOut+out)
	require.Contains(t, out, "counterexample written to "+cx+"; replay: drainsim run "+filepath.ToSlash(cx)+" --mutation remove-sub-at-once")
	data, err := os.ReadFile(cx)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "# FAIL no-loss-under-drain violated"), string(data))
	code, replay, errOut := runCLI("run", cx, "--mutation", "remove-sub-at-once")
	require.Equal(t, 1, code, errOut+replay)
	require.Regexp(t, `FAIL no-loss-under-drain`, replay)
	code, replay, errOut = runCLI("run", cx)
	require.Equal(t, 0, code, errOut+replay)
}

// TestCheckExhaustiveErrors: bad usage and a scenario with a continuous
// distribution exit 2 with one clear line.
func TestCheckExhaustiveErrors(t *testing.T) {
	file := writeScenario(t, "tied.yaml", tiedDrainFile())
	cont := writeScenario(t, "cont.yaml", strings.Replace(tiedDrainFile(), "latency: 1ms", `latency: "exp(1ms)"`, 1))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--exhaustive"}, "drainsim check --exhaustive: want one scenario FILE, got 0"},
		{[]string{"--exhaustive", file, file}, "want one scenario FILE, got 2"},
		{[]string{"--exhaustive", "--bound", "0", file}, "check: --bound 0: want at least 1"},
		{[]string{"--exhaustive", "--max-branch", "1", file}, "check: --max-branch 1: want at least 2"},
		{[]string{"--exhaustive", "--mutation", "nope", file}, "check: --mutation:"},
		{[]string{"--exhaustive", "--runs", "5", file}, "flag provided but not defined: -runs"},
		{[]string{"--exhaustive=false", file}, "--exhaustive=false: leave the flag out"},
		{[]string{"--exhaustive", cont}, "cont.yaml: network.latency: exp(1ms) is not a finite domain"},
		{[]string{"--exhaustive", "--out", file, file}, "drainsim does not overwrite its inputs"},
	} {
		code, out, errOut := runCLI(append([]string{"check"}, tt.args...)...)
		require.Equal(t, 2, code, "%v: %s%s", tt.args, errOut, out)
		require.Contains(t, errOut, tt.want, "%v", tt.args)
		require.Empty(t, out, "%v", tt.args)
	}
}

// mustReadFile returns the contents of a test data file, read by the
// test that needs it (so that go test's cache sees the file).
func mustReadFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}
