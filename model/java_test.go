package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// These pin the nats.java knobs to exact virtual times; each has a scenario
// in testdata/conformance/java that the real library (2.26.2) agrees on.

func callAt(t *testing.T, res *model.Result, source string) model.CallRecord {
	t.Helper()
	for _, c := range res.Calls() {
		if res.Str(c.Source) == source {
			return c
		}
	}
	t.Fatalf("no call from %s", source)
	return model.CallRecord{}
}

func javaCallbacks(r *model.Result, c *model.ConnRecord) []string {
	var out []string
	for _, cb := range c.Callbacks {
		k := r.Str(cb.Kind)
		if r.Str(cb.Error) != "" {
			k += "(" + r.Str(cb.Error) + ")"
		}
		out = append(out, k)
	}
	return out
}

func TestJavaDrainCallWaitsForItsBarrier(t *testing.T) {
	// DrainCallFlushes: drain() returns after its own PING/PONG (one round
	// trip, 2 ms); the close fires no disconnected callback
	// (NoDisconnectedOnClose). testdata/conformance/java/drain-normal.yaml.
	res := runYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 1s}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 20ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 3}}
  - {at: 10ms, drain: {client: app}}
`)
	d := callAt(t, res, "actions[1]")
	require.Equal(t, ms(10), d.At)
	require.Equal(t, ms(12), d.ReturnedAt)
	require.Equal(t, "ok", res.Str(d.Result))
	c := res.Conn("app")
	require.Equal(t, ms(64), c.ClosedAt)
	require.Equal(t, ms(64), c.DrainDoneAt)
	require.Equal(t, model.OK, res.Str(c.DrainResult))
	require.Equal(t, []string{"closed"}, javaCallbacks(res, c))
}

func TestJavaDisconnectMidDrainIsSwallowed(t *testing.T) {
	// SwallowWhileDraining + FinalFlushInTimeout: no disconnected callback,
	// both callbacks run to their end, the final flush waits on the dead link
	// until 1 s after the drain call, reports ErrTimeout, and the future
	// completes false. testdata/conformance/java/disconnect-during-drain.yaml.
	res := runYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 1s}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 100ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 2}}
  - {at: 10ms, drain: {client: app}}
  - {at: 50ms, disconnect: {client: app, for: 100ms}}
`)
	c := res.Conn("app")
	require.Equal(t, []string{"async_error(ErrTimeout)", "closed"}, javaCallbacks(res, c))
	require.Equal(t, ms(1010), c.Callbacks[0].At)
	require.Equal(t, ms(1010), c.ClosedAt)
	require.Equal(t, model.ErrDrainTimeout, res.Str(c.DrainResult))
	require.True(t, c.DrainTimedOut)
	s := res.Sub("s")
	require.Equal(t, 2, s.NumHandled())
	require.Equal(t, ms(202), s.HandledAt(1).End)
	// SubsRemovedAtClose: drained at 202 ms, still active until the close.
	require.Equal(t, ms(1010), s.RemovedAt)
	require.Equal(t, "drain", res.Str(s.RemovedBy))
}

func TestJavaDrainWhileDisconnectedThrowsAtTimeout(t *testing.T) {
	// DrainCallFlushes: the drain's own flush waits for a reconnect within
	// the drain timeout, then the call returns ErrTimeout and the connection
	// is closed; no drain was started and none completes.
	// testdata/conformance/java/drain-while-disconnected.yaml.
	res := runYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 1s}]
subscriptions:
  - {id: s, client: app, subject: work}
actions:
  - {at: 10ms, disconnect: {client: app, for: 5s}}
  - {at: 20ms, drain: {client: app}}
`)
	d := callAt(t, res, "actions[1]")
	require.Equal(t, model.ErrTimeout, res.Str(d.Result))
	require.Equal(t, ms(1020), d.ReturnedAt)
	c := res.Conn("app")
	require.Equal(t, ms(1020), c.ClosedAt)
	require.Equal(t, model.NoTime, c.DrainCalledAt)
	require.Equal(t, model.NoTime, c.DrainDoneAt)
}

func TestJavaZeroTimeoutDrainOnDeadLinkNeverCloses(t *testing.T) {
	// ZeroTimeout for ever + SwallowWhileDraining: the final flush waits for
	// ever. testdata/conformance/java/drain-zero-timeout-disconnect.yaml.
	res := runYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app, drain_timeout: 0s}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 100ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work}}
  - {at: 10ms, drain: {client: app}}
  - {at: 50ms, disconnect: {client: app, for: 100ms}}
`)
	c := res.Conn("app")
	require.Equal(t, model.NoTime, c.ClosedAt)
	require.Equal(t, model.NoTime, c.DrainDoneAt)
	require.Empty(t, c.Callbacks)
	require.Equal(t, model.NoTime, res.Sub("s").RemovedAt, "drained, but active until a close that never comes")
}

func TestJavaSubDrainTimeoutReportsTrue(t *testing.T) {
	// SubDrainResult + SubDrainResultAfterCleanup (nats.java #1616): the
	// sync subscription's drain times out 100 ms after its barrier (12 ms),
	// drops the three unread messages, and still completes ok.
	// testdata/conformance/java/sub-drain-timeout-result-true.yaml.
	res := runYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work, type: sync}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 3}}
  - {at: 10ms, drain_sub: {sub: s, timeout: 100ms}}
`)
	d := callAt(t, res, "actions[1]")
	require.Equal(t, ms(12), d.ReturnedAt)
	s := res.Sub("s")
	require.Equal(t, ms(112), s.RemovedAt)
	require.Equal(t, ms(112), s.DrainDoneAt)
	require.Equal(t, model.OK, res.Str(s.DrainResult))
	o := res.Outcome()
	require.Len(t, o.Subscriptions[0].Dropped, 3)
	require.Equal(t, ms(112), sim.Time(*o.Subscriptions[0].DrainDoneNS))

	// Without the bug, the same drain reports its timeout.
	p := model.JavaProfile
	p.SubDrainResultAfterCleanup = false
	sc := parseYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work, type: sync}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 3}}
  - {at: 10ms, drain_sub: {sub: s, timeout: 100ms}}
`)
	res, err := model.Run(sc, model.Config{Profile: &p})
	require.NoError(t, err)
	require.Equal(t, model.ErrDrainTimeout, res.Str(res.Sub("s").DrainResult))
}

func TestJavaDispatcherDrainWaitsForItsCallbacks(t *testing.T) {
	// A subscription on a dispatcher of its own is drained as a dispatcher:
	// after the last callback returned (62 ms), result ok.
	// testdata/conformance/java/dispatcher-drain.yaml.
	res := runYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 20ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 3}}
  - {at: 10ms, drain_sub: {sub: s, timeout: 1s}}
`)
	s := res.Sub("s")
	require.Equal(t, 3, s.NumHandled())
	require.Equal(t, ms(62), s.DrainDoneAt)
	require.Equal(t, model.OK, res.Str(s.DrainResult))
}

func TestJavaSharedDispatcherSubDrainDropsItsMessages(t *testing.T) {
	// DispatcherSubDrainAtBarrier (nats.java #1420): a, on the shared
	// dispatcher, is drained alone while its first 50 ms callback runs: the
	// drain completes ok at its barrier (12 ms) and the two messages still
	// queued for a are dropped when that callback returns.
	// testdata/conformance/java/dispatcher-sub-drain.yaml.
	res := runYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app}]
subscriptions:
  - {id: a, client: app, subject: x, dispatcher: shared, handler: {duration: 50ms}}
  - {id: b, client: app, subject: y, dispatcher: shared, handler: {duration: 50ms}}
actions:
  - {at: 0s, publish: {client: app, subject: x, count: 3}}
  - {at: 10ms, drain_sub: {sub: a, timeout: 1s}}
`)
	a := res.Sub("a")
	require.Equal(t, ms(12), a.DrainDoneAt)
	require.Equal(t, model.OK, res.Str(a.DrainResult))
	require.Equal(t, 1, a.NumHandled())
	require.Equal(t, ms(52), a.HandledAt(0).End)
	o := res.Outcome()
	require.Len(t, o.Subscriptions[0].Dropped, 2)
	require.Equal(t, int64(ms(52)), o.Subscriptions[0].Dropped[0].AtNS)
}

func TestDispatcherNeedsAProfileWithDispatchers(t *testing.T) {
	sc := parseYAML(t, `
profile: go
clients: [{name: app}]
subscriptions:
  - {id: a, client: app, subject: x, dispatcher: shared}
`)
	_, err := model.Run(sc, model.Config{})
	require.EqualError(t, err, "inline.yaml:5: subscriptions[0].dispatcher: profile go (nats.go v1.55.0) has no dispatchers that subscriptions share; leave dispatcher out")
}

// parseYAML parses a scenario written inline.
func parseYAML(t *testing.T, yaml string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("inline.yaml", []byte("name: inline\n"+strings.TrimSpace(yaml)))
	require.NoError(t, err)
	return sc
}

// TestJavaSubDrainDuringConnDrainEndsWithIt: under java a subscription
// drain called while its connection drains returns the connection's
// future (SubDrainWhileDraining "noop"), so the subscription's drain ends
// when the connection's does, with its result; a subscription of another
// connection, whose drain it also follows, ends when that one's does, not
// at the first close.
// Catches the connection's close signalling no subscription, or every
// subscription whose drain followed any connection's
// (Conn.drainFollowers).
func TestJavaSubDrainDuringConnDrainEndsWithIt(t *testing.T) {
	res := runYAML(t, `
profile: java
seed: 1
network: {latency: 1ms}
clients: [{name: app}, {name: other}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 20ms}}
  - {id: o, client: other, subject: elsewhere, handler: {duration: 200ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 3}}
  - {at: 0s, publish: {client: other, subject: elsewhere}}
  - {at: 10ms, drain: {client: app}}
  - {at: 10ms, drain: {client: other}}
  - {at: 11ms, drain_sub: {sub: s, timeout: 1s}}
  - {at: 11ms, drain_sub: {sub: o, timeout: 1s}}
`)
	app, other := res.Conn("app"), res.Conn("other")
	require.NotEqual(t, model.NoTime, app.DrainDoneAt)
	require.Less(t, app.DrainDoneAt, other.DrainDoneAt, "the test wants app's drain to end first")
	s, o := res.Sub("s"), res.Sub("o")
	require.Equal(t, app.DrainDoneAt, s.DrainDoneAt)
	require.Equal(t, res.Str(app.DrainResult), res.Str(s.DrainResult))
	require.Equal(t, other.DrainDoneAt, o.DrainDoneAt)
}

func TestJavaQueueMemberSubDrainTimeout(t *testing.T) {
	// SubDrainResultAfterCleanup (nats.java #1616) in a queue group: the
	// PUB goes out before m1's UNSUB, the server routes it to m1 (the
	// seed's queue choice), nobody reads m1, its drain times out 100 ms
	// after the barrier (12 ms), drops the message and still completes ok;
	// m2, subscribed all along, handles nothing.
	// testdata/conformance/java/queue-sub-drain-timeout.yaml, where the real
	// 2.26.2 did the same whenever its queue choice was m1.
	sc, err := scenario.Load("../testdata/conformance/java/queue-sub-drain-timeout.yaml")
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{})
	require.NoError(t, err)
	require.Equal(t, ms(12), callAt(t, res, "actions[1]").ReturnedAt)
	m1 := res.Sub("m1")
	require.Equal(t, ms(112), m1.RemovedAt)
	require.Equal(t, model.OK, res.Str(m1.DrainResult))
	o := res.Outcome()
	require.Len(t, o.Subscriptions[0].Dropped, 1)
	require.Zero(t, res.Sub("m2").NumHandled())
}
