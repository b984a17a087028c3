package props

import (
	"strings"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

func ms(n float64) sim.Time { return sim.Time(n * float64(time.Millisecond)) }

// handMade is a minimal Result with one client c0 and one subscription s0,
// every timestamp unset.
func handMade() *model.Result {
	l := &model.Ledger{}
	return &model.Result{
		Profile: &model.GoProfile,
		Stop:    sim.Outcome{Reason: sim.Quiescent, Now: ms(1000)},
		Ledger:  l,
		Conns:   []*model.ConnRecord{newConn(l, "c0")},
		Subs:    []*model.SubRecord{newSub(l, "s0", "c0")},
	}
}

// newConn is a record of client name, its name interned in l, every
// timestamp unset.
func newConn(l *model.Ledger, name string) *model.ConnRecord {
	return &model.ConnRecord{Client: l.Intern(name), DrainCalledAt: model.NoTime, DrainDeadline: model.NoTime, ClosedAt: model.NoTime,
		FinalFlushAt: model.NoTime, Status: []model.StatusChange{{At: 0, Status: model.Connected}}}
}

// newSub is a record of subscription id of client on t0, its strings
// interned in l, every timestamp unset.
func newSub(l *model.Ledger, id, client string) *model.SubRecord {
	return &model.SubRecord{ID: id, Client: l.Intern(client), Subject: l.Intern("t0"), UnsubReturnedAt: model.NoTime, DrainCalledAt: model.NoTime,
		UnsubProcessedAt: model.NoTime, BarrierAt: model.NoTime, RemovedAt: model.NoTime, ClosedHandlerAt: model.NoTime}
}

// closeAt closes c at t as Close does: status CLOSED, then the
// disconnected and closed callbacks (their kinds interned in l).
func closeAt(l *model.Ledger, c *model.ConnRecord, t sim.Time) {
	c.ClosedAt = t
	c.Status = append(c.Status, model.StatusChange{At: t, Status: model.Closed})
	c.Callbacks = append(c.Callbacks, callbackAt(l, t, "disconnected", "", ""), callbackAt(l, t, "closed", "", ""))
}

// callbackAt is a connection callback of kind at t naming err and sub, its
// strings interned in l.
func callbackAt(l *model.Ledger, t sim.Time, kind, err, sub string) model.CallbackEvent {
	return model.CallbackEvent{At: t, Kind: l.Intern(kind), Error: l.Intern(err), Sub: l.Intern(sub)}
}

// drained makes c0 drain at 10ms, flush successfully at 50ms and close
// cleanly then.
func drained(r *model.Result) *model.ConnRecord {
	c := r.Conns[0]
	c.DrainCalledAt, c.DrainDeadline, c.FinalFlushAt = ms(10), ms(1010), ms(50)
	c.Status = append(c.Status, model.StatusChange{At: ms(10), Status: model.DrainingSubs},
		model.StatusChange{At: ms(40), Status: model.DrainingPubs})
	closeAt(r.Ledger, c, ms(50))
	return c
}

// dropped makes l's records one message from c0 on t0, dropped for reason
// at at. It keeps l's strings, which the hand-made records name.
func dropped(l *model.Ledger, reason model.DropReason, at sim.Time) {
	l.Deliveries = []model.Delivery{{Msg: 1, Sub: 0, CommittedAt: ms(1), ArrivedAt: at, StartedAt: model.NoTime, EndedAt: model.NoTime, Fate: model.DlvDropped, Reason: reason, DroppedAt: at}}
	l.Messages = []model.Message{{ID: 1, From: l.Intern("c0"), Subject: l.Intern("t0"), Fate: model.MsgRouted, AcceptedAt: ms(1)}}
}

// published is a ledger of messages from c0 on t0, published at the given
// times and accepted 1ms later, each handed to s0's callback.
func published(r *model.Result, at ...float64) {
	for i, t := range at {
		id := i + 1
		r.Ledger.Messages = append(r.Ledger.Messages, model.Message{ID: id, From: r.Ledger.Intern("c0"), Subject: r.Ledger.Intern("t0"), Fate: model.MsgRouted,
			PublishedAt: ms(t), AcceptedAt: ms(t + 1)})
		r.Ledger.Deliveries = append(r.Ledger.Deliveries, model.Delivery{Msg: int32(id), Sub: 0, CommittedAt: ms(t + 1), ArrivedAt: ms(t + 2),
			StartedAt: ms(t + 2), EndedAt: ms(t + 3), Fate: model.DlvHandled, DroppedAt: model.NoTime})
	}
}

// conservedRun is a whole ledger: c0 publishes msg 1 on t0 at 0ms, which
// s0's callback handles.
func conservedRun() *model.Result {
	r := handMade()
	published(r, 0)
	r.Subs[0].SetHandled([]model.Handled{{Msg: 1, Delivery: 0, Start: ms(2), End: ms(3)}})
	r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("actions[0]"), Verb: r.Ledger.Intern("publish"), Client: r.Ledger.Intern("c0"), Result: r.Ledger.Intern(model.OK), Msg: 1}})
	return r
}

// handled sets s's handled list to the given messages, one callback per ms.
func handled(s *model.SubRecord, msgs ...int) {
	var hs []model.Handled
	for i, m := range msgs {
		hs = append(hs, model.Handled{Msg: m, Start: ms(float64(2 + i)), End: ms(float64(3 + i))})
	}
	s.SetHandled(hs)
}

// detachHandled gives r's subscription records their handled lists by
// hand, as the run left them: a run's lists name deliveries by their index
// in the ledger, so a test that deletes deliveries detaches them first.
func detachHandled(r *model.Result) {
	for _, s := range r.Subs {
		var hs []model.Handled
		for _, h := range s.Handled() {
			hs = append(hs, h)
		}
		s.SetHandled(hs)
	}
}

// queueOfTwo makes s0 (on c0) and s1 (on c1) a queue group on t0, both
// subscribed from the start; s0 drains from 10ms and is removed at 30ms.
func queueOfTwo(r *model.Result) {
	r.Conns = append(r.Conns, newConn(r.Ledger, "c1"))
	r.Subs = append(r.Subs, newSub(r.Ledger, "s1", "c1"))
	r.Subs[0].Queue, r.Subs[1].Queue = r.Ledger.Intern("q"), r.Ledger.Intern("q")
	r.Subs[0].DrainCalledAt, r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), ms(30), r.Ledger.Intern("drain")
	r.Scenario = &scenario.Scenario{
		Clients: []scenario.Client{{Name: "c0"}, {Name: "c1"}},
		Subs: []scenario.Subscription{{ID: "s0", Client: "c0", Subject: "t0", Queue: "q"},
			{ID: "s1", Client: "c1", Subject: "t0", Queue: "q"}},
	}
}

// TestChecksOnHandMadeResults: each invariant reports a violation on a
// minimal hand-made Result that breaks it, and none on the closest Result
// that does not.
func TestChecksOnHandMadeResults(t *testing.T) {
	cases := []struct {
		id        string
		violating func() *model.Result
		holding   func() *model.Result
	}{
		{
			id: "no-loss-under-drain",
			violating: func() *model.Result { // conn_closed at the close of a drain that did not time out
				r := handMade()
				drained(r)
				dropped(r.Ledger, model.DropConnClosed, ms(50))
				return r
			},
			holding: func() *model.Result { // the same drop after a reported timeout
				r := handMade()
				c := drained(r)
				c.DrainTimedOut, c.LastError = true, r.Ledger.Intern(model.ErrDrainTimeout)
				c.Callbacks = append([]model.CallbackEvent{callbackAt(r.Ledger, ms(20), "async_error", model.ErrDrainTimeout, "")}, c.Callbacks...)
				dropped(r.Ledger, model.DropConnClosed, ms(50))
				return r
			},
		},
		{
			id: "no-loss-under-drain",
			violating: func() *model.Result { // an unreported slow-consumer drop while draining
				r := handMade()
				r.Subs[0].DrainCalledAt = ms(10)
				dropped(r.Ledger, model.DropSlowConsumer, ms(20))
				return r
			},
			holding: func() *model.Result { // the same drop, reported
				r := handMade()
				r.Subs[0].DrainCalledAt = ms(10)
				r.Conns[0].Callbacks = []model.CallbackEvent{callbackAt(r.Ledger, ms(20), "async_error", model.ErrSlowConsumer, "s0")}
				dropped(r.Ledger, model.DropSlowConsumer, ms(20))
				return r
			},
		},
		{
			id: "no-callback-after-unsubscribe",
			violating: func() *model.Result {
				r := handMade()
				r.Subs[0].UnsubReturnedAt, r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), ms(10), r.Ledger.Intern("unsubscribe")
				r.Subs[0].SetHandled([]model.Handled{{Msg: 1, Start: ms(11), End: ms(12)}})
				return r
			},
			holding: func() *model.Result { // started at the very instant: not after
				r := handMade()
				r.Subs[0].UnsubReturnedAt, r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), ms(10), r.Ledger.Intern("unsubscribe")
				r.Subs[0].SetHandled([]model.Handled{{Msg: 1, Start: ms(10), End: ms(12)}})
				return r
			},
		},
		{
			id: "no-callback-after-unsubscribe",
			violating: func() *model.Result {
				r := handMade()
				r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), r.Ledger.Intern("drain")
				r.Subs[0].SetHandled([]model.Handled{{Msg: 1, Start: ms(11), End: ms(12)}})
				return r
			},
			holding: func() *model.Result { // removed by close: callbacks may still be queued
				r := handMade()
				r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), r.Ledger.Intern("close")
				r.Subs[0].SetHandled([]model.Handled{{Msg: 1, Start: ms(5), End: ms(12)}})
				return r
			},
		},
		{
			id: "no-delivery-after-barrier",
			violating: func() *model.Result { // published at 20ms, after the barrier at 15ms
				r := handMade()
				r.Subs[0].DrainCalledAt, r.Subs[0].BarrierAt = ms(10), ms(15)
				published(r, 20)
				handled(r.Subs[0], 1)
				return r
			},
			holding: func() *model.Result { // published before the barrier
				r := handMade()
				r.Subs[0].DrainCalledAt, r.Subs[0].BarrierAt = ms(10), ms(15)
				published(r, 12)
				handled(r.Subs[0], 1)
				return r
			},
		},
		{
			id: "drain-waits-for-callbacks",
			violating: func() *model.Result {
				r := handMade()
				r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), r.Ledger.Intern("drain")
				r.Subs[0].SetHandled([]model.Handled{{Msg: 1, Start: ms(5), End: model.NoTime}})
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), r.Ledger.Intern("drain")
				r.Subs[0].SetHandled([]model.Handled{{Msg: 1, Start: ms(5), End: ms(10)}})
				return r
			},
		},
		{
			id: "no-duplicates",
			violating: func() *model.Result {
				r := handMade()
				published(r, 1)
				handled(r.Subs[0], 1, 1)
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				published(r, 1, 2)
				handled(r.Subs[0], 1, 2)
				return r
			},
		},
		{
			id: "fifo-per-publisher",
			violating: func() *model.Result {
				r := handMade()
				published(r, 1, 2)
				handled(r.Subs[0], 2, 1)
				return r
			},
			holding: func() *model.Result { // the same order from two publishers may interleave
				r := handMade()
				published(r, 1, 2)
				r.Ledger.Messages[1].From = r.Ledger.Intern("c1")
				handled(r.Subs[0], 2, 1)
				return r
			},
		},
		{
			id: "queue-at-most-once",
			violating: func() *model.Result {
				r := handMade()
				queueOfTwo(r)
				published(r, 1)
				handled(r.Subs[0], 1)
				handled(r.Subs[1], 1)
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				queueOfTwo(r)
				published(r, 1, 2)
				r.Ledger.Deliveries[1].Sub = 1
				handled(r.Subs[0], 1)
				handled(r.Subs[1], 2)
				return r
			},
		},
		{
			id: "queue-drain-no-loss",
			violating: func() *model.Result { // accepted after the drain started, routed nowhere
				r := handMade()
				queueOfTwo(r)
				r.Ledger.Messages = []model.Message{{ID: 1, From: r.Ledger.Intern("c0"), Subject: r.Ledger.Intern("t0"), Fate: model.MsgNoInterest, PublishedAt: ms(19), AcceptedAt: ms(20)}}
				return r
			},
			holding: func() *model.Result { // handled by the replacement
				r := handMade()
				queueOfTwo(r)
				published(r, 19)
				r.Ledger.Deliveries[0].Sub = 1
				handled(r.Subs[1], 1)
				return r
			},
		},
		{
			id: "drain-closes",
			violating: func() *model.Result { // never closed in a run that went quiet
				r := handMade()
				r.Conns[0].DrainCalledAt = ms(10)
				return r
			},
			holding: func() *model.Result { // not closed yet when a budget stopped the run early
				r := handMade()
				r.Conns[0].DrainCalledAt = ms(10)
				r.Stop = sim.Outcome{Reason: sim.TimeBudget, Now: ms(2000)}
				return r
			},
		},
		{
			id: "drain-closes",
			violating: func() *model.Result { // closed, but too late: 30 s + 10 ms + 5 s is the bound
				r := handMade()
				r.Conns[0].DrainCalledAt = 0
				closeAt(r.Ledger, r.Conns[0], ms(35011))
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				r.Conns[0].DrainCalledAt = 0
				closeAt(r.Ledger, r.Conns[0], ms(35010))
				return r
			},
		},
		{
			id: "timeout-honesty",
			violating: func() *model.Result { // timed out silently
				r := handMade()
				c := drained(r)
				c.DrainTimedOut = true
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				c := drained(r)
				c.DrainTimedOut, c.LastError = true, r.Ledger.Intern(model.ErrDrainTimeout)
				c.Callbacks = append([]model.CallbackEvent{callbackAt(r.Ledger, ms(20), "async_error", model.ErrDrainTimeout, "")}, c.Callbacks...)
				return r
			},
		},
		{
			id: "timeout-honesty",
			violating: func() *model.Result { // reported without a timeout
				r := handMade()
				c := drained(r)
				c.Callbacks = append([]model.CallbackEvent{callbackAt(r.Ledger, ms(20), "async_error", model.ErrDrainTimeout, "")}, c.Callbacks...)
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				drained(r)
				return r
			},
		},
		{
			id: "timeout-honesty",
			violating: func() *model.Result { // reported nothing, yet its close dropped a message
				r := handMade()
				drained(r)
				dropped(r.Ledger, model.DropConnClosed, ms(50))
				return r
			},
			holding: func() *model.Result { // the application closed it
				r := handMade()
				drained(r)
				dropped(r.Ledger, model.DropConnClosed, ms(50))
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("actions[1]"), Verb: r.Ledger.Intern("close"), Client: r.Ledger.Intern("c0"), At: ms(50), ReturnedAt: ms(50), Result: r.Ledger.Intern(model.OK)}})
				return r
			},
		},
		{
			id: "api-refusal-rules",
			violating: func() *model.Result { // a reply refused while DRAINING_SUBS
				r := handMade()
				drained(r)
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("s0#1"), Verb: r.Ledger.Intern("reply"), Client: r.Ledger.Intern("c0"), Sub: r.Ledger.Intern("s0"), At: ms(20), ReturnedAt: ms(20), Result: r.Ledger.Intern(model.ErrConnectionDraining)}})
				return r
			},
			holding: func() *model.Result { // refused in DRAINING_PUBS, as nats.go does
				r := handMade()
				drained(r)
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("s0#1"), Verb: r.Ledger.Intern("reply"), Client: r.Ledger.Intern("c0"), Sub: r.Ledger.Intern("s0"), At: ms(45), ReturnedAt: ms(45), Result: r.Ledger.Intern(model.ErrConnectionDraining)}})
				return r
			},
		},
		{
			id: "api-refusal-rules",
			violating: func() *model.Result { // Unsubscribe succeeded while draining
				r := handMade()
				drained(r)
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("actions[2]"), Verb: r.Ledger.Intern("unsubscribe"), Client: r.Ledger.Intern("c0"), Sub: r.Ledger.Intern("s0"), At: ms(20), ReturnedAt: ms(20), Result: r.Ledger.Intern(model.OK)}})
				return r
			},
			holding: func() *model.Result { // at the instant the drain started the order is unknown
				r := handMade()
				drained(r)
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("actions[2]"), Verb: r.Ledger.Intern("unsubscribe"), Client: r.Ledger.Intern("c0"), Sub: r.Ledger.Intern("s0"), At: ms(10), ReturnedAt: ms(10), Result: r.Ledger.Intern(model.OK)}})
				return r
			},
		},
		{
			id: "api-refusal-rules",
			violating: func() *model.Result { // Drain while reconnecting left the connection open
				r := handMade()
				c := r.Conns[0]
				c.Status = append(c.Status, model.StatusChange{At: ms(5), Status: model.Reconnecting})
				c.Callbacks = []model.CallbackEvent{callbackAt(r.Ledger, ms(5), "disconnected", "", "")}
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("actions[1]"), Verb: r.Ledger.Intern("drain"), Client: r.Ledger.Intern("c0"), At: ms(10), ReturnedAt: ms(10), Result: r.Ledger.Intern(model.ErrConnectionReconnect)}})
				return r
			},
			holding: func() *model.Result { // ... and closed it at once
				r := handMade()
				c := r.Conns[0]
				c.Status = append(c.Status, model.StatusChange{At: ms(5), Status: model.Reconnecting})
				c.Callbacks = []model.CallbackEvent{callbackAt(r.Ledger, ms(5), "disconnected", "", "")}
				c.ClosedAt = ms(10)
				c.Status = append(c.Status, model.StatusChange{At: ms(10), Status: model.Closed})
				c.Callbacks = append(c.Callbacks, callbackAt(r.Ledger, ms(10), "closed", "", ""))
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("actions[1]"), Verb: r.Ledger.Intern("drain"), Client: r.Ledger.Intern("c0"), At: ms(10), ReturnedAt: ms(10), Result: r.Ledger.Intern(model.ErrConnectionReconnect)}})
				return r
			},
		},
		{
			id: "respmux-drained-last",
			violating: func() *model.Result {
				r := handMade()
				drained(r)
				mux := newSub(r.Ledger, "c0.respmux", "c0")
				mux.Mux, mux.DrainCalledAt, mux.RemovedAt, mux.RemovedBy = true, ms(10), ms(12), r.Ledger.Intern("drain")
				r.Subs[0].DrainCalledAt, r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), ms(30), r.Ledger.Intern("drain")
				r.Subs = append(r.Subs, mux)
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				drained(r)
				mux := newSub(r.Ledger, "c0.respmux", "c0")
				mux.Mux, mux.DrainCalledAt, mux.RemovedAt, mux.RemovedBy = true, ms(30), ms(32), r.Ledger.Intern("drain")
				r.Subs[0].DrainCalledAt, r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), ms(30), r.Ledger.Intern("drain")
				r.Subs = append(r.Subs, mux)
				return r
			},
		},
		{
			id: "replies-reach-requester",
			violating: func() *model.Result {
				r := handMade()
				l := r.Ledger
				l.Messages = []model.Message{
					{ID: 1, From: l.Intern("c0"), Subject: l.Intern("svc"), Reply: l.Intern("_INBOX.c0.1"), Fate: model.MsgRouted, AcceptedAt: ms(11)},
					{ID: 2, From: l.Intern("c1"), Subject: l.Intern("_INBOX.c0.1"), Fate: model.MsgNoInterest, AcceptedAt: ms(20)},
				}
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("s0#1"), Verb: r.Ledger.Intern("request"), Client: r.Ledger.Intern("c0"), Sub: r.Ledger.Intern("s0"), At: ms(10), ReturnedAt: ms(110), Result: r.Ledger.Intern(model.ErrTimeout), Msg: 1}})
				return r
			},
			holding: func() *model.Result { // the reply came after the request had given up
				r := handMade()
				l := r.Ledger
				l.Messages = []model.Message{
					{ID: 1, From: l.Intern("c0"), Subject: l.Intern("svc"), Reply: l.Intern("_INBOX.c0.1"), Fate: model.MsgRouted, AcceptedAt: ms(11)},
					{ID: 2, From: l.Intern("c1"), Subject: l.Intern("_INBOX.c0.1"), Fate: model.MsgNoInterest, AcceptedAt: ms(120)},
				}
				r.SetCalls([]model.CallRecord{{Source: r.Ledger.Intern("s0#1"), Verb: r.Ledger.Intern("request"), Client: r.Ledger.Intern("c0"), Sub: r.Ledger.Intern("s0"), At: ms(10), ReturnedAt: ms(110), Result: r.Ledger.Intern(model.ErrTimeout), Msg: 1}})
				return r
			},
		},
		{
			id: "outbound-complete",
			violating: func() *model.Result { // published at 30ms, accepted after the final flush returned at 50ms
				r := handMade()
				drained(r)
				published(r, 30)
				r.Ledger.Messages[0].AcceptedAt = ms(55)
				r.Ledger.Deliveries = nil
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				drained(r)
				published(r, 30)
				return r
			},
		},
		{
			id: "closed-callback",
			violating: func() *model.Result { // closed ran before disconnected
				r := handMade()
				c := drained(r)
				n := len(c.Callbacks)
				c.Callbacks[n-2], c.Callbacks[n-1] = c.Callbacks[n-1], c.Callbacks[n-2]
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				drained(r)
				return r
			},
		},
		{
			id: "closed-callback",
			violating: func() *model.Result { // NoCallbacksAfterClientClose, yet the drain's Close ran it
				r := handMade()
				drained(r)
				r.Scenario = &scenario.Scenario{Clients: []scenario.Client{{Name: "c0", NoCallbacksAfterClose: true}}}
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				c := drained(r)
				c.Callbacks = nil
				r.Scenario = &scenario.Scenario{Clients: []scenario.Client{{Name: "c0", NoCallbacksAfterClose: true}}}
				return r
			},
		},
		{
			id: "closed-is-final",
			violating: func() *model.Result {
				r := handMade()
				drained(r)
				r.Conns[0].Status = append(r.Conns[0].Status, model.StatusChange{At: ms(60), Status: model.DrainingPubs})
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				drained(r)
				return r
			},
		},
		{
			id: "no-silent-loss",
			violating: func() *model.Result { // sub_closed, but the subscription was never removed
				r := handMade()
				dropped(r.Ledger, model.DropSubClosed, ms(20))
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				r.Subs[0].UnsubReturnedAt, r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), ms(10), r.Ledger.Intern("unsubscribe")
				dropped(r.Ledger, model.DropSubClosed, ms(20))
				return r
			},
		},
		{
			id: "no-loss-under-drain",
			violating: func() *model.Result { // unknown_sid after the drain removed the subscription
				r := handMade()
				r.Subs[0].DrainCalledAt, r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), ms(15), r.Ledger.Intern("drain")
				dropped(r.Ledger, model.DropUnknownSid, ms(20))
				return r
			},
			holding: func() *model.Result { // the same drop of a message the server sent after the UNSUB
				r := handMade()
				r.Subs[0].DrainCalledAt, r.Subs[0].RemovedAt, r.Subs[0].RemovedBy = ms(10), ms(15), r.Ledger.Intern("drain")
				dropped(r.Ledger, model.DropUnknownSid, ms(20))
				r.Ledger.Deliveries[0].AfterUnsub = true
				return r
			},
		},
		{
			id: "no-silent-loss",
			violating: func() *model.Result { // server_stalled, but the stall is on
				r := handMade()
				dropped(r.Ledger, model.DropServerStalled, model.NoTime)
				r.Ledger.Deliveries[0].DroppedAt = ms(20)
				return r
			},
			holding: func() *model.Result {
				r := handMade()
				r.Scenario = &scenario.Scenario{Server: scenario.Server{NoFastProducerStall: true}}
				dropped(r.Ledger, model.DropServerStalled, model.NoTime)
				r.Ledger.Deliveries[0].DroppedAt = ms(20)
				return r
			},
		},
		{
			id: "no-silent-loss",
			violating: func() *model.Result { // server_slow_consumer, but the client never lost its connection
				r := handMade()
				dropped(r.Ledger, model.DropServerSlowConsumer, model.NoTime)
				r.Ledger.Deliveries[0].DroppedAt = ms(20)
				return r
			},
			holding: func() *model.Result { // it saw the end of the stream and reconnected
				r := handMade()
				r.Conns[0].Status = append(r.Conns[0].Status, model.StatusChange{At: ms(21), Status: model.Reconnecting},
					model.StatusChange{At: ms(100), Status: model.Connected})
				dropped(r.Ledger, model.DropServerSlowConsumer, model.NoTime)
				r.Ledger.Deliveries[0].DroppedAt = ms(20)
				return r
			},
		},
		{
			id: "ledger-conserved",
			violating: func() *model.Result { // a routed message committed to no subscription: a forgotten delivery
				r := conservedRun()
				r.Ledger.Deliveries = nil
				r.Subs[0].SetHandled(nil)
				return r
			},
			holding: conservedRun,
		},
		{
			id: "ledger-conserved",
			violating: func() *model.Result { // issue 11's double count: handled by its callback and dropped at the close
				r := conservedRun()
				closeAt(r.Ledger, r.Conns[0], ms(3))
				d := &r.Ledger.Deliveries[0]
				d.Fate, d.Reason, d.DroppedAt, d.EndedAt = model.DlvDropped, model.DropConnClosed, ms(3), model.NoTime
				return r
			},
			holding: func() *model.Result { // the close cancelled its callback: started, then dropped (cancelled)
				r := conservedRun()
				r.Profile = &model.JavaProfile
				closeAt(r.Ledger, r.Conns[0], ms(3))
				d := &r.Ledger.Deliveries[0]
				d.Fate, d.Reason, d.DroppedAt, d.EndedAt = model.DlvDropped, model.DropCancelled, ms(3), model.NoTime
				return r
			},
		},
		{
			id: "ledger-conserved",
			violating: func() *model.Result { // a message no call published, and a publish call without one
				r := conservedRun()
				r.Calls()[0].Msg = 0
				return r
			},
			holding: func() *model.Result { // a request's message whose caller never heard back
				r := conservedRun()
				r.SetCalls(nil)
				r.Ledger.Messages[0].Reply = r.Ledger.Intern(model.InboxPrefix + "c0.1")
				return r
			},
		},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		inv, ok := Lookup(c.id)
		if !ok {
			t.Fatalf("unknown invariant %q", c.id)
		}
		covered[c.id] = true
		if v := inv.Check(c.violating()); len(v) == 0 {
			t.Errorf("%s: no violation reported on its violating Result", c.id)
		} else {
			t.Logf("%s: %s", c.id, Shorten(v))
		}
		if v := inv.Check(c.holding()); len(v) != 0 {
			t.Errorf("%s: violation on its holding Result: %s", c.id, Shorten(v))
		}
		for _, other := range Catalogue() {
			// A hand-made Result holds only the records its invariant
			// reads, not a whole ledger (calls, handled lists):
			// ledger-conserved judges only its own cases and whole runs.
			if other.ID != c.id && other.ID != "ledger-conserved" {
				if v := other.Check(c.holding()); len(v) != 0 {
					t.Errorf("%s: holding Result for %s violates it: %s", other.ID, c.id, Shorten(v))
				}
			}
		}
	}
	for _, inv := range Catalogue() {
		if !covered[inv.ID] {
			t.Errorf("invariant %s has no hand-made case", inv.ID)
		}
	}
}

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, inv := range Catalogue() {
		if inv.ID == "" || inv.Statement == "" || inv.Precondition == "" || inv.Check == nil {
			t.Errorf("incomplete invariant %+v", inv)
		}
		if seen[inv.ID] {
			t.Errorf("duplicate id %s", inv.ID)
		}
		seen[inv.ID] = true
		if got, ok := Lookup(inv.ID); !ok || got.ID != inv.ID {
			t.Errorf("Lookup(%q) = %v, %v", inv.ID, got.ID, ok)
		}
	}
	for _, id := range []string{"no-loss-under-drain", "no-callback-after-unsubscribe", "no-delivery-after-barrier",
		"drain-waits-for-callbacks", "no-duplicates", "fifo-per-publisher", "queue-at-most-once", "queue-drain-no-loss",
		"drain-closes", "timeout-honesty", "api-refusal-rules", "outbound-complete", "closed-callback", "no-silent-loss"} {
		if !seen[id] {
			t.Errorf("required invariant %s missing", id)
		}
	}
	if _, ok := Lookup("no-such-invariant"); ok {
		t.Error("Lookup of an unknown id succeeded")
	}
}

func TestVerdicts(t *testing.T) {
	r := handMade()
	r.Subs[0].SetHandled([]model.Handled{{Msg: 1, Start: ms(1), End: ms(2)}, {Msg: 1, Start: ms(2), End: ms(3)}})
	vs := Verdicts(r)
	cat := Catalogue()
	if len(vs) != len(cat) {
		t.Fatalf("%d verdicts for %d invariants", len(vs), len(cat))
	}
	for i, v := range vs {
		if v.ID != cat[i].ID || v.Statement != cat[i].Statement {
			t.Errorf("verdict %d is %s, want %s", i, v.ID, cat[i].ID)
		}
		want := v.ID != "no-duplicates" && v.ID != "ledger-conserved" // msg 1 handled twice, and from no delivery
		if v.Holds != want || (v.Detail == "") != want {
			t.Errorf("%s: holds %v detail %q", v.ID, v.Holds, v.Detail)
		}
	}
}

func TestShorten(t *testing.T) {
	if Shorten(nil) != "" {
		t.Error("Shorten(nil) not empty")
	}
	s := Shorten([]string{"a", "b", "c", "d", "e"})
	if s != "a; b; c (+2 more)" {
		t.Errorf("Shorten = %q", s)
	}
	long := Shorten([]string{strings.Repeat("x", 1000)})
	if len(long) > 410 {
		t.Errorf("Shorten did not cut: %d", len(long))
	}
}
