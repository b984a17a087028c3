package props

// KnownViolation is a verdict of the matrix that the catalogue expects: a
// library-neutral promise of the NATS drain documentation that a profile's
// library breaks, by a present-day bug, by design, or (Inferred) by a
// behaviour only inferred from the library's code.
type KnownViolation struct {
	Profile, Invariant string
	// Why says in one sentence what the library does that breaks the
	// promise.
	Why string
	// Source is where the behaviour is recorded: the upstream issue or PR
	// where there is one, and the docs section describing it
	// (docs/profiles/NAME.md#anchor), which TestKnownViolationRefsResolve
	// checks exists.
	Source string
	// Inferred names the profile's inferred behaviour (model.Inferred.ID)
	// the violation rests on, "" when the behaviour is established.
	Inferred string
	// Seen names the real library, with its version, on which this
	// violation's committed counterexample (examples/matrix) was played
	// through its driver and did what the model does, e.g. "nats.go
	// v1.53.1"; "" when it has not been run on the real library. The
	// conformance tests check it whenever the library's driver runs.
	Seen string
	// GenSeed, when not 0, is a generator seed (as drainsim check prints
	// it) whose GenProfileScenario shows the violation, for one too rare
	// for the matrix's runs to reach: the matrix plays that scenario too
	// when its own runs showed the violation nowhere (RunMatrix).
	GenSeed uint64
}

// KnownViolations returns the violations the matrix is expected to show,
// by profile then in catalogue order. Every other cell must hold: a
// violation not listed here is a bug in the model or a new finding.
func KnownViolations() []KnownViolation {
	return knownViolations
}

var knownViolations = []KnownViolation{
	{Profile: "c", Invariant: "drain-closes", Source: "C-M8 (nats.c #310), seen on nats.c 3.4.1; natsSub_nextMsg unchanged in 3.11 (docs/profiles/c.md#sync-subscriptions-leave-only-through-nextmsg-c-m8)",
		Why: "an empty draining sync subscription leaves only through a NextMsg with a timeout, so a drain without a timeout whose sync subscription is not read that way never ends"},
	{Profile: "c", Invariant: "closed-callback", Source: "DrainErrAfterClose: nats.c's _pushDrainErr posts to the callback thread after the close, read from the 3.11 code, seen on nats.c 3.4.1 (docs/profiles/c.md#drain-errors-after-the-closed-callback)",
		Why: "an error the drain raises after the connection closed under it (its final flush failing on the closed connection) is still posted, after the closed callback"},
	{Profile: "c-3.4", Invariant: "closed-callback", Seen: "nats.c v3.4.1", Source: "PollDeadlineFirst + DrainErrAfterClose, seen on nats.c 3.4.1 (docs/profiles/c-3.4.md#deadline-checked-before-the-subscriptions)",
		Why: "a drain error raised after the connection closed under it (a timeout found by a poll past the deadline, or a failed final flush) is still posted, after the closed callback"},
	{Profile: "c-3.4", Invariant: "replies-reach-requester", Seen: "nats.c v3.4.1", Source: "C-M1 (nats.c #911, fixed in v3.11.0), seen on nats.c 3.4.1 (docs/profiles/c-3.4.md#response-mux-drained-with-the-others-c-m1)",
		Why: "the response mux is UNSUB'd with the other subscriptions, so the reply to a request a handler makes during the drain finds no interest"},
	{Profile: "go-1.53", Invariant: "closed-is-final", Source: "nats.go B12, fixed in v1.55.0 (docs/profiles/go-1.53.md#closed-connection-revived-b12)", Seen: "nats.go v1.53.1",
		Why: "a drain waiting when a Close or a disconnect closed the connection sets it back to DRAINING_PUBS, waits 5 s for a final flush that cannot succeed and closes it again"},
	{Profile: "csharp-v1", Invariant: "drain-waits-for-callbacks", Inferred: "CS-M4", Source: "CS-M4 (docs/profiles/csharp-v1.md#cs-m4-drained-while-the-last-callback-runs)",
		Why: "the pending count drops before the handler runs, so a subscription counts as drained while its last callback still runs"},
	{Profile: "csharp-v1", Invariant: "replies-reach-requester", Source: "read from the code (docs/profiles/csharp-v1.md#response-mux-drained-with-the-others)",
		Why: "the response mux is an ordinary subscription drained with the others, so a reply arriving after its barrier is lost"},
	{Profile: "java", Invariant: "replies-reach-requester", Seen: "nats.java 2.26.2", Source: "nats.java 2.26.2 (docs/profiles/java.md#requests-refused-inbox-drained-with-everything)",
		Why: "the request inbox dispatcher is drained with everything else, so a reply to a request made before the drain is lost once its barrier passed"},
	{Profile: "java", Invariant: "no-loss-under-drain", Source: "nats.java #1616 (J-M1) (docs/profiles/java.md#subscription-drain-completes-true-after-a-timeout-j-m1)", Seen: "nats.java 2.26.2",
		Why: "a subscription drain whose timeout runs out drops what the subscription still holds, and its future still completes true"},
	{Profile: "java", Invariant: "queue-drain-no-loss", Source: "nats.java #1616 (J-M1) (docs/profiles/java.md#a-queue-members-timed-out-drain-loses-the-groups-messages-j-m1)", GenSeed: 53157,
		Why: "a queue member's subscription drain whose timeout runs out drops the messages the server routed to it before its UNSUB, and its future still completes true"},
	{Profile: "java", Invariant: "drain-closes", Source: "nats.java #217: I/O errors swallowed while draining; drain-zero-timeout-disconnect (docs/profiles/java.md#io-errors-swallowed-while-draining)",
		Why: "with a zero timeout, a drain whose link broke waits for ever in a flush (I/O errors are swallowed while draining): the connection never closes"},
	{Profile: "java", Invariant: "no-silent-loss", Source: "nats.java #217: I/O errors swallowed while draining; drain-zero-timeout-disconnect (docs/profiles/java.md#io-errors-swallowed-while-draining)",
		Why: "publishes buffered by a drain that waits for ever on a broken link stay unsent, with no error"},
	{Profile: "natsjs", Invariant: "no-callback-after-unsubscribe", Seen: "nats.js 2.29.3", Source: "nats.js 2.29.3 (docs/profiles/natsjs.md#iterators-yield-after-close)",
		Why: "an iterator still yields the messages it held after Unsubscribe returned: closing only queues an end marker behind them"},
	{Profile: "natsjs", Invariant: "drain-waits-for-callbacks", Seen: "nats.js 2.29.3", Source: "nats.js 2.29.3 (docs/profiles/natsjs.md#callbacks-are-not-waited-for)",
		Why: "a subscription is drained at its barrier's PONG; the drain does not wait for async callback bodies"},
	{Profile: "natsjs", Invariant: "replies-reach-requester", Source: "read from the code (docs/profiles/natsjs.md#requests-refused-mux-drained-with-the-others)",
		Why: "the request mux drains with the other subscriptions, so a reply to a request made before the drain is lost once its barrier passed"},
	{Profile: "natsjs", Invariant: "drain-closes", Source: "issue 10, measured on nats 2.29.3 (docs/profiles/natsjs.md#a-disconnect-keeps-the-drain-going-js-m4-refuted)", Seen: "nats.js 2.29.3",
		Why: "an outage outlasting the first reconnect attempt fails the final flush at the next attempt: drain() resolves, close is skipped, and the connection reconnects and stays draining"},
	{Profile: "natsjs", Invariant: "outbound-complete", Source: "issue 10, measured on nats 2.29.3 (docs/profiles/natsjs.md#a-disconnect-keeps-the-drain-going-js-m4-refuted)", Seen: "nats.js 2.29.3",
		Why: "a publish accepted while the link is down is discarded when the reconnect attempt resets the buffer; the final flush on the new link then succeeds without it"},
	{Profile: "node-v1", Invariant: "no-loss-under-drain", Seen: "node-nats 1.4.12", Source: "N1-M1, confirmed on node-nats 1.4.12 (docs/profiles/node-v1.md#n1-m1-the-connection-drain-sends-no-unsub)",
		Why: "the connection drain sends no UNSUB and closes after one PING/PONG, so messages still routed to its subscriptions are dropped at the close"},
	{Profile: "node-v1", Invariant: "drain-waits-for-callbacks", Source: "node-nats 1.4.12 (docs/profiles/node-v1.md#callbacks-run-on-arrival-drained-at-the-pong)", Seen: "node-nats 1.4.12",
		Why: "a subscription is drained at its barrier's PONG; the drain does not wait for async callback bodies"},
	{Profile: "node-v1", Invariant: "queue-drain-no-loss", Source: "N1-M1, confirmed on node-nats 1.4.12 (docs/profiles/node-v1.md#n1-m1-the-connection-drain-sends-no-unsub)", Seen: "node-nats 1.4.12",
		Why: "without an UNSUB the server keeps giving the draining queue member its share, which the close drops"},
	{Profile: "node-v1", Invariant: "timeout-honesty", Seen: "node-nats 1.4.12", Source: "N1-M1, confirmed on node-nats 1.4.12 (docs/profiles/node-v1.md#n1-m1-the-connection-drain-sends-no-unsub)",
		Why: "the drain reports success (it has no timeout) although its close dropped messages still routed to it"},
	{Profile: "node-v1", Invariant: "closed-callback", Source: "node-nats #210 (N1-M3) (docs/profiles/node-v1.md#no-close-event-after-a-drain-n1-m3)", Seen: "node-nats 1.4.12",
		Why: "close() removes every listener, so no close event follows a drain, not even one a disconnect ended"},
	{Profile: "node-v1", Invariant: "no-silent-loss", Source: "node-nats 1.4.12 (docs/profiles/node-v1.md#requests-refused-pending-requests-forgotten-at-close)", Seen: "node-nats 1.4.12",
		Why: "close() forgets pending requests without calling them back, so a handler waiting on one when a drain closes the connection never returns"},
	{Profile: "python", Invariant: "drain-closes", Seen: "nats.py 2.15.0", Source: "nats.py 2.15.0, measured (docs/profiles/python.md#a-failed-final-flush-skips-the-close, docs/profiles/python.md#a-cancelled-barrier-kills-the-read-loop)",
		Why: "a final flush that fails (a disconnect loses its PONG, or a drain timeout left a cancelled barrier waiter that kills the read loop) raises out of drain() before close: the connection is never closed"},
	{Profile: "python", Invariant: "timeout-honesty", Seen: "nats.py 2.15.0", Source: "nats.py 2.15.0, measured (docs/profiles/python.md#a-cancelled-barrier-kills-the-read-loop, docs/profiles/python.md#a-disconnect-reconnects-and-forgets-the-drain-py-m5)",
		Why: "a drain timeout with a barrier still unanswered kills the read loop, so the final flush fails and the connection never closes; and a reconnect during the drain forgets it, so a second Drain reports the timeout again"},
	{Profile: "python", Invariant: "replies-reach-requester", Seen: "nats.py 2.15.0", Source: "nats.py 2.15.0, measured (docs/profiles/python.md#requests-during-the-drain-lose-their-replies)",
		Why: "a request from a handler is still allowed while draining, but the mux drains with the others, so its reply is lost once the mux's barrier passed"},
	{Profile: "ruby-em", Invariant: "drain-waits-for-callbacks", Source: "measured on ruby-nats 0.11.2 (docs/profiles/ruby-em.md#unsub-all-one-barrier-then-a-100-ms-timer)", Seen: "ruby-nats 0.11.2",
		Why: "the drain ends at the first tick of its 100 ms timer; a handler that awaits (an EM timer) returned from its callback at once and is not waited for"},
	{Profile: "ruby-em", Invariant: "drain-closes", Source: "RB-M2, measured on ruby-nats 0.11.2 (docs/profiles/ruby-em.md#rb-m2-a-disconnect-before-the-pong-hangs-the-drain)", Seen: "ruby-nats 0.11.2",
		Why: "a disconnect before the barrier's PONG loses the PONG, and the drain's timer is only armed by it: the drain never ends"},
	{Profile: "ruby-em", Invariant: "api-refusal-rules", Source: "measured on ruby-nats 0.11.2 (docs/profiles/ruby-em.md#late-publishes-dropped-silently)", Seen: "ruby-nats 0.11.2",
		Why: "publish returns without an error and sends nothing once the subscriptions drained, and so after the drain closed the connection"},
	{Profile: "ruby-em", Invariant: "replies-reach-requester", Source: "measured on ruby-nats 0.11.2 (docs/profiles/ruby-em.md#requests-lose-their-replies)", Seen: "ruby-nats 0.11.2",
		Why: "the response mux is UNSUB'd with every other subscription at the start of the drain, so a reply to a request made before it is lost"},
}

// Known returns the known violation of invariant (or the determinism
// check) under profile, if there is one.
func Known(profile, invariant string) (KnownViolation, bool) {
	for _, k := range knownViolations {
		if k.Profile == profile && k.Invariant == invariant {
			return k, true
		}
	}
	return KnownViolation{}, false
}

// IsKnown reports whether profile is known to violate invariant.
func IsKnown(profile, invariant string) bool {
	_, ok := Known(profile, invariant)
	return ok
}
