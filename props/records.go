package props

import (
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// Helpers that read a Result's records; the checks and the coverage targets
// share them.

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

// noCallbacksAfterClose reports the client's NoCallbacksAfterClientClose.
func noCallbacksAfterClose(r *model.Result, client string) bool {
	if r.Scenario == nil {
		return false
	}
	c := r.Scenario.Client(client)
	return c != nil && c.NoCallbacksAfterClose
}

func budgetStop(r *model.Result) bool {
	return r.Stop.Reason.Exhausted()
}

// linkBreak reports whether the connection's status ever shows its link
// broken (DISCONNECTED or RECONNECTING) at or after from.
func linkBreak(c *model.ConnRecord, from sim.Time) bool {
	for _, s := range c.Status {
		if s.At >= from && (s.Status == model.Disconnected || s.Status == model.Reconnecting) {
			return true
		}
	}
	return false
}

// sawDisconnect reports whether the connection's link ever broke: a
// DISCONNECTED or RECONNECTING status, or a disconnected callback that ran
// before the connection was closed.
func sawDisconnect(r *model.Result, c *model.ConnRecord) bool {
	if linkBreak(c, 0) {
		return true
	}
	for _, cb := range c.Callbacks {
		if r.Str(cb.Kind) == "disconnected" && (c.ClosedAt == model.NoTime || cb.At < c.ClosedAt) {
			return true
		}
	}
	return false
}

// lastLinkBreak returns the time of the last DISCONNECTED or RECONNECTING
// status at or before t, or -1.
func lastLinkBreak(c *model.ConnRecord, t sim.Time) sim.Time {
	last := sim.Time(-1)
	for _, s := range c.Status {
		if s.At <= t && (s.Status == model.Disconnected || s.Status == model.Reconnecting) {
			last = s.At
		}
	}
	return last
}

// closedByApp reports whether a close action of the scenario closed the
// connection.
func closedByApp(r *model.Result, c *model.ConnRecord) bool {
	if c.ClosedAt == model.NoTime {
		return false
	}
	for _, call := range r.Calls() {
		if r.Str(call.Verb) == "close" && call.Client == c.Client && call.At == c.ClosedAt {
			return true
		}
	}
	return false
}

// countCallbacks counts connection callbacks of a kind, and of an error when
// err is not "".
func countCallbacks(r *model.Result, c *model.ConnRecord, kind, err string) int {
	n := 0
	for _, cb := range c.Callbacks {
		if r.Str(cb.Kind) == kind && (err == "" || r.Str(cb.Error) == err) {
			n++
		}
	}
	return n
}

// timeoutReported reports whether the connection drain timed out and said
// so through its library's channel (Profile.TimeoutReport): the async error
// callback or LastError, or the drain's own result.
func timeoutReported(r *model.Result, c *model.ConnRecord) bool {
	if !c.DrainTimedOut {
		return false
	}
	if profile(r).TimeoutReport == model.ReportResult {
		return r.Str(c.DrainResult) == model.ErrDrainTimeout
	}
	return countCallbacks(r, c, "async_error", model.ErrDrainTimeout) > 0 || r.Str(c.LastError) == model.ErrDrainTimeout
}

// closeExplained reports whether losing what a connection still held when
// it closed is explained: the drain reported a timeout, the link broke, or
// the application closed it.
func closeExplained(r *model.Result, c *model.ConnRecord) bool {
	return closeCause(r, c) != 0
}

// closeCause returns what losing what a connection still held when it
// closed is owed to: the application, when it closed the connection or
// was told that its drain timed out or failed; a fault, when the link
// broke; 0 when nothing but the drain explains it.
func closeCause(r *model.Result, c *model.ConnRecord) model.DropCause {
	switch {
	case closedByApp(r, c), timeoutReported(r, c), drainCallFailed(r, c):
		return model.CauseApplication
	case sawDisconnect(r, c):
		return model.CauseFault
	}
	return 0
}

// drainCallFailed reports whether a drain call of c returned an error
// because its own barrier failed, which closed the connection
// (DrainCallFlushes): the application was told.
func drainCallFailed(r *model.Result, c *model.ConnRecord) bool {
	if !profile(r).DrainCallFlushes {
		return false
	}
	for _, call := range r.Calls() {
		if r.Str(call.Verb) == "drain" && call.Client == c.Client && r.Str(call.Result) == model.ErrTimeout {
			return true
		}
	}
	return false
}

// slowReported reports whether a slow-consumer error for sub was reported.
func slowReported(r *model.Result, c *model.ConnRecord, sub string) bool {
	if r.Str(c.LastError) == model.ErrSlowConsumer {
		return true
	}
	for _, cb := range c.Callbacks {
		if r.Str(cb.Kind) == "async_error" && r.Str(cb.Error) == model.ErrSlowConsumer && r.Str(cb.Sub) == sub {
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

// reached reports whether the connection's status was st at some point up
// to t.
func reached(c *model.ConnRecord, st model.Status, t sim.Time) bool {
	for _, s := range c.Status {
		if s.At > t {
			break
		}
		if s.Status == st {
			return true
		}
	}
	return false
}

// statusBefore returns the connection's status after every change strictly
// before t, and whether every change at t itself was to CLOSED (as a call
// at t that closes the connection makes).
func statusBefore(c *model.ConnRecord, t sim.Time) (model.Status, bool) {
	st, closing := model.Connected, true
	for _, s := range c.Status {
		switch {
		case s.At < t:
			st = s.Status
		case s.At == t && s.Status != model.Closed:
			closing = false
		}
	}
	return st, closing
}

// firstStatus returns when the connection first entered st at or after
// from, or NoTime.
func firstStatus(c *model.ConnRecord, st model.Status, from sim.Time) sim.Time {
	for _, s := range c.Status {
		if s.At >= from && s.Status == st {
			return s.At
		}
	}
	return model.NoTime
}

// inSubsAtConnDrain reports whether s, a record of r, was still
// subscribed when its connection's drain started. A subscription
// unsubscribed at that very instant is counted as gone: the order of the
// two calls is not recorded.
func inSubsAtConnDrain(r *model.Result, s *model.SubRecord, c *model.ConnRecord) bool {
	if c == nil || c.DrainCalledAt == model.NoTime || s.SubscribedAt > c.DrainCalledAt {
		return false
	}
	if s.RemovedAt == model.NoTime || s.RemovedAt > c.DrainCalledAt {
		return true
	}
	return s.RemovedAt == c.DrainCalledAt && r.Str(s.RemovedBy) != "unsubscribe"
}

// drainStart is when s, a record of r, started draining (its own Drain,
// or its connection's while it was subscribed), or NoTime.
func drainStart(r *model.Result, s *model.SubRecord, c *model.ConnRecord) sim.Time {
	start := s.DrainCalledAt
	if inSubsAtConnDrain(r, s, c) && (start == model.NoTime || c.DrainCalledAt < start) {
		start = c.DrainCalledAt
	}
	return start
}

// hasMax reports whether the subscription had an auto-unsubscribe limit:
// set in the scenario, or by a successful auto_unsubscribe call.
func hasMax(r *model.Result, s *model.SubRecord) bool {
	if r.Scenario != nil {
		if spec := r.Scenario.Sub(s.ID); spec != nil && spec.Max > 0 {
			return true
		}
	}
	for _, call := range r.Calls() {
		if r.Str(call.Verb) == "auto_unsubscribe" && r.Str(call.Sub) == s.ID && r.Str(call.Result) == model.OK {
			return true
		}
	}
	return false
}

// linkCut reports whether a disconnect fault hit the client at or before t.
func linkCut(r *model.Result, client string, t sim.Time) bool {
	for _, call := range r.Calls() {
		if r.Str(call.Verb) == "disconnect" && r.Str(call.Client) == client && call.At <= t {
			return true
		}
	}
	return false
}

// message returns the ledger entry of message id, or nil when the ledger
// has none (hand-made results may name messages they do not record).
func message(r *model.Result, id int) *model.Message {
	if r.Ledger == nil || id <= 0 || id > len(r.Ledger.Messages) {
		return nil
	}
	return r.Ledger.Message(id)
}

// deliverySub returns the records of a delivery's subscription and
// connection, or nils when the delivery names no known subscription.
func deliverySub(r *model.Result, d *model.Delivery) (*model.SubRecord, *model.ConnRecord) {
	s := subOf(r, d)
	if s == nil {
		return nil, nil
	}
	return s, r.Conn(r.Str(s.Client))
}

// subOf returns the record of a delivery's subscription, or nil when the
// delivery names no known subscription: deliverySub without the
// connection, which costs a lookup by name.
func subOf(r *model.Result, d *model.Delivery) *model.SubRecord {
	if d.Sub < 0 || int(d.Sub) >= len(r.Subs) {
		return nil
	}
	return r.Subs[d.Sub]
}

// connFinder finds the connection records of call records' clients,
// remembering the last it found: a run's calls come in long stretches
// from one of its few clients, and Result.Conn looks the name up in a map
// at every call.
type connFinder struct {
	r      *model.Result
	client model.Str
	c      *model.ConnRecord // of client; nil before the first find
}

// of returns the connection record of the interned client name, or nil.
func (f *connFinder) of(client model.Str) *model.ConnRecord {
	if f.c == nil || client != f.client {
		f.client, f.c = client, f.r.Conn(f.r.Str(client))
	}
	return f.c
}

// queueGroups yields the members of each queue group (same subject and
// queue name), in subscription order, skipping groups of one. It yields
// every group in one list, refilled for the next: a caller keeps no group
// past its turn. A list for each group and a list of them were made for
// every check of every result.
func queueGroups(r *model.Result) iter.Seq[[]*model.SubRecord] {
	return func(yield func([]*model.SubRecord) bool) {
		var buf [8]*model.SubRecord
		g := buf[:0]
		for i, s := range r.Subs {
			if s.Queue == 0 {
				continue
			}
			first := true
			for _, p := range r.Subs[:i] {
				if p.Queue == s.Queue && p.Subject == s.Subject {
					first = false
					break
				}
			}
			if !first {
				continue
			}
			g = append(g[:0], s)
			for _, o := range r.Subs[i+1:] {
				if o.Queue == s.Queue && o.Subject == s.Subject {
					g = append(g, o)
				}
			}
			if len(g) > 1 && !yield(g) {
				return
			}
		}
	}
}

// countLists lends the checks that count per message or delivery
// (ledger-conserved, no-duplicates) their lists: one made for every
// result was a tenth of the bytes a check scenario allocated. A list is
// returned once its check is done; the pool is safe for the workers.
var countLists = sync.Pool{New: func() any { return new([]int32) }}

// takeCounts lends a list of n zero counts; putCounts returns it.
func takeCounts(n int) *[]int32 {
	p := countLists.Get().(*[]int32)
	*p = slices.Grow((*p)[:0], n)[:n]
	clear(*p)
	return p
}

// putCounts returns a list takeCounts lent.
func putCounts(p *[]int32) { countLists.Put(p) }
