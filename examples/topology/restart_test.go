package topology_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// TestRestartDropsUntilRoutesResync is a restart in a cluster: a is down
// from 100 to 150 ms, the publisher is back on it at 230.638 ms (its
// reconnect_wait of 100 ms plus the drawn jitter) and publishes what it
// buffered and then one message every 10 ms; a knows no interest until
// its route to b connects at 1,150 ms and b's RS+ arrives 1 ms later.
// Messages 12 to 116 are dropped for no interest (#439); 11 was on the
// wire when a closed the connection. (Breaks it catches: a restarted
// server that keeps its routes' interest, or whose routes connect at
// once, loses nothing; one whose routes never connect again loses every
// message from 12 on.)
func TestRestartDropsUntilRoutesResync(t *testing.T) {
	res := run(t, load(t, "cluster-restart.yaml"))
	require.Equal(t, "CONNECTED@0.000ms RECONNECTING@100.250ms CONNECTED@230.638ms ", statuses(res.Conn("pub")))
	ni := noInterest(res)
	require.Len(t, ni, 105)
	require.Equal(t, 12, ni[0])
	require.Equal(t, 116, ni[len(ni)-1])
	require.Equal(t, model.MsgLostInFlight, res.Ledger.Message(11).Fate)
	h := handled(res.Sub("s"))
	require.Len(t, h, 94)
	require.Equal(t, 117, h[10], "the first message after b's interest reached a")
	for _, ev := range res.Trace.Events() {
		if ev.Kind == "server.relink" {
			require.Equal(t, "1150.000ms", ev.At.String(), "routes connect 1 s after the server is up")
		}
	}
}

// TestRestartAfterLameDuck is the whole rolling-restart step: a enters
// lame-duck mode, its clients move to b, it shuts down, and a
// restart_server brings it back; a client that then connects to a is
// served once the routes have re-sent their interest. (Breaks it
// catches: a restart that leaves a refusing clients as in lame-duck
// mode never reconnects the late client.)
func TestRestartAfterLameDuck(t *testing.T) {
	src := `name: ldm-then-restart
seed: 1
network: {latency: 250us}
servers: [{name: a, cluster: c}, {name: b, cluster: c}]
routes: [{mesh: c, latency: 1ms}]
clients:
  - {name: w, server: a, reconnect_servers: [b]}
  - {name: late, server: a, offline_until: 500ms, reconnect_wait: 100ms}
subscriptions:
  - {id: s, client: w, subject: x}
actions:
  - {at: 0s, lame_duck: {server: a, grace: 10ms, duration: 20ms}}
  - {at: 100ms, restart_server: {server: a, for: 100ms}}
  - {at: 2s, publish: {client: late, subject: x, count: 3}}
`
	sc, err := scenario.Parse("l.yaml", []byte(src))
	require.NoError(t, err)
	res := run(t, sc)
	require.Equal(t, "CONNECTED@0.000ms RECONNECTING@10.250ms CONNECTED@10.750ms ", statuses(res.Conn("w")))
	require.Equal(t, []int{1, 2, 3}, handled(res.Sub("s")))
	require.Equal(t, model.Connected, res.Conn("late").Status[len(res.Conn("late").Status)-1].Status)
}

// TestGatewayTallyResetLosesInterest kills the mutation
// gateway-tally-reset: east's server a restarts, and when its gateway to
// west's x connects again x must send the interest of the subscription
// that outlived the restart; with the tally forgotten, a never learns of
// it and every later message is dropped for no interest.
func TestGatewayTallyResetLosesInterest(t *testing.T) {
	src := `name: gw-restart
seed: 1
network: {latency: 250us}
servers: [{name: a, cluster: east}, {name: x, cluster: west}]
gateways: [{between: [a, x], latency: 5ms}]
clients:
  - {name: pub, server: a, reconnect_wait: 100ms}
  - {name: sub, server: x}
subscriptions:
  - {id: s, client: sub, subject: events}
actions:
  - {at: 1500ms, publish: {client: pub, subject: events, count: 10, interval: 10ms}}
  - {at: 100ms, restart_server: {server: a, for: 50ms}}
`
	sc, err := scenario.Parse("g.yaml", []byte(src))
	require.NoError(t, err)
	res := run(t, sc)
	require.Len(t, handled(res.Sub("s")), 10, "x re-sends its interest when the gateway connects again")
	res, err = model.Run(sc, model.Config{Mutations: model.MutationSet(0).With(model.GatewayTallyReset)})
	require.NoError(t, err)
	require.Empty(t, handled(res.Sub("s")), "with the tally reset, a never learns of s")
	require.Len(t, noInterest(res), 10)
}

// TestRestartDuringLameDuck: a restart_server during the grace period
// ends that lame-duck mode: the restarted server is not evicted from nor
// shut down by the evictions scheduled before, and serves the client
// that reconnects to it. (Breaks it catches: evictions and a shutdown
// that outlive the restart shut the new server down at 30 ms.)
func TestRestartDuringLameDuck(t *testing.T) {
	src := `name: restart-during-ldm
seed: 1
network: {latency: 250us}
servers: [{name: a, cluster: c}, {name: b, cluster: c}]
routes: [{mesh: c, latency: 1ms}]
clients:
  - {name: w, server: a, reconnect_wait: 5ms}
  - {name: p, server: b}
subscriptions:
  - {id: s, client: w, subject: x}
actions:
  - {at: 0s, lame_duck: {server: a, grace: 20ms, duration: 40ms}}
  - {at: 5ms, restart_server: {server: a, for: 1ms}}
  - {at: 2s, publish: {client: p, subject: x, count: 3}}
`
	sc, err := scenario.Parse("r.yaml", []byte(src))
	require.NoError(t, err)
	res := run(t, sc)
	for _, ev := range res.Trace.Events() {
		require.NotEqual(t, "server.shutdown", ev.Kind, "at %s", ev.At)
		require.NotEqual(t, "server.evict", ev.Kind, "at %s", ev.At)
	}
	require.Equal(t, []int{1, 2, 3}, handled(res.Sub("s")))
}
