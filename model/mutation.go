package model

import (
	"fmt"
	"strings"
	"time"
)

// Mutation is a named, deliberate defect in the model. Mutations reproduce
// historical or plausible drain bugs; they are off by default and exist so
// that tests can show each property catches the bug it is meant to catch.
type Mutation uint8

// The mutation catalogue. Each constant's comment says what breaks and, where
// there is one, which historical bug it reproduces.
const (
	// NoFlushBarrier: a subscription drain skips the PING/PONG barrier after
	// its UNSUB and starts polling at once, so messages still in flight are
	// discarded when the subscription is removed.
	NoFlushBarrier Mutation = iota + 1
	// UnsubLeavesDelivery: Unsubscribe removes the subscription but its
	// callback keeps draining the pending queue.
	UnsubLeavesDelivery
	// PendingDecBeforeCallback: the pending count is decremented when a
	// message is popped, before its callback runs (nats.go 442868de, fixed in
	// 23272b5d), so a drain can finish while the last callback still runs.
	PendingDecBeforeCallback
	// RespMuxDrainedWithSubs: the response subscription is drained with the
	// others instead of last (nats.go before PR #650), so replies to requests
	// made by handlers during the drain are lost.
	RespMuxDrainedWithSubs
	// PublishBlockedWhileDrainingSubs: publishes are refused as soon as the
	// connection drain starts (nats.go before 23272b5d), so handlers cannot
	// reply while draining.
	PublishBlockedWhileDrainingSubs
	// DropPendingOnDrain: a subscription drain discards the messages already
	// queued client-side instead of handing them to the callback.
	DropPendingOnDrain
	// NoDrainTimeout: the connection drain never gives up waiting for its
	// subscriptions.
	NoDrainTimeout
	// NoCloseAfterTimeout: after ErrDrainTimeout the connection is left in
	// DRAINING_PUBS and never closed.
	NoCloseAfterTimeout
	// UnsubAllowedWhileDraining: Unsubscribe succeeds on a draining
	// connection and drops that subscription's pending messages.
	UnsubAllowedWhileDraining
	// ReviveClosedConn: the drain does not notice that the connection was
	// closed under it and sets it back to DRAINING_PUBS (nats.go before
	// v1.55.0).
	ReviveClosedConn
	// TimeoutNotReported: a drain that overruns its deadline reports no
	// ErrDrainTimeout (nats.go before PR #392 did not set LastError).
	TimeoutNotReported
	// DuplicateDelivery: the client hands every tenth message to the callback
	// twice.
	DuplicateDelivery
	// MapOrderSnapshot: the connection drain takes its snapshot of
	// subscriptions by ranging over a Go map instead of drawing the order
	// through the Chooser, so runs with the same seed differ.
	MapOrderSnapshot
	// RemoveSubAtOnce: a subscription drain removes the subscription right
	// after its UNSUB, like Unsubscribe, instead of waiting for the barrier
	// and for its pending messages to be handled.
	RemoveSubAtOnce
	// LateUnsub: the server applies a plain UNSUB lateUnsubDelay after
	// reading it, after the PONG that follows it has gone out, as interest
	// removal does across a leafnode or gateway (nats.go PR #1817,
	// nats-server #6656), so messages published after the drain's barrier
	// still reach the draining subscription.
	LateUnsub
	// PendingLIFO: the subscription hands its newest queued message to the
	// callback (or NextMsg) first.
	PendingLIFO
	// QueueFanout: the server delivers a queue-group message to every
	// member instead of one.
	QueueFanout
	// FinalFlushNoWait: the connection drain's final flush returns success
	// as soon as its PING is written, without waiting for the PONG, so the
	// connection closes while publishes are still on their way.
	FinalFlushNoWait
	// ClosedCBInline: Close runs the closed callback inline instead of
	// queueing it behind the async errors and the disconnected callback.
	ClosedCBInline
	// ClosedCBDespiteOption: the connection drain closes with callbacks even
	// when NoCallbacksAfterClientClose is set (nats.go before 995f6717).
	ClosedCBDespiteOption
	// SlowConsumerSilent: slow-consumer drops are never reported: no
	// ErrSlowConsumer async error and no LastError.
	SlowConsumerSilent
	// DrainReconnectingNoClose: Drain while reconnecting returns
	// ErrConnectionReconnecting but leaves the connection reconnecting
	// (nats.go before PR #531).
	DrainReconnectingNoClose
	// UnsubRemovesQueueGroup: the server's UNSUB of one queue-group member
	// removes every member of the group, so a replacement member on another
	// connection stops receiving while its client believes it subscribed.
	UnsubRemovesQueueGroup
	// ClosedCBTwice: when the application closes the connection while its
	// drain waits, the drain's own close still runs and fires the closed
	// callback a second time (nats.c before PR #333, C-M3).
	ClosedCBTwice
	// ForgetDelivery: the server routes every tenth message (by ID) without
	// committing it to the subscriptions it matched: the message counts as
	// routed, but no delivery exists and nothing reaches the subscribers,
	// so it vanishes from every account but the publisher's.
	ForgetDelivery
	numMutations
)

// Cluster mutations: defects of the cluster model (cluster.go). They are
// kept out of Mutations() and so out of the swarm, whose generated
// scenarios run on one server and cannot reach them; tests of topology
// scenarios and of the generated-topology property suite kill them
// (docs/cluster.md#mutations). `drainsim run`, `check --topology` and
// `check --matrix --topology` accept them (AllMutations).
const (
	// NoRsubFallback: a server that receives a routed queue message with no
	// local member able to take it drops it instead of handing it to a
	// route entry it still has for the group (nats-server's rsub fallback
	// in processMsgResults), turning a late delivery into a loss.
	NoRsubFallback Mutation = numMutations + iota
	// NoLeafEchoSuppression: a server hands a message back over a leaf
	// connection to the cluster it came from (nats-server's isLeafEcho
	// skipped), so a spoke whose queue member drained bounces it to the
	// hub instead of dropping it.
	NoLeafEchoSuppression
	// GatewayFallbackAnywhere: a server that receives a routed queue
	// message with no member and no route or leaf entry for its group
	// sends it across a gateway, although nats-server tries gateways only
	// where a message enters the cluster (processInboundRoutedMsg never
	// calls sendMsgToGateways), turning the supercluster loss into a late
	// delivery.
	GatewayFallbackAnywhere
	// GatewayTallyReset: when a gateway connects again after a restart,
	// each side starts its tally of the interest announced on it from
	// zero instead of sending what it counts (the interest-only mode's
	// tally lost on reconnect, nats-server #6607), so the other cluster
	// never learns of the subscriptions that outlived the restart.
	GatewayTallyReset
	// RSReorder: a server writes a plain subject's RS- on its routes
	// lateUnsubDelay after the last local subscription went, on a write of
	// its own, so an RS+ of the same subject written meanwhile overtakes
	// it; the peer applies RS+ then RS- and loses the interest for good
	// (nats-server issue #8233, fixed by PR #8235 serializing a plain
	// subject's route sends).
	RSReorder
	// QueueUnsubAsPlain: a server that receives the RS- of a queue group
	// on one connection removes the group's entries of every connection,
	// as if the subject's whole interest had gone, so members on other
	// servers stop getting its messages (nats-server issue #1421, fixed by
	// PR #1424: a queue unsubscribe was processed as plain and queue).
	QueueUnsubAsPlain
	numClusterMutations
)

var clusterMutationInfo = [numClusterMutations - numMutations]struct{ name, about string }{
	NoRsubFallback - numMutations:          {"no-rsub-fallback", "a routed queue message with no local member is dropped, not handed back over a route"},
	NoLeafEchoSuppression - numMutations:   {"no-leaf-echo-suppression", "a message is handed back over a leaf connection to the cluster it came from"},
	GatewayFallbackAnywhere - numMutations: {"gateway-fallback-anywhere", "a routed queue message with no member here is sent across a gateway"},
	GatewayTallyReset - numMutations:       {"gateway-tally-reset", "a gateway connecting again after a restart forgets the interest tally it announced"},
	RSReorder - numMutations:               {"rs-reorder", "a plain subject's RS- leaves 5 ms late, so a later RS+ overtakes it (nats-server #8233, PR #8235)"},
	QueueUnsubAsPlain - numMutations:       {"queue-unsub-as-plain", "a queue group's RS- removes the group's entries of every connection (nats-server #1421, PR #1424)"},
}

// lateUnsubDelay is how late the LateUnsub mutation applies an UNSUB.
const lateUnsubDelay = 5 * time.Millisecond

var mutationInfo = [numMutations]struct{ name, about string }{
	NoFlushBarrier:                  {"no-flush-barrier", "sub drain skips the PING/PONG barrier after UNSUB"},
	UnsubLeavesDelivery:             {"unsub-leaves-delivery", "Unsubscribe keeps delivering the pending queue"},
	PendingDecBeforeCallback:        {"pending-dec-before-callback", "pending decremented before the callback (nats.go 442868de)"},
	RespMuxDrainedWithSubs:          {"respmux-drained-with-subs", "response mux drained in the first batch (nats.go before PR #650)"},
	PublishBlockedWhileDrainingSubs: {"publish-blocked-draining-subs", "publish refused as soon as drain starts (nats.go before 23272b5d)"},
	DropPendingOnDrain:              {"drop-pending-on-drain", "sub drain discards messages queued client-side"},
	NoDrainTimeout:                  {"no-drain-timeout", "connection drain never times out"},
	NoCloseAfterTimeout:             {"no-close-after-timeout", "connection left open after ErrDrainTimeout"},
	UnsubAllowedWhileDraining:       {"unsub-allowed-while-draining", "Unsubscribe allowed on a draining connection"},
	ReviveClosedConn:                {"revive-closed-conn", "drain revives a closed connection as DRAINING_PUBS (nats.go before v1.55.0)"},
	TimeoutNotReported:              {"timeout-not-reported", "drain overrun reports no ErrDrainTimeout (nats.go before PR #392)"},
	DuplicateDelivery:               {"duplicate-delivery", "every tenth message is handed to the callback twice"},
	MapOrderSnapshot:                {"map-order-snapshot", "drain snapshot order taken from Go map iteration (nondeterministic)"},
	RemoveSubAtOnce:                 {"remove-sub-at-once", "sub drain removes the subscription at once, like Unsubscribe"},
	LateUnsub:                       {"late-unsub", "server applies UNSUB 5 ms late, after the barrier's PONG (leafnode/gateway, nats.go PR #1817)"},
	PendingLIFO:                     {"pending-lifo", "newest queued message handed out first"},
	QueueFanout:                     {"queue-fanout", "server delivers a queue-group message to every member"},
	FinalFlushNoWait:                {"final-flush-no-wait", "drain's final flush does not wait for its PONG"},
	ClosedCBInline:                  {"closed-cb-inline", "closed callback runs inline, ahead of queued callbacks"},
	ClosedCBDespiteOption:           {"closed-cb-despite-option", "drain fires closed callbacks despite NoCallbacksAfterClientClose (nats.go before 995f6717)"},
	SlowConsumerSilent:              {"slow-consumer-silent", "slow-consumer drops report no ErrSlowConsumer"},
	DrainReconnectingNoClose:        {"drain-reconnecting-no-close", "Drain while reconnecting leaves the connection open (nats.go before PR #531)"},
	UnsubRemovesQueueGroup:          {"unsub-removes-queue-group", "server UNSUB of one queue member removes the whole group"},
	ClosedCBTwice:                   {"closed-cb-twice", "a Close during the drain fires the closed callback twice (nats.c C-M3, PR #333)"},
	ForgetDelivery:                  {"forget-delivery", "server routes every tenth message without committing it to a subscription"},
}

// Name returns the mutation's command-line name.
func (m Mutation) Name() string {
	switch {
	case m >= numMutations && m < numClusterMutations:
		return clusterMutationInfo[m-numMutations].name
	case m == 0 || m >= numMutations:
		return fmt.Sprintf("mutation(%d)", int(m))
	}
	return mutationInfo[m].name
}

// About returns a one-line description.
func (m Mutation) About() string {
	switch {
	case m >= numMutations && m < numClusterMutations:
		return clusterMutationInfo[m-numMutations].about
	case m == 0 || m >= numMutations:
		return ""
	}
	return mutationInfo[m].about
}

// ClusterMutations returns the cluster model's mutations, which Mutations
// leaves out.
func ClusterMutations() []Mutation {
	all := make([]Mutation, 0, numClusterMutations-numMutations)
	for m := numMutations; m < numClusterMutations; m++ {
		all = append(all, m)
	}
	return all
}

func (m Mutation) String() string { return m.Name() }

// Mutations returns the whole catalogue in a stable order.
func Mutations() []Mutation {
	all := make([]Mutation, 0, numMutations-1)
	for m := Mutation(1); m < numMutations; m++ {
		all = append(all, m)
	}
	return all
}

// AllMutations returns Mutations, then ClusterMutations: every mutation
// a command line may name.
func AllMutations() []Mutation {
	return append(Mutations(), ClusterMutations()...)
}

// ParseMutation returns the mutation with the given name, one of
// AllMutations.
func ParseMutation(name string) (Mutation, error) {
	all := AllMutations()
	for _, m := range all {
		if m.Name() == name {
			return m, nil
		}
	}
	names := make([]string, 0, len(all))
	for _, m := range all {
		names = append(names, m.Name())
	}
	return 0, fmt.Errorf("unknown mutation %q (known: %s)", name, strings.Join(names, ", "))
}

// MutationSet is a set of enabled mutations.
type MutationSet uint64

// With returns the set with m added.
func (s MutationSet) With(m Mutation) MutationSet { return s | 1<<m }

// Has reports whether m is enabled.
func (s MutationSet) Has(m Mutation) bool { return s&(1<<m) != 0 }
