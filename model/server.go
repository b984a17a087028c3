package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Server models one nats-server: a sublist of subscriptions, one inbound
// protocol stream and one outbound FIFO per connection. Each connection's
// operations are processed strictly in order and routing is synchronous, so
// a PONG leaves only after every MSG queued before it: the barrier drain
// relies on (docs/server.md#the-barrier-a-pong-after-every-earlier-msg).
//
// When the links have a bandwidth, bytes wait in a connection's outbound
// buffer until the link has carried them, and the server polices that
// backlog as nats-server v2.15 does (docs/server.md#slow-consumers): over max_pending it closes the
// connection as a slow consumer without flushing; over 75 % of it a
// publisher delivering to the connection stalls for up to 2 ms (5 ms at
// max_pending, at most 10 ms per read of the publisher) unless
// no_fast_producer_stall is set, in which case the message is dropped for
// that subscription. A stalled delivery does not check its subscription
// again afterwards: when the subscriber's UNSUB and PING are processed
// during the stall, its MSG lands after the PONG (docs/server.md, hole 1).
type Server struct {
	w     *World
	up    bool
	conns []*serverConn // indexed like World.conns; nil when not connected
	subs  sublist       // the subscriptions, indexed by subject for routing
	rng   sim.Chooser

	// limited is set when the links have a bandwidth; only then do
	// outbound buffers hold bytes and the policies below apply.
	limited    bool
	maxPending int  // max_pending in bytes
	stallAt    int  // producers stall above this many pending bytes
	noStall    bool // no_fast_producer_stall

	// cl is the server's state in a cluster (cluster.go); nil for one
	// server.
	cl *serverCluster
}

// nats-server's outbound limits (server/const.go, server/client.go).
const (
	defaultMaxPending = 64 << 20              // MAX_PENDING_SIZE
	stallMin          = 2 * time.Millisecond  // stallClientMinDuration
	stallMax          = 5 * time.Millisecond  // stallClientMaxDuration, when pending ≥ max_pending
	stallTotal        = 10 * time.Millisecond // stallTotalAllowed, per read of the producer
)

type serverConn struct {
	// What every read of the connection tests comes first, on one cache
	// line: a thousand connections do not fit in L2, so each event finds
	// its serverConn cold and pays for every line it touches. receive
	// reads open, wait and prod (and resets the producer's tst); enqueue
	// appends to out and tests kicked. A serverConn is two lines (128
	// bytes): what only a bandwidth uses is behind lim.
	srv       *Server // the server that accepted it
	client    *Conn
	open      bool
	kicked    bool // a write is scheduled
	noRespond bool
	// gate: the stall gate is up (c.out.stc; with a bandwidth only, see
	// limitedOut). Here, not in lim, for the test of every delivery.
	gate    bool
	nClosed int32 // closed subscriptions still in ordered
	// out is the outbound FIFO not yet written: nil (no buffer) until
	// the first enqueue after the accept or a write, which takes one from
	// the run's pool (World.getFrames). The pool gives back first the
	// buffer a link read last, in cache, where a buffer taken at the
	// accept or the write was cold by the next enqueue, for each of a
	// thousand clients (Scale/clients=1k). (A connection's own buffer,
	// Conn.out, is taken eagerly: Conn.write must stay small enough to
	// be inlined into the publish.)
	out []frame
	// As a producer: wait is the subscription of the delivery that
	// stalled its readLoop (nil if none); the rest of a stall's state is
	// prod's.
	wait *serverSub
	// prod is the producer's state that only a stall or a routing to
	// queue groups uses, made on first use (producer) and kept with the
	// connection from run to run: inline it was 312 of the connection's
	// 504 bytes, which every run cleared at accept and a thousand
	// connections' L2 footprint carried (Scale/clients=1k). It is on the
	// first line, as receive tests it for every read: on the second, with
	// ordered and bySid (which SUB, UNSUB and the close read), each read
	// was a second line from memory (h23clients).
	prod *producer
	// ordered are the connection's subscriptions in the order the server
	// processed their SUBs. An unsubscribed one stays in the list, closed
	// (skip those), until the closed ones are half of it at a SUB
	// (squeeze): removing n subscriptions one by one shifted the list
	// n²/2 times in all.
	// (Named ordered, not subs, so that code written for a list of open
	// subscriptions does not compile against it unseen.) bySid[sid] is the
	// open subscription with sid, if any: SUB and UNSUB look their sid up
	// there instead of scanning the list.
	ordered []*serverSub
	bySid   []*serverSub
	// lim is the connection's state as a subscriber under a bandwidth,
	// made by its first enqueue in such a run (limitedOut); nil without.
	lim *limitedOut
	// writeFn is the connection's write event (kick), made by its first
	// accept and kept from run to run.
	writeFn func()
}

// limitedOut is a server connection's outbound state under a bandwidth
// (nats-server's c.out as a subscriber's): the bytes queued or being
// written, the bytes of the write in progress (0: none), the producers
// waiting at the stall gate (serverConn.gate), and the write's end event
// (wrote), made by the first such write and kept from
// run to run. It is made on first use (serverConn.limited) and kept with
// the connection, reset by accept: inline it was 64 of a serverConn's
// 192 bytes, a line that a run without a bandwidth carried for each of a
// thousand connections (Scale/clients=1k). Made with writeFn, wroteFn
// lay between the write events' objects, which a thousand clients'
// writes load cold, two to a cache line instead of four
// (World.bindConns).
type limitedOut struct {
	pending int
	writing int
	waiters []*serverConn
	wroteFn func()
}

// limited returns sc's limitedOut, made on first use.
func (sc *serverConn) limited() *limitedOut {
	if sc.lim == nil {
		sc.lim = new(limitedOut)
	}
	return sc.lim
}

// producer is a serverConn's state as a producer beyond wait: its
// readLoop, stopped while a delivery stalls. tst is the time stalled
// during the current read (c.in.tst: only a stall adds to it, and
// receive resets it); rt is the routing of the
// stalled message; waitSince when the stall began, and waitTimer the
// timer that ends it unless the gate opens first; rest the current read's
// frames after the stalled one and later those that arrived meanwhile (the
// next read), each with the end of the stream if it came; spare a second
// buffer for later. groups and members are the lists of the producer's
// last routing to queue groups, for its next (routing.listGroup,
// listMembers).
type producer struct {
	tst       time.Duration
	rt        routing
	waitSince sim.Time
	waitTimer sim.Timer
	rest      []frame
	restEOF   bool
	later     []frame
	laterEOF  bool
	spare     []frame
	resumeFn  func()
	groups    []string
	members   []*serverSub
}

// producer returns sc's producer state, made on sc's first stall or
// routing to queue groups; accept resets it for each run.
func (sc *serverConn) producer() *producer {
	if sc.prod == nil {
		sc.prod = &producer{resumeFn: func() { sc.srv.resume(sc) }}
	}
	return sc.prod
}

type serverSub struct {
	conn    *serverConn
	sid     int32
	subject string
	// subjectID is subject's id in the run's ledger: the client's record's
	// (processSub; newSub interned it), or for a route's entry interned by
	// sublist.add, which indexes literal subjects by it.
	subjectID Str
	queue     string
	max       int64 // auto-unsubscribe limit, 0 = none
	nm        int64 // messages delivered since SUB
	closed    bool
	// plain: a local subscription of no queue group and without an
	// auto-unsubscribe limit, on a server whose links have no bandwidth
	// (so no stall gate), in a run without the ForgetDelivery mutation:
	// routing commits a message to it at once (deliverPlains), without
	// deliver's and commit's tests for the rest. Set by processSub,
	// cleared when the subscription gets a limit.
	plain bool
	// wild: its subject has wildcards (isWild), set by sublist.add, so
	// that remove and same need not scan the subject again.
	wild bool
	rec  *SubRecord
	seq  uint64 // its place in subscription order (sublist)

	// A remote entry (cluster.go) has a route and no conn: interest the
	// route's peer announced, with a queue group's weight qw.
	route *routeEnd
	qw    int
}

// A Runner lends it the previous run's Server, whose lists and subject
// index it empties and reuses.
func newServer(w *World, rng sim.Chooser) *Server {
	s := w.pool.takeServer()
	*s = Server{w: w, up: true, conns: growTo(emptied(s.conns), len(w.sc.Clients)), subs: sublist{strs: w.ledger, literal: s.subs.emptied(), ones: slices.Grow(emptied(s.subs.ones), len(w.sc.Subs))}, rng: rng,
		limited: w.sc.Network.Bandwidth > 0, maxPending: w.sc.Server.MaxPending, noStall: w.sc.Server.NoFastProducerStall}
	if s.maxPending == 0 {
		s.maxPending = defaultMaxPending
	}
	s.stallAt = s.maxPending / 4 * 3
	if w.races != nil {
		s.subs.reorder = w.drawFanoutOrder
	}
	return s
}

// checkServerOptions rejects server settings nats-server refuses to start
// with: a max_pending below the max_payload (validateOptions).
func checkServerOptions(sc *scenario.Scenario, p *Profile) error {
	if mp := sc.Server.MaxPending; mp != 0 && mp < p.MaxPayload {
		return &scenario.Error{File: sc.File, Line: sc.Server.MaxPendingLine, Field: "server.max_pending",
			Msg: fmt.Sprintf("max_pending %d is below max_payload %d (profile %s): nats-server refuses to start with that; want at least %d",
				mp, p.MaxPayload, p.Name, p.MaxPayload)}
	}
	return nil
}

// accept registers a new connection from client c.
// The connection is one of the Runner's previous run when there is one,
// reset: its events reach the server through sc.srv, so that they serve
// every run and server it is reused in.
func (s *Server) accept(c *Conn) *serverConn {
	sc := s.w.rc.serverConns.take()
	if sc.writeFn == nil { // a new connection: its write event is made once
		sc.writeFn = func() { sc.srv.write(sc) }
	}
	if p := sc.prod; p != nil {
		resumeFn := p.resumeFn
		*p = producer{}
		p.resumeFn = resumeFn
	}
	if l := sc.lim; l != nil {
		wroteFn := l.wroteFn
		*l = limitedOut{}
		l.wroteFn = wroteFn
	}
	// Zeroed and written field by field, not assigned a composite literal,
	// which is built on the stack and copied (store-forwarding stalls: see
	// Conn.clear).
	ordered, bySid, prod, lim, writeFn := emptied(sc.ordered), emptied(sc.bySid), sc.prod, sc.lim, sc.writeFn
	*sc = serverConn{}
	sc.srv, sc.client, sc.open = s, c, true
	sc.noRespond = s.w.sc.Server.NoResponders && !s.w.profile.NoHeaders
	sc.ordered, sc.bySid, sc.prod, sc.lim, sc.writeFn = ordered, bySid, prod, lim, writeFn
	s.w.serverConns = append(s.w.serverConns, sc)
	s.conns[c.idx] = sc
	return sc
}

// receive is the readLoop of c's connection: it processes frames read from
// it, in order. While a delivery has the readLoop stalled, what arrives
// waits, and is read together once the stall is over.
func (s *Server) receive(c *Conn, frames []frame, eof bool) {
	sc := s.conns[c.idx]
	if sc == nil || !sc.open {
		s.lostPubs(frames)
		return
	}
	if sc.wait != nil {
		p := sc.prod
		p.later = append(p.later, frames...)
		p.laterEOF = p.laterEOF || eof
		return
	}
	if p := sc.prod; p != nil {
		p.tst = 0
	}
	s.read(sc, frames, eof)
}

// read processes the frames of one read; when a delivery stalls, it keeps
// the rest for resume. It stops when the record budget ends the run: one
// read may carry a whole backlog, and each message may fan out to every
// subscription, so its deliveries could exceed the budget many times over
// within this one event. What it leaves ends the run in transit.
func (s *Server) read(sc *serverConn, frames []frame, eof bool) {
	for i := s.quietFrom(sc, frames, 0); i < len(frames); i = s.quietFrom(sc, frames, i+1) {
		if s.w.sim.Stopping() {
			return
		}
		if !sc.open { // closed as a slow consumer by one of its own frames
			s.lostPubs(frames[i:])
			return
		}
		if !s.process(sc, &frames[i]) {
			p := sc.prod
			p.rest = append(p.rest[:0], frames[i+1:]...)
			p.restEOF = eof
			return
		}
	}
	if eof {
		// The client closed: the server flushes what it has queued and
		// removes the connection's interest.
		s.closeConn(sc, true)
	}
}

// quietFrom is routeQuiet on frames[i:], returning the index of the first
// frame it leaves: a read that reaches its end or a frame other than a PUB
// makes no call.
func (s *Server) quietFrom(sc *serverConn, frames []frame, i int) int {
	if i < len(frames) && frames[i].op == opPub {
		i += s.routeQuiet(sc, frames[i:])
	}
	return i
}

// routeQuiet routes the PUBs at the head of frames that need nothing but
// their MSG frames and delivery records written, and returns how many it
// routed: PUBs whose matches are all plain subscriptions
// (serverSub.plain), open, on open connections whose write is already
// scheduled (kicked), with room for their frames in the connections' FIFOs
// and for their records in the ledger. processPub would route each through
// deliverPlains and settle it as routed, and call nothing but matchID and
// the buffers' growth.
//
// It tests the record budget before each PUB as read does, and looks the
// matches up once for a run of PUBs of one subject (nothing here changes
// the subscriptions, and matchID would return the same list for each),
// so that the loop over the run makes no call and its values stay in
// registers: processPub, matchID and deliverPlains were three calls a
// message, with what crossed them stored to the stack and loaded back.
func (s *Server) routeQuiet(sc *serverConn, frames []frame) int {
	if !sc.open {
		return 0
	}
	w, l := s.w, s.w.ledger
	i := 0
	for i < len(frames) && frames[i].op == opPub && !w.sim.Stopping() {
		subject := l.Message(int(frames[i].msg)).Subject
		matches := s.subs.matchID(subject)
		n := i + s.quietRoom(matches, len(frames)-i)
		if n == i {
			break
		}
		// A backlog's deliveries are reserved; so are those of messages
		// reserved still (Ledger.unwritten), whose records routeReserved
		// asks for (Ledger.Message): the loop below reads them directly,
		// without Message's test for one, a message.
		if reservesDeliveries((n-i)*len(matches)) || l.unwritten != math.MaxInt {
			var stop bool
			if i, stop = s.routeReserved(frames, i, n, subject, matches); stop {
				return i
			}
			continue
		}
		now := w.sim.Now()
		for ; i < n; i++ {
			f := &frames[i]
			if f.op != opPub || w.sim.Stopping() {
				return i
			}
			m := &l.Messages[f.msg-1] // written: none is reserved
			if m.Subject != subject {
				break // the next run
			}
			m.AcceptedAt = now
			arg := sizeField(pendingSize(w.profile, m))
			// The message's delivery records are made at once: they count
			// in the record budget together (the loop tests Stopping
			// between messages only, so that a run stops where it did with
			// a count a delivery), and the records' slice grows once.
			d := l.addDeliveries(len(matches))
			for _, ss := range matches {
				ss.nm++
				putDelivery(&l.Deliveries[d], m, int(ss.rec.index), now)
				ss.conn.nextRoomy().setMsg(ss, m, int32(d), arg)
				d++
			}
			l.settle(m, MsgRouted)
		}
	}
	return i
}

// routeReserved is routeQuiet's loop over frames[i:n], a run of PUBs on
// subject to matches, for a backlog: their deliveries' records are
// reserved (Ledger.reserveDeliveries), in runs of consecutive messages,
// and written when first read instead of here and again at handling,
// long after, out of cache. It returns where it stopped and whether
// routeQuiet stops there too. For a run of fewer deliveries (reserves),
// reserving costs more instructions than the write it saves.
func (s *Server) routeReserved(frames []frame, i, n int, subject Str, matches []*serverSub) (int, bool) {
	w, l := s.w, s.w.ledger
	now, subs := w.sim.Now(), s.runSubs(matches)
	next := int32(0) // the message the ledger's run takes next; 0 before the first
	for ; i < n; i++ {
		f := &frames[i]
		if f.op != opPub || w.sim.Stopping() {
			return i, true
		}
		m := l.Message(int(f.msg))
		if m.Subject != subject {
			break // the next run
		}
		m.AcceptedAt = now
		arg := sizeField(pendingSize(w.profile, m))
		if f.msg != next {
			l.startDeliveries(now, subs, f.msg)
		}
		next = f.msg + 1
		d := l.reserveDeliveries()
		for _, ss := range matches {
			ss.nm++
			ss.conn.nextRoomy().setMsg(ss, m, d, arg)
			d++
		}
		l.settle(m, MsgRouted)
	}
	return i, false
}

// runSubs lists the subscriptions (their indexes) of matches in the
// ledger, for the runs of deliveries routeQuiet reserves
// (Ledger.startDeliveries): their records are written when first read,
// not here and again at handling. Each leaves the plain turn
// (Sub.reservedTo), whose start does not ask for its record.
func (s *Server) runSubs(matches []*serverSub) []int32 {
	l := s.w.ledger
	from := len(l.runSubs)
	for _, ss := range matches {
		l.runSubs = append(l.runSubs, ss.rec.index)
		if cs := s.w.subList[ss.rec.index]; !cs.reservedTo {
			cs.setReservedTo()
		}
	}
	return l.runSubs[from:len(l.runSubs):len(l.runSubs)]
}

// quietRoom returns how many of up to n PUBs matching matches routeQuiet
// may route: none unless there are matches and all are plain, open, on
// open connections whose write is scheduled; else as many as leave a
// frame in every match's FIFO (one FIFO may take them all) and a record
// for every match.
func (s *Server) quietRoom(matches []*serverSub, n int) int {
	if len(matches) == 0 {
		return 0
	}
	l := s.w.ledger
	n = min(n, (cap(l.Deliveries)-len(l.Deliveries))/len(matches))
	for _, ss := range matches {
		c := ss.conn
		if !ss.plain || ss.closed || !c.open || !c.kicked {
			return 0
		}
		n = min(n, (cap(c.out)-len(c.out))/len(matches))
	}
	return n
}

// lostPubs records the messages of frames as lost: their connection was
// closed before the server processed them.
func (s *Server) lostPubs(frames []frame) {
	for _, f := range frames {
		if f.op == opPub {
			s.w.lostInFlight(int(f.msg), "server connection closed")
		}
	}
}

// process handles one operation, f, a frame of the read (by pointer: a
// frame's copy and its five words in registers were ~15 instructions of
// every frame that is not a quietly routed PUB, the UNSUB and the PING of
// each of a connection drain's subscriptions in Scale/subs=1k); it
// returns false when a delivery stalled the readLoop.
func (s *Server) process(sc *serverConn, f *frame) bool {
	switch f.op {
	case opConnect:
		s.enqueue(sc, frame{op: opConnected})
	case opSub:
		s.processSub(sc, *f)
	case opUnsub:
		if f.arg == 0 && s.w.mut.Has(LateUnsub) {
			sid := f.sid
			s.w.sim.After(lateUnsubDelay, func() { s.processUnsub(sc, sid, 0) })
			return true
		}
		s.processUnsub(sc, f.sid, int64(f.arg))
	case opPub:
		return s.processPub(sc, int(f.msg))
	case opPing:
		s.enqueue(sc, frame{op: opPong})
	}
	return true
}

// sub returns the open subscription of sc with sid, or nil.
func (sc *serverConn) sub(sid int32) *serverSub {
	if sid < 0 || int(sid) >= len(sc.bySid) {
		return nil
	}
	return sc.bySid[sid]
}

func (s *Server) processSub(sc *serverConn, f frame) {
	if sc.sub(f.sid) != nil {
		return // a duplicate sid is silently ignored
	}
	cs := s.w.subList[f.ref]
	// The record is one of the Runner's previous run when there is one:
	// nothing of an earlier run reaches it, since a Server and its
	// sublist serve one run (newServer).
	// Reset unless new (takeFresh), writing only the pointer slots that
	// change (serverSub.reset), as newSub does a subscription.
	ss, fresh := s.w.rc.serverSubs.takeFresh()
	if !fresh {
		ss.reset(sc, cs.subject, cs.queue)
	} else {
		ss.conn, ss.subject, ss.queue = sc, cs.subject, cs.queue
	}
	ss.sid, ss.subjectID, ss.rec = f.sid, cs.rec.Subject, cs.rec
	ss.plain = ss.queue == "" && !s.limited && !s.w.mut.Has(ForgetDelivery)
	s.w.serverSubs = append(s.w.serverSubs, ss)
	sc.squeeze()
	sc.ordered = append(sc.ordered, ss)
	extendTo(&sc.bySid, int(f.sid)+1)
	sc.bySid[f.sid] = ss
	s.subs.add(ss, !cs.literal && isWild(ss.subject))
	if s.cl != nil {
		s.interest(ss, +1)
	}
	if s.w.tr != nil {
		s.w.trace(sc.client.name, "server.sub", sim.Str("sub", cs.rec.ID), sim.Int("sid", int64(f.sid)))
	}
}

// reset readies ss, an entry of the Runner's previous run, for the next
// as conn's subscription on subject in queue group queue: every other
// field zero, but rec, which processSub sets next. A pointer slot is
// written only where it changes: zeroing the whole entry and writing back
// the same connection and subject went through the write barrier while the
// collector marked (Scale/subs=1k). TestServerSubResetClearsEveryField
// catches a field added to serverSub and not reset here.
func (ss *serverSub) reset(conn *serverConn, subject, queue string) {
	put(&ss.conn, conn)
	putString(&ss.subject, subject)
	putString(&ss.queue, queue)
	put(&ss.route, nil)
	ss.sid, ss.subjectID, ss.max, ss.nm, ss.closed, ss.plain, ss.wild, ss.seq, ss.qw = 0, 0, 0, 0, false, false, false, 0, 0
}

func (s *Server) processUnsub(sc *serverConn, sid int32, max int64) {
	ss := sc.sub(sid)
	if ss == nil {
		return
	}
	if max > 0 && max > ss.nm {
		ss.max, ss.plain = max, false
		s.w.trace(sc.client.name, "server.unsub", sim.Str("sub", ss.rec.ID), sim.Int("max", max))
		return
	}
	s.unsubscribe(ss)
	if s.w.tr != nil {
		s.w.trace(sc.client.name, "server.unsub", sim.Str("sub", ss.rec.ID))
	}
	if ss.queue != "" && s.w.mut.Has(UnsubRemovesQueueGroup) {
		for _, o := range s.subs.same(ss) { // a snapshot: unsubscribe does not change it
			if o.queue == ss.queue && o.subject == ss.subject && o.route == nil {
				s.unsubscribe(o)
			}
		}
	}
}

func (s *Server) unsubscribe(ss *serverSub) {
	ss.closed = true
	if ss.rec.UnsubProcessedAt == NoTime {
		ss.rec.UnsubProcessedAt = s.w.sim.Now()
	}
	ss.conn.remove(ss)
	s.subs.remove(ss)
	if s.cl != nil {
		s.removed(ss, DropNone)
	}
}

// growTo returns list extended with nils to at least n entries, in one
// allocation at most.
func growTo[T any](list []*T, n int) []*T {
	if n <= len(list) {
		return list
	}
	return slices.Grow(list, n-len(list))[:n]
}

// extendTo extends *p to at least n entries, as growTo does, in place:
// within its array's capacity *p is resliced, which writes its length
// alone, where assigning growTo's result wrote the array's pointer back
// too, through the write barrier while the collector marked, for every
// sid and subject a set-up files (three times a subscription: the
// client's and the server's sid indexes and the sublist's literal
// index). The entries past *p's length must be zero, as growTo's are.
func extendTo[T any](p *[]T, n int) {
	if n > cap(*p) {
		*p = slices.Grow(*p, n-len(*p))
	}
	if n > len(*p) {
		*p = (*p)[:n]
	}
}

// removeSS returns list without ss, shifting the rest in place.
func removeSS(list []*serverSub, ss *serverSub) []*serverSub {
	for i, x := range list {
		if x == ss {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// remove takes ss, just closed, out of sc's sid index; it stays in
// sc.ordered, closed, until the next SUB squeezes the list (squeeze).
func (sc *serverConn) remove(ss *serverSub) {
	if sc.sub(ss.sid) != ss {
		return // not sc's (or no longer): shut cleared the connection
	}
	sc.bySid[ss.sid] = nil
	sc.nClosed++
}

// squeeze drops the closed subscriptions from sc.ordered once they are
// half of it, before a SUB appends to it: the list grows only there, and
// shut, its only walk, comes once a connection, so it is at most twice
// the open subscriptions after every SUB. Squeezing at the UNSUB that made
// them half, as remove did, moved, cleared and scanned a connection's n
// subscriptions about twice over as they were unsubscribed one by one (a
// drain: Scale/subs=1k, 2 % of its CPU), for a list shut then empties.
func (sc *serverConn) squeeze() {
	if sc.nClosed > 0 && 2*int(sc.nClosed) >= len(sc.ordered) {
		sc.ordered = slices.DeleteFunc(sc.ordered, func(x *serverSub) bool { return x.closed })
		sc.nClosed = 0
	}
}

// processPub routes one message published on sc; it returns false when a
// delivery stalled sc's readLoop, and resume finishes the routing. The
// cursor lives on the stack and is kept in sc only for a stall.
//
// The plain subscriptions at the head of the matches (deliverPlains,
// which never stall) take the message first, without the cursor; when
// they are all the matches and one took it, the message is routed, the
// usual case, and the cursor, 150 bytes to zero, is not made. Otherwise
// route goes on from the first other match, as it would have.
func (s *Server) processPub(sc *serverConn, id int) bool {
	m := s.w.ledger.Message(id)
	m.AcceptedAt = s.w.sim.Now()
	matches := s.subs.matchID(m.Subject)
	i, delivered := s.deliverPlains(matches, m)
	if delivered && i == len(matches) {
		s.w.ledger.settle(m, MsgRouted) // as routed settles it
		return true
	}
	rt := routing{m: m, matches: matches, next: i, delivered: delivered}
	if !s.route(sc, &rt) {
		sc.prod.rt = rt
		return false
	}
	s.routed(sc, &rt)
	return true
}

// routed gives a routed message its fate; one nobody took that asks for a
// reply gets the no-responders status when the requester wants it.
func (s *Server) routed(sc *serverConn, rt *routing) {
	w := s.w
	m := rt.m
	if len(rt.fwd) > 0 {
		s.sendForwards(rt)
	}
	if rt.delivered {
		w.ledger.settle(m, MsgRouted)
		return
	}
	w.ledger.settle(m, MsgNoInterest)
	w.trace("server", "no_interest", sim.Int("msg", int64(m.ID)), sim.Str("subject", w.ledger.Str(m.Subject)))
	if m.Reply != 0 && sc.noRespond && m.Status == 0 {
		st := w.ledger.newMessage(w.ledger.Intern("server"), m.Reply, w.sim.Now())
		st.Status = 503
		st.AcceptedAt = w.sim.Now()
		rt := routing{m: st, matches: s.subs.matchID(st.Subject)}
		s.route(nil, &rt) // the server's own message never stalls
		if len(rt.fwd) > 0 {
			s.sendForwards(&rt)
		}
		if rt.delivered {
			w.ledger.settle(st, MsgRouted)
		} else {
			w.ledger.settle(st, MsgNoInterest)
		}
	}
}

// routing is the delivery of one message to the subscriptions that matched
// it when its PUB was processed: every plain subscription, then one member
// per queue group, chosen at random, the next members probed when the
// chosen one cannot take it. It is a cursor, so that a delivery that
// stalls the publisher can resume it.
type routing struct {
	m         *Message
	matches   []*serverSub
	next      int          // plain subscriptions: the next match to try
	groups    []string     // the queue groups, in order of first match
	group     int          // the group being routed
	members   []*serverSub // its members; empty before it is reached
	first     int          // the member tried first
	tried     int          // members tried so far
	delivered bool         // committed to at least one subscription

	// In a cluster: the group's member was drawn among local members and
	// remote entries (drawn), one local member took it (took), the remote
	// entry to forward it to if none does (fallback), and the RMSGs to send.
	drawn    bool
	took     bool
	fallback *serverSub
	fwd      []forward
}

// route delivers rt's message from where it stands; it returns false when
// a delivery stalled the producer p (nil for the server's own messages).
func (s *Server) route(p *serverConn, rt *routing) bool {
	fanout := s.w.mut.Has(QueueFanout)
	for rt.next < len(rt.matches) {
		ss := rt.matches[rt.next]
		if ss.plain {
			n, delivered := s.deliverPlains(rt.matches[rt.next:], rt.m)
			rt.next += n
			rt.delivered = rt.delivered || delivered
			continue
		}
		rt.next++
		if ss.route != nil { // a remote entry: forward plain interest, collect groups
			if ss.queue == "" {
				rt.forwardTo(ss.route, "")
			} else {
				rt.listGroup(ss.queue, p)
			}
			continue
		}
		if ss.queue != "" && !fanout {
			rt.listGroup(ss.queue, p)
			continue
		}
		switch s.deliver(p, ss, rt.m) {
		case delivered:
			rt.delivered = true
		case stalled:
			return false
		}
	}
	for rt.group < len(rt.groups) {
		if len(rt.members) == 0 {
			rt.listMembers(p)
			if s.cl != nil && s.pickRemote(rt) {
				rt.nextGroup()
				continue
			}
			if len(rt.members) > 1 && !rt.drawn {
				rt.first = s.rng.IntN("queue-member", len(rt.members))
			}
		}
		for rt.tried < len(rt.members) {
			ss := rt.members[(rt.first+rt.tried)%len(rt.members)]
			rt.tried++
			switch s.deliver(p, ss, rt.m) {
			case delivered:
				rt.delivered, rt.took = true, true
				rt.tried = len(rt.members)
			case stalled:
				return false
			}
		}
		if !rt.took && rt.fallback != nil {
			rt.forwardTo(rt.fallback.route, rt.groups[rt.group])
		}
		rt.nextGroup()
	}
	return true
}

// listGroup adds queue group q to rt's groups unless listed. The list is
// the one producer p's last routing to queue groups left (a new one for
// the server's own messages, p nil), and p keeps it for its next: a
// routing to queue groups allocated it every time. A producer routes one
// message at a time, as a stall stops its readLoop, so its routings never
// share the list.
func (rt *routing) listGroup(q string, p *serverConn) {
	if containsStr(rt.groups, q) {
		return
	}
	if p == nil {
		rt.groups = append(rt.groups, q)
		return
	}
	pr := p.producer()
	if rt.groups == nil {
		rt.groups = pr.groups[:0]
	}
	rt.groups = append(rt.groups, q)
	pr.groups = rt.groups
}

// listMembers lists the members of the group being routed, in the list p
// keeps as listGroup does.
func (rt *routing) listMembers(p *serverConn) {
	var pr *producer
	if p != nil {
		pr = p.producer()
		if rt.members == nil {
			rt.members = pr.members[:0]
		}
	}
	for _, ss := range rt.matches {
		if ss.queue == rt.groups[rt.group] {
			rt.members = append(rt.members, ss)
		}
	}
	if pr != nil {
		pr.members = rt.members
	}
}

// nextGroup moves rt's cursor to the next queue group.
func (rt *routing) nextGroup() {
	rt.group++
	rt.members, rt.first, rt.tried = rt.members[:0], 0, 0
	rt.drawn, rt.took, rt.fallback = false, false, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// delivery is what became of one attempt to deliver to a subscription.
type delivery uint8

const (
	refused   delivery = iota // closed, past its limit, or dropped as stalled
	delivered                 // its MSG is in the subscriber's FIFO
	stalled                   // the producer waits; resume finishes it
)

// deliver is deliverMsg: it refuses closed subscriptions and connections
// and subscriptions past their auto-unsubscribe limit, counts the message
// towards the limit, then, when the subscriber's stall gate is up, stalls
// the producer p or (no_fast_producer_stall) drops the message, and
// otherwise commits it.
func (s *Server) deliver(p *serverConn, ss *serverSub, m *Message) delivery {
	if ss.closed || !ss.conn.open {
		return refused
	}
	if ss.max > 0 && ss.nm >= ss.max {
		return refused
	}
	ss.nm++
	if p != nil && ss.conn.gate {
		if s.noStall {
			s.dropStalled(ss, m)
			s.unsubscribeAtMax(ss)
			return refused
		}
		if s.stall(p, ss, m) {
			return stalled
		}
	}
	s.commit(ss, m)
	return delivered
}

// deliverPlains is deliver for each plain subscription (serverSub.plain)
// at the head of matches: it refuses a closed subscription or connection
// and otherwise commits, with no limit to count towards, no gate to stall
// at, and a FIFO that counts no pending bytes. It returns how many
// subscriptions it went through and whether one of them took m. What
// every delivery of m writes alike (the time, the MSG's size field) is
// read once for them all.
func (s *Server) deliverPlains(matches []*serverSub, m *Message) (n int, delivered bool) {
	now, arg := s.w.sim.Now(), sizeField(pendingSize(s.w.profile, m))
	for ; n < len(matches) && matches[n].plain; n++ {
		ss := matches[n]
		if ss.closed || !ss.conn.open {
			continue
		}
		ss.nm++
		f := ss.conn.next()
		f.setMsg(ss, m, s.w.ledger.newDelivery(m, int(ss.rec.index), now), arg)
		s.kick(ss.conn)
		delivered = true
	}
	return n, delivered
}

// commit appends m's MSG for ss to the subscriber's FIFO. A subscription
// already unsubscribed gets it all the same, tagged: only a stalled
// delivery can get here so (docs/server.md, hole 1).
func (s *Server) commit(ss *serverSub, m *Message) {
	w := s.w
	if w.mut.Has(ForgetDelivery) && m.ID%10 == 0 {
		s.unsubscribeAtMax(ss)
		return
	}
	var f frame
	s.newMsg(ss, m, &f)
	if ss.closed {
		w.ledger.delivery(f.ref).AfterUnsub = true
		w.trace(ss.conn.client.name, "server.late_msg", sim.Str("sub", ss.rec.ID), sim.Int("msg", int64(m.ID)))
	}
	s.enqueue(ss.conn, f)
	s.unsubscribeAtMax(ss)
}

// newMsg records the delivery of m to ss and writes its MSG frame to f.
func (s *Server) newMsg(ss *serverSub, m *Message, f *frame) {
	w := s.w
	f.setMsg(ss, m, w.ledger.newDelivery(m, int(ss.rec.index), w.sim.Now()), sizeField(pendingSize(w.profile, m)))
}

// setMsg makes f the MSG frame of delivery d of m to ss, with arg its
// size field. deliverPlains has it written in place in the FIFO
// (serverConn.next): a frame returned, or built on the stack, was stored
// field by field and copied in 16-byte moves, loads that the store buffer
// cannot forward from the narrower stores (a stall a message; frameRefs
// now keeps a frame in registers, but in place is still no copy at all).
// Inlined, where newMsg was a call a delivery.
func (f *frame) setMsg(ss *serverSub, m *Message, d int32, arg int32) {
	f.op, f.sid, f.msg, f.ref, f.arg = opMsg, ss.sid, int32(m.ID), d, arg
}

// unsubscribeAtMax removes ss once it has had its auto-unsubscribe limit.
func (s *Server) unsubscribeAtMax(ss *serverSub) {
	if ss.max > 0 && ss.nm >= ss.max && !ss.closed {
		s.unsubscribe(ss)
	}
}

// dropStalled records m as dropped for ss: the server does not stall
// producers (no_fast_producer_stall) and ss's connection is over the mark.
func (s *Server) dropStalled(ss *serverSub, m *Message) {
	w := s.w
	d := w.ledger.newDelivery(m, int(ss.rec.index), w.sim.Now())
	w.ledger.drop(d, w.sim.Now(), DropServerStalled, ss.conn.client.recDraining(ss.sid))
	if w.tr != nil {
		w.trace(ss.conn.client.name, "server.drop", sim.Str("sub", ss.rec.ID), sim.Int("msg", int64(m.ID)),
			sim.Str("reason", DropServerStalled.String()))
	}
}

// stall is stalledWait: producer p waits at ss's connection's gate for
// 2 ms (5 ms at max_pending), at most until it has waited 10 ms during its
// current read, or until the gate opens. It reports false when p's 10 ms
// are used up.
func (s *Server) stall(p *serverConn, ss *serverSub, m *Message) bool {
	pr := p.producer()
	if pr.tst >= stallTotal {
		return false
	}
	sub := ss.conn.lim // the gate is up: it exists
	ttl := stallMin
	if sub.pending >= s.maxPending {
		ttl = stallMax
	}
	ttl = min(ttl, stallTotal-pr.tst)
	now := s.w.sim.Now()
	p.wait, pr.waitSince = ss, now
	pr.waitTimer = s.w.sim.At(now.Add(ttl), pr.resumeFn)
	sub.waiters = append(sub.waiters, p)
	if s.w.tr != nil {
		s.w.trace(p.client.name, "server.stall", sim.Str("sub", ss.rec.ID), sim.Int("msg", int64(m.ID)), sim.Dur("for", ttl),
			sim.Dur("read_stalled", pr.tst))
	}
	return true
}

// resume ends p's stall: after stalledWait nats-server checks the
// subscriber's connection, not the subscription, so the message is
// committed even if the subscription was closed meanwhile. Then the
// routing and p's readLoop go on.
func (s *Server) resume(p *serverConn) {
	pr := p.prod
	ss := p.wait
	p.wait = nil
	pr.tst += s.w.sim.Now().Sub(pr.waitSince)
	sub := ss.conn
	if l := sub.lim; l != nil { // p waited at its gate
		for i, x := range l.waiters {
			if x == p {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				break
			}
		}
	}
	rt := &pr.rt
	if sub.open {
		s.commit(ss, rt.m)
		rt.delivered, rt.took = true, true
		rt.tried = len(rt.members) // a queue group has its member
	}
	if !s.route(p, rt) {
		return
	}
	s.routed(p, rt)
	if len(pr.rest) > 0 || pr.restEOF {
		rest, eof := pr.rest, pr.restEOF
		pr.rest, pr.restEOF = pr.rest[:0], false
		s.read(p, rest, eof)
	}
	for p.wait == nil && (len(pr.later) > 0 || pr.laterEOF) {
		next, eof := pr.later, pr.laterEOF
		pr.later, pr.laterEOF = pr.spare[:0], false
		pr.tst = 0
		if p.open {
			s.read(p, next, eof)
		} else {
			s.lostPubs(next)
		}
		pr.spare = next[:0]
	}
}

// openGate lets the producers stalled at sc's gate go on.
func (s *Server) openGate(sc *serverConn) {
	sc.gate = false
	l := sc.lim
	if l == nil {
		return // no producer waits without a bandwidth
	}
	for _, p := range l.waiters {
		pr := p.prod
		s.w.sim.Cancel(pr.waitTimer)
		pr.waitTimer = s.w.sim.At(s.w.sim.Now(), pr.resumeFn)
	}
	l.waiters = l.waiters[:0]
}

// enqueue is queueOutbound: it appends f to the connection's FIFO. With a
// bandwidth it counts f's bytes as pending: over max_pending the server
// closes the connection as a slow consumer, over 75 % of it the stall gate
// goes up.
func (s *Server) enqueue(sc *serverConn, f frame) {
	sc.append(f)
	if s.limited && !s.pend(sc, f) {
		return
	}
	s.kick(sc)
}

// append appends f to sc's FIFO.
func (sc *serverConn) append(f frame) {
	*sc.next() = f
}

// next extends sc's FIFO by one frame, for its caller to write: a frame
// reused from an earlier write, so every field must be written. A
// connection's first frame takes a buffer from the run's pool (the one a
// link read last, still in cache), not one of its own made at set-up.
func (sc *serverConn) next() *frame {
	if len(sc.out) == cap(sc.out) {
		if cap(sc.out) == 0 {
			sc.out = sc.client.w.getFrames()
		} else {
			sc.out = sc.client.growIn(sc.out)
		}
	}
	return sc.nextRoomy()
}

// nextRoomy is next when the FIFO has room for one more frame: it makes
// no call (Server.routeQuiet).
func (sc *serverConn) nextRoomy() *frame {
	sc.out = sc.out[:len(sc.out)+1]
	return &sc.out[len(sc.out)-1]
}

// pend counts f's bytes as pending on sc under a bandwidth: over
// max_pending the server closes sc as a slow consumer (pend reports
// false), over 75 % of it the stall gate goes up.
func (s *Server) pend(sc *serverConn, f frame) bool {
	l := sc.limited()
	l.pending += s.w.wireSize(f)
	if l.pending > s.maxPending {
		s.slowConsumer(sc)
		return false
	}
	if l.pending > s.stallAt {
		sc.gate = true
	}
	return true
}

func (s *Server) kick(sc *serverConn) {
	if !sc.kicked {
		sc.kicked = true
		s.w.sim.At(s.w.sim.Now(), sc.writeFn)
	}
}

// write is the connection's writeLoop: everything queued goes out as one
// write. With a bandwidth, the write holds its bytes pending until the
// link has carried them, and the next write waits for it.
func (s *Server) write(sc *serverConn) {
	sc.kicked = false
	if !sc.open || len(sc.out) == 0 || (sc.lim != nil && sc.lim.writing > 0) {
		return
	}
	out := sc.out
	sc.out = nil
	done := sc.client.fromServer.send(out, false)
	if s.limited {
		l := sc.limited()
		l.writing = l.pending
		if l.wroteFn == nil {
			l.wroteFn = func() { sc.srv.wrote(sc) }
		}
		s.w.sim.At(done, l.wroteFn)
	}
}

// wrote ends a write (flushOutbound): its bytes are no longer pending, the
// stall gate opens as the whole write went out, and what was queued
// meanwhile is written.
func (s *Server) wrote(sc *serverConn) {
	if !sc.open {
		return
	}
	l := sc.lim // its write made it
	l.pending -= l.writing
	l.writing = 0
	s.openGate(sc)
	s.write(sc)
}

// slowConsumer closes sc for exceeding max_pending: nats-server discards
// its outbound buffer and the client reads what is already on the wire,
// then the end of the stream.
func (s *Server) slowConsumer(sc *serverConn) {
	s.w.trace(sc.client.name, "server.slow_consumer", sim.Int("pending", int64(sc.limited().pending)), sim.Int("max_pending", int64(s.maxPending)))
	s.shut(sc, DropServerSlowConsumer)
	s.discard(sc, DropServerSlowConsumer)
	sc.client.fromServer.send(nil, true)
}

// closeConn ends a connection. With flush, what is queued is still written
// (a client close or a server shutdown); without it the FIFO is discarded
// (a broken link).
func (s *Server) closeConn(sc *serverConn, flush bool) {
	why := DropConnClosed
	if !flush {
		why = DropDisconnect
	}
	s.closeWith(sc, flush, why)
}

// closeWith is closeConn with why the drop reason of what the connection
// loses: what it had queued when not flushed, and what other servers
// routed to its subscriptions that arrives later.
func (s *Server) closeWith(sc *serverConn, flush bool, why DropReason) {
	if !sc.open {
		return
	}
	s.shut(sc, why)
	if !flush {
		s.discard(sc, why)
		return
	}
	out := sc.out
	sc.out = nil
	sc.client.fromServer.send(out, true)
}

// shut marks a connection closed and removes its interest; producers
// stalled at its gate go on. why is the drop reason of messages routed to
// its subscriptions from other servers that arrive later (cluster.go).
func (s *Server) shut(sc *serverConn, why DropReason) {
	sc.open = false
	for _, ss := range sc.ordered {
		if ss.closed {
			continue // unsubscribed earlier
		}
		ss.closed = true
		s.subs.remove(ss)
		if s.cl != nil {
			s.removed(ss, why)
		}
	}
	// Emptied, not dropped: the arrays serve the connection a Runner's
	// next run accepts in sc's memory (accept).
	sc.ordered, sc.bySid, sc.nClosed = emptied(sc.ordered), emptied(sc.bySid), 0
	s.openGate(sc)
	if s.conns[sc.client.idx] == sc {
		s.conns[sc.client.idx] = nil
	}
}

// discard drops the MSGs still in sc's FIFO for reason.
func (s *Server) discard(sc *serverConn, reason DropReason) {
	for _, f := range sc.out {
		if f.op == opMsg {
			s.w.ledger.drop(f.ref, s.w.sim.Now(), reason, sc.client.recDraining(f.sid))
		}
	}
	sc.out = nil
}

// SubjectMatches reports whether a subscription subject (which may contain
// the wildcards * and >) matches a literal publish subject, as the server
// routes; invariants use it to find the messages meant for a subscription.
func SubjectMatches(pattern, subject string) bool { return subjectMatches(pattern, subject) }

// subjectMatches reports whether a subscription subject (which may contain
// the wildcards * and >) matches a literal publish subject.
func subjectMatches(pattern, subject string) bool {
	for {
		pt, prest, pmore := strings.Cut(pattern, ".")
		st, srest, smore := strings.Cut(subject, ".")
		switch {
		case pt == ">":
			return true
		case pt != "*" && pt != st:
			return false
		}
		if !pmore || !smore {
			return pmore == smore
		}
		pattern, subject = prest, srest
	}
}
