package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// TestDrainDuringFirstConnect (conformance scenario
// drain-during-first-connect): both clients start RECONNECTING, their
// first connect having failed (offline_until, nats.go's
// RetryOnFailedConnect). early's drain at 30 ms, while its first connect
// is still in progress, returns ErrConnectionReconnecting and closes at
// once: a closed callback only, LastError ErrNoServers. late's network is
// up at 20 ms; its reconnect attempt at 50 ms connects (52 ms, one round
// trip) without a reconnected callback, sends its SUB, handles the message
// published at 100 ms and drains normally. It catches a model that ignores
// offline_until (both CONNECTED at 0, the drain succeeds), one that calls
// the reconnected callback on the first connect, and one whose first
// connect does not send the subscriptions (nothing handled).
func TestDrainDuringFirstConnect(t *testing.T) {
	res := runCorpus(t, "drain-during-first-connect.yaml", goWith(func(p *model.Profile) { p.ReconnectJitter = 0 }))
	early, late := res.Conn("early"), res.Conn("late")

	require.Equal(t, []string{"drain=ErrConnectionReconnecting"}, results(res, "actions[0]"))
	require.Equal(t, []model.StatusChange{{At: 0, Status: model.Reconnecting}, {At: ms(30), Status: model.Closed}}, early.Status)
	require.Equal(t, []string{"closed@30.000ms"}, connCallbacks(res, early))
	require.Equal(t, model.ErrNoServers, res.Str(early.LastError))

	require.Equal(t, []model.StatusChange{{At: 0, Status: model.Reconnecting}, {At: ms(52), Status: model.Connected},
		{At: ms(150), Status: model.DrainingSubs}, {At: ms(160), Status: model.DrainingPubs}, {At: ms(162), Status: model.Closed}}, late.Status)
	require.Equal(t, []string{"disconnected@162.000ms", "closed@162.000ms"}, connCallbacks(res, late))
	require.Equal(t, []int{1}, handled(res, "l"))
	require.Equal(t, ms(102), res.Sub("l").HandledAt(0).Start)
}
