package model

import "github.com/drainsim/drainsim/sim"

// Subscription statuses as nats.go's SubStatus.String names them: what a
// Subscription.StatusChanged listener receives.
const (
	SubActive       = "Active"
	SubDraining     = "Draining"
	SubClosed       = "Closed"
	SubSlowConsumer = "SlowConsumer"
)

// SubStatusEvent is one status change a subscription's listener saw.
type SubStatusEvent struct {
	Status string
	At     sim.Time
}

// Counters reads the subscription's Pending() and Delivered(): both fail
// with ErrBadSubscription once it is closed (removed, or its connection
// closed); a chan subscription's Pending fails with ErrTypeSubscription
// (nats.go counts nothing for it) while Delivered counts the messages sent
// into its channel. Delivered counts callbacks started (async) or messages
// NextMsg returned (sync). The error is the first call's that failed.
func (s *Sub) Counters() (*Counters, string) {
	if s.closed {
		return nil, ErrBadSubscription
	}
	d := s.delivered
	n := &Counters{Delivered: &d}
	if s.ch {
		return n, ErrTypeSubscription
	}
	p := s.pMsgs
	n.PendingMsgs = &p
	return n, ""
}

// changeStatus is nats.go's changeSubStatus as a listener registered at
// subscription (scenario status_events) sees it: every event is sent
// (there is no check that the status changed), and the first Closed
// closes the listener's channel, so a second removeSub reaches nobody.
// A connection's close sends no event at all.
func (s *Sub) changeStatus(status string) {
	if !s.statusListening {
		return
	}
	s.rec.StatusEvents = append(s.rec.StatusEvents, SubStatusEvent{Status: status, At: s.c.now()})
	s.statusListening = status != SubClosed
}
