// Package topology_test runs the example scenarios of several servers
// (docs/cluster.md) and checks their outcomes at exact virtual times.
package topology_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

func run(t *testing.T, sc *scenario.Scenario) *model.Result {
	t.Helper()
	res, err := model.Run(sc, model.Config{Trace: true})
	require.NoError(t, err)
	require.Equal(t, "quiescent", res.Stop.Reason.String(), "the run must end on its own")
	return res
}

func load(t *testing.T, file string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load(file)
	require.NoError(t, err)
	return sc
}

// drops returns, per reason, the messages dropped for sub.
func drops(res *model.Result, sub string) map[string][]int {
	out := map[string][]int{}
	idx := -1
	for i, s := range res.Subs {
		if s.ID == sub {
			idx = i
		}
	}
	for _, d := range res.Ledger.Deliveries {
		if int(d.Sub) == idx && d.Fate == model.DlvDropped {
			out[d.Reason.String()] = append(out[d.Reason.String()], int(d.Msg))
		}
	}
	return out
}

// TestPlainDrainLosesAnAcknowledgedPublish is the reference's E2: the
// publisher on b had its flush return at 0.5 ms, before the subscriber on
// a began to drain at 0.6 ms, yet the message is dropped at a at 1.25 ms:
// a removed the subscription at 0.85 ms, and the RMSG b sent at 0.25 ms
// was still on the 1 ms route. On one server the same workload handles
// the message. (Breaks it catches: a model that routes the message into
// a's FIFO at b's PUB time, or whose route has no latency, handles it.)
func TestPlainDrainLosesAnAcknowledgedPublish(t *testing.T) {
	sc := load(t, "cluster-plain-drain.yaml")
	res := run(t, sc)
	var flushed model.CallRecord
	for _, c := range res.Calls() {
		if res.Str(c.Client) == "pub" && res.Str(c.Verb) == "flush" {
			flushed = c
		}
	}
	require.Equal(t, "0.500ms", flushed.ReturnedAt.String(), "the flush returns once b has processed the PUB")
	require.Equal(t, "0.600ms", res.Sub("s").DrainCalledAt.String())
	require.Equal(t, "0.850ms", res.Sub("s").UnsubProcessedAt.String(), "a removes the subscription when the UNSUB arrives")
	require.Zero(t, res.Sub("s").NumHandled())
	m := res.Ledger.Message(1)
	require.Equal(t, "0.250ms", m.AcceptedAt.String())
	require.Equal(t, map[string][]int{"route_no_interest": {1}}, drops(res, "s"))
	for _, d := range res.Ledger.Deliveries {
		require.Equal(t, "1.250ms", d.DroppedAt.String(), "dropped when the RMSG reaches a")
		require.True(t, d.Draining, "the subscription was draining")
	}

	// The same workload on one server: the message is handled.
	sc.Topology = nil
	for i := range sc.Clients {
		sc.Clients[i].Server = ""
	}
	res = run(t, sc)
	require.Equal(t, 1, res.Sub("s").NumHandled())
	require.Empty(t, drops(res, "s"))
}

// TestQueueDrainReroutesLateNotLost is the reference's E3: the messages b
// sent toward the draining member q1 on a that arrive after a removed it
// (at 2.25 ms; b learns of it at 3.25 ms) are handed back to b over the
// route (the rsub fallback) and handled by q2 exactly one round trip (2 ms)
// after b accepted them, after later messages of the same publisher; none
// is lost. (Break it catches: without the rsub fallback in routedIn, a
// drops the twelve as route_no_fallback.)
func TestQueueDrainReroutesLateNotLost(t *testing.T) {
	res := run(t, load(t, "cluster-queue-drain.yaml"))
	q1, q2 := res.Sub("q1"), res.Sub("q2")
	require.Equal(t, "2.250ms", q1.UnsubProcessedAt.String())
	require.Equal(t, []int{1, 2, 3, 4, 7}, handled(q1))
	require.Equal(t, []int{5, 6, 8, 9, 10, 11, 12, 16, 17, 23, 24, 26, 30, 13, 14, 15, 18, 19, 20, 21, 22, 25, 27, 28, 29}, handled(q2),
		"the bounced messages come after later ones: per-publisher order is broken")
	bounced := map[int]bool{13: true, 14: true, 15: true, 18: true, 19: true, 20: true, 21: true, 22: true, 25: true, 27: true, 28: true, 29: true}
	for _, d := range res.Ledger.Deliveries {
		m := res.Ledger.Message(int(d.Msg))
		if bounced[int(d.Msg)] {
			require.Equal(t, m.AcceptedAt.Add(2*time.Millisecond), d.CommittedAt, "message %d: one round trip late", d.Msg)
		}
	}
	require.Empty(t, drops(res, "q1"))
	require.Empty(t, drops(res, "q2"))
}

func handled(s *model.SubRecord) []int {
	var ids []int
	for _, h := range s.Handled() {
		ids = append(ids, h.Msg)
	}
	return ids
}

// TestQueueHandoffNeedsAWait is the reference's hand-off finding: starting
// the new member on c and draining the old one on a at once loses what b
// routed toward a in the 2 ms before a learned of c (route_no_fallback);
// the loss shrinks with the wait between the two and is gone once the
// wait covers the route delay. (Break it catches: interest that reaches
// every server at once loses nothing at any wait.)
func TestQueueHandoffNeedsAWait(t *testing.T) {
	sc := load(t, "cluster-queue-handoff.yaml")
	lost := map[time.Duration]int{}
	for _, wait := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond} {
		sc.Actions[2].At = 10*time.Millisecond + wait
		res := run(t, sc)
		d := drops(res, "q1")
		require.Len(t, d, min(len(d), 1), "one reason at most: %v", d)
		lost[wait] = len(d["route_no_fallback"])
		require.Equal(t, 300-lost[wait], len(handled(res.Sub("q1")))+len(handled(res.Sub("q3"))), "wait %v: the rest is handled", wait)
	}
	require.Equal(t, map[time.Duration]int{0: 19, time.Millisecond: 9, 2 * time.Millisecond: 0, 5 * time.Millisecond: 0}, lost)
}

// TestLeafEchoSuppressionLosesQueueMessages is the reference's E5: q1 on
// spoke l1 drains at 2 ms, l1 removes it at 2.25 ms and the hub h learns
// of it at 3.25 ms. The eleven messages h sent toward l1 that arrive in
// between (each one leaf delay after h accepted it) find no member; l1's
// only other entry for the group is its connection back to h, in the
// cluster the message came from, so leaf echo suppression drops them
// (leaf_echo_suppressed, the topology's loss) although q2 on l2 stays
// subscribed. Without the hub's cluster name, and under the mutation
// no-leaf-echo-suppression, l1 hands them back to h, which sends them to
// q2 two leaf delays late (three hops): nothing is lost. (Breaks it catches: a spoke
// that bounces to a named hub, or one that forwards nothing, loses none
// or drops them with route_no_fallback; the mutation killed here makes
// the loss vanish.)
func TestLeafEchoSuppressionLosesQueueMessages(t *testing.T) {
	sc := load(t, "leaf-queue-drain.yaml")
	res := run(t, sc)
	q1, q2 := res.Sub("q1"), res.Sub("q2")
	require.Equal(t, "2.250ms", q1.UnsubProcessedAt.String())
	lost := []int{11, 12, 16, 17, 18, 19, 22, 25, 26, 27, 28}
	require.Equal(t, map[string][]int{"leaf_echo_suppressed": lost}, drops(res, "q1"))
	for _, d := range res.Ledger.Deliveries {
		if d.Fate == model.DlvDropped {
			m := res.Ledger.Message(int(d.Msg))
			require.Equal(t, m.AcceptedAt.Add(time.Millisecond), d.DroppedAt, "message %d: dropped when the LMSG reaches l1", d.Msg)
			require.True(t, d.Draining)
			require.True(t, d.Reason.Causes().Has(model.CauseTopology))
		}
	}
	require.Equal(t, []int{2, 5, 7, 10}, handled(q1))
	require.Equal(t, []int{1, 3, 4, 6, 8, 9, 13, 14, 15, 20, 21, 23, 24, 29, 30}, handled(q2))

	bounce := func(res *model.Result) {
		t.Helper()
		require.Empty(t, drops(res, "q1"))
		require.Len(t, handled(res.Sub("q2")), 26)
		for _, d := range res.Ledger.Deliveries {
			if slices.Contains(lost, int(d.Msg)) {
				m := res.Ledger.Message(int(d.Msg))
				require.Equal(t, m.AcceptedAt.Add(3*time.Millisecond), d.CommittedAt, "message %d: three leaf hops (h, l1, h, l2)", d.Msg)
			}
		}
	}
	res, err := model.Run(sc, model.Config{Mutations: model.MutationSet(0).With(model.NoLeafEchoSuppression)})
	require.NoError(t, err)
	bounce(res)

	sc.Topology.Servers[0].Cluster = "" // an unnamed standalone hub
	bounce(run(t, sc))
}

// TestSuperclusterQueueDrainLosesWhatWasOnTheRoute is the reference's E4:
// b serves the group inside its cluster first, so every message goes to
// q1 on a while it lives. q1 drains at 2 ms; a removes it at 2.25 ms and
// b learns of it at 3.25 ms. The nineteen messages b accepted from
// 1.35 ms to 3.15 ms reach a (1 ms later) after the removal and find no
// member and no route entry; a knows of q2 on x only through a gateway,
// which only the server where a message entered the cluster tries, so
// each is dropped (no_gateway_fallback, the topology's loss) although q2
// stays subscribed. From 3.25 ms b sends the group across its gateway and
// q2 handles the rest 5 ms after b accepted each. (Breaks it catches: a
// routed queue message that may go on over a gateway, the mutation
// gateway-fallback-anywhere killed here, loses nothing; gateway interest
// that b draws like a route entry sends messages to x from the start.)
func TestSuperclusterQueueDrainLosesWhatWasOnTheRoute(t *testing.T) {
	sc := load(t, "supercluster-queue-drain.yaml")
	res := run(t, sc)
	q1, q2 := res.Sub("q1"), res.Sub("q2")
	require.Equal(t, "2.250ms", q1.UnsubProcessedAt.String())
	var lost []int
	for id := 11; id <= 29; id++ {
		lost = append(lost, id)
	}
	require.Equal(t, map[string][]int{"no_gateway_fallback": lost}, drops(res, "q1"))
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, handled(q1))
	require.Equal(t, []int{30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40}, handled(q2))
	for _, d := range res.Ledger.Deliveries {
		m := res.Ledger.Message(int(d.Msg))
		switch {
		case d.Fate == model.DlvDropped:
			require.Equal(t, m.AcceptedAt.Add(time.Millisecond), d.DroppedAt, "message %d: dropped when the RMSG reaches a", d.Msg)
			require.True(t, d.Draining)
		case d.Sub == 1:
			require.Equal(t, m.AcceptedAt.Add(5*time.Millisecond), d.CommittedAt, "message %d: across b's gateway", d.Msg)
		}
	}

	res, err := model.Run(sc, model.Config{Mutations: model.MutationSet(0).With(model.GatewayFallbackAnywhere)})
	require.NoError(t, err)
	require.Empty(t, drops(res, "q1"), "a sends them across its own gateway")
	require.Len(t, handled(res.Sub("q2")), 30)
}
