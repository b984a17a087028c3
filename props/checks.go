package props

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// The Check functions of the catalogue, in catalogue order.

func checkNoLoss(r *model.Result) []string {
	if r.Ledger == nil {
		return nil
	}
	var out []string
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		if d.Fate != model.DlvDropped {
			continue
		}
		s, c := deliverySub(r, d)
		if s == nil || c == nil {
			continue
		}
		start := drainStart(r, s, c)
		if start == model.NoTime || d.DroppedAt < start || DropCause(r, d) != model.CauseDrain {
			continue
		}
		out = append(out, fmt.Sprintf("msg %d to %s dropped (%s) at %s; drain started at %s",
			d.Msg, s.ID, d.Reason, ts(d.DroppedAt), ts(start)))
	}
	return out
}

// DropCause returns the cause the records show for d, a dropped delivery
// (one of d.Reason.Causes(), or the server's for a message sent after the
// UNSUB): the server's, the application's, a fault's or the run's end's
// when the records show one, else the drain's. Where two show, the
// application's comes before a fault's.
func DropCause(r *model.Result, d *model.Delivery) model.DropCause {
	s, c := deliverySub(r, d)
	if s == nil || c == nil {
		return model.CauseDrain
	}
	if serverCaused(d) {
		return model.CauseServer
	}
	if topologyCaused(r, d, s) {
		return model.CauseTopology
	}
	switch d.Reason {
	case model.DropSlowConsumer:
		if slowReported(r, c, s.ID) {
			return model.CauseApplication
		}
	case model.DropMaxReached:
		return model.CauseApplication
	case model.DropDisconnect:
		return model.CauseFault
	case model.DropServerShutdown:
		if serverWentDown(r, d.DroppedAt) {
			return model.CauseTopology
		}
	case model.DropLinkCut:
		if linkWasCut(r, d.DroppedAt) {
			return model.CauseTopology
		}
	case model.DropForceReconnect:
		if forcedReconnect(r, c, d.DroppedAt) {
			return model.CauseApplication
		}
	case model.DropConnClosed, model.DropSubClosed, model.DropUnknownSid, model.DropCancelled:
		// The subscription's own Unsubscribe or limit, or its own drain's
		// reported timeout, comes before how the connection closed.
		if r.Str(s.RemovedBy) == "unsubscribe" || r.Str(s.RemovedBy) == "max" || r.Str(s.DrainResult) == model.ErrDrainTimeout {
			return model.CauseApplication
		}
		if cause := closeCause(r, c); cause != 0 {
			return cause
		}
	case model.DropRunEnded:
		if cause := closeCause(r, c); cause != 0 {
			return cause
		}
		if budgetStop(r) || s.Type != scenario.Async {
			return model.CauseRunEnd
		}
	}
	return model.CauseDrain
}

// serverCaused reports whether the server, not a drain, lost d: it was
// sent after the server had processed its subscription's UNSUB (the
// fast-producer stall hole, docs/server.md), the server closed
// the connection as a slow consumer with d in its buffer, or it dropped d
// for a stalled subscriber (no_fast_producer_stall).
func serverCaused(d *model.Delivery) bool {
	return d.AfterUnsub || d.Reason == model.DropServerSlowConsumer || d.Reason == model.DropServerStalled
}

func checkNoCallbackAfterUnsub(r *model.Result) []string {
	// A drained iterator yields what it held when the drain removed it:
	// that is the drain's promise, not a late delivery. So does a chan
	// subscription's channel, which nats.go never closes: reading it runs
	// no callback.
	iterators := profile(r).SyncKeepsQueue
	var out []string
	for _, s := range r.Subs {
		for _, h := range s.Handled() {
			if s.UnsubReturnedAt != model.NoTime && h.Start > s.UnsubReturnedAt {
				out = append(out, fmt.Sprintf("%s handled msg %d at %s after Unsubscribe returned at %s",
					s.ID, h.Msg, ts(h.Start), ts(s.UnsubReturnedAt)))
			}
			if r.Str(s.RemovedBy) == "drain" && h.Start > s.RemovedAt && !(iterators && s.Type == scenario.Sync || s.Type == scenario.Chan) {
				out = append(out, fmt.Sprintf("%s handled msg %d at %s after its drain removed it at %s",
					s.ID, h.Msg, ts(h.Start), ts(s.RemovedAt)))
			}
		}
	}
	return out
}

func checkNoDeliveryAfterBarrier(r *model.Result) []string {
	var out []string
	for _, s := range r.Subs {
		if s.BarrierAt == model.NoTime {
			continue
		}
		if c := r.Conn(r.Str(s.Client)); c == nil || sawDisconnect(r, c) {
			continue
		}
		for _, h := range s.Handled() {
			if m := message(r, h.Msg); m != nil && m.PublishedAt > s.BarrierAt {
				out = append(out, fmt.Sprintf("%s handled msg %d published at %s, after its drain barrier returned at %s",
					s.ID, h.Msg, ts(m.PublishedAt), ts(s.BarrierAt)))
			}
		}
	}
	return out
}

func checkDrainWaits(r *model.Result) []string {
	var out []string
	for _, s := range r.Subs {
		if r.Str(s.RemovedBy) != "drain" || r.Str(s.DrainResult) == model.ErrDrainTimeout {
			continue // a subscription drain that reported its timeout
		}
		for _, h := range s.Handled() {
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
	// handledBy[m-lo] is 1 + the index of the last subscription seen
	// handling message m: one list for every subscription's messages
	// (message IDs run from 1 up, in a hand-made result from lo), not a
	// set for each.
	lo, hi := handledRange(r.Subs)
	lent := takeCounts(hi - lo + 1)
	defer putCounts(lent)
	handledBy := *lent
	for si, s := range r.Subs {
		for _, h := range s.Handled() {
			if handledBy[h.Msg-lo] == int32(si+1) && !(routed(r) && sharesWithQueue(r, s)) {
				out = append(out, fmt.Sprintf("%s handled msg %d twice (again at %s)", s.ID, h.Msg, ts(h.Start)))
			}
			handledBy[h.Msg-lo] = int32(si + 1)
		}
	}
	return out
}

func checkFIFO(r *model.Result) []string {
	type last struct {
		from string
		msg  int
	}
	var out []string
	var seen []last // per publisher, the newest message handed out so far
	bounces := routed(r)
	for _, s := range r.Subs {
		if bounces && (s.Queue != 0 || sharesWithQueue(r, s)) {
			// A queue message re-routed over a route arrives late, at its
			// group and at the plain subscriptions of the servers it
			// bounces through (docs/cluster.md).
			continue
		}
		seen = seen[:0]
		for _, h := range s.Handled() {
			m := message(r, h.Msg)
			if m == nil {
				continue
			}
			from := r.Str(m.From)
			i := 0
			for i < len(seen) && seen[i].from != from {
				i++
			}
			switch {
			case i == len(seen):
				seen = append(seen, last{from, h.Msg})
			case seen[i].msg > h.Msg:
				out = append(out, fmt.Sprintf("%s handled msg %d from %s at %s after msg %d, which %s published later",
					s.ID, h.Msg, from, ts(h.Start), seen[i].msg, from))
			default:
				seen[i].msg = h.Msg
			}
		}
	}
	return out
}

// handledRange returns the lowest and the highest message subs handled;
// hi < lo when they handled none.
func handledRange(subs []*model.SubRecord) (lo, hi int) {
	lo, hi = 0, -1
	for _, s := range subs {
		for _, h := range s.Handled() {
			if hi < lo {
				lo, hi = h.Msg, h.Msg
			}
			lo, hi = min(lo, h.Msg), max(hi, h.Msg)
		}
	}
	return lo, hi
}

func checkQueueAtMostOnce(r *model.Result) []string {
	var out []string
	for g := range queueGroups(r) {
		// handledBy[m-lo] is 1 + the index in g of the member that
		// handled message m: a list lent for the group, where a map for
		// each was 5 % of the bytes a check scenario allocated.
		lo, hi := handledRange(g)
		lent := takeCounts(hi - lo + 1)
		handledBy := *lent
		for k, s := range g {
			for _, h := range s.Handled() {
				if by := handledBy[h.Msg-lo]; by != 0 && g[by-1].ID != s.ID {
					out = append(out, fmt.Sprintf("msg %d handled by %s and by %s of queue %s", h.Msg, g[by-1].ID, s.ID, r.Str(s.Queue)))
					continue
				}
				handledBy[h.Msg-lo] = int32(k + 1)
			}
		}
		putCounts(lent)
	}
	return out
}

func checkQueueDrainNoLoss(r *model.Result) []string {
	if r.Ledger == nil || budgetStop(r) {
		return nil
	}
	var out []string
	for g := range queueGroups(r) {
		for _, m := range g {
			c := r.Conn(r.Str(m.Client))
			start := drainStart(r, m, c)
			if start == model.NoTime || closeExplained(r, c) {
				continue
			}
			live := liveReplacement(r, g, m)
			if live == nil {
				continue
			}
			ok := reachedGroup(r, g, m, live)
			for i := range r.Ledger.Messages {
				msg := &r.Ledger.Messages[i]
				if msg.AcceptedAt == model.NoTime || msg.AcceptedAt < start || !model.SubjectMatches(r.Str(m.Subject), r.Str(msg.Subject)) {
					continue
				}
				// A member across a gateway is no fallback: a server tries a
				// gateway only where the message enters its cluster and only
				// when it has none of its own
				// (docs/cluster.md#what-the-invariants-promise-in-a-cluster).
				if !ok[i] && !acrossGateway(r, r.Str(msg.From), r.Str(live.Client)) {
					out = append(out, fmt.Sprintf("msg %d (%s, accepted at %s) reached no member of queue %s: %s drained from %s while %s stayed subscribed",
						msg.ID, r.Str(msg.Subject), ts(msg.AcceptedAt), r.Str(m.Queue), m.ID, ts(start), live.ID))
				}
			}
		}
	}
	return out
}

// liveReplacement returns a member of g other than m that was subscribed
// from the start (so the server knew it before any message) and stayed
// subscribed, undrained and without an auto-unsubscribe limit, on a
// connection that never broke or closed; or nil.
func liveReplacement(r *model.Result, g []*model.SubRecord, m *model.SubRecord) *model.SubRecord {
	for _, o := range g {
		if o == m || o.Type != scenario.Async || hasMax(r, o) || r.Scenario == nil {
			continue
		}
		spec, c := r.Scenario.Sub(o.ID), r.Conn(r.Str(o.Client))
		if spec != nil && !spec.Deferred && c != nil && o.RemovedAt == model.NoTime && drainStart(r, o, c) == model.NoTime &&
			!sawDisconnect(r, c) && c.ClosedAt == model.NoTime {
			return o
		}
	}
	return nil
}

// reachedGroup returns, indexed like the ledger's messages, whether a
// member of g handled each message or its loss is not the drain's: a
// reported slow consumer of g dropped it, it waits unread in a sync member
// at the end, the drained member dropped it for a reason no-loss-under-
// drain accepts, or a third member (neither the drained one nor the
// replacement) lost it for reasons of its own, which other invariants
// judge.
func reachedGroup(r *model.Result, g []*model.SubRecord, drained, live *model.SubRecord) []bool {
	ok := make([]bool, len(r.Ledger.Messages))
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		s, c := deliverySub(r, d)
		if s == nil || !slices.Contains(g, s) || d.Msg <= 0 || int(d.Msg) > len(ok) {
			continue
		}
		dropped := d.Fate == model.DlvDropped
		switch {
		case !dropped && d.Fate != model.DlvPending,
			dropped && s != drained && s != live,
			dropped && s == drained && DropCause(r, d) != model.CauseDrain,
			dropped && d.Reason == model.DropSlowConsumer && slowReported(r, c, s.ID),
			dropped && serverCaused(d),
			dropped && d.Reason == model.DropRunEnded && s.Type != scenario.Async:
			ok[d.Msg-1] = true
		}
	}
	return ok
}

func checkDrainCloses(r *model.Result) []string {
	p := profile(r)
	var out []string
	for _, c := range r.Conns {
		if c.DrainCalledAt == model.NoTime {
			continue
		}
		// Without a bound only a run that ended on its own shows a drain
		// that never closes, and only if it had nothing left to wait for.
		limit, bounded := sim.Never, false
		if d, ok := p.DrainBound(drainTimeout(r, r.Str(c.Client))); ok {
			limit, bounded = c.DrainCalledAt.Add(d), true
		} else if leftUnread(r, r.Str(c.Client)) {
			continue
		}
		switch {
		case c.ClosedAt != model.NoTime && c.ClosedAt > limit:
			out = append(out, fmt.Sprintf("%s drained at %s closed at %s, later than %s", r.Str(c.Client), ts(c.DrainCalledAt), ts(c.ClosedAt), ts(limit)))
		case c.ClosedAt == model.NoTime && (!budgetStop(r) || r.Stop.Now > limit):
			// The bound is written only here: formatting it for every
			// draining connection was most of a check scenario's
			// formatting.
			bound := "none"
			if bounded {
				bound = ts(limit)
			}
			out = append(out, fmt.Sprintf("%s drained at %s never closed (run stopped %s at %s; bound %s)",
				r.Str(c.Client), ts(c.DrainCalledAt), r.Stop.Reason, ts(r.Stop.Now), bound))
		}
	}
	return out
}

func checkTimeoutHonesty(r *model.Result) []string {
	p := profile(r)
	var out []string
	// silent holds the connections whose close must have dropped nothing:
	// their drains reported no timeout (closeExplained says which).
	silent := map[string]*model.ConnRecord{}
	for _, c := range r.Conns {
		if c.DrainCalledAt == model.NoTime {
			continue
		}
		out = append(out, timeoutReportProblems(r, c)...)
		if c.DrainTimedOut {
			if c.ClosedAt == model.NoTime {
				base := c.DrainDeadline
				if base == model.NoTime {
					base = c.DrainCalledAt
				}
				limit := base.Add(p.ConnDrainPoll + p.FinalFlushTimeout)
				if !budgetStop(r) || r.Stop.Now > limit {
					out = append(out, fmt.Sprintf("%s drain timed out but the connection never closed (run stopped at %s)", r.Str(c.Client), ts(r.Stop.Now)))
				}
			}
		}
		if !closeExplained(r, c) {
			silent[r.Str(c.Client)] = c
		}
	}
	if len(silent) == 0 || r.Ledger == nil {
		return out
	}
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		if d.Fate != model.DlvDropped || d.Reason != model.DropConnClosed && d.Reason != model.DropCancelled {
			continue
		}
		s, c := deliverySub(r, d)
		if s != nil && silent[r.Str(s.Client)] == c && c != nil && d.DroppedAt >= c.DrainCalledAt && inSubsAtConnDrain(r, s, c) {
			out = append(out, fmt.Sprintf("%s reported no drain timeout but its close dropped msg %d to %s at %s",
				r.Str(c.Client), d.Msg, s.ID, ts(d.DroppedAt)))
		}
	}
	return out
}

// stateErrors are the errors a call gets because of the connection's state.
var stateErrors = []string{model.ErrConnectionClosed, model.ErrConnectionDraining, model.ErrConnectionReconnect}

// refusal is what a call may return in one connection state: one of want,
// or, when want is empty, anything but a state error. Always lists results
// that are fine in any state (they are checked before the state).
type refusal struct {
	want   []string
	always []string
}

func (f refusal) allows(result string) bool {
	if slices.Contains(f.always, result) {
		return true
	}
	if len(f.want) == 0 {
		return !slices.Contains(stateErrors, result)
	}
	return slices.Contains(f.want, result)
}

func (f refusal) String() string {
	if len(f.want) == 0 {
		return "no state error"
	}
	return strings.Join(append(append([]string(nil), f.want...), f.always...), " or ")
}

// The one-result lists refusalRule's rules are made of. They are shared
// and never modified: building them anew for every call record was a
// quarter of the allocations of a swarm check.
var (
	onlyOK                = []string{model.OK}
	onlyClosed            = []string{model.ErrConnectionClosed}
	onlyDraining          = []string{model.ErrConnectionDraining}
	onlyReconnecting      = []string{model.ErrConnectionReconnect}
	onlyNoReply           = []string{model.ErrMsgNoReply}
	onlyBadSubscription   = []string{model.ErrBadSubscription}
	onlyAlreadySubscribed = []string{model.ErrAlreadySubscribed}
)

// refusalRule returns the rule of profile p for a call in a stable state
// (for nats.go, docs/profiles/go.md#api-results-in-each-state; for the others, the knobs each
// profile declares), and false when no rule applies.
func refusalRule(p *model.Profile, verb string, st model.Status, pubsStopped bool) (refusal, bool) {
	draining := st == model.DrainingSubs || st == model.DrainingPubs
	closed, refused := onlyClosed, onlyDraining
	switch verb {
	case "publish", "reply":
		f := refusal{}
		if verb == "reply" {
			f.always = onlyNoReply
		}
		switch {
		case verb == "reply" && p.ReplyUnchecked:
			// nats.js msg.respond(): no state check at all (JS-M5).
			f.want = onlyOK
		case st == model.Closed && pubsStopped && p.PubsStoppedAfterClose:
			f.want = refused
		case st == model.Closed:
			f.want = closed
		case st == model.DrainingPubs, draining && p.PublishRefused == model.RefuseFromDrainCall:
			f.want = refused
		}
		return f, true
	case "subscribe", "unsubscribe", "drain_sub":
		f := refusal{always: onlyBadSubscription}
		switch {
		case st == model.Closed:
			f.want = closed
		case !draining:
		case verb == "subscribe":
			f.want = refused
		case verb == "unsubscribe":
			f.want = declared(p.UnsubWhileDraining)
		default:
			f.want = declared(p.SubDrainWhileDraining)
		}
		if verb == "subscribe" {
			f.always = onlyAlreadySubscribed
		}
		return f, true
	case "drain":
		switch {
		case st == model.Closed:
			return refusal{want: declared(p.DrainClosedErr)}, true
		case st == model.Reconnecting && p.DrainReconnecting != model.Proceed:
			return refusal{want: onlyReconnecting}, true
		case draining:
			return refusal{want: declared(p.DoubleDrainErr)}, true
		}
		return refusal{want: onlyOK}, true
	case "request":
		switch {
		case st == model.Closed:
			return refusal{want: closed}, true
		case st == model.DrainingPubs, draining && p.RequestRefused == model.RefuseWholeDrain:
			return refusal{want: refused}, true
		}
	case "flush":
		if st == model.Closed {
			return refusal{want: closed}, true
		}
	}
	return refusal{}, false
}

// declared turns a profile's rule for a call ("" allowed, "noop" ignored,
// or an error name) into the results it allows.
func declared(rule string) []string {
	switch rule {
	case "":
		return nil
	case "noop":
		return onlyOK
	}
	return []string{rule}
}

func checkAPIRefusal(r *model.Result) []string {
	p := profile(r)
	var out []string
	conns := connFinder{r: r}
	var (
		last    model.CallRecord // the call before
		cleared bool             // last broke no rule
	)
	for _, call := range r.Calls() {
		// The rules read a call's client, time, verb and result only (its
		// source names it in a violation), so a call that repeats the one
		// before in these, as a burst of publishes does, breaks no rule
		// when that one broke none.
		if cleared && sameRefusalKey(call, last) {
			continue
		}
		n := len(out)
		if c := conns.of(call.Client); c != nil {
			out = apiRefusal(r, p, c, call, out)
		}
		last, cleared = call, len(out) == n
	}
	return out
}

// sameRefusalKey reports whether calls a and b agree in everything the
// api-refusal-rules check reads of them but their source.
func sameRefusalKey(a, b model.CallRecord) bool {
	return a.Client == b.Client && a.At == b.At && a.Verb == b.Verb && a.Result == b.Result
}

// apiRefusal appends to out what the call by connection c breaks of the
// refusal rules of profile p.
func apiRefusal(r *model.Result, p *model.Profile, c *model.ConnRecord, call model.CallRecord, out []string) []string {
	st, stable := statusAt(c, call.At)
	if !stable {
		if v := checkDrainWhileReconnecting(r, p, c, call); v != "" {
			out = append(out, v)
		}
		return out
	}
	rule, ok := refusalRule(p, r.Str(call.Verb), st, reached(c, model.DrainingPubs, call.At))
	if !ok {
		return out
	}
	if !rule.allows(r.Str(call.Result)) {
		out = append(out, fmt.Sprintf("%s by %s at %s while %s was %s returned %s; want %s",
			r.Str(call.Verb), r.Str(call.Source), ts(call.At), r.Str(call.Client), st, r.Str(call.Result), rule))
	}
	if r.Str(call.Verb) == "drain" && st == model.Reconnecting && p.DrainReconnecting == model.CloseAndRefuse && c.ClosedAt != call.At {
		out = append(out, fmt.Sprintf("drain by %s at %s while %s was RECONNECTING did not close it (closed %s)",
			r.Str(call.Source), ts(call.At), r.Str(call.Client), ts(c.ClosedAt)))
	}
	return out
}

// checkDrainWhileReconnecting checks, under a profile whose Drain while
// reconnecting closes the connection (nats.go), a Drain made while
// RECONNECTING that closed the connection at that same instant, as it
// must: it returns ErrConnectionReconnecting (or ErrConnectionClosed, had
// a Close at that instant come first) and the connection is CLOSED.
func checkDrainWhileReconnecting(r *model.Result, p *model.Profile, c *model.ConnRecord, call model.CallRecord) string {
	if r.Str(call.Verb) != "drain" || p.DrainReconnecting != model.CloseAndRefuse {
		return ""
	}
	if prev, closing := statusBefore(c, call.At); prev != model.Reconnecting || !closing {
		return ""
	}
	if r.Str(call.Result) != model.ErrConnectionReconnect && r.Str(call.Result) != model.ErrConnectionClosed {
		return fmt.Sprintf("drain by %s at %s while %s was RECONNECTING returned %s; want %s",
			r.Str(call.Source), ts(call.At), r.Str(call.Client), r.Str(call.Result), model.ErrConnectionReconnect)
	}
	return ""
}

func checkRespMuxLast(r *model.Result) []string {
	if profile(r).Mux != model.MuxLast {
		return nil
	}
	var out []string
	for _, c := range r.Conns {
		if c.DrainCalledAt == model.NoTime || c.DrainTimedOut || sawDisconnect(r, c) {
			continue
		}
		mux := r.Sub(r.Str(c.Client) + ".respmux")
		if mux == nil || mux.DrainCalledAt == model.NoTime || mux.DrainCalledAt < c.DrainCalledAt {
			continue
		}
		if c.ClosedAt != model.NoTime && c.ClosedAt <= mux.DrainCalledAt {
			continue
		}
		for _, s := range r.Subs {
			if s.Mux || s.Client != c.Client || !inSubsAtConnDrain(r, s, c) {
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
	msgs := r.Ledger.Messages
	var bySubject *[]int32 // msgs' indices by subject (messagesBySubject), made on first need
	conns := connFinder{r: r}
	for _, call := range r.Calls() {
		if r.Str(call.Verb) != "request" || !strings.Contains(r.Str(call.Source), "#") || call.Msg <= 0 || call.Msg > len(r.Ledger.Messages) {
			continue
		}
		c := conns.of(call.Client)
		if c == nil || c.DrainTimedOut || sawDisconnect(r, c) {
			continue
		}
		req := r.Ledger.Message(call.Msg)
		if req.Reply == 0 || req.Fate == model.MsgRefused {
			continue
		}
		if bySubject == nil {
			bySubject = messagesBySubject(msgs)
		}
		from, _ := slices.BinarySearchFunc(*bySubject, req.Reply, func(i int32, s model.Str) int { return cmp.Compare(msgs[i].Subject, s) })
		for _, i := range (*bySubject)[from:] {
			m := &msgs[i]
			if m.Subject != req.Reply {
				break
			}
			if m.AcceptedAt == model.NoTime || m.AcceptedAt >= call.ReturnedAt || m.AcceptedAt < call.At {
				continue
			}
			if c.ClosedAt != model.NoTime && c.ClosedAt <= m.AcceptedAt || acrossGateway(r, r.Str(m.From), r.Str(call.Client)) {
				continue
			}
			// Only a subscription still subscribed keeps the response
			// subscription alive: one unsubscribed (or past its limit) while
			// its callback waits for the reply no longer holds the drain.
			if h := r.Sub(r.Str(call.Sub)); h != nil && h.RemovedAt != model.NoTime && h.RemovedAt <= m.AcceptedAt && r.Str(h.RemovedBy) != "drain" {
				continue
			}
			if m.Fate != model.MsgRouted {
				out = append(out, fmt.Sprintf("reply msg %d to request msg %d of %s (%s) accepted at %s found %s; the request returned %s at %s",
					m.ID, req.ID, r.Str(call.Source), r.Str(call.Client), ts(m.AcceptedAt), m.Fate, r.Str(call.Result), ts(call.ReturnedAt)))
			}
		}
	}
	if bySubject != nil {
		putCounts(bySubject)
	}
	return out
}

// messagesBySubject lends the indices of msgs in order of subject, and of
// publication within one (takeCounts; the caller returns the list): the
// messages of one subject are a run that a binary search finds. A map of
// subjects to lists of messages was 5 % of the bytes a check scenario
// allocated.
func messagesBySubject(msgs []model.Message) *[]int32 {
	lent := takeCounts(len(msgs))
	idx := *lent
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return cmp.Or(cmp.Compare(msgs[a].Subject, msgs[b].Subject), cmp.Compare(a, b)) })
	return lent
}

func checkOutboundComplete(r *model.Result) []string {
	if r.Ledger == nil {
		return nil
	}
	var out []string
	for _, c := range r.Conns {
		if c.FinalFlushAt == model.NoTime || r.Str(c.FinalFlushErr) != "" {
			continue
		}
		pubsAt := firstStatus(c, model.DrainingPubs, c.DrainCalledAt)
		// After a broken link, a PING left unsent at the break goes out
		// after the reconnect, and its PONG may answer the final flush
		// (nats.go and ruby-nats pair PONGs with waiters by order alone).
		if pubsAt == model.NoTime || lastLinkBreak(c, c.FinalFlushAt) >= 0 {
			continue
		}
		for i := range r.Ledger.Messages {
			m := &r.Ledger.Messages[i]
			if m.From != c.Client || m.Fate == model.MsgRefused || m.PublishedAt >= pubsAt {
				continue
			}
			if m.AcceptedAt == model.NoTime || m.AcceptedAt > c.FinalFlushAt {
				out = append(out, fmt.Sprintf("msg %d published by %s at %s (before DRAINING_PUBS at %s) was accepted %s, after the final flush returned at %s (%s)",
					m.ID, r.Str(c.Client), ts(m.PublishedAt), ts(pubsAt), ts(m.AcceptedAt), ts(c.FinalFlushAt), m.Fate))
			}
		}
	}
	return out
}

func checkClosedCallback(r *model.Result) []string {
	var out []string
	for _, c := range r.Conns {
		n := countCallbacks(r, c, "closed", "")
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ran its closed callback %d times", r.Str(c.Client), n))
		}
		for i, cb := range c.Callbacks {
			if r.Str(cb.Kind) == "closed" && i < len(c.Callbacks)-1 {
				next := c.Callbacks[i+1]
				out = append(out, fmt.Sprintf("%s ran its closed callback at %s before a %s callback %s", r.Str(c.Client), ts(cb.At), r.Str(next.Kind), r.Str(next.Error)))
			}
		}
		if c.ClosedAt == model.NoTime {
			if n > 0 {
				out = append(out, fmt.Sprintf("%s ran a closed callback but never closed", r.Str(c.Client)))
			}
			continue
		}
		switch want := closedCallbacks(r, c); {
		case want == 1 && n == 0:
			out = append(out, fmt.Sprintf("%s closed at %s but its closed callback never ran", r.Str(c.Client), ts(c.ClosedAt)))
		case want == 0 && n > 0:
			out = append(out, fmt.Sprintf("%s closed at %s by the application or its drain with NoCallbacksAfterClientClose, yet its closed callback ran",
				r.Str(c.Client), ts(c.ClosedAt)))
		}
	}
	return out
}

// closedCallbacks is how many closed callbacks a closed connection must run:
// 1, or 0 when NoCallbacksAfterClientClose applies to a Close by the
// application or the drain, or -1 when the records cannot tell (closed
// while the reconnect loop ran: by Close, or by running out of reconnect
// attempts; the status may say DRAINING_SUBS then, when a Drain that
// proceeds while reconnecting overwrote it, or stay DRAINING_PUBS, as
// natsjs's does while its final flush waits for a reconnect).
func closedCallbacks(r *model.Result, c *model.ConnRecord) int {
	if !noCallbacksAfterClose(r, r.Str(c.Client)) {
		return 1
	}
	prev, loops := model.Connected, 0
	for _, s := range c.Status {
		if s.Status == model.Closed {
			break
		}
		if s.Status == model.Reconnecting {
			loops++
		}
		prev = s.Status
	}
	switch {
	case prev == model.Disconnected:
		return 1
	case loops > countCallbacks(r, c, "reconnected", ""), r.Str(c.LastError) == model.ErrNoServers:
		// Closed while the reconnect loop ran. A profile whose status
		// stays DRAINING_PUBS while it reconnects (natsjs) shows the
		// loop only by the ErrNoServers it leaves when a close ends it.
		return -1
	}
	return 0
}

func checkClosedIsFinal(r *model.Result) []string {
	var out []string
	for _, c := range r.Conns {
		closed := model.NoTime
		for _, s := range c.Status {
			if closed != model.NoTime {
				out = append(out, fmt.Sprintf("%s went from CLOSED (at %s) to %s at %s", r.Str(c.Client), ts(closed), s.Status, ts(s.At)))
				break
			}
			if s.Status == model.Closed {
				closed = s.At
			}
		}
	}
	return out
}

func checkNoSilentLoss(r *model.Result) []string {
	if r.Ledger == nil {
		return nil
	}
	var out []string
	for i := range r.Ledger.Messages {
		m := &r.Ledger.Messages[i]
		bad := ""
		switch m.Fate { // one still in transit is ledger-conserved's
		case model.MsgRefused:
			if m.Error == 0 {
				bad = "refused without an error"
			}
		case model.MsgLostUnsent, model.MsgLostInFlight:
			if reason := r.Str(m.LostReason); reason == "" || (reason == "run ended" && !budgetStop(r)) {
				bad = fmt.Sprintf("lost (%q) in a run that ended quietly", reason)
			}
		}
		if bad != "" {
			out = append(out, fmt.Sprintf("msg %d from %s %s", m.ID, r.Str(m.From), bad))
		}
	}
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		s, c := deliverySub(r, d)
		if s == nil || c == nil {
			out = append(out, fmt.Sprintf("msg %d delivered to an unknown subscription %d", d.Msg, d.Sub))
			continue
		}
		switch { // one still pending is ledger-conserved's
		case d.Fate == model.DlvInCallback && !budgetStop(r):
			out = append(out, fmt.Sprintf("msg %d to %s still %s after the run", d.Msg, s.ID, d.Fate))
		case d.Fate == model.DlvDropped && !dropAllowed(r, d, s, c):
			out = append(out, fmt.Sprintf("msg %d to %s dropped (%s) at %s, which the records do not explain",
				d.Msg, s.ID, reasonName(d.Reason), ts(d.DroppedAt)))
		}
	}
	return out
}

func reasonName(r model.DropReason) string {
	if r == model.DropNone {
		return "no reason"
	}
	return r.String()
}

// dropAllowed reports whether the records show the circumstance a drop's
// reason names.
func dropAllowed(r *model.Result, d *model.Delivery, s *model.SubRecord, c *model.ConnRecord) bool {
	switch d.Reason {
	case model.DropSlowConsumer:
		return slowReported(r, c, s.ID)
	case model.DropUnknownSid, model.DropSubClosed:
		return s.RemovedAt != model.NoTime && s.RemovedAt <= d.DroppedAt
	case model.DropConnClosed:
		return c.ClosedAt != model.NoTime && c.ClosedAt <= d.DroppedAt
	case model.DropCancelled:
		return profile(r).CloseCancelsCallbacks && c.ClosedAt != model.NoTime && c.ClosedAt <= d.DroppedAt
	case model.DropDisconnect:
		return linkCut(r, r.Str(s.Client), d.DroppedAt)
	case model.DropMaxReached:
		return hasMax(r, s)
	case model.DropRunEnded:
		return budgetStop(r) || s.Type != scenario.Async
	case model.DropServerSlowConsumer:
		// The client lost the connection the server closed, unless it
		// closed it itself first.
		return linkBreak(c, d.DroppedAt) || c.ClosedAt != model.NoTime
	case model.DropServerStalled:
		return r.Scenario != nil && r.Scenario.Server.NoFastProducerStall
	case model.DropRouteNoInterest, model.DropRouteNoFallback, model.DropLeafEcho, model.DropNoGatewayFallback:
		return topologyCaused(r, d, s)
	case model.DropServerShutdown:
		return serverWentDown(r, d.DroppedAt)
	case model.DropLinkCut:
		return linkWasCut(r, d.DroppedAt)
	case model.DropForceReconnect:
		return forcedReconnect(r, c, d.DroppedAt)
	}
	return false
}
