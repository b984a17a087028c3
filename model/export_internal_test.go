package model

import "github.com/drainsim/drainsim/model/scenario"

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
