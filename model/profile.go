// Package model describes NATS as state machines driven by the sim kernel:
// the server, the network, client connections and subscriptions, and the
// drain algorithms of each client library (a Profile). A run of a scenario
// produces a Result: a message ledger, a trace and per-connection records,
// over which the invariants in package props are checked.
package model

import (
	"fmt"
	"sort"
	"time"
)

// Profile is one client library's drain semantics, as data. The algorithms
// in this package read these knobs instead of branching on library names, so
// a new library is a new Profile value plus, where behaviour really differs,
// a small strategy selected by one of the enumerated knobs below.
type Profile struct {
	Name        string
	Library     string // the library and version the profile models
	Description string

	// DrainAPI describes how the library's connection drain is called and
	// how it signals completion (documentation; the model records the
	// completion time in ConnRecord.DrainDoneAt).
	DrainAPI string
	// SubDrainAPI says whether the library offers a subscription drain; a
	// scenario that drains a subscription under a profile without one is
	// rejected.
	SubDrainAPI bool
	// SyncSubAPI says whether the library offers synchronous subscriptions
	// (NextMsg) or iterators; a scenario with a sync subscription under a
	// profile without them is rejected.
	SyncSubAPI bool
	// Dispatchers says whether the library has dispatchers that several
	// subscriptions share (scenario field dispatcher:); a scenario naming one
	// under a profile without them is rejected.
	Dispatchers bool
	// SubDrainResult: a subscription drain takes the caller's timeout
	// (default the client's drain timeout; 0 = none), counted from its
	// barrier; when it runs out the subscription is removed with what it
	// still holds; and the drain signals its completion with a result: ok,
	// or ErrDrainTimeout when the timeout cleaned it up (nats.java's
	// CompletableFuture<Boolean>).
	SubDrainResult bool
	// SubDrainResultAfterCleanup: the result of a timed-out subscription
	// drain is computed after the cleanup emptied the queue, so it is ok
	// (nats.java #1616, J-M1). Dispatchers drained as a whole are not
	// affected: only a subscription of a shared dispatcher and a sync one.
	SubDrainResultAfterCleanup bool
	// DispatcherSubDrainAtBarrier: a subscription of a shared dispatcher
	// drained on its own counts as drained at its barrier, and the messages
	// the dispatcher still holds for it are dropped (nats.java #1420, J-M2).
	DispatcherSubDrainAtBarrier bool
	// SyncKeepsQueue: a sync subscription (an iterator) still hands out
	// the messages it holds after it or its connection closed, instead of
	// dropping them (nats.js iterators end with a close marker).
	SyncKeepsQueue bool

	// DrainTimeout is the default connection drain deadline. Zero means
	// the caller must pass one; ZeroTimeout says what zero does.
	DrainTimeout time.Duration
	// ZeroTimeout is what a drain timeout of zero means.
	ZeroTimeout ZeroTimeout
	// TimeoutStart is when the drain deadline starts.
	TimeoutStart TimeoutStart
	// TimeoutReport is how an overrun drain reports it.
	TimeoutReport TimeoutReport
	// SkipFinalFlushOnTimeout skips the final flush after a timeout (nats.c).
	SkipFinalFlushOnTimeout bool
	// DrainCallFlushes: the drain call (connection or subscription) makes
	// the UNSUB barrier itself, on the caller's thread, bounded by the drain
	// timeout (0: for ever), and returns only after it. A connection drain
	// whose barrier fails closes the connection and returns ErrTimeout
	// without ever signalling completion; a subscription drain's failed
	// barrier is reported as an async ErrTimeout and the drain goes on
	// (nats.java).
	DrainCallFlushes bool
	// FinalFlushInTimeout: the final flush is bounded by what is left of
	// the drain timeout counted from the Drain call (skipped when nothing is
	// left; no bound with a zero timeout) instead of FinalFlushTimeout
	// (nats.java).
	FinalFlushInTimeout bool
	// DrainErrNoLastError: the connection drain's own errors (a timeout, a
	// failed final flush) reach only the async error callback; the
	// connection's LastError is left as it was (nats.c's _pushDrainErr
	// posts the callback and sets no connection error).
	DrainErrNoLastError bool

	// ConnDrainPoll is the interval at which the connection drain checks
	// whether every subscription has been removed; 0 means it is woken
	// whenever a subscription is removed.
	ConnDrainPoll time.Duration
	// PollDeadlineFirst: a polled connection drain that wakes past its
	// deadline reports a timeout without looking at the subscriptions once
	// more, even if the last of them left since the previous poll (nats.c
	// before 3.11: `while (deadline - now > 0) { check; sleep(100) }`).
	// It does so even when the connection was closed under it meanwhile
	// (a disconnect): the timeout is then reported after the closed
	// callback, where DrainErrAfterClose lets it run.
	PollDeadlineFirst bool
	// PollFromBarrier: with a shared barrier, the connection drain's wait
	// for its subscriptions (and so the phase of its ConnDrainPoll) starts
	// when the barrier returned; the deadline still counts from the
	// TimeoutStart (nats.c before 3.11 sleeps 100 ms between checks from
	// the end of its UNSUB flush on).
	PollFromBarrier bool
	// SubDrainPoll is the interval at which a subscription drain checks its
	// completion criterion after the barrier; 0 means it is checked
	// whenever the subscription hands out a message or a callback returns.
	SubDrainPoll time.Duration
	// Barrier is how the drain learns that the server processed its UNSUBs.
	Barrier Barrier
	// Criterion is when a draining subscription counts as drained.
	Criterion Criterion
	// Concurrent callbacks: every message starts its callback on arrival,
	// with no per-subscription queue (JavaScript clients).
	Concurrent bool
	// EventLoop: the connection runs on one single-threaded event loop
	// (EventMachine): a blocking handler (scenario handler.blocking) holds
	// it, and every other event of the connection (protocol reads, other
	// callbacks, the drain's timers, request timeouts, the application's
	// calls) waits until the handler returns; an awaiting handler's time is
	// a timer of the loop. See model/loop.go.
	EventLoop bool
	// PollFirstWaits: the drain's completion checks (ConnDrainPoll,
	// SubDrainPoll) first run one interval after they start, not at once
	// (a periodic timer), so every drain takes at least one interval.
	PollFirstWaits bool
	// DeadlineTimer: the drain deadline is a timer of its own that fires
	// on time, not a condition seen at the next poll.
	DeadlineTimer bool
	// Mux is where the request/response subscription is drained.
	Mux MuxPlacement
	// SubDrainFlushTimeout bounds the subscription drain's PING/PONG barrier
	// (0: no bound, the drain waits for the PONG); its error is ignored.
	SubDrainFlushTimeout time.Duration
	// FinalFlushTimeout bounds the flush of publishes after the
	// subscriptions are drained.
	FinalFlushTimeout time.Duration
	// NoFinalFlush: the drain closes once its subscriptions are drained,
	// without a PING/PONG for what was published (ruby-nats closes after
	// writing its buffer).
	NoFinalFlush bool
	// FinalFlushErrStopsDrain: a failed final flush raises its error to
	// the drain's caller, which signals the drain's end with it; the close
	// that should follow never runs and no async error is reported, so the
	// connection stays DRAINING_PUBS (nats.py: drain's finally block awaits
	// flush() before _close).
	FinalFlushErrStopsDrain bool
	// TimeoutCancelsSubDrains: the subscription drains are tasks that send
	// their UNSUB and barrier PING before the deadline is first checked,
	// and a drain timeout cancels those still running: such a subscription
	// is never removed by its drain, and a barrier still waiting for its
	// PONG leaves its cancelled waiter in the PONG queue, so the PONG that
	// reaches it kills the read loop and nothing more is read (nats.py
	// 2.15: future.set_result on a cancelled future raises
	// InvalidStateError); a flush started before that waits for a PONG
	// nobody reads, and a broken link goes unnoticed.
	TimeoutCancelsSubDrains bool
	// TimeoutCancelLag is how long after its deadline such a timeout
	// takes effect (reported, barriers cancelled, DRAINING_PUBS): the
	// cancelled tasks run first, and a barrier PONG that arrives meanwhile
	// is still read (nats.py: wait_for waits for the cancelled gather, a
	// few event-loop turns; with near-zero latency the drain then closes).
	TimeoutCancelLag time.Duration
	// FlushNeedsReadLoop: a flush made while no read loop runs (it died,
	// or the connection is reconnecting) only writes what is buffered and
	// returns success at once (nats.py's flush() checks that its reading
	// task is done).
	FlushNeedsReadLoop bool
	// DrainAtYield: a Drain called from a callback is a task that starts
	// only when the callback's subscription task yields (awaits something
	// that waits, not blocking work, or runs out of queued messages); until then the
	// callbacks of messages already queued keep running (asyncio
	// create_task: nats.py).
	DrainAtYield bool
	// CloseRunsInDrainCaller: the drain's close runs in the task that
	// awaits the drain; when that is a callback the close cancels
	// (CloseCancelsCallbacks), the close stops there, after CLOSED and
	// before the disconnected and closed callbacks, and the drain never
	// returns (nats.py: await nc.drain() inside a handler).
	CloseRunsInDrainCaller bool
	// FlushTimeout is the default timeout of a user Flush.
	FlushTimeout time.Duration

	// PublishRefused is the point from which publishes are refused.
	PublishRefused PublishRule
	// SilentPublishDrop: a publish the connection refuses because it is
	// closed or draining its publishes returns no error, and the message is
	// dropped unsent (ruby-nats returns early once its subscriptions drained).
	SilentPublishDrop bool
	// RequestRefused is when new requests are refused.
	RequestRefused RequestRule
	// RequestsOutliveClose: closing the connection leaves waiting requests
	// to their own timeouts instead of failing them (ruby-nats's Fiber
	// requests are resumed only by their timer).
	RequestsOutliveClose bool
	// NoUnsubOnConnDrain: the connection drain sends no UNSUB and waits for
	// no subscription (node-nats v1's present-day bug N1-M1).
	NoUnsubOnConnDrain bool
	// CloseInDrainWithoutSubs: a connection drain with no subscription
	// (the response mux counts as one) closes inside the Drain call, with
	// no final flush (node-nats v1).
	CloseInDrainWithoutSubs bool
	// PubsStoppedAfterClose: once a drain stopped publishing, a publish or
	// reply keeps failing with ErrConnectionDraining after the close too
	// (node-nats v1 checks its never-cleared noMorePublishing flag before
	// closed); other calls report ErrConnectionClosed.
	PubsStoppedAfterClose bool
	// DoubleDrainErr is what a second connection Drain returns ("" = nil).
	DoubleDrainErr string
	// DrainClosedErr is what Drain on a closed connection returns
	// ("" = a silent no-op).
	DrainClosedErr string
	// DrainReconnecting is what Drain does while reconnecting.
	DrainReconnecting ReconnectingRule
	// DisconnectMidDrain is what a broken connection does to a drain.
	DisconnectMidDrain DisconnectRule
	// UnsubWhileDraining is what Unsubscribe returns on a draining
	// connection: an error name, "" (allowed) or "noop" (silently ignored).
	UnsubWhileDraining string
	// SubDrainWhileDraining is what a subscription Drain returns on a
	// draining connection: an error name, "" (allowed: a second drain of
	// the subscription starts) or "noop" (the call returns the drain
	// already running).
	SubDrainWhileDraining string
	// CloseCancelsCallbacks: closing the connection cancels running
	// callbacks (asyncio cancellation, Java thread interrupts).
	CloseCancelsCallbacks bool
	// CloseForgetsRequests: closing the connection cancels pending
	// requests silently: their callbacks never run, with neither a reply,
	// an error nor their timeout (node-nats v1's cleanupTimers), instead of
	// failing them with ErrConnectionClosed.
	CloseForgetsRequests bool
	// DrainErrAfterClose: an error the connection drain reports after the
	// connection closed under it still reaches the async error callback,
	// after the closed callback (nats.c's drain thread posts to the
	// library-wide callback thread, which has no closed sentinel; nats.go
	// drops what follows the closed callback).
	DrainErrAfterClose bool
	// NoDisconnectedOnClose: closing the connection (by the application or
	// a drain) fires no disconnected callback, only the closed one
	// (ruby-nats, nats.java).
	NoDisconnectedOnClose bool
	// NoClosedCallbackAfterDrain: the library fires no closed callback when
	// a drain closes the connection (node-nats v1 removes its listeners).
	NoClosedCallbackAfterDrain bool
	// ResendDrainingSubs: a reconnect re-subscribes subscriptions that are
	// draining.
	ResendDrainingSubs bool
	// SubsRemovedAtClose: a connection drain stops waiting for a drained
	// subscription but leaves it active until the close, so its removal
	// shows then (nats.java invalidates subscriptions only in close()).
	SubsRemovedAtClose bool
	// LinkErrorCallback: a broken link is reported to the async error
	// callback (EOF) before the disconnected callback (nats.py's read loop
	// passes UnexpectedEOF or the socket error to error_cb).
	LinkErrorCallback bool
	// ReviveClosedConn: the drain does not notice that the connection was
	// closed under it (by Close or a disconnect) and sets it back to
	// DRAINING_PUBS, runs its final flush and closes it again (nats.go
	// before v1.55.0, B12).
	ReviveClosedConn bool
	// ResetOutboundAtAttempt: a broken link keeps its waiting flushes and
	// its outbound buffer until the next reconnect attempt starts, which
	// discards the buffer (publishes accepted meanwhile are lost) and fails
	// every waiting flush (nats.js resetOutbound). Otherwise the flushes
	// fail when the link breaks and the buffer is sent after the reconnect.
	ResetOutboundAtAttempt bool
	// ReconnectWaitFromAttempt: the reconnect wait counts from the last
	// connect attempt (or connect), not from the disconnect, so a link that
	// breaks long after the last attempt is redialled at once (nats.js
	// srv.lastConnect).
	ReconnectWaitFromAttempt bool
	// FailedFlushEndsDrain: a drain whose final flush fails ends there,
	// without an error and without closing; its completion is signalled
	// and the connection stays open and draining (nats.js v2 swallows the
	// rejection).
	FailedFlushEndsDrain bool
	// CloseRequestErr is what a request still waiting when the connection
	// closes fails with at once ("" = ErrConnectionClosed).
	CloseRequestErr string
	// ReplyUnchecked: replying to a message skips the closed and draining
	// checks: after close the reply is accepted and lost (nats.js
	// msg.respond, JS-M5).
	ReplyUnchecked bool

	// Default pending limits of a subscription (messages, bytes).
	PendingMsgsLimit  int
	PendingBytesLimit int
	// SyncChanLen is the capacity of a sync subscription's channel.
	SyncChanLen int
	// SyncLeavesByNextMsg: a draining sync subscription is removed only by
	// a NextMsg call after the drain's barrier: the one that takes its last
	// message, or one with a timeout that finds it empty (it returns
	// ErrTimeout at once, and a NextMsg already waiting at the barrier does
	// too). An empty one read only with NextMsg(0), or not read at all,
	// stays, and keeps a connection drain waiting until its deadline
	// (nats.c, C-M8).
	SyncLeavesByNextMsg bool
	// WaitingNextMsgNoMax: a NextMsg already waiting when its subscription
	// is removed fails with ErrBadSubscription (ErrConnectionClosed after a
	// close) even when an auto-unsubscribe max was reached; only a later
	// call says ErrMaxMessages. nats.go's waiter finds its channel closed
	// and asks getNextMsgErr, which knows no max; validateNextMsgState,
	// run at the start of a call, checks the max first.
	WaitingNextMsgNoMax bool
	// WokenAfterRead: a caller the read loop wakes (a Flush waiting for
	// its PONG, a NextMsg waiting for a message) runs after the loop has
	// parsed the rest of what it read at that instant, not in the middle:
	// nats.go's read loop only sends on the caller's channel and goes on
	// parsing, and the woken goroutine runs later. So a drained
	// subscription's barrier sees the MSGs that came with its PONG, and a
	// burst over a sync subscription's pending limit overflows before a
	// waiting NextMsg takes its message and lowers the count.
	WokenAfterRead bool
	// PendingCountsHeaders: a message's header bytes count toward its
	// subscription's pending bytes (nats.go v1.55.0's Msg.pendingSize);
	// v1.53.1 and v1.54.0 count the data only (docs/nats-go-behaviours.md).
	PendingCountsHeaders bool

	// ReconnectAtOnce: after a link that lived at least ReconnectWait the
	// first reconnect attempt is immediate (the wait only spaces attempts
	// to one server), and every failed attempt is reported to the async
	// error callback (ErrConnectionRefused); the reconnected callback runs
	// after a PING/PONG on the new link (nats.py).
	ReconnectAtOnce bool
	// Reconnect defaults.
	ReconnectWait    time.Duration
	ReconnectJitter  time.Duration
	MaxReconnect     int
	ReconnectBufSize int

	// NoHeaders: the library has no message headers, so it never asks the
	// server for no-responders statuses (generated scenarios under the
	// profile set server.no_responders false).
	NoHeaders bool

	// MaxPayload is the server's advertised max_payload.
	MaxPayload int

	// Inferred lists behaviours of this profile that are inferred from the
	// library's code, not tested against the real library; every output
	// that shows a verdict under the profile flags them.
	Inferred []Inferred
	// Sources names where each present-day bug of the profile is recorded:
	// upstream, whether it was seen on the real library, and the docs
	// section describing it (docs/profiles/NAME.md#anchor), which
	// TestProfileDocRefsResolve checks exists.
	Sources []string
}

// Inferred is one behaviour of a profile inferred from the library's code
// that no test or documentation confirms: a hypothesis the model encodes
// until it is checked against the library.
type Inferred struct {
	ID        string // its name, e.g. "CS-M4"
	Behaviour string // what the model does, in one line
	// Ref is the docs section describing it and its upstream source, e.g.
	// "docs/profiles/csharp-v1.md#cs-m4-drained-while-the-last-callback-runs".
	Ref string
	// Without, when set, turns the behaviour off in a copy of the profile
	// (the knobs it needs set to the documented alternative), so that a
	// tool can tell whether a verdict depends on it.
	Without func(*Profile)
}

// WithoutInferred returns a copy of p with the inferred behaviour id
// turned off, and false when p has no such behaviour or it cannot be
// turned off.
func (p *Profile) WithoutInferred(id string) (*Profile, bool) {
	for _, inf := range p.Inferred {
		if inf.ID == id && inf.Without != nil {
			cp := *p
			cp.Inferred = nil
			for _, other := range p.Inferred {
				if other.ID != id {
					cp.Inferred = append(cp.Inferred, other)
				}
			}
			inf.Without(&cp)
			return &cp, true
		}
	}
	return nil, false
}

// DrainBound is the longest a connection drain with the given timeout may
// take under the profile, from the Drain call to CLOSED: the deadline (plus
// the barrier before it, when the deadline starts after one), one poll and
// the final flush. It returns false when the profile sets no bound: no
// deadline while completion waits for the application, or a deadline that
// starts after a barrier that has no timeout. The sum stays in range: the
// timeout and every profile duration a file or sweep can set are at most
// scenario.MaxDuration, so four of them are far below 2^63 ns.
func (p *Profile) DrainBound(timeout time.Duration) (time.Duration, bool) {
	var wait time.Duration
	switch {
	case p.TimeoutStart == NoTimeout || (timeout <= 0 && p.ZeroTimeout == ZeroIsForever):
		// Only subscriptions that go at their barrier end on their own.
		if p.Criterion != AtBarrier || p.SubDrainFlushTimeout == 0 {
			return 0, false
		}
		wait = p.SubDrainFlushTimeout
	case p.TimeoutStart == AfterBarrier:
		if p.SubDrainFlushTimeout == 0 {
			return 0, false
		}
		wait = p.SubDrainFlushTimeout + max(timeout, 0)
	default:
		wait = max(timeout, 0)
	}
	return wait + p.ConnDrainPoll + p.FinalFlushTimeout, true
}

// ZeroTimeout is what a drain timeout of zero means.
type ZeroTimeout uint8

// Meanings of a zero drain timeout.
const (
	ZeroIsImmediate ZeroTimeout = iota // the deadline has already passed (nats.go)
	ZeroIsForever                      // no deadline (nats.c, nats.java)
)

// TimeoutStart is when a drain deadline starts.
type TimeoutStart uint8

// Deadline starts.
const (
	AfterUnsubs  TimeoutStart = iota // once the UNSUBs are queued (nats.go, nats.c, Python)
	AfterBarrier                     // once the UNSUB barrier returned (nats.java, ruby-nats)
	NoTimeout                        // the library has no drain timeout (JavaScript)
)

// TimeoutReport is how an overrun drain reports it.
type TimeoutReport uint8

// Timeout reports.
const (
	ReportAsyncError TimeoutReport = iota // LastError and the async error callback
	ReportResult                          // only the drain's result (a future completed false)
)

// Barrier is how a drain learns the server processed its UNSUBs.
type Barrier uint8

// Barrier kinds.
const (
	BarrierPerSub Barrier = iota // one PING/PONG per drained subscription
	BarrierShared                // one PING/PONG for all of them
	BarrierNone                  // none: completion is polled from the UNSUB on
)

// Criterion is when a draining subscription counts as drained.
type Criterion uint8

// Completion criteria (docs/profiles.md#completion-criteria).
const (
	HandlerReturned Criterion = iota // (b) the callback of the last message returned
	QueueEmpty                       // (a) the last message was taken off the queue
	AtBarrier                        // as soon as the barrier returned
)

// MuxPlacement is where the response subscription is drained.
type MuxPlacement uint8

// Response mux placements.
const (
	MuxLast       MuxPlacement = iota // after every other subscription, same deadline
	MuxWithOthers                     // in the first batch
)

// PublishRule is when publishes start being refused.
type PublishRule uint8

// Publish rules.
const (
	RefuseInDrainingPubs PublishRule = iota // from DRAINING_PUBS on
	RefuseFromDrainCall                     // from the Drain call on
)

// RequestRule is when requests are refused while draining.
type RequestRule uint8

// Request rules.
const (
	RefuseIfMuxMissing RequestRule = iota // only when the mux would have to be created
	RefuseWholeDrain                      // throughout the drain
	// NeverRefused: a request is always sent; while draining or closed no
	// response mux is created (subscribe returns nil), so it waits for its
	// timeout unless a mux still listening gets the reply (ruby-nats).
	NeverRefused
)

// ReconnectingRule is what Drain does while the connection reconnects.
type ReconnectingRule uint8

// Reconnecting rules.
const (
	CloseAndRefuse ReconnectingRule = iota // close, return ErrConnectionReconnecting (nats.go)
	Refuse                                 // return the error, keep reconnecting (nats.c, Python)
	Proceed                                // start the drain anyway
)

// DisconnectRule is what a broken connection does to a drain in progress.
type DisconnectRule uint8

// Disconnect rules.
const (
	CloseOnDisconnect  DisconnectRule = iota // close, no reconnect
	ReconnectAndForget                       // reconnect; the drain state is lost (Python)
	// ReconnectStayDraining: reconnect without leaving the drain: the
	// status stays draining and the drain goes on on the new link (nats.js).
	ReconnectStayDraining
	// ReconnectKeepDrain: reconnect and lose the pending PONGs, but the
	// drain goes on and a second Drain is refused as a double drain
	// (ruby-nats keeps its @draining flag).
	ReconnectKeepDrain
	// CloseQuietly: the lost link fails the drain's pending PONG, whose
	// callback closes the connection (removing every listener) before the
	// disconnect event is emitted, so neither the disconnected nor the
	// closed callback runs; the drain reports success (node-nats v1,
	// measured on 1.4.12).
	CloseQuietly
	// SwallowWhileDraining: the I/O error is ignored while draining: no
	// callback, no status change, no reconnect; the link is gone, so
	// pending flushes wait for their timeouts while callbacks go on
	// (nats.java's handleCommunicationIssue returns early when draining).
	SwallowWhileDraining
)

// GoProfile is nats.go v1.55 (docs/profiles/go.md).
var GoProfile = Profile{
	Name:                 "go",
	Library:              "nats.go v1.55.0",
	Description:          "subs drained first (publish allowed), 10 ms conn poll, 100 ms sub poll after a per-sub PING/PONG barrier, response mux last, then DRAINING_PUBS, 5 s flush, Close",
	DrainAPI:             "nc.Drain() returns at once; ClosedHandler signals completion",
	SubDrainAPI:          true,
	SyncSubAPI:           true,
	DrainTimeout:         30 * time.Second,
	ConnDrainPoll:        10 * time.Millisecond,
	SubDrainPoll:         100 * time.Millisecond,
	SubDrainFlushTimeout: 10 * time.Second,
	FinalFlushTimeout:    5 * time.Second,
	FlushTimeout:         10 * time.Second,
	DrainClosedErr:       ErrConnectionClosed,
	UnsubWhileDraining:   ErrConnectionDraining,
	ResendDrainingSubs:   true,
	WaitingNextMsgNoMax:  true,
	WokenAfterRead:       true,
	PendingCountsHeaders: true,
	PendingMsgsLimit:     500_000,
	PendingBytesLimit:    64 * 1024 * 1024,
	SyncChanLen:          65_536,
	ReconnectWait:        2 * time.Second,
	ReconnectJitter:      100 * time.Millisecond,
	MaxReconnect:         60,
	ReconnectBufSize:     8 * 1024 * 1024,
	MaxPayload:           1024 * 1024,
	Sources:              []string{"sub drained while reconnecting is re-subscribed and leaks interest: nats.go's internal test in js_test.go, seen on v1.55.0 (docs/profiles/go.md#subscription-drained-while-reconnecting-leaks-interest)"},
}

// Go153Profile is nats.go before v1.55.0 (v1.53.1 and v1.54.0), whose
// drain revives a connection closed under it (B12,
// docs/profiles/go-1.53.md). Everything else about its drain is as in
// v1.55.0.
var Go153Profile = derive(GoProfile, func(p *Profile) {
	p.Name, p.Library = "go-1.53", "nats.go v1.53.1 (and v1.54.0)"
	p.Description = "nats.go before v1.55.0: as go, but a Close or disconnect during the drain is followed by DRAINING_PUBS, a 5 s final flush that times out, and a second close"
	p.ReviveClosedConn = true
	p.WaitingNextMsgNoMax, p.WokenAfterRead = true, true // the same NextMsg, processPong and processMsg
	p.Sources = []string{"closed connection revived as DRAINING_PUBS: fixed in nats.go v1.55.0 (B12), seen on v1.53.1 (docs/profiles/go-1.53.md#closed-connection-revived-b12)"}
})

// derive returns a copy of base with changes applied: each profile states
// only where it differs from nats.go.
func derive(base Profile, change func(*Profile)) Profile {
	p := base
	p.Inferred = append([]Inferred(nil), base.Inferred...)
	p.Sources = nil
	// Read from nats.go's code and seen on its real client only: a derived
	// profile opts in where its own library does the same.
	p.WaitingNextMsgNoMax, p.WokenAfterRead, p.PendingCountsHeaders = false, false, false
	change(&p)
	return p
}

// CProfile is nats.c v3.11 (docs/profiles/c.md), read from
// the code: only 3.4.1 is installable here (Debian's libnats-dev), so this
// profile was never run against a real 3.11; see C34Profile.
var CProfile = derive(GoProfile, func(p *Profile) {
	p.Name, p.Library = "c", "nats.c v3.11 (modelled from the code; not run on a real 3.11)"
	p.Description = "one shared barrier, event-driven completion (callback returned), response mux last, final flush skipped after a timeout; 0 = no timeout"
	p.DrainAPI = "natsConnection_Drain returns at once; closed callback signals completion"
	p.ZeroTimeout = ZeroIsForever
	p.Barrier = BarrierShared
	p.ConnDrainPoll, p.SubDrainPoll = 0, 0
	p.SkipFinalFlushOnTimeout = true
	p.DrainReconnecting = Refuse
	p.UnsubWhileDraining = ""
	p.SubDrainWhileDraining = ErrConnectionDraining
	p.ResendDrainingSubs = false
	p.SyncLeavesByNextMsg = true // C-M8
	p.DrainErrNoLastError = true // _pushDrainErr posts the callback only
	p.DrainErrAfterClose = true  // natsAsyncCb_Post* has no closed sentinel
	p.Sources = []string{
		"not run on a real nats.c 3.11: the drain code since 1b66b87d (PR #915, v3.11.0) is read from the source; the rest of the profile is what nats.c 3.4.1 showed in real runs, c-3.4 (docs/profiles/c.md#one-shared-barrier-event-driven-completion)",
		"C-M8 (SyncLeavesByNextMsg): seen on the real nats.c 3.4.1 (testdata/conformance/c-3.4/sync-sub-nextmsg-zero.yaml); natsSub_nextMsg is unchanged in 3.11, read from the code (docs/profiles/c.md#sync-subscriptions-leave-only-through-nextmsg-c-m8)",
		"DrainErrNoLastError, DrainErrAfterClose: seen on the real nats.c 3.4.1 (LastError empty after ErrDrainTimeout; a drain error posted after the closed callback); 3.11's _pushDrainErr still sets no connection error and posts to the same callback thread, read from the code (docs/profiles/c.md#drain-errors-after-the-closed-callback)",
	}
})

// C34Profile is nats.c v3.4.1, as Debian ships it (libnats-dev), checked
// against the real library: before 1b66b87d (v3.11.0) the connection drain
// UNSUBs the response mux with the other subscriptions (C-M1) and polls for
// completion with nats_Sleep(100) from the barrier on (C-M2), checking the
// deadline before the subscriptions.
var C34Profile = derive(CProfile, func(p *Profile) {
	p.Name, p.Library = "c-3.4", "nats.c v3.4.1"
	p.Description = "as c, but the response mux is drained with the other subscriptions (a handler's request loses its reply) and completion is polled every 100 ms, which also quantises the timeout"
	p.ConnDrainPoll = 100 * time.Millisecond
	p.PollDeadlineFirst = true
	p.PollFromBarrier = true
	p.Mux = MuxWithOthers
	p.Sources = []string{
		"C-M1 (mux drained with the others) and C-M2 (100 ms completion poll from the UNSUB flush, deadline checked first: PollFromBarrier, PollDeadlineFirst): seen on the real nats.c 3.4.1, fixed by 1b66b87d (nats.c #911, PR #915, v3.11.0) (docs/profiles/c-3.4.md#100-ms-completion-poll-c-m2)",
		"C-M8 (SyncLeavesByNextMsg), DrainErrNoLastError, DrainErrAfterClose: seen on the real nats.c 3.4.1 (docs/profiles/c-3.4.md#shared-with-311, docs/conformance/c-3.4.md)",
	}
})

// JavaProfile is nats.java (docs/profiles/java.md).
var JavaProfile = derive(GoProfile, func(p *Profile) {
	p.Name, p.Library = "java", "nats.java 2.26.2"
	p.Description = "drain() flushes the UNSUBs itself within the timeout, then a fresh timeout polled every 1 ms; plain subs drained when popped, mux drained with the others, requests refused; the final flush gets what is left of the timeout; a timeout only completes the future false; I/O errors while draining are swallowed"
	p.DrainAPI = "Connection.drain(timeout) blocks for its barrier, returns CompletableFuture<Boolean>, completed after close"
	p.Dispatchers = true
	p.SubDrainResult = true
	p.SubDrainResultAfterCleanup = true
	p.DispatcherSubDrainAtBarrier = true
	p.DrainCallFlushes = true
	p.FinalFlushInTimeout = true
	p.NoDisconnectedOnClose = true
	p.SubsRemovedAtClose = true
	p.DisconnectMidDrain = SwallowWhileDraining
	p.PendingMsgsLimit = 512 * 1024 // Consumer.DEFAULT_MAX_MESSAGES
	p.DrainTimeout = 0
	p.ZeroTimeout = ZeroIsForever
	p.TimeoutStart = AfterBarrier
	p.TimeoutReport = ReportResult
	p.Barrier = BarrierShared
	p.ConnDrainPoll, p.SubDrainPoll = time.Millisecond, time.Millisecond
	p.Mux = MuxWithOthers
	p.RequestRefused = RefuseWholeDrain
	p.DrainReconnecting = Proceed
	p.UnsubWhileDraining = "noop"
	p.SubDrainWhileDraining = "noop" // returns the connection's future
	p.CloseCancelsCallbacks = true
	p.ResendDrainingSubs = false
	p.Sources = []string{
		"subscription drain future true after a timeout: nats.java #1616 (J-M1), seen on 2.26.2 (docs/profiles/java.md#subscription-drain-completes-true-after-a-timeout-j-m1)",
		"a shared dispatcher's subscription drains at once and drops what the dispatcher holds for it: nats.java #1420 (J-M2), seen on 2.26.2 (docs/profiles/java.md#a-shared-dispatchers-subscription-drains-at-its-barrier-j-m2)",
		"disconnect mid-drain swallowed, drain(timeout) flushes within the timeout, no disconnected event at close: seen on 2.26.2 (docs/profiles/java.md#io-errors-swallowed-while-draining)",
	}
})

// jsBase holds what the JavaScript clients (node-nats v1, nats.js) share
// (docs/profiles/node-v1.md, docs/profiles/natsjs.md): no drain timeout, handlers
// called on arrival, completion at each subscription's PONG (no polling),
// the mux drained with the others, requests and a second drain refused.
var jsBase = derive(GoProfile, func(p *Profile) {
	p.ConnDrainPoll, p.SubDrainPoll = 0, 0
	p.DrainTimeout = 0
	p.TimeoutStart = NoTimeout
	p.Concurrent = true
	p.Criterion = AtBarrier
	p.Mux = MuxWithOthers
	p.RequestRefused = RefuseWholeDrain
	p.DoubleDrainErr = ErrConnectionDraining
	p.DrainReconnecting = Proceed
	p.UnsubWhileDraining = ""
	p.ResendDrainingSubs = false
})

// NodeV1Profile is node-nats v1 (docs/profiles/node-v1.md),
// checked against the real node-nats 1.4.12 (docs/conformance/node-v1.md).
var NodeV1Profile = derive(jsBase, func(p *Profile) {
	p.Name, p.Library = "node-v1", "node-nats 1.4.12"
	p.Description = "present-day bug N1-M1: the connection drain sends no UNSUB, refuses publishes at once and closes after one PING/PONG (at once without subscriptions); no close event, not even after a disconnect mid-drain; callbacks run on arrival"
	p.DrainAPI = "nc.drain(callback): the callback signals completion (no 'close' event)"
	p.SyncSubAPI = false // callbacks only, dispatched while parsing
	p.NoHeaders = true   // CONNECT carries neither headers nor no_responders
	p.NoUnsubOnConnDrain = true
	p.CloseInDrainWithoutSubs = true
	p.PublishRefused = RefuseFromDrainCall
	p.PubsStoppedAfterClose = true
	p.SubDrainWhileDraining = ErrConnectionDraining
	p.NoClosedCallbackAfterDrain = true
	p.DisconnectMidDrain = CloseQuietly
	p.CloseForgetsRequests = true
	p.Inferred = nil
	p.Sources = []string{
		"N1-M1: lib/nats.js drain() sets draining before drainSubscription; seen on node-nats 1.4.12: no UNSUB on the wire, publishes refused from the drain call (docs/profiles/node-v1.md#n1-m1-the-connection-drain-sends-no-unsub)",
		"N1-M2: a disconnect mid-drain closes and the drain callback gets no error; seen on 1.4.12, with neither 'disconnect' nor 'close' event (docs/profiles/node-v1.md#n1-m2-a-disconnect-mid-drain-counts-as-success)",
		"no close event after drain: node-nats #210, seen on 1.4.12 (docs/profiles/node-v1.md#no-close-event-after-a-drain-n1-m3)",
		"drain without subscriptions closes inside the call; a publish after the drain's close fails CONN_DRAINING; close forgets pending requests: seen on 1.4.12 (docs/profiles/node-v1.md#drain-without-subscriptions-closes-inside-the-call, docs/profiles/node-v1.md#requests-refused-pending-requests-forgotten-at-close)",
	}
})

// NatsJSProfile is the nats.js v2 line (docs/profiles/natsjs.md), checked
// against nats 2.29.3 from npm (docs/conformance/natsjs.md).
var NatsJSProfile = derive(jsBase, func(p *Profile) {
	p.Name, p.Library = "natsjs", "nats.js 2.29.3 (npm nats; nats.deno base client)"
	p.Description = "no timeout; every sub (mux included) UNSUB'd at once with its own barrier and removed at its PONG; callbacks run on arrival; requests refused; a disconnect keeps the drain going: its PONGs fail at the next reconnect attempt, and the final flush closes on the new link or, failing, ends the drain unclosed"
	p.DrainAPI = "await nc.drain(): the promise resolves after close (or, when the final flush fails, without closing)"
	p.SyncKeepsQueue = true // iterators yield what they hold, then the close marker
	// Flushes (the barriers and the final flush) have no timeout.
	p.SubDrainFlushTimeout, p.FinalFlushTimeout = 0, 0
	// Measured on nats 2.29.3: a disconnect mid-drain reconnects and the
	// drain goes on (issue 10; scenarios natsjs/disconnect-*).
	p.DisconnectMidDrain = ReconnectStayDraining
	p.ResetOutboundAtAttempt = true
	p.ReconnectWaitFromAttempt = true
	p.FailedFlushEndsDrain = true
	p.NoDisconnectedOnClose = true
	p.CloseRequestErr = ErrTimeout   // muxSubscriptions.close() rejects with TIMEOUT
	p.ReplyUnchecked = true          // JS-M5: msg.respond() calls the protocol's publish
	p.SubDrainWhileDraining = "noop" // returns the promise the connection drain started
	p.Sources = []string{
		"JS-M4 refuted as modelled on nats 2.29.3: a disconnect mid-drain reconnects; the final flush closes on the new link, or its rejection ends the drain unclosed (docs/profiles/natsjs.md#a-disconnect-keeps-the-drain-going-js-m4-refuted)",
		"JS-M5 confirmed on nats 2.29.3: msg.respond() after close returns true and the reply is lost (docs/profiles/natsjs.md#msgrespond-ignores-the-drain-js-m5)",
		"request pending at close fails with TIMEOUT (muxSubscriptions.close), seen on nats 2.29.3 (docs/profiles/natsjs.md#requests-refused-mux-drained-with-the-others)",
	}
})

// PythonProfile is nats.py's asyncio client (docs/profiles/python.md),
// checked against nats.py 2.15.0 (docs/conformance/python.md).
var PythonProfile = derive(GoProfile, func(p *Profile) {
	p.Name, p.Library = "python", "nats.py 2.15.0 (nats.aio)"
	p.Description = "every sub (mux included) drained concurrently as asyncio tasks: UNSUB, own 10 s flush, queue.join (callback returned); 30 s timeout on the sub phase, which cancels the sub drains (a cancelled barrier kills the read loop); a failed final flush never closes; close cancels running handlers; a disconnect reconnects and forgets the drain; a handler's drain task starts when the handler yields"
	p.DrainAPI = "await nc.drain(): returns after the closed callback (run it as a task: awaited in a handler it waits for that handler)"
	p.ConnDrainPoll, p.SubDrainPoll = 0, 0
	p.FinalFlushTimeout = 10 * time.Second
	p.FinalFlushErrStopsDrain = true
	p.TimeoutCancelsSubDrains = true
	p.TimeoutCancelLag = 250 * time.Microsecond
	p.FlushNeedsReadLoop = true
	p.DrainAtYield = true
	p.CloseRunsInDrainCaller = true
	p.Mux = MuxWithOthers
	p.DrainReconnecting = Refuse
	p.DisconnectMidDrain = ReconnectAndForget
	p.SubDrainWhileDraining = ErrConnectionDraining
	p.CloseCancelsCallbacks = true
	p.LinkErrorCallback = true
	p.ReconnectJitter = 0 // reconnect_time_wait only
	p.ReconnectAtOnce = true
	p.Inferred = nil
	p.Sources = []string{
		"reconnect mid-drain forgets the drain and re-subscribes (PY-M5): seen on nats.py 2.15.0 (docs/profiles/python.md#a-disconnect-reconnects-and-forgets-the-drain-py-m5)",
		"a request from a handler during the drain loses its reply (the mux drains with the others): seen on nats.py 2.15.0 (docs/profiles/python.md#requests-during-the-drain-lose-their-replies)",
		"a drain timeout with a barrier unanswered (always with drain_timeout 0) kills the read loop, the final flush times out and the connection never closes: seen on nats.py 2.15.0 (docs/profiles/python.md#a-cancelled-barrier-kills-the-read-loop)",
		"a failed final flush raises out of drain() before close: seen on nats.py 2.15.0 (docs/profiles/python.md#a-failed-final-flush-skips-the-close)",
	}
})

// RubyEMProfile is ruby-nats on EventMachine (docs/profiles/ruby-em.md).
var RubyEMProfile = derive(GoProfile, func(p *Profile) {
	p.Name, p.Library = "ruby-em", "ruby-nats (nats gem) 0.11.2, EventMachine"
	p.Description = "one event loop (a blocking handler holds it); connection drain only: UNSUB all (mux too), one barrier without a timeout, then a 100 ms periodic timer, first run 100 ms after the barrier, closes at once; the timeout timer starts after the barrier; late publishes dropped silently; a disconnect reconnects and re-subscribes"
	p.DrainAPI = "nc.drain { block }: the block runs after close is requested, before on_close"
	p.SubDrainAPI = false
	p.SyncSubAPI = false // subscriptions take a callback (requests may block a Fiber)
	// One EventMachine reactor: callbacks run synchronously while parsing
	// (no queue), and a blocking one holds every other event of the
	// connection (measured on 0.11.2: a drain called while a handler
	// sleeps starts after it returns).
	p.EventLoop = true
	p.Concurrent = true
	p.TimeoutStart = AfterBarrier
	p.Barrier = BarrierShared
	p.SubDrainFlushTimeout = 0 // flush { } waits for its PONG with no timeout
	// The periodic timer sees an empty parse buffer whenever it runs
	// (it cannot run inside a callback), so the drain ends at its first
	// tick, 100 ms after the barrier; awaiting handlers are not waited for.
	p.Criterion = AtBarrier
	p.ConnDrainPoll, p.SubDrainPoll = 100*time.Millisecond, 100*time.Millisecond
	p.PollFirstWaits = true
	p.DeadlineTimer = true // EM.add_timer(drain_timeout): a timeout under 100 ms always fires
	p.NoFinalFlush = true  // close once the outbound buffer is empty: no PING
	p.Mux = MuxWithOthers
	p.SilentPublishDrop = true // publish returns early once @drained_subs is set
	p.RequestRefused = NeverRefused
	p.RequestsOutliveClose = true
	p.NoDisconnectedOnClose = true // unbind skips on_disconnect when closing
	p.NoHeaders = true
	p.DrainClosedErr = ""
	p.DrainReconnecting = Proceed
	p.DisconnectMidDrain = ReconnectKeepDrain // RB-M2
	p.UnsubWhileDraining = "noop"
	p.Inferred = nil
	p.Sources = []string{
		"RB-M2: a disconnect before the barrier's PONG: the client reconnects, stays draining and never closes; measured on ruby-nats 0.11.2 (docs/profiles/ruby-em.md#rb-m2-a-disconnect-before-the-pong-hangs-the-drain)",
		"one event loop: a drain called while a blocking handler runs starts after it returns; the first completion check 100 ms after the barrier; a drain timeout under 100 ms always fires; requests during the drain sent and answered nil at their timeout; late publishes dropped silently; no on_disconnect on close: measured on ruby-nats 0.11.2 (docs/profiles/ruby-em.md#one-event-loop, docs/conformance/ruby-em.md)",
	}
})

// CSharpV1Profile is NATS.Client v1 for .NET (docs/profiles/csharp-v1.md).
var CSharpV1Profile = derive(GoProfile, func(p *Profile) {
	p.Name, p.Library = "csharp-v1", "NATS.Client v1 (nats.net.v1)"
	p.Description = "like nats.go but the pending count drops before the handler runs (criterion a), the mux is drained with the others and the final flush takes 10 s"
	p.DrainAPI = "conn.Drain() blocks until closed (DrainAsync returns a Task)"
	p.Criterion = QueueEmpty
	p.FinalFlushTimeout = 10 * time.Second
	p.Mux = MuxWithOthers
	p.DrainReconnecting = Proceed
	p.SubDrainWhileDraining = ""
	p.Inferred = []Inferred{
		{ID: "CS-M4", Ref: "docs/profiles/csharp-v1.md#cs-m4-drained-while-the-last-callback-runs", Behaviour: "a subscription counts as drained while its last callback still runs, so a reply from it can hit DRAINING_PUBS",
			Without: func(p *Profile) { p.Criterion = HandlerReturned }},
		{ID: "drain-reconnecting", Ref: "docs/profiles/csharp-v1.md#drain-while-reconnecting-proceeds", Behaviour: "Drain while reconnecting is not refused: it overwrites RECONNECTING with DRAINING_SUBS and drains"},
	}
	p.Sources = []string{"criterion (a): pendingMessages decremented before the handler (CS-M4, design), read from the code (docs/profiles/csharp-v1.md#cs-m4-drained-while-the-last-callback-runs)"}
})

var profiles = map[string]*Profile{
	GoProfile.Name:       &GoProfile,
	Go153Profile.Name:    &Go153Profile,
	CProfile.Name:        &CProfile,
	C34Profile.Name:      &C34Profile,
	JavaProfile.Name:     &JavaProfile,
	NodeV1Profile.Name:   &NodeV1Profile,
	NatsJSProfile.Name:   &NatsJSProfile,
	PythonProfile.Name:   &PythonProfile,
	RubyEMProfile.Name:   &RubyEMProfile,
	CSharpV1Profile.Name: &CSharpV1Profile,
}

// LookupProfile returns the profile with the given name.
func LookupProfile(name string) (*Profile, error) {
	if p, ok := profiles[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown profile %q (known: %v)", name, ProfileNames())
}

// ProfileNames returns the known profile names in sorted order.
func ProfileNames() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
