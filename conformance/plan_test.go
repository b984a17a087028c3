package conformance

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

func compile(t *testing.T, src string) *Plan {
	t.Helper()
	sc, err := scenario.Parse("plan.yaml", []byte(src))
	require.NoError(t, err)
	p, err := model.LookupProfile(sc.Profile)
	require.NoError(t, err)
	pl, err := Compile(sc, p, map[string]string{"a": "nats://a", "b": "nats://b"}, 3*time.Second)
	require.NoError(t, err)
	return pl
}

// TestCompileResolvesDefaults: the plan carries the profile's defaults
// wherever the scenario is silent, so that a driver needs to know nothing
// about the profile.
func TestCompileResolvesDefaults(t *testing.T) {
	pl := compile(t, `name: p
profile: go
clients:
  - {name: a}
  - {name: b, drain_timeout: 250ms, pending_msgs_limit: 7, reconnect_wait: 10ms, allow_reconnect: false}
subscriptions:
  - {id: s, client: b, subject: x, queue: q, pending_msgs_limit: -1, handler: {duration: 20ms, blocking: true, actions: [{nth: 2, reply: {size: 3}}, {publish: {subject: y, count: 2, interval: 1ms}}]}}
  - {id: t, client: a, subject: z, type: sync, deferred: true}
actions:
  - {at: 1ms, publish: {client: a, subject: x}}
  - {at: 2ms, drain: {client: b}}
  - {at: 3ms, disconnect: {client: a, for: 50ms}}
  - {at: 4ms, next_msg: {sub: t, timeout: 5ms, count: 2}}
`)
	require.Equal(t, ProtocolVersion, pl.Protocol)
	require.Equal(t, int64(3*time.Second), pl.UntilNS)
	a, b := pl.Clients[0], pl.Clients[1]
	require.Equal(t, "nats://a", a.URL)
	require.Equal(t, int64(model.GoProfile.DrainTimeout), a.DrainTimeoutNS)
	require.Equal(t, int64(250*time.Millisecond), b.DrainTimeoutNS)
	require.Equal(t, int64(10*time.Millisecond), b.ReconnectWaitNS)
	require.True(t, a.Reconnect)
	require.False(t, b.Reconnect)
	s, u := pl.Subscriptions[0], pl.Subscriptions[1]
	require.Equal(t, -1, s.PendingMsgsLimit, "unlimited")
	require.Equal(t, model.GoProfile.PendingBytesLimit, s.PendingBytesLimit)
	require.Equal(t, model.GoProfile.PendingMsgsLimit, u.PendingMsgsLimit)
	require.Equal(t, "sync", u.Type)
	require.True(t, u.Deferred)
	require.True(t, s.Handler.Blocking)
	require.Equal(t, int64(20*time.Millisecond), s.Handler.DurationNS)
	require.Equal(t, 2, s.Handler.Actions[0].Nth)
	require.Equal(t, "reply", s.Handler.Actions[0].Verb())
	require.Equal(t, &PlanPublish{Subject: "y", Count: 2, IntervalNS: int64(time.Millisecond)}, s.Handler.Actions[1].Publish)
	require.Equal(t, "actions[2]", pl.Actions[2].Source)
	require.True(t, pl.Actions[2].Harness, "faults are the harness's")
	require.False(t, pl.Actions[1].Harness)
	require.Equal(t, 1, pl.Actions[0].Publish.Count, "a count defaults to 1")
	require.Equal(t, &PlanNextMsg{Sub: "t", TimeoutNS: int64(5 * time.Millisecond), Count: 2}, pl.Actions[3].NextMsg)
}

func TestCompileNoTimeout(t *testing.T) {
	pl := compile(t, "name: p\nprofile: natsjs\nclients: [{name: a, drain_timeout: 1s}]\n")
	require.Equal(t, int64(NoTimeout), pl.Clients[0].DrainTimeoutNS, "nats.js's drain takes no timeout")
}

func TestCompileMissingURL(t *testing.T) {
	sc, err := scenario.Parse("plan.yaml", []byte("name: p\nclients: [{name: c}]\n"))
	require.NoError(t, err)
	_, err = Compile(sc, &model.GoProfile, map[string]string{}, time.Second)
	require.ErrorContains(t, err, "no server URL for client c")
}

// TestCompileRefusesTriggers: driver protocol v1 carries timed actions
// only, so a plan for a scenario with an event-triggered action is refused
// rather than played at the action's unused time 0.
// TestCompileRefusesNatsGoOnly: a plan for another library's driver cannot
// carry a chan subscription or status events (a Compile that passed the
// type on would have drivers make an async subscription instead).
func TestCompileRefusesNatsGoOnly(t *testing.T) {
	for _, sub := range []string{"{id: s, client: c, subject: x, type: chan}", "{id: s, client: c, subject: x, status_events: true}"} {
		sc, err := scenario.Parse("plan.yaml", []byte("name: p\nclients: [{name: c}]\nsubscriptions: ["+sub+"]\n"))
		require.NoError(t, err)
		_, err = Compile(sc, &model.GoProfile, map[string]string{"c": "nats://c"}, time.Second)
		require.ErrorContains(t, err, "subscriptions[0]: chan subscriptions and status_events are not in driver protocol v1")
	}
}

func TestCompileRefusesTriggers(t *testing.T) {
	sc, err := scenario.Parse("plan.yaml", []byte("name: p\nclients: [{name: c}]\nactions: [{after: {event: reconnected, client: c}, drain: {client: c}}]\n"))
	require.NoError(t, err)
	_, err = Compile(sc, &model.GoProfile, map[string]string{"c": "nats://c"}, time.Second)
	require.ErrorContains(t, err, "actions[0]: event-triggered actions (after:) are not in driver protocol v1")
}

// TestCompileRefusesPingStallOffline: driver protocol v1 carries neither
// the PING timer options nor offline_until nor stall nor publish headers,
// so a plan with any of them is refused (a Compile that dropped them would have the driver
// play a different scenario: no stale detection, a first connect that
// succeeds, a link that never goes silent).
func TestCompileRefusesPingStallOffline(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"clients: [{name: c, ping_interval: 1s}]\n", "clients[0]: ping_interval, max_pings_out and offline_until are not in driver protocol v1"},
		{"clients: [{name: c, max_pings_out: 3}]\n", "clients[0]: ping_interval, max_pings_out and offline_until are not in driver protocol v1"},
		{"clients: [{name: c, offline_until: 1s}]\n", "clients[0]: ping_interval, max_pings_out and offline_until are not in driver protocol v1"},
		{"clients: [{name: c}]\nactions: [{at: 0s, stall: {client: c, for: 1s}}]\n", "actions[0]: stall is not in driver protocol v1"},
		{"clients: [{name: c}]\nactions: [{at: 0s, publish: {client: c, subject: x, headers: 100}}]\n", "actions[0]: publish headers are not in driver protocol v1"},
		{"clients: [{name: c}]\nsubscriptions: [{id: s, client: c, subject: x, handler: {actions: [{publish: {subject: y, headers: 100}}]}}]\n", "subscriptions[0].handler.actions[0]: publish headers are not in driver protocol v1"},
	} {
		sc, err := scenario.Parse("plan.yaml", []byte("name: p\n"+c.yaml))
		require.NoError(t, err)
		_, err = Compile(sc, &model.GoProfile, map[string]string{"c": "nats://c"}, time.Second)
		require.ErrorContains(t, err, c.want)
	}
}

// TestMsgWithHeadersSize: the runner pads a message's encoded headers, its
// key header included, to exactly the scenario's size (nats.go's own
// Msg.Size counts them), and refuses a size too small for the key header.
// It catches padding that is off by the header line's framing.
func TestMsgWithHeadersSize(t *testing.T) {
	for _, hdr := range []int{64, 500, 4096} {
		m, err := msgWithHeaders("work", "", MessageKey("actions[12]", 3), 10, hdr)
		require.NoError(t, err)
		require.Equal(t, hdr, m.Size()-len("work")-10, "headers: %d", hdr)
	}
	_, err := msgWithHeaders("work", "", MessageKey("actions[0]", 0), 10, 40)
	require.ErrorContains(t, err, "cannot hold the runner's key header")
}

// TestCompileRefusesLameDuck: driver protocol v1 has no lame-duck mode,
// neither the server's nor a client's reaction to it, so a plan with
// either is refused (a Compile that dropped them would have the driver
// play a cluster whose server never leaves).
func TestCompileRefusesLameDuck(t *testing.T) {
	const two = "name: p\nservers: [{name: a, cluster: e}, {name: b, cluster: e}]\n"
	for _, c := range []struct{ yaml, want string }{
		{"clients: [{name: c}]\nactions: [{at: 0s, lame_duck: {server: a}}]\n", "actions[0]: lame_duck is not in driver protocol v1"},
		{"clients: [{name: c, lame_duck: force_reconnect}]\n", "clients[0]: lame_duck is not in driver protocol v1"},
	} {
		sc, err := scenario.Parse("plan.yaml", []byte(two+c.yaml))
		require.NoError(t, err)
		_, err = Compile(sc, &model.GoProfile, map[string]string{"c": "nats://c"}, time.Second)
		require.ErrorContains(t, err, c.want)
	}
}
