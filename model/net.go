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
	timer  sim.Timer
	at     sim.Time // when it arrives
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
	// (deliverHead) reads, in two cache lines: a thousand clients' links
	// are more than this core's L2 holds, so each write finds its link
	// cold, and the fewer lines these span and the smaller the link, the
	// fewer misses (Scale/clients=1k). An arrival reads only the first
	// line; a write both. What all of a run's client links share
	// (latency, bandwidth, label) is one linkNet they point to, and the
	// bandwidth's clock, stalls and cuts come last.
	w *World
	// queue[head:] is written and not yet arrived, oldest first. The head
	// index, reset when the queue empties, keeps reusing one array: slicing
	// the head off made every few segments a new allocation. A segment
	// leaves the queue zeroed (deliverHead, cut), so the array past
	// len(queue) is all zero and reset need clear only up to it.
	queue  []segment
	head   int
	last   sim.Time // arrival time of the newest segment
	arrive func()
	recv   func(frames []frame, eof bool)

	net *linkNet
	rng sim.Chooser
	// own is the memory of rng for a client's link (seed): re-seeded in
	// place each run rather than allocated.
	own  ownStream
	down bool // cut and not yet reconnected: writes are lost
	// closing: the client closed this connection (a stale one) and may
	// still be delivering what it wrote before (stall.go).
	closing bool
	free    sim.Time // with a bandwidth: when everything written so far has left
	rem     int64    // rounding remainder of transmission times, in byte·ns per second
	stalled sim.Time // the end of the last stall; 0: never stalled
	lost    func(frames []frame)
}

// linkNet is what a link's writes draw their timing from: the latency
// drawn per write (labelled label) and the bandwidth in bytes per second
// (0 = unlimited). A run's client links share the World's clientNet; a
// cluster's link has one of its own.
type linkNet struct {
	latency sim.Dist
	bw      int64
	label   string
}

// newLink returns a link with the given latency and the scenario's
// bandwidth.
func newLink(w *World, label string, latency sim.Dist, rng sim.Chooser, recv func([]frame, bool), lost func([]frame)) *link {
	l := new(link)
	l.init(w, &linkNet{latency: latency, bw: int64(w.sc.Network.Bandwidth), label: label}, rng, recv, lost)
	return l
}

// init makes l, which may be part of a larger object, a new link.
func (l *link) init(w *World, net *linkNet, rng sim.Chooser, recv func([]frame, bool), lost func([]frame)) {
	l.recv, l.lost = recv, lost
	l.arrive = l.deliverHead
	l.reset(w, net, rng)
}

// reset makes l a new link of w, empty, keeping only its callbacks and its
// queue's array: a Runner hands a connection's links to its next run.
func (l *link) reset(w *World, net *linkNet, rng sim.Chooser) {
	queue, arrive, recv, lost := l.keep()
	*l = link{}
	l.restore(queue, arrive, recv, lost)
	l.renew(w, net, rng)
}

// keep returns what reset keeps of l: its queue's array, emptied, and its
// callbacks. It clears the queue up to its length, not its whole array
// (emptied): the array is the longest queue any run had, in check a large
// generated scenario's, and clearing all of it after every run was 2 % of
// a check scenario's CPU.
func (l *link) keep() (queue []segment, arrive func(), recv func([]frame, bool), lost func([]frame)) {
	clear(l.queue)
	return l.queue[:0], l.arrive, l.recv, l.lost
}

// restore gives l, zeroed, back what keep returned. The fields are written
// one by one rather than as one composite literal assigned to *l, which is
// built on the stack and copied with 16-byte loads of 8-byte stores just
// made, store-forwarding stalls (see Conn.clear).
func (l *link) restore(queue []segment, arrive func(), recv func([]frame, bool), lost func([]frame)) {
	l.queue, l.arrive, l.recv, l.lost = queue, arrive, recv, lost
}

// renew makes l, zeroed but for what keep returns, a link of w drawing from
// net and rng.
func (l *link) renew(w *World, net *linkNet, rng sim.Chooser) {
	l.w, l.net, l.rng = w, net, rng
}

// seed makes rng the stream parent.Stream(concatenated parts), in l's own
// memory when parent is the run's PCG (restream).
func (l *link) seed(parent sim.Chooser, parts ...string) {
	l.rng = restream(parent, &l.own, parts...)
}

// send writes frames (and optionally the end of the stream) on the link
// and returns when their last byte has left: now, without a bandwidth. The
// link takes ownership of frames.
func (l *link) send(frames []frame, eof bool) sim.Time {
	now := l.w.sim.Now()
	if l.down {
		l.lost(frames)
		l.w.putFrames(frames)
		return now
	}
	lat := l.net.latency.Sample(l.rng, l.net.label)
	if l.net.bw == 0 {
		l.push(frames, eof, now.Add(lat))
		return now
	}
	t := max(now, l.free)
	if len(frames) == 0 {
		l.push(frames, eof, t.Add(lat))
		return t
	}
	for i, f := range frames {
		t = t.Add(l.transmit(l.w.wireSize(f)))
		l.push(append(l.w.getFrames(), f), eof && i == len(frames)-1, t.Add(lat))
	}
	l.w.putFrames(frames)
	l.free = t
	return t
}

// push queues a segment to arrive at at, or after the segment before it.
func (l *link) push(frames []frame, eof bool, at sim.Time) {
	if at < l.last {
		at = l.last
	}
	l.last = at
	t := l.w.sim.At(at, l.arrive)
	// Zeroed and written in place: a segment literal appended is built on
	// the stack and copied with 16-byte loads of the 8-byte stores just
	// made, a store-forwarding stall every write (see Conn.clear).
	l.queue = append(l.queue, segment{})
	seg := &l.queue[len(l.queue)-1]
	seg.frames, seg.eof, seg.timer, seg.at = frames, eof, t, at
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
func (l *link) deliverHead() {
	seg := l.queue[l.head]
	if l.w.sim.Scheduled(seg.timer) {
		for i := l.head + 1; i < len(l.queue); i++ {
			if !l.w.sim.Scheduled(l.queue[i].timer) {
				l.queue[i].timer = seg.timer
				break
			}
		}
	}
	l.queue[l.head] = segment{}
	if l.head++; l.head == len(l.queue) {
		l.queue, l.head = l.queue[:0], 0
	}
	l.recv(seg.frames, seg.eof)
	l.w.putFrames(seg.frames)
}

// cut breaks the link: everything in flight is lost, and so is every
// write until the link is reconnected.
func (l *link) cut() {
	l.down = true
	for _, seg := range l.queue[l.head:] {
		l.w.sim.Cancel(seg.timer)
		l.lost(seg.frames)
		l.w.putFrames(seg.frames)
	}
	clear(l.queue)
	l.queue, l.head = l.queue[:0], 0
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
