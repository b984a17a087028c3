package conformance

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// Property checks of the real client: props' invariants read a
// model.Result (ledger, subscription, connection and call records), while
// a real run records only what a nats.go application observes, a
// model.Outcome. RealResult rebuilds the records an Outcome holds as a
// model.Result, and RealInvariants lists the invariants that read nothing
// else, so that they judge the real client as they judge the model.

// realInvariants are the invariants a real run's records are enough for,
// with what of the real run each reads; a partial one is evaluated on the
// clauses a real run records only, and may miss what the others would
// find, never find more.
var realInvariants = []struct {
	id, reads string
	partial   bool
}{
	{"no-callback-after-unsubscribe", "callback starts and the return of Unsubscribe (the clause about a drain's removal needs RemovedBy, which nats.go does not report)", true},
	{"no-duplicates", "the message key each callback or NextMsg received", false},
	{"fifo-per-publisher", "message keys in the order each source (an action, or one callback) published them: the order of one goroutine's publishes; concurrent publishers of one connection have no observable order, nor have NextMsg callers of one subscription taking messages at one instant", false},
	{"queue-at-most-once", "the message key each member of a queue group received", false},
	{"drain-closes", "when Drain returned nil and when the status became CLOSED (a real run is cut like a time budget: a drain still inside its bound at the cut proves nothing, and an unbounded one nothing at all)", true},
	{"timeout-honesty", "the async error callbacks, LastError and the status (not the last clause: which message the close dropped is not observable)", true},
	{"api-refusal-rules", "each call's result and the status when it was made", false},
	{"closed-callback", "the connection callbacks in the order they ran, and the close's cause from the calls", false},
	{"closed-is-final", "the status transitions nats.go reports (Conn.StatusChanged)", false},
}

// notOnReal says, for every other invariant of the catalogue, why a real
// run cannot show it. TestRealInvariantsCoverCatalogue keeps the two lists
// complete.
var notOnReal = map[string]string{
	"no-loss-under-drain":       "needs each message's fate inside the client and server (dropped, pending, in flight), which nats.go does not report",
	"no-delivery-after-barrier": "needs when a subscription drain's PING/PONG barrier returned, internal to nats.go",
	"drain-waits-for-callbacks": "needs which removal a drain made (RemovedBy); nats.go reports a removal, not its cause",
	"queue-drain-no-loss":       "needs the server's acceptance of each publish and each delivery's fate",
	"respmux-drained-last":      "needs the response subscription's removal, internal to nats.go",
	"replies-reach-requester":   "needs when the server accepted each reply",
	"outbound-complete":         "needs when the server processed each publish and the drain's final flush, internal to nats.go",
	"no-silent-loss":            "needs each message's and delivery's fate and reason, which nats.go does not report",
	"ledger-conserved":          "is about the model's ledger itself",
}

// RealInvariants returns the invariants of props.Catalogue that can be
// evaluated on a real run's records (RealResult), in catalogue order.
func RealInvariants() []props.Invariant {
	var out []props.Invariant
	for _, inv := range props.Catalogue() {
		for _, ri := range realInvariants {
			if ri.id == inv.ID {
				out = append(out, inv)
			}
		}
	}
	return out
}

// NotOnReal returns why the invariant with the given ID cannot be
// evaluated on a real run, "" when it can.
func NotOnReal(id string) string { return notOnReal[id] }

// RealViolation is one invariant a real run violated.
type RealViolation struct {
	Invariant string
	Details   []string
}

// RealViolations evaluates RealInvariants on a real run of sc (Prepared)
// under profile p, cut at until: out is the run's recorded outcome.
func RealViolations(sc *scenario.Scenario, p *model.Profile, out *model.Outcome, until time.Duration) ([]RealViolation, error) {
	res, err := RealResult(sc, p, out, until)
	if err != nil {
		return nil, err
	}
	var vs []RealViolation
	for _, inv := range RealInvariants() {
		if d := inv.Check(res); len(d) > 0 {
			vs = append(vs, RealViolation{Invariant: inv.ID, Details: d})
		}
	}
	return vs, nil
}

// RealResult rebuilds, from a run's recorded outcome, the records of a
// model.Result that the outcome holds: the connections' status
// transitions, callbacks and drains, the subscriptions' lives and what
// they handed to the application, and the calls. Its ledger holds only the
// messages a call published, renumbered in the order their sources
// published them and attributed to the source as publisher (see
// realInvariants); messages no call published (a no-responders status)
// keep IDs past the ledger's end, so no check finds them in it. The run
// counts as stopped by a time budget at until. Only RealInvariants may be
// evaluated on it.
func RealResult(sc *scenario.Scenario, p *model.Profile, o *model.Outcome, until time.Duration) (*model.Result, error) {
	res := &model.Result{Scenario: sc, Profile: p, Seed: o.Seed,
		Stop: sim.Outcome{Reason: sim.TimeBudget, Now: sim.Time(until)}}
	ids, ledger := renumber(o)
	res.Ledger = ledger
	calls := make([]model.CallRecord, 0, len(o.Calls))
	for _, c := range o.Calls {
		calls = append(calls, model.CallRecord{Source: ledger.Intern(c.Source), Verb: ledger.Intern(c.Verb),
			Client: ledger.Intern(c.Client), Sub: ledger.Intern(c.Sub),
			At: sim.Time(c.AtNS), ReturnedAt: sim.Time(c.ReturnedAtNS), Result: ledger.Intern(c.Result), Msg: ids[c.Msg]})
	}
	res.SetCalls(calls)
	for _, co := range o.Connections {
		c, err := connRecord(co, ledger)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		res.Conns = append(res.Conns, c)
	}
	for _, so := range o.Subscriptions {
		s, err := subRecord(sc, so, ids, ledger)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		res.Subs = append(res.Subs, s)
	}
	return res, nil
}

// renumber gives the messages that calls published IDs 1..n in the order
// of their calls (start time, then return time, then as recorded), and
// every other message an ID after them; it returns the new ID of each old
// one and a ledger of the first n.
func renumber(o *model.Outcome) (map[int]int, *model.Ledger) {
	calls := slices.Clone(o.Calls)
	slices.SortStableFunc(calls, func(a, b model.CallOutcome) int {
		return cmp.Or(cmp.Compare(a.AtNS, b.AtNS), cmp.Compare(a.ReturnedAtNS, b.ReturnedAtNS))
	})
	ids := map[int]int{0: 0}
	l := &model.Ledger{}
	for _, c := range calls {
		if c.Msg == 0 || !producesMessage(c.Verb) {
			continue
		}
		if _, ok := ids[c.Msg]; ok {
			continue
		}
		id := len(l.Messages) + 1
		ids[c.Msg] = id
		l.Messages = append(l.Messages, model.Message{ID: id, From: l.Intern(c.Source), PublishedAt: sim.Time(c.AtNS), Fate: model.MsgRouted})
	}
	next := len(l.Messages) + 1
	for _, so := range o.Subscriptions {
		for _, d := range so.Delivered {
			if _, ok := ids[d.Msg]; !ok {
				ids[d.Msg] = next
				next++
			}
		}
	}
	return ids, l
}

// statusOf parses a status name as StatusOutcome writes it.
func statusOf(name string) (model.Status, error) {
	for st := model.Connected; st <= model.DrainingPubs; st++ {
		if st.String() == name {
			return st, nil
		}
	}
	return 0, fmt.Errorf("status %q: want one of CONNECTED, DISCONNECTED, CLOSED, RECONNECTING, DRAINING_SUBS, DRAINING_PUBS", name)
}

// at converts an optional time of an outcome.
func at(ns *int64) sim.Time {
	if ns == nil {
		return model.NoTime
	}
	return sim.Time(*ns)
}

// connRecord rebuilds a connection's record from its outcome, its strings
// interned in ledger.
func connRecord(co model.ConnOutcome, ledger *model.Ledger) (*model.ConnRecord, error) {
	c := &model.ConnRecord{Client: ledger.Intern(co.Client), LastError: ledger.Intern(co.LastError), ClosedAt: at(co.ClosedNS),
		DrainCalledAt: model.NoTime, DrainDeadline: model.NoTime, DrainDoneAt: model.NoTime, FinalFlushAt: model.NoTime}
	for _, s := range co.Status {
		st, err := statusOf(s.Status)
		if err != nil {
			return nil, fmt.Errorf("connection %s: %w", co.Client, err)
		}
		c.Status = append(c.Status, model.StatusChange{At: sim.Time(s.AtNS), Status: st})
	}
	for _, cb := range co.Callbacks {
		c.Callbacks = append(c.Callbacks, model.CallbackEvent{At: sim.Time(cb.AtNS), Kind: ledger.Intern(cb.Kind), Error: ledger.Intern(cb.Error), Sub: ledger.Intern(cb.Sub)})
	}
	if d := co.Drain; d != nil {
		c.DrainCalledAt, c.DrainDeadline, c.DrainTimedOut = sim.Time(d.CalledNS), at(d.DeadlineNS), d.TimedOut
		c.DrainDoneAt, c.DrainResult = at(d.DoneNS), ledger.Intern(d.Result)
	}
	return c, nil
}

// subRecord rebuilds a subscription's record from its outcome, with the
// message IDs renumbered by ids and its strings interned in ledger.
func subRecord(sc *scenario.Scenario, so model.SubOutcome, ids map[int]int, ledger *model.Ledger) (*model.SubRecord, error) {
	typ := scenario.Async // a response mux
	if i := slices.IndexFunc(sc.Subs, func(s scenario.Subscription) bool { return s.ID == so.ID }); i >= 0 {
		typ = sc.Subs[i].Type
	} else if !so.Mux {
		return nil, fmt.Errorf("subscription %q of the outcome is not in the scenario", so.ID)
	}
	s := &model.SubRecord{ID: so.ID, Client: ledger.Intern(so.Client), Subject: ledger.Intern(so.Subject), Queue: ledger.Intern(so.Queue), Type: typ,
		Mux: so.Mux, Sid: so.Sid, SubscribedAt: sim.Time(so.SubscribedNS),
		UnsubReturnedAt: at(so.UnsubscribedNS), DrainCalledAt: at(so.DrainCalledNS), UnsubProcessedAt: at(so.UnsubProcessedNS),
		BarrierAt: at(so.BarrierNS), RemovedAt: at(so.RemovedNS), RemovedBy: ledger.Intern(so.RemovedBy),
		ClosedHandlerAt: at(so.ClosedHandlerNS), DrainDoneAt: at(so.DrainDoneNS), DrainResult: ledger.Intern(so.DrainResult)}
	var handled []model.Handled
	for _, d := range so.Delivered {
		handled = append(handled, model.Handled{Msg: ids[d.Msg], Delivery: -1, Start: sim.Time(d.StartNS), End: at(d.EndNS)})
	}
	if typ == scenario.Sync {
		// NextMsg callers waiting together (a next_msg action's goroutine
		// each) take messages at one instant in an order no record shows:
		// each records its message after its call returns. Such ties are
		// taken in message order, so FIFO is judged across instants only.
		slices.SortStableFunc(handled, func(a, b model.Handled) int {
			return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Msg, b.Msg))
		})
	}
	s.SetHandled(handled)
	return s, nil
}
