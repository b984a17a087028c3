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
	s         *Sub
	d         int32 // the delivery being handled
	rec       int   // its index in s.rec.Handled
	n         int   // 1-based count of callbacks started on s (HandlerAction.Nth)
	cancelled bool  // the connection's close cancelled it
	serviceFn func()
}

func newCallback(s *Sub) *callback {
	cb := &callback{}
	cb.init(s)
	return cb
}

func (cb *callback) init(s *Sub) {
	cb.s = s
	cb.serviceFn = cb.serviceDone
}

// startCallback runs the subscription's handler on delivery d.
func (s *Sub) startCallback(d int32) {
	w := s.c.w
	if s.mux && w.sim.Stopping() {
		// The record budget ended the run. The mux's callbacks return at
		// once, each recording its request's call and starting the next
		// (or, where callbacks run as messages are read, the read starts
		// the next): it would otherwise work off its whole queue within
		// this event. The delivery ends the run pending.
		return
	}
	dl := &w.ledger.Deliveries[d]
	dl.StartedAt = w.sim.Now()
	dl.Fate = DlvInCallback
	cb := s.cb
	if s.c.w.profile.Concurrent || cb == nil {
		cb = newCallback(s)
	}
	s.running++
	s.live = append(s.live, cb)
	s.handlerN++
	cb.d, cb.n, cb.cancelled = d, s.handlerN, false
	cb.rec = len(s.rec.Handled)
	s.rec.Handled = append(s.rec.Handled, Handled{Msg: dl.Msg, Delivery: int(d), Start: dl.StartedAt, End: NoTime})
	if w.tr != nil {
		w.trace(s.rec.Client, "callback.start", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(dl.Msg)))
	}
	if w.trig != nil {
		w.trig.callback(scenario.CallbackStart, s, cb.n, dl.Msg)
	}
	if s.mux {
		s.c.respHandler(d)
		cb.finish()
		return
	}
	busy := s.handlerTime.Sample()
	if !w.profile.EventLoop {
		w.sim.After(busy, cb.serviceFn)
		if busy > 0 && !s.spec.Handler.Blocking {
			s.yield() // the callback awaits its work (blocking work holds the loop)
		}
		return
	}
	if s.spec.Handler.Blocking {
		// The callback's work holds the loop until it returns.
		s.c.hold()
		w.sim.After(busy, cb.serviceFn)
		return
	}
	// An awaiting handler: the callback arms a timer of the loop and
	// returns; its actions run when the timer fires.
	w.sim.After(busy, s.c.onLoop(cb.serviceFn))
}

// blocking reports whether the callback holds its connection's loop.
func (cb *callback) blocking() bool {
	return cb.s.c.w.profile.EventLoop && cb.s.spec != nil && cb.s.spec.Handler.Blocking
}

// serviceDone follows the handler's service time.
func (cb *callback) serviceDone() { cb.runActions(0) }

// finish is the callback returning.
func (cb *callback) finish() {
	if cb.cancelled {
		return
	}
	s := cb.s
	w := s.c.w
	dl := &w.ledger.Deliveries[cb.d]
	dl.EndedAt = w.sim.Now()
	dl.Fate = DlvHandled
	s.rec.Handled[cb.rec].End = dl.EndedAt
	s.endCallback(cb)
	if cb.blocking() {
		s.c.release()
	}
	if w.tr != nil {
		w.trace(s.rec.Client, "callback.end", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(dl.Msg)))
	}
	if w.trig != nil {
		w.trig.callback(scenario.CallbackEnd, s, cb.n, dl.Msg)
	}
	if w.mut.Has(DuplicateDelivery) && dl.Msg%10 == 0 && !s.dupDone[dl.Msg] {
		if s.dupDone == nil {
			s.dupDone = map[int]bool{}
		}
		s.dupDone[dl.Msg] = true
		s.rec.Handled = append(s.rec.Handled, Handled{Msg: dl.Msg, Delivery: int(cb.d), Start: dl.EndedAt, End: dl.EndedAt})
	}
	if s.c.w.profile.Concurrent {
		s.concurrentDone(cb.d)
		return
	}
	s.afterCallback()
}

// endCallback takes cb off the subscription's running set, keeping the
// others in the order they started. A serial subscription's only callback
// is the last: truncating costs nothing, where a copy of the (empty) rest
// of the list cost a write-barriered runtime call per message.
func (s *Sub) endCallback(cb *callback) {
	s.running--
	if i := slices.Index(s.live, cb); i >= 0 {
		if last := len(s.live) - 1; i < last {
			copy(s.live[i:], s.live[i+1:])
		}
		s.live = s.live[:len(s.live)-1]
	}
}

// cancelCallbacks stops every running callback of s now, as asyncio task
// cancellation or a Java thread interrupt does when the connection closes:
// their messages count as dropped, not handled.
func (s *Sub) cancelCallbacks() {
	w := s.c.w
	for len(s.live) > 0 {
		cb := s.live[0]
		cb.cancelled = true
		s.endCallback(cb)
		s.rec.Handled[cb.rec].End = w.sim.Now()
		dl := &w.ledger.Deliveries[cb.d]
		dl.Fate = DlvPending
		w.ledger.drop(cb.d, w.sim.Now(), DropCancelled, true)
		w.trace(s.rec.Client, "callback.cancelled", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(dl.Msg)))
		if !w.profile.Concurrent {
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
	src := s.rec.ID + "#" + strconv.Itoa(cb.n)
	msg := w.ledger.Message(w.ledger.Deliveries[cb.d].Msg)
	for ; i < len(acts); i++ {
		a := &acts[i]
		if a.Nth > 0 && a.Nth != cb.n {
			continue
		}
		now := w.sim.Now()
		rec := func(err string, id int) {
			w.call(src, a.Kind(), c.name, s.rec.ID, now, err, id)
		}
		next := i + 1
		switch {
		case a.Reply != nil:
			if msg.Reply == 0 {
				rec(ErrMsgNoReply, 0)
				continue
			}
			rec(c.reply(c.w.ledger.Str(msg.Reply), a.Reply.Size))
		case a.Publish != nil:
			p := a.Publish
			w.repeat(p.Count, p.Interval, func() {
				if !cb.cancelled {
					rec(c.publish(p.Subject, p.Reply, p.Size, p.Headers, true))
				}
			},
				func() { cb.runActions(next) })
			if p.Count > 1 && p.Interval > 0 && !s.spec.Handler.Blocking {
				s.yield()
			}
			return
		case a.Request != nil:
			cb.requests(a, src, 0, func() { cb.runActions(next) })
			s.yield()
			return
		case a.Sleep != nil:
			resume := func() { cb.runActions(next) }
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
			s.DrainCall(c.drainTimeoutFor(a.DrainSub), func(err string) { rec(err, 0); cb.runActions(next) })
			return
		case a.Subscribe != nil:
			rec(w.subscribeDeferred(c, w.sc.Sub(a.Subscribe.Sub)), 0)
		case a.Drain != nil && a.Drain.Wait:
			starts := c.drainStarts
			rec(c.Drain(), 0)
			if c.drainStarts != starts {
				// The callback waits until the drain is done.
				c.drainWaiters = append(c.drainWaiters, func() { cb.runActions(next) })
				return
			}
		case a.Drain != nil && c.w.profile.DrainCallFlushes:
			c.DrainCall(func(err string) { rec(err, 0); cb.runActions(next) })
			return
		case a.Drain != nil:
			rec(c.drainFromCallback(s), 0)
		default:
			panic(fmt.Sprintf("model: handler action %d of %s has no verb", i, s.rec.ID))
		}
	}
	cb.finish()
}

// requests makes a handler's request action: Count requests, one after the
// other, each waiting for its reply or timeout, Interval apart.
func (cb *callback) requests(a *scenario.HandlerAction, src string, k int, then func()) {
	r := a.Request
	if cb.cancelled {
		return
	}
	if k >= max(r.Count, 1) {
		then()
		return
	}
	s := cb.s
	w, c := s.c.w, s.c
	start := w.sim.Now()
	blocking := cb.blocking()
	if blocking {
		// A Fiber-based request yields: the callback gives the loop back
		// while it waits, and takes it again when the reply or timeout
		// resumes it.
		c.release()
	}
	c.Request(r.Subject, r.Size, r.Timeout, func(err string, id int) {
		if blocking && !cb.cancelled {
			c.hold()
		}
		w.call(src, "request", c.name, s.rec.ID, start, err, id)
		w.sim.After(r.Interval, func() { cb.requests(a, src, k+1, then) })
	})
}
