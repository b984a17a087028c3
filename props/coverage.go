package props

import (
	"strings"

	"github.com/drainsim/drainsim/model"
)

// Target is a coverage ("sometimes") property: a situation the generator
// must reach at least once within the default budget. A target never
// reached means the generator fails to exercise what the invariants guard,
// so their passing would prove little.
type Target struct {
	ID        string
	Statement string
	// Reached reports whether the run reached the situation.
	Reached func(*model.Result) bool
}

// Targets returns the coverage targets, in a stable order.
func Targets() []Target {
	return []Target{
		{
			ID:        "msg-in-flight-at-unsub",
			Statement: "a message committed to a draining subscription is still on its way to the client when the server processes the drain's UNSUB",
			Reached:   reachedInFlightAtUnsub,
		},
		{
			ID:        "timeout-with-pending",
			Statement: "a connection drain times out while one of its subscriptions still has messages queued",
			Reached:   reachedTimeoutWithPending,
		},
		{
			ID:        "reply-during-drain",
			Statement: "a handler's reply succeeds while its connection is DRAINING_SUBS",
			Reached:   reachedReplyDuringDrain,
		},
		{
			ID:        "slow-consumer-during-drain",
			Statement: "a message is dropped as a slow consumer while its subscription or connection drains",
			Reached:   reachedSlowConsumerDuringDrain,
		},
		{
			ID:        "disconnect-during-drain",
			Statement: "a connection's link breaks while it, or one of its subscriptions, drains",
			Reached:   reachedDisconnectDuringDrain,
		},
	}
}

func reachedInFlightAtUnsub(r *model.Result) bool {
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		s, c := deliverySub(r, d)
		if s == nil || s.UnsubProcessedAt == model.NoTime {
			continue
		}
		start := drainStart(r, s, c)
		if start != model.NoTime && start <= s.UnsubProcessedAt && d.CommittedAt <= s.UnsubProcessedAt &&
			(d.ArrivedAt == model.NoTime || d.ArrivedAt > s.UnsubProcessedAt) {
			return true
		}
	}
	return false
}

func reachedTimeoutWithPending(r *model.Result) bool {
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		s, c := deliverySub(r, d)
		if s == nil || !c.DrainTimedOut || !inSubsAtConnDrain(r, s, c) {
			continue
		}
		if dl := c.DrainDeadline; d.ArrivedAt != model.NoTime && d.ArrivedAt < dl && (d.StartedAt == model.NoTime || d.StartedAt > dl) {
			return true
		}
	}
	return false
}

func reachedReplyDuringDrain(r *model.Result) bool {
	conns := connFinder{r: r}
	for _, call := range r.Calls() {
		if r.Str(call.Verb) != "reply" || r.Str(call.Result) != model.OK || !strings.Contains(r.Str(call.Source), "#") {
			continue
		}
		if c := conns.of(call.Client); c != nil {
			if st, stable := statusAt(c, call.At); stable && st == model.DrainingSubs {
				return true
			}
		}
	}
	return false
}

func reachedSlowConsumerDuringDrain(r *model.Result) bool {
	for i := range r.Ledger.Deliveries {
		if d := &r.Ledger.Deliveries[i]; d.Fate == model.DlvDropped && d.Reason == model.DropSlowConsumer && d.Draining {
			return true
		}
	}
	return false
}

func reachedDisconnectDuringDrain(r *model.Result) bool {
	for _, s := range r.Subs {
		c := r.Conn(r.Str(s.Client))
		start := drainStart(r, s, c)
		if start == model.NoTime {
			continue
		}
		for _, st := range c.Status {
			broke := st.Status == model.Disconnected || st.Status == model.Reconnecting
			if broke && st.At >= start && (s.RemovedAt == model.NoTime || s.RemovedAt >= st.At) {
				return true
			}
		}
	}
	return false
}
