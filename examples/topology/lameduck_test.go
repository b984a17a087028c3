package topology_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// lost returns the messages published on subject that none of subs
// handled, in order: what the application behind those subscriptions
// lost, whatever their own drops say (a plain message dropped at the old
// subscription but handled by the new one is not lost).
func lost(res *model.Result, subject string, subs ...string) []int {
	got := map[int]bool{}
	for _, s := range subs {
		for _, m := range handled(res.Sub(s)) {
			got[m] = true
		}
	}
	var out []int
	for i := range res.Ledger.Messages {
		m := &res.Ledger.Messages[i]
		if res.Str(m.Subject) == subject && !got[m.ID] {
			out = append(out, m.ID)
		}
	}
	return out
}

// noInterest returns the messages the publisher's server found no
// interest for.
func noInterest(res *model.Result) []int {
	var out []int
	for i := range res.Ledger.Messages {
		if m := &res.Ledger.Messages[i]; m.Fate == model.MsgNoInterest {
			out = append(out, m.ID)
		}
	}
	return out
}

// field returns the value of ev's field key in res's trace.
func field(res *model.Result, ev sim.Event, key string) string {
	f, _ := res.Trace.Field(ev, key)
	return f.Value()
}

// statuses renders a connection's status changes.
func statuses(c *model.ConnRecord) string {
	s := ""
	for _, st := range c.Status {
		s += fmt.Sprintf("%s@%s ", st.Status, st.At)
	}
	return s
}

// TestReconnectToAnotherServer breaks the link of a subscriber on a whose
// pool is [a, b]: it reconnects to b at once (nats.go sleeps only after a
// whole round of the pool), b gets the SUB with the same sid and
// announces it, and what the publisher's server b had routed toward a
// meanwhile is dropped there for the broken link. (Breaks it catches: a
// model that reconnects to the client's own server, which is up, would
// show no reconnect.server and handle later messages at a; one that
// sleeps reconnect_wait first would reconnect at 2,005 ms.)
func TestReconnectToAnotherServer(t *testing.T) {
	src := `name: reconnect-elsewhere
seed: 1
network: {latency: 250us}
servers: [{name: a, cluster: c}, {name: b, cluster: c}]
routes: [{mesh: c, latency: 1ms}]
clients:
  - {name: w, server: a, reconnect_servers: [b]}
  - {name: p, server: b}
subscriptions:
  - {id: s, client: w, subject: x}
actions:
  - {at: 0s, publish: {client: p, subject: x, count: 100, interval: 100us}}
  - {at: 5ms, disconnect: {client: w}}
`
	sc, err := scenario.Parse("r.yaml", []byte(src))
	require.NoError(t, err)
	res := run(t, sc)
	require.Equal(t, "CONNECTED@0.000ms RECONNECTING@5.000ms CONNECTED@5.500ms ", statuses(res.Conn("w")))
	var moved, resub string
	for _, ev := range res.Trace.Events() {
		switch {
		case ev.Kind == "reconnect.server":
			moved = ev.At.String() + " " + field(res, ev, "from") + "->" + field(res, ev, "to")
		case ev.Kind == "server.sub" && ev.At > 0:
			resub = ev.At.String() + " sid=" + field(res, ev, "sid")
		}
	}
	require.Equal(t, "5.000ms a->b", moved)
	require.Equal(t, "5.750ms sid=1", resub, "b processes the re-sent SUB, same sid, one link delay after the handshake")
	// 36 to 38 were in a's FIFO or on the wire at the break; b routed 39
	// to 58 toward a, which had closed w's connection at 5 ms and whose
	// RS- reached b at 6 ms; from 56 on (accepted at 5.75 ms) b also has
	// the subscription itself, so 56 to 58 are handled once and their
	// copies to a dropped. Twenty messages are lost.
	span := func(lo, hi int) []int {
		var out []int
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
		return out
	}
	require.Equal(t, map[string][]int{"disconnect": span(36, 58)}, drops(res, "s"))
	require.Equal(t, span(36, 55), lost(res, "x", "s"))
	require.Equal(t, append(span(1, 35), span(56, 100)...), handled(res.Sub("s")))
}

// TestRollingRestartIgnore is the reference's E7 with the default
// LameDuckModeHandler: the clients on a wait to be evicted. The worker is
// evicted at 350 ms (50 ms + grace), reconnects to b at once; the plain
// client 575.552 ms later (a drawn sleep in [300, 600) ms: si = (1.5 s −
// 0.3 s)/2 clients), and a shuts down at once. The plain subscriber loses
// what c had routed toward a and what c published before b's RS+ reached
// it: six messages, about 3 ms of traffic (E7: 15–20 at a few thousand
// per second, "around the eviction"). The queue group loses nothing: the
// worker was evicted while a was up, and what was on the route toward it
// was handed back to b (E7: 0 in three runs of four). (Breaks it catches:
// no eviction (no loss), no shutdown after the last eviction, evictions
// without the grace period, a reconnect that waits reconnect_wait.)
func TestRollingRestartIgnore(t *testing.T) {
	res := run(t, load(t, "rolling-restart-ignore.yaml"))
	require.Equal(t, "CONNECTED@0.000ms RECONNECTING@350.250ms CONNECTED@350.750ms ", statuses(res.Conn("worker")))
	require.Equal(t, "CONNECTED@0.000ms RECONNECTING@925.802ms CONNECTED@926.302ms ", statuses(res.Conn("plain")))
	require.Equal(t, "lame_duck", res.Str(res.Conn("plain").Callbacks[0].Kind))
	require.Equal(t, "50.250ms", res.Conn("plain").Callbacks[0].At.String(), "the INFO with ldm arrives one client link delay later")
	require.Equal(t, []int{3699, 3701, 3703, 3705, 3707, 3709}, lost(res, "events", "s"))
	require.Equal(t, map[string][]int{"server_shutdown": {3699, 3701, 3703, 3705}}, drops(res, "s"))
	require.Equal(t, []int{3707, 3709}, noInterest(res), "published before b's RS+ reached c")
	require.Empty(t, lost(res, "jobs", "qa", "qb"))
}

// TestRollingRestartForceReconnect: both clients call ForceReconnect when
// the notice arrives (50.25 ms) and are on b half a millisecond later.
// What a had queued for them or had on the wire is lost, a queue message
// among it (E7: "even queue messages assigned to QA are lost"), and so is
// what c routed toward a before it heard of the move. (Breaks it catches:
// a ForceReconnect that flushes the server's queue to the client loses
// no queue message; one that sleeps reconnect_wait first loses seconds.)
func TestRollingRestartForceReconnect(t *testing.T) {
	res := run(t, load(t, "rolling-restart-force-reconnect.yaml"))
	for _, c := range []string{"plain", "worker"} {
		require.Equal(t, "CONNECTED@0.000ms RECONNECTING@50.250ms CONNECTED@50.750ms ", statuses(res.Conn(c)), c)
	}
	require.Equal(t, []int{197, 199, 201, 203, 205, 207}, lost(res, "events", "s"))
	require.Equal(t, map[string][]int{"force_reconnect": {197, 199, 201, 203}}, drops(res, "s"))
	require.Equal(t, []int{205, 207}, noInterest(res))
	require.Equal(t, []int{198}, lost(res, "jobs", "qa", "qb"))
	require.Equal(t, map[string][]int{"force_reconnect": {198}}, drops(res, "qa"))
}

// TestRollingRestartMakeBeforeBreak: the handler subscribes on b, flushes,
// then drains the old connection. The queue group loses nothing, as in
// E7. The plain subscriber loses three messages here, where E7 lost none:
// the flush proves that b has the subscription, not that c knows of it;
// with 1 ms routes c learns of it at 51.5 ms, and what c routed only
// toward a before then reaches a after the UNSUB (51 ms). E7 ran on
// loopback, where the route delay is shorter than the flush's round trip.
// The wait after the flush must cover b's RS+ to c and what c has in
// flight toward a, two route delays less the flush's and the UNSUB's
// client hops: 1 ms loses one message, 2 ms none. (Breaks it
// catches: a model where a SUB is known cluster-wide at once loses
// nothing without the wait; one where the drain's UNSUB reaches c first
// loses more with it.)
func TestRollingRestartMakeBeforeBreak(t *testing.T) {
	sc := load(t, "rolling-restart-make-before-break.yaml")
	res := run(t, sc)
	require.Equal(t, []int{201, 203, 205}, lost(res, "events", "s", "s2"))
	require.Equal(t, map[string][]int{"route_no_interest": {201, 203, 205, 207}}, drops(res, "s"), "207 reached b too")
	require.Empty(t, lost(res, "jobs", "qa", "qb", "qa2"))
	require.Empty(t, noInterest(res))

	wait := func(d time.Duration) *model.Result {
		for i := range sc.Actions {
			if sc.Actions[i].Drain != nil {
				sc.Actions[i].After.Delay = d
			}
		}
		return run(t, sc)
	}
	require.Equal(t, []int{205}, lost(wait(time.Millisecond), "events", "s", "s2"), "one route delay is not enough")
	res = wait(2 * time.Millisecond)
	require.Empty(t, lost(res, "events", "s", "s2"), "with a wait of two route delays")
	require.Empty(t, lost(res, "jobs", "qa", "qb", "qa2"))
}

// TestLameDuckEvictionsAreDrawn checks the sleep between two evictions
// over seeds: with two clients, a grace of 300 ms and a duration of 1.5 s,
// si = 600 ms, and each sleep is drawn from [300, 600) ms; the order of
// the two evictions is drawn too. (Breaks it catches: a fixed sleep, si
// without the division by the clients, a sleep over si, a fixed order.)
func TestLameDuckEvictionsAreDrawn(t *testing.T) {
	sc := load(t, "rolling-restart-ignore.yaml")
	sc.Actions = sc.Actions[2:] // only the lame-duck mode
	gaps := map[time.Duration]bool{}
	first := map[string]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		sc.Seed = seed
		res := run(t, sc)
		var at []time.Duration
		var who []string
		for _, ev := range res.Trace.Events() {
			if ev.Kind == "server.evict" {
				at = append(at, time.Duration(ev.At))
				who = append(who, field(res, ev, "client"))
			}
		}
		require.Len(t, at, 2)
		require.Equal(t, 350*time.Millisecond, at[0], "the first eviction follows the grace period")
		gap := at[1] - at[0]
		require.GreaterOrEqual(t, gap, 300*time.Millisecond)
		require.Less(t, gap, 600*time.Millisecond)
		gaps[gap] = true
		first[who[0]] = true
	}
	require.Greater(t, len(gaps), 10, "the sleeps are drawn")
	require.Len(t, first, 2, "the order is drawn")
}
