// Package props holds drainsim's invariant catalogue, the coverage
// ("sometimes") targets, the swarm scenario generator, a deterministic
// shrinker, and the swarm check that the property tests, the benchmarks and
// `drainsim check` share.
//
// Invariants are pure functions over a finished model.Result: they read the
// ledger and the subscription, connection and call records and never run
// the model. Each one is shown, in mutation_test.go, to catch at least one
// named model.Mutation.
package props

import (
	"fmt"
	"strings"

	"github.com/drainsim/drainsim/model"
)

// Invariant is one checkable statement about a finished run.
type Invariant struct {
	// ID is the stable, machine-readable name, e.g. "no-loss-under-drain".
	ID string
	// Statement says what must hold, in one sentence.
	Statement string
	// Precondition says when the statement applies; runs outside it hold
	// vacuously.
	Precondition string
	// Check returns one human-readable detail per violation; an empty
	// result means the invariant holds.
	Check func(*model.Result) []string
	// Applies reports whether the run reached the situation the
	// invariant is about (applies.go); nil means every run does. A
	// verdict on a run it does not apply to is marked not applicable.
	Applies func(*model.Result) bool
}

// Catalogue returns every invariant, in a stable order.
func Catalogue() []Invariant {
	return []Invariant{
		{
			ID: "no-loss-under-drain",
			Statement: "a message committed to a subscription that is being drained (its own Drain or its connection's Drain) " +
				"and dropped at or after the drain started was not dropped by the drain: the records show another cause " +
				"(DropCause) for its drop, the application (its Unsubscribe or Close, or a limit it set and was told of: pending " +
				"limits reported as a slow consumer, an auto-unsubscribe limit, a drain timeout or failure reported as such), " +
				"a fault (a broken link), the server, or the run's end (a budget, or a sync subscription left unread)",
			Precondition: "the subscription's Drain returned nil, or its connection's Drain returned nil while the subscription " +
				"was still subscribed; deliveries still in a callback at the end are not drops",
			Check:   checkNoLoss,
			Applies: someSubDrained,
		},
		{
			ID:        "no-callback-after-unsubscribe",
			Statement: "no callback of a subscription starts after a successful Unsubscribe returned, nor after a drain removed the subscription",
			Precondition: "the subscription was unsubscribed (UnsubReturnedAt) or removed by its drain (RemovedBy drain); a drained " +
				"iterator (a sync subscription of a profile with SyncKeepsQueue) may still yield what it held when the drain removed it",
			Check:   checkNoCallbackAfterUnsub,
			Applies: someSubUnsubscribed,
		},
		{
			ID:           "no-delivery-after-barrier",
			Statement:    "no message published after a subscription drain's PING/PONG barrier returned is handed to that subscription",
			Precondition: "the drain's barrier returned and the connection never lost its link (a reconnect re-subscribes draining subscriptions: docs/profiles/go.md#subscription-drained-while-reconnecting-leaks-interest)",
			Check:        checkNoDeliveryAfterBarrier,
			Applies:      someBarrier,
		},
		{
			ID:           "drain-waits-for-callbacks",
			Statement:    "when a drain removes a subscription, none of its callbacks is still running",
			Precondition: "the subscription was removed by a drain",
			Check:        checkDrainWaits,
			Applies:      someDrainRemoval,
		},
		{
			ID:           "no-duplicates",
			Statement:    "no message is handed to one subscription's application twice",
			Precondition: "always; in a cluster whose servers are joined by routes or leaf connections, a plain subscription that shares its subject with a queue group may get again a queue message that bounced through its server (docs/cluster.md#what-the-invariants-promise-in-a-cluster)",
			Check:        checkNoDuplicates,
		},
		{
			ID:           "fifo-per-publisher",
			Statement:    "a subscription hands the messages of one publisher to its application in the order they were published",
			Precondition: "always on one server; in a cluster only for plain subscriptions that share no subject with a queue group, as a queue message re-routed over a route arrives late, at its group and at the plain subscriptions of the servers it bounces through (docs/cluster.md#what-the-invariants-promise-in-a-cluster)",
			Check:        checkFIFO,
		},
		{
			ID:           "queue-at-most-once",
			Statement:    "a message is handled by at most one member of a queue group (subject and queue name)",
			Precondition: "the subscriptions belong to a queue group",
			Check:        checkQueueAtMostOnce,
			Applies:      someQueueGroup,
		},
		{
			ID: "queue-drain-no-loss",
			Statement: "while a queue-group member drains and another member stays subscribed, every message published to the " +
				"group's subject and accepted by the server after the drain started is handled by some member, unless one of " +
				"the causes no-loss-under-drain accepts explains its loss, it waits unread in a sync member, or a third member " +
				"lost it for reasons of its own",
			Precondition: "a member's drain started; another async member, subscribed from the start, was never removed or drained, had no auto-unsubscribe limit, " +
				"and its connection never broke or closed; the drained member's connection reported no drain timeout, never broke " +
				"and was not closed by the application; the run did not stop on a budget; in a cluster, the other member is not across " +
				"a gateway from the publisher (docs/cluster.md#what-the-invariants-promise-in-a-cluster)",
			Check:   checkQueueDrainNoLoss,
			Applies: someQueueMemberDrained,
		},
		{
			ID: "drain-closes",
			Statement: "a connection whose Drain returned nil reaches CLOSED within its profile's bound (Profile.DrainBound: " +
				"DrainTimeout, plus the barrier when the deadline starts after it, + ConnDrainPoll + FinalFlushTimeout; for " +
				"nats.go DrainTimeout + 10 ms + 5 s) of the call, whatever the faults; a drain its profile does not bound (no " +
				"timeout, or zero meaning for ever) still closes before a run ends on its own",
			Precondition: "the connection's Drain returned nil; a run that stopped on a budget before the bound elapsed proves nothing; " +
				"an unbounded drain may wait for ever for messages the application left unread",
			Check:   checkDrainCloses,
			Applies: someConnDrained,
		},
		{
			ID: "timeout-honesty",
			Statement: "a connection drain that timed out reports it exactly once, through its library's channel " +
				"(Profile.TimeoutReport: one ErrDrainTimeout async error callback, or LastError when callbacks were suppressed; " +
				"or only the drain's result, as nats.java's future completed false) and still closes; a drain that did not time " +
				"out reports none; a drain that reported no timeout lost nothing to its close (no message dropped, no callback cancelled)",
			Precondition: "the connection's Drain returned nil; the last clause needs a link that never broke and no Close by the application",
			Check:        checkTimeoutHonesty,
			Applies:      someConnDrained,
		},
		{
			ID: "api-refusal-rules",
			Statement: "each API call made in a stable connection state gets the result its profile declares for that state " +
				"(an API rule, not a promise of the drain documentation: PublishRefused, PubsStoppedAfterClose, RequestRefused, UnsubWhileDraining, " +
				"SubDrainWhileDraining, DoubleDrainErr, DrainClosedErr, DrainReconnecting); for nats.go: publish and " +
				"reply succeed while DRAINING_SUBS and are refused with ErrConnectionDraining in DRAINING_PUBS; Subscribe and " +
				"Unsubscribe are refused while draining; everything is refused with ErrConnectionClosed once CLOSED; Drain while " +
				"reconnecting returns ErrConnectionReconnecting and closes the connection",
			Precondition: "the connection's status did not change at the instant of the call (same-instant order is not recorded)",
			Check:        checkAPIRefusal,
		},
		{
			ID: "respmux-drained-last",
			Statement: "a connection drain drains its response subscription only after every other subscription it drained " +
				"has been removed (an API rule of the profiles that declare it, Mux: last, as nats.go and nats.c do)",
			Precondition: "the profile drains the mux last; the connection drain drained a response subscription and neither timed out " +
				"nor saw the connection break or close first",
			Check:   checkRespMuxLast,
			Applies: someMuxDrained,
		},
		{
			ID: "replies-reach-requester",
			Statement: "a reply to a request made by a handler, accepted by the server while the request was still waiting, " +
				"is routed to the requester",
			Precondition: "the request was made by a handler whose subscription was still subscribed (or removed by a drain) when the reply " +
				"was accepted; the requester's connection neither timed out its drain, saw a disconnect, nor closed before the reply; in a " +
				"cluster, the replier is not across a gateway from the requester (the _GR_. reply prefix is not modelled: docs/cluster.md#not-yet-modelled)",
			Check:   checkRepliesReachRequester,
			Applies: someHandlerRequest,
		},
		{
			ID: "outbound-complete",
			Statement: "when a drain's final flush succeeds, every publish the connection accepted before DRAINING_PUBS had been " +
				"processed by the server by the time the flush returned",
			Precondition: "the drain's final flush returned without error and the connection's link never broke before it (a PING " +
				"left unsent at a break goes out after the reconnect, and its PONG may answer the final flush)",
			Check:   checkOutboundComplete,
			Applies: someFinalFlush,
		},
		{
			ID: "closed-callback",
			Statement: "the closed callback runs at most once and as the last connection callback (after the drain's async errors " +
				"and the disconnected callback); exactly once when the connection closed, unless NoCallbacksAfterClientClose " +
				"suppressed it for a Close by the application or the drain",
			Precondition: "always",
			Check:        checkClosedCallback,
		},
		{
			ID:           "closed-is-final",
			Statement:    "once a connection is CLOSED its status never changes again",
			Precondition: "always",
			Check:        checkClosedIsFinal,
		},
		{
			ID: "no-silent-loss",
			Statement: "every message and delivery that did not reach the application carries a named reason that the records " +
				"allow: a refusal with its error, a loss with its reason, or a drop whose reason matches what happened " +
				"(a reported slow consumer, a removed subscription, a closed connection, a callback the close cancelled under a " +
				"profile whose close cancels callbacks, a broken link, an auto-unsubscribe " +
				"limit, or a run that ended on a budget or with a sync subscription unread)",
			Precondition: "always",
			Check:        checkNoSilentLoss,
		},
		{
			ID: "ledger-conserved",
			Statement: "the ledger accounts for everything once: every publish, reply or request call that published has exactly " +
				"one message and every message a client published has one such call; every message and delivery has a final " +
				"fate (nothing left in transit or pending); a routed message was committed to at least one subscription, and " +
				"only a routed one was; and each delivery is in its subscription's handled list once if its callback started " +
				"or NextMsg took it (a callback the close cancelled counts as dropped, not handled), never otherwise, so the " +
				"subscriptions' counts add up to the totals",
			Precondition: "always; a request whose caller never heard back (closed under it, or the run stopped) has no call record, " +
				"and a message a fast-producer stall held half routed when the run stopped or the server went away is lost in " +
				"flight with the deliveries it had",
			Check: checkLedgerConserved,
		},
	}
}

// Lookup returns the invariant with the given ID.
func Lookup(id string) (Invariant, bool) {
	for _, inv := range Catalogue() {
		if inv.ID == id {
			return inv, true
		}
	}
	return Invariant{}, false
}

// Verdicts checks every invariant of the catalogue over r, in catalogue
// order. Detail holds the first violations, shortened; NotApplicable marks
// an invariant that holds on a run it does not apply to.
func Verdicts(r *model.Result) []model.Verdict {
	cat := Catalogue()
	out := make([]model.Verdict, 0, len(cat))
	for _, inv := range cat {
		v := inv.Check(r)
		na := len(v) == 0 && inv.Applies != nil && !inv.Applies(r)
		out = append(out, model.Verdict{ID: inv.ID, Statement: inv.Statement, Holds: len(v) == 0, NotApplicable: na, Detail: Shorten(v)})
	}
	return out
}

// Violated returns the IDs of the invariants r violates, in catalogue order.
func Violated(r *model.Result) []string {
	var ids []string
	for _, inv := range Catalogue() {
		if len(inv.Check(r)) > 0 {
			ids = append(ids, inv.ID)
		}
	}
	return ids
}

// Shorten renders violation details for a verdict: the first three, joined,
// then a count of the rest, cut to about 400 characters.
func Shorten(v []string) string {
	const keep, limit = 3, 400
	if len(v) == 0 {
		return ""
	}
	n := min(len(v), keep)
	s := strings.Join(v[:n], "; ")
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	if len(v) > n {
		s += fmt.Sprintf(" (+%d more)", len(v)-n)
	}
	return s
}
