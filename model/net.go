package model

import "github.com/drainsim/drainsim/sim"

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
	max int32 // UNSUB max
	msg int32 // message ID for PUB and MSG
	ref int32 // delivery index for MSG; subscription index for SUB
}

// segment is one write on a connection: the frames a flusher wrote at once.
type segment struct {
	frames []frame
	eof    bool // the writer closed the connection after these frames
	timer  sim.Timer
}

// link is one direction of one TCP connection: an ordered stream with a
// latency drawn per write. A later write never overtakes an earlier one.
type link struct {
	w       *World
	latency sim.Dist
	rng     sim.Chooser
	label   string
	queue   []segment // written, not yet arrived, oldest first
	last    sim.Time  // arrival time of the newest segment
	down    bool      // cut and not yet reconnected: writes are lost
	recv    func(frames []frame, eof bool)
	lost    func(frames []frame)
	arrive  func()
}

func newLink(w *World, label string, latency sim.Dist, rng sim.Chooser, recv func([]frame, bool), lost func([]frame)) *link {
	l := &link{w: w, latency: latency, rng: rng, label: label, recv: recv, lost: lost}
	l.arrive = l.deliverHead
	return l
}

// send writes frames (and optionally the end of the stream) on the link.
// The link takes ownership of frames.
func (l *link) send(frames []frame, eof bool) {
	if l.down {
		l.lost(frames)
		l.w.putFrames(frames)
		return
	}
	at := l.w.sim.Now().Add(l.latency.Sample(l.rng, l.label))
	if at < l.last {
		at = l.last
	}
	l.last = at
	t := l.w.sim.At(at, l.arrive)
	l.queue = append(l.queue, segment{frames: frames, eof: eof, timer: t})
}

func (l *link) deliverHead() {
	seg := l.queue[0]
	l.queue[0] = segment{}
	l.queue = l.queue[1:]
	l.recv(seg.frames, seg.eof)
	l.w.putFrames(seg.frames)
}

// cut breaks the link: everything in flight is lost, and so is every
// write until the link is reconnected.
func (l *link) cut() {
	l.down = true
	for _, seg := range l.queue {
		l.w.sim.Cancel(seg.timer)
		l.lost(seg.frames)
		l.w.putFrames(seg.frames)
	}
	l.queue = l.queue[:0]
}
