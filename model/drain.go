package model

import (
	"slices"
	"time"

	"github.com/drainsim/drainsim/sim"
)

// Drain is the connection drain call. It only validates and flips the status
// to DRAINING_SUBS; everything else happens in drainConnection. What it
// returns in each state is the profile's.
func (c *Conn) Drain() string {
	p := c.w.profile
	switch {
	case c.isClosed():
		return p.DrainClosedErr
	case c.isReconnecting() && p.DrainReconnecting != Proceed:
		if p.DrainReconnecting == CloseAndRefuse && !c.w.mut.Has(DrainReconnectingNoClose) {
			c.Close()
		}
		return ErrConnectionReconnect
	case c.isDraining(), p.DisconnectMidDrain == ReconnectKeepDrain && c.rec.DrainCalledAt != NoTime:
		return p.DoubleDrainErr
	}
	if c.rec.DrainCalledAt == NoTime {
		c.rec.DrainCalledAt = c.now()
	}
	if p.CloseInDrainWithoutSubs && c.subs.len() == 0 {
		// node-nats v1: nothing to drain, so no final flush either: the
		// connection closes and the drain completes before Drain returns.
		c.setStatus(DrainingSubs)
		c.setStatus(DrainingPubs)
		c.drainClose()
		return ""
	}
	c.startDrain()
	return ""
}

// startDrain flips the status to DRAINING_SUBS and starts drainConnection.
func (c *Conn) startDrain() {
	c.drainStarts++
	c.cancelLagged = false
	c.setStatus(DrainingSubs)
	if c.w.profile.EventLoop {
		// On one event loop the drain call itself queues the UNSUBs and
		// the barrier PING (ruby-nats: before a publish made right after
		// it; measured on 0.11.2, examples/matrix/ruby-em--drain-waits-for-callbacks.yaml).
		c.drainConnection()
		return
	}
	cw := c.waiting()
	if cw.drainFn == nil {
		cw.drainFn = c.drainConnection
	}
	c.w.sim.At(c.now(), cw.drainFn)
}

// drainFromCallback is a Drain called by a callback of s. Under
// DrainAtYield it is a task of its own: it returns at once, and the drain
// starts when s's task next yields.
func (c *Conn) drainFromCallback(s *Sub) string {
	if !c.w.profile.DrainAtYield {
		return c.Drain()
	}
	if c.isClosed() || c.isReconnecting() || c.isDraining() {
		return c.Drain()
	}
	if c.rec.DrainCalledAt == NoTime {
		c.rec.DrainCalledAt = c.now()
	}
	// Every drain task started at one yield checks the status before any
	// of them sets DRAINING_SUBS (nats.py sets it after an
	// asyncio.sleep(0)), so two such calls both drain.
	s.atYield = append(s.atYield, func(wasDraining bool) {
		if c.isClosed() || c.isReconnecting() || wasDraining {
			return
		}
		c.startDrain()
	})
	return ""
}

// muxFirst reports whether the response mux is drained with the other
// subscriptions rather than last.
func (c *Conn) muxFirst() bool {
	return c.w.profile.Mux == MuxWithOthers || c.w.mut.Has(RespMuxDrainedWithSubs)
}

// drainConnection is the connection drain's background work: UNSUB every
// subscription (the response mux with them or last, per profile), prove the
// UNSUBs reached the server with a PING/PONG barrier (one per subscription
// or one shared), wait until every subscription is drained or the deadline
// passes, report a timeout, then DRAINING_PUBS, a final flush and close.
func (c *Conn) drainConnection() {
	w := c.w
	p := w.profile
	if c.isClosed() {
		return
	}
	if c.isReconnecting() && p.DrainReconnecting == CloseAndRefuse {
		c.Close()
		return
	}
	if p.NoUnsubOnConnDrain {
		// node-nats v1: every subscription "drains" at once with an error
		// the drain ignores, so it only flushes and closes.
		c.rec.DrainDeadline = NoTime
		c.finishDrain()
		return
	}
	d := c.waiting().drains.take()
	d.reuse(c)
	for s := range c.subs.all() {
		if s != d.mux || c.muxFirst() {
			d.subs = append(d.subs, s)
		}
	}
	// The libraries snapshot a map or a set: the order is unspecified, so it
	// is drawn.
	n := len(d.subs)
	d.order = slices.Grow(d.order[:0], n)[:n]
	if n > 1 {
		// A permutation of one draws nothing, and a stream's draws depend
		// on its name alone, so a connection with one subscription need
		// not make its drain stream (a restream: hashing the client's
		// name, a third of a client's stream set-up in Scale/clients=1k).
		r := c.rarely()
		sim.PermInto(c.stream(&r.drainRng, &r.ownDrainRng, "drain"), "drain-order", d.order)
	} else if n == 1 {
		d.order[0] = 0
	}
	if w.mut.Has(MapOrderSnapshot) {
		d.order = mapOrder(n)
	}
	d.ordered = slices.Grow(d.ordered[:0], n)[:n]
	for k, i := range d.order {
		d.ordered[k] = d.subs[i]
	}
	if c.muxFirst() {
		d.mux = nil
	}
	if w.tr != nil {
		w.trace(c.name, "drain.wait", sim.Int("subs", int64(n)), sim.Dur("timeout", c.opts.drainTimeout))
	}
	d.early = c.deadline()
	c.drainBatch(d.ordered, d.started)
}

// connDrain is one drainConnection in progress: the subscriptions it
// drains, in their drawn order, and its continuations, bound once. A
// connection reuses its drains from run to run (connWaits.drains, rewound in its
// set-up; a connection may drain more than once in a run, so each drain
// takes one of its own): their lists and closures, made anew for every
// drain, were 3.5 of Scale/clients=1k's 5.6 allocations per client.
type connDrain struct {
	c *Conn
	// mux is the response mux when it drains last, after the others.
	mux *Sub
	// subs is c's subscriptions at the drain's start, order the drawn
	// order and ordered subs in it: drainBatch keeps ordered until its
	// barrier returns.
	subs, ordered []*Sub
	order         []int
	// early is the deadline counted from the drain's start
	// (PollFromBarrier with AfterUnsubs), deadline the one the wait uses.
	early, deadline sim.Time
	// started and waited are d.start and d.wait.
	started, waited func()
}

// reuse readies d, taken from c's drains (a new one, or one of c's earlier
// runs), for a drain of c: its subscriptions emptied, its order arrays
// kept (drainConnection sizes them), its events bound once, the rest
// zero. It writes the fields one by one, as flushWait.reuse does: a
// composite literal assigned to *d is built on the stack and copied with
// the write barrier's bulk pass over the whole struct while the collector
// marks, and 16-byte loads of the 8-byte stores just made (store-forwarding
// stalls, see Conn.clear). TestDrainStateReuseClearsEveryField catches a
// field added to connDrain and not written here.
func (d *connDrain) reuse(c *Conn) {
	if d.started == nil {
		d.started, d.waited = d.start, d.wait
	}
	d.c, d.mux, d.subs, d.early, d.deadline = c, c.respMux(), d.subs[:0], 0, 0
}

// start begins the wait for the subscriptions, once the deadline clock
// should start (drainBatch's started).
func (d *connDrain) start() {
	c, p := d.c, d.c.w.profile
	d.deadline = c.deadline()
	if p.PollFromBarrier && p.TimeoutStart == AfterUnsubs {
		d.deadline = d.early
	}
	if d.deadline != sim.Never {
		c.rec.DrainDeadline = d.deadline
	}
	min := 0
	if d.mux != nil {
		min = 1
	}
	c.waitSubs(d.deadline, min, d.waited)
}

// wait ends the wait for the subscriptions: the drain finishes, or drains
// the response mux last and waits for it too.
func (d *connDrain) wait() {
	c := d.c
	if d.mux == nil {
		c.finishDrain()
		return
	}
	c.drainBatch([]*Sub{d.mux}, func() { c.waitSubs(d.deadline, 0, c.finishDrain) })
}

// drainBatch UNSUBs subs and starts their completion checks behind the
// profile's barrier; then, once the deadline clock (or, under PollFromBarrier,
// the wait) should start, it calls
// started. With a barrier per subscription the clock starts right after the
// UNSUBs are queued; with a shared barrier it may start after its PONG.
func (c *Conn) drainBatch(subs []*Sub, started func()) {
	p := c.w.profile
	if p.Barrier == BarrierPerSub {
		for _, s := range subs {
			if err := c.unsubscribe(s, 0, true); err != "" {
				c.pushErr(err, "")
			}
		}
		if p.TimeoutCancelsSubDrains {
			// The subscription drains run (UNSUB, barrier PING) before
			// the deadline is first checked (nats.py's asyncio.sleep(0)).
			c.w.sim.At(c.now(), started)
			return
		}
		started()
		return
	}
	for _, s := range subs {
		c.markDraining(s)
	}
	afterBarrier := p.TimeoutStart == AfterBarrier || p.PollFromBarrier
	if !afterBarrier {
		started()
	}
	c.drainBarrier(func(err string) {
		if r := c.rare; r != nil && r.drainCallDone != nil {
			// DrainCallFlushes: the drain call returns now; a failed
			// barrier closes the connection and the drain never completes.
			done := r.drainCallDone
			r.drainCallDone = nil
			if err != "" {
				// the call throws: no drain was started, as far as the
				// application can tell
				c.rec.DrainCalledAt = NoTime
				c.Close()
				done(ErrTimeout)
				return
			}
			done("")
		}
		for _, s := range subs {
			c.afterBarrier(s)
		}
		if afterBarrier {
			started()
		}
	})
}

// DrainCall is the application's connection drain call: done runs when it
// returns, at once, or under DrainCallFlushes once the drain's barrier
// returned or failed.
func (c *Conn) DrainCall(done func(err string)) {
	if err, waits := c.drainCall(); waits {
		c.rarely().drainCallDone = done
	} else {
		done(err)
	}
}

// drainCall calls Drain: it returns the call's error, or waits when the
// call returns only once the drain's barrier has (DrainCallFlushes), to
// c.drainCallDone, which the caller sets. A caller that records the call
// at once needs no closure then (World.act: one allocation per client).
func (c *Conn) drainCall() (err string, waits bool) {
	was := c.isDraining() || c.isClosed()
	err = c.Drain()
	return err, err == "" && !was && c.w.profile.DrainCallFlushes && c.isDraining()
}

// drainBarrier is the connection drain's shared barrier: its error is
// ignored, except under DrainCallFlushes, where the drain call makes it
// with the drain timeout as its bound.
func (c *Conn) drainBarrier(then func(err string)) {
	if !c.w.profile.DrainCallFlushes || c.w.mut.Has(NoFlushBarrier) {
		c.barrier(func(string) { then("") })
		return
	}
	c.Flush(boundOrForever(c.opts.drainTimeout), then)
}

// boundOrForever is a flush bound: t, or no bound for a zero timeout.
func boundOrForever(t time.Duration) time.Duration {
	if t <= 0 {
		return waitForever
	}
	return t
}

// deadline is when the drain gives up, counted from now.
func (c *Conn) deadline() sim.Time {
	p := c.w.profile
	t := c.opts.drainTimeout
	if p.TimeoutStart == NoTimeout || (t <= 0 && p.ZeroTimeout == ZeroIsForever) || c.w.mut.Has(NoDrainTimeout) {
		return sim.Never
	}
	return c.now().Add(t)
}

// waitSubs waits until exactly min subscriptions are left
// (NumSubscriptions() == min) or the deadline has passed, then calls next:
// by polling every ConnDrainPoll from now on, or, when the profile's poll is
// zero, by being woken whenever a subscription is removed. A connection
// closed meanwhile ends the drain quietly (nats.go v1.55.0).
func (c *Conn) waitSubs(deadline sim.Time, min int, next func()) {
	p := c.w.profile
	d := c.waiting().drainWaits.take()
	d.reuse(c, deadline, min, next)
	if (p.ConnDrainPoll == 0 || p.DeadlineTimer) && deadline != sim.Never {
		d.timer = c.w.sim.At(deadline, c.onLoop(d.check))
	}
	if p.ConnDrainPoll > 0 && p.PollFirstWaits {
		c.w.sim.After(p.ConnDrainPoll, c.onLoop(d.check))
		return
	}
	d.check()
}

// drainWait is one waitSubs in progress. check, d.run bound once, is its
// deadline timer's, poll's or wake-up's event: a connection reuses its
// drainWaits from run to run (connWaits.drainWaits), and a new closure for every
// wait was a tenth of a small run's allocations.
type drainWait struct {
	c        *Conn
	deadline sim.Time
	min      int
	next     func()
	timer    sim.Timer
	done     bool
	check    func()
}

// reuse readies d, taken from c's drainWaits, for a wait of c until min
// subscriptions are left or deadline, then next: its event bound once, the
// rest written field by field (as connDrain.reuse, and for its reasons).
// TestDrainStateReuseClearsEveryField catches a field added to drainWait
// and not written here.
func (d *drainWait) reuse(c *Conn, deadline sim.Time, min int, next func()) {
	if d.check == nil {
		d.check = d.run
	}
	d.c, d.deadline, d.min, d.next, d.timer, d.done = c, deadline, min, next, sim.Timer{}, false
}

// run is one check of the wait: it ends the wait (calling next, or, on a
// closed connection, quietly) or polls again.
func (d *drainWait) run() {
	c := d.c
	poll := c.w.profile.ConnDrainPoll
	if d.done {
		return
	}
	if c.now() >= d.deadline {
		d.done = true
		if poll > 0 && c.w.profile.PollDeadlineFirst {
			c.drainDeadlinePolled = true
		}
		d.next()
		return
	}
	if c.isClosed() && !c.revivesClosed() {
		d.done = true
		if c.w.mut.Has(ClosedCBTwice) {
			c.closedAgain()
		}
		return
	}
	if c.subs.len() == d.min {
		d.done = true
		c.w.sim.Cancel(d.timer)
		c.setOnSubRemoved(nil)
		d.next()
		return
	}
	if poll > 0 {
		c.w.sim.After(poll, c.onLoop(d.check))
		return
	}
	c.setOnSubRemoved(d.check)
}

// finishDrain reports a timeout if subscriptions are left, then moves to
// DRAINING_PUBS, flushes what was published and closes.
func (c *Conn) finishDrain() {
	w := c.w
	p := w.profile
	c.setOnSubRemoved(nil)
	timedOut := (c.subs.len() != 0 || c.drainDeadlinePolled) && !p.NoUnsubOnConnDrain
	if timedOut && p.TimeoutCancelsSubDrains && p.TimeoutCancelLag > 0 && !c.cancelLagged {
		// The timeout takes effect once the cancelled subscription drain
		// tasks have run: the subscriptions stay, and a barrier PONG that
		// arrives meanwhile is still read.
		c.cancelLagged = true
		for s := range c.subs.all() {
			if s.draining {
				s.drainCancelled = true
				s.setProgress(nil)
			}
		}
		w.sim.After(p.TimeoutCancelLag, c.finishDrain)
		return
	}
	if timedOut {
		c.rec.DrainTimedOut = true
		w.trace(c.name, "drain.timeout", sim.Int("subs_left", int64(c.subs.len())))
		if p.TimeoutCancelsSubDrains {
			c.cancelSubDrains()
		}
		if !w.mut.Has(TimeoutNotReported) {
			c.rec.DrainResult = w.ledger.Intern(ErrDrainTimeout)
			if p.TimeoutReport == ReportAsyncError {
				c.pushDrainErr(ErrDrainTimeout)
			}
		}
		if w.mut.Has(NoCloseAfterTimeout) {
			c.setStatus(DrainingPubs)
			return
		}
	}
	if c.isClosed() && !c.revivesClosed() {
		return
	}
	c.setStatus(DrainingPubs)
	cw := c.waiting()
	if cw.finalFlushedFn == nil {
		cw.finalFlushedFn = c.finalFlushed
	}
	done := cw.finalFlushedFn
	if c.barriersDue > 0 && w.otherWay(RaceFinalFlushFirst) {
		// The subscription drains started at this instant write their
		// barrier PINGs first.
		w.sim.At(c.now(), func() { c.finalFlush(timedOut, done) })
		return
	}
	c.finalFlush(timedOut, done)
}

// finalFlushed is the end of the drain's final flush (finalFlush's done,
// connWaits.finalFlushedFn): it records the flush,
// then closes, or ends the drain on a failed flush where the profile
// does.
func (c *Conn) finalFlushed(err string) {
	w := c.w
	p := w.profile
	c.rec.FinalFlushAt, c.rec.FinalFlushErr = c.now(), w.ledger.Intern(err)
	if err != "" && p.FinalFlushErrStopsDrain {
		// The flush's error is raised to the drain's caller: the drain
		// ends with it, unclosed.
		w.trace(c.name, "drain.stopped", sim.Str("error", err))
		c.rec.DrainResult, c.rec.DrainDoneAt = c.rec.FinalFlushErr, c.now()
		c.drainDone()
		return
	}
	if err != "" {
		if p.FailedFlushEndsDrain {
			// nats.js v2: the drain's promise resolves; close is
			// skipped and the connection stays draining.
			c.rec.DrainResult, c.rec.DrainDoneAt = w.ledger.Intern(OK), c.now()
			w.trace(c.name, "drain.flush_failed", sim.Str("error", err))
			c.drainDone()
			return
		}
		c.pushDrainErr(err)
	}
	c.drainClose()
}

// finalFlush is the drain's flush of what was published, then done (or,
// where the profile has no final flush, the close).
func (c *Conn) finalFlush(timedOut bool, done func(err string)) {
	w := c.w
	p := w.profile
	switch {
	case w.mut.Has(FinalFlushNoWait):
		done("")
	case timedOut && p.SkipFinalFlushOnTimeout, p.NoFinalFlush:
		c.drainClose()
	case p.FinalFlushInTimeout:
		t := c.opts.drainTimeout
		if t <= 0 {
			c.Flush(waitForever, done)
			break
		}
		left := c.rec.DrainCalledAt.Add(t).Sub(c.now()) // Add saturates: a huge timeout leaves all the time there is
		if left <= 0 {
			c.drainClose() // no time left: no final flush
			break
		}
		c.Flush(left, done)
	case p.FinalFlushTimeout == 0:
		c.Flush(waitForever, done) // the library's flush has no timeout
	default:
		c.Flush(p.FinalFlushTimeout, done)
	}
}

// revivesClosed reports whether the drain goes on after the connection
// was closed under it (the profile's ReviveClosedConn, or the mutation).
func (c *Conn) revivesClosed() bool {
	return c.w.profile.ReviveClosedConn || c.w.mut.Has(ReviveClosedConn)
}

// drainClose closes the connection at the end of a drain.
func (c *Conn) drainClose() {
	w := c.w
	if p := w.profile; p.CloseRunsInDrainCaller && p.CloseCancelsCallbacks && c.rare != nil && len(c.rare.drainWaiters) > 0 {
		// The close runs in the callback that awaits the drain, and
		// cancels it: it stops there, before the callbacks, and the drain
		// never returns.
		w.trace(c.name, "drain.close_cut_short")
		c.rare.drainWaiters = nil
		c.rec.DrainResult = 0 // never signalled: ""
		c.close(false)
		return
	}
	if c.rec.DrainResult == 0 {
		result := OK
		if c.rec.FinalFlushErr != 0 && w.profile.TimeoutReport == ReportResult {
			// the future completes false after a failed final flush: a
			// timed-out drain, as far as the application can tell
			result, c.rec.DrainTimedOut = ErrDrainTimeout, true
		}
		c.rec.DrainResult = w.ledger.Intern(result)
	}
	switch {
	case w.mut.Has(ClosedCBDespiteOption):
		c.close(true)
	case w.profile.NoClosedCallbackAfterDrain:
		c.close(false)
	default:
		c.Close()
	}
	c.rec.DrainDoneAt = c.now()
	if r := c.rare; r != nil {
		for _, s := range r.drainFollowers {
			if w.profile.SubDrainResult && s.rec.DrainDoneAt == NoTime {
				s.rec.DrainDoneAt, s.rec.DrainResult = c.now(), c.rec.DrainResult
			}
		}
	}
	c.drainDone()
}

// drainDone resumes the callbacks that wait for the drain (a handler's
// drain with wait).
func (c *Conn) drainDone() {
	r := c.rare
	if r == nil {
		return
	}
	waiters := r.drainWaiters
	r.drainWaiters = nil
	for _, f := range waiters {
		f()
	}
}

// closedAgain is the ClosedCBTwice mutation: the drain's own close, run
// without checking that the application closed the connection meanwhile,
// queues a second closed callback.
func (c *Conn) closedAgain() {
	c.achClosed = false
	c.pushCallback(c.callback("closed", "", ""))
	c.achClosed = true
}

// markDraining marks s draining and queues its UNSUB, with no barrier yet.
func (c *Conn) markDraining(s *Sub) {
	if !s.inSubs {
		return
	}
	s.beginDrain()
	if !c.isReconnecting() {
		c.write(frame{op: opUnsub, sid: s.sid}, 16)
	}
}

// barrier is a PING/PONG round trip whose error is ignored: then, called
// when it ends, is handed the flush's error only so that it can be the
// flush's callback itself, and must take no notice of it. With a
// SubDrainFlushTimeout of zero it waits for its PONG for ever. It returns
// the PONG's waiter (nil if none was queued).
func (c *Conn) barrier(then func(ignored string)) *flushWait {
	if c.w.mut.Has(NoFlushBarrier) {
		then("")
		return nil
	}
	timeout := c.w.profile.SubDrainFlushTimeout
	if timeout == 0 {
		timeout = waitForever
	}
	return c.flush1(timeout, then)
}

// checkDrained is a subscription drain's own goroutine: a PING/PONG barrier
// (its error ignored) proves the server processed the UNSUB and that every
// MSG it sent before has been read; then the completion checks start.
func (c *Conn) checkDrained(s *Sub) {
	c.barriersDue--
	if s.drainCancelled {
		return
	}
	if !c.w.profile.DrainCallFlushes || c.w.mut.Has(NoFlushBarrier) {
		s.barrierWait = c.barrier(s.afterBarrierEvent())
		return
	}
	// The drain call makes the barrier, bounded by the drain's timeout; a
	// failure is only reported and the drain goes on.
	c.Flush(boundOrForever(s.drainTimeout), func(err string) {
		if err != "" && !c.isClosed() {
			c.pushErr(ErrTimeout, "")
		}
		if done := s.drainCallDone; done != nil {
			s.drainCallDone = nil
			done("")
		}
		c.afterBarrier(s)
	})
}

// cancelSubDrains is a drain timeout under TimeoutCancelsSubDrains: every
// subscription drain still running stops; a barrier still waiting leaves
// its cancelled waiter in the PONG queue.
func (c *Conn) cancelSubDrains() {
	for s := range c.subs.all() {
		if !s.draining && !s.drainCancelled {
			continue
		}
		s.drainCancelled = true
		s.setProgress(nil)
		if fw := s.barrierWait; fw != nil && !fw.settled {
			fw.settled, fw.cancelled = true, true
			c.w.sim.Cancel(fw.timer)
			c.w.trace(c.name, "barrier.cancelled", sim.Str("sub", s.rec.ID))
		}
	}
}

// afterBarrier starts s's completion checks once its barrier returned.
func (c *Conn) afterBarrier(s *Sub) {
	if s.rec.BarrierAt == NoTime {
		s.rec.BarrierAt = c.now()
	}
	s.drainDeadline = sim.Never
	if s.subDrain && c.w.profile.SubDrainResult && s.drainTimeout > 0 {
		s.drainDeadline = c.now().Add(s.drainTimeout)
	}
	if poll := c.w.profile.SubDrainPoll; poll > 0 && c.w.profile.PollFirstWaits {
		c.w.sim.After(poll, s.pollEvent())
		return
	}
	c.pollDrained(s)
}

// drained reports whether s meets the profile's completion criterion.
func (s *Sub) drained() bool {
	if s.subDrain && !s.sync && !s.ownDispatcher() && s.c.w.profile.DispatcherSubDrainAtBarrier {
		return true // J-M2: the member has no queue of its own to wait for
	}
	switch s.c.w.profile.Criterion {
	case QueueEmpty:
		return s.queueLen() == 0
	case AtBarrier:
		return true
	}
	return s.pMsgs == 0
}

// pollDrained removes s, without another UNSUB, once it is drained: checked
// now and then every SubDrainPoll, or on each message handed out when the
// profile's poll is zero.
func (c *Conn) pollDrained(s *Sub) {
	if c.isClosed() {
		s.draining = false
		if s.subDrain {
			s.subDrainDone(true) // the closed subscription holds nothing
		}
		return
	}
	if s.drainCancelled {
		return
	}
	if s.sync && c.w.profile.SyncLeavesByNextMsg && !s.closed {
		// Only NextMsg removes it (C-M8); one already waiting finds it
		// empty and draining, and returns ErrTimeout.
		s.drainReady = true
		if s.queueLen() == 0 && s.nextWaiting() {
			s.leaveByNextMsg(ErrTimeout)
		}
		return
	}
	if s.closed || s.drained() {
		c.removeSub(s, "drain")
		s.draining = false
		if s.subDrain {
			s.subDrainDone(true)
		}
		return
	}
	if s.subDrain && s.drainDeadline != sim.Never && s.drainDeadline != 0 && c.now() >= s.drainDeadline {
		// SubDrainResult: the timeout cleans the subscription up with
		// what it still holds.
		c.removeSub(s, "drain")
		s.draining = false
		s.subDrainDone(false)
		return
	}
	if poll := c.w.profile.SubDrainPoll; poll > 0 {
		c.w.sim.After(poll, s.pollEvent())
		return
	}
	s.setProgress(s.poll())
}

// poll is s.c.pollDrained(s), and pollEvent the same on the connection's
// loop (onLoop), each made once per subscription: a draining subscription
// polls every SubDrainPoll, and a new closure for each poll was a tenth of
// the objects a generated scenario allocates.
func (s *Sub) poll() func() {
	if s.pollFn == nil {
		s.pollFn = func() { s.c.pollDrained(s) }
	}
	return s.pollFn
}

func (s *Sub) pollEvent() func() {
	if s.pollOnLoop == nil {
		s.pollOnLoop = s.c.onLoop(s.poll())
	}
	return s.pollOnLoop
}

// checkDrainedEvent is s.c.checkDrained(s), and afterBarrierEvent
// s.c.afterBarrier(s) as a barrier's callback, each made once per
// subscription, as poll is, and kept from run to run: every subscription
// a drain UNSUBs starts both.
func (s *Sub) checkDrainedEvent() func() {
	if s.checkDrainedFn == nil {
		s.checkDrainedFn = func() { s.c.checkDrained(s) }
	}
	return s.checkDrainedFn
}

func (s *Sub) afterBarrierEvent() func(ignored string) {
	if s.afterBarrierFn == nil {
		s.afterBarrierFn = func(string) { s.c.afterBarrier(s) }
	}
	return s.afterBarrierFn
}

// mapOrder is the MapOrderSnapshot mutation: Go's randomised map iteration
// order leaks into the model. It exists only to prove that the determinism
// property catches such a leak.
func mapOrder(n int) []int {
	m := make(map[int]bool, n)
	for i := 0; i < n; i++ {
		m[i] = true
	}
	order := make([]int, 0, n)
	for i := range m {
		order = append(order, i)
	}
	return order
}
