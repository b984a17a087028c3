package model

import (
	"time"

	"github.com/drainsim/drainsim/sim"
)

// A stall (scenario action stall: {client, for}) makes a client's
// connection go silent without breaking, as a network path that stops
// carrying packets does: TCP retransmits what was not acknowledged, so
// nothing is lost and neither end sees an error, and once the path is back
// everything arrives, in order. So on each direction of the link, what
// would arrive during the stall arrives at its end instead, and what is
// written during it arrives at its end at the earliest. The stall belongs
// to the connection that exists when it starts: a connection opened later
// (a reconnect) is not stalled.

// stall holds everything on both directions of c's link until d from now.
func (w *World) stall(c *Conn, d time.Duration) {
	until := w.sim.Now().Add(d)
	w.stallEnd = max(w.stallEnd, until)
	w.trace(c.name, "fault.stall", sim.Dur("for", d))
	c.toServer.hold(until)
	c.fromServer.hold(until)
}

// hold delays every arrival before until to until, keeping the order: the
// segments in flight that would arrive sooner, and (through last) every
// segment written before until.
func (l *link) hold(until sim.Time) {
	if l.down {
		return
	}
	p := &l.net.w.rc.segs
	for i := l.head; i != 0; i = p.s[i-1].next {
		seg := &p.s[i-1]
		if seg.at >= until {
			break // arrivals are in order: the rest arrive later still
		}
		l.net.w.sim.Cancel(seg.timer)
		seg.at, seg.timer = until, l.net.w.sim.At(until, l.arrive)
	}
	l.last = max(l.last, until)
	l.stalled = max(l.stalled, until)
}

// fresh readies the link for a new connection. What the old one still
// carries is lost (it can be left only by a stall: a cut empties the
// link), and the stall, which was the old connection's, ends.
func (l *link) fresh() {
	if l.stalled == 0 && !l.closing {
		return
	}
	now := l.net.w.sim.Now()
	if l.busy() {
		l.cut()
	}
	l.closing, l.stalled = false, 0
	l.last = min(l.last, now)
}
