package props

import (
	"fmt"
	"strconv"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Expectations returns the assertions of sc's expect: section as
// invariants, in file order, so that every check that runs the catalogue
// (run's verdicts, check FILE, the Go API) runs them the same way. The ID
// of the i-th is "expect[i].KIND" (e.g. "expect[0].no_loss"); its Check
// returns the evidence of a failure, one line per message or record at
// fault.
func Expectations(sc *scenario.Scenario) []Invariant {
	out := make([]Invariant, len(sc.Expect))
	for i, e := range sc.Expect {
		inv := Invariant{ID: "expect[" + strconv.Itoa(i) + "]." + e.Kind, Statement: ExpectStatement(e)}
		switch e.Kind {
		case scenario.ExpectNoLoss:
			inv.Check = func(r *model.Result) []string { return lossOver(r, e.Sub, 0) }
		case scenario.ExpectMaxLoss:
			inv.Check = func(r *model.Result) []string { return lossOver(r, e.Sub, e.Count) }
		case scenario.ExpectHandledBeforeDrain:
			inv.Check = func(r *model.Result) []string { return unhandledBeforeDrain(r, e.Sub) }
		case scenario.ExpectDrainResult:
			inv.Check = func(r *model.Result) []string { return drainResultOtherThan(r, e) }
		case scenario.ExpectDrainWithin:
			inv.Check = func(r *model.Result) []string { return drainSlowerThan(r, e.Client, e.Within) }
		case scenario.ExpectNoAsyncError:
			inv.Check = func(r *model.Result) []string { return asyncErrors(r, e.Client) }
		default: // only a scenario built in code can hold another kind
			inv.Check = func(*model.Result) []string {
				return []string{fmt.Sprintf("unknown expectation kind %q: want one of %v", e.Kind, scenario.ExpectKinds)}
			}
		}
		out[i] = inv
	}
	return out
}

// ExpectStatement says in words what e expects, with the line it is
// written on.
func ExpectStatement(e scenario.Expectation) string {
	var s string
	switch e.Kind {
	case scenario.ExpectNoLoss:
		s = "no message " + ofSub(e.Sub) + "lost or cut by a drain"
	case scenario.ExpectMaxLoss:
		s = fmt.Sprintf("at most %d messages %slost or cut by a drain", e.Count, ofSub(e.Sub))
	case scenario.ExpectHandledBeforeDrain:
		s = "subscription " + e.Sub + " handled every message committed to it that was published before its drain was called"
	case scenario.ExpectDrainResult:
		what := "client " + e.Client
		if e.Sub != "" {
			what = "subscription " + e.Sub
		}
		s = "the drain of " + what + " ended with result " + e.Result
	case scenario.ExpectDrainWithin:
		s = fmt.Sprintf("client %s's drain closed the connection within %v of the call", e.Client, e.Within)
	case scenario.ExpectNoAsyncError:
		s = "no async error reached the application"
		if e.Client != "" {
			s = "no async error reached client " + e.Client
		}
	}
	if e.Line > 0 {
		s += " (line " + strconv.Itoa(e.Line) + ")"
	}
	return s
}

func ofSub(id string) string {
	if id == "" {
		return ""
	}
	return "of " + id + " "
}

// lossOver returns the messages (of subscription sub, or all when "")
// lost to drains when there are more than most, else nothing.
func lossOver(r *model.Result, sub string, most int) []string {
	l := MeasureLoss(r)
	var ev []string
	for _, i := range l.Dropped {
		d := &r.Ledger.Deliveries[i]
		if s := r.Subs[d.Sub]; sub == "" || s.ID == sub {
			ev = append(ev, fmt.Sprintf("msg %d to %s dropped (%s) at %v", d.Msg, s.ID, d.Reason, d.DroppedAt))
		}
	}
	for _, i := range l.Cut {
		d := &r.Ledger.Deliveries[i]
		if s := r.Subs[d.Sub]; sub == "" || s.ID == sub {
			ev = append(ev, fmt.Sprintf("msg %d to %s cut: its callback (from %v) was running when %s closed at %v", d.Msg, s.ID, d.StartedAt, r.Str(s.Client), r.Conn(r.Str(s.Client)).ClosedAt))
		}
	}
	if len(ev) <= most {
		return nil
	}
	if most > 0 {
		ev[0] = fmt.Sprintf("%d lost, more than %d: %s", len(ev), most, ev[0])
	}
	return ev
}

// unhandledBeforeDrain returns the deliveries to sub of messages
// published before its drain started (any, if it never drained) that
// were not handed to the application.
func unhandledBeforeDrain(r *model.Result, sub string) []string {
	s := r.Sub(sub)
	if s == nil || r.Ledger == nil {
		return nil
	}
	start := drainStart(r, s, r.Conn(r.Str(s.Client)))
	var ev []string
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		if r.Subs[d.Sub] != s {
			continue
		}
		m := r.Ledger.Message(int(d.Msg))
		if start != model.NoTime && m.PublishedAt >= start {
			continue
		}
		var what string
		switch d.Fate {
		case model.DlvHandled, model.DlvTaken:
			continue
		case model.DlvDropped:
			what = fmt.Sprintf("dropped (%s) at %v", d.Reason, d.DroppedAt)
		case model.DlvInCallback:
			what = "still in its callback when the run ended"
		default:
			what = "never handled"
		}
		ev = append(ev, fmt.Sprintf("msg %d published at %v%s: %s", d.Msg, m.PublishedAt, drainNote(start), what))
	}
	return ev
}

// drainNote says when the drain started, for evidence.
func drainNote(start sim.Time) string {
	if start == model.NoTime {
		return " (never drained)"
	}
	return fmt.Sprintf(" (drain called at %v)", start)
}

// drainResultOtherThan returns why the drain e names did not end with
// e.Result: it never started, never ended, or ended otherwise.
func drainResultOtherThan(r *model.Result, e scenario.Expectation) []string {
	var called sim.Time
	var got, what string
	if e.Sub != "" {
		s := r.Sub(e.Sub)
		if s == nil {
			return nil
		}
		called, what = s.DrainCalledAt, "subscription "+e.Sub
		got = drainOutcome(r.Str(s.DrainResult), r.Str(s.RemovedBy) == "drain", false)
	} else {
		c := r.Conn(e.Client)
		if c == nil {
			return nil
		}
		called, what = c.DrainCalledAt, "client "+e.Client
		got = drainOutcome(r.Str(c.DrainResult), c.ClosedAt != model.NoTime, c.DrainTimedOut)
	}
	switch {
	case called == model.NoTime:
		return []string{what + " never drained"}
	case got == e.Result:
		return nil
	case got == "":
		return []string{fmt.Sprintf("the drain of %s called at %v never ended (run stopped at %v)", what, called, r.Stop.Now)}
	}
	return []string{fmt.Sprintf("the drain of %s called at %v ended with %s, not %s", what, called, got, e.Result)}
}

// drainOutcome maps what a drain signalled (result), whether it finished
// (closed) and whether it reported a timeout to "ok", "timeout", or ""
// for a drain that never ended.
func drainOutcome(result string, finished, timedOut bool) string {
	switch {
	case timedOut || result == model.ErrDrainTimeout:
		return scenario.DrainTimeout
	case result == model.OK || result == "" && finished:
		return scenario.DrainOK
	}
	return ""
}

// drainSlowerThan returns why client's drain did not close its
// connection within d of the call.
func drainSlowerThan(r *model.Result, client string, d time.Duration) []string {
	c := r.Conn(client)
	switch {
	case c == nil:
		return nil
	case c.DrainCalledAt == model.NoTime:
		return []string{"client " + client + " never drained"}
	case c.ClosedAt == model.NoTime:
		return []string{fmt.Sprintf("client %s's drain called at %v never closed the connection (run stopped at %v)", client, c.DrainCalledAt, r.Stop.Now)}
	}
	if took := time.Duration(c.ClosedAt - c.DrainCalledAt); took > d {
		return []string{fmt.Sprintf("client %s's drain called at %v closed the connection at %v: took %v, more than %v", client, c.DrainCalledAt, c.ClosedAt, took, d)}
	}
	return nil
}

// asyncErrors returns the async errors client (every client when "")
// was told of.
func asyncErrors(r *model.Result, client string) []string {
	var ev []string
	for _, c := range r.Conns {
		if client != "" && r.Str(c.Client) != client {
			continue
		}
		for _, cb := range c.Callbacks {
			if r.Str(cb.Kind) != "async_error" {
				continue
			}
			s := fmt.Sprintf("client %s: async error %s at %v", r.Str(c.Client), r.Str(cb.Error), cb.At)
			if r.Str(cb.Sub) != "" {
				s += " (subscription " + r.Str(cb.Sub) + ")"
			}
			ev = append(ev, s)
		}
	}
	return ev
}
