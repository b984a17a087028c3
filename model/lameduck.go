package model

import (
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Lame-duck mode (scenario action lame_duck), as nats-server v2.15.2's
// Server.lameDuckMode does it (docs/cluster.md#lame-duck-mode): the server
// stops accepting clients, sends every client an async INFO with ldm, waits
// the grace period, then closes its client connections in an order drawn
// through the Chooser, one at a time, sleeping a time drawn from
// [si/2, si) between closes, where si = min(1 s, (duration − grace)/n) for
// n clients; each close flushes what the server has queued and withdraws
// the connection's interest. Then it shuts down for good: every route,
// leaf connection and gateway closes, and each peer, when the close
// reaches it after what was already on the link, drops the interest the
// server had announced. A client's LameDuckModeHandler (the lame_duck
// callback) does nothing by default; with lame_duck: force_reconnect it
// calls ForceReconnect.

// Operations of lame-duck mode, after the route ones in cluster.go.
const (
	opLameDuck   op = iota + opRMsg + 1 // server → client: async INFO with ldm
	opRouteClose                        // server → peer: the connection closed (the server shut down)
)

// lameDuckMaxSleep caps the sleep between two evictions (nats-server's
// lameDuckMode: "no need to sleep too long between clients").
const lameDuckMaxSleep = time.Second

// lameDuck puts server a.Server into lame-duck mode.
func (w *World) lameDuck(a *scenario.LameDuck) {
	s := w.cl.servers[w.sc.Topology.Index(a.Server)]
	if s.cl.lameDuck || !s.up {
		return
	}
	s.cl.lameDuck = true
	w.trace("server/"+s.cl.name, "server.lame_duck", sim.Dur("grace", a.Grace), sim.Dur("duration", a.Duration))
	var conns []*serverConn
	for _, sc := range s.conns {
		if sc != nil && sc.open {
			conns = append(conns, sc)
		}
	}
	rng := s.rng.Stream("lame-duck")
	order := sim.Perm(rng, "ldm-order", len(conns))
	evict := make([]*serverConn, len(conns))
	for i, j := range order {
		evict[i] = conns[j]
	}
	for _, sc := range conns {
		s.enqueue(sc, frame{op: opLameDuck})
	}
	si := lameDuckMaxSleep
	if n := len(evict); n > 0 {
		si = min(max((a.Duration-a.Grace)/time.Duration(n), 1), lameDuckMaxSleep)
	}
	life := s.cl.starts
	var next func(i int)
	next = func(i int) {
		if s.cl.starts != life || !s.up {
			return // restarted meanwhile: this lame-duck mode is over
		}
		if i == len(evict) {
			s.shutdown()
			return
		}
		if sc := evict[i]; sc.open && s.conns[sc.client.idx] == sc {
			w.trace("server/"+s.cl.name, "server.evict", sim.Str("client", sc.client.name))
			s.closeWith(sc, true, DropServerShutdown)
		}
		if i == len(evict)-1 {
			next(i + 1)
			return
		}
		w.sim.After(sim.DurationIn(rng, "ldm-sleep", si/2, si-1), func() { next(i + 1) })
	}
	w.sim.After(a.Grace, func() { next(0) })
}

// shutdown ends a server in lame-duck mode: it stops, and only a
// restart_server brings it back.
func (s *Server) shutdown() {
	s.w.trace("server/"+s.cl.name, "server.shutdown")
	s.stop()
}

// stop takes a server of a cluster down: its client connections close
// (flushing what is queued, withdrawing their interest), it forgets the
// interest its peers announced and what it counted for them, and tells
// each peer, on the link after what is already on it, that the
// connection closed. What arrives while it is down is dropped there.
func (s *Server) stop() {
	s.up = false
	for _, sc := range s.conns {
		if sc != nil && sc.open {
			s.closeWith(sc, true, DropServerShutdown)
		}
	}
	s.cl.rm = nil
	for e := range s.ends() {
		for _, ss := range e.entries {
			s.subs.remove(ss)
		}
		e.entries, e.smap = nil, nil
		e.send(frame{op: opRouteClose})
		e.down = true
	}
}

// routeClosed is the peer's connection e closing: the interest it
// announced goes, as nats-server's removeRemoteSubs does, and the change
// is announced as for an RS- of each entry. Nothing more is written on e
// until it connects again; what the server counts for e (a leaf
// connection's or a gateway's count) stays, to be sent when it does.
func (s *Server) routeClosed(e *routeEnd) {
	e.down = true
	entries := e.entries
	e.entries = nil
	for _, ss := range entries {
		s.subs.remove(ss)
		s.export(e, s.w.cl.key(routeKey{ss.subject, ss.queue}), -weight(ss), -1)
	}
}

// lameDuckNotice is the client reading the server's INFO with ldm:
// nats.go's processInfo queues the LameDuckModeHandler.
func (c *Conn) lameDuckNotice() {
	c.pushCallback(c.callback("lame_duck", "", ""))
}

// lameDuckHandler runs the client's LameDuckModeHandler: the actions
// waiting for the lame_duck event, and ForceReconnect with lame_duck:
// force_reconnect.
func (c *Conn) lameDuckHandler() {
	if c.w.trig != nil {
		c.w.trig.lameDuck(c)
	}
	if c.w.sc.Clients[c.idx].LameDuck == scenario.LameDuckForceReconnect {
		c.forceReconnect()
	}
}

// forceReconnect is nats.go's ForceReconnect on a connected client: it
// fails pending flushes, stops the PING timer, closes the socket and
// reconnects at once to the next server of its pool. What the server had
// queued for the client, and what was on the wire either way, is lost
// (force_reconnect); what the client had not written yet is sent on the
// new connection. Simplification: nats.go writes its buffer to the old
// socket before closing it; the model sends it on the new one. A draining
// or reconnecting connection is left alone.
func (c *Conn) forceReconnect() {
	if c.status != Connected || !c.tcp {
		return
	}
	w := c.w
	w.trace(c.name, "force_reconnect")
	r := c.rarely()
	r.cutReason = DropForceReconnect
	c.toServer.cut()
	c.fromServer.cut()
	if srv := w.serverOf(c); srv.conns[c.idx] != nil {
		srv.closeWith(srv.conns[c.idx], false, DropForceReconnect)
	}
	r.cutReason = DropNone
	w.cl.pools[c.idx].forced = true
	c.tcp = false
	c.setStatus(Reconnecting)
	c.clearPendingFlushCalls()
	c.stopPingTimer()
	w.sim.At(c.now(), c.doReconnect)
}

// cutDrop is the drop reason of a MSG lost on c's cut link: a disconnect,
// or ForceReconnect's own cut.
func (c *Conn) cutDrop() DropReason {
	if r := c.rare; r != nil && r.cutReason != DropNone {
		return r.cutReason
	}
	return DropDisconnect
}
