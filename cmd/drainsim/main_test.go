package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = mainWithArgs(args, &out, &errb)
	return code, out.String(), errb.String()
}

func examples(t *testing.T) []string {
	files, err := filepath.Glob("../../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func TestRunEveryExampleInEveryFormat(t *testing.T) {
	for _, f := range examples(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, errOut := runCLI("run", f)
			require.Equal(t, 0, code, errOut)
			require.Contains(t, out, "stopped:")
			require.Contains(t, out, "lost to drains:")
			require.Contains(t, out, "invariants:")

			code, out, errOut = runCLI("run", f, "--format", "json")
			require.Equal(t, 0, code, errOut)
			var o map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &o))
			for _, k := range []string{"scenario", "profile", "seed", "stop", "calls", "connections", "subscriptions", "messages", "drain_loss", "invariants"} {
				require.Contains(t, o, k)
			}
			conn := o["connections"].([]any)[0].(map[string]any)
			for _, k := range []string{"status", "async_errors", "disconnected_cb_ns", "closed_cb_ns", "last_error"} {
				require.Contains(t, conn, k)
			}
			sub := o["subscriptions"].([]any)[0].(map[string]any)
			for _, k := range []string{"delivered", "dropped"} {
				require.Contains(t, sub, k)
			}

			code, out, errOut = runCLI("run", "--format=ndjson", f)
			require.Equal(t, 0, code, errOut)
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var ev map[string]any
				require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
			}
		})
	}
}

func TestRunIsDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, f := range examples(t) {
		for _, format := range []string{"text", "json"} {
			runtime.GOMAXPROCS(1)
			_, a, _ := runCLI("run", f, "--format", format)
			runtime.GOMAXPROCS(2)
			_, b, _ := runCLI("run", f, "--format", format)
			_, c, _ := runCLI("run", f, "--format", format)
			require.Equal(t, a, b, "%s %s: GOMAXPROCS 1 vs 2", f, format)
			require.Equal(t, b, c, "%s %s: two runs", f, format)
		}
	}
}

func TestSeedFlagChangesDraws(t *testing.T) {
	f := "../../examples/rolling-replacement.yaml"
	_, a, _ := runCLI("run", f, "--format", "json")
	_, b, _ := runCLI("run", f, "--format", "json", "--seed", "2")
	require.NotEqual(t, a, b)
	require.Contains(t, b, `"seed": 2`)
}

func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "exactly one scenario file"},
		{[]string{"run", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"run", write("syntax.yaml", "name: [unclosed\n")}, "syntax.yaml:"},
		{[]string{"run", write("field.yaml", "name: x\nclients: [{name: a, drain_timeot: 1s}]\n")}, "drain_timeot"},
		{[]string{"run", write("dur.yaml", "name: x\nclients: [{name: a, drain_timeout: 10 seconds}]\n")}, "drain_timeout"},
		{[]string{"run", write("ref.yaml", "name: x\nclients: [{name: a}]\nactions: [{at: 0s, drain: {client: b}}]\n")}, "actions[0].drain.client"},
		{[]string{"run", write("prof.yaml", "name: x\nprofile: cobol\nclients: [{name: a}]\n")}, "unknown profile"},
		{[]string{"run", "../../examples/sub-drain.yaml", "--format", "xml"}, "--format"},
		{[]string{"run", "../../examples/sub-drain.yaml", "--mutation", "nope"}, "unknown mutation"},
		{[]string{"run", "../../examples/sub-drain.yaml", "--bogus"}, "bogus"},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.want, "%v", c.args)
	}
}

func TestMutationMakesRunFail(t *testing.T) {
	// Without the barrier the subscription is removed before its two
	// messages arrive, and they are dropped as unknown_sid.
	code, out, _ := runCLI("run", "../../examples/sub-drain.yaml", "--mutation", "no-flush-barrier")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL no-loss-under-drain")
	code, out, _ = runCLI("run", "../../examples/rolling-replacement.yaml", "--mutation", "drop-pending-on-drain")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL")
}

func TestListings(t *testing.T) {
	code, out, _ := runCLI("profiles")
	require.Equal(t, 0, code)
	require.Contains(t, out, "nats.go")
	code, out, _ = runCLI("mutations")
	require.Equal(t, 0, code)
	require.Contains(t, out, "no-flush-barrier")
	code, out, _ = runCLI("help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "drainsim run FILE")
}
