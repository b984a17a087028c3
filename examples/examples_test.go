// Package examples_test checks that each bundled example scenario has the
// outcome its description documents.
package examples_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
)

func run(t *testing.T, file string) *model.Result {
	t.Helper()
	sc, err := scenario.Load(file)
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Trace: true})
	require.NoError(t, err)
	require.Equal(t, "quiescent", res.Stop.Reason.String(), "the run must end on its own")
	for _, v := range props.Verdicts(res) {
		require.True(t, v.Holds, "invariant %s: %s", v.ID, v.Detail)
	}
	return res
}

func handledIDs(s *model.SubRecord) []int {
	var ids []int
	for _, h := range s.Handled() {
		ids = append(ids, h.Msg)
	}
	return ids
}

func callbackKinds(r *model.Result, c *model.ConnRecord) []string {
	var kinds []string
	for _, cb := range c.Callbacks {
		k := r.Str(cb.Kind)
		if r.Str(cb.Error) != "" {
			k += ":" + r.Str(cb.Error)
		}
		kinds = append(kinds, k)
	}
	return kinds
}

func statuses(c *model.ConnRecord) []string {
	var out []string
	for _, s := range c.Status {
		out = append(out, s.Status.String())
	}
	return out
}

func TestConnDrainSlowHandler(t *testing.T) {
	res := run(t, "conn-drain-slow-handler.yaml")
	sub, conn := res.Sub("updates"), res.Conn("app")
	require.Equal(t, []int{1}, handledIDs(sub), "the message is processed")
	require.Equal(t, []string{"CONNECTED", "DRAINING_SUBS", "DRAINING_PUBS", "CLOSED"}, statuses(conn))
	require.Equal(t, []string{"disconnected", "closed"}, callbackKinds(res, conn), "clean close: no async error")
	require.Empty(t, res.Str(conn.LastError))
	require.False(t, conn.DrainTimedOut)
	require.Equal(t, "drain", res.Str(sub.RemovedBy))
	// The closed callback runs after the handler returned.
	require.Greater(t, int64(conn.ClosedAt), int64(sub.HandledAt(0).End))
}

func TestConnDrainTimeout(t *testing.T) {
	res := run(t, "conn-drain-timeout.yaml")
	sub, conn := res.Sub("updates"), res.Conn("app")
	require.True(t, conn.DrainTimedOut)
	require.Equal(t, model.ErrDrainTimeout, res.Str(conn.LastError))
	require.Equal(t, []string{"async_error:ErrDrainTimeout", "disconnected", "closed"}, callbackKinds(res, conn))
	require.Equal(t, []string{"CONNECTED", "DRAINING_SUBS", "DRAINING_PUBS", "CLOSED"}, statuses(conn))
	// The deadline is 10 ms after the UNSUBs were queued; the timeout is seen
	// on the first 10 ms poll at or after it.
	require.Equal(t, conn.DrainCalledAt.Add(10e6), conn.DrainDeadline)
	// The handler was still running when the connection closed.
	require.Equal(t, 1, sub.NumHandled())
	require.Less(t, int64(conn.ClosedAt), int64(sub.HandledAt(0).End))
	require.Equal(t, "close", res.Str(sub.RemovedBy))
}

func TestSubDrain(t *testing.T) {
	res := run(t, "sub-drain.yaml")
	sub := res.Sub("updates")
	require.Equal(t, []int{1, 2}, handledIDs(sub), "both messages published before the drain are handled")
	third := res.Ledger.Message(3)
	require.Equal(t, model.MsgNoInterest, third.Fate, "the message published after the drain is never received")
	require.Equal(t, "drain", res.Str(sub.RemovedBy))
	require.GreaterOrEqual(t, int64(sub.RemovedAt), int64(sub.HandledAt(1).End))
	// The connection itself was not drained.
	require.Equal(t, []string{"CONNECTED"}, statuses(res.Conn("app")))
}

func TestRequestReplyWorkers(t *testing.T) {
	res := run(t, "request-reply-workers.yaml")
	answered := 0
	for _, c := range res.Calls() {
		if res.Str(c.Verb) == "request" && res.Str(c.Client) == "requester" {
			require.Equal(t, model.OK, res.Str(c.Result), "request %s at %v", res.Str(c.Source), c.At)
			answered++
		}
	}
	require.Equal(t, 10, answered, "all 10 requests answered")
	served := res.Sub("worker1").NumHandled() + res.Sub("worker2").NumHandled()
	require.Equal(t, 10, served, "each request handled by exactly one worker")
	conn := res.Conn("service")
	require.False(t, conn.DrainTimedOut)
	require.Equal(t, []string{"CONNECTED", "DRAINING_SUBS", "DRAINING_PUBS", "CLOSED"}, statuses(conn))
}

func TestRollingReplacement(t *testing.T) {
	res := run(t, "rolling-replacement.yaml")
	seen := map[int]string{}
	for _, id := range []string{"old-worker", "new-worker"} {
		for _, m := range handledIDs(res.Sub(id)) {
			require.NotContains(t, seen, m, "message %d handled twice", m)
			seen[m] = id
		}
	}
	require.Len(t, seen, 300, "every order is handled by exactly one member")
	require.NotZero(t, res.Sub("new-worker").NumHandled())
	old := res.Conn("old")
	require.False(t, old.DrainTimedOut)
	require.NotEqual(t, model.NoTime, old.ClosedAt)
}

// lateDeliveries returns the indices of the deliveries the server sent sub
// after processing its UNSUB.
func lateDeliveries(res *model.Result, sub string) []int {
	var out []int
	for i, d := range res.Ledger.Deliveries {
		if d.AfterUnsub && res.Subs[d.Sub].ID == sub {
			out = append(out, i)
		}
	}
	return out
}

func TestServerStallHole(t *testing.T) {
	res := run(t, "server-stall-hole.yaml")
	orders := res.Sub("orders")
	late := lateDeliveries(res, "orders")
	require.Len(t, late, 1, "one order: shop was the one publisher stalled on orders when the UNSUB was processed")
	d := &res.Ledger.Deliveries[late[0]]
	require.Equal(t, "shop", res.Str(res.Ledger.Message(int(d.Msg)).From))
	require.Less(t, int64(res.Ledger.Message(int(d.Msg)).AcceptedAt), int64(orders.UnsubProcessedAt), "published before the UNSUB")
	require.Greater(t, int64(d.CommittedAt), int64(orders.UnsubProcessedAt), "sent after it")
	require.GreaterOrEqual(t, int64(d.ArrivedAt), int64(orders.BarrierAt), "and read after the drain's PONG")
	require.Equal(t, model.DlvDropped, d.Fate)
	require.Equal(t, model.DropUnknownSid, d.Reason, "nats.go had already removed the subscription")
	require.True(t, d.Draining)
	// Every other order the server took before the UNSUB was handled.
	handled := handledIDs(orders)
	for _, o := range deliveriesOf(res, "orders") {
		if o != late[0] {
			require.Contains(t, handled, int(res.Ledger.Deliveries[o].Msg))
		}
	}

	// The outcome says it was the server.
	out := res.Outcome()
	require.Equal(t, 1, out.Messages.LateAfterUnsub)
	var dropped []model.DroppedOutcome
	for _, s := range out.Subscriptions {
		if s.ID == "orders" {
			dropped = s.Dropped
		}
	}
	require.Equal(t, []model.DroppedOutcome{{Msg: int(d.Msg), Reason: "unknown_sid", AtNS: int64(d.DroppedAt), Draining: true, LateAfterUnsub: true}}, dropped)
	require.Empty(t, props.DrainLoss(res), "not a loss of the drain")

	// Without the tag the same drop reads as a drain bug, and
	// no-loss-under-drain reports it: the tag is what tells them apart.
	d.AfterUnsub = false
	inv, ok := props.Lookup("no-loss-under-drain")
	require.True(t, ok)
	require.NotEmpty(t, inv.Check(res))
	require.Equal(t, late, props.DrainLoss(res))
}

// deliveriesOf returns the indices of the deliveries to sub.
func deliveriesOf(res *model.Result, sub string) []int {
	var out []int
	for i, d := range res.Ledger.Deliveries {
		if res.Subs[d.Sub].ID == sub {
			out = append(out, i)
		}
	}
	return out
}

func TestServerNoStall(t *testing.T) {
	res := run(t, "server-no-stall.yaml")
	require.Empty(t, lateDeliveries(res, "orders"), "no stall, no hole")
	require.Empty(t, lateDeliveries(res, "bulk"))
	stalled := map[string]int{}
	for _, d := range res.Ledger.Deliveries {
		if d.Fate == model.DlvDropped && d.Reason == model.DropServerStalled {
			stalled[res.Subs[d.Sub].ID]++
		}
	}
	require.Equal(t, 3, stalled["orders"])
	require.Positive(t, stalled["bulk"])
	// The order the stall hole lost is handled.
	hole := run(t, "server-stall-hole.yaml")
	lost := int(hole.Ledger.Deliveries[lateDeliveries(hole, "orders")[0]].Msg)
	require.Contains(t, handledIDs(res.Sub("orders")), lost)
	require.Empty(t, props.DrainLoss(res))
}
