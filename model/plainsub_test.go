package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// plainScenario is one plain subscription (no queue group, no limit, no
// bandwidth) and ten messages to it, then the actions extra.
func plainScenario(t *testing.T, extra string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("plain.yaml", []byte(`
name: plain
seed: 1
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions: [{id: s, client: app, subject: work}]
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 10}}
`+extra))
	require.NoError(t, err)
	return sc
}

// TestPlainSubCountsDeliveries: routing to a plain subscription
// (serverSub.plain) counts what it commits (nm), so that an
// auto-unsubscribe limit that the count has reached when its UNSUB
// arrives removes the subscription at once. The limit is set before the
// client has read any message (the publishes reach the server at 1 ms,
// the client at 2 ms), so the UNSUB carries it. Catches deliverPlains
// without the count: the server would take the limit as still to come and
// deliver the message published after it.
func TestPlainSubCountsDeliveries(t *testing.T) {
	sc := plainScenario(t, `
  - {at: 500us, auto_unsubscribe: {sub: s, max: 5}}
  - {at: 100ms, publish: {client: pub, subject: work}}
`)
	res, err := model.Run(sc, model.Config{})
	require.NoError(t, err)
	last := res.Ledger.Messages[len(res.Ledger.Messages)-1]
	require.Equal(t, model.MsgNoInterest, last.Fate, "message %d", last.ID)
}

// TestForgetDeliveryReachesPlainSubs: the ForgetDelivery mutation drops
// every tenth message's delivery, to a plain subscription too (a run with
// it has none: serverSub.plain). Catches plain set regardless of the
// mutation: the tenth message would be delivered.
func TestForgetDeliveryReachesPlainSubs(t *testing.T) {
	res, err := model.Run(plainScenario(t, ""), model.Config{Mutations: model.MutationSet(0).With(model.ForgetDelivery)})
	require.NoError(t, err)
	require.Len(t, res.Ledger.Deliveries, 9)
	for _, d := range res.Ledger.Deliveries {
		require.NotEqual(t, 10, int(d.Msg))
	}
}
