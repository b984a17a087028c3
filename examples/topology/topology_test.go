// Package topology_test runs the example scenarios of several servers
// (docs/cluster.md) and checks their outcomes at exact virtual times.
package topology_test

import (
	"testing"

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
		if d.Sub == idx && d.Fate == model.DlvDropped {
			out[d.Reason.String()] = append(out[d.Reason.String()], d.Msg)
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
	for _, c := range res.Calls {
		if c.Client == "pub" && c.Verb == "flush" {
			flushed = c
		}
	}
	require.Equal(t, "0.500ms", flushed.ReturnedAt.String(), "the flush returns once b has processed the PUB")
	require.Equal(t, "0.600ms", res.Sub("s").DrainCalledAt.String())
	require.Equal(t, "0.850ms", res.Sub("s").UnsubProcessedAt.String(), "a removes the subscription when the UNSUB arrives")
	require.Empty(t, res.Sub("s").Handled)
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
	require.Len(t, res.Sub("s").Handled, 1)
	require.Empty(t, drops(res, "s"))
}
