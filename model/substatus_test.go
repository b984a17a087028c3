package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// statusEvents returns a subscription's status events as "status@time".
func statusEvents(s *model.SubRecord) []string {
	var out []string
	for _, e := range s.StatusEvents {
		out = append(out, e.Status+"@"+e.At.String())
	}
	return out
}

// TestSubStatusEvents (conformance scenario sub-status-events.yaml):
// Active at subscription; SlowConsumer at the first drop of the episode
// only; Draining at the drain call; Active again at 70 ms when a message
// is queued while draining (processMsg ignores draining); one Closed at
// the removal; a double drain sends Draining twice; a subscription still
// there when its connection closes gets no Closed. It catches a model that
// sends SlowConsumer per drop, keeps a draining sub out of Active, sends a
// second Closed, or sends Closed at the connection's close.
func TestSubStatusEvents(t *testing.T) {
	res := runYAML(t, `
network: {latency: 10ms}
clients:
  - {name: app}
  - {name: pub}
  - {name: other, drain_timeout: 50ms}
subscriptions:
  - {id: s, client: app, subject: work, pending_msgs_limit: 2, status_events: true, handler: {duration: 30ms}}
  - {id: t, client: app, subject: idle, status_events: true}
  - {id: q, client: other, subject: slow, status_events: true, handler: {duration: 200ms}}
  - {id: quiet, client: app, subject: idle}
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 5}}
  - {at: 0s, publish: {client: pub, subject: slow}}
  - {at: 10ms, drain_sub: {sub: t}}
  - {at: 10ms, drain_sub: {sub: t}}
  - {at: 15ms, drain: {client: other}}
  - {at: 50ms, publish: {client: pub, subject: work}}
  - {at: 55ms, drain: {client: app}}
`)
	require.Equal(t, []string{"Active@0.000ms", "SlowConsumer@20.000ms", "Draining@55.000ms", "Active@70.000ms", "Closed@175.000ms"}, statusEvents(res.Sub("s")))
	require.Equal(t, []string{"Active@0.000ms", "Draining@10.000ms", "Draining@10.000ms", "Closed@30.000ms"}, statusEvents(res.Sub("t")))
	require.Equal(t, []string{"Active@0.000ms", "Draining@15.000ms"}, statusEvents(res.Sub("q")))
	require.Equal(t, ms(85), res.Sub("q").RemovedAt) // by the close
	require.Empty(t, res.Sub("quiet").StatusEvents, "a subscription nobody listens to records nothing")
}
