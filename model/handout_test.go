package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// TestDrainCheckWokenByTaking: an event-driven drain check (the c profile's,
// with the queue-empty criterion of csharp-v1) waits for the subscription to
// hand out a message; once the last queued one is taken the queue is empty
// and the subscription is removed at once, before that message's callback
// runs. Catches Sub.top's direct turn taken while a check waits (its
// onProgress test dropped): the check ran only as the third callback
// returned (902 ms, three handled).
func TestDrainCheckWokenByTaking(t *testing.T) {
	p := model.CProfile
	p.Criterion = model.QueueEmpty
	res := runUnder(t, &p, `
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 2s}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 300ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 3}}
  - {at: 10ms, drain_sub: {sub: s}}
`)
	s := res.Sub("s")
	require.Equal(t, "drain", res.Str(s.RemovedBy))
	require.Equal(t, ms(602), s.RemovedAt, "removed as the second callback returns and the third message is taken")
	require.Equal(t, 2, s.NumHandled(), "the third message is not handled")
}
