package explore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// baseYAML is a small base scenario for parser tests: two clients, an async
// subscription whose handler makes a request, a sync one, and publishes
// before and after the drain.
const baseYAML = `
name: base
clients: [{name: app}, {name: svc}]
subscriptions:
  - {id: work, client: app, subject: work, handler: {duration: 1ms, actions: [{request: {subject: svc}}]}}
  - {id: answer, client: svc, subject: svc, handler: {duration: 1ms, actions: [{reply: {}}]}}
  - {id: tap, client: svc, subject: work, type: sync}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 10}}
  - {at: 5ms, drain: {client: app}}
  - {at: 9ms, publish: {client: svc, subject: work, count: 3}}
`

// parse parses a sweep whose scenario field names baseYAML (any name).
func parse(t testing.TB, sweep string) (*Sweep, error) {
	t.Helper()
	return Parse("sweep.yaml", []byte(sweep), func(name string) (*scenario.Scenario, error) {
		return scenario.Parse(name, []byte(baseYAML))
	})
}

func TestParseExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/sweeps/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		sw, err := Load(f)
		require.NoError(t, err, f)
		require.Contains(t, XAxes, sw.Axes[len(sw.Axes)-1].Name, "%s: the x axis comes last", f)
		require.NotEmpty(t, sw.Description, f)
	}
}

func TestParseAxesTargetsAndDefaults(t *testing.T) {
	sw, err := parse(t, `
name: s
scenario: base.yaml
axes:
  drain_timeout: [10ms, 1s]
  handler: {values: ["2ms", "exp(3ms)"]}
  backlog: [1, 100]
  publish_rate: {values: [1000], actions: [2]}
  request_timeout: [250ms]
  pending_msgs_limit: [-1, 10]
  pending_bytes_limit: [64KiB]
  latency: ["uniform(1ms,2ms)"]
  conn_drain_poll: [1ms]
  sub_drain_poll: [10ms]
  profile: [go]
`)
	require.NoError(t, err)
	var names []string
	for _, a := range sw.Axes {
		names = append(names, a.Name)
	}
	require.Equal(t, []string{"handler", "backlog", "publish_rate", "request_timeout", "pending_msgs_limit",
		"pending_bytes_limit", "latency", "conn_drain_poll", "sub_drain_poll", "profile", "drain_timeout"}, names)
	byName := func(n string) *Axis { return sw.Axes[indexOf(names, n)] }
	require.Equal(t, []string{"app", "svc"}, byName("drain_timeout").Clients)
	require.Equal(t, []string{"work", "answer"}, byName("handler").Subs, "every async subscription")
	require.Equal(t, []string{"work"}, byName("request_timeout").Subs, "the one whose handler makes a request")
	require.Equal(t, []string{"work", "answer", "tap"}, byName("pending_msgs_limit").Subs)
	require.Equal(t, []int{0}, byName("backlog").Actions, "the publish before the drain")
	require.Equal(t, []int{2}, byName("publish_rate").Actions)
	require.Equal(t, sim.Dist{Kind: sim.Exponential, A: 3 * time.Millisecond}, byName("handler").Values[1].Dist)
	require.Equal(t, float64(64<<10), byName("pending_bytes_limit").Values[0].Num)
	require.Equal(t, 2*2*2*2, sw.NumCells())
	require.Equal(t, DefaultTarget, sw.EffectiveTarget())
	require.Equal(t, RunsNeeded(DefaultTarget), sw.EffectiveSeeds(), "seeds default to what the target needs")

	// A cell applies every value to its own copy of the base.
	c := sw.cell([]int{1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1})
	require.Equal(t, time.Second, *c.sc.Client("svc").DrainTimeout)
	require.Equal(t, byName("handler").Values[1].Dist, c.sc.Sub("answer").Handler.Duration)
	require.Equal(t, 100, c.sc.Actions[0].Publish.Count)
	require.Equal(t, time.Millisecond, c.sc.Actions[2].Publish.Interval)
	require.Equal(t, 250*time.Millisecond, c.sc.Sub("work").Handler.Actions[0].Request.Timeout)
	require.Equal(t, 10, *c.sc.Sub("tap").PendingMsgsLimit)
	require.Equal(t, time.Millisecond, c.prof.ConnDrainPoll)
	require.Equal(t, 10*time.Millisecond, c.prof.SubDrainPoll)
	require.Nil(t, sw.Base.Client("svc").DrainTimeout, "the base is untouched")
	require.Equal(t, 10, sw.Base.Actions[0].Publish.Count)
	require.Equal(t, time.Second, sw.Base.Sub("work").Handler.Actions[0].Request.Timeout)
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

func TestParseRanges(t *testing.T) {
	labels := func(sweep string) []string {
		t.Helper()
		sw, err := parse(t, sweep)
		require.NoError(t, err)
		var out []string
		for _, v := range sw.Axes[len(sw.Axes)-1].Values {
			out = append(out, v.Label)
		}
		return out
	}
	require.Equal(t, []string{"10ms", "20ms", "30ms", "40ms", "50ms"},
		labels("{name: s, scenario: b, axes: {drain_timeout: {from: 10ms, to: 50ms, count: 5}}}"))
	require.Equal(t, []string{"100ms", "316ms", "1s", "3.16s", "10s"},
		labels("{name: s, scenario: b, axes: {drain_timeout: {from: 100ms, to: 10s, count: 5, scale: log}}}"))
	sw, err := parse(t, "{name: s, scenario: b, axes: {backlog: {from: 1, to: 1000, count: 4, scale: log}, drain_timeout: [1s]}}")
	require.NoError(t, err)
	require.Equal(t, []float64{1, 10, 100, 1000}, []float64{sw.Axes[0].Values[0].Num, sw.Axes[0].Values[1].Num, sw.Axes[0].Values[2].Num, sw.Axes[0].Values[3].Num})
}

// TestParseErrors: every mistake is an *scenario.Error naming the file, the
// line and the field, with the value found and what was wanted.
func TestParseErrors(t *testing.T) {
	const head = "name: s\nscenario: b.yaml\n"
	cases := []struct{ sweep, want string }{
		{"", "sweep.yaml:1: empty file"},
		{"[1, 2]", "sweep.yaml:1: want a mapping with the sweep's fields"},
		{"name: s\naxes: {drain_timeout: [1s]}\n", "sweep.yaml:1: scenario: missing required field"},
		{head + "seeds: 0\naxes: {drain_timeout: [1s]}\n", "sweep.yaml:3: seeds: must be at least 1, got 0"},
		{head + "seeds: many\naxes: {drain_timeout: [1s]}\n", `sweep.yaml:3: seeds: want an integer, got string "many"`},
		{head + "target: 2\naxes: {drain_timeout: [1s]}\n", `sweep.yaml:3: target: bad value "2": want a probability between 0 and 1`},
		{head + "colour: red\naxes: {drain_timeout: [1s]}\n", `sweep.yaml:3: colour: unknown field "colour"`},
		{head + "axes: {}\n", "sweep.yaml:3: axes.drain_timeout: missing required axis"},
		{head + "axes: {backlog: [5]}\n", "sweep.yaml:3: axes.drain_timeout: missing required axis"},
		{head + "axes:\n  drain_timeout: [1s, 100ms]\n", "sweep.yaml:4: axes.drain_timeout: values must increase: 100ms comes after 1s"},
		{head + "axes:\n  drain_timeout: [1s, 1s]\n", "value 1s appears twice"},
		{head + "axes:\n  drain_timeout: [1s]\n  handler: [1ms, 1ms]\n", "sweep.yaml:5: axes.handler: value 1ms appears twice"},
		{head + "axes:\n  drain_timeout: [soon]\n", `sweep.yaml:4: axes.drain_timeout[0]: bad duration "soon"`},
		{head + "axes:\n  drain_timeout: []\n", "sweep.yaml:4: axes.drain_timeout: no values"},
		{head + "axes:\n  drain_timeout: 1s\n", "sweep.yaml:4: axes.drain_timeout: want a list of values, or a mapping with values: or from:, to:, count:"},
		{head + "axes:\n  drain_timeout: {from: 1s, to: 2s}\n", "sweep.yaml:4: axes.drain_timeout.count: missing required field"},
		{head + "axes:\n  drain_timeout: {from: 2s, to: 1s, count: 3}\n", "range to 1s must be greater than from 2s"},
		{head + "axes:\n  drain_timeout: {from: 0s, to: 1s, count: 3, scale: log}\n", "a log range must start above 0"},
		{head + "axes:\n  drain_timeout: {from: 1ns, to: 3ns, count: 9}\n", "repeats"},
		{head + "axes:\n  drain_timeout: {from: 1s, to: 2s, count: 3, scale: cubic}\n", `axes.drain_timeout.scale: unknown scale "cubic": want linear or log`},
		{head + "axes:\n  drain_timeout: {values: [1s], from: 1s, to: 2s, count: 2}\n", "both values and a range"},
		{head + "axes:\n  drain_timeout: {values: [1s], clients: [nobody]}\n", `sweep.yaml:4: axes.drain_timeout.clients: unknown client "nobody" in scenario b.yaml`},
		{head + "axes:\n  drain_timeout: [1s]\n  handler: {values: [1ms], subs: [tap]}\n", `axes.handler.subs: subscription "tap" cannot take this axis: it is sync`},
		{head + "axes:\n  drain_timeout: [1s]\n  request_timeout: {values: [1ms], subs: [answer]}\n", `subscription "answer" cannot take this axis: its handler makes no request`},
		{head + "axes:\n  drain_timeout: [1s]\n  backlog: {values: [5], actions: [1]}\n", "axes.backlog.actions: actions[1] of scenario b.yaml is not a publish action"},
		{head + "axes:\n  drain_timeout: [1s]\n  backlog: [0]\n", "sweep.yaml:5: axes.backlog[0]: must be at least 1, got 0"},
		{head + "axes:\n  drain_timeout: [1s]\n  publish_rate: [0]\n", `axes.publish_rate[0]: bad rate "0"`},
		{head + "axes:\n  drain_timeout: [1s]\n  handler: {from: 1ms, to: 2ms, count: 2}\n", `axes.handler.from: unknown field "from"`},
		{head + "axes:\n  drain_timeout: [1s]\n  latency: {values: [1ms], subs: [work]}\n", `axes.latency.subs: unknown field "subs"`},
		{head + "axes:\n  drain_timeout: [1s]\n  profile: [rust]\n", `sweep.yaml:5: axes.profile[0]: unknown profile "rust"`},
		{head + "axes:\n  drain_timeout: [1s]\n  conn_drain_poll: [0s]\n", "axes.conn_drain_poll[0]: must be positive"},
		{head + "axes:\n  drain_timeout: [1s]\n  pending_msgs_limit: [0]\n", "axes.pending_msgs_limit[0]: must not be 0"},
		{head + "axes:\n  drain_timeout: [1s]\n  timeout: [1s]\n", `axes.timeout: unknown field "timeout"`},
		{head + "axes:\n  drain_timeout: {from: 1ms, to: 10s, count: 10000}\n  backlog: {from: 1, to: 10000, count: 10000}\n", "more than the limit"},
		// Issue 11: a backlog of 2^63-1 ran as a backlog of 1 (a float
		// round trip) labelled 9223372036854776000; integer axes are
		// bounded so that they stay exact.
		{head + "axes:\n  drain_timeout: [1s]\n  backlog: [9223372036854775807]\n", "sweep.yaml:5: axes.backlog[0]: 9223372036854775807 exceeds the maximum 1000000000 (allowed: 1 to 1000000000)"},
		{head + "axes:\n  drain_timeout: [1s]\n  backlog: {from: 1, to: 9223372036854775807, count: 2}\n", "axes.backlog.to: 9223372036854775807 exceeds the maximum 1000000000"},
		{head + "axes:\n  drain_timeout: [1s]\n  pending_msgs_limit: [-9223372036854775808]\n", "axes.pending_msgs_limit[0]: must be at least -1000000000"},
		{head + "axes:\n  drain_timeout: [1s]\n  pending_bytes_limit: [2TiB]\n", `axes.pending_bytes_limit[0]: size "2TiB" exceeds the maximum 1TiB`},
		{head + "axes:\n  drain_timeout: [1s, 3000000h]\n", `sweep.yaml:4: axes.drain_timeout[1]: duration "3000000h" exceeds the maximum 1000h`},
		{head + "axes:\n  drain_timeout: {from: 1s, to: 1001h, count: 3}\n", `axes.drain_timeout.to: duration "1001h" exceeds the maximum 1000h`},
		{head + "axes:\n  drain_timeout: [1s]\n  handler: [\"exp(3000000h)\"]\n", `axes.handler[0]: duration "exp(3000000h)" exceeds the maximum 1000h`},
		{head + "axes:\n  drain_timeout: {from: 1s, to: 2s, count: 10001}\n", "axes.drain_timeout.count: 10001 exceeds the maximum 10000 (allowed: 2 to 10000)"},
		{head + "axes:\n  drain_timeout: [1s]\n  backlog: {values: [5], actions: [9223372036854775807]}\n", "axes.backlog.actions[0]: 9223372036854775807 exceeds the maximum 999999"},
		{head + "seeds: 1000000000000000\naxes: {drain_timeout: [1s]}\n", "sweep.yaml:3: seeds: 1000000000000000 exceeds the maximum 10000000 (allowed: 1 to 10000000)"},
		{head + "seeds: 3\nfirst_seed: 18446744073709551615\naxes: {drain_timeout: [1s]}\n", "sweep.yaml:4: first_seed: first_seed 18446744073709551615 plus 3 seeds passes 2^64-1: want at most 18446744073709551613"},
	}
	for _, c := range cases {
		_, err := parse(t, c.sweep)
		require.Error(t, err, c.sweep)
		var se *scenario.Error
		require.True(t, errors.As(err, &se), "%T: %v", err, err)
		require.Contains(t, err.Error(), c.want, "sweep:\n%s", c.sweep)
	}
}

func TestLoadReportsTheScenarioFilesErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	write("bad.yaml", "name: b\nclients: [{name: app, drain_timeout: 5 minutes}]\n")
	write("nodrain.yaml", "name: b\nclients: [{name: app}]\n")
	write("sweep-base.yaml", "name: b\nscenario: bad.yaml\naxes: {drain_timeout: [1s]}\n")
	write("bad-utf8.yaml", "name: b\nclients:\n  - {name: \"a\xffb\"}\n")
	cases := []struct{ scenario, want string }{
		{"bad.yaml", "bad.yaml:2: clients[0].drain_timeout: bad duration"},
		{"missing.yaml", "missing.yaml: no such file or directory"},
		{"nodrain.yaml", "nodrain.yaml: the scenario never drains a connection"},
		{"sweep-base.yaml", "sweep-base.yaml is a sweep file (it has scenario: and axes:), not a scenario"},
		{"bad-utf8.yaml", "bad-utf8.yaml:3: invalid UTF-8 (byte 0xff at column 14)"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases = append(cases, struct{ scenario, want string }{"/dev/zero", "/dev/zero: file is larger than 16777216 bytes"})
	}
	for _, c := range cases {
		_, err := Load(write("sweep.yaml", "name: s\n\nscenario: "+c.scenario+"\naxes: {drain_timeout: [1s]}\n"))
		require.Error(t, err)
		// The sweep's file, line and field come first (they were lost
		// once: "nope.yaml: no such file or directory"), then the base's
		// own error, which stays in the chain.
		require.True(t, strings.HasPrefix(err.Error(), filepath.Join(dir, "sweep.yaml")+":3: scenario: "), err.Error())
		require.Contains(t, err.Error(), c.want)
		var se *scenario.Error
		require.ErrorAs(t, errors.Unwrap(err), &se, "the base's error is wrapped")
	}
	_, err := Load(filepath.Join(dir, "absent.yaml"))
	require.True(t, strings.HasSuffix(err.Error(), "absent.yaml: no such file or directory"), err.Error())
}

// TestIntegerAxesStayExact: the largest backlog is labelled and applied as
// written, and the last seed may be 2^64-1. It catches a count axis whose
// label comes from a rounded float, or an off-by-one in the seed check.
func TestIntegerAxesStayExact(t *testing.T) {
	sw, err := parse(t, "name: s\nscenario: b.yaml\nseeds: 3\nfirst_seed: 18446744073709551613\naxes:\n  drain_timeout: [1s]\n  backlog: [999999999, 1000000000]\n")
	require.NoError(t, err)
	var backlog *Axis
	for _, a := range sw.Axes {
		if a.Name == "backlog" {
			backlog = a
		}
	}
	require.NotNil(t, backlog)
	require.Equal(t, "999999999", backlog.Values[0].Label)
	require.Equal(t, "1000000000", backlog.Values[1].Label)
	c := sw.cell([]int{1, 0})
	require.Equal(t, 1_000_000_000, c.sc.Actions[backlog.Actions[0]].Publish.Count)
}
