package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// runYAML parses and runs a scenario written inline.
func runYAML(t *testing.T, yaml string, muts ...model.Mutation) *model.Result {
	t.Helper()
	sc, err := scenario.Parse("inline.yaml", []byte("name: inline\n"+strings.TrimSpace(yaml)))
	require.NoError(t, err)
	var set model.MutationSet
	for _, m := range muts {
		set = set.With(m)
	}
	res, err := model.Run(sc, model.Config{Trace: true, Mutations: set})
	require.NoError(t, err)
	require.Equal(t, sim.Quiescent, res.Stop.Reason)
	return res
}

// results returns "verb=result" for each call of the given source, in order.
func results(res *model.Result, source string) []string {
	var out []string
	for _, c := range res.Calls() {
		if res.Str(c.Source) == source {
			out = append(out, res.Str(c.Verb)+"="+res.Str(c.Result))
		}
	}
	return out
}

func ms(d float64) sim.Time { return sim.Time(d * float64(time.Millisecond)) }

const oneSub = `
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 2s}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 100ms}}
  - {id: late, client: app, subject: late, deferred: true}
`

func TestPublishRulesPerDrainPhase(t *testing.T) {
	// DRAINING_SUBS lasts while the handler works through two messages;
	// DRAINING_PUBS starts once the sub is gone and lasts one round trip.
	res := runYAML(t, oneSub+`
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 2}}
  - {at: 10ms, drain: {client: app}}
  - {at: 50ms, publish: {client: app, subject: other}}
  - {at: 50ms, subscribe: {sub: late}}
  - {at: 50ms, unsubscribe: {sub: s}}
  - {at: 50ms, drain: {client: app}}
  - {at: 50ms, flush: {client: app}}
  - {at: 310.5ms, publish: {client: app, subject: other}}
  - {at: 400ms, publish: {client: app, subject: other}}
  - {at: 400ms, drain: {client: app}}
  - {at: 400ms, unsubscribe: {sub: s}}
`)
	conn := res.Conn("app")
	// Sub polls at 12+k*100ms after its 12ms barrier; the last callback
	// returns at 202ms, so the sub goes at 212ms, DRAINING_PUBS at the next
	// 10ms tick (220ms) and CLOSED one round trip later (222ms).
	require.Equal(t, []model.StatusChange{
		{At: 0, Status: model.Connected},
		{At: ms(10), Status: model.DrainingSubs},
		{At: ms(220), Status: model.DrainingPubs},
		{At: ms(222), Status: model.Closed},
	}, conn.Status)
	require.Equal(t, []string{"publish=ok"}, results(res, "actions[2]"), "publish allowed while draining subs")
	require.Equal(t, []string{"subscribe=ErrConnectionDraining"}, results(res, "actions[3]"))
	require.Equal(t, []string{"unsubscribe=ErrConnectionDraining"}, results(res, "actions[4]"))
	require.Equal(t, []string{"drain=ok"}, results(res, "actions[5]"), "a second drain returns nil")
	require.Equal(t, []string{"flush=ok"}, results(res, "actions[6]"))
	require.Equal(t, []string{"publish=ErrConnectionClosed"}, results(res, "actions[7]"))
	require.Equal(t, []string{"publish=ErrConnectionClosed"}, results(res, "actions[8]"))
	require.Equal(t, []string{"drain=ErrConnectionClosed"}, results(res, "actions[9]"))
	require.Equal(t, []string{"unsubscribe=ErrConnectionClosed"}, results(res, "actions[10]"))
	require.Equal(t, ms(212), res.Sub("s").RemovedAt)
}

func TestPublishRefusedInDrainingPubs(t *testing.T) {
	// A slow network keeps the final flush (and so DRAINING_PUBS) open long
	// enough to publish into it.
	res := runYAML(t, `
network: {latency: 50ms}
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work}
actions:
  - {at: 0s, drain: {client: app}}
  - {at: 150ms, publish: {client: app, subject: work}}
`)
	conn := res.Conn("app")
	require.Equal(t, model.DrainingPubs, conn.Status[2].Status)
	require.Less(t, int64(conn.Status[2].At), int64(ms(150)))
	require.Greater(t, int64(conn.ClosedAt), int64(ms(150)))
	require.Equal(t, []string{"publish=ErrConnectionDraining"}, results(res, "actions[1]"))
}

func TestSubDrainCompletesOnPollGrid(t *testing.T) {
	res := runYAML(t, oneSub+`
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 3}}
  - {at: 5ms, drain_sub: {sub: s}}
`)
	s := res.Sub("s")
	require.Equal(t, ms(6), s.UnsubProcessedAt, "UNSUB processed one latency after the call")
	require.Equal(t, ms(7), s.BarrierAt, "PONG back one round trip after the call")
	require.Equal(t, ms(302), s.HandledAt(2).End)
	// Polls at 7, 107, 207, 307ms: the first with nothing pending is 307ms.
	require.Equal(t, ms(307), s.RemovedAt)
	require.Equal(t, "drain", res.Str(s.RemovedBy))
	require.Equal(t, s.RemovedAt, s.ClosedHandlerAt)
}

func TestDrainTimeoutZeroReportsAtOnce(t *testing.T) {
	res := runYAML(t, `
clients: [{name: app, drain_timeout: 0s}]
subscriptions:
  - {id: s, client: app, subject: work}
actions:
  - {at: 1ms, drain: {client: app}}
`)
	conn := res.Conn("app")
	require.True(t, conn.DrainTimedOut)
	require.Equal(t, model.ErrDrainTimeout, res.Str(conn.LastError))
	require.Equal(t, ms(1), conn.Callbacks[0].At)
	require.Equal(t, "async_error", res.Str(conn.Callbacks[0].Kind))
	require.NotEqual(t, model.NoTime, conn.ClosedAt)
}

func TestDrainWhileReconnectingCloses(t *testing.T) {
	res := runYAML(t, `
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work}
actions:
  - {at: 0s, disconnect: {client: app, for: 1s}}
  - {at: 10ms, publish: {client: app, subject: work}}
  - {at: 20ms, drain: {client: app}}
`)
	conn := res.Conn("app")
	require.Equal(t, []string{"publish=ok"}, results(res, "actions[1]"), "buffered while reconnecting")
	require.Equal(t, []string{"drain=ErrConnectionReconnecting"}, results(res, "actions[2]"))
	require.Equal(t, ms(20), conn.ClosedAt)
	require.Equal(t, model.MsgLostUnsent, res.Ledger.Message(1).Fate, "the reconnect buffer is discarded")
	var kinds []string
	for _, cb := range conn.Callbacks {
		kinds = append(kinds, res.Str(cb.Kind))
	}
	require.Equal(t, []string{"disconnected", "closed"}, kinds)
}

func TestDisconnectDuringDrainClosesWithoutReconnect(t *testing.T) {
	res := runYAML(t, oneSub+`
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 5}}
  - {at: 10ms, drain: {client: app}}
  - {at: 150ms, disconnect: {client: app, for: 10ms}}
`)
	conn := res.Conn("app")
	require.Equal(t, model.Disconnected, conn.Status[2].Status)
	require.Equal(t, model.Closed, conn.Status[3].Status)
	require.Len(t, conn.Status, 4, "no reconnect after a disconnect during drain")
	require.Equal(t, model.ErrEOF, res.Str(conn.LastError))
	s := res.Sub("s")
	require.Equal(t, 2, s.NumHandled(), "the running callback finishes, the queued ones are dropped")
	dropped := 0
	for _, d := range res.Ledger.Deliveries {
		if d.Fate == model.DlvDropped {
			require.Equal(t, model.DropConnClosed, d.Reason)
			dropped++
		}
	}
	require.Equal(t, 3, dropped)
}

func TestSyncSubDrainWaitsForNextMsg(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients: [{name: app}]
subscriptions:
  - {id: q, client: app, subject: jobs, type: sync}
actions:
  - {at: 0s, publish: {client: app, subject: jobs, count: 5}}
  - {at: 10ms, drain_sub: {sub: q}}
  - {at: 400ms, next_msg: {sub: q, count: 6, timeout: 1s}}
`)
	q := res.Sub("q")
	require.Equal(t, 5, q.NumHandled())
	// Barrier at 12ms; polls at 12, 112, ..., 412ms: the first after the
	// five NextMsg calls at 400ms removes the sub and releases the sixth.
	require.Equal(t, ms(412), q.RemovedAt)
	calls := results(res, "actions[2]")
	require.Equal(t, []string{"next_msg=ok", "next_msg=ok", "next_msg=ok", "next_msg=ok", "next_msg=ok", "next_msg=ErrBadSubscription"}, calls)
	require.Equal(t, ms(412), res.Calls()[res.NumCalls()-1].ReturnedAt)
}

func TestAutoUnsubscribeThenDrain(t *testing.T) {
	res := runYAML(t, `
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 1ms}}
actions:
  - {at: 0s, auto_unsubscribe: {sub: s, max: 10}}
  - {at: 1ms, publish: {client: app, subject: work, count: 50}}
  - {at: 2ms, drain: {client: app}}
`)
	require.Equal(t, 10, res.Sub("s").NumHandled())
	conn := res.Conn("app")
	require.Empty(t, res.Str(conn.LastError))
	for _, cb := range conn.Callbacks {
		require.NotEqual(t, "async_error", res.Str(cb.Kind))
	}
}

func TestSlowConsumerDuringDrain(t *testing.T) {
	res := runYAML(t, `
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work, pending_msgs_limit: 5, handler: {duration: 10ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 20}}
  - {at: 0s, drain: {client: app}}
`)
	require.Equal(t, 5, res.Sub("s").NumHandled(), "the running callback plus four queued")
	conn := res.Conn("app")
	require.Equal(t, "async_error", res.Str(conn.Callbacks[0].Kind))
	require.Equal(t, model.ErrSlowConsumer, res.Str(conn.Callbacks[0].Error))
	require.Equal(t, "s", res.Str(conn.Callbacks[0].Sub))
	n := 0
	for _, cb := range conn.Callbacks {
		if res.Str(cb.Error) == model.ErrSlowConsumer {
			n++
		}
	}
	require.Equal(t, 1, n, "one async error per slow-consumer episode")
}

func TestRequestFromHandlerDuringDrain(t *testing.T) {
	// The handler asks another service during the drain; its reply comes
	// back through the response mux, which is drained last.
	yaml := `
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 5s}, {name: svc}]
subscriptions:
  - id: s
    client: app
    subject: work
    handler:
      duration: 20ms
      actions: [{request: {subject: lookup, timeout: 1s}}]
  - id: lookup
    client: svc
    subject: lookup
    handler: {duration: 50ms, actions: [{reply: {size: 8}}]}
actions:
  - {at: 0s, request: {client: app, subject: lookup, timeout: 1s}}
  - {at: 100ms, publish: {client: svc, subject: work, count: 3}}
  - {at: 105ms, drain: {client: app}}
`
	res := runYAML(t, yaml)
	for _, c := range res.Calls() {
		if res.Str(c.Verb) == "request" {
			require.Equal(t, model.OK, res.Str(c.Result), "%s", res.Str(c.Source))
		}
	}
	mux := res.Sub("app.respmux")
	require.NotNil(t, mux)
	require.Greater(t, int64(mux.RemovedAt), int64(res.Sub("s").RemovedAt), "the mux is drained after the subs")

	// With the response mux drained in the first batch, replies to requests
	// made during the drain are lost.
	bad := runYAML(t, yaml, model.RespMuxDrainedWithSubs)
	timeouts := 0
	for _, c := range bad.Calls() {
		if bad.Str(c.Verb) == "request" && bad.Str(c.Result) == model.ErrTimeout {
			timeouts++
		}
	}
	require.Positive(t, timeouts)
}

func TestQueueGroupHandoff(t *testing.T) {
	res := runYAML(t, `
clients: [{name: a, drain_timeout: 5s}, {name: b}, {name: pub}]
subscriptions:
  - {id: qa, client: a, subject: jobs, queue: workers, handler: {duration: 2ms}}
  - {id: qb, client: b, subject: jobs, queue: workers, handler: {duration: 1ms}}
actions:
  - {at: 0s, publish: {client: pub, subject: jobs, count: 100, interval: 1ms}}
  - {at: 30ms, drain: {client: a}}
`)
	seen := map[int]bool{}
	for _, id := range []string{"qa", "qb"} {
		for _, h := range res.Sub(id).Handled() {
			require.False(t, seen[h.Msg], "message %d handled twice", h.Msg)
			seen[h.Msg] = true
		}
	}
	require.Len(t, seen, 100)
	for _, h := range res.Sub("qa").Handled() {
		require.LessOrEqual(t, int64(res.Ledger.Message(h.Msg).AcceptedAt), int64(res.Sub("qa").UnsubProcessedAt))
	}
}

func TestSubDrainWhileReconnectingLeaksInterest(t *testing.T) {
	// nats.go suppresses the UNSUB while reconnecting and re-sends the SUB on
	// reconnect; the draining sub then receives messages published after its
	// drain started (docs/profiles/go.md#subscription-drained-while-reconnecting-leaks-interest).
	res := runYAML(t, `
network: {latency: 1ms}
clients: [{name: app, reconnect_wait: 100ms}, {name: pub}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 50ms}}
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 2}}
  - {at: 10ms, disconnect: {client: app, for: 20ms}}
  - {at: 15ms, drain_sub: {sub: s}}
  - {at: 300ms, publish: {client: pub, subject: work, count: 3}}
`)
	s := res.Sub("s")
	require.Equal(t, []string{"drain_sub=ok"}, results(res, "actions[2]"))
	require.Equal(t, model.NoTime, s.UnsubProcessedAt, "the server still holds the interest")
	var late int
	for _, d := range res.Ledger.Deliveries {
		if d.Sub == 0 && d.Msg > 2 {
			late++
		}
	}
	require.Equal(t, 3, late, "messages published after the drain started are still routed")
}

func TestCloseWhileCallbackRuns(t *testing.T) {
	res := runYAML(t, oneSub+`
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 3}}
  - {at: 50ms, close: {client: app}}
`)
	s := res.Sub("s")
	require.Equal(t, 1, s.NumHandled())
	require.Greater(t, int64(s.HandledAt(0).End), int64(res.Conn("app").ClosedAt), "the running callback outlives Close")
	require.Equal(t, s.HandledAt(0).End, s.ClosedHandlerAt, "the sub's closed handler runs after it")
}
