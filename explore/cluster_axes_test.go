package explore

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// handoffBase is examples/topology/cluster-queue-handoff.yaml with one
// triggered action added (actions[3]), for the at axis's refusals.
func handoffBase(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../examples/topology/cluster-queue-handoff.yaml")
	require.NoError(t, err)
	return string(data) + "  - {after: {event: callback_start, sub: q3, nth: 1}, close: {client: old}}\n"
}

// parseOn parses sweep with base as its scenario.
func parseOn(base, sweep string) (*Sweep, error) {
	return Parse("sweep.yaml", []byte(sweep), func(name string) (*scenario.Scenario, error) {
		return scenario.Parse(name, []byte(base))
	})
}

// TestRouteLatencyAndAtAxes checks that a cell sets every route's latency
// and the named actions' time, on its own copy of the base. It fails if
// apply changes the base's topology or action list in place (the cells
// would share them), or misses a route.
func TestRouteLatencyAndAtAxes(t *testing.T) {
	sw, err := parseOn(handoffBase(t), `
name: s
scenario: b.yaml
axes:
  route_latency: [1ms, "uniform(1ms,3ms)"]
  at: {from: 10ms, to: 14ms, count: 3, actions: [2]}
  drain_timeout: [1s]
`)
	require.NoError(t, err)
	require.Equal(t, []string{"10ms", "12ms", "14ms"}, labels(sw.Axes[1].Values))
	c := sw.cell([]int{1, 2, 0})
	require.Len(t, c.sc.Topology.Routes, 3, "a full mesh of three servers")
	for _, r := range c.sc.Topology.Routes {
		require.Equal(t, sim.Dist{Kind: sim.Uniform, A: time.Millisecond, B: 3 * time.Millisecond}, r.Latency)
	}
	require.Equal(t, 14*time.Millisecond, c.sc.Actions[2].At)
	require.Equal(t, 10*time.Millisecond, c.sc.Actions[1].At, "only the named action moves")
	require.Equal(t, sim.Const(2*time.Millisecond), sw.Base.Topology.Routes[0].Latency, "the base is untouched")
	require.Equal(t, 10*time.Millisecond, sw.Base.Actions[2].At)
}

func labels(vs []Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Label
	}
	return out
}

// TestAtAxisChangesLoss runs the hand-off with the drain of the old member
// at 10 ms (no wait: the scenario's nineteen route_no_fallback drops) and
// at 12.5 ms (a wait longer than the 2 ms route delay: none). It fails if
// the at value is parsed but not applied.
func TestAtAxisChangesLoss(t *testing.T) {
	sw, err := parseOn(handoffBase(t), `
name: s
scenario: b.yaml
seeds: 1
axes:
  at: {values: [10ms, 12500us], actions: [2]}
  drain_timeout: [1s]
`)
	require.NoError(t, err)
	res := run(t, sw, Options{Workers: 1})
	require.Equal(t, []int{19}, res.Cells[0].Lost)
	require.Equal(t, []int{0}, res.Cells[1].Lost)
}

// TestClusterAxesRefused: each mistake is refused with the sweep's file,
// line and field.
func TestClusterAxesRefused(t *testing.T) {
	head := "name: s\nscenario: b.yaml\naxes:\n  drain_timeout: [1s]\n"
	for _, tc := range []struct{ name, base, axis, field, msg string }{
		{"route_latency without servers", baseYAML, "route_latency: [1ms]", "axes.route_latency", "has no route links"},
		{"leaf_latency without leaf nodes", "", "leaf_latency: [1ms]", "axes.leaf_latency", "has no leaf links"},
		{"gateway_latency without gateways", "", "gateway_latency: [1ms]", "axes.gateway_latency", "has no gateway links"},
		{"wait without after_action", "", "wait: {values: [0s], actions: [2]}", "axes.wait.after_action", "name the action the wait counts from"},
		{"wait as a list", "", "wait: [0s, 1ms]", "axes.wait.actions", "name the actions"},
		{"wait after a triggered action", "", "wait: {values: [0s], actions: [2], after_action: 3}", "axes.wait.after_action", "triggered"},
		{"wait after a missing action", "", "wait: {values: [0s], actions: [2], after_action: 9}", "axes.wait.after_action", "has 4 actions"},
		{"wait after itself", "", "wait: {values: [0s], actions: [2], after_action: 2}", "axes.wait.after_action", "the wait counts from another action"},
		{"wait negative", "", "wait: {values: [-1ms], actions: [2], after_action: 1}", "axes.wait.values[0]", ""},
		{"wait past the longest time", "", "wait: {values: [1000h], actions: [2], after_action: 1}", "axes.wait", "after the longest scenario time"},
		{"wait and at on one action", "", "wait: {values: [0s], actions: [2], after_action: 1}\n  at: {values: [1ms], actions: [2]}", "axes", "set by both the wait and the at axis"},
		{"at moves the wait's reference", "", "wait: {values: [0s], actions: [2], after_action: 1}\n  at: {values: [1ms], actions: [1]}", "axes", "whose time the at axis sets"},
		{"route_latency negative", "", `route_latency: ["uniform(-1ms,1ms)"]`, "axes.route_latency[0]", ""},
		{"route_latency range", "", "route_latency: {from: 1ms, to: 2ms, count: 2}", "axes.route_latency.from", "unknown field"},
		{"route_latency targets", "", "route_latency: {values: [1ms], actions: [1]}", "axes.route_latency.actions", "unknown field"},
		{"at without actions", "", "at: [10ms]", "axes.at.actions", "name the actions"},
		{"at on a triggered action", "", "at: {values: [10ms], actions: [3]}", "axes.at.actions", "triggered"},
		{"at on a missing action", "", "at: {values: [10ms], actions: [4]}", "axes.at.actions", "has 4 actions"},
		{"at 2^63-1", "", "at: {values: [10ms], actions: [9223372036854775807]}", "axes.at.actions[0]", ""},
		{"at negative", "", "at: {values: [-1ms], actions: [2]}", "axes.at.values[0]", ""},
		{"at huge", "", "at: {values: [1001h], actions: [2]}", "axes.at.values[0]", ""},
		{"at repeated", "", "at: {values: [1ms, 1ms], actions: [2]}", "axes.at", "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.base
			if base == "" {
				base = handoffBase(t)
			}
			_, err := parseOn(base, head+"  "+tc.axis+"\n")
			require.Error(t, err)
			var se *scenario.Error
			require.ErrorAs(t, err, &se)
			require.Regexp(t, sweepErrLine, err.Error())
			require.Equal(t, tc.field, se.Field, "%v", err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

// TestWaitAxis checks that x: wait puts the wait axis last and that a cell
// sets the named action to the reference action's time plus the wait, on
// its own copy of the base. It fails if apply sets the wait as an absolute
// time (actions[2] at 2 ms, before q3 subscribes) or ignores x.
func TestWaitAxis(t *testing.T) {
	sw, err := parseOn(handoffBase(t), `
name: s
scenario: b.yaml
x: wait
axes:
  wait: {from: 0s, to: 4ms, count: 3, actions: [2], after_action: 1}
  route_latency: [1ms, 2ms]
  drain_timeout: [1s]
`)
	require.NoError(t, err)
	var names []string
	for _, a := range sw.Axes {
		names = append(names, a.Name)
	}
	require.Equal(t, []string{"route_latency", TimeoutAxis, WaitAxis}, names, "the x axis last")
	c := sw.cell([]int{0, 0, 1})
	require.Equal(t, 12*time.Millisecond, c.sc.Actions[2].At, "q3 subscribes at 10 ms, plus a 2 ms wait")
	require.Equal(t, 10*time.Millisecond, sw.Base.Actions[2].At, "the base is untouched")
	require.Equal(t, "from subscribe q3 (actions[1], at 10ms) to drain_sub q1 (actions[2])", sw.header().Wait)
}

// TestWaitAxisChangesLoss runs the hand-off with no wait (the scenario's
// nineteen route_no_fallback drops) and a 2.5 ms wait (longer than the
// 2 ms route delay: none), without a drain_timeout axis, which x: wait
// makes optional. It fails if the wait is parsed but not applied.
func TestWaitAxisChangesLoss(t *testing.T) {
	sw, err := parseOn(handoffBase(t), `
name: s
scenario: b.yaml
seeds: 1
x: wait
axes:
  wait: {values: [0s, 2500us], actions: [2], after_action: 1}
`)
	require.NoError(t, err)
	res := run(t, sw, Options{Workers: 1})
	require.Equal(t, []int{19}, res.Cells[0].Lost)
	require.Equal(t, []int{0}, res.Cells[1].Lost)
}

// TestLinkLatencyAxes checks that leaf_latency and gateway_latency set
// every link of their kind and nothing else, on the cell's own copy. It
// fails if a link axis picks the wrong list (e.g. gateway_latency setting
// the routes) or changes the base in place.
func TestLinkLatencyAxes(t *testing.T) {
	for _, tc := range []struct {
		file, axis string
		set, kept  func(*scenario.Topology) []scenario.Link
	}{
		{"leaf-queue-drain", "leaf_latency", func(t *scenario.Topology) []scenario.Link { return t.Leafnodes }, nil},
		{"supercluster-queue-drain", "gateway_latency", func(t *scenario.Topology) []scenario.Link { return t.Gateways },
			func(t *scenario.Topology) []scenario.Link { return t.Routes }},
	} {
		t.Run(tc.axis, func(t *testing.T) {
			data, err := os.ReadFile("../examples/topology/" + tc.file + ".yaml")
			require.NoError(t, err)
			sw, err := parseOn(string(data), "name: s\nscenario: b.yaml\naxes:\n  "+tc.axis+": [7ms]\n  drain_timeout: [1s]\n")
			require.NoError(t, err)
			c := sw.cell([]int{0, 0})
			require.NotEmpty(t, tc.set(c.sc.Topology))
			for _, l := range tc.set(c.sc.Topology) {
				require.Equal(t, sim.Const(7*time.Millisecond), l.Latency)
			}
			require.NotEqual(t, sim.Const(7*time.Millisecond), tc.set(sw.Base.Topology)[0].Latency, "the base is untouched")
			if tc.kept != nil {
				require.Equal(t, tc.kept(sw.Base.Topology), tc.kept(c.sc.Topology), "the other links are not set")
			}
		})
	}
}

// TestXRefused: a bad x is refused with the sweep's file, line and field.
func TestXRefused(t *testing.T) {
	for _, tc := range []struct{ name, sweep, field, msg string }{
		{"not an axis", "x: colour\naxes:\n  drain_timeout: [1s]\n", "x", `axis "colour" cannot be the x axis: want one of drain_timeout, at, wait, publish_rate`},
		{"an axis without a direction", "x: handler\naxes:\n  drain_timeout: [1s]\n", "x", "cannot be the x axis"},
		{"not in axes", "x: wait\naxes:\n  drain_timeout: [1s]\n", "x", `x names axis "wait", which axes: does not have`},
		{"a list", "x: [wait]\naxes:\n  drain_timeout: [1s]\n", "x", ""},
		{"at not increasing", "x: at\naxes:\n  at: {values: [12ms, 10ms], actions: [2]}\n", "axes.at", "values must increase"},
		{"no x and no drain_timeout", "axes:\n  at: {values: [10ms], actions: [2]}\n", "axes.drain_timeout", "missing required axis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseOn(handoffBase(t), "name: s\nscenario: b.yaml\n"+tc.sweep)
			require.Error(t, err)
			var se *scenario.Error
			require.ErrorAs(t, err, &se)
			require.Regexp(t, sweepErrLine, err.Error())
			require.Equal(t, tc.field, se.Field, "%v", err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}
