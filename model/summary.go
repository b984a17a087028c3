package model

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/drainsim/drainsim/sim"
)

func fmtNS(ns int64) string { return sim.Time(ns).String() }

func fmtNSPtr(p *int64) string {
	if p == nil {
		return "never"
	}
	return fmtNS(*p)
}

// SummaryOptions adjust WriteSummaryWith.
type SummaryOptions struct {
	// Verbose prints every invariant's statement, not only those of the
	// invariants that failed.
	Verbose bool
}

// WriteSummary writes the summary with the default options: WriteSummaryWith.
func (o *Outcome) WriteSummary(w io.Writer) error {
	return o.WriteSummaryWith(w, SummaryOptions{})
}

// WriteSummaryWith writes a short human-readable account of the outcome:
// how the run stopped, each connection's status history and callbacks, each
// subscription's deliveries, drops and loss to drains, message counts, the
// loss to drains in total (when DrainLoss is filled in), failed calls and
// one line per invariant verdict. A verdict line is the invariant's id and
// ok, FAIL or n/a (it held because the run never reached the situation it
// is about); a failure adds the statement, which can run to hundreds of
// characters, and the detail; opts.Verbose adds every statement.
func (o *Outcome) WriteSummaryWith(w io.Writer, opts SummaryOptions) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("scenario %s (profile %s, seed %d)", o.Scenario, o.Profile, o.Seed)
	if len(o.Mutations) > 0 {
		p(" with mutations %s", strings.Join(o.Mutations, ","))
	}
	p("\n")
	for _, inf := range o.ProfileInferred {
		p("INFERRED (profile %s, not yet checked against the library): %s (%s): %s\n", o.Profile, inf.ID, inf.Ref, inf.Behaviour)
	}
	p("stopped: %s at %s after %d events", o.Stop.Reason, fmtNS(o.Stop.AtNS), o.Stop.Events)
	switch o.Stop.Budget {
	case "":
	case "max_time":
		p(" (budget limits.max_time: %s)", time.Duration(o.Stop.BudgetValue))
	case "max_records":
		p(" with %d records (budget limits.max_records: %d)", o.Stop.Records, o.Stop.BudgetValue)
	default:
		p(" (budget limits.%s: %d)", o.Stop.Budget, o.Stop.BudgetValue)
	}
	p("\n")
	for _, c := range o.Connections {
		p("connection %s:", c.Client)
		for i, s := range c.Status {
			if i > 0 {
				p(" ->")
			}
			p(" %s@%s", s.Status, fmtNS(s.AtNS))
		}
		p("\n")
		if c.Drain != nil {
			p("  drain: called %s, deadline %s, closed %s", fmtNS(c.Drain.CalledNS), fmtNSPtr(c.Drain.DeadlineNS), fmtNSPtr(c.Drain.ClosedNS))
			if c.Drain.DurationNS != nil {
				p(" (took %s)", fmtNS(*c.Drain.DurationNS))
			}
			if c.Drain.TimedOut {
				p(", TIMED OUT")
			}
			if c.Drain.DoneNS != nil {
				p("; signalled %s at %s", c.Drain.Result, fmtNS(*c.Drain.DoneNS))
			}
			p("\n")
		}
		if len(c.Callbacks) > 0 {
			p("  callbacks:")
			for _, cb := range c.Callbacks {
				p(" %s", cb.Kind)
				if cb.Error != "" {
					p("(%s", cb.Error)
					if cb.Sub != "" {
						p(", %s", cb.Sub)
					}
					p(")")
				}
				p("@%s", fmtNS(cb.AtNS))
			}
			p("\n")
		}
		last := c.LastError
		if last == "" {
			last = "none"
		}
		p("  last error: %s\n", last)
	}
	subLoss := map[string]SubLossOutcome{}
	if o.DrainLoss != nil {
		for _, l := range o.DrainLoss.Subscriptions {
			subLoss[l.ID] = l
		}
	}
	for _, s := range o.Subscriptions {
		kind := s.Type
		if s.Mux {
			kind = "response mux"
		}
		p("subscription %s (%s, %s", s.ID, s.Client, s.Subject)
		if s.Queue != "" {
			p(" queue %s", s.Queue)
		}
		handled, running := deliveredIDs(s.Delivered)
		p(", %s): handled %d", kind, len(handled))
		if len(handled) > 0 {
			p(" %s", idRanges(handled))
		}
		if len(running) > 0 {
			p(", in callback at end %d %s", len(running), idRanges(running))
		}
		p(", dropped %d", len(s.Dropped))
		if len(s.Dropped) > 0 {
			byReason := map[string][]int{}
			for _, d := range s.Dropped {
				byReason[d.Reason] = append(byReason[d.Reason], d.Msg)
			}
			reasons := make([]string, 0, len(byReason))
			for r := range byReason {
				reasons = append(reasons, r)
			}
			sort.Strings(reasons)
			for _, r := range reasons {
				p(" %s:%s", r, idRanges(byReason[r]))
			}
		}
		if late := lateIDs(s); len(late) > 0 {
			p(", late after UNSUB %s", idRanges(late))
		}
		if s.RemovedNS != nil {
			p(", removed by %s at %s", s.RemovedBy, fmtNS(*s.RemovedNS))
		}
		if l, ok := subLoss[s.ID]; ok {
			var parts []string
			if len(l.Dropped) > 0 {
				parts = append(parts, "dropped "+idRanges(l.Dropped))
			}
			if len(l.Cut) > 0 {
				parts = append(parts, "cut "+idRanges(l.Cut))
			}
			p(", lost to drain %d (%s)", len(l.Dropped)+len(l.Cut), strings.Join(parts, ", "))
		}
		p("\n")
	}
	m := o.Messages
	p("messages: published %d, routed %d, refused %d, no interest %d, lost unsent %d, lost in flight %d; deliveries %d, handled %d",
		m.Published, m.Routed, m.Refused, m.NoInterest, m.LostUnsent, m.LostInFlight, m.Deliveries, m.Handled)
	if m.InCallback > 0 {
		p(", in callback at end %d", m.InCallback)
	}
	if m.LateAfterUnsub > 0 {
		p(", late after UNSUB %d (server: fast-producer stall)", m.LateAfterUnsub)
	}
	p("\n")
	if l := o.DrainLoss; l != nil {
		p("lost to drains: %d (dropped %d, cut %d)\n", l.Lost, l.Dropped, l.Cut)
	}
	failed := 0
	for _, c := range o.Calls {
		if c.Result != OK {
			failed++
		}
	}
	p("calls: %d, failed %d\n", len(o.Calls), failed)
	for _, c := range o.Calls {
		if c.Result != OK {
			p("  %s %s %s at %s -> %s\n", c.Source, c.Verb, strings.TrimSpace(c.Client+" "+c.Sub), fmtNS(c.AtNS), c.Result)
		}
	}
	if len(o.Invariants) > 0 {
		p("invariants:\n")
		for _, v := range o.Invariants {
			mark := "ok  "
			switch {
			case !v.Holds:
				mark = "FAIL"
			case v.NotApplicable:
				mark = "n/a "
			}
			if v.Holds && !opts.Verbose {
				p("  %s %s\n", mark, v.ID)
				continue
			}
			p("  %s %-34s %s\n", mark, v.ID, v.Statement)
			if !v.Holds && v.Detail != "" {
				p("       %s\n", v.Detail)
			}
		}
	}
	return bw.Flush()
}

// lateIDs returns the messages the server sent s after processing its
// UNSUB, handled or dropped.
func lateIDs(s SubOutcome) []int {
	var ids []int
	for _, d := range s.Delivered {
		if d.LateAfterUnsub && !d.Cancelled { // a cancelled one is among the drops
			ids = append(ids, d.Msg)
		}
	}
	for _, d := range s.Dropped {
		if d.LateAfterUnsub {
			ids = append(ids, d.Msg)
		}
	}
	return ids
}

// deliveredIDs splits the messages a subscription handed to the
// application into those whose callback returned (or NextMsg took) and
// those whose callback still ran at the end, so that the subscription's
// counts add up to the totals. A callback the close cancelled is neither:
// its message is among the drops.
func deliveredIDs(ds []DeliveredOut) (handled, running []int) {
	for _, d := range ds {
		switch {
		case d.Cancelled:
		case d.EndNS == nil:
			running = append(running, d.Msg)
		default:
			handled = append(handled, d.Msg)
		}
	}
	return handled, running
}

// maxRanges is how many runs of consecutive ids idRanges writes before it
// counts the rest: the messages of interleaved publishers make one run
// each, and a line of thousands of them helps nobody (the JSON outcome
// lists every id).
const maxRanges = 20

// idRanges renders ids compactly, keeping their order: [1-5,7,9-10]; after
// maxRanges runs, the number of ids left: [1,701,2,... +1240 more].
func idRanges(ids []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, n := 0, 0; i < len(ids); n++ {
		if n == maxRanges {
			fmt.Fprintf(&b, ",... +%d more", len(ids)-i)
			break
		}
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", ids[i], ids[j])
		} else {
			fmt.Fprintf(&b, "%d", ids[i])
		}
		i = j + 1
	}
	b.WriteByte(']')
	return b.String()
}
