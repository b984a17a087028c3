package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// resubscribe: s1 on a unsubscribes at 0, s2 subscribes on a to the same
// subject 1 ms later, and b's publisher sends at 10 ms, long after every
// RS± has landed.
const resubscribe = twoServers + `subscriptions:
  - {id: s1, client: sub, subject: x}
  - {id: s2, client: sub, subject: x, deferred: true}
actions:
  - {at: 0s, unsubscribe: {sub: s1}}
  - {at: 1ms, subscribe: {sub: s2}}
  - {at: 10ms, publish: {client: pub, subject: x}}
`

// TestRSReorderLosesInterest kills rs-reorder by its exact outcome (no
// invariant sees a message that never finds interest): unmutated, a's RS-
// (at 0.25 ms) and RS+ (at 1.25 ms) reach b in order and s2 gets b's
// message; with the RS- written 5 ms late, the RS+ overtakes it, b
// applies RS+ then RS- and drops a's interest for good, as nats-server
// did before PR #8235, and s2 never hears of the message.
func TestRSReorderLosesInterest(t *testing.T) {
	require.Len(t, deliveriesTo(runText(t, resubscribe), "s2"), 1)
	sc, err := scenario.Parse("cluster.yaml", []byte(resubscribe))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Mutations: model.MutationSet(0).With(model.RSReorder)})
	require.NoError(t, err)
	require.Empty(t, deliveriesTo(res, "s2"))
}

// TestQueueUnsubAsPlainStopsTheOtherMembers: q1 on a drains while q2 on c
// stays; b's publisher keeps sending. Unmutated, b stops choosing a once
// a's RS- lands and q2 gets everything after; with queue-unsub-as-plain b
// also removes c's entry for the group on a's RS-, and the messages after
// it find no member at all.
func TestQueueUnsubAsPlainStopsTheOtherMembers(t *testing.T) {
	src := `name: c
network: {latency: 250us}
servers: [{name: a, cluster: c}, {name: b, cluster: c}, {name: c, cluster: c}]
routes: [{mesh: c, latency: 1ms}]
clients: [{name: old, server: a}, {name: pub, server: b}, {name: new, server: c}]
subscriptions:
  - {id: q1, client: old, subject: x, queue: q}
  - {id: q2, client: new, subject: x, queue: q}
actions:
  - {at: 0s, drain_sub: {sub: q1}}
  - {at: 5ms, publish: {client: pub, subject: x, count: 10, interval: 100us}}
`
	require.Len(t, deliveriesTo(runText(t, src), "q2"), 10)
	sc, err := scenario.Parse("cluster.yaml", []byte(src))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Mutations: model.MutationSet(0).With(model.QueueUnsubAsPlain)})
	require.NoError(t, err)
	require.Empty(t, deliveriesTo(res, "q2"))
}
