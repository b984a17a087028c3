package props

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// tenSlowMessages is the measured case of docs/profiles/go.md#callback-outlives-the-close:
// ten queued messages, a 100 ms handler, a connection drain at 1 ms.
func tenSlowMessages(t *testing.T, drainTimeout string) *model.Result {
	t.Helper()
	sc, err := scenario.Parse("loss.yaml", []byte(fmt.Sprintf(`
name: loss
network: {latency: 250us}
clients: [{name: app, drain_timeout: %s}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 100ms}}]
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 10}}
  - {at: 1ms, drain: {client: app}}
`, drainTimeout)))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{})
	require.NoError(t, err)
	return res
}

func TestDrainLossCountsATimeoutsDroppedRemainder(t *testing.T) {
	res := tenSlowMessages(t, "300ms")
	require.True(t, DrainTimeoutReported(res))
	lost := DrainLoss(res)
	var msgs []int
	for _, i := range lost {
		d := res.Ledger.Deliveries[i]
		require.Equal(t, model.DropConnClosed, d.Reason)
		msgs = append(msgs, int(d.Msg))
	}
	// Callbacks 1-4 ran (the 4th outlived the close); 5-10 were still queued.
	require.Equal(t, []int{5, 6, 7, 8, 9, 10}, msgs)
	require.Equal(t, 4, res.Sub("s").NumHandled())
}

func TestDrainInterruptedCountsTheCallbackTheCloseCut(t *testing.T) {
	res := tenSlowMessages(t, "300ms")
	closed := res.Conn("app").ClosedAt
	cut := DrainInterrupted(res)
	require.Len(t, cut, 1)
	d := res.Ledger.Deliveries[cut[0]]
	require.Equal(t, 4, int(d.Msg), "callback 4 was running when the connection closed")
	require.Less(t, d.StartedAt, closed)
	require.Greater(t, d.EndedAt, closed)
}

func TestDrainLossIgnoresACleanDrain(t *testing.T) {
	res := tenSlowMessages(t, "10s")
	require.False(t, DrainTimeoutReported(res))
	require.Empty(t, DrainLoss(res))
	require.Empty(t, DrainInterrupted(res))
	require.Equal(t, 10, res.Sub("s").NumHandled())
}

func TestDrainLossCountsOnlyDrainAnswerableDropsAfterTheDrain(t *testing.T) {
	cases := []struct {
		reason model.DropReason
		at     float64 // ms; the drain starts at 10 ms
		lost   bool
	}{
		{model.DropSubClosed, 20, true},
		{model.DropConnClosed, 10, true},
		{model.DropUnknownSid, 30, true},
		{model.DropRunEnded, 60, true},
		{model.DropConnClosed, 5, false}, // before the drain
		{model.DropSlowConsumer, 20, false},
		{model.DropMaxReached, 20, false},
		{model.DropDisconnect, 20, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s@%vms", c.reason, c.at), func(t *testing.T) {
			r := handMade()
			drained(r)
			dropped(r.Ledger, c.reason, ms(c.at))
			require.Equal(t, c.lost, len(DrainLoss(r)) == 1)
		})
	}
	t.Run("never drained", func(t *testing.T) {
		r := handMade()
		dropped(r.Ledger, model.DropConnClosed, ms(20))
		require.Empty(t, DrainLoss(r))
	})
}
