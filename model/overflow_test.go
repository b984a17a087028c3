package model_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// huge is a duration that scenario files refuse (it exceeds
// scenario.MaxDuration) but a scenario built in code may still carry: 50
// minutes after the start of a run it reaches past the end of the clock.
const huge = 2562047 * time.Hour

// parseThen parses src and lets edit set what a file may not.
func parseThen(t *testing.T, src string, edit func(*scenario.Scenario)) *model.Result {
	t.Helper()
	sc, err := scenario.Parse("inline.yaml", []byte(src))
	require.NoError(t, err)
	edit(sc)
	res, err := model.Run(sc, model.Config{Trace: true})
	require.NoError(t, err)
	return res
}

// TestHugeDrainTimeoutDoesNotWrap is the reproducer of issue 11: a
// drain_timeout of 2562047h at t = 50 min wrapped the deadline to
// -9223371873709.551ms, so the drain "timed out" after 0.5 ms and dropped
// the message its handler was working on. It fails when sim.Time.Add wraps
// around, or when the final flush's remaining time is computed by plain
// addition.
func TestHugeDrainTimeoutDoesNotWrap(t *testing.T) {
	for _, profile := range []string{"go", "java", "python", "c"} {
		t.Run(profile, func(t *testing.T) {
			res := parseThen(t, `name: huge-drain-timeout
profile: `+profile+`
limits: {max_time: 2h}
clients: [{name: app, drain_timeout: 1h}]
subscriptions: [{id: s, client: app, subject: a, handler: {duration: 1s}}]
actions:
  - {at: 50m, publish: {client: app, subject: a}}
  - {at: 50m1ms, drain: {client: app}}
`, func(sc *scenario.Scenario) {
				d := huge
				sc.Clients[0].DrainTimeout = &d
			})
			require.Equal(t, sim.Quiescent, res.Stop.Reason)
			c := res.Conns[0]
			require.False(t, c.DrainTimedOut, "the drain timed out")
			require.Greater(t, c.ClosedAt, sim.Time(50*time.Minute+time.Second), "closed before the handler finished")
			require.True(t, c.DrainDeadline == model.NoTime || c.DrainDeadline > c.DrainCalledAt,
				"deadline %s before the drain call %s", c.DrainDeadline, c.DrainCalledAt)
			require.Equal(t, 1, res.Subs[0].NumHandled())
			for _, d := range res.Ledger.Deliveries {
				require.NotEqual(t, model.DlvDropped, d.Fate, "a delivery was dropped: %+v", d)
			}
		})
	}
}

// TestHugeDisconnectDoesNotWrap is the reproducer of issue 11: a
// disconnect for 2562047h at t = 50 min set the end of the outage to a
// wrapped, negative time, so the client reconnected after 2 s. It fails
// when sim.Time.Add wraps around.
func TestHugeDisconnectDoesNotWrap(t *testing.T) {
	res := parseThen(t, `name: huge-disconnect
limits: {max_time: 1h}
clients: [{name: app, max_reconnect: -1}]
actions:
  - {at: 50m, disconnect: {client: app, for: 1h}}
`, func(sc *scenario.Scenario) { sc.Actions[0].Disconnect.For = huge })
	require.Equal(t, sim.TimeBudget, res.Stop.Reason)
	for _, cb := range res.Conns[0].Callbacks {
		require.NotEqual(t, "reconnected", res.Str(cb.Kind), "reconnected at %s while the network was down for %v", cb.At, huge)
	}
	require.Equal(t, model.Reconnecting, res.Conns[0].Status[len(res.Conns[0].Status)-1].Status)
}
