package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// The nats.c profiles: c (3.11, modelled from the code) and c-3.4 (3.4.1,
// Debian's libnats-dev, checked against the real library). Each test is a
// scenario of testdata/conformance/c-3.4 on which the real 3.4.1 and the
// model agree (docs/conformance/c-3.4.md).

// statusAt returns the time of the first status s of conn.
func statusAt(conn *model.ConnRecord, s model.Status) sim.Time {
	for _, c := range conn.Status {
		if c.Status == s {
			return c.At
		}
	}
	return -1
}

func TestC34PollsFromTheBarrier(t *testing.T) {
	// 3.4.1 checks for completion every 100 ms from the end of its UNSUB
	// flush (drain 1 ms + 2 ms round trip = 3 ms): the callback returns at
	// 152 ms, the 203 ms check sees it, CLOSED one round trip later. 3.11
	// is woken by the removal itself: DRAINING_PUBS at 152 ms.
	yaml := `
seed: 1
network: {latency: 1ms}
clients: [{name: app}, {name: requester}]
subscriptions:
  - id: updates
    client: app
    subject: updates
    handler: {actions: [{reply: {size: 16}}, {sleep: 150ms}]}
actions:
  - {at: 0s, request: {client: requester, subject: updates, timeout: 1s}}
  - {at: 1ms, drain: {client: app}}
`
	res := runYAML(t, "profile: c-3.4\n"+yaml)
	conn := res.Conn("app")
	require.Equal(t, ms(152), res.Sub("updates").RemovedAt)
	require.Equal(t, ms(203), statusAt(conn, model.DrainingPubs))
	require.Equal(t, ms(205), statusAt(conn, model.Closed))
	require.Equal(t, []string{"request=ok"}, results(res, "actions[0]"))

	res = runYAML(t, "profile: c\n"+yaml)
	require.Equal(t, ms(152), statusAt(res.Conn("app"), model.DrainingPubs))
}

func TestC34TimeoutQuantised(t *testing.T) {
	// DrainTimeout 10 ms from the 5 ms Drain call: the deadline (15 ms) is
	// looked at only when the 100 ms sleep begun at the 7 ms barrier ends:
	// ErrDrainTimeout at 107 ms, through the async error callback only
	// (LastError stays empty), no final flush, CLOSED at once. The callback
	// runs on to 302 ms; the subscription's closed handler runs after it.
	yaml := `
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 10ms}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 300ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 2}}
  - {at: 5ms, drain: {client: app}}
`
	res := runYAML(t, "profile: c-3.4\n"+yaml)
	conn := res.Conn("app")
	require.True(t, conn.DrainTimedOut)
	// The deadline counts from the drain call, not from the barrier's
	// PONG at 7 ms (connDrain.early, kept from drainConnection to start).
	require.Equal(t, ms(15), conn.DrainDeadline)
	require.Equal(t, ms(107), statusAt(conn, model.DrainingPubs))
	require.Equal(t, ms(107), statusAt(conn, model.Closed))
	require.Equal(t, model.ErrDrainTimeout, res.Str(conn.Callbacks[0].Error))
	require.Equal(t, "", res.Str(conn.LastError), "nats.c's drain errors set no connection error")
	require.Equal(t, ms(302), res.Sub("s").ClosedHandlerAt)

	// 3.11 is woken at the deadline itself.
	res = runYAML(t, "profile: c\n"+yaml)
	require.Equal(t, ms(15), statusAt(res.Conn("app"), model.Closed))
}

func TestC34PollDeadlineFirst(t *testing.T) {
	// The callback returns at 122 ms, between the 107 ms check and the
	// 155 ms deadline; the 207 ms check is past the deadline and reports a
	// timeout without looking at the now empty map (PollDeadlineFirst).
	res := runYAML(t, `
profile: c-3.4
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 150ms}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 120ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work}}
  - {at: 5ms, drain: {client: app}}
`)
	conn := res.Conn("app")
	require.Equal(t, ms(122), res.Sub("s").RemovedAt)
	require.True(t, conn.DrainTimedOut)
	require.Equal(t, ms(207), statusAt(conn, model.Closed), "no final flush after a timeout")
}

func TestC34HandlerRequestLosesReply(t *testing.T) {
	// C-M1: the response mux is UNSUB'd with the other subscriptions at
	// 105 ms and removed at its 107 ms barrier; the handler's request at
	// 121 ms is answered, but the answer finds no interest: ErrTimeout at
	// 321 ms. Under c (3.11) the mux is drained last and the reply arrives.
	yaml := `
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 5s}, {name: svc}]
subscriptions:
  - id: s
    client: app
    subject: work
    handler: {duration: 20ms, actions: [{request: {subject: lookup, timeout: 200ms}}]}
  - id: lookup
    client: svc
    subject: lookup
    handler: {duration: 10ms, actions: [{reply: {size: 8}}]}
actions:
  - {at: 0s, request: {client: app, subject: lookup, timeout: 1s}}
  - {at: 100ms, publish: {client: svc, subject: work}}
  - {at: 105ms, drain: {client: app}}
`
	res := runYAML(t, "profile: c-3.4\n"+yaml)
	require.Equal(t, []string{"request=" + model.ErrTimeout}, results(res, "s#1"))
	require.Equal(t, ms(407), statusAt(res.Conn("app"), model.DrainingPubs))

	res = runYAML(t, "profile: c\n"+yaml)
	require.Equal(t, []string{"request=ok"}, results(res, "s#1"))
}

func TestCSyncSubLeavesByNextMsg(t *testing.T) {
	// C-M8: an empty sync subscription read only with NextMsg(0) keeps
	// the drain waiting until its deadline (310 ms; the 312 ms check under
	// c-3.4), then the connection closes.
	zero := `
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 300ms}]
subscriptions:
  - {id: q, client: app, subject: jobs, type: sync}
actions:
  - {at: 10ms, drain: {client: app}}
  - {at: 50ms, next_msg: {sub: q, timeout: 0s, count: 1}}
`
	res := runYAML(t, "profile: c-3.4\n"+zero)
	require.Equal(t, []string{"next_msg=" + model.ErrTimeout}, results(res, "actions[1]"))
	require.True(t, res.Conn("app").DrainTimedOut)
	require.Equal(t, ms(312), statusAt(res.Conn("app"), model.Closed))
	require.Equal(t, "close", res.Str(res.Sub("q").RemovedBy))
	res = runYAML(t, "profile: c\n"+zero)
	require.Equal(t, ms(310), statusAt(res.Conn("app"), model.Closed))

	// A NextMsg with a timeout after the barrier returns ErrTimeout at
	// once and removes it; the next one finds it gone.
	res = runYAML(t, `
profile: c-3.4
seed: 1
network: {latency: 1ms}
clients: [{name: app}]
subscriptions:
  - {id: q, client: app, subject: jobs, type: sync}
actions:
  - {at: 10ms, drain: {client: app}}
  - {at: 60ms, next_msg: {sub: q, timeout: 100ms, count: 2}}
`)
	require.Equal(t, []string{"next_msg=" + model.ErrTimeout, "next_msg=" + model.ErrBadSubscription}, results(res, "actions[1]"))
	require.Equal(t, ms(60), res.Sub("q").RemovedAt)
	require.Equal(t, ms(112), statusAt(res.Conn("app"), model.DrainingPubs))

	// A NextMsg already waiting when the barrier returns is woken with
	// ErrTimeout and removes it.
	res = runYAML(t, `
profile: c
seed: 1
network: {latency: 1ms}
clients: [{name: app}]
subscriptions:
  - {id: q, client: app, subject: jobs, type: sync}
actions:
  - {at: 0s, next_msg: {sub: q, timeout: 1s, count: 1}}
  - {at: 10ms, drain: {client: app}}
`)
	require.Equal(t, []string{"next_msg=" + model.ErrTimeout}, results(res, "actions[0]"))
	require.Equal(t, ms(12), res.Sub("q").RemovedAt)
}

func TestC34TimeoutAfterClose(t *testing.T) {
	// The link breaks at 50 ms and closes the draining connection; the
	// drain thread wakes at its 112 ms check, past its 70 ms deadline, and
	// reports ErrDrainTimeout after the closed callback (PollDeadlineFirst,
	// DrainErrAfterClose); LastError stays the link's EOF.
	yaml := `
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 60ms}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 200ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 2}}
  - {at: 10ms, drain: {client: app}}
  - {at: 50ms, disconnect: {client: app, for: 500ms}}
`
	res := runYAML(t, "profile: c-3.4\n"+yaml)
	conn := res.Conn("app")
	require.Equal(t, ms(50), statusAt(conn, model.Closed))
	var kinds []string
	for _, cb := range conn.Callbacks {
		kinds = append(kinds, res.Str(cb.Kind)+":"+res.Str(cb.Error))
	}
	require.Equal(t, []string{"disconnected:", "closed:", "async_error:" + model.ErrDrainTimeout}, kinds)
	require.Equal(t, ms(112), conn.Callbacks[2].At)
	require.True(t, conn.DrainTimedOut)
	require.Equal(t, "EOF", res.Str(conn.LastError))

	// 3.11 waits on a condition variable that the close signals: no error.
	res = runYAML(t, "profile: c\n"+yaml)
	require.Len(t, res.Conn("app").Callbacks, 2)
	require.False(t, res.Conn("app").DrainTimedOut)
}
