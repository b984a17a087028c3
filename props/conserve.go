package props

import (
	"fmt"
	"strings"

	"github.com/drainsim/drainsim/model"
)

// checkLedgerConserved is ledger-conserved: the ledger accounts for every
// message and delivery exactly once. It reads the ledger against the call
// records and the subscriptions' handled lists (which deliveries each
// handed, listed as it handed them; their times are the deliveries'), which
// the model writes apart, so a message or delivery that one of them
// forgets or counts twice shows.
func checkLedgerConserved(r *model.Result) []string {
	if r.Ledger == nil {
		return nil
	}
	l := r.Ledger
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// Every publish, reply or request call that published has exactly one
	// message, from its own client.
	// Per message the calls that claim it and the subscriptions it was
	// committed to, per delivery the times it was handed to the
	// application: one allocation for the three counts.
	lent := takeCounts(2*len(l.Messages) + len(l.Deliveries))
	defer putCounts(lent)
	counts := *lent
	claims, committed, handed := counts[:len(l.Messages)], counts[len(l.Messages):2*len(l.Messages)], counts[2*len(l.Messages):]
	for _, call := range r.Calls() {
		if !publishingVerb(r.Str(call.Verb)) {
			continue
		}
		switch {
		case call.Msg == 0:
			if r.Str(call.Verb) == "publish" || r.Str(call.Verb) == "reply" && r.Str(call.Result) != model.ErrMsgNoReply {
				bad("%s %s by %s at %s returned %s without a ledger message", r.Str(call.Source), r.Str(call.Verb), r.Str(call.Client), ts(call.At), r.Str(call.Result))
			}
		case call.Msg < 0 || call.Msg > len(l.Messages):
			bad("%s %s by %s names msg %d, which the ledger does not hold", r.Str(call.Source), r.Str(call.Verb), r.Str(call.Client), call.Msg)
		default:
			m := &l.Messages[call.Msg-1]
			if from := l.Str(m.From); from != r.Str(call.Client) {
				bad("%s %s by %s names msg %d, published by %s", r.Str(call.Source), r.Str(call.Verb), r.Str(call.Client), m.ID, from)
			}
			if claims[call.Msg-1]++; claims[call.Msg-1] == 2 {
				bad("msg %d is claimed by two calls (again by %s %s at %s)", m.ID, r.Str(call.Source), r.Str(call.Verb), ts(call.At))
			}
		}
	}

	// Every message a client published has one call, but a request whose
	// caller never heard back (closed under it, or the run stopped); every
	// message has a final fate; a routed message was committed to at least
	// one subscription, and only a routed one was (or one whose routing a
	// stall left unfinished).
	for i := range l.Deliveries {
		d := &l.Deliveries[i]
		if d.Msg < 1 || int(d.Msg) > len(l.Messages) {
			bad("delivery %d names msg %d, which the ledger does not hold", i, d.Msg)
			continue
		}
		if d.Reason != model.DropServerStalled { // never committed: the server dropped it instead
			committed[d.Msg-1]++
		}
	}
	for i := range l.Messages {
		m := &l.Messages[i]
		if from := l.Str(m.From); from != "server" && claims[i] == 0 && !strings.HasPrefix(l.Str(m.Reply), model.InboxPrefix) {
			bad("msg %d from %s was published by no call", m.ID, from)
		}
		switch {
		case m.Fate == model.MsgInTransit:
			bad("msg %d from %s still in transit after the run", m.ID, l.Str(m.From))
		case m.Fate == model.MsgRouted && committed[i] == 0:
			bad("msg %d from %s was routed but committed to no subscription", m.ID, l.Str(m.From))
		case m.Fate != model.MsgRouted && committed[i] > 0 && !routingCutShort(m):
			bad("msg %d from %s is %s but was committed to %d subscription(s)", m.ID, l.Str(m.From), m.Fate, committed[i])
		}
	}

	// Every delivery belongs to one subscription, has a final fate, and is
	// in that subscription's handled list exactly when its callback
	// started or NextMsg took it: once, whatever became of it (handled,
	// still running, or cancelled by the close), never for any other fate.
	for si, s := range r.Subs {
		for _, h := range s.Handled() {
			if h.Delivery < 0 || h.Delivery >= len(l.Deliveries) {
				bad("%s handled msg %d from delivery %d, which the ledger does not hold", s.ID, h.Msg, h.Delivery)
				continue
			}
			if d := &l.Deliveries[h.Delivery]; int(d.Sub) != si || int(d.Msg) != h.Msg {
				bad("%s handled msg %d from the delivery of msg %d to subscription %d", s.ID, h.Msg, d.Msg, d.Sub)
			}
			handed[h.Delivery]++
		}
	}
	for i := range l.Deliveries {
		d := &l.Deliveries[i]
		s := subOf(r, d)
		if s == nil {
			bad("msg %d delivered to an unknown subscription %d", d.Msg, d.Sub)
			continue
		}
		if d.Fate == model.DlvPending {
			bad("msg %d to %s still pending after the run", d.Msg, s.ID)
		}
		if want := handedOnce(d); int(handed[i]) != want {
			bad("msg %d to %s is %s but was handed to the application %d times", d.Msg, s.ID, fateName(d), handed[i])
		}
	}
	return out
}

// routingCutShort reports whether the server accepted m but lost it
// before its routing finished: a fast-producer stall held it half routed
// when the run stopped or the server went away, so some subscriptions may
// have it.
func routingCutShort(m *model.Message) bool {
	return m.Fate == model.MsgLostInFlight && m.AcceptedAt != model.NoTime
}

// publishingVerb reports whether a call of verb publishes a message.
func publishingVerb(verb string) bool {
	return verb == "publish" || verb == "reply" || verb == "request"
}

// handedOnce returns how many times d's subscription handed it to the
// application: once if its callback started (whether it returned, still
// runs, or the close cancelled it) or NextMsg took it, else never.
func handedOnce(d *model.Delivery) int {
	switch {
	case d.Fate == model.DlvHandled, d.Fate == model.DlvTaken, d.Fate == model.DlvInCallback,
		d.Fate == model.DlvDropped && d.Reason == model.DropCancelled:
		return 1
	}
	return 0
}

// fateName names a delivery's fate, with the reason of a drop.
func fateName(d *model.Delivery) string {
	if d.Fate == model.DlvDropped {
		return "dropped (" + reasonName(d.Reason) + ")"
	}
	return d.Fate.String()
}
