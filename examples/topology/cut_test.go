package topology_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// relinks returns when each of res's links connected again, as
// "server->peer@time".
func relinks(res *model.Result) []string {
	var out []string
	for _, ev := range res.Trace.Events() {
		if ev.Kind == "server.relink" {
			out = append(out, fmt.Sprintf("%s->%s@%s", ev.Actor, field(res, ev, "to"), ev.At))
		}
	}
	return out
}

// TestRouteCut is route-cut.yaml's exact outcome: message 11, on the
// route at the cut (100.5 ms), is dropped for both subscriptions
// (link_cut); messages 12 to 111, which b accepted before a's interest
// came back at 1101.5 ms, find no interest; the route connects again at
// 1100.5 ms, the first reconnect attempt after the 50 ms cut, and 112
// to 150 are handled again. (Breaks it catches: a cut that loses nothing
// in flight hands 11 to both; one that keeps the peer's interest, or
// reconnects when the cut ends, loses far fewer for no interest; one
// that never reconnects loses every message from 12 on.)
func TestRouteCut(t *testing.T) {
	res := run(t, load(t, "route-cut.yaml"))
	want := append(seq(1, 10), seq(112, 150)...)
	for _, s := range []string{"s", "q"} {
		require.Equal(t, want, handled(res.Sub(s)), s)
		require.Equal(t, map[string][]int{"link_cut": {11}}, drops(res, s), s)
	}
	require.Equal(t, seq(12, 111), noInterest(res))
	require.Equal(t, []string{"server/a->b@1100.500ms"}, relinks(res))
}

// seq returns from, from+1, ..., to.
func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// TestCutReconnectTimes checks when a cut link connects again: at the
// first 1 s reconnect attempt at or after the cut ends, on a route, a
// leaf connection and a gateway alike; a second cut holds it until its
// own attempt; a server down at that attempt connects it at its own
// reconnect, 1 s after it starts, and a server restarted during a cut
// waits for the cut's (its other links connect at its own). (Breaks it catches: reconnecting when the cut
// ends, 1 s after it ends, or letting a restart's reconnect ignore the
// cut.)
func TestCutReconnectTimes(t *testing.T) {
	const topo = `name: cut
seed: 1
network: {latency: 250us}
servers: [{name: a, cluster: east}, {name: b, cluster: east}, {name: x, cluster: west}, {name: l}]
routes: [{between: [a, b], latency: 1ms}]
gateways: [{between: [a, x], latency: 1ms}]
leafnodes: [{hub: b, spoke: l, latency: 1ms}]
clients: [{name: p}]
actions:
`
	cases := []struct {
		name, actions string
		want          []string
	}{
		{"route", "  - {at: 100ms, cut_link: {between: [b, a], for: 50ms}}\n", []string{"server/b->a@1100.000ms"}},
		{"exactly one attempt", "  - {at: 100ms, cut_link: {between: [a, b], for: 1s}}\n", []string{"server/a->b@1100.000ms"}},
		{"leaf", "  - {at: 100ms, cut_link: {between: [l, b], for: 1500ms}}\n", []string{"server/l->b@2100.000ms"}},
		{"gateway", "  - {at: 100ms, cut_link: {between: [a, x], for: 10ms}}\n", []string{"server/a->x@1100.000ms"}},
		{"second cut", "  - {at: 100ms, cut_link: {between: [a, b], for: 50ms}}\n  - {at: 600ms, cut_link: {between: [a, b], for: 600ms}}\n",
			[]string{"server/a->b@1600.000ms"}},
		{"server down at the attempt", "  - {at: 100ms, cut_link: {between: [a, b], for: 50ms}}\n  - {at: 1050ms, restart_server: {server: b, for: 100ms}}\n",
			[]string{"server/b->a@2150.000ms", "server/b->l@2150.000ms"}},
		{"restart during the cut", "  - {at: 50ms, restart_server: {server: b, for: 100ms}}\n  - {at: 100ms, cut_link: {between: [a, b], for: 2s}}\n",
			[]string{"server/b->l@1150.000ms", "server/a->b@2100.000ms"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := scenario.Parse("cut.yaml", []byte(topo+c.actions))
			require.NoError(t, err)
			require.Equal(t, c.want, relinks(run(t, sc)))
		})
	}
}
