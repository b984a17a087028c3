package model_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// Chan subscriptions (nats.go ChanSubscribe), issue 16 item 3; conformance
// scenarios chan-sub-drain.yaml and chan-sub-full.yaml agree with nats.go
// (conformance.TestNatsGoBehaviours).

// returns lists the calls of source as "verb@at-returned=result#msg".
func returns(res *model.Result, source string) []string {
	var out []string
	for _, c := range res.Calls() {
		if res.Str(c.Source) == source {
			out = append(out, res.Str(c.Verb)+"@"+c.At.String()+"-"+c.ReturnedAt.String()+"="+res.Str(c.Result)+"#"+strconv.Itoa(c.Msg))
		}
	}
	return out
}

// TestChanSubDrainDoesNotWaitForReads: nats.go counts no chan subscription
// message as pending (nats.go #1446), so the sub's drain removes it at the
// first check after its barrier (12 ms) although five messages sit unread
// in the channel; DRAINING_PUBS at the next 10 ms tick, CLOSED after the
// final flush. The channel stays open: reads at 50 ms get all five, the
// sixth times out at 70 ms. It catches a model that counts chan messages as
// pending (the drain would wait its 30 s out) or that empties the channel
// when the subscription is removed (the reads would find nothing).
func TestChanSubDrainDoesNotWaitForReads(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions: [{id: c, client: app, subject: work, type: chan, chan_len: 8}]
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 5}}
  - {at: 10ms, drain: {client: app}}
  - {at: 50ms, next_msg: {sub: c, count: 6, timeout: 20ms}}
`)
	s, c := res.Subs[0], res.Conns[0]
	require.Equal(t, ms(12), s.BarrierAt)
	require.Equal(t, ms(12), s.RemovedAt)
	require.Equal(t, "drain", res.Str(s.RemovedBy))
	require.Equal(t, ms(12), s.ClosedHandlerAt)
	require.Equal(t, ms(20), statusAt(c, model.DrainingPubs))
	require.Equal(t, ms(22), c.ClosedAt)
	require.False(t, c.DrainTimedOut)
	want := []string{}
	for m := 1; m <= 5; m++ {
		want = append(want, "next_msg@50.000ms-50.000ms=ok#"+strconv.Itoa(m))
	}
	want = append(want, "next_msg@50.000ms-70.000ms=ErrTimeout#0")
	require.Equal(t, want, returns(res, "actions[2]"))
}

// TestChanSubFullChannel: a message that finds the channel full is dropped
// as a slow consumer (one ErrSlowConsumer for the episode, with the sub);
// with an auto-unsubscribe limit the sub is removed as the limit's message
// enters the channel (the server, told the max, sends no more). Nothing read, so
// what the channels hold stays there to the end of the run. It catches a
// model that ignores chan_len (no drops) or counts deliveries only when
// read (no removal by max).
func TestChanSubFullChannel(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions:
  - {id: c, client: app, subject: work, type: chan, chan_len: 3}
  - {id: m, client: app, subject: work, type: chan, max: 2}
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 5}}
  - {at: 10ms, drain: {client: app}}
`)
	c, m := res.Sub("c"), res.Sub("m")
	reasons := map[string][]string{}
	for _, d := range res.Ledger.Deliveries {
		id := res.Subs[d.Sub].ID
		reasons[id] = append(reasons[id], d.Fate.String()+":"+d.Reason.String())
	}
	require.Equal(t, []string{"dropped:run_ended", "dropped:run_ended", "dropped:run_ended", "dropped:slow_consumer", "dropped:slow_consumer"}, reasons["c"])
	require.Equal(t, []string{"dropped:run_ended", "dropped:run_ended"}, reasons["m"]) // the server stops at the max
	require.Equal(t, []string{"async_error(ErrSlowConsumer)@2.000ms", "disconnected@22.000ms", "closed@22.000ms"}, connCallbacks(res, res.Conns[0]))
	require.Equal(t, ms(2), m.RemovedAt)
	require.Equal(t, "max", res.Str(m.RemovedBy))
	require.Equal(t, ms(12), c.RemovedAt)
	require.Equal(t, ms(22), res.Conns[0].ClosedAt)
}

// TestNatsGoOnlySubscriptions: chan subscriptions and status events are
// nats.go APIs; under another library's profile the scenario is refused,
// naming the field (a model that accepted them would run a chan
// subscription the other library cannot make).
func TestNatsGoOnlySubscriptions(t *testing.T) {
	for field, sub := range map[string]string{
		"type":          "{id: c, client: app, subject: x, type: chan}",
		"status_events": "{id: c, client: app, subject: x, status_events: true}",
	} {
		sc, err := scenario.Parse("c.yaml", []byte("name: c\nprofile: java\nclients: [{name: app}]\nsubscriptions: ["+sub+"]\n"))
		require.NoError(t, err)
		_, err = model.Run(sc, model.Config{})
		require.ErrorContains(t, err, "c.yaml:4: subscriptions[0]."+field+": profile java (")
	}
	sc, err := scenario.Parse("c.yaml", []byte("name: c\nprofile: go-1.53\nclients: [{name: app}]\nsubscriptions: [{id: c, client: app, subject: x, type: chan, status_events: true}]\n"))
	require.NoError(t, err)
	_, err = model.Run(sc, model.Config{})
	require.NoError(t, err)
}

// TestDoubleDrainSyncAndChan (conformance scenario double-drain-sync-chan):
// two Drain calls on a sync and on a chan subscription start two checks;
// both call removeSub, and nats.go calls the closed handler of a
// subscription without callbacks in each: twice. The chan subscription
// goes at its barriers (30 ms), the sync one at the 100 ms check after its
// messages were taken (130 ms). It catches a model that runs the handler
// once, as for async subscriptions.
func TestDoubleDrainSyncAndChan(t *testing.T) {
	res := runYAML(t, `
network: {latency: 10ms}
clients: [{name: app}, {name: pub}]
subscriptions:
  - {id: q, client: app, subject: jobs, type: sync}
  - {id: c, client: app, subject: jobs, type: chan, chan_len: 4}
actions:
  - {at: 0s, publish: {client: pub, subject: jobs, count: 2}}
  - {at: 10ms, drain_sub: {sub: q}}
  - {at: 10ms, drain_sub: {sub: q}}
  - {at: 10ms, drain_sub: {sub: c}}
  - {at: 10ms, drain_sub: {sub: c}}
  - {at: 50ms, next_msg: {sub: q, count: 2}}
`)
	q, c := res.Sub("q"), res.Sub("c")
	require.Equal(t, ms(130), q.RemovedAt)
	require.Equal(t, ms(130), q.ClosedHandlerAt)
	require.Equal(t, 2, q.ClosedHandlerCalls)
	require.Equal(t, ms(30), c.RemovedAt)
	require.Equal(t, 2, c.ClosedHandlerCalls)
	out := res.Outcome()
	require.Equal(t, 2, out.Subscriptions[0].ClosedHandlerCalls)
}
