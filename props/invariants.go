// Package props holds drainsim's invariant catalogue, the property-based
// tests that check it over generated scenarios, and the scenario generator
// those tests share with fixed-seed mutation tests.
//
// Invariants are pure functions over a finished model.Result: they read the
// ledger and the subscription, connection and call records and never run
// the model. Each one is shown, in mutation_test.go, to catch at least one
// named model.Mutation.
package props

import (
	"fmt"
	"strings"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// Invariant is one checkable statement about a finished run.
type Invariant struct {
	// ID is the stable, machine-readable name, e.g. "no-loss-under-drain".
	ID string
	// Statement says what must hold, in one sentence.
	Statement string
	// Precondition says when the statement applies; runs outside it hold
	// vacuously.
	Precondition string
	// Check returns one human-readable detail per violation; an empty
	// result means the invariant holds.
	Check func(*model.Result) []string
}

// Catalogue returns every invariant, in a stable order.
func Catalogue() []Invariant {
	return []Invariant{
		{
			ID: "no-loss-under-drain",
			Statement: "a message committed to a subscription that is being drained (its own Drain or its connection's Drain) " +
				"and dropped at or after the drain started was dropped for an explained reason: a reported slow consumer, " +
				"the auto-unsubscribe limit, a broken link, or the connection closing after a reported drain timeout or a disconnect",
			Precondition: "the subscription's Drain returned nil, or its connection's Drain returned nil while the subscription " +
				"was still subscribed; deliveries still in a callback at the end are not drops, nor are deliveries still " +
				"pending when the run stopped on a budget",
			Check: checkNoLoss,
		},
		{
			ID:           "no-callback-after-unsubscribe",
			Statement:    "no callback of a subscription starts after a successful Unsubscribe returned, nor after a drain removed the subscription",
			Precondition: "the subscription was unsubscribed (UnsubReturnedAt) or removed by its drain (RemovedBy drain)",
			Check:        checkNoCallbackAfterUnsub,
		},
		{
			ID:           "drain-waits-for-callbacks",
			Statement:    "when a drain removes a subscription, none of its callbacks is still running",
			Precondition: "the subscription was removed by a drain",
			Check:        checkDrainWaits,
		},
		{
			ID:           "no-duplicates",
			Statement:    "no message is handed to one subscription's application twice",
			Precondition: "always",
			Check:        checkNoDuplicates,
		},
		{
			ID: "drain-closes",
			Statement: "a connection whose Drain returned nil reaches CLOSED within DrainTimeout + FinalFlushTimeout + " +
				"2*ConnDrainPoll + SubDrainPoll + 1s",
			Precondition: "the connection's Drain returned nil; a run that stopped on a budget before the bound elapsed proves nothing",
			Check:        checkDrainCloses,
		},
		{
			ID: "timeout-reported-once",
			Statement: "a connection drain that timed out reports exactly one ErrDrainTimeout (async error callback, or LastError " +
				"when callbacks were suppressed) and still closes; a drain that did not time out reports none",
			Precondition: "the connection's Drain returned nil",
			Check:        checkTimeoutReported,
		},
		{
			ID:           "replies-during-drain",
			Statement:    "a publish or reply made while its connection is DRAINING_SUBS is not refused, so handlers can answer while draining",
			Precondition: "the call was made while the connection's status was DRAINING_SUBS and did not change at that instant",
			Check:        checkRepliesDuringDrain,
		},
		{
			ID: "respmux-drained-last",
			Statement: "a connection drain drains its response subscription only after every other subscription it drained " +
				"has been removed",
			Precondition: "the connection drain drained a response subscription and neither timed out nor saw the connection break or close first",
			Check:        checkRespMuxLast,
		},
		{
			ID: "replies-reach-requester",
			Statement: "a reply to a request made by a handler, accepted by the server while the request was still waiting, " +
				"is routed to the requester",
			Precondition: "the request was made by a handler whose subscription was still subscribed (or removed by a drain) when the reply " +
				"was accepted; the requester's connection neither timed out its drain, saw a disconnect, nor closed before the reply",
			Check: checkRepliesReachRequester,
		},
		{
			ID:           "closed-is-final",
			Statement:    "once a connection is CLOSED its status never changes again",
			Precondition: "always",
			Check:        checkClosedIsFinal,
		},
		{
			ID:           "unsubscribe-refused-while-draining",
			Statement:    "Unsubscribe on a connection in DRAINING_SUBS or DRAINING_PUBS does not succeed",
			Precondition: "the call was made while the connection was draining and its status did not change at that instant",
			Check:        checkUnsubRefused,
		},
	}
}

// Lookup returns the invariant with the given ID.
func Lookup(id string) (Invariant, bool) {
	for _, inv := range Catalogue() {
		if inv.ID == id {
			return inv, true
		}
	}
	return Invariant{}, false
}

// Verdicts checks every invariant of the catalogue over r, in catalogue
// order. Detail holds the first violations, shortened.
func Verdicts(r *model.Result) []model.Verdict {
	cat := Catalogue()
	out := make([]model.Verdict, 0, len(cat))
	for _, inv := range cat {
		v := inv.Check(r)
		out = append(out, model.Verdict{ID: inv.ID, Statement: inv.Statement, Holds: len(v) == 0, Detail: Shorten(v)})
	}
	return out
}

// Shorten renders violation details for a verdict: the first three, joined,
// then a count of the rest, cut to about 400 characters.
func Shorten(v []string) string {
	const keep, limit = 3, 400
	if len(v) == 0 {
		return ""
	}
	n := min(len(v), keep)
	s := strings.Join(v[:n], "; ")
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	if len(v) > n {
		s += fmt.Sprintf(" (+%d more)", len(v)-n)
	}
	return s
}

// ---- helpers ----

func ts(t sim.Time) string {
	if t == model.NoTime {
		return "never"
	}
	return t.String()
}

func profile(r *model.Result) *model.Profile {
	if r.Profile != nil {
		return r.Profile
	}
	return &model.GoProfile
}

// drainTimeout is the client's DrainTimeout option, or the profile default.
func drainTimeout(r *model.Result, client string) time.Duration {
	if r.Scenario != nil {
		if c := r.Scenario.Client(client); c != nil && c.DrainTimeout != nil {
			return *c.DrainTimeout
		}
	}
	return profile(r).DrainTimeout
}

func budgetStop(r *model.Result) bool {
	return r.Stop.Reason == sim.EventBudget || r.Stop.Reason == sim.TimeBudget
}

// sawDisconnect reports whether the connection's link broke: a
// DISCONNECTED or RECONNECTING status, or a disconnected callback that ran
// before the connection was closed.
func sawDisconnect(c *model.ConnRecord) bool {
	for _, s := range c.Status {
		if s.Status == model.Disconnected || s.Status == model.Reconnecting {
			return true
		}
	}
	for _, cb := range c.Callbacks {
		if cb.Kind == "disconnected" && (c.ClosedAt == model.NoTime || cb.At < c.ClosedAt) {
			return true
		}
	}
	return false
}

// countErr counts async error callbacks with the given error.
func countErr(c *model.ConnRecord, err string) int {
	n := 0
	for _, cb := range c.Callbacks {
		if cb.Kind == "async_error" && cb.Error == err {
			n++
		}
	}
	return n
}

// timeoutReported reports whether the connection drain timed out and said
// so (callback or LastError).
func timeoutReported(c *model.ConnRecord) bool {
	return c.DrainTimedOut && (countErr(c, model.ErrDrainTimeout) > 0 || c.LastError == model.ErrDrainTimeout)
}

// slowReported reports whether a slow-consumer error for sub was reported.
func slowReported(c *model.ConnRecord, sub string) bool {
	if c.LastError == model.ErrSlowConsumer {
		return true
	}
	for _, cb := range c.Callbacks {
		if cb.Kind == "async_error" && cb.Error == model.ErrSlowConsumer && cb.Sub == sub {
			return true
		}
	}
	return false
}

// statusAt returns the connection's status after every change at or before
// t, and whether that status was stable at t (no change happened exactly at
// t, so the order of same-instant events does not matter).
func statusAt(c *model.ConnRecord, t sim.Time) (model.Status, bool) {
	st, stable := model.Connected, true
	for i, s := range c.Status {
		if s.At > t {
			break
		}
		st = s.Status
		if i > 0 && s.At == t {
			stable = false
		}
	}
	return st, stable
}

// inSubsAtConnDrain reports whether s was still subscribed when its
// connection's drain started. A subscription unsubscribed at that very
// instant is counted as gone: the order of the two calls is not recorded.
func inSubsAtConnDrain(s *model.SubRecord, c *model.ConnRecord) bool {
	if c == nil || c.DrainCalledAt == model.NoTime || s.SubscribedAt > c.DrainCalledAt {
		return false
	}
	if s.RemovedAt == model.NoTime || s.RemovedAt > c.DrainCalledAt {
		return true
	}
	return s.RemovedAt == c.DrainCalledAt && s.RemovedBy != "unsubscribe"
}

// drainStart is when s started draining (its own Drain, or its
// connection's while it was subscribed), or NoTime.
func drainStart(s *model.SubRecord, c *model.ConnRecord) sim.Time {
	start := s.DrainCalledAt
	if inSubsAtConnDrain(s, c) && (start == model.NoTime || c.DrainCalledAt < start) {
		start = c.DrainCalledAt
	}
	return start
}

// ---- checks ----

func checkNoLoss(r *model.Result) []string {
	if r.Ledger == nil {
		return nil
	}
	var out []string
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		if d.Fate != model.DlvDropped || d.Sub < 0 || d.Sub >= len(r.Subs) {
			continue
		}
		s := r.Subs[d.Sub]
		c := r.Conn(s.Client)
		start := drainStart(s, c)
		if start == model.NoTime || d.DroppedAt < start {
			continue
		}
		closedOK := c != nil && (timeoutReported(c) || sawDisconnect(c))
		ok := false
		switch d.Reason {
		case model.DropSlowConsumer:
			ok = c != nil && slowReported(c, s.ID)
		case model.DropMaxReached, model.DropDisconnect:
			ok = true
		case model.DropConnClosed, model.DropSubClosed:
			ok = closedOK
		case model.DropRunEnded:
			ok = closedOK || budgetStop(r)
		}
		if !ok {
			out = append(out, fmt.Sprintf("msg %d to %s dropped (%s) at %s; drain started at %s",
				d.Msg, s.ID, d.Reason, ts(d.DroppedAt), ts(start)))
		}
	}
	return out
}

func checkNoCallbackAfterUnsub(r *model.Result) []string {
	var out []string
	for _, s := range r.Subs {
		for _, h := range s.Handled {
			if s.UnsubReturnedAt != model.NoTime && h.Start > s.UnsubReturnedAt {
				out = append(out, fmt.Sprintf("%s handled msg %d at %s after Unsubscribe returned at %s",
					s.ID, h.Msg, ts(h.Start), ts(s.UnsubReturnedAt)))
			}
			if s.RemovedBy == "drain" && h.Start > s.RemovedAt {
				out = append(out, fmt.Sprintf("%s handled msg %d at %s after its drain removed it at %s",
					s.ID, h.Msg, ts(h.Start), ts(s.RemovedAt)))
			}
		}
	}
	return out
}

func checkDrainWaits(r *model.Result) []string {
	var out []string
	for _, s := range r.Subs {
		if s.RemovedBy != "drain" {
			continue
		}
		for _, h := range s.Handled {
			if h.Start <= s.RemovedAt && (h.End == model.NoTime || s.RemovedAt < h.End) {
				out = append(out, fmt.Sprintf("%s removed by drain at %s while the callback for msg %d (started %s, ended %s) ran",
					s.ID, ts(s.RemovedAt), h.Msg, ts(h.Start), ts(h.End)))
			}
		}
	}
	return out
}

func checkNoDuplicates(r *model.Result) []string {
	var out []string
	for _, s := range r.Subs {
		seen := make(map[int]bool, len(s.Handled))
		for _, h := range s.Handled {
			if seen[h.Msg] {
				out = append(out, fmt.Sprintf("%s handled msg %d twice (again at %s)", s.ID, h.Msg, ts(h.Start)))
			}
			seen[h.Msg] = true
		}
	}
	return out
}

func checkDrainCloses(r *model.Result) []string {
	p := profile(r)
	var out []string
	for _, c := range r.Conns {
		if c.DrainCalledAt == model.NoTime {
			continue
		}
		bound := drainTimeout(r, c.Client) + p.FinalFlushTimeout + 2*p.ConnDrainPoll + p.SubDrainPoll + time.Second
		limit := c.DrainCalledAt.Add(bound)
		switch {
		case c.ClosedAt != model.NoTime && c.ClosedAt > limit:
			out = append(out, fmt.Sprintf("%s drained at %s closed at %s, later than %s", c.Client, ts(c.DrainCalledAt), ts(c.ClosedAt), ts(limit)))
		case c.ClosedAt == model.NoTime && (!budgetStop(r) || r.Stop.Now > limit):
			out = append(out, fmt.Sprintf("%s drained at %s never closed (run stopped %s at %s; bound %s)",
				c.Client, ts(c.DrainCalledAt), r.Stop.Reason, ts(r.Stop.Now), ts(limit)))
		}
	}
	return out
}

func checkTimeoutReported(r *model.Result) []string {
	p := profile(r)
	var out []string
	for _, c := range r.Conns {
		if c.DrainCalledAt == model.NoTime {
			continue
		}
		n := countErr(c, model.ErrDrainTimeout)
		if !c.DrainTimedOut {
			if n > 0 || c.LastError == model.ErrDrainTimeout {
				out = append(out, fmt.Sprintf("%s reported ErrDrainTimeout (%d callbacks, LastError %q) but its drain did not time out",
					c.Client, n, c.LastError))
			}
			continue
		}
		// Callbacks are suppressed once the connection is closed; then only
		// LastError can carry the report.
		suppressed := c.ClosedAt != model.NoTime && c.DrainDeadline != model.NoTime && c.ClosedAt <= c.DrainDeadline.Add(p.ConnDrainPoll)
		switch {
		case n > 1:
			out = append(out, fmt.Sprintf("%s reported ErrDrainTimeout %d times", c.Client, n))
		case n == 0 && !(suppressed && c.LastError == model.ErrDrainTimeout):
			out = append(out, fmt.Sprintf("%s drain timed out (deadline %s) but no ErrDrainTimeout was reported (LastError %q)",
				c.Client, ts(c.DrainDeadline), c.LastError))
		}
		if c.ClosedAt == model.NoTime {
			base := c.DrainDeadline
			if base == model.NoTime {
				base = c.DrainCalledAt
			}
			limit := base.Add(p.FinalFlushTimeout + 2*p.ConnDrainPoll + time.Second)
			if !budgetStop(r) || r.Stop.Now > limit {
				out = append(out, fmt.Sprintf("%s drain timed out but the connection never closed (run stopped at %s)", c.Client, ts(r.Stop.Now)))
			}
		}
	}
	return out
}

func checkRepliesDuringDrain(r *model.Result) []string {
	var out []string
	for _, call := range r.Calls {
		if call.Verb != "publish" && call.Verb != "reply" {
			continue
		}
		if call.Result != model.ErrConnectionDraining && call.Result != model.ErrConnectionClosed {
			continue
		}
		c := r.Conn(call.Client)
		if c == nil {
			continue
		}
		if st, stable := statusAt(c, call.At); stable && st == model.DrainingSubs {
			out = append(out, fmt.Sprintf("%s by %s at %s refused with %s while %s was DRAINING_SUBS",
				call.Verb, call.Source, ts(call.At), call.Result, call.Client))
		}
	}
	return out
}

func checkRespMuxLast(r *model.Result) []string {
	var out []string
	for _, c := range r.Conns {
		if c.DrainCalledAt == model.NoTime || c.DrainTimedOut || sawDisconnect(c) {
			continue
		}
		mux := r.Sub(c.Client + ".respmux")
		if mux == nil || mux.DrainCalledAt == model.NoTime || mux.DrainCalledAt < c.DrainCalledAt {
			continue
		}
		if c.ClosedAt != model.NoTime && c.ClosedAt <= mux.DrainCalledAt {
			continue
		}
		for _, s := range r.Subs {
			if s.Mux || s.Client != c.Client || !inSubsAtConnDrain(s, c) {
				continue
			}
			if s.RemovedAt == model.NoTime || s.RemovedAt > mux.DrainCalledAt {
				out = append(out, fmt.Sprintf("%s drained at %s while %s was still subscribed (removed %s)",
					mux.ID, ts(mux.DrainCalledAt), s.ID, ts(s.RemovedAt)))
			}
		}
	}
	return out
}

func checkRepliesReachRequester(r *model.Result) []string {
	if r.Ledger == nil {
		return nil
	}
	var out []string
	var bySubject map[string][]int // reply subject -> message IDs; lookups only
	for _, call := range r.Calls {
		if call.Verb != "request" || !strings.Contains(call.Source, "#") || call.Msg <= 0 || call.Msg > len(r.Ledger.Messages) {
			continue
		}
		c := r.Conn(call.Client)
		if c == nil || c.DrainTimedOut || sawDisconnect(c) {
			continue
		}
		req := r.Ledger.Message(call.Msg)
		if req.Reply == "" || req.Fate == model.MsgRefused {
			continue
		}
		if bySubject == nil {
			bySubject = map[string][]int{}
			for i := range r.Ledger.Messages {
				m := &r.Ledger.Messages[i]
				bySubject[m.Subject] = append(bySubject[m.Subject], m.ID)
			}
		}
		for _, id := range bySubject[req.Reply] {
			m := r.Ledger.Message(id)
			if m.AcceptedAt == model.NoTime || m.AcceptedAt >= call.ReturnedAt || m.AcceptedAt < call.At {
				continue
			}
			if c.ClosedAt != model.NoTime && c.ClosedAt <= m.AcceptedAt {
				continue
			}
			// Only a subscription still subscribed keeps the response
			// subscription alive: one unsubscribed (or past its limit) while
			// its callback waits for the reply no longer holds the drain.
			if h := r.Sub(call.Sub); h != nil && h.RemovedAt != model.NoTime && h.RemovedAt <= m.AcceptedAt && h.RemovedBy != "drain" {
				continue
			}
			if m.Fate != model.MsgRouted {
				out = append(out, fmt.Sprintf("reply msg %d to request msg %d of %s (%s) accepted at %s found %s; the request returned %s at %s",
					m.ID, req.ID, call.Source, call.Client, ts(m.AcceptedAt), m.Fate, call.Result, ts(call.ReturnedAt)))
			}
		}
	}
	return out
}

func checkClosedIsFinal(r *model.Result) []string {
	var out []string
	for _, c := range r.Conns {
		closed := model.NoTime
		for _, s := range c.Status {
			if closed != model.NoTime {
				out = append(out, fmt.Sprintf("%s went from CLOSED (at %s) to %s at %s", c.Client, ts(closed), s.Status, ts(s.At)))
				break
			}
			if s.Status == model.Closed {
				closed = s.At
			}
		}
	}
	return out
}

func checkUnsubRefused(r *model.Result) []string {
	var out []string
	for _, call := range r.Calls {
		if call.Verb != "unsubscribe" || call.Result != model.OK {
			continue
		}
		c := r.Conn(call.Client)
		if c == nil {
			continue
		}
		if st, stable := statusAt(c, call.At); stable && (st == model.DrainingSubs || st == model.DrainingPubs) {
			out = append(out, fmt.Sprintf("unsubscribe of %s by %s at %s succeeded while %s was %s",
				call.Sub, call.Source, ts(call.At), call.Client, st))
		}
	}
	return out
}
