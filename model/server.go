package model

import (
	"strings"

	"github.com/drainsim/drainsim/sim"
)

// Server models one nats-server: a sublist of subscriptions, one inbound
// protocol stream and one outbound FIFO per connection. Each connection's
// operations are processed strictly in order and routing is synchronous, so
// a PONG leaves only after every MSG queued before it: the barrier drain
// relies on (reference/nats-server-protocol.md §2).
type Server struct {
	w     *World
	up    bool
	conns []*serverConn // indexed like World.conns; nil when not connected
	subs  []*serverSub  // the sublist, in insertion order
	rng   sim.Chooser
	// cache maps a publish subject to its matching subscriptions, in sublist
	// order; it is cleared whenever the sublist changes (nats-server keeps a
	// similar per-connection cache). Only looked up, never iterated.
	cache map[string][]*serverSub
}

type serverConn struct {
	client    *Conn
	open      bool
	out       []frame // outbound FIFO not yet written
	kicked    bool    // a write is scheduled
	writeFn   func()
	subs      []*serverSub
	noRespond bool
}

type serverSub struct {
	conn    *serverConn
	sid     int32
	subject string
	queue   string
	max     int64 // auto-unsubscribe limit, 0 = none
	nm      int64 // messages delivered since SUB
	closed  bool
	rec     *SubRecord
}

func newServer(w *World, rng sim.Chooser) *Server {
	return &Server{w: w, up: true, conns: make([]*serverConn, len(w.conns)), rng: rng}
}

// accept registers a new connection from client c.
func (s *Server) accept(c *Conn) *serverConn {
	sc := &serverConn{client: c, open: true, noRespond: s.w.sc.Server.NoResponders, out: s.w.getFrames()}
	sc.writeFn = func() { s.write(sc) }
	s.conns[c.idx] = sc
	return sc
}

// receive processes frames read from c's connection, in order.
func (s *Server) receive(c *Conn, frames []frame, eof bool) {
	sc := s.conns[c.idx]
	if sc == nil || !sc.open {
		for _, f := range frames {
			if f.op == opPub {
				s.w.lostInFlight(int(f.msg), "server connection closed")
			}
		}
		return
	}
	for _, f := range frames {
		switch f.op {
		case opConnect:
			sc.out = append(sc.out, frame{op: opConnected})
			s.kick(sc)
		case opSub:
			s.processSub(sc, f)
		case opUnsub:
			if f.max == 0 && s.w.mut.Has(LateUnsub) {
				sid := f.sid
				s.w.sim.After(lateUnsubDelay, func() { s.processUnsub(sc, sid, 0) })
				continue
			}
			s.processUnsub(sc, f.sid, int64(f.max))
		case opPub:
			s.processPub(sc, int(f.msg))
		case opPing:
			sc.out = append(sc.out, frame{op: opPong})
			s.kick(sc)
		}
	}
	if eof {
		// The client closed: the server flushes what it has queued and
		// removes the connection's interest.
		s.closeConn(sc, true)
	}
}

func (s *Server) processSub(sc *serverConn, f frame) {
	for _, ss := range sc.subs {
		if ss.sid == f.sid {
			return // a duplicate sid is silently ignored
		}
	}
	cs := s.w.subList[f.ref]
	ss := &serverSub{conn: sc, sid: f.sid, subject: cs.subject, queue: cs.queue, rec: cs.rec}
	sc.subs = append(sc.subs, ss)
	s.subs = append(s.subs, ss)
	clear(s.cache)
	s.w.trace(sc.client.name, "server.sub", sim.Str("sub", cs.rec.ID), sim.Int("sid", int64(f.sid)))
}

func (s *Server) processUnsub(sc *serverConn, sid int32, max int64) {
	for _, ss := range sc.subs {
		if ss.sid != sid || ss.closed {
			continue
		}
		if max > 0 && max > ss.nm {
			ss.max = max
			s.w.trace(sc.client.name, "server.unsub", sim.Str("sub", ss.rec.ID), sim.Int("max", max))
			return
		}
		s.unsubscribe(ss)
		s.w.trace(sc.client.name, "server.unsub", sim.Str("sub", ss.rec.ID))
		if ss.queue != "" && s.w.mut.Has(UnsubRemovesQueueGroup) {
			for _, o := range append([]*serverSub(nil), s.subs...) {
				if o.queue == ss.queue && o.subject == ss.subject {
					s.unsubscribe(o)
				}
			}
		}
		return
	}
}

func (s *Server) unsubscribe(ss *serverSub) {
	ss.closed = true
	if ss.rec.UnsubProcessedAt == NoTime {
		ss.rec.UnsubProcessedAt = s.w.sim.Now()
	}
	ss.conn.subs = removeSS(ss.conn.subs, ss)
	s.subs = removeSS(s.subs, ss)
	clear(s.cache)
}

func removeSS(list []*serverSub, ss *serverSub) []*serverSub {
	for i, x := range list {
		if x == ss {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// processPub routes one message: every matching plain subscription gets it,
// and each queue group gives it to one member chosen at random, probing the
// next members when the chosen one cannot take it.
func (s *Server) processPub(sc *serverConn, id int) {
	w := s.w
	m := w.ledger.Message(id)
	m.AcceptedAt = w.sim.Now()
	delivered := s.route(m)
	if delivered {
		m.Fate = MsgRouted
		return
	}
	m.Fate = MsgNoInterest
	w.trace("server", "no_interest", sim.Int("msg", int64(id)), sim.Str("subject", m.Subject))
	if m.Reply != "" && sc.noRespond && m.Status == 0 {
		st := w.ledger.newMessage(Message{From: "server", Subject: m.Reply, Status: 503, PublishedAt: w.sim.Now()})
		st.AcceptedAt = w.sim.Now()
		if s.route(st) {
			st.Fate = MsgRouted
		} else {
			st.Fate = MsgNoInterest
		}
	}
}

// match returns the subscriptions matching a publish subject.
func (s *Server) match(subject string) []*serverSub {
	if list, ok := s.cache[subject]; ok {
		return list
	}
	var list []*serverSub
	for _, ss := range s.subs {
		if subjectMatches(ss.subject, subject) {
			list = append(list, ss)
		}
	}
	if s.cache == nil {
		s.cache = map[string][]*serverSub{}
	}
	s.cache[subject] = list
	return list
}

func (s *Server) route(m *Message) bool {
	delivered := false
	var groups []string
	matches := s.match(m.Subject)
	for _, ss := range matches {
		if ss.queue == "" || s.w.mut.Has(QueueFanout) {
			if s.deliver(ss, m) {
				delivered = true
			}
			continue
		}
		if !containsStr(groups, ss.queue) {
			groups = append(groups, ss.queue)
		}
	}
	for _, q := range groups {
		var members []*serverSub
		for _, ss := range matches {
			if ss.queue == q {
				members = append(members, ss)
			}
		}
		start := 0
		if len(members) > 1 {
			start = s.rng.IntN("queue-member", len(members))
		}
		for k := range members {
			if s.deliver(members[(start+k)%len(members)], m) {
				delivered = true
				break
			}
		}
	}
	return delivered
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// deliver commits m to ss: it appends a MSG to the subscriber's FIFO. It
// refuses closed subscriptions and connections and subscriptions past their
// auto-unsubscribe limit.
func (s *Server) deliver(ss *serverSub, m *Message) bool {
	if ss.closed || !ss.conn.open {
		return false
	}
	if ss.max > 0 && ss.nm >= ss.max {
		return false
	}
	ss.nm++
	d := s.w.ledger.newDelivery(m.ID, ss.rec.index, s.w.sim.Now())
	ss.conn.out = append(ss.conn.out, frame{op: opMsg, sid: ss.sid, msg: int32(m.ID), ref: d})
	s.kick(ss.conn)
	if ss.max > 0 && ss.nm >= ss.max {
		s.unsubscribe(ss)
	}
	return true
}

func (s *Server) kick(sc *serverConn) {
	if !sc.kicked {
		sc.kicked = true
		s.w.sim.At(s.w.sim.Now(), sc.writeFn)
	}
}

// write is the connection's writeLoop: everything queued goes out as one write.
func (s *Server) write(sc *serverConn) {
	sc.kicked = false
	if !sc.open || len(sc.out) == 0 {
		return
	}
	out := sc.out
	sc.out = s.w.getFrames()
	sc.client.fromServer.send(out, false)
}

// closeConn ends a connection. With flush, what is queued is still written
// (a client close or a server shutdown); without it the FIFO is discarded
// (a read or write error).
func (s *Server) closeConn(sc *serverConn, flush bool) {
	if !sc.open {
		return
	}
	sc.open = false
	for _, ss := range sc.subs {
		ss.closed = true
		s.subs = removeSS(s.subs, ss)
	}
	sc.subs = nil
	clear(s.cache)
	if flush {
		out := sc.out
		sc.out = nil
		sc.client.fromServer.send(out, true)
	} else {
		for _, f := range sc.out {
			if f.op == opMsg {
				s.w.ledger.drop(f.ref, s.w.sim.Now(), DropDisconnect, sc.client.recDraining(f.sid))
			}
		}
		sc.out = nil
	}
	if s.conns[sc.client.idx] == sc {
		s.conns[sc.client.idx] = nil
	}
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
