package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
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
	require.Equal(t, model.ErrStaleConnection, idle.LastError)
	require.Equal(t, []string{"disconnected@60.000ms", "closed@60.000ms"}, connCallbacks(idle))

	require.Equal(t, model.NoTime, rec.ClosedAt)
	require.Equal(t, []string{"disconnected@60.000ms", "reconnected@110.200ms"}, connCallbacks(rec))
	h := res.Sub("r").Handled
	require.Len(t, h, 1)
	require.Equal(t, 1, h[0].Msg)

	require.Equal(t, ms(205.1), res.Sub("d").RemovedAt)
	require.Equal(t, ms(210.2), drainer.ClosedAt)
	require.False(t, drainer.DrainTimedOut)
	require.Empty(t, drainer.LastError)
	require.Equal(t, []string{"disconnected@210.200ms", "closed@210.200ms"}, connCallbacks(drainer))
}
