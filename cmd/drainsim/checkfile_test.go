package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
)

const (
	ordersFile       = "../../examples/orders/orders.yaml"
	shortTimeoutFile = "../../examples/orders/orders-short-timeout.yaml"
)

// TestCheckFileOrders: check FILE passes the orders workload, and the
// same runs print the same report for any --workers.
func TestCheckFileOrders(t *testing.T) {
	code, out, errOut := runCLI("check", ordersFile, "--runs", "200", "--workers", "1")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "ok: "+ordersFile+", 200 runs (the file as written and 199 perturbations): no invariant violated, 5 expectations held")
	_, two, _ := runCLI("check", ordersFile, "--runs", "200", "--workers", "2")
	require.Equal(t, out, two)
}

// TestCheckFileShortTimeout is the acceptance from the command
// line: check FILE on the too-short timeout exits 1 and writes (--out) a
// counterexample within the file's bounds that `drainsim run` replays
// with exit 1, and the one-line command that does so; the report is
// byte-identical for any --workers.
func TestCheckFileShortTimeout(t *testing.T) {
	dir := t.TempDir()
	out1 := filepath.Join(dir, "cx.yaml")
	code, out, errOut := runCLI("check", shortTimeoutFile, "--runs", "50", "--out", out1, "--workers", "1")
	require.Equal(t, 1, code, errOut+out)
	require.Contains(t, out, "FAIL expect[2].drain_result failed (perturbation 1; shrunk to 1 choice away from the file)")
	require.Contains(t, out, "  changed: actions[1] drain at 505ms -> ")
	require.Contains(t, out, "counterexample written to "+out1+"; replay: drainsim run "+filepath.ToSlash(out1)+"\n")
	require.Contains(t, out, "--expect[4].no_async_error.yaml; replay: drainsim run ")

	orig, err := scenario.Load(shortTimeoutFile)
	require.NoError(t, err)
	cx, err := scenario.Load(out1)
	require.NoError(t, err)
	require.NoError(t, props.WithinBounds(orig, cx))
	code, replay, errOut := runCLI("run", out1, "--summary")
	require.Equal(t, 1, code, errOut+replay)
	require.Contains(t, replay, "FAIL expect[2].drain_result")
	require.Contains(t, errOut, "drainsim run: expectation expect[2].drain_result failed: ")

	// Without --out the counterexample is printed, and the same for two workers.
	code, printed, _ := runCLI("check", shortTimeoutFile, "--runs", "50", "--workers", "1")
	require.Equal(t, 1, code)
	_, printed2, _ := runCLI("check", shortTimeoutFile, "--runs", "50", "--workers", "2")
	require.Equal(t, printed, printed2)
	require.Contains(t, printed, "# expect[2].drain_result fails on this scenario")
}

// TestCheckFileVary: --vary replaces the file's bounds: with the drain's
// jitter switched off (and nothing else that moves it) the short timeout
// passes the runs that failed before.
func TestCheckFileVary(t *testing.T) {
	code, out, errOut := runCLI("check", shortTimeoutFile, "--runs", "30", "--vary", "{drain_jitter: {}, publish_jitter: {}, seed: false, latency: {min: 500us, max: 500us}, handler_time: {}, disconnects: {max: 0, at: {min: 0s, max: 0s}}}")
	require.Equal(t, 0, code, errOut+out)
	code, _, errOut = runCLI("check", shortTimeoutFile, "--vary", "{disconnects: {max: 1, at: {min: 0s, max: 1s}, clients: [nobody]}}")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `--vary:1: vary.disconnects.clients[0]: unknown client "nobody"`)
}

// TestCheckFileWithoutVary: a file without vary: runs once, as written,
// and says so.
func TestCheckFileWithoutVary(t *testing.T) {
	code, out, errOut := runCLI("check", "../../examples/conn-drain-slow-handler.yaml", "--runs", "50")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "has no vary: section, so the one run is the file as written")
	require.Contains(t, out, ", 1 run (the file as written): no invariant violated")
}

// TestCheckFileUsage: flags that apply only with or without FILE are
// refused in the other form, and a bad file is exit 2 with its error.
func TestCheckFileUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", ordersFile, "--matrix"}, "check: --matrix works only without a scenario FILE"},
		{[]string{"check", ordersFile, "--profile", "c"}, "check: --profile works only without a scenario FILE"},
		{[]string{"check", "--vary", "{seed: true}"}, "check: --vary works only with a scenario FILE"},
		{[]string{"check", ordersFile, "extra.yaml"}, `check: unexpected argument "extra.yaml"`},
		{[]string{"check", ordersFile, "--out", ordersFile}, "is the scenario file"},
	} {
		code, out, errOut := runCLI(c.args...)
		require.Equal(t, 2, code, "%v: %s%s", c.args, out, errOut)
		require.Contains(t, errOut, c.want, "%v", c.args)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\nexpect: [max_loss]\n"), 0o644))
	code, _, errOut := runCLI("check", bad)
	require.Equal(t, 2, code)
	require.True(t, strings.HasPrefix(errOut, "drainsim: "+bad+":2: expect[0]: "), errOut)
}

// TestRunExpect: run prints a verdict per expectation and exits 1 when
// one fails (but with --fail-on none), naming it on stderr in every format.
func TestRunExpect(t *testing.T) {
	code, out, errOut := runCLI("run", ordersFile, "--summary")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "expectations:\n  ok   expect[0].no_loss ")
	late := filepath.Join(t.TempDir(), "late.yaml")
	data, err := os.ReadFile(shortTimeoutFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(late, []byte(strings.Replace(string(data), "at: 505ms, drain", "at: 510ms, drain", 1)), 0o644))
	for _, format := range []string{"text", "json"} {
		code, out, errOut = runCLI("run", late, "--format", format)
		require.Equal(t, 1, code, format)
		require.Contains(t, errOut, "drainsim run: expectation expect[2].drain_result failed: the drain of client svc-a ended with result ok (line 32): the drain of client svc-a called at 510.000ms ended with timeout, not ok\n")
	}
	require.Contains(t, out, `"scenario": "orders-short-timeout"`) // json: the outcome, no verdict block
	code, _, errOut = runCLI("run", late, "--fail-on", "none")
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
}
