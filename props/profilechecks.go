package props

import (
	"fmt"

	"github.com/drainsim/drainsim/model"
)

// timeoutReportProblems checks that connection c's drain reported a
// timeout exactly when it timed out, once, and through the channel its
// library uses (Profile.TimeoutReport): the async error callback (or
// LastError once callbacks are suppressed), or the drain's own result.
func timeoutReportProblems(r *model.Result, c *model.ConnRecord) []string {
	p := profile(r)
	n := countCallbacks(r, c, "async_error", model.ErrDrainTimeout)
	last := r.Str(c.LastError) == model.ErrDrainTimeout
	result := r.Str(c.DrainResult) == model.ErrDrainTimeout
	switch {
	case !c.DrainTimedOut:
		if n > 0 || last || result {
			return []string{fmt.Sprintf("%s reported ErrDrainTimeout (%d callbacks, LastError %q, result %q) but its drain did not time out",
				r.Str(c.Client), n, r.Str(c.LastError), r.Str(c.DrainResult))}
		}
	case p.TimeoutReport == model.ReportResult:
		if n > 0 || last {
			return []string{fmt.Sprintf("%s reported its drain timeout as an async error (%d callbacks, LastError %q); profile %s reports it only as the drain's result",
				r.Str(c.Client), n, r.Str(c.LastError), p.Name)}
		}
		if !result && c.DrainDoneAt != model.NoTime {
			return []string{fmt.Sprintf("%s drain timed out (deadline %s) but completed with result %q", r.Str(c.Client), ts(c.DrainDeadline), r.Str(c.DrainResult))}
		}
	case n > 1:
		return []string{fmt.Sprintf("%s reported ErrDrainTimeout %d times", r.Str(c.Client), n)}
	case n == 0:
		// Callbacks are suppressed once the connection is closed; then
		// only LastError can carry the report.
		suppressed := c.ClosedAt != model.NoTime && c.DrainDeadline != model.NoTime && c.ClosedAt <= c.DrainDeadline.Add(p.ConnDrainPoll)
		if !suppressed || !last {
			return []string{fmt.Sprintf("%s drain timed out (deadline %s) but no ErrDrainTimeout was reported (LastError %q)",
				r.Str(c.Client), ts(c.DrainDeadline), r.Str(c.LastError))}
		}
	}
	return nil
}

// leftUnread reports whether the application left messages of one of the
// client's subscriptions unread when the run ended: a drain without a
// deadline may wait for them for ever.
func leftUnread(r *model.Result, client string) bool {
	if r.Ledger == nil {
		return false
	}
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		if s := subOf(r, d); s != nil && r.Str(s.Client) == client && d.Fate == model.DlvDropped && d.Reason == model.DropRunEnded {
			return true
		}
	}
	return false
}
