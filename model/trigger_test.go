package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// triggerSub is one connection with a 50 ms handler on subject a and a
// 1 ms network: three messages published at 0 arrive at 2 ms, and the
// handler runs them 2-52, 52-102 and 102-152 ms.
const triggerSub = `
network: {latency: 1ms}
clients: [{name: app, reconnect_wait: 10ms}]
subscriptions:
  - {id: s1, client: app, subject: a, handler: {duration: 50ms}}
  - {id: other, client: app, subject: b}
`

// calls returns the calls of source as "verb@time=result".
func calls(res *model.Result, source string) []string {
	var out []string
	for _, c := range res.Calls() {
		if res.Str(c.Source) == source {
			out = append(out, res.Str(c.Verb)+"@"+c.At.String()+"="+res.Str(c.Result))
		}
	}
	return out
}

// TestTriggerCallbackStart: once the second callback is entered, drain
// (5 ms later). Without the hook in startCallback the drain never runs.
func TestTriggerCallbackStart(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 0s, publish: {client: app, subject: a, count: 3}}
  - after: {event: callback_start, sub: s1, nth: 2, delay: 5ms}
    drain: {client: app}
`)
	require.Equal(t, []string{"drain@57.000ms=ok"}, calls(res, "actions[1]"))
	require.Equal(t, ms(57), res.Conns[0].DrainCalledAt)
}

// TestTriggerCallbackEnd: when the callback on message 1 returns, publish;
// the callback ending on message 2 has no effect (msg restricts the
// trigger) and the trigger fires once. Without the hook in finish the
// publish never happens; with a hook that ignored msg it would fire at
// the first callback's end anyway, but once more without the fired check.
func TestTriggerCallbackEnd(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 0s, publish: {client: app, subject: a, count: 2}}
  - after: {event: callback_end, sub: s1, msg: 2}
    publish: {client: app, subject: b}
  - after: {event: callback_end, sub: s1}
    publish: {client: app, subject: b}
`)
	require.Equal(t, []string{"publish@102.000ms=ok"}, calls(res, "actions[1]"))
	require.Equal(t, []string{"publish@52.000ms=ok"}, calls(res, "actions[2]"))
}

// TestTriggerStatus: when the status becomes DRAINING_PUBS, publish: the
// publish is refused, at the instant of the change (167 ms: the sub drain
// ends at 159 ms, the next 10 ms poll of the connection drain sees it at
// 167 ms). A status hook left out of setStatus fails it.
func TestTriggerStatus(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 0s, publish: {client: app, subject: a, count: 3}}
  - {at: 57ms, drain: {client: app}}
  - after: {event: status, client: app, status: DRAINING_PUBS}
    publish: {client: app, subject: b}
  - after: {event: status, client: app, status: CLOSED, delay: 1ms}
    publish: {client: app, subject: b}
`)
	require.Equal(t, []string{"publish@167.000ms=" + model.ErrConnectionDraining}, calls(res, "actions[2]"))
	require.Equal(t, []string{"publish@170.000ms=" + model.ErrConnectionClosed}, calls(res, "actions[3]"))
}

// TestTriggerSubRemoved: after the subscription is removed (its drain
// done), publish to it: the message finds no interest. Without the hook in
// the removal the publish never happens.
func TestTriggerSubRemoved(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 0s, publish: {client: app, subject: a}}
  - {at: 10ms, drain_sub: {sub: s1}}
  - after: {event: sub_removed, sub: s1}
    publish: {client: app, subject: a}
`)
	require.Equal(t, []string{"publish@" + res.Subs[0].RemovedAt.String() + "=ok"}, calls(res, "actions[2]"))
	require.Equal(t, ms(112), res.Subs[0].RemovedAt)
	id := res.Calls()[res.NumCalls()-1].Msg
	require.Equal(t, model.MsgNoInterest, res.Ledger.Message(id).Fate)
}

// TestTriggerReconnected: after the reconnect, publish; when the status
// becomes RECONNECTING, publish too. The link is cut at 10 ms for 5 ms; the
// first attempt, 10 ms after the disconnect plus nats.go's reconnect jitter
// (81.71 ms drawn with seed 0), dials at 101.71 ms and after the 2 ms
// handshake the reconnected callback runs at 103.710014 ms. The publish
// made while reconnecting is buffered, the one after the reconnect goes
// out on the new connection, and both are delivered. Without the hook in
// runCallback the second publish never happens.
func TestTriggerReconnected(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 10ms, disconnect: {client: app, for: 5ms}}
  - after: {event: reconnected, client: app}
    publish: {client: app, subject: a}
  - after: {event: status, client: app, status: RECONNECTING}
    publish: {client: app, subject: a}
`)
	var reconnected []sim.Time
	for _, cb := range res.Conns[0].Callbacks {
		if res.Str(cb.Kind) == "reconnected" {
			reconnected = append(reconnected, cb.At)
		}
	}
	require.Equal(t, []sim.Time{103_710_014}, reconnected)
	require.Equal(t, []string{"publish@103.710ms=ok"}, calls(res, "actions[1]"))
	require.Equal(t, []string{"publish@10.000ms=ok"}, calls(res, "actions[2]"))
	require.Equal(t, 2, res.Subs[0].NumHandled(), "both publishes are delivered")
}

// TestTriggerReturned: after the flush returns (one 2 ms round trip), drain;
// after the drain call returns, publish. Without the hook in World.call
// neither runs.
func TestTriggerReturned(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 5ms, flush: {client: app}}
  - after: {event: returned, action: 0, delay: 1ms}
    drain: {client: app}
  - after: {event: returned, action: 1}
    publish: {client: app, subject: a}
`)
	require.Equal(t, []string{"drain@8.000ms=ok"}, calls(res, "actions[1]"))
	require.Equal(t, []string{"publish@8.000ms=ok"}, calls(res, "actions[2]"))
}

// TestTriggerPublished: when message 2 is published, close: the third
// publish of the same action, made in the same event, still goes out, and
// the close follows. A request's message does not count as published.
// Without the hook in publish the close never happens.
func TestTriggerPublished(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 1ms, publish: {client: app, subject: a, count: 3, interval: 1ms}}
  - after: {event: published, msg: 2}
    close: {client: app}
`)
	require.Equal(t, []string{"publish@1.000ms=ok", "publish@2.000ms=ok", "publish@3.000ms=" + model.ErrConnectionClosed}, calls(res, "actions[0]"))
	require.Equal(t, []string{"close@2.000ms=ok"}, calls(res, "actions[1]"))
}

// TestTriggerEvery: with every, the action runs at each matching event;
// without, at the first only (a trigger that ignored fired would run the
// second action three times, one that ignored every the first once).
func TestTriggerEvery(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 0s, publish: {client: app, subject: a, count: 3}}
  - after: {event: callback_end, sub: s1, every: true}
    publish: {client: app, subject: b}
  - after: {event: callback_end, sub: s1}
    publish: {client: app, subject: b}
`)
	require.Equal(t, []string{"publish@52.000ms=ok", "publish@102.000ms=ok", "publish@152.000ms=ok"}, calls(res, "actions[1]"))
	require.Equal(t, []string{"publish@52.000ms=ok"}, calls(res, "actions[2]"))
}

// TestTriggerNeverFires: an action whose event never happens makes no
// call, and the run ends quiescent.
func TestTriggerNeverFires(t *testing.T) {
	res := runYAML(t, triggerSub+`
actions:
  - {at: 0s, publish: {client: app, subject: a}}
  - after: {event: reconnected, client: app}
    drain: {client: app}
`)
	require.Empty(t, calls(res, "actions[1]"))
}

// TestTriggerDynamicCycle: a cycle no static check can see (each callback
// start publishes another message to the same subscription) is stopped by
// the record budget, with that reason in the outcome.
func TestTriggerDynamicCycle(t *testing.T) {
	sc, err := scenario.Parse("cycle.yaml", []byte(`name: cycle
limits: {max_records: 500}
clients: [{name: app}]
subscriptions: [{id: s1, client: app, subject: a}]
actions:
  - {at: 0s, publish: {client: app, subject: a}}
  - after: {event: callback_start, sub: s1, every: true}
    publish: {client: app, subject: a}
`))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{})
	require.NoError(t, err)
	require.Equal(t, sim.RecordBudget, res.Stop.Reason)
	require.Greater(t, len(calls(res, "actions[1]")), 100)
}
