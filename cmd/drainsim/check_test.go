package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		{[]string{"check", "extra"}, `unexpected argument "extra"`},
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
