package model

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// callback is one running invocation of a subscription's handler: busy for
// its drawn service time, then its actions in order, then it returns.
// Serial subscriptions reuse one callback value, so their hot path allocates
// nothing; concurrent ones (Profile.Concurrent) get one per message.
type callback struct {
	s *Sub
	// w is s.c.w, the run's world, which the callback's start and return
	// reach at every message: one load instead of two dependent ones.
	w    *World
	size int // what its message adds to the pending bytes (queued.size)
	n    int // 1-based count of callbacks started on s (HandlerAction.Nth)
	// serviceFn is what the handler's service timer calls: finish itself
	// when the handler has no actions (direct), the usual handler, so
	// that its return costs no frame of serviceDone's; else serviceDone.
	serviceFn func()
	// finish is the callback returning (finisher): a closure over the
	// callback, made once per callback value by bind, rather than a
	// method, whose method value, the service timer's event, went through
	// a wrapper frame (finish-fm) at every message: ~10 instructions, 1 %
	// of the standard scenario.
	finish func()
	// onLoopFn is serviceOnLoop, what the service timer of an awaiting
	// handler on an event loop calls (awaitsOnLoop): bound once per
	// callback value, where wrapping serviceFn with Conn.onLoop made a
	// closure for every message.
	onLoopFn func()
	// The small fields last, together: 56 bytes, not 72 with a padded
	// word after each, so that subKept, which holds a subscription's
	// serial callback, stays within three cache lines
	// (TestSubKeptFitsALineClass).
	d         int32 // the delivery being handled
	cancelled bool  // the connection's close cancelled it
	direct    bool
}

// newCallback gives concurrent subscription s a callback for its next
// message, a value of an earlier run where the Runner has one
// (recyclers.callbacks) with its method values bound: a callback and its
// service function were a seventh of the bytes a check scenario
// allocated. A callback stays its run's until the run ends, so a
// cancelled one's pending timer never reaches another message's.
func newCallback(s *Sub) *callback {
	cb := s.c.w.rc.callbacks.take()
	*cb = callback{serviceFn: cb.serviceFn, finish: cb.finish, direct: cb.direct, onLoopFn: cb.onLoopFn}
	cb.bind(s)
	return cb
}

// clearRun zeroes what a run changed in a serial subscription's callback
// (newSub), keeping what bind keeps and cb.s and cb.w, which bind sets to
// the same subscription and world: its pointer slots are not rewritten
// through the write barrier. TestCallbackClearRunClearsEveryField catches
// a field added to callback and not cleared here.
func (cb *callback) clearRun() {
	cb.size, cb.n, cb.d, cb.cancelled = 0, 0, 0, false
}

// bind makes cb a callback of s. It keeps cb's finish and service
// function when that is of the kind s's handler needs, as a Runner's
// subscription reused for the next run mostly finds them (a closure or
// method value allocates), else makes them.
func (cb *callback) bind(s *Sub) {
	direct := s.spec == nil || len(s.spec.Handler.Actions) == 0
	put(&cb.s, s)
	put(&cb.w, s.c.w)
	if cb.finish == nil {
		cb.finish = cb.finisher()
	}
	if cb.serviceFn != nil && cb.direct == direct {
		return
	}
	cb.direct = direct
	if direct {
		cb.serviceFn = cb.finish
		return
	}
	cb.serviceFn = cb.serviceDone
}

// startCallback runs the subscription's handler on message q.
//
// It is kept out of line so that its own hot calls, the handler-time draw
// and Sim.After, are inlined into it with cmd/drainsim/default.pgo: the
// profile names a call by its caller and line offset, and in a body inlined
// into top they were top's calls at offsets the profile does not name, two
// calls a message (1.3 % of the standard scenario's instructions).
//
// cb is the callback that runs it: the subscription's one (Sub.cb), or a
// concurrent subscription's new one (startConcurrent), made before the
// call, so that no call on a path of its own here has the message's
// fields and the world stored to the stack on every message.
//
// Off the plain turn (handOut, startConcurrent) the caller asks starts
// first, which stops the mux and writes a reserved record; top's turn for
// a subscription plain but for its reserved deliveries writes the record
// itself (Sub.writeReserved). The plain turn needs neither
// (Sub.reservedTo), and its start tests for none.
//
//go:noinline
func (s *Sub) startCallback(q queued, cb *callback) {
	w := cb.w
	d := q.d
	// The delivery's record is written (Ledger.start). These three lines
	// keep the draw's offset below (30 lines), which the profile names:
	// the mux's test (now Sub.starts) took them when it was made.
	now := w.sim.Now()
	w.ledger.start(d, q.at, now)
	s.running++
	s.handlerN++
	cb.d, cb.size, cb.n, cb.cancelled = d, q.size, s.handlerN, false
	s.rec.handed = append(s.rec.handed, d)
	if !s.ordinary { // an ordinary subscription is neither observed nor the mux
		if w.observed {
			cb.observe(scenario.CallbackStart, "callback.start", int(q.msg))
		}
		if s.mux {
			s.c.respHandler(d)
			cb.finish()
			return
		}
	}
	// cmd/drainsim/default.pgo names the draw below as hot by its line's
	// offset from the function's first (30 lines), and the compiler inlines
	// a Sampler's draw only where the profile names it: a draw not inlined
	// is a call with a frame of its own, ~12 instructions a message more.
	// The draw stays on that line until the profile is made again: a
	// change above it keeps the count of lines, as this comment's length
	// does. The After below is inlined wherever it is, and At never is
	// (Sim.At): neither depends on its line.
	busy := s.handlerTime.Sample()
	switch s.runs {
	case awaitsOnTask:
		w.sim.After(busy, cb.serviceFn)
		if busy > 0 {
			s.yield() // the callback awaits its work
		}
	case blocksTask:
		w.sim.After(busy, cb.serviceFn)
	case holdsLoop:
		// The callback's work holds the loop until it returns.
		s.c.hold()
		w.sim.After(busy, cb.serviceFn)
	case awaitsOnLoop:
		// The callback arms a timer of the loop and returns; its
		// actions run when the timer fires.
		if cb.onLoopFn == nil {
			cb.onLoopFn = cb.serviceOnLoop
		}
		w.sim.After(busy, cb.onLoopFn)
	}
}

// startConcurrent is startCallback for a concurrent subscription, in a
// callback of its own, live until it returns (Sub.live).
func (s *Sub) startConcurrent(q queued) {
	if !s.starts(q) {
		return
	}
	cb := newCallback(s)
	s.live = append(s.live, cb)
	s.startCallback(q, cb)
}

// starts reports whether q's callback starts off the plain turn
// (handOut, startConcurrent), and writes its delivery's record first if
// it was reserved (Sub.reservedTo), which startCallback does not. It
// does not when the record budget ended the run for s, the response mux,
// whose callbacks then return at once, each recording its request's call
// and starting the next (or the read does): the mux would otherwise work
// off its whole queue in this event. The delivery of q, read, then ends
// the run pending.
func (s *Sub) starts(q queued) bool {
	l := s.c.w.ledger
	if s.mux && s.c.w.sim.Stopping() {
		q.arrived(l)
		return false
	}
	l.writeDelivery(q.d)
	return true
}

// serviceOnLoop runs cb's service function as an event of its
// connection's loop (Conn.runOnLoop): the end of an awaiting handler's
// time on an event loop's client.
func (cb *callback) serviceOnLoop() { cb.s.c.runOnLoop(cb.serviceFn) }

// handlerRun is how a subscription's callback spends its service time:
// a property of the handler (Blocking) and the profile (EventLoop), so
// newSub decides it once (runsFor) and a callback tests one field of its
// subscription instead of two flags behind four pointers.
type handlerRun uint8

const (
	// awaitsOnTask: the callback runs on its subscription's own task
	// (nats.go's goroutine, an asyncio task) and awaits its work, so the
	// task yields while it is busy.
	awaitsOnTask handlerRun = iota
	// blocksTask: blocking work on the subscription's own task: no yield.
	blocksTask
	// holdsLoop: blocking work on an event loop's client, which holds
	// the connection's loop until the callback returns.
	holdsLoop
	// awaitsOnLoop: awaiting work on an event loop's client: the
	// callback arms a timer of the loop and returns.
	awaitsOnLoop
)

// runsFor is how the callbacks of spec's handler run under profile p. A
// response mux (spec nil) does not block; its callbacks return at once
// (startCallback) and never reach the choice.
func runsFor(p *Profile, spec *scenario.Subscription) handlerRun {
	blocking := spec != nil && spec.Handler.Blocking
	switch {
	case !p.EventLoop && blocking:
		return blocksTask
	case !p.EventLoop:
		return awaitsOnTask
	case blocking:
		return holdsLoop
	}
	return awaitsOnLoop
}

// observe traces the callback's start or end (ev, traced as kind) on
// message msg, and fires the actions that wait for it. The callers test
// first whether the run is traced or has triggers: most runs have
// neither, and the trace's fields no longer take room in their frames.
func (cb *callback) observe(ev scenario.Event, kind string, msg int) {
	s := cb.s
	w := s.c.w
	if w.tr != nil {
		w.trace(s.c.name, kind, sim.Str("sub", s.rec.ID), sim.Int("msg", int64(msg)))
	}
	if w.trig != nil {
		w.trig.callback(ev, s, cb.n, msg)
	}
}

// blocking reports whether the callback holds its connection's loop.
func (cb *callback) blocking() bool { return cb.s.runs == holdsLoop }

// serviceDone follows the service time of a handler with actions: they
// run, then the callback returns (a handler without any returns at once:
// bind).
func (cb *callback) serviceDone() { cb.runActions(0) }

// finisher returns cb's finish (callback.finish), the callback returning.
// It is kept out of line: the closure of a function inlined into its
// caller (bind) was compiled without inlining its own calls (sim.Now among
// them), ~2 instructions a message more than the method it replaced.
//
//go:noinline
func (cb *callback) finisher() func() {
	return func() {
		if cb.cancelled {
			return
		}
		s := cb.s
		w := cb.w
		dl := &w.ledger.Deliveries[cb.d] // written when it started (Ledger.start)
		// From in-callback, which the count of pending deliveries does not
		// hold (Ledger.setFate).
		dl.EndedAt, dl.Fate = w.sim.Now(), DlvHandled
		if s.plainReturn {
			// An ordinary subscription's callback (plainReturn: no limit, open,
			// no drain check waiting) takes the one step of endCallback's and
			// the rest's that applies to it, and afterCallback is top, which
			// the profile inlines at this line's offset: keep it (h26std).
			s.running--
			s.top()
			return
		}
		s.endCallback(cb)
		if cb.blocking() {
			s.c.release()
		}
		if w.observed {
			cb.observe(scenario.CallbackEnd, "callback.end", int(dl.Msg))
		}
		if w.mut.Has(DuplicateDelivery) && dl.Msg%10 == 0 && !s.dupDone[int(dl.Msg)] {
			if s.dupDone == nil {
				s.dupDone = map[int]bool{}
			}
			s.dupDone[int(dl.Msg)] = true
			s.rec.handed = append(s.rec.handed, ^cb.d) // a second copy (Ledger.handled)
		}
		if s.concurrent() {
			s.concurrentDone(cb.size)
			return
		}
		s.afterCallback()
	}
}

// endCallback takes cb off the subscription's running set. A serial
// subscription's only callback is s.cb, which no list holds.
func (s *Sub) endCallback(cb *callback) {
	s.running--
	if cb != s.cb {
		s.unlive(cb)
	}
}

// unlive takes concurrent callback cb off s.live, keeping the others in
// the order they started.
func (s *Sub) unlive(cb *callback) {
	s.live = slices.DeleteFunc(s.live, func(x *callback) bool { return x == cb })
}

// oldestCallback returns the running callback of s that started first, nil
// when none runs.
func (s *Sub) oldestCallback() *callback {
	switch {
	case s.running == 0:
		return nil
	case s.cb != nil:
		return s.cb
	}
	return s.live[0]
}

// cancelCallbacks stops every running callback of s now, as asyncio task
// cancellation or a Java thread interrupt does when the connection closes:
// their messages count as dropped, not handled.
func (s *Sub) cancelCallbacks() {
	w := s.c.w
	for cb := s.oldestCallback(); cb != nil; cb = s.oldestCallback() {
		cb.cancelled = true
		s.endCallback(cb)
		dl := w.ledger.delivery(cb.d)
		w.ledger.setFate(dl, DlvPending)
		w.ledger.drop(cb.d, w.sim.Now(), DropCancelled, true)
		w.trace(s.c.name, "callback.cancelled", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(dl.Msg)))
		if !s.concurrent() {
			// The executor is idle again, so the close wakes it to drop
			// the rest of the queue and exit.
			s.waiting = true
		}
	}
}

// runActions performs the handler's actions from index i, then returns from
// the callback. Actions that wait (request, sleep, publishing with an
// interval) continue from a timer.
func (cb *callback) runActions(i int) {
	if cb.cancelled {
		return
	}
	s := cb.s
	acts := s.spec.Handler.Actions
	if i >= len(acts) {
		cb.finish()
		return
	}
	w := s.c.w
	c := s.c
	src := callbackSource(s.rec.ID, cb.n)
	msg := w.ledger.Message(int(w.ledger.delivery(cb.d).Msg))
	for ; i < len(acts); i++ {
		a := &acts[i]
		if a.Nth > 0 && a.Nth != cb.n {
			continue
		}
		// call records the action's calls: a value, so that rec stays on
		// the stack and the actions that wait keep it in their actionWait
		// (a closure they shared was the largest object a check scenario
		// allocated).
		call := actCall{w: w, src: src, verb: a.Kind(), now: w.sim.Now()}
		rec := func(err string, id int) { call.rec(c.name, s.rec.ID, err, id) }
		switch {
		case a.Reply != nil:
			if msg.Reply == 0 {
				rec(ErrMsgNoReply, 0)
				continue
			}
			rec(c.reply(c.w.ledger.Str(msg.Reply), a.Reply.Size))
		case a.Publish != nil:
			p := a.Publish
			cb.newWait(i, call).publishes()
			if p.Count > 1 && p.Interval > 0 && !s.spec.Handler.Blocking {
				s.yield()
			}
			return
		case a.Request != nil:
			cb.newWait(i, call).requests()
			s.yield()
			return
		case a.Sleep != nil:
			resume := cb.newWait(i, call).resumeFn
			if !cb.blocking() {
				resume = c.onLoop(resume)
			}
			w.sim.After(a.Sleep.Sample(s.handlerRn, "handler-sleep"), resume)
			if !s.spec.Handler.Blocking {
				s.yield()
			}
			return
		case a.Unsubscribe != nil:
			rec(s.Unsubscribe(), 0)
		case a.DrainSub != nil:
			s.DrainCall(c.drainTimeoutFor(a.DrainSub), cb.newWait(i, call).drainedFn)
			return
		case a.Subscribe != nil:
			rec(w.subscribeDeferred(c, w.sc.Sub(a.Subscribe.Sub)), 0)
		case a.Drain != nil && a.Drain.Wait:
			starts := c.drainStarts
			rec(c.Drain(), 0)
			if c.drainStarts != starts {
				// The callback waits until the drain is done.
				r := c.rarely()
				r.drainWaiters = append(r.drainWaiters, cb.newWait(i, call).resumeFn)
				return
			}
		case a.Drain != nil && c.w.profile.DrainCallFlushes:
			c.DrainCall(cb.newWait(i, call).drainedFn)
			return
		case a.Drain != nil:
			rec(c.drainFromCallback(s), 0)
		default:
			panic(fmt.Sprintf("model: handler action %d of %s has no verb", i, s.rec.ID))
		}
	}
	cb.finish()
}

// callbackSource is the source of the calls a subscription's n-th
// callback makes, "sub#n", made in one allocation: concatenating the
// formatted count made two for every count past 99.
func callbackSource(sub string, n int) string {
	var buf [48]byte
	return string(strconv.AppendInt(append(append(buf[:0], sub...), '#'), int64(n), 10))
}

// actionWait is a handler action that waits, for the callback that runs
// it (runActions): a publish of a count, requests, a sleep, a drain. It
// holds what its events need: the action, its call value (the time of
// the call it makes), the calls made, and the events themselves, bound
// once per value: a Runner reuses its actionWaits from run to run
// (recyclers.actionWaits), where a closure for each event (the action's
// continuation, every call of a publish or request, the step of repeat)
// were a fifth of the bytes a check scenario allocated. An actionWait
// stays its run's until the run ends, however long a timer still reaches
// it; a callback waits for one action at a time, and a cancelled one's
// events end at its cancelled flag.
type actionWait struct {
	cb   *callback
	a    *scenario.HandlerAction
	next int     // the action after it
	call actCall // records its calls
	k    int     // calls made (publish, request)
	// blocking: a request of a callback that holds its loop, which
	// gives the loop back while it waits (requests).
	blocking bool

	resumeFn, publishFn, requestFn func()
	requestDoneFn                  func(err string, msg int)
	drainedFn                      func(err string)
}

// newWait gives cb an actionWait for its i-th action, whose calls call
// records, from the Runner's arena.
func (cb *callback) newWait(i int, call actCall) *actionWait {
	aw := cb.s.c.w.rc.actionWaits.take()
	if aw.resumeFn == nil {
		aw.resumeFn, aw.publishFn, aw.requestFn = aw.resume, aw.publishAgain, aw.requests
		aw.requestDoneFn, aw.drainedFn = aw.requestDone, aw.drained
	}
	*aw = actionWait{cb: cb, a: &cb.s.spec.Handler.Actions[i], next: i + 1, call: call,
		resumeFn: aw.resumeFn, publishFn: aw.publishFn, requestFn: aw.requestFn,
		requestDoneFn: aw.requestDoneFn, drainedFn: aw.drainedFn}
	return aw
}

// resume runs the callback's actions after this one.
func (aw *actionWait) resume() { aw.cb.runActions(aw.next) }

// rec records one call of the action.
func (aw *actionWait) rec(err string, id int) {
	s := aw.cb.s
	aw.call.rec(s.c.name, s.rec.ID, err, id)
}

// drained records a drain call's return and resumes the callback.
func (aw *actionWait) drained(err string) {
	aw.rec(err, 0)
	aw.resume()
}

// publishes makes a publish action's calls from the k-th on, Interval
// apart (the callback is busy meanwhile), then resumes the callback.
// Calls without an interval are made in one loop, which ends, without
// resuming, when the record budget stops the run.
func (aw *actionWait) publishes() {
	p, w := aw.a.Publish, aw.cb.s.c.w
	for ; aw.k < max(p.Count, 1); aw.k++ {
		if w.sim.Stopping() {
			return
		}
		if aw.k > 0 && p.Interval > 0 {
			w.sim.After(p.Interval, aw.publishFn)
			return
		}
		aw.publish()
	}
	aw.resume()
}

// publishAgain makes the call an interval waited for, then the rest.
func (aw *actionWait) publishAgain() {
	aw.publish()
	aw.k++
	aw.publishes()
}

// publish makes one call of a publish action, unless the callback was
// cancelled.
func (aw *actionWait) publish() {
	if aw.cb.cancelled {
		return
	}
	p := aw.a.Publish
	aw.rec(aw.cb.s.c.publish(p.Subject, p.Reply, p.Size, p.Headers, true))
}

// requests makes a handler's request action from its k-th request on:
// Count requests, one after the other, each waiting for its reply or
// timeout, Interval apart; then resumes the callback.
func (aw *actionWait) requests() {
	cb, r := aw.cb, aw.a.Request
	if cb.cancelled {
		return
	}
	if aw.k >= max(r.Count, 1) {
		aw.resume()
		return
	}
	c := cb.s.c
	aw.call.verb, aw.call.now = "request", c.w.sim.Now()
	aw.blocking = cb.blocking()
	if aw.blocking {
		// A Fiber-based request yields: the callback gives the loop back
		// while it waits, and takes it again when the reply or timeout
		// resumes it.
		c.release()
	}
	c.Request(r.Subject, r.Size, r.Timeout, aw.requestDoneFn)
}

// requestDone records the k-th request's return and makes the next one
// an interval later.
func (aw *actionWait) requestDone(err string, id int) {
	cb := aw.cb
	if aw.blocking && !cb.cancelled {
		cb.s.c.hold()
	}
	aw.rec(err, id)
	aw.k++
	cb.s.c.w.sim.After(aw.a.Request.Interval, aw.requestFn)
}
