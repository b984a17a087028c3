package props

import (
	"slices"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// DrainLoss returns, in ledger order, the indices into r.Ledger.Deliveries
// of the deliveries lost to a drain. A delivery is lost to a drain when
//
//   - it was committed by the server to a subscription that was being
//     drained: its own Drain returned nil, or its connection's Drain
//     returned nil while it was still subscribed;
//   - it was dropped at or after that drain started; and
//   - the reason is one a drain is answerable for: sub_closed and
//     conn_closed (still queued when the subscription or connection was
//     closed, as after a drain timeout), unknown_sid (it arrived after the
//     drain removed the subscription) or run_ended (still pending when the
//     run ended).
//
// It does not matter whether the drain reported anything: a drain that
// timed out and said so still lost the messages it dropped. Drops a drain
// cannot prevent are not counted: slow_consumer (pending limits),
// max_reached (auto-unsubscribe), disconnect (a broken link), the server's
// server_slow_consumer and server_stalled, and a delivery the server sent
// after processing the subscription's UNSUB (Delivery.AfterUnsub: the
// fast-producer stall hole), whatever became of it. A
// delivery whose callback started is never dropped; DrainInterrupted
// reports those whose callback the drain's close cut short.
//
// With DrainInterrupted it makes up the loss that `drainsim explore`
// estimates the probability of; the no-loss-under-drain invariant judges
// the same drops by whether they were explained.
func DrainLoss(r *model.Result) []int {
	if r.Ledger == nil {
		return nil
	}
	start := make([]sim.Time, len(r.Subs))
	for i, s := range r.Subs {
		start[i] = drainStart(r, s, r.Conn(r.Str(s.Client)))
	}
	var lost []int
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		if d.Fate != model.DlvDropped || d.Sub < 0 || int(d.Sub) >= len(r.Subs) || !drainAnswerable(d.Reason) || d.AfterUnsub {
			continue
		}
		if st := start[d.Sub]; st != model.NoTime && d.DroppedAt >= st {
			lost = append(lost, i)
		}
	}
	return lost
}

// DrainInterrupted returns, in ledger order, the indices into
// r.Ledger.Deliveries of the deliveries whose callback was still running
// when its connection, which had been drained, closed. A drain that times
// out closes the connection under them: whatever such a callback does next
// through NATS (reply, publish, request) fails with ErrConnectionClosed,
// and an application that exits once its drain is done cuts it off. A
// callback blocked in a request that the close releases counts too.
//
// With DrainLoss it makes up the loss `drainsim explore` measures: messages
// a drain did not let the application finish.
func DrainInterrupted(r *model.Result) []int {
	var out []int
	for _, s := range r.Subs {
		c := r.Conn(r.Str(s.Client))
		if c == nil || c.DrainCalledAt == model.NoTime || c.ClosedAt == model.NoTime || s.NumHandled() == 0 {
			continue
		}
		// A subscription's callbacks run one at a time: only its last
		// can have been running.
		h := s.HandledAt(s.NumHandled() - 1)
		if h.Start < c.ClosedAt && (h.End == model.NoTime || h.End >= c.ClosedAt) {
			out = append(out, h.Delivery)
		}
	}
	slices.Sort(out)
	return out
}

// drainAnswerable reports whether a drop for reason r is one a drain is
// meant to prevent.
func drainAnswerable(r model.DropReason) bool {
	switch r {
	case model.DropSubClosed, model.DropConnClosed, model.DropUnknownSid, model.DropRunEnded:
		return true
	}
	return false
}

// DrainTimeoutReported reports whether any connection drain of r timed out
// and said so through its library's channel: the async error callback or
// LastError, or the drain's result.
func DrainTimeoutReported(r *model.Result) bool {
	for _, c := range r.Conns {
		if timeoutReported(r, c) {
			return true
		}
	}
	return false
}

// Loss is what one run lost to its drains, as `drainsim explore` counts
// it and `drainsim run` reports it: the deliveries a drain dropped
// (DrainLoss) and those whose callback its close cut short
// (DrainInterrupted), as indices into r.Ledger.Deliveries in ledger order.
// The two never share a delivery: a dropped one never started its
// callback, or (a cancelled callback) was dropped for a reason DrainLoss
// does not count.
type Loss struct {
	Dropped []int
	Cut     []int
}

// MeasureLoss returns what r lost to its drains.
func MeasureLoss(r *model.Result) Loss {
	return Loss{Dropped: DrainLoss(r), Cut: DrainInterrupted(r)}
}

// Total is the number of messages lost: dropped plus cut.
func (l Loss) Total() int { return len(l.Dropped) + len(l.Cut) }

// Outcome renders the loss for model.Outcome.DrainLoss: totals, and the
// message ids of every subscription that lost any, in subscription order.
func (l Loss) Outcome(r *model.Result) *model.LossOutcome {
	o := &model.LossOutcome{Lost: l.Total(), Dropped: len(l.Dropped), Cut: len(l.Cut), Subscriptions: []model.SubLossOutcome{}}
	per := make([]model.SubLossOutcome, len(r.Subs))
	for _, i := range l.Dropped {
		d := &r.Ledger.Deliveries[i]
		per[d.Sub].Dropped = append(per[d.Sub].Dropped, int(d.Msg))
	}
	for _, i := range l.Cut {
		d := &r.Ledger.Deliveries[i]
		per[d.Sub].Cut = append(per[d.Sub].Cut, int(d.Msg))
	}
	for i, s := range per {
		if len(s.Dropped)+len(s.Cut) == 0 {
			continue
		}
		s.ID = r.Subs[i].ID
		if s.Dropped == nil {
			s.Dropped = []int{}
		}
		if s.Cut == nil {
			s.Cut = []int{}
		}
		o.Subscriptions = append(o.Subscriptions, s)
	}
	return o
}
