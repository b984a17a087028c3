package model

import (
	"fmt"
	"strconv"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// startCallback runs the subscription's callback on delivery d: the handler
// is busy for its drawn service time, performs its actions in order, then
// returns. Only one callback of a subscription runs at a time, so its state
// lives on the Sub and the hot path allocates nothing.
func (s *Sub) startCallback(d int32) {
	w := s.c.w
	dl := &w.ledger.Deliveries[d]
	dl.StartedAt = w.sim.Now()
	dl.Fate = DlvInCallback
	s.running = true
	s.handlerN++
	s.cur = d
	s.curRec = len(s.rec.Handled)
	s.rec.Handled = append(s.rec.Handled, Handled{Msg: dl.Msg, Delivery: int(d), Start: dl.StartedAt, End: NoTime})
	if w.tr != nil {
		w.trace(s.rec.Client, "callback.start", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(dl.Msg)))
	}
	if s.mux {
		s.c.respHandler(d)
		s.finishCallback()
		return
	}
	w.sim.After(s.spec.Handler.Duration.Sample(s.handlerRn, "handler-duration"), s.serviceFn)
}

// serviceDone follows the handler's service time.
func (s *Sub) serviceDone() { s.runHandlerActions(0) }

// finishCallback is the callback returning.
func (s *Sub) finishCallback() {
	w := s.c.w
	dl := &w.ledger.Deliveries[s.cur]
	dl.EndedAt = w.sim.Now()
	dl.Fate = DlvHandled
	s.rec.Handled[s.curRec].End = dl.EndedAt
	s.running = false
	if w.tr != nil {
		w.trace(s.rec.Client, "callback.end", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(dl.Msg)))
	}
	if w.mut.Has(DuplicateDelivery) && dl.Msg%10 == 0 && !s.dupDone[dl.Msg] {
		if s.dupDone == nil {
			s.dupDone = map[int]bool{}
		}
		s.dupDone[dl.Msg] = true
		s.rec.Handled = append(s.rec.Handled, Handled{Msg: dl.Msg, Delivery: int(s.cur), Start: dl.EndedAt, End: dl.EndedAt})
	}
	s.afterCallback()
}

// runHandlerActions performs the running callback's handler actions from
// index i, then returns from the callback. Actions that wait (request,
// sleep, publishing with an interval) continue from a timer.
func (s *Sub) runHandlerActions(i int) {
	acts := s.spec.Handler.Actions
	if i >= len(acts) {
		s.finishCallback()
		return
	}
	w := s.c.w
	c := s.c
	n := s.handlerN
	src := s.rec.ID + "#" + strconv.Itoa(n)
	msg := w.ledger.Message(w.ledger.Deliveries[s.cur].Msg)
	for ; i < len(acts); i++ {
		a := &acts[i]
		if a.Nth > 0 && a.Nth != n {
			continue
		}
		now := w.sim.Now()
		rec := func(err string, id int) {
			w.call(CallRecord{Source: src, Verb: a.Kind(), Client: c.name, Sub: s.rec.ID, At: now, ReturnedAt: w.sim.Now(), Result: result(err), Msg: id})
		}
		next := i + 1
		switch {
		case a.Reply != nil:
			if msg.Reply == "" {
				rec(ErrMsgNoReply, 0)
				continue
			}
			rec(c.publish(msg.Reply, "", a.Reply.Size))
		case a.Publish != nil:
			p := a.Publish
			w.repeat(p.Count, p.Interval, func() { rec(c.publish(p.Subject, p.Reply, p.Size)) },
				func() { s.runHandlerActions(next) })
			return
		case a.Request != nil:
			s.handlerRequests(a, src, 0, func() { s.runHandlerActions(next) })
			return
		case a.Sleep != nil:
			w.sim.After(a.Sleep.Sample(s.handlerRn, "handler-sleep"), func() { s.runHandlerActions(next) })
			return
		case a.Unsubscribe != nil:
			rec(s.Unsubscribe(), 0)
		case a.DrainSub != nil:
			rec(s.Drain(), 0)
		case a.Subscribe != nil:
			rec(w.subscribeDeferred(c, w.sc.Sub(a.Subscribe.Sub)), 0)
		case a.Drain != nil:
			rec(c.Drain(), 0)
		default:
			panic(fmt.Sprintf("model: handler action %d of %s has no verb", i, s.rec.ID))
		}
	}
	s.finishCallback()
}

// handlerRequests makes a handler's request action: Count requests, one
// after the other, each waiting for its reply or timeout, Interval apart.
func (s *Sub) handlerRequests(a *scenario.HandlerAction, src string, k int, then func()) {
	r := a.Request
	if k >= max(r.Count, 1) {
		then()
		return
	}
	w, c := s.c.w, s.c
	start := w.sim.Now()
	c.Request(r.Subject, r.Size, r.Timeout, func(err string, id int) {
		w.call(CallRecord{Source: src, Verb: "request", Client: c.name, Sub: s.rec.ID, At: start, ReturnedAt: w.sim.Now(), Result: result(err), Msg: id})
		w.sim.After(r.Interval, func() { s.handlerRequests(a, src, k+1, then) })
	})
}
