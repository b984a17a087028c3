package model

import (
	"iter"
	"slices"

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
//
// Leaf connections (hub/spoke) carry the same three operations as LS+,
// LS- and LMSG, with their own counting per connection, leaf entries
// used only as a queue group's fallback, and leaf echo suppression: a
// server does not hand a message back over a leaf to the cluster it came
// from (docs/cluster.md#leaf-nodes).
//
// Gateways join clusters in interest-only mode: a server announces on its
// gateways the interest its whole cluster has, on the first subscription
// and the last only, and sends a queue group across only where the
// message entered the cluster and only when no member inside the cluster
// could take it (docs/cluster.md#gateways).

// Route protocol operations (after the client ones in net.go).
const (
	opRSub   op = iota + opMsg + 1 // RS+ key [weight]: interest in a subject (and queue group)
	opRUnsub                       // RS- key: that interest is gone
	opRMsg                         // RMSG: a message, for the peer's plain subscriptions (max 1) and named queue groups
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
	rmsgOrigin []string // per rmsgQueues entry: the cluster a leaf handed the message in from
	settingUp  bool
	pools      []clientPool // per client (reconnect.go)
}

// serverCluster is a Server's state in a cluster: its name and cluster
// name, its routes and leaf connections, the count of the interest it
// announces on routes per route key (nats-server's acc.rm: local
// subscriptions and leaf entries), and the local subscriptions removed so
// far.
type serverCluster struct {
	name    string
	cluster string
	routes  []*routeEnd
	leafs   []*routeEnd
	gws     []*routeEnd
	rm      map[int32]int
	gone    []goneSub
	// lameDuck: the server is in lame-duck mode and accepts no client
	// (lameduck.go).
	lameDuck bool
	// starts counts the server's (re)starts (restart.go): what a lame-duck
	// mode or a start scheduled belongs to the life it was scheduled in.
	starts int
	// linksAt: when the server's links connect again after its last start
	// (restart.go); a cut link reconnects no earlier (cut.go).
	linksAt sim.Time
}

// routeKey is the subject and queue group an RS± names; frames carry its
// index in cluster.keys.
type routeKey struct{ subject, queue string }

// routeEnd is one server's end of a route, a leaf connection or a
// gateway: the link its writes go on, the peer's end, and the remote
// entries the peer announced. A leaf end knows whether its server is the
// hub; leaf and gateway ends count the interest they announce on their
// connection (nats-server's smap, and the gateway tally).
type routeEnd struct {
	s       *Server
	peer    *routeEnd
	out     *link
	buf     []frame // written at the end of the current event, as one write
	kicked  bool
	writeFn func()
	entries []*serverSub // remote interest, in the order announced
	leaf    bool
	hub     bool
	gw      bool
	// inbound: a gateway end whose server already has a gateway to the
	// peer's cluster. nats-server keeps one outbound gateway per remote
	// cluster and sends messages only on it; a second gateway to that
	// cluster is one the other side solicited, on which this server
	// announces its interest but keeps no remote entries, so it never
	// sends a message there (the peer's cluster would get it twice).
	inbound bool
	smap    map[int32]int
	// down: the connection is closed (its server, or the peer's, went
	// down, or the link was cut) and not connected again yet; nothing is
	// written on it.
	down bool
	// cutUntil: when the last cut of the link (cut.go) ends; it does not
	// connect again before.
	cutUntil sim.Time
}

// linkKind is what a link between servers is.
type linkKind uint8

const (
	routeLink linkKind = iota
	leafLink
	gatewayLink
)

var linkNames = [...]string{"route", "leaf", "gateway"}

// forward is one RMSG (LMSG on a leaf) a routing sends: on which
// connection, whether for the peer's plain subscriptions, and for which
// queue groups. On the wire frame.ref indexes cluster.rmsgQueues for the
// groups and cluster.rmsgOrigin for the cluster a leaf handed the message
// in from (-1: no groups and no such cluster).
type forward struct {
	end    *routeEnd
	plain  bool
	queues []string
	origin string
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
			Msg: what + " are parsed and checked but not modelled yet (docs/cluster.md#not-yet-modelled)"}
	}
	switch {
	case sc.Network.Bandwidth > 0:
		return notYet("network.bandwidth", "bandwidths in a cluster")
	}
	return nil
}

// buildCluster makes one Server per server of the topology, attaches each
// client to its server (the first one when it names none) and joins the
// servers by their routes and leaf connections.
func (w *World) buildCluster(rng sim.Chooser) {
	t := w.sc.Topology
	cl := &cluster{servers: make([]*Server, len(t.Servers)), home: make([]*Server, len(w.conns))}
	w.cl = cl
	for i, n := range t.Servers {
		cl.servers[i] = newServer(w, rng.Stream("server/"+n.Name))
		cl.servers[i].cl = &serverCluster{name: n.Name, cluster: n.Cluster}
	}
	w.server = cl.servers[0]
	for i, c := range w.sc.Clients {
		cl.home[i] = cl.servers[max(0, t.Index(c.Server))]
	}
	w.buildPools()
	for _, r := range t.Routes {
		w.join(r, routeLink)
	}
	for _, l := range t.Leafnodes {
		w.join(l, leafLink)
	}
	for _, g := range t.Gateways {
		w.join(g, gatewayLink)
	}
}

// join connects the servers of l by a route, a leaf connection whose hub
// is l.A, or a gateway.
func (w *World) join(l scenario.Link, kind linkKind) {
	cl, t := w.cl, w.sc.Topology
	leaf, gw := kind == leafLink, kind == gatewayLink
	ea := &routeEnd{s: cl.servers[t.Index(l.A)], leaf: leaf, hub: leaf, gw: gw}
	eb := &routeEnd{s: cl.servers[t.Index(l.B)], leaf: leaf, gw: gw}
	ea.peer, eb.peer = eb, ea
	name := linkNames[kind]
	for _, e := range []*routeEnd{ea, eb} {
		e.out = newLink(w, name, l.Latency, w.rngNet.Stream(name+"/"+e.s.cl.name+"/"+e.peer.s.cl.name),
			func(fs []frame, _ bool) { e.peer.s.receiveRoute(e.peer, fs) }, func(fs []frame) { e.peer.s.lostOnLink(e.peer, fs) })
		e.writeFn = func() { e.write() }
		switch kind {
		case leafLink:
			e.s.cl.leafs = append(e.s.cl.leafs, e)
		case gatewayLink:
			e.inbound = slices.ContainsFunc(e.s.cl.gws, func(o *routeEnd) bool { return o.peer.s.cl.cluster == e.peer.s.cl.cluster })
			e.s.cl.gws = append(e.s.cl.gws, e)
		default:
			e.s.cl.routes = append(e.s.cl.routes, e)
		}
	}
}

// ends yields every connection end of s to another server: its routes,
// then its leaf connections, then its gateways.
func (s *Server) ends() iter.Seq[*routeEnd] {
	return func(yield func(*routeEnd) bool) {
		for _, ends := range [][]*routeEnd{s.cl.routes, s.cl.leafs, s.cl.gws} {
			for _, e := range ends {
				if !yield(e) {
					return
				}
			}
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

// send queues f on the route; the event's frames leave as one write. A
// closed connection carries nothing.
func (e *routeEnd) send(f frame) {
	if e.down {
		return
	}
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
// announces the change (export).
func (s *Server) interest(ss *serverSub, delta int) {
	s.export(nil, s.w.cl.key(routeKey{ss.subject, ss.queue}), delta, delta)
}

// export counts a change by delta of the interest in key k that came from
// src (nil: a local subscription; else the end whose peer announced it, a
// queue entry counting its weight; present is +1 for a new subscription
// or entry, −1 for one gone, 0 for a weight change) and announces it on
// every connection that carries it, as nats-server's
// updateRouteSubscriptionMap, updateLeafNodes and gatewayUpdateSubInterest
// do. Routes carry local and leaf interest, never another route's. A
// hub's leaf connection carries everything but its own; a spoke's carries
// only local interest and that of leafs it is the hub of, each server
// speaking for itself. Gateways carry the cluster's interest (all but
// other gateways'), counted per subscription and entry, on the first and
// the last only, a queue group with weight 1 (interest-only mode).
func (s *Server) export(src *routeEnd, k int32, delta, present int) {
	sc := s.cl
	if src != nil && src.gw {
		return
	}
	if present != 0 {
		for _, e := range sc.gws {
			if e.smap == nil {
				e.smap = map[int32]int{}
			}
			s.announce(e.smap, k, present, true, []*routeEnd{e})
		}
	}
	if src == nil || src.leaf {
		if sc.rm == nil {
			sc.rm = map[int32]int{}
		}
		s.announce(sc.rm, k, delta, false, sc.routes)
	}
	for _, e := range sc.leafs {
		if e != src && (e.hub || src == nil || src.leaf && src.hub) {
			if e.smap == nil {
				e.smap = map[int32]int{}
			}
			s.announce(e.smap, k, delta, false, []*routeEnd{e})
		}
	}
}

// announce applies delta to counts[k] and writes the change on ends: a
// plain subject (every key when firstLast) on its first and last interest
// only, with weight 1; a queue group on every change, with its weight
// (the count).
func (s *Server) announce(counts map[int32]int, k int32, delta int, firstLast bool, ends []*routeEnd) {
	before := counts[k]
	n := before + delta
	counts[k] = n
	firstLast = firstLast || s.w.cl.keys[k].queue == ""
	if firstLast && before > 0 && n > 0 || len(ends) == 0 {
		return
	}
	f := frame{op: opRSub, arg: int32(n), frameRefs: frameRefs{ref: k}}
	if firstLast {
		f.arg = 1
	}
	if n == 0 {
		f = frame{op: opRUnsub, frameRefs: frameRefs{ref: k}}
	}
	for _, e := range ends {
		switch {
		case s.w.cl.settingUp:
			// Subscriptions that exist at time 0 are known cluster-wide,
			// as if the routes had exchanged them before the run.
			e.peer.s.applyRoute(e.peer, f)
		case f.op == opRUnsub && firstLast && s.w.mut.Has(RSReorder) && !e.leaf && !e.gw:
			s.w.sim.After(lateUnsubDelay, func() { e.send(f) })
		default:
			e.send(f)
		}
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

// receiveRoute is the readLoop of the route or leaf end e: it applies the
// peer's RS± (LS±) and routes its RMSGs (LMSGs), in order.
func (s *Server) receiveRoute(e *routeEnd, frames []frame) {
	w := s.w
	for _, f := range frames {
		if w.sim.Stopping() {
			return
		}
		s.applyRoute(e, f)
	}
}

// applyRoute processes one frame the peer of e sent. A server that has
// shut down (lameduck.go) applies no interest; what is routed to it is
// dropped there.
func (s *Server) applyRoute(e *routeEnd, f frame) {
	if (!s.up || e.down) && f.op != opRMsg {
		return
	}
	switch f.op {
	case opRouteClose:
		s.routeClosed(e)
	case opRSub:
		if e.inbound {
			return
		}
		k := s.w.cl.keys[f.ref]
		if ss := e.entry(k); ss != nil {
			old := ss.qw
			ss.qw = int(f.arg)
			s.export(e, f.ref, ss.qw-old, 0)
			return
		}
		ss := &serverSub{route: e, subject: k.subject, queue: k.queue, qw: int(f.arg)}
		e.entries = append(e.entries, ss)
		s.subs.add(ss, isWild(ss.subject))
		s.export(e, f.ref, weight(ss), 1)
	case opRUnsub:
		ends := []*routeEnd{e}
		if k := s.w.cl.keys[f.ref]; k.queue != "" && s.w.mut.Has(QueueUnsubAsPlain) {
			ends = slices.Collect(s.ends())
		}
		for _, o := range ends {
			if ss := o.entry(s.w.cl.keys[f.ref]); ss != nil {
				o.entries = removeSS(o.entries, ss)
				s.subs.remove(ss)
				s.export(o, f.ref, -weight(ss), -1)
			}
		}
	case opRMsg:
		s.routedIn(e, int(f.msg), f.ref, f.arg == 1)
	}
}

// weight is what a remote entry counts for in the interest its server
// announces on: a queue group's advertised weight, 1 for a plain subject.
func weight(ss *serverSub) int {
	if ss.queue == "" {
		return 1
	}
	return ss.qw
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
// remote entries: each local member weighs 1, each route entry its
// advertised weight (v2.15.2's weightedQSubIndex). A remote pick forwards
// the group on that route and reports true. Otherwise rt.members keeps
// the local members only, the draw is the first one probed, and the first
// route entry is kept as the fallback when none of them can take it. Leaf
// entries are not drawn: without a route entry, one of them, drawn by
// weight, is the fallback, so members in the cluster come first. Without
// either, the first gateway with interest in the group is (nats-server's
// sendMsgToGateways for the groups not served in the cluster).
func (s *Server) pickRemote(rt *routing) bool {
	var local, remote, leafs []*serverSub
	var gw *serverSub
	total := 0
	for _, ss := range rt.members {
		switch {
		case ss.route == nil:
			local = append(local, ss)
			total++
		case ss.route.gw:
			if gw == nil {
				gw = ss
			}
		case ss.route.leaf:
			leafs = append(leafs, ss)
		default:
			remote = append(remote, ss)
			total += max(ss.qw, 1)
		}
	}
	if len(remote) == 0 {
		switch {
		case len(leafs) > 0:
			rt.members, rt.fallback = local, s.pickLeaf(leafs)
		case gw != nil:
			rt.members, rt.fallback = local, gw
		}
		return false
	}
	r := s.rng.IntN("queue-member", total)
	rt.members, rt.drawn = local, true
	if r < len(local) {
		rt.first, rt.fallback = r, remote[0]
		return false
	}
	r -= len(local)
	rt.forwardTo(s.weighted(remote, r).route, rt.groups[rt.group])
	return true
}

// weighted is the entry among entries that the draw r, below their total
// weight, falls on.
func (s *Server) weighted(entries []*serverSub, r int) *serverSub {
	for _, ss := range entries {
		if r -= max(ss.qw, 1); r < 0 {
			return ss
		}
	}
	return entries[len(entries)-1]
}

// pickLeaf draws one of a queue group's leaf entries by weight (the coin
// flip of nats-server PR #6043); with one there is no draw.
func (s *Server) pickLeaf(leafs []*serverSub) *serverSub {
	if len(leafs) == 1 {
		return leafs[0]
	}
	total := 0
	for _, ss := range leafs {
		total += max(ss.qw, 1)
	}
	return s.weighted(leafs, s.rng.IntN("leaf-member", total))
}

// forwardTo adds to rt an RMSG on e for plain interest (queue "") or for
// queue group q.
func (rt *routing) forwardTo(e *routeEnd, q string) {
	rt.forwardFrom(e, q, "")
}

// forwardFrom is forwardTo for a message a leaf handed in from cluster
// origin, which the RMSG names so that the servers it reaches do not hand
// it back to that cluster.
func (rt *routing) forwardFrom(e *routeEnd, q, origin string) {
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
	f := forward{end: e, plain: q == "", origin: origin}
	if e.leaf {
		f.origin = "" // a leaf connection's peer knows where the message came from
	}
	if q != "" {
		f.queues = []string{q}
	}
	rt.fwd = append(rt.fwd, f)
}

// sendForwards writes rt's RMSGs; a message forwarded is routed.
func (s *Server) sendForwards(rt *routing) {
	for _, f := range rt.fwd {
		ref := int32(-1)
		if len(f.queues) > 0 || f.origin != "" {
			ref = int32(len(s.w.cl.rmsgQueues))
			s.w.cl.rmsgQueues = append(s.w.cl.rmsgQueues, f.queues)
			s.w.cl.rmsgOrigin = append(s.w.cl.rmsgOrigin, f.origin)
		}
		plain := int32(0)
		if f.plain {
			plain = 1
		}
		f.end.send(frame{op: opRMsg, arg: plain, frameRefs: frameRefs{msg: int32(rt.m.ID), ref: ref}})
		rt.delivered = true
		if s.w.tr != nil {
			ev := "server.rmsg"
			switch {
			case f.end.leaf:
				ev = "server.lmsg"
			case f.end.gw:
				ev = "server.gmsg"
			}
			s.w.trace("server/"+s.cl.name, ev, sim.Int("msg", int64(rt.m.ID)), sim.Str("to", f.end.peer.s.cl.name))
		}
	}
	rt.fwd = rt.fwd[:0]
}

// routedIn routes an RMSG (LMSG) that arrived on e as
// processInboundRoutedMsg (processInboundLeafMsg) does: to every local
// plain subscription and every connection allowed to carry it (pass), and
// for each named queue group to one local member, else to an entry this
// server still has for the group (the rsub fallback, possibly back to the
// sender): a leaf entry first, drawn by weight, else the first route
// entry. What finds no taker is dropped here, silently as in nats-server;
// the ledger records the drop against the subscriptions that had the
// interest the sender routed on and lost it while the message was on the
// link.
func (s *Server) routedIn(e *routeEnd, id int, ref int32, forPlain bool) {
	w := s.w
	m := w.ledger.Message(id)
	origin := ""
	switch {
	case e.leaf:
		origin = e.peer.s.cl.cluster
	case ref >= 0:
		origin = w.cl.rmsgOrigin[ref]
	}
	matches := s.subs.matchID(m.Subject)
	rt := routing{m: m}
	plain := false
	for _, ss := range matches {
		switch {
		case ss.queue != "":
		case ss.route == nil:
			if s.deliver(nil, ss, m) == delivered {
				plain = true
			}
		case ss.route != e && carries(e, ss.route, false, w.mut) && !s.echoes(ss.route, origin):
			rt.forwardFrom(ss.route, "", origin)
			plain = true // passed on: not dropped here
		}
	}
	if forPlain && !plain {
		s.dropRouted(m, "", DropRouteNoInterest)
	}
	if ref < 0 || len(w.cl.rmsgQueues[ref]) == 0 {
		s.sendForwards(&rt)
		return
	}
	for _, q := range w.cl.rmsgQueues[ref] {
		var members, leafs []*serverSub
		var fallback, gw *serverSub
		echo := false
		for _, ss := range matches {
			switch {
			case ss.queue != q:
			case ss.route == nil:
				members = append(members, ss)
			case w.mut.Has(NoRsubFallback) || !carries(e, ss.route, true, w.mut):
			case s.echoes(ss.route, origin):
				echo = true
			case ss.route.gw:
				if gw == nil {
					gw = ss
				}
			case ss.route.leaf:
				leafs = append(leafs, ss)
			case fallback == nil:
				fallback = ss
			}
		}
		switch {
		case len(leafs) > 0:
			fallback = s.pickLeaf(leafs)
		case fallback == nil:
			fallback = gw
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
			rt.forwardFrom(fallback.route, q, origin)
		case echo:
			s.dropRouted(m, q, DropLeafEcho)
		case s.gatewayInterest(q):
			s.dropRouted(m, q, DropNoGatewayFallback)
		default:
			s.dropRouted(m, q, DropRouteNoFallback)
		}
	}
	s.sendForwards(&rt)
}

// carries reports whether out may carry on a message that arrived on e
// (for a queue group's fallback when queue). One a spoke handed in enters
// the cluster and may go anywhere; one from a gateway anywhere in the
// cluster; one from a route or from the hub goes on only to leafs this
// server is the hub of, back on e, and, for a queue group, to a route
// when it came from a route. A spoke never hands its hub's message to its
// own routes, and only a message entering the cluster from a leaf goes to
// a gateway (unless the mutation gateway-fallback-anywhere).
func carries(e, out *routeEnd, queue bool, mut MutationSet) bool {
	switch {
	case out.gw:
		return e.leaf && e.hub || queue && mut.Has(GatewayFallbackAnywhere) && !e.gw
	case e.leaf && e.hub, e.gw:
		return true
	case out.leaf:
		return out.hub || out == e
	default:
		return queue && !e.leaf
	}
}

// gatewayInterest reports whether a server of this one's cluster knows of
// members of queue group q in another cluster (a gateway entry): where the
// group's only members left are across a gateway, a message routed
// inside the cluster has no way there.
func (s *Server) gatewayInterest(q string) bool {
	for _, o := range s.w.cl.servers {
		if o != s && (o.cl.cluster != s.cl.cluster || o.cl.cluster == "") {
			continue
		}
		for _, e := range o.cl.gws {
			for _, ss := range e.entries {
				if ss.queue == q {
					return true
				}
			}
		}
	}
	return false
}

// echoes reports whether out is a leaf connection to the cluster origin
// a leaf handed the message in from, which nats-server's isLeafEcho does
// not send it back to (unless the mutation no-leaf-echo-suppression). An
// unnamed cluster ("") is never an echo.
func (s *Server) echoes(out *routeEnd, origin string) bool {
	return out.leaf && origin != "" && out.peer.s.cl.cluster == origin && !s.w.mut.Has(NoLeafEchoSuppression)
}

// dropRouted records m, routed to this server, as dropped for the local
// subscriptions of queue group q ("" for plain ones) on its subject whose
// interest the message was routed on: those removed after the
// publisher's server accepted m, or, when none was, the one removed last
// (the sender routed on its interest before the withdrawal reached it).
// A queue group's drop goes to the member removed last. A subscription
// whose connection closed gets that closing's reason, whose cause the
// records decide as for any closed connection. A server with no such
// subscription of its own (a gateway receiver or a hub passing the
// message on) was sent it for another server's interest, whose
// withdrawal had not reached it: the drop goes to those of the other
// servers' removed subscriptions, by the same rule, but the publisher's
// server's (its interest is never what routed the message away).
func (s *Server) dropRouted(m *Message, q string, reason DropReason) {
	gone := s.goneFor(m, q, func(o *Server) bool { return o == s })
	if len(gone) == 0 {
		var home *Server // the publisher's server, which routes on others' interest only
		if i, ok := s.w.connByID(m.From); ok {
			home = s.w.cl.home[i]
		}
		gone = s.goneFor(m, q, func(o *Server) bool { return o != s && o != home })
	}
	var last *goneSub
	found := false
	for _, g := range gone {
		if last == nil || g.at >= last.at {
			last = g
		}
		if q == "" && g.at >= m.AcceptedAt {
			s.dropFor(g, m, reason)
			found = true
		}
	}
	if last != nil && (q != "" || !found) {
		s.dropFor(last, m, reason)
	}
}

// goneFor returns the removed subscriptions of queue group q on m's
// subject of the servers of the cluster that pick accepts, in server and
// removal order.
func (s *Server) goneFor(m *Message, q string, pick func(*Server) bool) []*goneSub {
	var out []*goneSub
	for _, o := range s.w.cl.servers {
		if !pick(o) {
			continue
		}
		for i := range o.cl.gone {
			if g := &o.cl.gone[i]; g.queue == q && subjectMatches(g.subject, s.w.ledger.Str(m.Subject)) {
				out = append(out, g)
			}
		}
	}
	return out
}

// dropFor records m as dropped for the removed subscription g: for
// reason, or the reason its connection's closing gives.
func (s *Server) dropFor(g *goneSub, m *Message, reason DropReason) {
	if g.closed != DropNone {
		reason = g.closed
	}
	s.dropSub(g.serverSub, m, reason, g.draining)
}

// dropSub records m as dropped at this server for local subscription ss,
// for reason, and whether ss was draining then.
func (s *Server) dropSub(ss *serverSub, m *Message, reason DropReason, draining bool) {
	w := s.w
	d := w.ledger.newDelivery(m, int(ss.rec.index), w.sim.Now())
	w.ledger.drop(d, w.sim.Now(), reason, draining)
	if w.tr != nil {
		w.trace(ss.conn.client.name, "server.drop", sim.Str("sub", ss.rec.ID), sim.Int("msg", int64(m.ID)),
			sim.Str("reason", reason.String()), sim.Str("server", s.cl.name))
	}
}
