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
		{"route_latency without servers", baseYAML, "route_latency: [1ms]", "axes.route_latency", "has no routes"},
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
