package props

import (
	"strings"

	"github.com/drainsim/drainsim/model"
)

// The predicates below are the Applies of the catalogue's invariants: each
// reports whether a run reached the situation its invariant is about (a
// drain, a queue group, a request made by a handler). They are coarser
// than the preconditions: an invariant that applies may still hold
// vacuously, but one that does not apply cannot have been tested by the
// run, which the summary says with n/a instead of ok.

// someSubDrained: a subscription started draining, by its own Drain or
// its connection's.
func someSubDrained(r *model.Result) bool {
	for _, s := range r.Subs {
		if drainStart(r, s, r.Conn(r.Str(s.Client))) != model.NoTime {
			return true
		}
	}
	return false
}

// someSubUnsubscribed: an Unsubscribe returned, or a drain removed a
// subscription.
func someSubUnsubscribed(r *model.Result) bool {
	for _, s := range r.Subs {
		if s.UnsubReturnedAt != model.NoTime || r.Str(s.RemovedBy) == "drain" {
			return true
		}
	}
	return false
}

// someBarrier: a subscription drain's PING/PONG barrier returned.
func someBarrier(r *model.Result) bool {
	for _, s := range r.Subs {
		if s.BarrierAt != model.NoTime {
			return true
		}
	}
	return false
}

// someDrainRemoval: a drain removed a subscription.
func someDrainRemoval(r *model.Result) bool {
	for _, s := range r.Subs {
		if r.Str(s.RemovedBy) == "drain" {
			return true
		}
	}
	return false
}

// someQueueGroup: a queue group has two members or more.
func someQueueGroup(r *model.Result) bool {
	for range queueGroups(r) {
		return true
	}
	return false
}

// someQueueMemberDrained: a member of such a queue group started draining.
func someQueueMemberDrained(r *model.Result) bool {
	for g := range queueGroups(r) {
		for _, s := range g {
			if drainStart(r, s, r.Conn(r.Str(s.Client))) != model.NoTime {
				return true
			}
		}
	}
	return false
}

// someConnDrained: a connection's Drain returned nil.
func someConnDrained(r *model.Result) bool {
	for _, c := range r.Conns {
		if c.DrainCalledAt != model.NoTime {
			return true
		}
	}
	return false
}

// someMuxDrained: under a profile that drains the response subscription
// last, a drain drained one.
func someMuxDrained(r *model.Result) bool {
	if profile(r).Mux != model.MuxLast {
		return false
	}
	for _, s := range r.Subs {
		if s.Mux && s.DrainCalledAt != model.NoTime {
			return true
		}
	}
	return false
}

// someHandlerRequest: a handler made a request (its call's source is
// "<sub>#<n>").
func someHandlerRequest(r *model.Result) bool {
	for _, call := range r.Calls() {
		if r.Str(call.Verb) == "request" && strings.Contains(r.Str(call.Source), "#") {
			return true
		}
	}
	return false
}

// someFinalFlush: a drain's final flush returned without error.
func someFinalFlush(r *model.Result) bool {
	for _, c := range r.Conns {
		if c.FinalFlushAt != model.NoTime && r.Str(c.FinalFlushErr) == "" {
			return true
		}
	}
	return false
}
