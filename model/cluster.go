package model

import (
	"strconv"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// This file models several nats-servers joined by routes
// (docs/cluster.md). Each server keeps its own sublist with the local
// subscriptions and, per route, the remote interest its peer announced
// with RS+/RS-; a client PUB is delivered locally and forwarded as RMSG to
// every route with interest; a server that receives an RMSG delivers it
// to its own clients only, and hands a queue message none of its members
// can take to a route entry it still has for the group (nats-server's
// rsub fallback). Interest changes and messages travel on the route's
// links, FIFO per direction, so a peer learns of an UNSUB one link
// delay later, and what it routed meanwhile arrives after the UNSUB.

// Route protocol operations (after the client ones in net.go).
const (
	opRSub   op = iota + opMsg + 1 // RS+ key [weight]: interest in a subject (and queue group)
	opRUnsub                       // RS- key: that interest is gone
	opRMsg                         // RMSG: a message, for the peer's plain subscriptions and named queue groups
)

// cluster is a World's state for several servers: the servers, the server
// of each client, the route keys RS± frames name, the queue groups of each
// RMSG sent, and whether the subscriptions that exist at time 0 are being
// set up.
type cluster struct {
	servers    []*Server
	home       []*Server
	keys       []routeKey
	keyIndex   map[routeKey]int32 // lookups only
	rmsgQueues [][]string
	settingUp  bool
}

// serverCluster is a Server's state in a cluster: its name, its routes,
// the count of local subscriptions per route key (nats-server's acc.rm),
// and the local subscriptions removed so far.
type serverCluster struct {
	name   string
	routes []*routeEnd
	rm     map[int32]int
	gone   []goneSub
}

// routeKey is the subject and queue group an RS± names; frames carry its
// index in cluster.keys.
type routeKey struct{ subject, queue string }

// routeEnd is one server's end of a route: the link its writes go on, the
// peer's end, and the remote entries the peer announced.
type routeEnd struct {
	s       *Server
	peer    *routeEnd
	out     *link
	buf     []frame // written at the end of the current event, as one write
	kicked  bool
	writeFn func()
	entries []*serverSub // remote interest, in the order announced
}

// forward is one RMSG a routing sends: on which route, whether for the
// peer's plain subscriptions, and for which queue groups. On the wire
// frame.ref indexes cluster.rmsgQueues for the groups (-1: none).
type forward struct {
	end    *routeEnd
	plain  bool
	queues []string
}

// checkTopology refuses the parts of a topology the model does not
// simulate yet (docs/cluster.md#not-yet-modelled), before anything runs,
// rather than run them as one server.
func checkTopology(sc *scenario.Scenario) error {
	t := sc.Topology
	if t == nil {
		return nil
	}
	notYet := func(field, what string) error {
		return &scenario.Error{File: sc.File, Line: t.Line, Field: field,
			Msg: what + " are parsed and checked but not modelled yet (docs/cluster.md#not-yet-modelled); want servers joined by routes only"}
	}
	switch {
	case len(t.Leafnodes) > 0:
		return notYet("leafnodes", "leaf nodes")
	case len(t.Gateways) > 0:
		return notYet("gateways", "gateways")
	case sc.Network.Bandwidth > 0:
		return notYet("network.bandwidth", "bandwidths in a cluster")
	}
	for i, a := range sc.Actions {
		if a.RestartServer != nil {
			return &scenario.Error{File: sc.File, Line: a.Line, Field: "actions[" + strconv.Itoa(i) + "].restart_server",
				Msg: "restarting a server of a cluster (interest re-sync) is not modelled yet (docs/cluster.md#not-yet-modelled)"}
		}
	}
	for i, c := range sc.Clients {
		if len(c.ReconnectServers) > 0 {
			return &scenario.Error{File: sc.File, Line: c.Line, Field: "clients[" + strconv.Itoa(i) + "].reconnect_servers",
				Msg: "reconnecting to another server is not modelled yet (docs/cluster.md#not-yet-modelled): a client reconnects to its own server"}
		}
	}
	return nil
}

// buildCluster makes one Server per server of the topology, attaches each
// client to its server (the first one when it names none) and joins the
// servers by their routes.
func (w *World) buildCluster(rng sim.Chooser) {
	t := w.sc.Topology
	cl := &cluster{servers: make([]*Server, len(t.Servers)), home: make([]*Server, len(w.conns))}
	w.cl = cl
	for i, n := range t.Servers {
		cl.servers[i] = newServer(w, rng.Stream("server/"+n.Name))
		cl.servers[i].cl = &serverCluster{name: n.Name}
	}
	w.server = cl.servers[0]
	for i, c := range w.sc.Clients {
		cl.home[i] = cl.servers[max(0, t.Index(c.Server))]
	}
	for _, r := range t.Routes {
		a, b := cl.servers[t.Index(r.A)], cl.servers[t.Index(r.B)]
		ea, eb := &routeEnd{s: a}, &routeEnd{s: b}
		ea.peer, eb.peer = eb, ea
		for _, e := range []*routeEnd{ea, eb} {
			e.out = newLink(w, "route", r.Latency, w.rngNet.Stream("route/"+e.s.cl.name+"/"+e.peer.s.cl.name),
				func(fs []frame, _ bool) { e.peer.s.receiveRoute(e.peer, fs) }, func([]frame) {})
			e.writeFn = func() { e.write() }
			e.s.cl.routes = append(e.s.cl.routes, e)
		}
	}
}

// serverOf is the server client c is connected to.
func (w *World) serverOf(c *Conn) *Server {
	if w.cl == nil {
		return w.server
	}
	return w.cl.home[c.idx]
}

// key returns the index of k in cl.keys, adding it if new.
func (cl *cluster) key(k routeKey) int32 {
	if i, ok := cl.keyIndex[k]; ok {
		return i
	}
	if cl.keyIndex == nil {
		cl.keyIndex = map[routeKey]int32{}
	}
	i := int32(len(cl.keys))
	cl.keys = append(cl.keys, k)
	cl.keyIndex[k] = i
	return i
}

// send queues f on the route; the event's frames leave as one write.
func (e *routeEnd) send(f frame) {
	e.buf = append(e.buf, f)
	if !e.kicked {
		e.kicked = true
		e.s.w.sim.At(e.s.w.sim.Now(), e.writeFn)
	}
}

func (e *routeEnd) write() {
	e.kicked = false
	out := e.buf
	e.buf = e.s.w.getFrames()
	e.out.send(out, false)
}

// interest counts a local subscription added (+1) or removed (−1) and
// announces the change on every route as nats-server's
// updateRouteSubscriptionMap does: a plain subject on its first and last
// subscription only, a queue group on every change, with its weight (the
// number of local members).
func (s *Server) interest(ss *serverSub, delta int) {
	k := s.w.cl.key(routeKey{ss.subject, ss.queue})
	sc := s.cl
	if sc.rm == nil {
		sc.rm = map[int32]int{}
	}
	before := sc.rm[k]
	n := before + delta
	sc.rm[k] = n
	if ss.queue == "" && before > 0 && n > 0 {
		return
	}
	f := frame{op: opRSub, ref: k, max: int32(n)}
	if n == 0 {
		f = frame{op: opRUnsub, ref: k}
	}
	for _, e := range sc.routes {
		if s.w.cl.settingUp {
			// Subscriptions that exist at time 0 are known cluster-wide,
			// as if the routes had exchanged them before the run.
			e.peer.s.applyRoute(e.peer, f)
			continue
		}
		e.send(f)
	}
}

// goneSub is a local subscription removed in a cluster: when, whether it
// was draining then, and, when its connection closed rather than an UNSUB
// removing it, the drop reason that closing gives (conn_closed for a
// close, disconnect for a broken link, server_slow_consumer).
type goneSub struct {
	*serverSub
	at       sim.Time
	draining bool
	closed   DropReason
}

// removed takes a local subscription's interest off the routes and keeps
// it, with when it went and why, for the drops of messages routed here on
// that interest (dropRouted).
func (s *Server) removed(ss *serverSub, closed DropReason) {
	s.cl.gone = append(s.cl.gone, goneSub{ss, s.w.sim.Now(), ss.conn.client.recDraining(ss.sid), closed})
	s.interest(ss, -1)
}

// receiveRoute is the readLoop of the route end e: it applies the peer's
// RS± and routes its RMSGs, in order.
func (s *Server) receiveRoute(e *routeEnd, frames []frame) {
	w := s.w
	for _, f := range frames {
		if w.sim.Stopping() {
			return
		}
		s.applyRoute(e, f)
	}
}

// applyRoute processes one frame the peer of e sent.
func (s *Server) applyRoute(e *routeEnd, f frame) {
	switch f.op {
	case opRSub:
		k := s.w.cl.keys[f.ref]
		if ss := e.entry(k); ss != nil {
			ss.qw = int(f.max)
			return
		}
		ss := &serverSub{route: e, subject: k.subject, queue: k.queue, qw: int(f.max)}
		e.entries = append(e.entries, ss)
		s.subs.add(ss)
	case opRUnsub:
		if ss := e.entry(s.w.cl.keys[f.ref]); ss != nil {
			e.entries = removeSS(e.entries, ss)
			s.subs.remove(ss)
		}
	case opRMsg:
		s.routedIn(e, int(f.msg), f.ref)
	}
}

// entry is e's remote entry for k, or nil.
func (e *routeEnd) entry(k routeKey) *serverSub {
	for _, ss := range e.entries {
		if ss.subject == k.subject && ss.queue == k.queue {
			return ss
		}
	}
	return nil
}

// pickRemote draws a queue group's member when some of rt.members are
// remote entries: each local member weighs 1, each entry its advertised
// weight (v2.15.2's weightedQSubIndex). A remote pick forwards the group
// on that route and reports true. Otherwise rt.members keeps the local
// members only, the draw is the first one probed, and the first remote
// entry is kept as the fallback when none of them can take it.
func (s *Server) pickRemote(rt *routing) bool {
	var local, remote []*serverSub
	total := 0
	for _, ss := range rt.members {
		if ss.route != nil {
			remote = append(remote, ss)
			total += max(ss.qw, 1)
		} else {
			local = append(local, ss)
			total++
		}
	}
	if len(remote) == 0 {
		return false
	}
	r := s.rng.IntN("queue-member", total)
	rt.members, rt.drawn = local, true
	if r < len(local) {
		rt.first, rt.fallback = r, remote[0]
		return false
	}
	r -= len(local)
	pick := remote[len(remote)-1] // the draw is below the total weight: the loop picks first
	for _, ss := range remote {
		if r -= max(ss.qw, 1); r < 0 {
			pick = ss
			break
		}
	}
	rt.forwardTo(pick.route, rt.groups[rt.group])
	return true
}

// forwardTo adds to rt an RMSG on e for plain interest (queue "") or for
// queue group q.
func (rt *routing) forwardTo(e *routeEnd, q string) {
	for i := range rt.fwd {
		if rt.fwd[i].end == e {
			if q == "" {
				rt.fwd[i].plain = true
			} else {
				rt.fwd[i].queues = append(rt.fwd[i].queues, q)
			}
			return
		}
	}
	f := forward{end: e, plain: q == ""}
	if q != "" {
		f.queues = []string{q}
	}
	rt.fwd = append(rt.fwd, f)
}

// sendForwards writes rt's RMSGs; a message forwarded is routed.
func (s *Server) sendForwards(rt *routing) {
	for _, f := range rt.fwd {
		ref := int32(-1)
		if len(f.queues) > 0 {
			ref = int32(len(s.w.cl.rmsgQueues))
			s.w.cl.rmsgQueues = append(s.w.cl.rmsgQueues, f.queues)
		}
		f.end.send(frame{op: opRMsg, msg: int32(rt.m.ID), ref: ref})
		rt.delivered = true
		if s.w.tr != nil {
			s.w.trace("server/"+s.cl.name, "server.rmsg", sim.Int("msg", int64(rt.m.ID)), sim.Str("to", f.end.peer.s.cl.name))
		}
	}
	rt.fwd = rt.fwd[:0]
}

// routedIn routes an RMSG that arrived on e as processInboundRoutedMsg
// does: to every local plain subscription, and for each named queue group
// to one local member, else to the first route entry this server still
// has for the group (the rsub fallback, possibly back to the sender).
// What finds no taker is dropped here, silently as in nats-server; the
// ledger records the drop against the subscriptions that had the interest
// the sender routed on and lost it while the message was on the route.
func (s *Server) routedIn(e *routeEnd, id int, queuesRef int32) {
	w := s.w
	m := w.ledger.Message(id)
	matches := s.subs.match(m.Subject)
	plain := false
	for _, ss := range matches {
		if ss.route == nil && ss.queue == "" && s.deliver(nil, ss, m) == delivered {
			plain = true
		}
	}
	if !plain {
		s.dropRouted(m, "", DropRouteNoInterest)
	}
	if queuesRef < 0 {
		return
	}
	rt := routing{m: m}
	for _, q := range w.cl.rmsgQueues[queuesRef] {
		var members []*serverSub
		var fallback *serverSub
		for _, ss := range matches {
			switch {
			case ss.queue != q:
			case ss.route == nil:
				members = append(members, ss)
			case fallback == nil && !w.mut.Has(NoRsubFallback):
				fallback = ss
			}
		}
		took := false
		if len(members) > 0 {
			first := 0
			if len(members) > 1 {
				first = s.rng.IntN("queue-member", len(members))
			}
			for i := range members {
				if s.deliver(nil, members[(first+i)%len(members)], m) == delivered {
					took = true
					break
				}
			}
		}
		switch {
		case took:
		case fallback != nil:
			rt.forwardTo(fallback.route, q)
		default:
			s.dropRouted(m, q, DropRouteNoFallback)
		}
	}
	s.sendForwards(&rt)
}

// dropRouted records m, routed to this server, as dropped for the local
// subscriptions of queue group q ("" for plain ones) on its subject that
// were removed after the publisher's server accepted m: the interest the
// message was routed on. A queue group's drop goes to the member removed
// last. A subscription whose connection closed gets that closing's
// reason, whose cause the records decide as for any closed connection.
func (s *Server) dropRouted(m *Message, q string, reason DropReason) {
	var last *goneSub
	for i := range s.cl.gone {
		g := &s.cl.gone[i]
		if g.queue != q || g.at < m.AcceptedAt || !subjectMatches(g.subject, m.Subject) {
			continue
		}
		if q != "" {
			last = g
			continue
		}
		s.dropFor(g, m, reason)
	}
	if last != nil {
		s.dropFor(last, m, reason)
	}
}

func (s *Server) dropFor(g *goneSub, m *Message, reason DropReason) {
	w := s.w
	ss := g.serverSub
	if g.closed != DropNone {
		reason = g.closed
	}
	d := w.ledger.newDelivery(m.ID, ss.rec.index, w.sim.Now())
	w.ledger.drop(d, w.sim.Now(), reason, g.draining)
	if w.tr != nil {
		w.trace(ss.conn.client.name, "server.drop", sim.Str("sub", ss.rec.ID), sim.Int("msg", int64(m.ID)),
			sim.Str("reason", reason.String()), sim.Str("server", s.cl.name))
	}
}
