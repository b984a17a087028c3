package model

import (
	"math"
	"time"

	"github.com/drainsim/drainsim/sim"
)

// op is a protocol operation on the wire.
type op uint8

const (
	opConnect   op = iota // client → server: CONNECT (+PING) opening a connection
	opConnected           // server → client: the PONG that completes the handshake
	opSub                 // SUB subject [queue] sid
	opUnsub               // UNSUB sid [max]
	opPub                 // PUB subject [reply] size
	opPing                // PING
	opPong                // PONG
	opMsg                 // MSG subject sid [reply] size
)

// frame is one protocol operation. Message payloads are not carried: the
// ledger knows each message's subject, reply and size. Frames hold no
// pointers, so buffers of them cost the garbage collector nothing to scan.
type frame struct {
	op  op
	sid int32
	// arg is the operation's number: UNSUB's max, RS+'s weight, RMSG's
	// plain flag, and MSG's pending size: what its message adds to the
	// subscription's pending bytes (pendingSize), computed when the
	// server commits it and holds the message's record. The client reads
	// a backlog long after the publishes wrote their records, and reading
	// the size from the record then cost a cache miss a message. A size
	// past 32 bits is -1 (sizeField), and the reader takes it from the
	// record (frame.pending).
	arg int32
	frameRefs
}

// frameRefs is what a frame refers to. It is a struct of its own so that
// frame has four fields, the most the compiler keeps in registers: a
// frame of five was built and passed in memory, written field by field
// and copied in 16-byte loads that the store buffer cannot forward, a
// stall on every control frame a client or server wrote
// (docs/performance-history.md, h38sf).
type frameRefs struct {
	msg int32 // message ID for PUB and MSG
	ref int32 // delivery index for MSG; subscription index for SUB
}

// sizeField is pending size n as a MSG frame carries it: -1 when it does
// not fit in 32 bits, as for a reply over 2 GiB, which a ReplyUnchecked
// profile sends while draining without the max_payload check.
func sizeField(n int) int32 {
	if n > math.MaxInt32 {
		return -1
	}
	return int32(n)
}

// pending is what MSG frame f's message adds to its subscription's
// pending bytes. The message's record is read without Ledger.Message: the
// server wrote it when it read the PUB (reserve.go), and the call to write
// a reserved one would make pending too big to inline in the read loop
// (Conn.queueQuiet).
func (f *frame) pending(w *World) int {
	if f.arg >= 0 {
		return int(f.arg)
	}
	return pendingSize(w.profile, &w.ledger.Messages[int(f.msg)-1])
}

// segment is one write on a connection, or with a bandwidth one frame of
// it: what arrives at once.
type segment struct {
	frames []frame
	eof    bool // the writer closed the connection after these frames
	// next is the slot+1 in segSlab of the link's next segment in flight,
	// or, for a free slot, of the next free one; 0: none.
	next  int32
	timer sim.Timer
	at    sim.Time // when it arrives
}

// segSlab holds the segments in flight on every link of a run, in one
// array the Runner keeps: each link lists its own, oldest first, through
// next, and a free slot goes back on a stack (free) that the next write
// on any link takes first. A thousand clients' links each had an array of
// their own, which every write found cold (a write miss a segment in
// Scale/clients=1k); the slot a write takes now is the one an arrival
// just gave back, still in cache.
type segSlab struct {
	s    []segment
	free int32 // slot+1 of the free slot taken next; 0: none, append
}

// reset empties the slab for a new run. It clears what the last run used
// (a freed slot is zeroed but for next; a segment still in flight when
// that run stopped holds frames), so that nothing of it stays reachable.
func (p *segSlab) reset() {
	clear(p.s)
	p.s, p.free = p.s[:0], 0
}

// take returns the slot+1 of a zero segment, the last freed if any.
func (p *segSlab) take() int32 {
	if i := p.free; i != 0 {
		p.free, p.s[i-1].next = p.s[i-1].next, 0
		return i
	}
	p.s = append(p.s, segment{})
	return int32(len(p.s))
}

// release zeroes slot+1 i, puts it on the free stack and returns the
// slot+1 of the segment that followed it on its link.
func (p *segSlab) release(i int32) (next int32) {
	next = p.s[i-1].next
	p.s[i-1] = segment{next: p.free}
	p.free = i
	return next
}

// link is one direction of one TCP connection: an ordered stream with a
// latency drawn per write and, when the scenario sets network.bandwidth, a
// capacity in bytes per second. A later write never overtakes an earlier
// one. With a bandwidth a write's bytes leave one after the other, after
// those of earlier writes, and each frame arrives when its last byte has
// crossed; there are no socket buffers, so a write is done when its last
// byte is on the wire.
type link struct {
	// First the fields that every write (send, push) and arrival
	// (deliverHead) reads, in one cache line: a thousand clients' links
	// are more than this core's L2 holds, so each write finds its link
	// cold, and the fewer lines these span and the smaller the link, the
	// fewer misses (Scale/clients=1k). What all of a run's client links
	// share (the World, latency, bandwidth, label) is one linkNet they
	// point to, and the draws' state (own's src, the PCG's first field)
	// ends the line, so that a write draws its latency without reading
	// the second line, where rng, the bandwidth's clock, stalls and cuts
	// are (TestLinkWriteFieldsInOneLine; docs/performance-history.md,
	// h33clients).
	net *linkNet
	// head and tail are the slots+1 in the run's segSlab (World.rc.segs)
	// of the oldest and the newest segment written and not yet arrived;
	// 0 when none is in flight.
	head, tail int32
	last       sim.Time // arrival time of the newest segment
	arrive     func()
	recv       func(frames []frame, eof bool)
	down       bool // cut and not yet reconnected: writes are lost
	// closing: the client closed this connection (a stale one) and may
	// still be delivering what it wrote before (stall.go).
	closing bool
	// ownRng: rng is own, which a write then draws from directly
	// (chooser), without loading rng.
	ownRng bool
	// own is the memory of rng for a client's link (seed): re-seeded in
	// place each run rather than allocated.
	own     ownStream
	rng     sim.Chooser
	free    sim.Time // with a bandwidth: when everything written so far has left
	rem     int64    // rounding remainder of transmission times, in byte·ns per second
	stalled sim.Time // the end of the last stall; 0: never stalled
	lost    func(frames []frame)
	// seeded is what own was last seeded from in place (seed), which
	// Conn.clear keeps from run to run.
	seeded linkSeed
	// The slab's two indices are 24 bytes smaller than the queue slice
	// and head they replaced, and the World is the linkNet's; this keeps
	// a link 160 bytes, so that a Conn's fromServer still starts a cache
	// line (TestConnLinksStartLines).
	_ [8]byte
}

// linkSeed is what a link's own stream was last seeded from in place:
// its direction (0 when never), the parent stream's NameHash, and the
// stream's own NameHash that they and the client's name gave.
type linkSeed struct {
	parent, name uint64
	dir          uint8
}

// A link's direction, which names its stream: the client's name and
// "/up" for toServer, "/down" for fromServer (seedDirs).
const (
	seededUp = 1 + iota
	seededDown
)

// seedDirs are the directions' name parts, by direction - 1.
var seedDirs = [...]string{"/up", "/down"}

// linkNet is the run a link is part of (w: a link reaches its World
// through it, one word fewer in the link's first line) and what its
// writes draw their timing from: the latency drawn per write (labelled
// label) and the bandwidth in bytes per second (0 = unlimited). A run's
// client links share the World's clientNet; a cluster's link has one of
// its own.
type linkNet struct {
	w       *World
	latency sim.Dist
	bw      int64
	label   string
}

// newLink returns a link with the given latency and the scenario's
// bandwidth.
func newLink(w *World, label string, latency sim.Dist, rng sim.Chooser, recv func([]frame, bool), lost func([]frame)) *link {
	l := new(link)
	l.init(&linkNet{w: w, latency: latency, bw: int64(w.sc.Network.Bandwidth), label: label}, rng, recv, lost)
	return l
}

// init makes l, which may be part of a larger object, a new link.
func (l *link) init(net *linkNet, rng sim.Chooser, recv func([]frame, bool), lost func([]frame)) {
	l.recv, l.lost = recv, lost
	l.arrive = l.deliverHead
	l.reset(net, rng)
}

// reset makes l a new link of net's World, empty, keeping only its
// callbacks: a Runner hands a connection's links to its next run.
func (l *link) reset(net *linkNet, rng sim.Chooser) {
	arrive, recv, lost := l.keep()
	*l = link{}
	l.restore(arrive, recv, lost)
	l.renew(net, rng)
}

// keep returns what reset keeps of l: its callbacks. Its segments were the
// last run's slab's (segSlab.reset).
func (l *link) keep() (arrive func(), recv func([]frame, bool), lost func([]frame)) {
	return l.arrive, l.recv, l.lost
}

// restore gives l, zeroed, back what keep returned. The fields are written
// one by one rather than as one composite literal assigned to *l, which is
// built on the stack and copied with 16-byte loads of 8-byte stores just
// made, store-forwarding stalls (see Conn.clear).
func (l *link) restore(arrive func(), recv func([]frame, bool), lost func([]frame)) {
	l.arrive, l.recv, l.lost = arrive, recv, lost
}

// busy says whether a segment is in flight on l.
func (l *link) busy() bool { return l.head != 0 }

// renew makes l, zeroed but for what keep returns, a link of net's World
// drawing from net and rng, a stream of the caller's (not own).
func (l *link) renew(net *linkNet, rng sim.Chooser) {
	l.net, l.rng, l.ownRng = net, rng, false
}

// seed makes rng the stream parent.Stream(client + its direction's part),
// in l's own memory when parent is the run's PCG (restream). known says
// that l was last seeded for the same client (newConn compares the
// Conn's last name): then, from a parent of the same name and in the
// same direction, own is re-seeded without hashing the name again
// (sim.PCG.Reseed), ~75 instructions a link of the ~110 of restream
// (Scale/clients=1k: two links a client).
func (l *link) seed(parent sim.Chooser, client string, dir uint8, known bool) {
	p := pcgOf(parent)
	if known && p != nil && l.seeded.dir == dir && l.seeded.parent == p.NameHash() {
		p.Reseed(&l.own.PCG, l.seeded.name)
		l.rng, l.ownRng = &l.own, true
		return
	}
	l.rng = restream(parent, &l.own, client, seedDirs[dir-1])
	l.ownRng = l.rng == sim.Chooser(&l.own)
	l.seeded = linkSeed{}
	if l.ownRng {
		l.seeded = linkSeed{parent: p.NameHash(), name: l.own.NameHash(), dir: dir}
	}
}

// chooser is the stream l draws from: own, in l's first line, when it is
// rng (the run's PCG re-seeded it there), else rng.
func (l *link) chooser() sim.Chooser {
	if l.ownRng {
		return &l.own
	}
	return l.rng
}

// send writes frames (and optionally the end of the stream) on the link
// and returns when their last byte has left: now, without a bandwidth. The
// link takes ownership of frames.
func (l *link) send(frames []frame, eof bool) sim.Time {
	net, now := l.net, l.net.w.sim.Now()
	if l.down {
		l.lost(frames)
		net.w.putFrames(frames)
		return now
	}
	lat := net.latency.Sample(l.chooser(), net.label)
	if net.bw == 0 {
		l.push(frames, eof, now.Add(lat))
		return now
	}
	t := max(now, l.free)
	if len(frames) == 0 {
		l.push(frames, eof, t.Add(lat))
		return t
	}
	for i, f := range frames {
		t = t.Add(l.transmit(net.w.wireSize(f)))
		l.push(append(net.w.getFrames(), f), eof && i == len(frames)-1, t.Add(lat))
	}
	net.w.putFrames(frames)
	l.free = t
	return t
}

// push queues a segment to arrive at at, or after the segment before it.
func (l *link) push(frames []frame, eof bool, at sim.Time) {
	if at < l.last {
		at = l.last
	}
	l.last = at
	t := l.net.w.sim.At(at, l.arrive)
	// Taken zeroed and written in place: a segment literal is built on the
	// stack and copied with 16-byte loads of the 8-byte stores just made,
	// a store-forwarding stall every write (see Conn.clear).
	p := &l.net.w.rc.segs
	i := p.take()
	seg := &p.s[i-1]
	seg.frames, seg.eof, seg.timer, seg.at = frames, eof, t, at
	if l.tail != 0 {
		p.s[l.tail-1].next = i
	} else {
		l.head = i
	}
	l.tail = i
}

// transmit returns how long n bytes take at the link's bandwidth, carrying
// the rounding remainder so that many small frames add up exactly.
// n·10⁹ stays below 2^63: a frame is at most max_payload (1 MiB in every
// profile; larger publishes are refused before they reach a link) plus its
// subject and reply, which are no longer than a scenario file
// (scenario.MaxFileSize), so n < 2^28 and n·10⁹ < 2^58.
func (l *link) transmit(n int) time.Duration {
	num := int64(n)*int64(time.Second) + l.rem
	l.rem = num % l.net.bw
	return time.Duration(num / l.net.bw)
}

// deliverHead is the arrival event of every segment: it delivers the
// oldest one, so the link stays FIFO whichever of several arrivals due at
// one instant a tie order (sim.SetTies) runs first. When that was not the
// head's own event, the head's is still pending: the segment whose event
// ran takes it over, so that cut and hold cancel the event still to come.
//
// The head's slot goes back to the slab before recv runs, so that the
// writes recv makes take it while it is in cache. recv's call stays at
// line 14 of the function: cmd/drainsim/default.pgo names its hot callee
// there.
func (l *link) deliverHead() {
	w, i := l.net.w, l.head
	p, seg := &w.rc.segs, w.rc.segs.s[i-1]
	if w.sim.Scheduled(seg.timer) {
		for j := seg.next; j != 0; j = p.s[j-1].next {
			if !w.sim.Scheduled(p.s[j-1].timer) {
				p.s[j-1].timer = seg.timer
				break
			}
		}
	}
	if l.head = p.release(i); l.head == 0 {
		l.tail = 0
	}
	l.recv(seg.frames, seg.eof)
	w.putFrames(seg.frames)
}

// cut breaks the link: everything in flight is lost, and so is every
// write until the link is reconnected.
func (l *link) cut() {
	l.down = true
	p := &l.net.w.rc.segs
	for i := l.head; i != 0; {
		seg := p.s[i-1]
		i = p.release(i)
		l.net.w.sim.Cancel(seg.timer)
		l.lost(seg.frames)
		l.net.w.putFrames(seg.frames)
	}
	l.head, l.tail = 0, 0
	l.free, l.rem = 0, 0
}

// Approximate sizes of the handshake, whose JSON the model does not build:
// nats.go's CONNECT with its options followed by PING, and the server's
// INFO followed by PONG.
const (
	connectWireSize   = 176
	connectedWireSize = 306
)

// wireSize is how many bytes f takes on the wire as nats.go and
// nats-server write it. Headers a scenario gives a publish are counted
// (headers.go); a no-responders status's are not.
func (w *World) wireSize(f frame) int {
	switch f.op {
	case opPub:
		l := w.ledger
		m := l.Message(int(f.msg))
		return pubWireSize(l.Str(m.Subject), l.Str(m.Reply), m.Size) + headerWireSize(m.Size, m.Headers)
	case opMsg:
		l := w.ledger
		m := l.Message(int(f.msg))
		return msgWireSize(l.Str(m.Subject), f.sid, l.Str(m.Reply), m.Size) + headerWireSize(m.Size, m.Headers)
	case opSub:
		s := w.subList[f.ref]
		n := len("SUB ") + len(s.subject) + 1 + digits(int(f.sid)) + len("\r\n")
		if s.queue != "" {
			n += len(s.queue) + 1
		}
		return n
	case opUnsub:
		n := len("UNSUB ") + digits(int(f.sid)) + len("\r\n")
		if f.arg > 0 {
			n += 1 + digits(int(f.arg))
		}
		return n
	case opPing, opPong:
		return len("PING\r\n")
	case opConnect:
		return connectWireSize
	case opConnected:
		return connectedWireSize
	}
	return 0
}

// msgWireSize is the size of "MSG subject sid [reply] size\r\n", the
// payload and its "\r\n": what the server queues for one delivery.
func msgWireSize(subject string, sid int32, reply string, size int) int {
	n := len("MSG ") + len(subject) + 1 + digits(int(sid)) + 1 + digits(size) + len("\r\n") + size + len("\r\n")
	if reply != "" {
		n += len(reply) + 1
	}
	return n
}

// digits is the number of decimal digits of n ≥ 0.
func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
