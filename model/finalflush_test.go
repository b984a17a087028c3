package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// Behaviours of issue 16 item 3, each with exact virtual times and a
// conformance scenario of the same name in testdata/conformance that
// agrees with nats.go (conformance.TestFinalFlushTimeout,
// TestTriggersOnRealStack).

// connCallbacks returns the connection's callbacks as "kind(error)@time".
func connCallbacks(r *model.Result, c *model.ConnRecord) []string {
	var out []string
	for _, cb := range c.Callbacks {
		s := r.Str(cb.Kind)
		if r.Str(cb.Error) != "" {
			s += "(" + r.Str(cb.Error) + ")"
		}
		out = append(out, s+"@"+cb.At.String())
	}
	return out
}

// TestFinalFlushTimesOutWithoutDisconnect: over a 3 s link the drain's
// barrier (10 s) returns after one 6 s round trip, the sub is removed at
// 6 s and DRAINING_PUBS follows at the next 10 ms poll; the final
// FlushTimeout(5 s) gets no PONG in time and fails with ErrTimeout at
// 11.01 s, reported to the async error callback ahead of the close (which
// happens anyway) and kept as the last error. A model that waited for the
// PONG (no final-flush timeout) would close at 12.01 s without the error.
func TestFinalFlushTimesOutWithoutDisconnect(t *testing.T) {
	res := runYAML(t, `
network: {latency: 3s}
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: work}]
actions:
  - {at: 0s, drain: {client: app}}
`)
	c := res.Conns[0]
	require.Equal(t, ms(6000), res.Subs[0].RemovedAt)
	require.Equal(t, ms(11010), c.ClosedAt)
	require.Equal(t, ms(11010), c.FinalFlushAt)
	require.Equal(t, model.ErrTimeout, res.Str(c.FinalFlushErr))
	require.Equal(t, model.ErrTimeout, res.Str(c.LastError))
	require.Equal(t, []string{"async_error(ErrTimeout)@11010.000ms", "disconnected@11010.000ms", "closed@11010.000ms"}, connCallbacks(res, c))
	require.False(t, c.DrainTimedOut)
}

// TestFinalFlushFailsOnClose: when the status becomes DRAINING_PUBS the
// application closes the connection (a trigger); the final flush, waiting
// for its PONG over a 20 ms link, fails with ErrConnectionClosed at once
// (75 ms). The error becomes the last error but never reaches the async
// error callback: Close queued the closed callback first, and nothing
// queued after it runs.
func TestFinalFlushFailsOnClose(t *testing.T) {
	res := runYAML(t, `
network: {latency: 20ms}
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 10ms}}]
actions:
  - {at: 0s, publish: {client: app, subject: work}}
  - {at: 25ms, drain: {client: app}}
  - after: {event: status, client: app, status: DRAINING_PUBS}
    close: {client: app}
`)
	c := res.Conns[0]
	require.Equal(t, []string{"close@75.000ms=ok"}, calls(res, "actions[2]"))
	require.Equal(t, ms(75), c.ClosedAt)
	require.Equal(t, model.ErrConnectionClosed, res.Str(c.FinalFlushErr))
	require.Equal(t, model.ErrConnectionClosed, res.Str(c.LastError))
	require.Equal(t, []string{"disconnected@75.000ms", "closed@75.000ms"}, connCallbacks(res, c))
}

// TestAutoUnsubscribeAfterDrainStarted: ten messages queued, the
// connection drains at 5 ms, and once the second callback is entered
// (12 ms) AutoUnsubscribe(4) is called: nats.go has no draining check, the
// limit applies, the sub removes itself when the fourth callback returns
// (42 ms) and the six messages still queued are dropped with it
// (sub_closed); the drain then completes at the next poll. A model that
// refused the call while draining would handle all ten.
func TestAutoUnsubscribeAfterDrainStarted(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 10ms}}]
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 10}}
  - {at: 5ms, drain: {client: app}}
  - after: {event: callback_start, sub: s, nth: 2}
    auto_unsubscribe: {sub: s, max: 4}
`)
	require.Equal(t, []string{"auto_unsubscribe@12.000ms=ok"}, calls(res, "actions[2]"))
	s := res.Subs[0]
	require.Equal(t, 4, s.NumHandled())
	require.Equal(t, ms(42), s.RemovedAt)
	require.Equal(t, "max", res.Str(s.RemovedBy))
	dropped := 0
	for _, d := range res.Ledger.Deliveries {
		if d.Fate == model.DlvDropped {
			require.Equal(t, model.DropSubClosed, d.Reason)
			require.Equal(t, ms(42), d.DroppedAt)
			dropped++
		}
	}
	require.Equal(t, 6, dropped)
	require.Equal(t, ms(47), res.Conns[0].ClosedAt)
}
