package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Knob is one row of the profile table (`drainsim profiles`): a Profile
// field, what it means, and how to show a profile's value in a few
// characters.
type Knob struct {
	Field string // the Profile field's name
	About string // what the value says
	Value func(*Profile) string
}

// KnobNotes are the Profile fields that are text, not knobs: the profile
// table shows them per profile, below the knobs.
var KnobNotes = []string{"Name", "Library", "Description", "DrainAPI", "Inferred", "Sources"}

// Knobs returns every knob of Profile in field order. Each Profile field
// is either a knob or one of KnobNotes (a test checks it), so a new knob
// cannot be left out of the table.
func Knobs() []Knob {
	return []Knob{
		{"SubDrainAPI", "a subscription drain exists", func(p *Profile) string { return yes(p.SubDrainAPI) }},
		{"SyncSubAPI", "sync subscriptions (NextMsg) or iterators exist", func(p *Profile) string { return yes(p.SyncSubAPI) }},
		{"Dispatchers", "shared dispatchers exist", func(p *Profile) string { return yes(p.Dispatchers) }},
		{"SubDrainResult", "sub drain: own timeout and a result", func(p *Profile) string { return yes(p.SubDrainResult) }},
		{"SubDrainResultAfterCleanup", "timed-out sub drain reports ok", func(p *Profile) string { return yes(p.SubDrainResultAfterCleanup) }},
		{"DispatcherSubDrainAtBarrier", "shared-dispatcher sub drained at barrier", func(p *Profile) string { return yes(p.DispatcherSubDrainAtBarrier) }},
		{"SyncKeepsQueue", "a closed iterator still yields what it held", func(p *Profile) string { return yes(p.SyncKeepsQueue) }},
		{"DrainTimeout", "default drain timeout (0: the caller passes one)", func(p *Profile) string {
			if p.TimeoutStart == NoTimeout {
				return "none"
			}
			return dur(p.DrainTimeout, "0")
		}},
		{"ZeroTimeout", "what a zero timeout means", func(p *Profile) string { return pick(int(p.ZeroTimeout), "immediate", "for ever") }},
		{"TimeoutStart", "when the deadline starts", func(p *Profile) string {
			return pick(int(p.TimeoutStart), "after UNSUBs", "after barrier", "no timeout")
		}},
		{"TimeoutReport", "how a timeout is reported", func(p *Profile) string { return pick(int(p.TimeoutReport), "async error", "result only") }},
		{"SkipFinalFlushOnTimeout", "no final flush after a timeout", func(p *Profile) string { return yes(p.SkipFinalFlushOnTimeout) }},
		{"DrainCallFlushes", "drain call waits for the barrier", func(p *Profile) string { return yes(p.DrainCallFlushes) }},
		{"FinalFlushInTimeout", "final flush gets what is left", func(p *Profile) string { return yes(p.FinalFlushInTimeout) }},
		{"DrainErrNoLastError", "drain errors leave LastError alone", func(p *Profile) string { return yes(p.DrainErrNoLastError) }},
		{"ConnDrainPoll", "connection drain's check interval", func(p *Profile) string { return dur(p.ConnDrainPoll, "event") }},
		{"PollDeadlineFirst", "a poll past the deadline times out unchecked", func(p *Profile) string { return yes(p.PollDeadlineFirst) }},
		{"PollFromBarrier", "the conn drain's wait starts at the barrier", func(p *Profile) string { return yes(p.PollFromBarrier) }},
		{"SubDrainPoll", "subscription drain's check interval", func(p *Profile) string { return dur(p.SubDrainPoll, "event") }},
		{"Barrier", "PING/PONG after the UNSUBs", func(p *Profile) string { return pick(int(p.Barrier), "per sub", "shared", "none") }},
		{"Criterion", "a subscription is drained when", func(p *Profile) string {
			return pick(int(p.Criterion), "cb returned", "dequeued", "at barrier")
		}},
		{"Concurrent", "callbacks run on arrival, no queue", func(p *Profile) string { return yes(p.Concurrent) }},
		{"EventLoop", "one event loop: a blocking handler holds it", func(p *Profile) string { return yes(p.EventLoop) }},
		{"PollFirstWaits", "first drain check after one poll interval", func(p *Profile) string { return yes(p.PollFirstWaits) }},
		{"DeadlineTimer", "drain deadline fires on its own timer", func(p *Profile) string { return yes(p.DeadlineTimer) }},
		{"Mux", "where the response mux is drained", func(p *Profile) string { return pick(int(p.Mux), "last", "with others") }},
		{"SubDrainFlushTimeout", "barrier timeout", func(p *Profile) string { return dur(p.SubDrainFlushTimeout, "none") }},
		{"FinalFlushTimeout", "final flush timeout", func(p *Profile) string { return dur(p.FinalFlushTimeout, "none") }},
		{"NoFinalFlush", "drain closes without a final flush", func(p *Profile) string { return yes(p.NoFinalFlush) }},
		{"FinalFlushErrStopsDrain", "a failed final flush ends the drain unclosed", func(p *Profile) string { return yes(p.FinalFlushErrStopsDrain) }},
		{"TimeoutCancelsSubDrains", "a timeout cancels sub drains (their barriers too)", func(p *Profile) string { return yes(p.TimeoutCancelsSubDrains) }},
		{"TimeoutCancelLag", "a timeout takes effect this long after its deadline", func(p *Profile) string { return dur(p.TimeoutCancelLag, "0") }},
		{"FlushNeedsReadLoop", "a flush without a read loop returns at once", func(p *Profile) string { return yes(p.FlushNeedsReadLoop) }},
		{"DrainAtYield", "a callback's Drain starts when its task yields", func(p *Profile) string { return yes(p.DrainAtYield) }},
		{"CloseRunsInDrainCaller", "an awaited drain's close runs in (and is cut short with) its caller", func(p *Profile) string { return yes(p.CloseRunsInDrainCaller) }},
		{"FlushTimeout", "default Flush timeout", func(p *Profile) string { return dur(p.FlushTimeout, "0") }},
		{"PublishRefused", "publish refused from", func(p *Profile) string { return pick(int(p.PublishRefused), "DRAINING_PUBS", "Drain call") }},
		{"SilentPublishDrop", "refused publish returns ok, dropped", func(p *Profile) string { return yes(p.SilentPublishDrop) }},
		{"RequestRefused", "request refused while draining", func(p *Profile) string {
			return pick(int(p.RequestRefused), "if no mux", "whole drain", "never")
		}},
		{"RequestsOutliveClose", "close leaves requests to their timeout", func(p *Profile) string { return yes(p.RequestsOutliveClose) }},
		{"NoUnsubOnConnDrain", "connection drain sends no UNSUB", func(p *Profile) string { return yes(p.NoUnsubOnConnDrain) }},
		{"CloseInDrainWithoutSubs", "no subs: Drain closes in the call", func(p *Profile) string { return yes(p.CloseInDrainWithoutSubs) }},
		{"PubsStoppedAfterClose", "publish after drain+close: ErrDraining", func(p *Profile) string { return yes(p.PubsStoppedAfterClose) }},
		{"DoubleDrainErr", "second Drain returns", func(p *Profile) string { return callResult(p.DoubleDrainErr, "ok") }},
		{"DrainClosedErr", "Drain when closed returns", func(p *Profile) string { return callResult(p.DrainClosedErr, "no-op") }},
		{"DrainReconnecting", "Drain while reconnecting", func(p *Profile) string {
			return pick(int(p.DrainReconnecting), "refuse+close", "refuse", "proceed")
		}},
		{"DisconnectMidDrain", "a disconnect while draining", func(p *Profile) string {
			return pick(int(p.DisconnectMidDrain), "close", "reconnect,forget", "reconnect,stay", "reconnect,keep", "close, no cbs", "swallowed")
		}},
		{"UnsubWhileDraining", "Unsubscribe while draining", func(p *Profile) string { return callResult(p.UnsubWhileDraining, "allowed") }},
		{"SubDrainWhileDraining", "sub Drain while draining", func(p *Profile) string { return callResult(p.SubDrainWhileDraining, "allowed") }},
		{"CloseCancelsCallbacks", "close cancels running callbacks", func(p *Profile) string { return yes(p.CloseCancelsCallbacks) }},
		{"CloseForgetsRequests", "close drops pending requests silently", func(p *Profile) string { return yes(p.CloseForgetsRequests) }},
		{"DrainErrAfterClose", "a drain error after close is still reported", func(p *Profile) string { return yes(p.DrainErrAfterClose) }},
		{"NoDisconnectedOnClose", "close fires no disconnected callback", func(p *Profile) string { return yes(p.NoDisconnectedOnClose) }},
		{"NoClosedCallbackAfterDrain", "no closed callback after a drain", func(p *Profile) string { return yes(p.NoClosedCallbackAfterDrain) }},
		{"ResendDrainingSubs", "reconnect re-subscribes draining subs", func(p *Profile) string { return yes(p.ResendDrainingSubs) }},
		{"SubsRemovedAtClose", "conn-drained subs removed at the close", func(p *Profile) string { return yes(p.SubsRemovedAtClose) }},
		{"LinkErrorCallback", "a broken link is an async error (EOF)", func(p *Profile) string { return yes(p.LinkErrorCallback) }},
		{"ReviveClosedConn", "drain revives a connection closed under it", func(p *Profile) string { return yes(p.ReviveClosedConn) }},
		{"ResetOutboundAtAttempt", "link loss fails flushes, drops buffer at next attempt", func(p *Profile) string { return yes(p.ResetOutboundAtAttempt) }},
		{"ReconnectWaitFromAttempt", "reconnect wait counted from the last attempt", func(p *Profile) string { return yes(p.ReconnectWaitFromAttempt) }},
		{"FailedFlushEndsDrain", "failed final flush ends the drain, no close", func(p *Profile) string { return yes(p.FailedFlushEndsDrain) }},
		{"CloseRequestErr", "request pending at close fails with", func(p *Profile) string { return callResult(p.CloseRequestErr, "ErrClosed") }},
		{"ReplyUnchecked", "reply skips closed/draining checks", func(p *Profile) string { return yes(p.ReplyUnchecked) }},
		{"PendingMsgsLimit", "pending messages limit", func(p *Profile) string { return strconv.Itoa(p.PendingMsgsLimit) }},
		{"PendingBytesLimit", "pending bytes limit", func(p *Profile) string { return size(p.PendingBytesLimit) }},
		{"SyncChanLen", "sync subscription's channel", func(p *Profile) string { return strconv.Itoa(p.SyncChanLen) }},
		{"SyncLeavesByNextMsg", "a draining sync sub leaves only via NextMsg", func(p *Profile) string { return yes(p.SyncLeavesByNextMsg) }},
		{"WaitingNextMsgNoMax", "a waiting NextMsg ignores the max at removal", func(p *Profile) string { return yes(p.WaitingNextMsgNoMax) }},
		{"WokenAfterRead", "woken Flush/NextMsg runs after the read is parsed", func(p *Profile) string { return yes(p.WokenAfterRead) }},
		{"PendingCountsHeaders", "header bytes count in pending bytes", func(p *Profile) string { return yes(p.PendingCountsHeaders) }},
		{"ReconnectAtOnce", "first reconnect attempt at once; failures are async errors", func(p *Profile) string { return yes(p.ReconnectAtOnce) }},
		{"ReconnectWait", "reconnect wait", func(p *Profile) string { return dur(p.ReconnectWait, "0") }},
		{"ReconnectJitter", "reconnect jitter", func(p *Profile) string { return dur(p.ReconnectJitter, "0") }},
		{"MaxReconnect", "reconnect attempts", func(p *Profile) string { return strconv.Itoa(p.MaxReconnect) }},
		{"ReconnectBufSize", "reconnect buffer", func(p *Profile) string { return size(p.ReconnectBufSize) }},
		{"NoHeaders", "no headers: no no-responders status", func(p *Profile) string { return yes(p.NoHeaders) }},
		{"MaxPayload", "server max_payload", func(p *Profile) string { return size(p.MaxPayload) }},
	}
}

// ShortError abbreviates the connection-state error names for narrow
// tables: ErrConnectionDraining is ErrDraining, and so on.
func ShortError(name string) string {
	if rest, ok := strings.CutPrefix(name, "ErrConnection"); ok {
		return "Err" + rest
	}
	return name
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}

func dur(d time.Duration, zero string) string {
	if d == 0 {
		return zero
	}
	return d.String()
}

// pick names an enumerated knob's value; an out-of-range value shows as a
// number, so that a new constant without a name is visible, not hidden.
func pick(v int, names ...string) string {
	if v < 0 || v >= len(names) {
		return fmt.Sprintf("?%d", v)
	}
	return names[v]
}

// callResult shows a call's declared result: "" is none (the given word),
// "noop" is "no-op", an error its short name.
func callResult(rule, none string) string {
	switch rule {
	case "":
		return none
	case "noop":
		return "no-op"
	}
	return ShortError(rule)
}

func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n)
}
