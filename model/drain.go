package model

import "github.com/drainsim/drainsim/sim"

// Drain is Conn.Drain: it only flips the status to DRAINING_SUBS and starts
// drainConnection; everything else happens in the background.
func (c *Conn) Drain() string {
	switch {
	case c.isClosed():
		return ErrConnectionClosed
	case c.isReconnecting():
		if !c.w.mut.Has(DrainReconnectingNoClose) {
			c.Close()
		}
		return ErrConnectionReconnect
	case c.isDraining():
		return ""
	}
	c.setStatus(DrainingSubs)
	if c.rec.DrainCalledAt == NoTime {
		c.rec.DrainCalledAt = c.now()
	}
	c.w.sim.At(c.now(), c.drainConnection)
	return ""
}

// drainConnection is the connection drain goroutine: drain every
// subscription but the response mux, wait (polling) until only the mux is
// left, drain the mux under the same deadline, report ErrDrainTimeout if
// anything is left, then DRAINING_PUBS, a final flush and Close.
func (c *Conn) drainConnection() {
	w := c.w
	if c.isClosed() {
		return
	}
	if c.isReconnecting() {
		c.Close()
		return
	}
	mux := c.respMux
	muxFirst := w.mut.Has(RespMuxDrainedWithSubs)
	subs := make([]*Sub, 0, len(c.subs))
	for _, s := range c.subs {
		if s != mux || muxFirst {
			subs = append(subs, s)
		}
	}
	// nats.go snapshots a map: the order is unspecified, so it is drawn.
	order := sim.Perm(c.drainRng, "drain-order", len(subs))
	if w.mut.Has(MapOrderSnapshot) {
		order = mapOrder(len(subs))
	}
	for _, i := range order {
		if err := subs[i].Drain(); err != "" {
			c.pushErr(err, "")
		}
	}
	deadline := c.now().Add(c.opts.drainTimeout)
	c.rec.DrainDeadline = deadline
	w.trace(c.name, "drain.wait", sim.Int("subs", int64(len(subs))), sim.Dur("timeout", c.opts.drainTimeout))
	if muxFirst {
		mux = nil
	}
	min := 0
	if mux != nil {
		min = 1
	}
	c.waitSubs(deadline, min, func() {
		if mux == nil {
			c.finishDrain()
			return
		}
		if err := mux.Drain(); err != "" {
			c.pushErr(err, "")
		}
		c.waitSubs(deadline, 0, c.finishDrain)
	})
}

// waitSubs polls every ConnDrainPoll, starting now, until exactly min
// subscriptions are left (NumSubscriptions() == min) or the deadline has
// passed, then calls next. A
// connection closed meanwhile ends the drain quietly (nats.go v1.55.0).
func (c *Conn) waitSubs(deadline sim.Time, min int, next func()) {
	var tick func()
	tick = func() {
		if c.now() >= deadline && !c.w.mut.Has(NoDrainTimeout) {
			next()
			return
		}
		if c.isClosed() && !c.w.mut.Has(ReviveClosedConn) {
			return
		}
		if len(c.subs) == min {
			next()
			return
		}
		c.w.sim.After(c.w.profile.ConnDrainPoll, tick)
	}
	tick()
}

// finishDrain reports a timeout if subscriptions are left, then moves to
// DRAINING_PUBS, flushes and closes.
func (c *Conn) finishDrain() {
	w := c.w
	if len(c.subs) != 0 {
		c.rec.DrainTimedOut = true
		w.trace(c.name, "drain.timeout", sim.Int("subs_left", int64(len(c.subs))))
		if !w.mut.Has(TimeoutNotReported) {
			c.pushErr(ErrDrainTimeout, "")
		}
		if w.mut.Has(NoCloseAfterTimeout) {
			c.setStatus(DrainingPubs)
			return
		}
	}
	if c.isClosed() && !w.mut.Has(ReviveClosedConn) {
		return
	}
	c.setStatus(DrainingPubs)
	done := func(err string) {
		c.rec.FinalFlushAt, c.rec.FinalFlushErr = c.now(), err
		if err != "" {
			c.pushErr(err, "")
		}
		if w.mut.Has(ClosedCBDespiteOption) {
			c.close(true)
			return
		}
		c.Close()
	}
	if w.mut.Has(FinalFlushNoWait) {
		done("")
		return
	}
	c.Flush(w.profile.FinalFlushTimeout, done)
}

// checkDrained is a subscription drain's goroutine: a PING/PONG barrier
// (its error ignored) proves the server processed the UNSUB and that every
// MSG it sent before has been read; then poll until nothing is pending and
// remove the subscription, without sending another UNSUB.
func (c *Conn) checkDrained(s *Sub) {
	poll := func(string) {
		if s.rec.BarrierAt == NoTime {
			s.rec.BarrierAt = c.now()
		}
		c.pollDrained(s)
	}
	if c.w.mut.Has(NoFlushBarrier) {
		poll("")
		return
	}
	c.Flush(c.w.profile.SubDrainFlushTimeout, poll)
}

func (c *Conn) pollDrained(s *Sub) {
	if c.isClosed() {
		s.draining = false
		return
	}
	if s.closed || s.pMsgs == 0 {
		c.removeSub(s, "drain")
		s.draining = false
		return
	}
	c.w.sim.After(c.w.profile.SubDrainPoll, func() { c.pollDrained(s) })
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
