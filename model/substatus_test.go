package model_test

import (
	"strconv"
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

// counterCalls returns the counters calls of source as
// "result pending=P delivered=D" ("-" for a counter not read).
func counterCalls(res *model.Result, source string) []string {
	var out []string
	num := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, c := range res.Calls() {
		if res.Str(c.Source) != source || res.Str(c.Verb) != "counters" {
			continue
		}
		n := res.Counters(&c)
		var pending *int64
		if n != nil && n.PendingMsgs != nil {
			v := int64(*n.PendingMsgs)
			pending = &v
		}
		var delivered *int64
		if n != nil {
			delivered = n.Delivered
		}
		out = append(out, c.At.String()+" "+res.Str(c.Result)+" pending="+num(pending)+" delivered="+num(delivered))
	}
	return out
}

// TestSubCounters (conformance scenario sub-counters): Pending() counts the
// running callback's message with those queued, Delivered() the callbacks
// started (async), the messages NextMsg took (sync), or those sent into the
// channel (chan, whose Pending fails with ErrTypeSubscription); after the
// drain removed the subscription both fail with ErrBadSubscription. It
// catches a model that decrements pending when the callback starts, counts
// a chan subscription's messages, or reads a removed subscription.
func TestSubCounters(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 20ms}}
  - {id: q, client: app, subject: work, type: sync}
  - {id: c, client: app, subject: work, type: chan}
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 5}}
  - {at: 10ms, counters: {sub: s}}
  - {at: 10ms, next_msg: {sub: q, count: 2}}
  - {at: 20ms, counters: {sub: q}}
  - {at: 20ms, counters: {sub: c}}
  - {at: 30ms, drain_sub: {sub: s}}
  - after: {event: callback_start, sub: s, nth: 4}
    counters: {sub: s}
  - {at: 300ms, counters: {sub: s}}
`)
	for src, want := range map[string]string{
		"actions[1]": "10.000ms ok pending=5 delivered=1",
		"actions[3]": "20.000ms ok pending=3 delivered=2",
		"actions[4]": "20.000ms ErrTypeSubscription pending=- delivered=5",
		"actions[6]": "62.000ms ok pending=2 delivered=4",
		"actions[7]": "300.000ms ErrBadSubscription pending=- delivered=-",
	} {
		require.Equal(t, []string{want}, counterCalls(res, src), src)
	}
	require.Equal(t, ms(132), res.Sub("s").RemovedAt)
}
