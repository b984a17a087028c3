package model

import (
	"slices"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Cutting a link between servers (scenario action cut_link,
// docs/cluster.md#cutting-a-link): the route, leaf connection or gateway
// breaks at once in both directions. Whatever is on it is lost, each RMSG
// (LMSG) with a link_cut drop for the subscriptions it was sent for; both
// servers see the connection close at once and drop the interest the other
// announced on it (routeClosed), so what is published meanwhile finds no
// interest across it. nats-server's soliciting side tries to connect again
// every linkReconnect (DEFAULT_ROUTE_RECONNECT, DEFAULT_LEAF_NODE_RECONNECT
// and the gateway's reconnect, 1 s each), so the link connects again at
// the first attempt at or after the cut ends, cut time + k·1 s, and then
// each side sends the other all the interest it carries there (relink). A
// server that is down meanwhile reconnects its links when it starts
// (restart.go), but not before the cut ends.

// cutLink cuts the link between the two servers a names.
func (w *World) cutLink(a *scenario.CutLink) {
	e := w.cl.end(a.Between[0], a.Between[1])
	until := w.sim.Now().Add(a.For)
	w.trace("server/"+e.s.cl.name, "fault.cut_link", sim.Str("to", e.peer.s.cl.name), sim.Dur("for", a.For))
	e.cutUntil = max(e.cutUntil, until)
	e.peer.cutUntil = e.cutUntil
	for _, x := range []*routeEnd{e, e.peer} {
		x.out.cut()
		x.s.routeClosed(x)
	}
	tries := (a.For + linkReconnect - 1) / linkReconnect
	w.sim.After(tries*linkReconnect, func() { e.s.reconnectCut(e) })
}

// end is server a's end of its link to server b; the scenario checked
// that one exists.
func (cl *cluster) end(a, b string) *routeEnd {
	for _, s := range cl.servers {
		if s.cl.name != a {
			continue
		}
		for e := range s.ends() {
			if e.peer.s.cl.name == b {
				return e
			}
		}
	}
	panic("model: no link between " + a + " and " + b + " (the scenario checks cut_link)")
}

// reconnectCut is the reconnect attempt after a cut of e: the link
// connects again unless a later cut still holds it (whose own attempt
// comes later), it is up already, or one of its servers is down or has
// not reached its own reconnect since it started (start relinks it then).
func (s *Server) reconnectCut(e *routeEnd) {
	now := s.w.sim.Now()
	if now < e.cutUntil || !e.down {
		return
	}
	for _, o := range []*Server{e.s, e.peer.s} {
		if !o.up || now < o.cl.linksAt {
			return
		}
	}
	s.relink(e)
}

// lostOnLink is the loss of frames the peer of e wrote toward this
// server when the link was cut: each RMSG (LMSG) among them is dropped
// (link_cut) for the subscriptions it was sent for (lostRouted).
func (s *Server) lostOnLink(e *routeEnd, frames []frame) {
	w := s.w
	for _, f := range frames {
		if f.op != opRMsg {
			continue
		}
		m := w.ledger.Message(int(f.msg))
		if f.arg == 1 {
			s.lostRouted(e, m, "")
		}
		if f.ref >= 0 {
			for _, q := range w.cl.rmsgQueues[f.ref] {
				s.lostRouted(e, m, q)
			}
		}
	}
}

// lostRouted records m, lost on its way over e to this server, as dropped
// (link_cut) for queue group q ("" for plain interest): for every live
// plain subscription on its subject, or one member of the group, of the
// first server that has any, this one first and then the others but
// e's peer, the sender, in server order (a hub, or a gateway's receiver,
// passes the message on to others' interest). Where none is left, the
// drop goes to the subscriptions removed, as for a route drop
// (dropRouted).
func (s *Server) lostRouted(e *routeEnd, m *Message, q string) {
	others := slices.DeleteFunc(slices.Clone(s.w.cl.servers), func(o *Server) bool { return o == s || o == e.peer.s })
	for _, o := range append([]*Server{s}, others...) {
		found := false
		for _, ss := range o.subs.matchID(m.Subject) {
			if ss.route == nil && ss.queue == q {
				o.dropSub(ss, m, DropLinkCut, ss.conn.client.recDraining(ss.sid))
				found = true
				if q != "" {
					break
				}
			}
		}
		if found {
			return
		}
	}
	s.dropRouted(m, q, DropLinkCut)
}
