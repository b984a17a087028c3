package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// cancelledCallback is issue 11's double count: a connection drain whose
// 10 ms timeout runs out while app's 200 ms handler of message 1 runs, so
// the drain's close cancels that callback (CloseCancelsCallbacks); audit,
// on another connection, handles the same message.
const cancelledCallback = `
profile: %s
seed: 1
network: {latency: 250us}
clients: [{name: app, drain_timeout: 10ms}, {name: mon}]
subscriptions:
  - {id: updates, client: app, subject: updates, handler: {duration: 200ms}}
  - {id: audit, client: mon, subject: updates}
actions:
  - {at: 0s, publish: {client: app, subject: updates, count: 1}}
  - {at: 1ms, drain: {client: app}}
`

// TestCancelledCallbackCountedOnce: under the profiles whose close cancels
// callbacks (java, python) a cancelled callback's message has one fate,
// dropped (cancelled), in the ledger, the subscription's line and the
// totals alike. Before the fix the summary said, as the issue quotes it,
// "handled 1 [1], dropped 1 cancelled:[1]" for updates over totals of
// "deliveries 2, handled 1".
func TestCancelledCallbackCountedOnce(t *testing.T) {
	for _, prof := range []string{"java", "python"} {
		t.Run(prof, func(t *testing.T) {
			res := runYAML(t, strings.Replace(cancelledCallback, "%s", prof, 1))
			s := res.Sub("updates")
			require.Equal(t, 1, s.NumHandled(), "the callback of msg 1 started")
			d := res.Ledger.Deliveries[s.HandledAt(0).Delivery]
			require.Equal(t, model.DlvDropped, d.Fate)
			require.Equal(t, model.DropCancelled, d.Reason)

			o := res.Outcome()
			so := o.Subscriptions[0]
			require.Len(t, so.Delivered, 1, "delivered lists callbacks started, as the real libraries report them")
			require.True(t, so.Delivered[0].Cancelled, "and marks the one the close cancelled")
			require.False(t, o.Subscriptions[1].Delivered[0].Cancelled)
			require.Equal(t, 1, o.Messages.Handled)
			require.Equal(t, map[string]int{"cancelled": 1}, o.Messages.Dropped)

			var b strings.Builder
			require.NoError(t, o.WriteSummary(&b))
			require.Contains(t, b.String(), "subscription updates (app, updates, async): handled 0, dropped 1 cancelled:[1], removed by close")
			require.Contains(t, b.String(), "subscription audit (mon, updates, async): handled 1 [1], dropped 0\n")
			require.Contains(t, b.String(), "deliveries 2, handled 1\n")
		})
	}
}
