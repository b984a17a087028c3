package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/internal/update"
	"github.com/drainsim/drainsim/model"
)

// tenSlowMessages is props' measured loss case
// (docs/profiles/go.md#callback-outlives-the-close): ten queued messages, a
// 100 ms handler, a connection drain at 1 ms
// with a 300 ms timeout. Callbacks 1-4 run, the close cuts the 4th short,
// and 5-10 are dropped when the connection closes.
const tenSlowMessages = `name: loss
network: {latency: 250us}
clients: [{name: app, drain_timeout: 300ms}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 100ms}}]
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 10}}
  - {at: 1ms, drain: {client: app}}
`

// runStdin runs the command line with stdin reading in.
func runStdin(t *testing.T, in string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	old := stdin
	defer func() { stdin = old }()
	stdin = strings.NewReader(in)
	return runCLI(args...)
}

// TestRunStatesLoss: the summary and the JSON outcome state what the drain
// lost, per subscription and in total, as explore counts it (dropped plus
// cut). Fails if the loss is left out of either, or computed differently.
func TestRunStatesLoss(t *testing.T) {
	code, out, errOut := runStdin(t, tenSlowMessages, "run", "-", "--summary")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "subscription s (app, work, async): handled 4 [1-4], dropped 6 conn_closed:[5-10], removed by close at 301.500ms, lost to drain 7 (dropped [5-10], cut [4])\n")
	require.Contains(t, out, "\nlost to drains: 7 (dropped 6, cut 1)\n")

	code, out, errOut = runStdin(t, tenSlowMessages, "run", "-", "--format", "json")
	require.Equal(t, 0, code, errOut)
	var o model.Outcome
	require.NoError(t, json.Unmarshal([]byte(out), &o))
	require.Equal(t, &model.LossOutcome{Lost: 7, Dropped: 6, Cut: 1, Subscriptions: []model.SubLossOutcome{
		{ID: "s", Dropped: []int{5, 6, 7, 8, 9, 10}, Cut: []int{4}},
	}}, o.DrainLoss)

	// A clean drain: zero, and no subscription listed.
	code, out, _ = runCLI("run", "../../examples/conn-drain-slow-handler.yaml", "--format", "json")
	require.Equal(t, 0, code)
	require.Contains(t, out, `"drain_loss": {
    "lost": 0,
    "dropped": 0,
    "cut": 0,
    "subscriptions": []
  },`)
}

// TestFailOn: --fail-on decides exit status 1. Fails if loss never fails a
// run (the "drainsim run exits 0"), if a threshold is off by one,
// or if violations stop failing by default.
func TestFailOn(t *testing.T) {
	const lossy, clean = "../../examples/conn-drain-timeout.yaml", "../../examples/conn-drain-slow-handler.yaml"
	const violated = "../../examples/sub-drain.yaml" // with --mutation no-flush-barrier
	cases := []struct {
		args []string
		code int
		why  string
	}{
		{[]string{"run", lossy}, 0, ""}, // default: violation only; conn-drain-timeout loses its one message
		{[]string{"run", lossy, "--fail-on", "loss"}, 1, "messages lost to drains: 1 (dropped 0, cut 1), more than 0 (--fail-on loss)"},
		{[]string{"run", lossy, "--fail-on=loss>0", "--format", "json"}, 1, "more than 0"},
		{[]string{"run", lossy, "--fail-on", "loss>1"}, 0, ""},
		{[]string{"run", clean, "--fail-on", "loss"}, 0, ""},
		{[]string{"run", violated, "--mutation", "no-flush-barrier"}, 1, "invariant no-loss-under-drain violated (--fail-on violation)"},
		{[]string{"run", violated, "--mutation", "no-flush-barrier", "--fail-on", "loss"}, 1, "messages lost to drains: 2"},
		{[]string{"run", violated, "--mutation", "no-flush-barrier", "--fail-on", "loss>2"}, 0, ""},
		{[]string{"run", violated, "--mutation", "no-flush-barrier", "--fail-on", "none"}, 0, ""},
		{[]string{"run", violated, "--mutation", "no-flush-barrier", "--fail-on", "violation,loss"}, 1, "invariant no-loss-under-drain violated; messages lost to drains: 2"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(c.args...)
		require.Equal(t, c.code, code, "%v: %s", c.args, errOut)
		if c.why == "" {
			require.Empty(t, errOut, "%v", c.args)
		} else {
			require.Contains(t, errOut, c.why, "%v", c.args)
		}
	}
}

// TestUsageErrorsAreOneLine: bad --fail-on values, flags that do not apply
// to the format, and the arguments of commands that take none are refused
// with exit status 2 and one line naming the flag or argument.
func TestUsageErrorsAreOneLine(t *testing.T) {
	f := "../../examples/sub-drain.yaml"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", f, "--fail-on", "lost"}, `--fail-on: "lost": want a comma-separated list of violation, loss, loss>N, or none`},
		{[]string{"run", f, "--fail-on", "loss>-1"}, `--fail-on: "loss>-1": want loss>N`},
		{[]string{"run", f, "--fail-on", "loss>x"}, `--fail-on: "loss>x"`},
		{[]string{"run", f, "--fail-on", "violation,none"}, `"none" goes alone`},
		{[]string{"run", f, "--fail-on", ""}, `--fail-on: ""`},
		{[]string{"run", f, "--format", "json", "--summary"}, "run: --summary works only with --format text, not json"},
		{[]string{"run", f, "-v", "--format", "mermaid"}, "run: -v works only with --format text, not mermaid"},
		{[]string{"run", f, "--format", "xml"}, `run: --format "xml"`},
		{[]string{"mutations", "--bogus"}, "bogus"},
		{[]string{"mutations", "extra"}, `mutations: unexpected argument "extra"`},
		{[]string{"version", "extra"}, `version: unexpected argument "extra"`},
		{[]string{"help", "frob"}, `help: unknown command "frob"`},
		{[]string{"help", "run", "check"}, "help: want at most one command name"},
		{[]string{"frob"}, `unknown command "frob" (see drainsim help)`},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Empty(t, out, "%v", c.args)
		require.Contains(t, errOut, c.want, "%v", c.args)
		require.Equal(t, 1, strings.Count(errOut, "\n"), "%v: one line: %s", c.args, errOut)
	}
}

// TestRunReadsStdin: "-" reads the scenario from stdin, and errors name it.
func TestRunReadsStdin(t *testing.T) {
	data, err := os.ReadFile("../../examples/sub-drain.yaml")
	require.NoError(t, err)
	code, fromStdin, errOut := runStdin(t, string(data), "run", "-", "--format", "json")
	require.Equal(t, 0, code, errOut)
	_, fromFile, _ := runCLI("run", "../../examples/sub-drain.yaml", "--format", "json")
	require.Equal(t, strings.Replace(fromFile, `"file": "../../examples/sub-drain.yaml"`, `"file": "stdin"`, 1), fromStdin)

	code, _, errOut = runStdin(t, "name: x\nclients: [{name: a, drain_timeot: 1s}]\n", "run", "-")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "stdin:2: clients[0].drain_timeot")
}

// TestHelpCommand: 'drainsim help CMD' prints what 'CMD -h' prints (on
// stdout rather than stderr), for every command. Before, it printed the
// top-level help.
func TestHelpCommand(t *testing.T) {
	for name := range commands {
		code, out, errOut := runCLI("help", name)
		require.Equal(t, 0, code, "%s: %s", name, errOut)
		require.Empty(t, errOut, name)
		if name == "help" {
			require.Contains(t, out, "drainsim help [CMD]")
			continue
		}
		code, _, h := runCLI(name, "-h")
		require.Equal(t, 0, code, name)
		require.Equal(t, h, out, name)
		require.Contains(t, out, "usage: drainsim "+name, name)
	}
	code, out, _ := runCLI("help", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, out, "drainsim help [CMD]")
}

// TestVersion: 'drainsim version' prints the module version, VCS revision
// and time and the Go version from the build information.
func TestVersion(t *testing.T) {
	defer func(f func() (*debug.BuildInfo, bool)) { readBuildInfo = f }(readBuildInfo)
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/drainsim/drainsim", Version: "v0.3.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "d997606abc"}, {Key: "vcs.time", Value: "2026-12-06T23:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	code, out, _ := runCLI("version")
	require.Equal(t, 0, code)
	require.Equal(t, "drainsim github.com/drainsim/drainsim v0.3.0, revision d997606abc (modified), committed 2026-12-06T23:00:00Z, go1.26.8\n", out)

	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/drainsim/drainsim", Version: "(devel)"}}, true
	}
	_, out, _ = runCLI("version")
	require.Equal(t, "drainsim github.com/drainsim/drainsim (devel), go1.26.8\n", out)
}

// TestCompactVerdicts: a verdict that holds is one short line, id and ok
// (n/a when the run did not reach its situation); a failure adds its
// statement and detail; -v adds every statement.
// Fails if the statements come back by default (lines up to 643
// characters, as the issue measured).
func TestCompactVerdicts(t *testing.T) {
	f := "../../examples/rolling-replacement.yaml"
	_, out, _ := runCLI("run", f)
	_, inv, ok := strings.Cut(out, "\ninvariants:\n")
	require.True(t, ok)
	for _, line := range strings.Split(strings.TrimSuffix(inv, "\n"), "\n") {
		require.Regexp(t, `^  (ok  |n/a ) [a-z-]+$`, line)
	}
	_, verbose, _ := runCLI("run", f, "-v")
	require.Contains(t, verbose, "  ok   no-duplicates                      no message is handed to one subscription's application twice\n")

	code, out, _ := runCLI("run", "../../examples/sub-drain.yaml", "--mutation", "no-flush-barrier", "--summary")
	require.Equal(t, 1, code)
	require.Contains(t, out, "  FAIL no-loss-under-drain                a message committed to a subscription that is being drained")
	require.Contains(t, out, "  ok   no-duplicates\n")
	require.Contains(t, out, "  n/a  queue-at-most-once\n", "sub-drain has no queue group")
}

// TestRunTextGolden compares the text output of two runs with the files
// under testdata/run; -update rewrites them. The default shows the
// timeline, the summary with the loss and compact verdicts; --summary
// leaves out the timeline (fails if it prints a trace line).
func TestRunTextGolden(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
	}{
		{"conn-drain-slow-handler.txt", []string{"run", "../../examples/conn-drain-slow-handler.yaml"}},
		{"conn-drain-timeout-summary.txt", []string{"run", "../../examples/conn-drain-timeout.yaml", "--summary"}},
	}
	for _, c := range cases {
		_, out, errOut := runCLI(c.args...)
		require.Empty(t, errOut)
		path := filepath.Join("testdata", "run", c.golden)
		if update.Enabled() {
			require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, string(want), out, "%v differs from %s; rerun with -update if intended", c.args, path)
	}
	// The README shows the first golden as the output of its first command.
	sample, err := os.ReadFile(filepath.Join("testdata", "run", cases[0].golden))
	require.NoError(t, err)
	checkSection(t, "README.md", "sample", "```\n"+string(sample)+"```\n", "the sample output of `drainsim run examples/conn-drain-slow-handler.yaml` changed")
	_, summary, _ := runCLI("run", "../../examples/conn-drain-timeout.yaml", "--summary")
	require.True(t, strings.HasPrefix(summary, "scenario conn-drain-timeout "), summary)
	require.NotContains(t, summary, "callback.start")
}
