package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestStaleConnectionAroundDrain (conformance scenario
// stale-connection-drain): three links stall from 5 ms. idle's PINGs at
// 20 and 40 ms go unanswered and at 60 ms it is stale: closed with
// ErrStaleConnection (reconnect off). rec is stale at 60 ms too, reconnects
// at 110.2 ms (50 ms wait, one round trip) after its stall ended, and
// handles the message published at 150 ms. drainer, draining from 10 ms,
// has no PING timer any more: nothing comes back until its stall ends at
// 205 ms, and the drain then completes (closed at 210.2 ms). It
// catches a model without the timer (idle and rec never stale), one whose
// timer keeps running while draining (drainer stale at 60 ms), one with an
// off-by-one in max_pings_out (stale at 40 or 80 ms), and a stall that
// loses what it holds or lets it through (PONGs would keep idle alive).
func TestStaleConnectionAroundDrain(t *testing.T) {
	// Without reconnect jitter, as the conformance runner plays it.
	res := runCorpus(t, "stale-connection-drain.yaml", goWith(func(p *model.Profile) { p.ReconnectJitter = 0 }))
	idle, rec, drainer := res.Conn("idle"), res.Conn("rec"), res.Conn("drainer")

	require.Equal(t, ms(60), idle.ClosedAt)
	require.Equal(t, model.ErrStaleConnection, res.Str(idle.LastError))
	require.Equal(t, []string{"disconnected@60.000ms", "closed@60.000ms"}, connCallbacks(res, idle))

	require.Equal(t, model.NoTime, rec.ClosedAt)
	require.Equal(t, []string{"disconnected@60.000ms", "reconnected@110.200ms"}, connCallbacks(res, rec))
	h := res.Sub("r")
	require.Equal(t, 1, h.NumHandled())
	require.Equal(t, 1, h.HandledAt(0).Msg)

	require.Equal(t, ms(205.1), res.Sub("d").RemovedAt)
	require.Equal(t, ms(210.2), drainer.ClosedAt)
	require.False(t, drainer.DrainTimedOut)
	require.Empty(t, res.Str(drainer.LastError))
	require.Equal(t, []string{"disconnected@210.200ms", "closed@210.200ms"}, connCallbacks(res, drainer))
}

// TestNatsGoOnlyClientOptions: ping_interval, max_pings_out and
// offline_until model nats.go's PING timer and RetryOnFailedConnect; under
// another library's profile the file is refused with the client's line
// and the field (a model that accepted them would give that library
// nats.go's timer), and under go-1.53 they run.
func TestNatsGoOnlyClientOptions(t *testing.T) {
	for _, field := range []string{"ping_interval: 1s", "max_pings_out: 3", "offline_until: 1s"} {
		name, _, _ := strings.Cut(field, ":")
		sc, err := scenario.Parse("c.yaml", []byte("name: c\nprofile: python\nclients:\n  - {name: app, "+field+"}\n"))
		require.NoError(t, err)
		_, err = model.Run(sc, model.Config{})
		require.ErrorContains(t, err, "c.yaml:4: clients[0]."+name+": profile python (")
	}
	sc, err := scenario.Parse("c.yaml", []byte("name: c\nprofile: go-1.53\nclients:\n  - {name: app, ping_interval: 1s, max_pings_out: 3, offline_until: 1s}\n"))
	require.NoError(t, err)
	_, err = model.Run(sc, model.Config{})
	require.NoError(t, err)
}

// TestPingTimerEndsWhenIdle: nats.go pings for ever, but once nothing else
// can happen the model's timer stops and the run ends quiescent (a run
// with ping_interval used to run into its time budget). A stall with
// nothing in flight is not idle: the lone client's PINGs at 20 and 40 ms
// go unanswered and it is stale at 60 ms. It catches a timer that never
// stops (time budget) and an idleness test that ignores the stall (no
// stale connection).
func TestPingTimerEndsWhenIdle(t *testing.T) {
	res := runYAML(t, `
clients: [{name: app, ping_interval: 20ms}]
`)
	require.Equal(t, model.NoTime, res.Conn("app").ClosedAt)
	res = runYAML(t, `
clients: [{name: app, ping_interval: 20ms, allow_reconnect: false}]
actions:
  - {at: 5ms, stall: {client: app, for: 1s}}
`)
	require.Equal(t, ms(60), res.Conn("app").ClosedAt)
	require.Equal(t, model.ErrStaleConnection, res.Str(res.Conn("app").LastError))
}

// TestZeroPingIntervalArmsNoTimer: a client whose PingInterval is set to
// 0 (a scenario built in code; a file's ping_interval must be positive)
// has no PING timer, as one without the option: the run is the same,
// event for event. Catches a Conn that tells whether the timer runs from
// the option being set rather than from its interval (h26clients' pings
// flag), which pings at every instant until the world is idle.
func TestZeroPingIntervalArmsNoTimer(t *testing.T) {
	src := "name: z\nprofile: go-1.53\nclients:\n  - {name: app}\nsubscriptions:\n  - {id: s, client: app, subject: x}\n" +
		"actions:\n  - {at: 0s, publish: {client: app, subject: x, count: 3}}\n  - {at: 1ms, drain: {client: app}}\n"
	events := func(interval *time.Duration) uint64 {
		sc, err := scenario.Parse("z.yaml", []byte(src))
		require.NoError(t, err)
		sc.Clients[0].PingInterval = interval
		res, err := model.Run(sc, model.Config{})
		require.NoError(t, err)
		require.Equal(t, sim.Quiescent, res.Stop.Reason)
		return res.Stop.Events
	}
	zero := time.Duration(0)
	require.Equal(t, events(nil), events(&zero))
}
