package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// TestReconnectBufferOverflowAroundDrain (conformance scenario
// reconnect-buffer-overflow-drain): while reconnecting, publishes fill the
// 2500-byte reconnect buffer; the fourth 1000-byte one finds it at its
// limit (the check is on what is already buffered) and is refused with
// ErrReconnectBufExceeded. A drain while still reconnecting closes at once
// and the three buffered messages are never sent; after a reconnect (at
// 146.930 ms: reconnect wait plus the drawn jitter) they are sent before a
// later drain, which completes normally. It catches a model without the
// limit (four buffered), one counting the new message too (only two
// buffered), and one that sends the buffer on a drain while reconnecting.
func TestReconnectBufferOverflowAroundDrain(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients:
  - {name: a, reconnect_buf_size: 2500}
  - {name: b, reconnect_buf_size: 2500, reconnect_wait: 50ms}
  - {name: sink}
subscriptions:
  - {id: s, client: sink, subject: work, handler: {duration: 1ms}}
  - {id: t, client: b, subject: other}
actions:
  - {at: 10ms, disconnect: {client: a, for: 1s}}
  - {at: 10ms, disconnect: {client: b, for: 20ms}}
  - {at: 20ms, publish: {client: a, subject: work, size: 1000, count: 4}}
  - {at: 20ms, publish: {client: b, subject: work, size: 1000, count: 4}}
  - {at: 40ms, drain: {client: a}}
  - {at: 200ms, drain: {client: b}}
`)
	refused := []string{"publish=ok", "publish=ok", "publish=ok", "publish=ErrReconnectBufExceeded"}
	require.Equal(t, refused, results(res, "actions[2]"))
	require.Equal(t, refused, results(res, "actions[3]"))
	require.Equal(t, []string{"drain=ErrConnectionReconnecting"}, results(res, "actions[4]"))
	a, b := res.Conns[0], res.Conns[1]
	require.Equal(t, ms(40), a.ClosedAt)
	for id := 1; id <= 3; id++ {
		require.Equal(t, model.MsgLostUnsent, res.Ledger.Message(id).Fate, "a's buffered message %d", id)
	}
	require.Equal(t, []string{"disconnected@10.000ms", "reconnected@146.930ms", "disconnected@212.000ms", "closed@212.000ms"}, connCallbacks(res, b))
	var handled []int
	for _, h := range res.Sub("s").Handled() {
		handled = append(handled, h.Msg)
	}
	require.Equal(t, []int{5, 6, 7}, handled)
	require.Equal(t, ms(212), b.ClosedAt)
	require.False(t, b.DrainTimedOut)
}

// TestSubDrainBarrierTimesOut (conformance scenario
// sub-drain-barrier-timeout): over a 6 s link the subscription drain's
// Flush(10 s) times out at 15 s; its error is ignored and the empty
// subscription is removed at once. Message 1 reached the server before the
// UNSUB, so the server sent it; it arrives at 16.5 s and is dropped for an
// unknown sid: the barrier's timeout loses it. It catches a model whose
// barrier waits for its PONG (the message would be handled and the sub
// removed at 17 s) or has no timeout.
func TestSubDrainBarrierTimesOut(t *testing.T) {
	res := runYAML(t, `
network: {latency: 6s}
clients: [{name: app}, {name: pub}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 1ms}}
actions:
  - {at: 4500ms, publish: {client: pub, subject: work}}
  - {at: 5s, drain_sub: {sub: s}}
`)
	s := res.Sub("s")
	require.Equal(t, ms(15000), s.RemovedAt)
	require.Equal(t, ms(11000), s.UnsubProcessedAt)
	require.Zero(t, s.NumHandled())
	d := res.Ledger.Deliveries[0]
	require.Equal(t, model.DropUnknownSid, d.Reason)
	require.Equal(t, ms(16500), d.DroppedAt)
}

// TestCallbackOutlivesClosePublishes (conformance scenario
// callback-outlives-close-publishes): callbacks still running when their
// connection closes (a's Close at 50 ms; b's timed-out drain at 62 ms)
// reply and publish at 102 ms: both refused with ErrConnectionClosed, and
// the closed handler runs as the callback returns. It catches a model that
// lets a closed connection's callback publish (ReplyUnchecked-like), or
// that ends the callback at the close.
func TestCallbackOutlivesClosePublishes(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients:
  - {name: a}
  - {name: b, drain_timeout: 50ms}
  - {name: pub}
subscriptions:
  - id: sa
    client: a
    subject: work.a
    handler: {duration: 100ms, actions: [{reply: {}}, {publish: {subject: out}}]}
  - id: sb
    client: b
    subject: work.b
    handler: {duration: 100ms, actions: [{reply: {}}, {publish: {subject: out}}]}
  - {id: sink, client: pub, subject: out}
actions:
  - {at: 0s, publish: {client: pub, subject: work.a, reply: answers, count: 2}}
  - {at: 0s, publish: {client: pub, subject: work.b, reply: answers, count: 2}}
  - {at: 10ms, drain: {client: b}}
  - {at: 50ms, close: {client: a}}
`)
	require.Equal(t, ms(50), res.Conns[0].ClosedAt)
	require.Equal(t, ms(62), res.Conns[1].ClosedAt)
	for _, src := range []string{"sa#1", "sb#1"} {
		require.Equal(t, []string{"reply@102.000ms=ErrConnectionClosed", "publish@102.000ms=ErrConnectionClosed"}, calls(res, src))
		require.Equal(t, ms(102), res.Sub(src[:2]).ClosedHandlerAt)
	}
	require.Zero(t, res.Sub("sink").NumHandled())
}
