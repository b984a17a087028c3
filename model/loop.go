package model

// A single-threaded event loop (Profile.EventLoop): every event of a
// connection — protocol reads, the flusher, connection callbacks, timers such
// as the drain's poll and deadline, request timeouts, the actions the
// application runs on it — runs on one loop (EventMachine's reactor). A
// blocking handler (scenario handler.blocking) holds that loop for its time:
// the connection's other events wait until it returns and then run in the
// order they became due. A handler that awaits (blocking: false) runs its
// time as a timer of the loop and holds nothing.

// onLoop returns fn as an event of the connection's loop: under a profile
// without one, fn itself (so such profiles schedule exactly what they did
// before); otherwise a function that defers fn while the loop is held.
func (c *Conn) onLoop(fn func()) func() {
	if !c.w.profile.EventLoop {
		return fn
	}
	return func() { c.runOnLoop(fn) }
}

// runOnLoop runs fn now, or after the handler holding the loop returns.
func (c *Conn) runOnLoop(fn func()) {
	if !c.heldFor(fn) {
		fn()
	}
}

// heldFor reports whether a blocking handler holds c's loop, and if so
// queues fn to run when it returns.
func (c *Conn) heldFor(fn func()) bool {
	if c.held {
		c.defer_(fn)
	}
	return c.held
}

// defer_ queues fn to run when the handler holding c's loop returns.
func (c *Conn) defer_(fn func()) {
	r := c.rarely()
	r.deferred = append(r.deferred, fn)
}

// hold is a blocking handler taking the connection's loop.
func (c *Conn) hold() {
	if c.w.profile.EventLoop {
		c.held = true
	}
}

// release is the blocking handler returning (or, a Fiber-based request,
// yielding) the loop: what waited runs now, in the order it became due,
// each as an event of the loop again (a later one may be held anew).
func (c *Conn) release() {
	if !c.held {
		return
	}
	c.held = false
	r := c.rare
	if r == nil {
		return
	}
	q := r.deferred
	r.deferred = nil
	for _, fn := range q {
		c.w.sim.At(c.now(), c.onLoop(fn))
	}
}
