package model

import (
	"fmt"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Frame and Queued let the external tests check what the buffers of a
// backlog hold: a frame in the network and out buffers, a pending
// queue's entry (TestRecordsPointerFree).
type (
	Frame  = frame
	Queued = queued
)

// HandledCap returns the capacity of s's handled list, which a run
// reserves for the messages s expects (TestHandledReservedPerSubscription).
func HandledCap(s *SubRecord) int { return cap(s.handed) }

// CallRecords returns how many call records r holds, a burst of publishes
// counting one, and the capacity of their list (TestCallsReservedOnce).
func CallRecords(r *Result) (n, capacity int) { return len(r.calls), cap(r.calls) }

// SettleCounts runs sc with cfg on a new Runner up to its end, before
// World.finish, and returns the ledger's counts of messages in transit and
// of pending deliveries, which finish trusts, and the same counted over
// the records.
func SettleCounts(sc *scenario.Scenario, cfg Config) (kept, counted [2]int, err error) {
	w, err := newWorld(sc, cfg, new(Runner))
	if err != nil {
		return kept, counted, err
	}
	w.res.Stop = w.sim.Run()
	l := w.ledger
	for i := range l.Messages {
		if l.Messages[i].Fate == MsgInTransit {
			counted[0]++
		}
	}
	for i := range l.Deliveries {
		if l.Deliveries[i].Fate == DlvPending {
			counted[1]++
		}
	}
	return [2]int{l.inTransit, l.pending}, counted, nil
}

// StalePlainTurn runs sc with cfg on a new Runner, an event at a time, and
// returns the first subscription whose plainTurn or plainReturn, after
// the set-up or after an event, is not what it stands for (Sub.plainTurn), described,
// or "" when none was (TestPlainTurnKeptUpToDate).
func StalePlainTurn(sc *scenario.Scenario, cfg Config) (string, error) {
	w, err := newWorld(sc, cfg, new(Runner))
	if err != nil {
		return "", err
	}
	for ev := 0; ; ev++ {
		for _, s := range w.subList {
			ret := s.ordinary && !s.closed && s.max == 0 && s.onProgress == nil &&
				!w.mut.Has(PendingDecBeforeCallback) && !w.mut.Has(PendingLIFO)
			want := ret && !s.reservedTo
			if s.plainTurn != want || s.plainReturn != ret {
				return fmt.Sprintf("after %d events (t=%v): %s has plainTurn %v, want %v, plainReturn %v, want %v (closed %v, max %d, drain check %v, reserved deliveries %v)",
					ev, w.sim.Now(), s.rec.ID, s.plainTurn, want, s.plainReturn, ret, s.closed, s.max, s.onProgress != nil, s.reservedTo), nil
			}
		}
		// Step ignores the budgets: the run ends at the first one passed.
		lim := sc.Limits
		if w.sim.Stopping() || lim.MaxEvents > 0 && uint64(ev) >= lim.MaxEvents ||
			lim.MaxTime > 0 && w.sim.Now() > sim.Time(lim.MaxTime) || !w.sim.Step() {
			return "", nil
		}
	}
}
