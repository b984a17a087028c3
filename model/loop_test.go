package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// runUnder runs an inline scenario under profile p.
func runUnder(t *testing.T, p *model.Profile, yaml string) *model.Result {
	t.Helper()
	sc, err := scenario.Parse("inline.yaml", []byte("name: inline\nprofile: "+p.Name+"\nserver: {no_responders: false}\n"+strings.TrimSpace(yaml)))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Trace: true, Profile: p})
	require.NoError(t, err)
	require.Equal(t, sim.Quiescent, res.Stop.Reason)
	return res
}

func callOf(t *testing.T, res *model.Result, source, verb string) model.CallRecord {
	t.Helper()
	for _, c := range res.Calls() {
		if res.Str(c.Source) == source && res.Str(c.Verb) == verb {
			return c
		}
	}
	t.Fatalf("no %s call from %s", verb, source)
	return model.CallRecord{}
}

// A handler that works 200 ms, answering at its end, and a drain called
// while it works (ruby-nats 0.11.2: drain-waits-for-blocking-handler).
const busyHandler = `
seed: 1
network: {latency: 1ms}
clients: [{name: app}, {name: client}]
subscriptions:
  - id: work
    client: app
    subject: work
    handler: {duration: 200ms, blocking: %s, actions: [{reply: {size: 8}}]}
actions:
  - {at: 0s, request: {client: client, subject: work, timeout: 1s}}
  - {at: 50ms, drain: {client: app}}
`

func TestEventLoopBlockingHandlerDefersTheDrain(t *testing.T) {
	res := runUnder(t, &model.RubyEMProfile, strings.Replace(busyHandler, "%s", "true", 1))
	app, work := res.Conn("app"), res.Sub("work")
	// The request reaches app at 2 ms; the callback holds the loop until
	// 202 ms. The drain due at 50 ms runs then; the reply, written at the
	// end of the callback, leaves before the drain's UNSUB and PING.
	require.Equal(t, ms(202), work.HandledAt(0).End)
	drain := callOf(t, res, "actions[1]", "drain")
	require.Equal(t, ms(202), drain.At, "the drain call waits for the callback")
	require.Equal(t, ms(202), app.DrainCalledAt)
	require.Equal(t, ms(204), callOf(t, res, "actions[0]", "request").ReturnedAt, "the reply left at 202 ms")
	require.Equal(t, model.OK, res.Str(callOf(t, res, "actions[0]", "request").Result))
	// Barrier at 204 ms, first tick 100 ms later, close at once.
	require.Equal(t, ms(204), work.BarrierAt)
	require.Equal(t, ms(304), work.RemovedAt)
	require.Equal(t, []model.StatusChange{
		{At: 0, Status: model.Connected},
		{At: ms(202), Status: model.DrainingSubs},
		{At: ms(304), Status: model.DrainingPubs},
		{At: ms(304), Status: model.Closed},
	}, app.Status)
	require.Equal(t, ms(304), app.DrainDoneAt)
	require.Equal(t, []string{"closed"}, callbackKinds(res, app), "no disconnected callback on close")

	// The same library without its event loop runs the drain at 50 ms,
	// concurrently with the handler.
	noLoop := model.RubyEMProfile
	noLoop.EventLoop = false
	res = runUnder(t, &noLoop, strings.Replace(busyHandler, "%s", "true", 1))
	require.Equal(t, ms(50), res.Conn("app").DrainCalledAt)
	require.Equal(t, ms(52), res.Sub("work").BarrierAt)
}

func TestEventLoopAwaitingHandlerHoldsNothing(t *testing.T) {
	res := runUnder(t, &model.RubyEMProfile, strings.Replace(busyHandler, "%s", "false", 1))
	app, work := res.Conn("app"), res.Sub("work")
	// The callback returns at once: the drain runs at 50 ms, its barrier
	// returns at 52 ms and the first tick closes at 152 ms, while the
	// handler's timer still runs. Its reply at 202 ms returns ok and is
	// dropped unsent (SilentPublishDrop); the requester times out.
	require.Equal(t, ms(50), app.DrainCalledAt)
	require.Equal(t, ms(52), work.BarrierAt)
	require.Equal(t, ms(152), work.RemovedAt)
	require.Equal(t, ms(152), app.ClosedAt)
	reply := callOf(t, res, "work#1", "reply")
	require.Equal(t, ms(202), reply.At)
	require.Equal(t, model.OK, res.Str(reply.Result))
	require.Equal(t, model.MsgLostUnsent, res.Ledger.Message(reply.Msg).Fate)
	req := callOf(t, res, "actions[0]", "request")
	require.Equal(t, model.ErrTimeout, res.Str(req.Result))
	require.Equal(t, ms(1000), req.ReturnedAt)
}

const idleDrain = `
seed: 1
network: {latency: 1ms}
clients: [{name: app%s}]
subscriptions:
  - {id: idle, client: app, subject: idle}
actions:
  - {at: 10ms, drain: {client: app}}
`

func TestPollFirstWaitsAndDeadlineTimer(t *testing.T) {
	// Nothing to drain: barrier at 12 ms, the first check at 112 ms.
	res := runUnder(t, &model.RubyEMProfile, strings.Replace(idleDrain, "%s", "", 1))
	app := res.Conn("app")
	require.Equal(t, ms(12), res.Sub("idle").BarrierAt)
	require.Equal(t, ms(112), app.ClosedAt)
	require.Equal(t, model.OK, res.Str(app.DrainResult))

	// A 20 ms timeout, armed at the barrier, fires before that check.
	res = runUnder(t, &model.RubyEMProfile, strings.Replace(idleDrain, "%s", ", drain_timeout: 20ms", 1))
	app = res.Conn("app")
	require.Equal(t, ms(32), app.DrainDeadline)
	require.True(t, app.DrainTimedOut)
	require.Equal(t, model.ErrDrainTimeout, res.Str(app.DrainResult))
	require.Equal(t, ms(32), app.ClosedAt)
	require.Equal(t, []string{"async_error", "closed"}, callbackKinds(res, app))
}

func TestFiberRequestGivesTheLoopBack(t *testing.T) {
	res := runUnder(t, &model.RubyEMProfile, `
seed: 1
network: {latency: 1ms}
clients: [{name: app}, {name: svc}, {name: pub}]
subscriptions:
  - id: a
    client: app
    subject: a
    handler: {duration: 10ms, blocking: true, actions: [{request: {subject: lookup, timeout: 1s}}]}
  - {id: b, client: app, subject: b, handler: {duration: 10ms, blocking: true}}
  - id: lookup
    client: svc
    subject: lookup
    handler: {duration: 100ms, actions: [{reply: {size: 8}}]}
actions:
  - {at: 0s, publish: {client: pub, subject: a}}
  - {at: 40ms, publish: {client: pub, subject: b}}
`)
	// a works 2..12 ms, then waits for the reply (12 ms + 2 ms to svc +
	// 100 ms + 2 ms back = 116 ms) without holding the loop: b's message,
	// at app at 42 ms, is handled at once.
	b := res.Sub("b")
	require.Equal(t, ms(42), b.HandledAt(0).Start)
	require.Equal(t, ms(52), b.HandledAt(0).End)
	req := callOf(t, res, "a#1", "request")
	require.Equal(t, ms(12), req.At)
	require.Equal(t, ms(116), req.ReturnedAt)
	require.Equal(t, model.OK, res.Str(req.Result))
	require.Equal(t, ms(116), res.Sub("a").HandledAt(0).End)
}

func TestRequestDuringDrainOutlivesClose(t *testing.T) {
	res := runUnder(t, &model.RubyEMProfile, `
seed: 1
network: {latency: 1ms}
clients: [{name: app}, {name: svc}]
subscriptions:
  - {id: lookup, client: svc, subject: lookup, handler: {actions: [{reply: {size: 8}}]}}
actions:
  - {at: 0s, request: {client: app, subject: lookup, timeout: 1s}}
  - {at: 30ms, drain: {client: app}}
  - {at: 50ms, request: {client: app, subject: lookup, timeout: 400ms}}
`)
	app := res.Conn("app")
	require.Equal(t, ms(132), app.ClosedAt)
	// Sent (the service answers), the reply finds the mux UNSUB'd, and
	// the close does not release the request: nil at its timeout.
	req := callOf(t, res, "actions[2]", "request")
	require.Equal(t, model.ErrTimeout, res.Str(req.Result))
	require.Equal(t, ms(450), req.ReturnedAt)
	require.Equal(t, model.OK, res.Str(callOf(t, res, "lookup#2", "reply").Result))
}

func callbackKinds(r *model.Result, c *model.ConnRecord) []string {
	var out []string
	for _, ev := range c.Callbacks {
		out = append(out, r.Str(ev.Kind))
	}
	return out
}
