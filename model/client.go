package model

import (
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Conn is a client connection: its status machine, outbound buffer and
// flusher, PING/PONG flush waiters, subscriptions, callback queue, response
// mux and reconnect loop, following nats.go.
// Conn's fields that events of a connection read come first, in as few
// cache lines as they fit: a thousand clients' state does not fit in L2,
// so each event finds its connection cold and pays for every line it
// touches (Scale/clients=1k). Each link's write-and-arrival fields (its
// first 128 bytes) start a cache line: toServer at 0, fromServer at 192,
// the 32 bytes between holding the fields every event tests (and, in their
// padding, the flags only a drain, the callback queue or the first
// connect tests). What only a drain, a request, a reconnect or set-up
// reads follows, and connRare holds what most runs never touch.
type Conn struct {
	// toServer and fromServer are the connection's links, made with it,
	// not as two allocations of their own.
	toServer link
	w        *World
	idx      int
	// nameID is name interned in the ledger, which every message the
	// connection publishes names as its sender.
	nameID Str
	status Status
	tcp    bool // a TCP connection exists (nats.go: nc.conn != nil)
	// pubsStopped: the connection reached DRAINING_PUBS (it stays set
	// after the close; see Profile.PubsStoppedAfterClose).
	pubsStopped bool
	// readLoopDead: the read loop died (a PONG reached a cancelled
	// waiter); nothing the server sends is read any more.
	readLoopDead bool
	// Event loop (Profile.EventLoop): held while a blocking handler runs
	// (connRare.deferred are the loop's events that became due meanwhile).
	held   bool
	kicked bool
	// achBusy and achClosed: the callback queue's (ach below).
	achBusy   bool
	achClosed bool
	// cancelLagged: the drain's timeout waited TimeoutCancelLag.
	cancelLagged bool
	// drainDeadlinePolled: a polled drain woke past its deadline and, under
	// PollDeadlineFirst, times out whatever is left.
	drainDeadlinePolled bool
	// initc: the first connect is still in progress (connect.go).
	initc bool
	// waitsLive: waits has been rewound for this run (waiting).
	waitsLive  bool
	fromServer link

	// The fields after the links are laid by when a run reads them. The
	// next three lines hold what the waves of a connection's publish,
	// flush, drain and close read, a thousand connections apart
	// (Scale/clients=1k: each such wave finds a connection's lines cold);
	// the last line what only set-up, the callbacks and the server's
	// outbound growth read.
	rec *ConnRecord
	// rare is what only a reconnect, the PING timer, a blocking handler
	// under an event loop, a forced reconnect, a request or a drain of
	// some profiles uses, made on first use (rarely) and kept from run to
	// run (newConn resets it). Every PONG and drain tests it.
	rare *connRare
	// waits is c's flush and drain state, current in this run only when
	// waitsLive (see waiting).
	waits       *connWaits
	drainStarts int      // drains started (startDrain)
	subs        connSubs // nc.subs, in subscription order
	nextSid     int32
	// barriersDue counts the subscription drains started whose goroutine
	// (checkDrained) has not run yet: their barrier PINGs race the final
	// flush's (RaceFinalFlushFirst). (An int32 beside nextSid, in what
	// was its padding.)
	barriersDue int32
	// bySid[sid] is the subscription with sid while it is in subs: the read
	// loop looks up every MSG's subscription, and scanning subs made a
	// connection with 1,000 subscriptions spend a third of its run there.
	bySid   []*Sub
	out     []frame // written by the API, not yet flushed
	flushFn func()
	opts    connOptions

	name string
	// inReserve is what the server's outbound FIFO to this connection may
	// still reserve beyond doubling (growIn): the messages its
	// subscriptions expect, less what earlier growths reserved.
	inReserve int
	// Callback queue (nats.go's ach): one FIFO dispatcher for async error,
	// disconnected, reconnected and closed callbacks.
	ach []CallbackEvent
	// The padding makes a Conn an odd number of whole cache lines (9):
	// whole, so that in the array a run's connections are made in
	// (recycler.reserve) each starts a line and its links' hot fields
	// span two lines each, not three; odd, so that a thousand of them
	// spread over all of the L2's sets (a stride of 16 lines put each
	// field of every Conn in a sixteenth of them: +2 % LL misses in
	// Scale/clients=1k). TestConnLinksStartLines says what connPad a
	// changed Conn needs. It is not the last field: a zero-size last
	// field would be padded.
	_     [connPad]byte
	achFn func()
}

// connPad pads a Conn to whole lines (see the field before achFn).
const connPad = 8

// lineSize is this machine's (and most machines') cache line.
const lineSize = 64

// connWaits is what a connection's flushes and drains keep: the PONG
// waiters, the objects its flushes, drains and drain waits reuse from run
// to run, and its drain's two continuations, bound once. It is made on
// first use and rewound on its first use in each run (Conn.waiting), not
// at set-up: in a Conn these 144 bytes were two of its 11 cache lines,
// which every run's set-up wrote (Conn.clear) long before a flush or a
// drain came to read them, and a thousand connections' set-up is more
// than L2 holds (Scale/clients=1k). A run that never flushes or drains
// does not touch it.
type connWaits struct {
	pongs fifo[*flushWait] // the PONG waiters, in the order of their PINGs
	// flushWaits are the PONG waiters of c's runs (newFlushWait),
	// drainWaits its drains' waits for their subscriptions (waitSubs) and
	// drains its connection drains (drainConnection).
	flushWaits arena[flushWait]
	drainWaits arena[drainWait]
	drains     arena[connDrain]
	// drainFn is c.drainConnection and finalFlushedFn c.finalFlushed,
	// bound on a connection's first drain and kept from run to run: every
	// drain schedules the one and flushes to the other.
	drainFn        func()
	finalFlushedFn func(err string)
}

// waiting returns c's connWaits for this run: made on first use, and on
// the run's first use emptied of the previous run's PONG waiters, its
// arenas rewound.
func (c *Conn) waiting() *connWaits {
	if !c.waitsLive {
		c.waitsLive = true
		if c.waits == nil {
			c.waits = new(connWaits)
		} else {
			c.waits.rewind()
		}
	}
	return c.waits
}

// rewind readies cw for a new run, keeping its memory: its pong queue's
// array is zero past its length (fifo), so clearing up to the length
// leaves none of the previous run's waiters in it.
func (cw *connWaits) rewind() {
	cw.pongs.items, cw.pongs.head = truncated(cw.pongs.items), 0
	cw.flushWaits.rewind()
	cw.drainWaits.rewind()
	cw.drains.rewind()
}

// pongs returns c's queue of PONG waiters, nil when c has sent no PING
// with a waiter in this run.
func (c *Conn) pongs() *fifo[*flushWait] {
	if !c.waitsLive {
		return nil
	}
	return &c.waits.pongs
}

// connRare is the part of a connection that a run without reconnects,
// ping_interval, event-loop holds, lame-duck cuts or requests, and whose
// drains are polled, wait for nothing and have at most one subscription
// to order, never touches. Inline it was 112 bytes, two of a Conn's cache
// lines, that every run wrote at set-up and a thousand connections
// carried in L2 (Scale/clients=1k); the request and drain fields after it
// were 128 more, two more lines; the drain's order stream, the bytes
// buffered while reconnecting and the subscriptions kept for the close
// (h26clients) 80 more, with the options only a reconnect or the PING
// timer reads (Conn.reconnectWait and the others below) a Conn's 13th and
// 12th lines.
// Readers take a nil rare for its zero value: see the accessors below.
type connRare struct {
	// outBytes is what was buffered while reconnecting.
	outBytes int
	// drainedSubs are the subscriptions a connection drain finished with,
	// whose removal shows at the close (SubsRemovedAtClose).
	drainedSubs []*Sub
	// drainRng is made on first use (stream), in ownDrainRng when the
	// run's Chooser is a PCG: re-seeded in place (restream) rather than
	// allocated, as a subscription's handler stream. Only a drain of two
	// or more subscriptions draws from it (drainConnection).
	drainRng    sim.Chooser
	ownDrainRng ownStream
	// deferred are the event loop's events that became due while a
	// blocking handler held it (Conn.held).
	deferred   []func()
	reconnects int // failed attempts since the last successful connect
	// lastAttempt is when the last connect attempt started (0: the
	// initial connect), for Profile.ReconnectWaitFromAttempt.
	lastAttempt sim.Time
	dialing     bool // a reconnect attempt's connection awaits its handshake
	// reconRng is made on first use (stream), in ownReconRng, as drainRng.
	reconRng    sim.Chooser
	ownReconRng ownStream
	// PING timer (ping.go): ptmr is armed only with ping_interval set;
	// pout counts the timer's PINGs since the last PONG.
	ptmr sim.Timer
	pout int
	// cutReason, while ForceReconnect cuts the link, is the drop reason
	// of what the cut loses (lameduck.go).
	cutReason   DropReason
	connectedAt sim.Time // when the last reconnect (or offline client's connect) completed

	// Requests (request.go): the response subscription, made by the
	// first request, the pending requests by token and in creation order,
	// with settledReqs settled ones still in it, which dropSettled drops
	// once they are half of it, and the last token made.
	respMux     *Sub
	respMap     map[string]*request // lookups only; never iterated
	requests    []*request
	nextToken   int
	settledReqs int

	// drainFollowers are the subscriptions whose drain, called while the
	// connection drained, returned the connection's drain, whose end they
	// signal (kept here so that the end need not scan every subscription
	// of the run: a thousand connections made that quadratic).
	drainFollowers []*Sub
	// drainCallDone, when set, is the drain call waiting for its barrier
	// (DrainCallFlushes).
	drainCallDone func(err string)
	// drainWaiters resume the callbacks that wait for the drain to end.
	drainWaiters []func()
	// onSubRemoved, when set, is called whenever a subscription leaves
	// nc.subs: the wake-up of an event-driven connection drain
	// (setOnSubRemoved).
	onSubRemoved func()
}

// rarely returns c's connRare, made on first use.
func (c *Conn) rarely() *connRare {
	if c.rare == nil {
		c.rare = new(connRare)
	}
	return c.rare
}

// dialing reports whether a reconnect attempt's connection awaits its
// handshake.
func (c *Conn) dialing() bool { return c.rare != nil && c.rare.dialing }

// outBytes is what c buffered while reconnecting.
func (c *Conn) outBytes() int {
	if r := c.rare; r != nil {
		return r.outBytes
	}
	return 0
}

// respMux is c's response subscription, nil before its first request.
func (c *Conn) respMux() *Sub {
	if r := c.rare; r != nil {
		return r.respMux
	}
	return nil
}

// setOnSubRemoved sets what a subscription leaving nc.subs wakes (nil:
// nothing), making c's connRare only to set a function.
func (c *Conn) setOnSubRemoved(f func()) {
	if f != nil || c.rare != nil {
		c.rarely().onSubRemoved = f
	}
}

// connOptions are the client options that every run reads: a drain's
// timeout, a subscription's pending limits, and flags. The options only a
// reconnect or the PING timer reads are not kept in every Conn: they are
// resolved from the client's scenario entry when read (reconnectWait and
// the others below).
type connOptions struct {
	drainTimeout      time.Duration
	pendingMsgsLimit  int
	pendingBytesLimit int
	allowReconnect    bool
	noCBAfterClose    bool
	pings             bool // a ping_interval other than 0: the PING timer runs (ping.go)
}

// resolve sets every option of o from c, or from p where c leaves it
// unset. It writes o's fields one by one: a composite literal assigned to
// *o is built on the stack and copied with 16-byte loads of the 8-byte
// stores just made there, store-forwarding stalls (see Conn.clear).
func (o *connOptions) resolve(p *Profile, c *scenario.Client) {
	o.drainTimeout = orDefault(c.DrainTimeout, p.DrainTimeout)
	o.pendingMsgsLimit = orDefault(c.PendingMsgsLimit, p.PendingMsgsLimit)
	o.pendingBytesLimit = orDefault(c.PendingBytesLimit, p.PendingBytesLimit)
	o.allowReconnect, o.noCBAfterClose = c.AllowReconnect, c.NoCallbacksAfterClose
	interval, _ := pingOptions(c)
	o.pings = interval != 0
}

// spec is c's client in the run's scenario.
func (c *Conn) spec() *scenario.Client { return &c.w.sc.Clients[c.idx] }

// reconnectWait, maxReconnect and reconnectBufSize are c's reconnect
// options, its client's or the profile's where it leaves them unset.
func (c *Conn) reconnectWait() time.Duration {
	return orDefault(c.spec().ReconnectWait, c.w.profile.ReconnectWait)
}

func (c *Conn) maxReconnect() int { return orDefault(c.spec().MaxReconnect, c.w.profile.MaxReconnect) }

func (c *Conn) reconnectBufSize() int {
	return orDefault(c.spec().ReconnectBufSize, c.w.profile.ReconnectBufSize)
}

// orDefault is *v, or def when v is nil (a scenario's field left unset).
func orDefault[T any](v *T, def T) T {
	if v != nil {
		return *v
	}
	return def
}

// flushWait is one pending Flush: a PING waiting for its PONG.
type flushWait struct {
	done    func(err string)
	timer   sim.Timer
	settled bool
	// cancelled: its waiter gave up but stays in the PONG queue
	// (TimeoutCancelsSubDrains); the PONG that reaches it kills the read
	// loop.
	cancelled bool
	// timedOut, ponged and closed are the events that settle it with
	// ErrTimeout, "" and ErrConnectionClosed, bound once per flushWait:
	// a connection reuses its flushWaits from run to run (newFlushWait).
	timedOut, ponged, closed func()
}

// newFlushWait gives a flushWait for done, reused from c's earlier runs
// (c.flushWaits), its events bound when it was first made.
func (c *Conn) newFlushWait(done func(err string)) *flushWait {
	fw := c.waiting().flushWaits.take()
	if fw.timedOut == nil {
		fw.timedOut = func() { c.settleFlush(fw, ErrTimeout) }
		fw.ponged = func() { c.settleFlush(fw, "") }
		fw.closed = func() { c.settleFlush(fw, ErrConnectionClosed) }
	}
	fw.reuse(done)
	return fw
}

// reuse readies fw for a new Flush's done: every field zero but its bound
// events, which it keeps without rewriting them: zeroing the whole
// flushWait and writing them back went through the write barrier while the
// collector marked (a connection draining a thousand subscriptions takes
// a thousand, Scale/subs=1k). TestFlushWaitReuseClearsEveryField catches
// a field added to flushWait and not cleared here.
func (fw *flushWait) reuse(done func(err string)) {
	fw.done, fw.timer, fw.settled, fw.cancelled = done, sim.Timer{}, false, false
}

func (c *Conn) now() sim.Time { return c.w.sim.Now() }

func (c *Conn) isClosed() bool       { return c.status == Closed }
func (c *Conn) isDraining() bool     { return c.status == DrainingSubs || c.status == DrainingPubs }
func (c *Conn) isReconnecting() bool { return c.status == Reconnecting }

// isDrainingPubs reports whether publishes are refused for draining.
func (c *Conn) isDrainingPubs() bool {
	if c.w.mut.Has(PublishBlockedWhileDrainingSubs) || c.w.profile.PublishRefused == RefuseFromDrainCall {
		return c.isDraining()
	}
	return c.status == DrainingPubs
}

func (c *Conn) setStatus(s Status) {
	if c.status == s {
		return
	}
	if c.w.tr != nil {
		c.w.trace(c.name, "status", sim.Str("from", c.status.String()), sim.Str("to", s.String()))
	}
	c.status = s
	if s == DrainingPubs {
		c.pubsStopped = true
	}
	c.rec.Status = append(c.rec.Status, StatusChange{At: c.now(), Status: s})
	if s == Closed && c.rec.ClosedAt == NoTime {
		c.rec.ClosedAt = c.now()
	}
	if c.w.trig != nil {
		c.w.trig.status(c, s)
	}
}

// stream returns *rng, the connection's Chooser stream with the given name,
// made on first use: most runs never draw a drain order or a reconnect
// delay, and each stream is three allocations of a run's setup. It is
// made in own's memory when the run's Chooser is a PCG (restream). A stream's
// draws depend on its name alone, not on when it is made; restream makes
// it without building the name.
func (c *Conn) stream(rng *sim.Chooser, own *ownStream, name string) sim.Chooser {
	if *rng == nil {
		*rng = restream(c.w.rngClient, own, c.name, "/", name)
	}
	return *rng
}

// lookup returns the subscription with sid if it is still in nc.subs.
// One unsigned compare tests both bounds (a negative sid converts to a
// uint beyond any length): two tests were two instructions more a MSG
// read (docs/performance-history.md, h37std).
func (c *Conn) lookup(sid int32) *Sub {
	i := int(sid)
	if uint(i) >= uint(len(c.bySid)) {
		return nil
	}
	return c.bySid[i]
}

// wasDrained reports whether the connection's subscription with sid, since
// removed, had been drained.
func (c *Conn) wasDrained(sid int32) bool {
	for _, s := range c.w.subList {
		if s.c == c && s.sid == sid {
			return s.rec.DrainCalledAt != NoTime
		}
	}
	return false
}

// subRemoved wakes an event-driven connection drain, as a separate event
// at the same instant (a condition variable's waiter runs after the
// signaller).
func (c *Conn) subRemoved() {
	if r := c.rare; r != nil && r.onSubRemoved != nil {
		f := r.onSubRemoved
		r.onSubRemoved = nil
		c.w.sim.At(c.now(), f)
	}
}

// recDraining reports whether the subscription with sid, or the connection,
// is draining; drops record it so that drain-caused loss can be told apart.
func (c *Conn) recDraining(sid int32) bool {
	if c.isDraining() {
		return true
	}
	if s := c.lookup(sid); s != nil {
		return s.draining
	}
	return false
}

// write appends frames to the outbound buffer and kicks the flusher. A
// connection without a buffer (outBuf) has not been kicked since its last
// flush, so the first write since takes the out-of-line path, which takes
// one before the append.
func (c *Conn) write(f frame, bytes int) {
	if !c.kicked || c.isReconnecting() {
		c.wrote(bytes)
	}
	c.out = append(c.out, f)
}

// outBuf returns c's outbound buffer, taking one from the run's pool
// when c has none. A connection holds none from its set-up or a flush to
// its next write (and is not kicked meanwhile): the flush hands its buffer
// to the link, and the buffer a write then takes is the pool's last
// returned (a delivered segment's), still in cache, where one taken at the
// flush and held would be cold by the next write (Scale/clients=1k: a
// thousand connections' waves apart).
func (c *Conn) outBuf() []frame {
	if c.out == nil {
		c.out = c.w.getFrames()
	}
	return c.out
}

// wrote is the rest of write, out of line so that write stays small
// enough to be inlined: the first write since a flush takes a buffer
// (outBuf); while reconnecting it counts the bytes buffered, otherwise it
// kicks the flusher.
func (c *Conn) wrote(bytes int) {
	c.outBuf()
	if c.isReconnecting() {
		c.rarely().outBytes += bytes
		return
	}
	c.kick()
}

func (c *Conn) kick() {
	if !c.kicked {
		c.kicked = true
		if c.held {
			// Written inside a blocking callback: the flusher (ruby-nats's
			// next_tick) runs after what the loop read meanwhile.
			c.defer_(c.flushFn)
			return
		}
		c.w.sim.At(c.now(), c.flushFn)
	}
}

// flush is the flusher goroutine: it writes the whole buffer at once.
func (c *Conn) flush() {
	c.kicked = false
	if !c.tcp || c.isReconnecting() || len(c.out) == 0 {
		return
	}
	out := c.out
	c.out = nil // the next write takes a buffer (outBuf)
	c.toServer.send(out, false)
}

// receive is the read loop: it processes what the server wrote, in order.
// The MSGs that need nothing but queueing are taken in runs (queueQuiet);
// of the rest, a MSG on a live read loop is the case tested first; what a
// held loop defers is copied out of line (readLater).
func (c *Conn) receive(frames []frame, eof bool) {
	if c.held {
		c.readLater(frames, eof)
		return
	}
	for i := c.quietFrom(frames, 0); i < len(frames); i = c.quietFrom(frames, i+1) {
		f := &frames[i] // by pointer: the loop runs for every MSG read
		switch {
		case c.readLoopDead:
			if f.op == opMsg {
				c.w.ledger.drop(f.ref, c.now(), DropReadLoopDead, c.isDraining())
			}
			continue
		case f.op != opMsg:
			c.processControl(f.op)
		default:
			// default.pgo names this call by its offset (20 lines below
			// the function's first) and inlines it, which is most of the
			// read's speed: moving it needs the profile made again and
			// measured (docs/performance.md).
			c.processMsg(f)
		}
		if c.held && (i+1 < len(frames) || eof) {
			// A blocking callback holds the loop: the rest of what was
			// read is parsed when it returns, before anything else.
			c.readLater(frames[i+1:], eof)
			return
		}
	}
	if eof && !c.readLoopDead {
		c.processOpErr(ErrEOF)
	}
}

// readLater defers the read of frames (and of the EOF behind them) until
// the handler holding c's loop returns. The frames are copied: the slice
// belongs to the link, which reuses it.
func (c *Conn) readLater(frames []frame, eof bool) {
	rest := append([]frame(nil), frames...)
	c.defer_(func() { c.receive(rest, eof) })
}

// processControl processes a frame other than a MSG.
func (c *Conn) processControl(o op) {
	switch o {
	case opConnected:
		c.handshakeDone()
	case opPong:
		c.processPong()
	case opLameDuck:
		c.lameDuckNotice()
	}
}

// waitForever is a Flush timeout that never expires; scenarios cannot ask
// for it (their durations are not negative), only profiles whose barrier
// has no timeout.
const waitForever time.Duration = -1

// Flush sends a PING and calls done when its PONG arrives (""), after
// timeout (ErrTimeout) or when the connection closes or reconnects
// (ErrConnectionClosed).
func (c *Conn) Flush(timeout time.Duration, done func(err string)) {
	c.flush1(timeout, done)
}

// flush1 is Flush, returning the PONG's waiter (nil when closed).
func (c *Conn) flush1(timeout time.Duration, done func(err string)) *flushWait {
	if c.isClosed() {
		done(ErrConnectionClosed)
		return nil
	}
	if c.w.profile.FlushNeedsReadLoop && (c.readLoopDead || !c.tcp) {
		// nats.py: with no read loop a flush only writes what is
		// buffered and returns.
		c.kick()
		done("")
		return nil
	}
	fw := c.newFlushWait(done)
	if timeout != waitForever {
		fw.timer = c.w.sim.After(timeout, c.onLoop(fw.timedOut))
	}
	c.waiting().pongs.push(fw)
	c.write(frame{op: opPing}, 6)
	return fw
}

func (c *Conn) settleFlush(fw *flushWait, err string) {
	if fw.settled {
		return
	}
	fw.settled = true
	c.w.sim.Cancel(fw.timer)
	fw.done(err)
}

func (c *Conn) processPong() {
	if r := c.rare; r != nil {
		r.pout = 0
	}
	pongs := c.pongs()
	if pongs == nil || pongs.len() == 0 {
		return
	}
	fw := pongs.pop()
	if fw.cancelled {
		c.readLoopDead = true
		c.w.trace(c.name, "read_loop.dead", sim.Str("why", "PONG for a cancelled waiter"))
		return
	}
	if c.w.profile.WokenAfterRead {
		// The read loop signals the Flush's channel and parses on; the
		// flushing goroutine runs after it.
		c.w.sim.At(c.now(), fw.ponged)
		return
	}
	c.settleFlush(fw, "")
}

// clearPendingFlushCalls releases every waiting Flush with
// ErrConnectionClosed.
func (c *Conn) clearPendingFlushCalls() {
	pongs := c.pongs()
	if pongs == nil {
		return
	}
	for _, fw := range pongs.queued() {
		// The waiting goroutine resumes only after the caller (close or
		// the reconnect) is done: an error the drain's final flush then
		// reports comes after close's callbacks and never runs (measured
		// by conformance scenario disconnect-during-final-flush).
		c.w.sim.At(c.now(), fw.closed)
	}
	pongs.clear()
}

// pubMsg is what a publish call sends: its subject and reply interned in
// the run's ledger, its payload and header sizes, and the bytes of its PUB
// frame. A publish action makes one on its first call in a run (pubSite)
// and sends it on every call after, so that a backlog of a thousand
// publishes neither interns its subject nor counts its bytes again.
type pubMsg struct {
	pubStrs
	size, hdr int
	wire      int // the PUB frame's bytes on the wire, headers included
}

// pubStrs is a publish's subject and reply. It is a struct of its own so
// that pubMsg has four fields and the compiler keeps it in registers (see
// frameRefs): a pubMsg of five fields, returned by makePubMsg, was stored
// to the stack and copied into its pubSite in 16-byte loads spanning the
// 4-byte stores of the two ids, a store-forwarding stall a publish site
// in Scale/subs=1k (docs/performance-history.md, h38sf).
type pubStrs struct {
	subject, reply Str
}

// newPubMsg makes the pubMsg of a publish, interning subject then reply in
// l: the order in which a publish has always interned them, which gives
// the run's strings their ids.
func newPubMsg(l *Ledger, subject, reply string, size, hdr int) pubMsg {
	return makePubMsg(l, l.Intern(subject), subject, reply, size, hdr)
}

// makePubMsg is newPubMsg of a subject interned already as id.
func makePubMsg(l *Ledger, id Str, subject, reply string, size, hdr int) pubMsg {
	return pubMsg{pubStrs: pubStrs{subject: id, reply: l.Intern(reply)}, size: size, hdr: hdr,
		wire: pubWireSize(subject, reply, size) + headerWireSize(size, hdr)}
}

// publish is nats.go's publish: closed, then draining pubs, then max payload,
// then the reconnect buffer limit. It returns the error name ("" for
// success) and the message's ledger ID. plain is a publish or reply call
// (not a request's publish).
func (c *Conn) publish(subject, reply string, size, hdr int, plain bool) (string, int) {
	pm := newPubMsg(c.w.ledger, subject, reply, size, hdr)
	return c.publishMsg(&pm, plain)
}

// publishMsg is publish of a message made beforehand.
func (c *Conn) publishMsg(pm *pubMsg, plain bool) (string, int) {
	w := c.w
	l := w.ledger
	m := l.newMessage(c.nameID, pm.subject, c.now())
	m.Reply, m.Size, m.Headers = pm.reply, pm.size, pm.hdr
	if err := c.pubRefusal(pm, plain); err != "" {
		if w.profile.SilentPublishDrop && (err == ErrConnectionClosed || err == ErrConnectionDraining) {
			l.settle(m, MsgLostUnsent)
			m.LostReason = l.Intern(droppedSilently(err))
			return "", m.ID
		}
		l.settle(m, MsgRefused)
		m.Error = l.Intern(err)
		return err, m.ID
	}
	c.write(frame{op: opPub, frameRefs: frameRefs{msg: int32(m.ID)}}, pm.wire)
	if plain && w.trig != nil {
		w.trig.published(c, m.ID)
	}
	return "", m.ID
}

// pubRefusal is the error with which publishMsg refuses pm now, "" for
// none.
func (c *Conn) pubRefusal(pm *pubMsg, plain bool) string {
	w := c.w
	stopped := plain && c.pubsStopped && w.profile.PubsStoppedAfterClose
	switch {
	case c.isClosed() && !stopped:
		return ErrConnectionClosed
	case c.isDrainingPubs(), stopped:
		return ErrConnectionDraining
	case pm.size+pm.hdr > w.profile.MaxPayload:
		return ErrMaxPayload
	case c.isReconnecting() && c.outBytes() >= c.reconnectBufSize():
		return ErrReconnectBufExceeded
	}
	return ""
}

// reply is a callback's reply to a message: a publish, unless the profile's
// reply skips the closed and draining checks (ReplyUnchecked), in which case
// a reply after close is accepted and lost.
func (c *Conn) reply(subject string, size int) (string, int) {
	if !c.w.profile.ReplyUnchecked || !c.isClosed() && !c.isDrainingPubs() {
		return c.publish(subject, "", size, 0, true)
	}
	w := c.w
	l := w.ledger
	pm := newPubMsg(l, subject, "", size, 0)
	m := l.newMessage(c.nameID, pm.subject, c.now())
	m.Size = size
	if c.isClosed() {
		l.settle(m, MsgLostUnsent)
		m.LostReason = l.Intern("reply after close")
		return "", m.ID
	}
	c.write(frame{op: opPub, frameRefs: frameRefs{msg: int32(m.ID)}}, pm.wire)
	if w.trig != nil {
		w.trig.published(c, m.ID)
	}
	return "", m.ID
}

func pubWireSize(subject, reply string, size int) int {
	n := len("PUB ") + len(subject) + 1 + digits(size) + 2 + size + 2
	if reply != "" {
		n += len(reply) + 1
	}
	return n
}

// pushCallback queues a connection callback. Nothing queued after the
// closed sentinel ever runs.
func (c *Conn) pushCallback(ev CallbackEvent) {
	if c.achClosed {
		return
	}
	c.queueCallback(ev)
}

// queueCallback queues ev, even after the closed callback.
func (c *Conn) queueCallback(ev CallbackEvent) {
	c.ach = append(c.ach, ev)
	if !c.achBusy {
		c.achBusy = true
		c.w.sim.At(c.now(), c.achFn)
	}
}

// dispatchCallbacks runs queued callbacks in order; each takes no time.
func (c *Conn) dispatchCallbacks() {
	c.achBusy = false
	for _, ev := range c.ach {
		c.runCallback(ev)
	}
	c.ach = c.ach[:0]
}

// callback returns a connection callback of kind, naming err and sub, its
// strings interned in the run's ledger.
func (c *Conn) callback(kind, err, sub string) CallbackEvent {
	l := c.w.ledger
	return CallbackEvent{Kind: l.Intern(kind), Error: l.Intern(err), Sub: l.Intern(sub)}
}

// runCallback runs (records) one connection callback now.
func (c *Conn) runCallback(ev CallbackEvent) {
	ev.At = c.now()
	if cap(c.rec.Callbacks) == 0 {
		// Most connections that call back call back once or twice
		// (disconnected, closed).
		c.rec.Callbacks = c.w.callbackLists.take(2, 2*len(c.w.conns))
	}
	c.rec.Callbacks = append(c.rec.Callbacks, ev)
	l := c.w.ledger
	kind := l.Str(ev.Kind)
	switch {
	case c.w.tr == nil: // the kind's name is built only for a trace
	case ev.Sub != 0:
		c.w.trace(c.name, "cb."+kind, sim.Str("error", l.Str(ev.Error)), sim.Str("sub", l.Str(ev.Sub)))
	case ev.Error != 0:
		c.w.trace(c.name, "cb."+kind, sim.Str("error", l.Str(ev.Error)))
	default:
		c.w.trace(c.name, "cb."+kind)
	}
	if kind == "reconnected" && c.w.trig != nil {
		c.w.trig.reconnected(c)
	}
	if kind == "lame_duck" {
		c.lameDuckHandler()
	}
}

// pushErr sets LastError and queues the async error callback.
func (c *Conn) pushErr(err, sub string) {
	c.rec.LastError = c.w.ledger.Intern(err)
	c.pushCallback(c.callback("async_error", err, sub))
}

// pushDrainErr reports an error of the connection drain: as pushErr, or,
// under DrainErrNoLastError, through the async error callback only.
func (c *Conn) pushDrainErr(err string) {
	p := c.w.profile
	if p.DrainErrAfterClose && c.achClosed {
		c.queueCallback(c.callback("async_error", err, ""))
		if !p.DrainErrNoLastError {
			c.rec.LastError = c.w.ledger.Intern(err)
		}
		return
	}
	if p.DrainErrNoLastError {
		c.pushCallback(c.callback("async_error", err, ""))
		return
	}
	c.pushErr(err, "")
}

// Close is the user's Close: callbacks run unless NoCallbacksAfterClientClose.
func (c *Conn) Close() {
	c.close(!c.opts.noCBAfterClose)
}

// close moves the connection to CLOSED: the outbound buffer is flushed if a
// connection exists, waiting calls are released, every subscription is
// marked closed (async callbacks that are running finish, queued messages are
// dropped), and the disconnected and closed callbacks are queued.
func (c *Conn) close(doCBs bool) {
	if c.isClosed() {
		return
	}
	w := c.w
	// A reconnect loop woken by the close exits setting LastError to
	// ErrNoServers if nothing else is set (nats.go doReconnect; measured by
	// conformance scenario drain-while-reconnecting).
	if c.isReconnecting() && c.rec.LastError == 0 {
		c.rec.LastError = c.w.ledger.Intern(ErrNoServers)
	}
	c.setStatus(Closed)
	c.stopPingTimer()
	hadTCP := c.tcp
	if c.tcp {
		out := c.out
		c.out = w.getFrames()
		c.toServer.send(out, true)
		c.tcp = false
	} else {
		c.discardOut("closed while disconnected")
	}
	c.clearPendingFlushCalls()
	if w.profile.CloseForgetsRequests {
		c.forgetPendingRequests()
	} else if !w.profile.RequestsOutliveClose {
		c.clearPendingRequests()
	}
	if r := c.rare; r != nil {
		for _, s := range r.drainedSubs {
			if s.rec.RemovedAt == NoTime {
				s.recordRemoval("drain")
			}
		}
		r.drainedSubs = nil
	}
	subs := c.subs.detach()
	c.bySid = truncated(c.bySid)
	for s := range subs.all() {
		if w.profile.CloseCancelsCallbacks {
			s.cancelCallbacks()
		}
		s.connClose()
	}
	if c.subs.list == nil {
		// Nothing subscribed meanwhile: the list keeps its array for
		// the next subscriptions (a Runner's next run).
		c.subs = subs.emptied()
	}
	c.subRemoved()
	if doCBs {
		if hadTCP && !w.profile.NoDisconnectedOnClose {
			c.pushCallback(c.callback("disconnected", "", ""))
		}
		if w.mut.Has(ClosedCBInline) {
			c.runCallback(c.callback("closed", "", ""))
		} else {
			c.pushCallback(c.callback("closed", "", ""))
		}
	}
	c.achClosed = true
}

// discardOut drops everything in the outbound buffer.
func (c *Conn) discardOut(reason string) {
	for _, f := range c.out {
		if f.op == opPub {
			l := c.w.ledger
			m := l.Message(int(f.msg))
			l.settle(m, MsgLostUnsent)
			m.LostReason = l.Intern(reason)
		}
	}
	c.out = c.out[:0]
	if r := c.rare; r != nil {
		r.outBytes = 0
	}
}

// processOpErr handles a broken connection: reconnect if CONNECTED and
// allowed, otherwise (in particular while draining) close.
func (c *Conn) processOpErr(err string) {
	if c.isClosed() || c.readLoopDead {
		return // a dead read loop notices nothing
	}
	if c.isReconnecting() || !c.tcp {
		// No connection was up: the reconnect loop runs (the status may
		// say otherwise when a Drain overwrote RECONNECTING, Proceed) or a
		// zombie waits. The connection a reconnect attempt opened broke
		// before its handshake completed: the attempt failed and the loop
		// tries again (nats.go doReconnect), instead of waiting forever.
		if c.dialing() {
			c.rare.dialing = false
			c.scheduleReconnectAttempt()
		}
		return
	}
	c.w.trace(c.name, "conn.lost", sim.Str("error", err))
	p := c.w.profile
	if p.LinkErrorCallback {
		c.pushErr(err, "")
	}
	rule := p.DisconnectMidDrain
	if c.isDraining() && rule == SwallowWhileDraining {
		// nats.java: the error is swallowed; the link is gone, so pending
		// flushes run into their timeouts, and nothing reconnects.
		c.tcp = false
		return
	}
	if c.isDraining() && rule == ReconnectStayDraining && c.opts.allowReconnect {
		// nats.js: the reconnect loop runs while the connection stays
		// draining; the drain's PONGs fail when the link breaks or, with
		// ResetOutboundAtAttempt, when the next attempt starts.
		c.tcp = false
		if !p.ResetOutboundAtAttempt {
			c.clearPendingFlushCalls()
		}
		c.w.sim.At(c.now(), c.doReconnect)
		return
	}
	if c.isDraining() && rule == CloseQuietly {
		// node-nats v1: the drain's flush callback, failed by the lost
		// link, closes the connection and removes its listeners before the
		// 'disconnect' event is emitted; the drain then reports success.
		c.setStatus(Disconnected)
		c.rec.LastError = c.w.ledger.Intern(err)
		c.close(false)
		c.tcp = false
		return
	}
	forget := c.isDraining() && (rule == ReconnectAndForget || rule == ReconnectKeepDrain)
	if c.opts.allowReconnect && (c.status == Connected || forget) {
		c.tcp = false
		c.setStatus(Reconnecting)
		switch {
		case p.ResetOutboundAtAttempt:
			// The flushes wait for the next attempt (attemptReconnect).
		case forget:
			// nats.py resets its PONG futures without resolving them: each
			// pending flush runs into its own timeout (PY-M5); ruby-nats
			// drops them, and a barrier without a timeout waits for ever
			// (RB-M2).
			if pongs := c.pongs(); pongs != nil {
				pongs.clear()
			}
		default:
			c.clearPendingFlushCalls()
		}
		c.w.sim.At(c.now(), c.doReconnect)
		return
	}
	c.setStatus(Disconnected)
	c.rec.LastError = c.w.ledger.Intern(err)
	c.close(true) // the TCP connection object still exists: disconnected runs
	c.tcp = false
}

// doReconnect is the reconnect goroutine: with a single server it sleeps
// ReconnectWait plus jitter before each attempt; in a cluster it goes
// through the client's server pool first (reconnect.go).
func (c *Conn) doReconnect() {
	c.rec.LastError = 0
	c.pushCallback(c.callback("disconnected", "", ""))
	c.rarely().reconnects = 0
	if c.w.cl != nil {
		c.w.cl.pools[c.idx].tried = 0
	}
	if p := c.w.profile; p.ReconnectAtOnce && c.now()-c.rarely().connectedAt >= sim.Time(c.reconnectWait()) {
		c.w.sim.At(c.now(), c.attemptReconnect)
		return
	}
	c.scheduleReconnectAttempt()
}

func (c *Conn) scheduleReconnectAttempt() {
	r := c.rarely()
	if limit := c.maxReconnect(); limit >= 0 && r.reconnects >= limit {
		c.rec.LastError = c.w.ledger.Intern(ErrNoServers)
		c.close(true)
		return
	}
	if c.w.cl != nil && c.w.cl.skipSleep(c) {
		c.w.sim.At(c.now(), c.onLoop(c.attemptReconnect))
		return
	}
	wait := c.reconnectWait()
	if j := c.w.profile.ReconnectJitter; j > 0 {
		// In range: reconnect_wait is at most scenario.MaxDuration (parse
		// limit) and the jitter at most a profile's constant (≤ 1 s), so
		// the sum is far below 2^63 ns.
		wait += sim.DurationIn(c.stream(&r.reconRng, &r.ownReconRng, "reconnect"), "reconnect-jitter", 0, j-1)
	}
	if c.w.profile.ReconnectWaitFromAttempt {
		c.w.sim.At(max(r.lastAttempt.Add(wait), c.now()), c.onLoop(c.attemptReconnect))
		return
	}
	c.w.sim.After(wait, c.onLoop(c.attemptReconnect))
}

func (c *Conn) attemptReconnect() {
	if c.isClosed() {
		return
	}
	r := c.rarely()
	r.reconnects++
	r.lastAttempt = c.now()
	if c.w.profile.ResetOutboundAtAttempt {
		// nats.js prepare(): what was buffered while disconnected is
		// dropped and every waiting flush fails, before the dial.
		c.discardOut("discarded at reconnect")
		c.clearPendingFlushCalls()
	}
	srv := c.w.dialTarget(c)
	if !c.w.reachable(c, srv) {
		c.w.trace(c.name, "reconnect.failed", sim.Int("attempt", int64(r.reconnects)))
		if c.w.profile.ReconnectAtOnce {
			c.pushErr(ErrConnectionRefused, "")
		}
		c.scheduleReconnectAttempt()
		return
	}
	c.w.trace(c.name, "reconnect.dial", sim.Int("attempt", int64(r.reconnects)))
	r.dialing = true
	c.w.connect(c, srv)
}

// handshakeDone completes a (re)connect: subscriptions are sent again, then
// whatever was buffered while reconnecting, and the reconnected callback is
// queued.
func (c *Conn) handshakeDone() {
	if !c.dialing() {
		return
	}
	c.rare.dialing = false
	if c.isReconnecting() {
		if c.w.profile.DisconnectMidDrain == ReconnectKeepDrain && c.rec.DrainCalledAt != NoTime {
			// ruby-nats keeps its draining flag through the reconnect
			// (measured on 0.11.2: draining? is true again once connected).
			c.setStatus(DrainingSubs)
		} else {
			c.setStatus(Connected)
		}
	}
	c.tcp = true
	c.rarely().connectedAt = c.now()
	c.armPingTimer()
	pending := c.out
	c.out = c.w.getFrames()
	c.resendSubscriptions()
	c.out = append(c.out, pending...)
	c.w.putFrames(pending)
	c.rare.outBytes = 0 // a reconnect's dial made c's connRare
	// The first connect (offline_until) calls nats.go's ConnectedCB, which
	// scenarios do not record, instead of the reconnected callback.
	first := c.connectedFirst()
	if c.w.profile.ReconnectAtOnce && !first {
		// nats.py flushes the new link before the reconnected callback.
		c.kick()
		c.Flush(c.w.profile.FlushTimeout, func(string) {
			if !c.isClosed() {
				c.pushCallback(c.callback("reconnected", "", ""))
			}
		})
		return
	}
	if !first {
		c.pushCallback(c.callback("reconnected", "", ""))
	}
	c.kick()
	c.Flush(c.w.profile.FlushTimeout, func(string) {})
}

// resendSubscriptions re-sends a SUB for every subscription still in
// nc.subs, with the remaining auto-unsubscribe limit; draining ones only
// when the profile does (nats.go does, and leaks their interest).
func (c *Conn) resendSubscriptions() {
	for s := range c.subs.all() {
		if s.draining && !c.w.profile.ResendDrainingSubs {
			continue
		}
		if s.max > 0 {
			if s.delivered >= s.max {
				c.out = append(c.out, frame{op: opUnsub, sid: s.sid})
				continue
			}
			c.out = append(c.out, frame{op: opSub, sid: s.sid, frameRefs: frameRefs{ref: s.rec.index}})
			c.out = append(c.out, frame{op: opUnsub, sid: s.sid, arg: int32(s.max - s.delivered)})
			continue
		}
		c.out = append(c.out, frame{op: opSub, sid: s.sid, frameRefs: frameRefs{ref: s.rec.index}})
	}
}
