package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// TestReadTimeWhenTakenNotStarted: a message the executor takes off its
// queue records when it was read (Delivery.ArrivedAt) whether or not its
// callback starts: the callback's start writes the read time with its own
// (Ledger.start), and each path on which the taken message is not started
// writes it itself (queued.arrived). Messages 2 and 3 are read at 1 ms,
// behind message 1's 10 ms callback; the subscription is closed at 5 ms
// (unsubscribe), so the executor takes message 2 and drops it. It catches
// top's closed path not writing the read time (a dropped delivery with
// ArrivedAt NoTime). With an auto-unsubscribe limit at or under the count
// delivered (max 1 at 5 ms) the callback's return removes the
// subscription (afterCallback) before top takes another message: the
// case is here so that a change of that order is seen here too.
func TestReadTimeWhenTakenNotStarted(t *testing.T) {
	for name, action := range map[string]string{
		"closed": `{at: 5ms, unsubscribe: {sub: s}}`,
		"max":    `{at: 5ms, auto_unsubscribe: {sub: s, max: 1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			res := runUnder(t, &model.GoProfile, `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 10ms}}
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 3}}
  - `+action+`
`)
			require.Len(t, res.Ledger.Deliveries, 3)
			dropped := 0
			for _, d := range res.Ledger.Deliveries {
				require.NotEqual(t, model.NoTime, d.ArrivedAt, "delivery of message %d (%v, %s) has no read time", d.Msg, d.Fate, d.Reason)
				if d.Fate == model.DlvDropped {
					dropped++
				}
			}
			require.Equal(t, 2, dropped)
		})
	}
}
