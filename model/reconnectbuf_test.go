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
	require.Equal(t, []string{"disconnected@10.000ms", "reconnected@146.930ms", "disconnected@212.000ms", "closed@212.000ms"}, connCallbacks(b))
	var handled []int
	for _, h := range res.Sub("s").Handled {
		handled = append(handled, h.Msg)
	}
	require.Equal(t, []int{5, 6, 7}, handled)
	require.Equal(t, ms(212), b.ClosedAt)
	require.False(t, b.DrainTimedOut)
}
