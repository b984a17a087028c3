package model

import (
	"math"
	"slices"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Sub is a client subscription: its pending queue and limits, its delivery
// state, and for async subscriptions the executor that runs the callback one
// message at a time (nats.go's waitForMsgs goroutine).
type Sub struct {
	c       *Conn
	rec     *SubRecord
	spec    *scenario.Subscription // nil for the response mux
	subject string
	queue   string
	sync    bool
	mux     bool
	// ch: a chan subscription (nats.go ChanSubscribe), also sync: its
	// queue is the application's channel, of capacity chanLen; nothing
	// counts as pending, removing it leaves the channel open.
	ch bool
	// ordinary: an asynchronous serial subscription, not the response
	// mux, whose callbacks do not hold the connection's loop (holdsLoop),
	// in a run neither traced nor with triggers (World.observed), without
	// the DuplicateDelivery mutation: the kind the read loop (processMsg)
	// and the executor (startCallback, finish) take without testing for
	// the others. Fixed by newSub.
	ordinary bool
	sid      int32 // beside the flags, in what was their padding
	chanLen  int

	pending []queued // oldest first
	head    int
	pMsgs   int
	pBytes  int
	// msgsLim and byteLim are the pending limits. Where there is none (a
	// limit of 0 or less) they hold the largest int (limitOrMax), so
	// that overLimits, per message, compares without testing for it.
	msgsLim int
	byteLim int

	delivered int64
	max       int64

	closed     bool
	connClosed bool
	draining   bool
	inSubs     bool // still in nc.subs
	// drainCancelled: a drain timeout cancelled the subscription's drain
	// (TimeoutCancelsSubDrains); subDrain and drainReady: see the drain
	// of this subscription alone, below. (Flags here, beside the others,
	// in what was their padding: each on its own took a word, and a Sub
	// was 504 bytes; 448 now, 7 whole cache lines, which set-up writes
	// and a thousand subscriptions carry in L2.)
	drainCancelled bool
	subDrain       bool
	drainReady     bool
	sc             bool // in a slow-consumer episode
	at             int  // index in nc.subs (connSubs.list) while inSubs

	// Async executor.
	waiting   bool // idle, waiting for a message or close
	scheduled bool
	exited    bool
	// statusListening: a status listener is registered (the scenario's
	// status_events) and its channel still open; it closes with the first
	// SubscriptionClosed event, after which events reach nobody. Kept here
	// rather than read from spec, so that each status change does not load
	// the scenario's subscription, cold with a thousand of them.
	statusListening bool
	runs            handlerRun // how its callbacks spend their service time (runsFor)
	// plainReturn: an ordinary subscription, open, without an
	// auto-unsubscribe limit (max), no drain check waiting for its
	// progress (onProgress), in a run without the
	// PendingDecBeforeCallback and PendingLIFO mutations: a callback's
	// return (finish) takes only its own few steps, after one test
	// instead of seven; plainTurn: that, and no deliveries reserved
	// (reservedTo): the executor's turn (top) too (~14 instructions a
	// message together). setPlainTurn keeps both up to date wherever one
	// of those changes (TestPlainTurnKeptUpToDate).
	plainReturn, plainTurn bool
	// reservedTo: deliveries to the subscription were reserved in this
	// run (Server.runSubs, reserve.go), whose records are written when
	// first asked for (Ledger.delivery). The plain turn's start does not
	// ask (startCallback): a subscription plain but for this writes the
	// record in a branch of top's off the plain turn's one test, then
	// takes the plain turn's steps, so that the standard scenario's turn,
	// which never meets one, makes no test for it; any other takes the
	// general turn (handOut, Sub.starts). The return, which reads the
	// record its start wrote, stays plain (plainReturn).
	reservedTo bool
	// literal: the subject has no wildcard, as presize found (a subject
	// the actions publish on), so that processSub need not scan it again
	// (isWild); false when not known. Set by the set-up after newSub.
	// (Here, in what was the flags' padding.)
	literal  bool
	running  int // callbacks executing
	curLen   int // size of the message last handed out, -1 if accounted
	handlerN int // callbacks started, for HandlerAction.Nth
	// mut is the run's mutations (World.mut), which pop and top test for
	// every message: one load away instead of three.
	mut       MutationSet
	handlerRn sim.Chooser
	// handlerTime draws the handler's service time from handlerRn, a draw
	// per message: here, one load from the subscription, not two through
	// subKept (a dependent load a message less). Made by newSub and kept
	// from run to run as subKept's handlerDist and handlerPCG say; reset
	// keeps it. Behind a pointer, not the Sampler's 112 bytes, which reset
	// would write (a third of Scale/subs=1k's newSub when it did). The
	// response mux never draws from it, nil until the subscription first
	// serves another.
	handlerTime *sim.Sampler
	// cb is the one callback of a serial subscription, reused for every
	// message, nil for concurrent ones (Profile.Concurrent), whose
	// running callbacks live holds, oldest first. A serial subscription
	// keeps no list: its callback runs when running is 1.
	cb   *callback
	live []*callback
	// onProgress, when set, is called (once) the next time the subscription
	// hands out a message or a callback returns: event-driven drain checks.
	onProgress func()
	// pollOnLoop is the drain poll run on the connection's loop
	// (Sub.pollEvent), made when the subscription first polls in a run:
	// the loop is the run's.
	pollOnLoop func()
	dupDone    map[int]bool // DuplicateDelivery mutation: messages already repeated
	// atYield runs (once) when the subscription's task next yields
	// (DrainAtYield): a callback awaits something that waits, or the
	// executor runs out of queued messages.
	atYield []func(wasDraining bool)
	// barrierWait is the PONG waiter of the subscription drain's barrier.
	barrierWait *flushWait

	// A drain of this subscription alone (not of its connection):
	// subDrain (above) is set by Drain; its timeout and deadline
	// (SubDrainResult), and the waiting drain call (DrainCallFlushes).
	// drainReady (above): a drained sync subscription passed its barrier
	// and, under SyncLeavesByNextMsg, waits for NextMsg to remove it.
	drainTimeout  time.Duration
	drainDeadline sim.Time
	drainCallDone func(err string)

	*subKept

	// handlerID and handlerParent are what subKept's ownHandlerRn was
	// last re-seeded from by restreamHandler (the id, and the parent
	// stream's NameHash), which they keep from run to run as subKept
	// keeps ownHandlerRn ("" when it never was, or not in place). They
	// are here, not in subKept, which has 8 bytes to spare
	// (TestSubKeptFitsALineClass), and last, after what a message reads.
	handlerID     string
	handlerParent uint64
}

// reset readies s, a subscription of the Runner's previous run, for the
// next as connection c's subscription of spec on subject: every field
// zero but c, spec and subject, the kept ones (subKept, handlerTime, and
// live's array, emptied) and cb, handlerRn, pending and rec, which newSub
// sets next in every case (clearing pending and rec here wrote each
// twice, two barrier entries a subscription). A pointer slot is written
// only where it changes: while the collector marks, every pointer write
// goes through the write barrier, and zeroing the whole Sub (then writing
// back mostly the same c, spec, subject, cb and handlerRn) was a quarter
// of Scale/subs=1k's barrier entries. TestSubResetClearsEveryField catches a field added to Sub and
// not reset here.
func (s *Sub) reset(c *Conn, spec *scenario.Subscription, subject string) {
	put(&s.c, c)
	put(&s.spec, spec)
	putString(&s.subject, subject)
	putString(&s.queue, "")
	put(&s.barrierWait, nil)
	s.live = emptied(s.live)
	if s.atYield != nil {
		s.atYield = nil
	}
	if s.dupDone != nil {
		s.dupDone = nil
	}
	if s.onProgress != nil {
		s.onProgress = nil
	}
	if s.pollOnLoop != nil {
		s.pollOnLoop = nil
	}
	if s.drainCallDone != nil {
		s.drainCallDone = nil
	}
	s.sync, s.mux, s.ch, s.ordinary, s.literal, s.sid, s.chanLen = false, false, false, false, false, 0, 0
	s.head, s.pMsgs, s.pBytes, s.msgsLim, s.byteLim = 0, 0, 0, 0, 0
	s.delivered, s.max = 0, 0
	s.closed, s.connClosed, s.draining, s.inSubs = false, false, false, false
	s.drainCancelled, s.subDrain, s.drainReady, s.sc, s.at = false, false, false, false, 0
	s.waiting, s.scheduled, s.exited, s.statusListening = false, false, false, false
	s.runs, s.plainReturn, s.plainTurn, s.reservedTo, s.running, s.curLen, s.handlerN, s.mut = 0, false, false, false, 0, 0, 0, 0
	s.drainTimeout, s.drainDeadline = 0, 0
}

// put sets *p to v unless it holds v already, so that an unchanged
// pointer slot is not written through the write barrier (Sub.reset).
func put[T comparable](p *T, v T) {
	if *p != v {
		*p = v
	}
}

// putString is put for a string, compared by equal: the same string
// again, the usual case, without the call to the byte comparison.
func putString(p *string, v string) {
	if !equal(*p, v) {
		*p = v
	}
}

// subKept is what a subscription makes once and keeps from run to run: a
// Runner reuses a subscription of its previous run for the next
// (World.newSub), which resets the rest of it and keeps these, since they
// reach the run through s and s.c. They are behind one pointer, made with
// the subscription, so that the reset is one assignment that copies the
// pointer alone: rewriting them with the rest copied a third more pointer
// slots for every subscription, each a write-barrier entry while the
// collector marks (most of a thousand-subscription run). The run's state
// stays in Sub itself, not in a struct of its own: the inliner counts the
// implicit selector of a promoted field, which put pop over its budget.
type subKept struct {
	// topFn is the executor's event (Sub.top).
	topFn func()
	// ownHandlerRn is handlerRn's memory when the run's Chooser is a
	// PCG: re-seeded in place (restream) rather than allocated.
	ownHandlerRn ownStream
	// serial is what cb of a serial subscription points to: one
	// allocation per subscription fewer. newSub resets it but for its
	// service function, which bind keeps.
	serial callback
	// handlerDist and handlerPCG are what Sub.handlerTime was made for
	// (drawn from handlerPCG). newSub keeps it when the next run's are
	// the same (a Runner's next run mostly has the same distribution, and
	// ownHandlerRn, re-seeded, is the source): making one resolves the
	// distribution, 140 instructions a subscription. Only a *sim.PCG
	// source is compared: another Chooser's type may not be comparable.
	handlerDist sim.Dist
	handlerPCG  *sim.PCG
	// pollFn is the drain poll (Sub.poll), made when the subscription
	// first polls; checkDrainedFn and afterBarrierFn are its drain's
	// events (checkDrainedEvent, afterBarrierEvent), made on first use.
	pollFn         func()
	checkDrainedFn func()
	afterBarrierFn func(string)
	// next is a sync subscription's NextMsg state, made by its first
	// NextMsg call (nexts), nil until then.
	next *subNext
}

// subNext is a sync subscription's NextMsg state, kept from run to run
// with its subKept: the NextMsg calls waiting for a message (emptied by
// newSub), the NextMsg waiters of s's runs (newNextWait, rewound by
// newSub), and the NextMsg calls woken at this instant, waiting for their
// goroutines to run (only with Config.Races: see wakeLater; emptied by
// newSub). In subKept it was 80 of its 248 bytes, a line that newSub
// reset for every subscription: subKept is 176 bytes without it, three
// lines (the allocator's 192-byte class) instead of four, and a
// thousand clients' subscriptions carry a line less each in L2
// (Scale/clients=1k).
type subNext struct {
	waiters []*nextWait
	waits   arena[nextWait]
	woken   []*nextWait
}

// nexts returns s's NextMsg state, made on first use.
func (s *Sub) nexts() *subNext {
	if s.next == nil {
		s.next = new(subNext)
	}
	return s.next
}

// nextWaiting reports whether a NextMsg call waits for a message.
func (s *Sub) nextWaiting() bool { return s.next != nil && len(s.next.waiters) > 0 }

// takeWaiters empties the list of NextMsg calls waiting and returns what
// it held.
func (s *Sub) takeWaiters() []*nextWait {
	n := s.next
	if n == nil {
		return nil
	}
	waiters := n.waiters
	n.waiters = nil
	return waiters
}

type nextWait struct {
	done  func(err string, msg int)
	timer sim.Timer
	woken bool // a message came (WokenAfterRead): its timer no longer counts
	// msg is the message handed to it when it was woken (WokenAfterRead),
	// which it takes when its goroutine runs.
	msg queued
	// timedOut is the event of its timeout, bound once per nextWait: a
	// subscription reuses its nextWaits from run to run (newNextWait).
	timedOut func()
}

// newNextWait gives a nextWait for done, reused from s's earlier runs
// (s.nextWaits), its timeout bound when it was first made: a waiter and
// its timeout closure were a fifth of the bytes a check scenario
// allocated, memory two check workers stream through.
func (s *Sub) newNextWait(done func(err string, msg int)) *nextWait {
	nw := s.nexts().waits.take()
	if nw.timedOut == nil {
		nw.timedOut = func() { s.nextWaitTimedOut(nw) }
	}
	*nw = nextWait{done: done, timedOut: nw.timedOut}
	return nw
}

// nextWaitTimedOut ends NextMsg call nw with ErrTimeout: no message came
// in time.
func (s *Sub) nextWaitTimedOut(nw *nextWait) {
	if nw.woken {
		return // the message came first; the wake-up hands it over
	}
	// In place: the lists that hand every waiter an error at once take
	// the list and leave s a new one, so no one iterates this one.
	n := s.next // made by nw's call (newNextWait)
	if i := slices.Index(n.waiters, nw); i >= 0 {
		n.waiters = slices.Delete(n.waiters, i, i+1)
	}
	nw.done(ErrTimeout, 0)
}

// queued is one message read for a subscription: its delivery, its
// message, what it adds to the subscription's pending bytes (pendingSize,
// from its MSG frame) and when it was read. They travel with it: reading
// a message into the queue, handing it out, or taking it back off the
// pending counts then touches neither the delivery's nor the message's
// record, which are cold by the time a backlog reaches the message (a
// million messages in flight are 150 MB of records). The read time
// reaches the delivery's record (ArrivedAt) when the message leaves the
// queue (pop), in the cache line its callback's start writes anyway, or
// at the run's end for what is still queued (World.finish).
type queued struct {
	d    int32
	msg  int32 // the message's ID, for the handled record
	at   sim.Time
	size int
}

// concurrent reports whether the subscription's callbacks run concurrently
// (Profile.Concurrent), which is when it has no serial callback (cb): a
// test per message one load away.
func (s *Sub) concurrent() bool { return s.cb == nil }

func (s *Sub) queueLen() int { return len(s.pending) - s.head }

// push queues q. A queue emptied by pop starts again at the front of its
// array here, which keeps pop small enough to inline.
func (s *Sub) push(q queued) {
	s.rewind()
	s.pending = append(s.pending, q)
}

// rewind starts a queue that pop has emptied again at the front of its
// array.
func (s *Sub) rewind() {
	if s.head == len(s.pending) {
		s.pending, s.head = s.pending[:0], 0
	}
}

// pushRoomy is push when the queue's array has room for q, and reports
// whether it had: it queues q and returns true, or returns false with
// nothing queued, the array full. It makes no call (Conn.queueQuiet). An
// emptied queue starts again at the front of its array, as push's rewind
// does; its length is set by the write that follows, or is 0 already when
// there is no array to write into. The test of room is here rather than
// in a test of its own before the push (roomy), which read the queue's
// indexes and tested the rewind twice: ~3 instructions a MSG
// (docs/performance-history.md, h37std).
func (s *Sub) pushRoomy(q queued) bool {
	n := len(s.pending)
	if s.head == n {
		n, s.head = 0, 0
	}
	if n >= cap(s.pending) {
		return false
	}
	s.pending = s.pending[:n+1]
	s.pending[n] = q
	return true
}

// pop takes the oldest queued message (the newest under PendingLIFO) and
// records in its delivery when it was read.
func (s *Sub) pop() queued {
	q := s.dequeue()
	q.arrived(s.c.w.ledger)
	return q
}

// dequeue is pop without the record of the read: the executor (top) takes
// its next message so, and the callback's start writes the read time with
// its own (Ledger.start), one write to the record rather than two.
func (s *Sub) dequeue() queued {
	if p := s.pending; s.mut.Has(PendingLIFO) && len(p)-s.head > 1 {
		s.pending = p[:len(p)-1]
		return p[len(p)-1]
	}
	return s.dequeueOldest()
}

// dequeueOldest is dequeue without the PendingLIFO mutation, which top's
// common turn (plainTurn) excludes.
func (s *Sub) dequeueOldest() queued {
	h := s.head
	s.head++
	return s.pending[h]
}

// arrived writes when q was read into its delivery's record.
func (q queued) arrived(l *Ledger) { l.delivery(q.d).ArrivedAt = q.at }

// endQueue records when each message still queued was read: at the run's
// end nothing pops them. The run's ledger l is its caller's (World.finish),
// not looked up through s.c: at the end of a run of a thousand
// subscriptions on as many clients each Sub's first line and its Conn are
// long out of cache, and the lookup read both for every subscription, most
// of which have nothing queued (Scale/clients=1k).
func (s *Sub) endQueue(l *Ledger) {
	for i := range s.pending[s.head:] {
		s.pending[s.head+i].arrived(l)
	}
}

// quietFrom is queueQuiet on frames[i:], returning the index of the first
// frame it leaves. A read of one frame (one MSG to a subscription of its
// own, a PONG) reaches the end or a frame other than a MSG without a call.
func (c *Conn) quietFrom(frames []frame, i int) int {
	if i < len(frames) && frames[i].op == opMsg {
		i += c.queueQuiet(frames[i:])
	}
	return i
}

// queueQuiet is the read loop taking the MSGs at the head of frames that
// need nothing but queueing, and returns how many it took: each for an
// open ordinary subscription (Sub.ordinary) within its pending limits, in
// no slow-consumer episode, with room in its queue and its executor busy
// or already woken, on a live read loop of an open connection. processMsg
// would count and queue each, and call nothing.
//
// It makes no call, and the read loop's own values stay in registers from
// MSG to MSG: processMsg's paths that call (processAny, dropSlow, the
// status change, the queue's growth, the executor's wake-up), inlined in
// the loop, made the compiler store them to the stack for every MSG read.
// Nothing it does can hold, kill or close what it tested first.
func (c *Conn) queueQuiet(frames []frame) int {
	if c.readLoopDead || c.isClosed() {
		return 0
	}
	at := c.now()
	for i := range frames {
		f := &frames[i]
		if f.op != opMsg {
			return i
		}
		size := f.pending(c.w)
		s := c.lookup(f.sid)
		if s == nil || s.waiting && !s.scheduled || !s.ordinary || s.closed || s.sc ||
			s.overLimits(size) || !s.pushRoomy(queued{d: f.ref, msg: f.msg, at: at, size: size}) {
			return i
		}
		s.count(size)
	}
	return len(frames)
}

// processMsg is the read loop handing one MSG to its subscription: unknown or
// closed subscriptions drop it, pending limits may drop it as a slow
// consumer, otherwise it is queued for the callback or for NextMsg.
//
// A message it queues touches neither its delivery's record nor its
// message's: the queue entry carries its size and read time (queued).
//
// An open ordinary subscription (Sub.ordinary) takes the message in the
// steps processAny takes for it, without processAny's tests of the other
// kinds: a read loop runs this for every MSG, and those tests were 2 % of
// the standard scenario's instructions (docs/performance-history.md, h21std).
func (c *Conn) processMsg(f *frame) {
	msg := queued{d: f.ref, msg: f.msg, at: c.now(), size: f.pending(c.w)}
	s := c.lookup(f.sid)
	if s == nil || !s.ordinary || s.closed || c.isClosed() {
		c.processAny(f, s, msg)
		return
	}
	if s.overLimits(msg.size) {
		s.dropSlow(msg)
		return
	}
	s.count(msg.size)
	s.active()
	s.push(msg)
	s.signal()
}

// processAny is processMsg for any subscription s (nil when the sid is
// unknown) of any kind, on a connection open or closed.
func (c *Conn) processAny(f *frame, s *Sub, msg queued) {
	w := c.w
	l := w.ledger
	if c.isClosed() {
		l.arriveDropped(msg, DropConnClosed, false)
		return
	}
	if s == nil {
		l.arriveDropped(msg, DropUnknownSid, c.isDraining() || c.wasDrained(f.sid))
		w.trace(c.name, "msg.dropped", sim.Int("msg", int64(f.msg)), sim.Int("sid", int64(f.sid)), sim.Str("reason", DropUnknownSid.String()))
		return
	}
	if s.closed {
		l.arriveDropped(msg, DropSubClosed, s.draining)
		return
	}
	size := msg.size
	over := s.overLimits(size)
	if s.sync && s.queueLen() >= s.chanLen {
		over = true
	}
	if over && !s.mux {
		s.dropSlow(msg)
		return
	}
	if !s.ch { // processMsg counts no chan subscription messages
		s.count(size)
	}
	s.active()
	if s.concurrent() && !s.sync {
		// JavaScript clients call the handler while parsing: no queue.
		s.delivered++
		if s.max > 0 && s.delivered > s.max {
			s.pMsgs--
			s.pBytes -= size
			msg.arrived(l)
			l.drop(f.ref, c.now(), DropMaxReached, s.draining)
			return
		}
		s.startConcurrent(msg) // which records the read too
		return
	}
	s.push(msg)
	if w.tr != nil {
		w.trace(c.name, "msg.queued", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(f.msg)), sim.Int("pending", int64(s.pMsgs)))
	}
	if !s.sync {
		s.signal()
		return
	}
	if s.ch { // a chan subscription is sync too
		// A message sent into the channel counts as delivered; reaching
		// the auto-unsubscribe limit removes the subscription at once.
		s.delivered++
		if s.max > 0 && s.delivered >= s.max {
			c.removeSub(s, "max")
		}
	}
	if s.nextWaiting() {
		s.wakeWaiter()
	}
}

// count adds a message of size bytes to the pending counts.
func (s *Sub) count(size int) {
	s.pMsgs++
	s.pBytes += size
}

// active ends a slow-consumer episode, if one is on, as a message is
// queued: even while draining, nats.go's processMsg sets Active without
// looking at draining.
func (s *Sub) active() {
	if s.sc {
		s.changeStatus(SubActive)
		s.sc = false
	}
}

// overLimits reports whether one more message of size bytes takes the
// subscription past a pending limit.
func (s *Sub) overLimits(size int) bool {
	return s.pMsgs+1 > s.msgsLim || s.pBytes+size > s.byteLim
}

// limitOrMax is pending limit n as Sub keeps it: none (0 or less) is the
// largest int, which no count exceeds.
func limitOrMax(n int) int {
	if n <= 0 {
		return math.MaxInt
	}
	return n
}

// dropSlow drops message q, just read and over the subscription's pending
// limits, as a slow consumer; the first drop of an episode changes the
// subscription's status and reports the error.
func (s *Sub) dropSlow(q queued) {
	c, w := s.c, s.c.w
	w.ledger.arriveDropped(q, DropSlowConsumer, s.draining || c.isDraining())
	if w.tr != nil {
		w.trace(s.c.name, "msg.dropped", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(q.msg)), sim.Str("reason", DropSlowConsumer.String()))
	}
	if !s.sc {
		s.sc = true
		s.changeStatus(SubSlowConsumer)
		if !w.mut.Has(SlowConsumerSilent) {
			c.pushErr(ErrSlowConsumer, s.rec.ID)
		}
	}
}

// wakeWaiter hands the message just queued to the longest waiting NextMsg
// of a sync subscription.
func (s *Sub) wakeWaiter() {
	c, w := s.c, s.c.w
	n := s.next // a waiter made it
	nw := n.waiters[0]
	n.waiters = slices.Delete(n.waiters, 0, 1) // keeping the array: it holds a waiter or two
	if !w.profile.WokenAfterRead {
		w.sim.Cancel(nw.timer)
		nw.done(s.takeNext())
		return
	}
	// The message is handed to the longest waiting NextMsg at once, as a
	// send on a channel to a waiting receiver: a call made later cannot
	// take it. That NextMsg returns it and lowers the pending count when
	// its goroutine runs: after the read loop has parsed the rest of its
	// read.
	nw.woken, nw.msg = true, s.pop()
	s.hand(nw.msg.d)
	if w.races != nil {
		s.wakeLater(nw)
		return
	}
	w.sim.At(c.now(), func() { s.wake(nw) })
}

// signal wakes the executor if it is idle. It is called for every message
// queued, mostly while the executor is busy: that test is all it inlines.
func (s *Sub) signal() {
	if s.waiting && !s.scheduled {
		s.wakeExecutor()
	}
}

// wakeExecutor schedules the idle executor's next turn; a sync subscription, which
// waits too, has no executor, and a concurrent one runs its callbacks as
// messages are read.
func (s *Sub) wakeExecutor() {
	if s.sync || s.exited || s.concurrent() {
		return
	}
	s.scheduled = true
	s.c.w.sim.At(s.c.now(), s.topFn)
}

// top is the top of the executor's loop: account for the message whose
// callback just returned, then wait, exit, or start the next callback.
func (s *Sub) top() {
	s.scheduled = false
	if s.curLen >= 0 {
		s.pMsgs--
		s.pBytes -= s.curLen
		s.curLen = -1
		s.progress()
	}
	if s.queueLen() == 0 {
		if s.closed {
			s.waiting = false
			s.exit(-1)
			return
		}
		s.waiting = true
		s.yield()
		return
	}
	s.waiting = false
	// The common turn (plainTurn; no drain check waits for the message,
	// no mutation moves the count or reorders the queue, the subscription
	// is ordinary, open, without limit) takes the message and starts its
	// callback after one test, its fields in registers (handOut stores
	// them around progress's call, ~10 instructions a message). Plain but
	// for reserved deliveries (plainReturn, reservedTo), it writes the
	// record first. startCallback stays out of line (its comment says
	// why); default.pgo names its call, 40 lines below the first, and
	// the finish closure inlines top. startCallback writes the read time.
	if !s.plainTurn {
		if !s.plainReturn {
			s.handOut()
			return
		}
		if d := s.pending[s.head].d; int(d) >= s.c.w.ledger.dlvUnwritten {
			s = s.writeReserved(d)
		}
	}
	q := s.dequeueOldest()
	s.curLen = q.size
	s.delivered++
	s.startCallback(q, s.cb)
}

// writeReserved writes reserved delivery d's record (Ledger.writeDelivery)
// for top, and returns s: top's s is then in a register after the call as
// on its common turn, which does not store it to the stack (2
// instructions a turn without the profile).
//
//go:noinline
func (s *Sub) writeReserved(d int32) *Sub {
	s.c.w.ledger.writeDeliveries(d)
	return s
}

// handOut is top's turn when the message is handed out in steps, any of which
// may run something: the drain check woken by the taking, the mutation's
// early count, the subscription closed, its limit reached. Its delivery's
// record may be reserved (reservedTo), which starts writes.
func (s *Sub) handOut() {
	q := s.dequeue() // its read time is written by startCallback, or below
	s.curLen = q.size
	// decEarly is the PendingDecBeforeCallback mutation: the count drops when
	// the message is taken, and an event-driven drain check woken by that drop
	// sees it once the callback has started, as a polled check does: the drain
	// finishes while the callback still runs, the same defect in every profile.
	decEarly := s.mut.Has(PendingDecBeforeCallback)
	if decEarly {
		s.pMsgs--
		s.pBytes -= s.curLen
		s.curLen = -1
	} else {
		s.progress()
	}
	if s.closed {
		q.arrived(s.c.w.ledger)
		s.exit(q.d)
		return
	}
	s.delivered++
	if s.max == 0 || s.delivered <= s.max {
		if s.starts(q) {
			s.startCallback(q, s.cb)
		}
		if decEarly {
			s.progress()
		}
		return
	}
	q.arrived(s.c.w.ledger)
	s.c.w.ledger.drop(q.d, s.c.now(), DropMaxReached, s.draining)
	if decEarly {
		s.progress()
	}
	s.afterCallback()
}

// yield runs what waits for the subscription's task to yield. A callback
// yields at every message and rarely finds anything waiting: that test is
// all it inlines.
func (s *Sub) yield() {
	if len(s.atYield) > 0 {
		s.runAtYield()
	}
}

// runAtYield runs (once) what waits for the subscription's task to yield.
func (s *Sub) runAtYield() {
	fns := s.atYield
	s.atYield = nil
	draining := s.c.isDraining()
	for _, f := range fns {
		f(draining)
	}
}

// progress runs a pending event-driven drain check. It runs for every
// message taken: the test is all it inlines.
func (s *Sub) progress() {
	if s.onProgress != nil {
		s.runProgress()
	}
}

// runProgress runs the pending drain check, once.
func (s *Sub) runProgress() {
	f := s.onProgress
	s.setProgress(nil)
	f()
}

// setProgress sets the drain check that waits for the subscription's
// progress (onProgress), nil for none.
func (s *Sub) setProgress(f func()) {
	s.onProgress = f
	s.setPlainTurn()
}

// setClosed marks the subscription closed.
func (s *Sub) setClosed() {
	s.closed = true
	s.setPlainTurn()
}

// setMax sets the subscription's auto-unsubscribe limit.
func (s *Sub) setMax(n int64) {
	s.max = n
	s.setPlainTurn()
}

// setReservedTo records that deliveries to the subscription were
// reserved (reservedTo).
func (s *Sub) setReservedTo() {
	s.reservedTo = true
	s.setPlainTurn()
}

// setPlainTurn works plainReturn and plainTurn out again from what they
// stand for: called wherever one of those changes (the subscription made,
// closed, given a limit, a drain check or reserved deliveries).
func (s *Sub) setPlainTurn() {
	s.plainReturn = s.ordinary && !s.closed && s.max == 0 && s.onProgress == nil &&
		!s.mut.Has(PendingDecBeforeCallback) && !s.mut.Has(PendingLIFO)
	s.plainTurn = s.plainReturn && !s.reservedTo
}

// concurrentDone follows the return of a concurrent callback (JavaScript
// clients): the message stops counting as pending, and the subscription is
// removed once its auto-unsubscribe limit is reached.
func (s *Sub) concurrentDone(size int) {
	s.pMsgs--
	s.pBytes -= size
	s.progress()
	if s.max > 0 && s.delivered >= s.max {
		s.c.removeSub(s, "max")
	}
	if s.closed && s.running == 0 && !s.exited {
		s.exited = true
		s.rec.ClosedHandlerAt = s.c.now()
	}
}

// afterCallback follows a callback's return: remove the subscription once
// its auto-unsubscribe limit is reached, else loop.
func (s *Sub) afterCallback() {
	if s.max > 0 && s.delivered >= s.max {
		s.c.removeSub(s, "max")
		s.exit(-1)
		return
	}
	s.top()
}

// exit ends the executor: what is still queued is dropped and the
// subscription's closed handler runs.
func (s *Sub) exit(d int32) {
	if s.exited {
		return
	}
	s.exited = true
	s.waiting = false
	reason := DropSubClosed
	if s.connClosed {
		reason = DropConnClosed
	}
	draining := s.draining || s.c.isDraining() || s.c.rec.DrainCalledAt != NoTime
	l := s.c.w.ledger
	if d >= 0 {
		l.drop(d, s.c.now(), reason, draining)
	}
	for s.queueLen() > 0 {
		l.drop(s.pop().d, s.c.now(), reason, draining)
	}
	s.rec.ClosedHandlerAt = s.c.now()
	s.rec.ClosedHandlerCalls++
	if s.c.w.tr != nil {
		s.c.w.trace(s.c.name, "sub.closed_handler", sim.Str("sub", s.rec.ID))
	}
}

// connClose is close()'s treatment of a subscription: mark it closed, release
// NextMsg callers, and let an async executor exit after its running callback.
func (s *Sub) connClose() {
	s.setClosed()
	s.connClosed = true
	s.inSubs = false
	if s.rec.RemovedAt == NoTime {
		s.recordRemoval("close")
	}
	if s.sync {
		s.releaseSync(DropConnClosed)
		return
	}
	if s.waiting {
		s.waiting = false
		s.scheduled = true
		s.c.w.sim.At(s.c.now(), s.topFn)
	}
}

// recordRemoval records in s's record that the client removed it now, and
// why (SubRecord.RemovedBy).
func (s *Sub) recordRemoval(by string) {
	s.rec.RemovedAt, s.rec.RemovedBy = s.c.now(), s.c.w.removalID(by)
}

// removalID is by, a removal's reason, interned in the run's ledger: the
// last removal's id again when by is its reason, as it mostly is (a
// connection drain removes each of its subscriptions "drain", a close
// each "close"), without Ledger.Intern's hash and two comparisons with
// its recent strings (~30 instructions a subscription). World is zeroed
// every run, so the id is always this run's. TestRemovalIDFollowsReason
// catches a reason recorded as the last one's.
func (w *World) removalID(by string) Str {
	if r := &w.lastRemoval; r.id == 0 || !equal(r.s, by) {
		*r = interned{by, w.ledger.Intern(by)}
	}
	return w.lastRemoval.id
}

// removeSub deletes s from nc.subs and marks it closed (nats.go removeSub).
// No UNSUB is sent here.
func (c *Conn) removeSub(s *Sub, by string) {
	if !s.inSubs {
		// nats.go still marks the sub closed and re-sends the status event;
		// a sync or chan subscription's closed handler runs again.
		s.setClosed()
		if s.sync {
			s.closedHandler()
		}
		return
	}
	c.subs.remove(s)
	c.bySid[s.sid] = nil
	s.inSubs = false
	s.changeStatus(SubClosed)
	if by == "drain" && !s.subDrain && c.w.profile.SubsRemovedAtClose {
		r := c.rarely()
		r.drainedSubs = append(r.drainedSubs, s) // removed at the close
	} else {
		s.recordRemoval(by)
	}
	if c.w.tr != nil {
		c.w.trace(c.name, "sub.removed", sim.Str("sub", s.rec.ID), sim.Str("by", by))
	}
	if c.w.trig != nil {
		c.w.trig.subRemoved(s)
	}
	c.subRemoved()
	if s.sync {
		s.setClosed()
		s.releaseSync(DropSubClosed)
		return
	}
	if by == "unsubscribe" && c.w.mut.Has(UnsubLeavesDelivery) {
		return // the mutation: the executor keeps delivering the queue
	}
	s.setClosed()
	if s.waiting {
		s.waiting = false
		s.scheduled = true
		c.w.sim.At(c.now(), s.topFn)
	}
}

// releaseSync closes a sync subscription's channel: queued messages can no
// longer be read (unless the profile's iterators keep them) and blocked
// NextMsg calls return an error.
func (s *Sub) releaseSync(reason DropReason) {
	if s.ch {
		// nats.go leaves a chan subscription's channel open: what it holds
		// can still be read and readers go on waiting.
		s.closedHandler()
		return
	}
	l := s.c.w.ledger
	draining := s.draining || s.c.isDraining()
	for s.queueLen() > 0 && !s.c.w.profile.SyncKeepsQueue {
		l.drop(s.pop().d, s.c.now(), reason, draining)
	}
	for _, nw := range s.takeWaiters() {
		s.c.w.sim.Cancel(nw.timer)
		nw.done(s.waiterErr(), 0)
	}
	s.closedHandler()
}

// closedHandler records a run of the closed handler of a sync or chan
// subscription, which nats.go calls inside every removeSub and close().
func (s *Sub) closedHandler() {
	s.rec.ClosedHandlerCalls++
	if !s.exited {
		s.exited = true
		s.rec.ClosedHandlerAt = s.c.now()
	}
}

func (s *Sub) nextMsgErr() string {
	switch {
	case s.connClosed:
		return ErrConnectionClosed
	case s.max > 0 && s.delivered >= s.max:
		return ErrMaxMessages
	}
	return ErrBadSubscription
}

// waiterErr is what a NextMsg already waiting gets when the subscription
// is removed or closed under it.
func (s *Sub) waiterErr() string {
	err := s.nextMsgErr()
	if s.c.w.profile.WaitingNextMsgNoMax && err == ErrMaxMessages {
		err = ErrBadSubscription // nats.go getNextMsgErr
	}
	return err
}

// wakeLater queues the wake-up of nw with the others of this instant, run
// together after the read (wakeAll): the way of drawing their order
// (RaceWokenNextMsg) when Config.Races is set.
func (s *Sub) wakeLater(nw *nextWait) {
	n := s.next // nw's call made it
	n.woken = append(n.woken, nw)
	if len(n.woken) == 1 {
		s.c.w.sim.At(s.c.now(), s.wakeAll)
	}
}

// wakeAll runs the NextMsg calls woken at this instant: in the order they
// were woken, or the other way of RaceWokenNextMsg, the last woken first.
func (s *Sub) wakeAll() {
	n := s.next // the woken calls made it
	q := n.woken
	n.woken = nil
	if len(q) > 1 && s.c.w.otherWay(RaceWokenNextMsg) {
		last := q[len(q)-1]
		copy(q[1:], q[:len(q)-1])
		q[0] = last
	}
	for _, nw := range q {
		s.wake(nw)
	}
}

// wake runs a NextMsg woken by a message (WokenAfterRead): it returns the
// message it was handed, whatever happened to the subscription meanwhile.
func (s *Sub) wake(nw *nextWait) {
	s.c.w.sim.Cancel(nw.timer)
	nw.done(s.take(nw.msg))
}

// NextMsg is a sync subscription's NextMsg(timeout), or for a chan
// subscription a receive from its channel bounded by timeout.
func (s *Sub) NextMsg(timeout time.Duration, done func(err string, msg int)) {
	if s.ch {
		// The channel is never closed: a receive gets what it holds,
		// whatever became of the subscription, else waits.
		if s.queueLen() > 0 {
			done(s.takeNext())
			return
		}
		s.wait(timeout, done)
		return
	}
	if !s.inSubs && s.queueLen() > 0 {
		// A closed iterator still yields what it holds (SyncKeepsQueue).
		done(s.takeNext())
		return
	}
	if s.connClosed {
		done(ErrConnectionClosed, 0)
		return
	}
	if !s.inSubs {
		done(s.nextMsgErr(), 0)
		return
	}
	if s.sc {
		s.sc = false
		done(ErrSlowConsumer, 0)
		return
	}
	if s.queueLen() > 0 {
		done(s.takeNext())
		return
	}
	if s.drainReady && timeout > 0 {
		s.leaveByNextMsg("")
		done(ErrTimeout, 0)
		return
	}
	s.wait(timeout, done)
}

// wait makes a NextMsg call (or channel receive) wait up to timeout for a
// message; done gets ErrTimeout if none comes.
func (s *Sub) wait(timeout time.Duration, done func(err string, msg int)) {
	nw := s.newNextWait(done)
	nw.timer = s.c.w.sim.After(timeout, nw.timedOut)
	n := s.next // newNextWait made it
	n.waiters = append(n.waiters, nw)
}

// takeNext hands the oldest queued message to NextMsg
// (processNextMsgDelivered).
func (s *Sub) takeNext() (string, int) {
	q := s.pop()
	s.hand(q.d)
	return s.take(q)
}

// hand records delivery d, no longer queued, as handed to a NextMsg call:
// the order in which the application's callers receive messages.
func (s *Sub) hand(d int32) {
	w := s.c.w
	dl := w.ledger.delivery(d)
	dl.StartedAt, dl.EndedAt = w.sim.Now(), w.sim.Now()
	w.ledger.setFate(dl, DlvTaken)
	s.rec.handed = append(s.rec.handed, d)
	w.trace(s.c.name, "next_msg", sim.Str("sub", s.rec.ID), sim.Int("msg", int64(dl.Msg)))
}

// take returns handed message q from NextMsg: the pending count falls and
// the auto-unsubscribe limit and a drain's end are checked.
func (s *Sub) take(q queued) (string, int) {
	w := s.c.w
	dl := w.ledger.delivery(q.d)
	msg := int(dl.Msg)
	if s.ch {
		return "", msg // counted when it entered the channel
	}
	s.delivered++
	s.pMsgs--
	s.pBytes -= q.size
	s.progress()
	if s.max > 0 {
		if s.delivered > s.max {
			return ErrMaxMessages, msg
		}
		if s.delivered == s.max {
			s.c.removeSub(s, "max")
		}
	}
	if s.drainReady && s.inSubs && s.queueLen() == 0 {
		s.leaveByNextMsg("")
	}
	if w.ledger.Message(msg).Status == 503 {
		return ErrNoResponders, msg
	}
	return "", msg
}

// leaveByNextMsg removes a drained sync subscription from NextMsg
// (SyncLeavesByNextMsg); waiting NextMsg calls return waitErr, or the
// closed subscription's error when it is "".
func (s *Sub) leaveByNextMsg(waitErr string) {
	if waitErr != "" {
		for _, nw := range s.takeWaiters() {
			s.c.w.sim.Cancel(nw.timer)
			nw.done(waitErr, 0)
		}
	}
	s.drainReady, s.draining = false, false
	s.c.removeSub(s, "drain")
}

// Unsubscribe is Subscription.Unsubscribe.
func (s *Sub) Unsubscribe() string {
	c := s.c
	switch {
	case c.isClosed():
		return ErrConnectionClosed
	case s.closed:
		return ErrBadSubscription
	case c.isDraining() && !c.w.mut.Has(UnsubAllowedWhileDraining):
		switch rule := c.w.profile.UnsubWhileDraining; rule {
		case "":
		case "noop":
			return ""
		default:
			return rule
		}
	}
	return c.unsubscribe(s, 0, false)
}

// AutoUnsubscribe is Subscription.AutoUnsubscribe.
func (s *Sub) AutoUnsubscribe(max int) string {
	if s.closed {
		return ErrBadSubscription
	}
	return s.c.unsubscribe(s, max, false)
}

// Drain is Subscription.Drain; while the connection drains, some libraries
// refuse it and some return the drain already running ("noop").
func (s *Sub) Drain() string {
	if rule := s.c.w.profile.SubDrainWhileDraining; rule != "" && s.c.isDraining() {
		if rule == "noop" {
			r := s.c.rarely()
			r.drainFollowers = append(r.drainFollowers, s)
			return ""
		}
		return rule
	}
	if !s.draining {
		s.subDrain = true
	}
	return s.c.unsubscribe(s, 0, true)
}

// DrainCall is the application's subscription drain with the given
// timeout (used by profiles with SubDrainResult). done runs when the call
// returns: at once, or under DrainCallFlushes after the drain's barrier.
func (s *Sub) DrainCall(timeout time.Duration, done func(err string)) {
	p := s.c.w.profile
	fresh := !s.draining && !s.closed && s.inSubs
	s.drainTimeout = timeout
	err := s.Drain()
	if err != "" || !fresh || !s.subDrain || !p.DrainCallFlushes || s.c.isClosed() {
		done(err)
		return
	}
	s.drainCallDone = done
}

// drainTimeoutFor resolves a subscription drain's timeout: the scenario's,
// else the client's drain timeout.
func (c *Conn) drainTimeoutFor(ds *scenario.DrainSub) time.Duration {
	if ds != nil && ds.Timeout != nil {
		return *ds.Timeout
	}
	return c.opts.drainTimeout
}

// subDrainDone records the end of s's own drain, with its result, for
// profiles whose subscription drain signals one.
func (s *Sub) subDrainDone(drained bool) {
	p := s.c.w.profile
	if !p.SubDrainResult || s.rec.DrainDoneAt != NoTime {
		return
	}
	result := OK
	if !drained && !(p.SubDrainResultAfterCleanup && !s.ownDispatcher()) {
		result = ErrDrainTimeout
	}
	s.rec.DrainDoneAt, s.rec.DrainResult = s.c.now(), s.c.w.ledger.Intern(result)
}

// ownDispatcher reports whether s is an async subscription with a
// dispatcher of its own, which the library drains as a whole (nats.java's
// Dispatcher.drain) rather than as a subscription.
func (s *Sub) ownDispatcher() bool {
	return !s.sync && !s.mux && s.spec != nil && s.spec.Dispatcher == ""
}

// unsubscribe is nats.go's conn.unsubscribe: set the max, remove the
// subscription (plain unsubscribe), or mark it draining and start its drain;
// then queue the UNSUB unless reconnecting.
func (c *Conn) unsubscribe(s *Sub, max int, drain bool) string {
	sendMax := 0
	if max > 0 {
		s.setMax(int64(max))
		if s.delivered < s.max {
			sendMax = max
		}
	}
	if c.isClosed() {
		return ErrConnectionClosed
	}
	if !s.inSubs {
		return ""
	}
	if sendMax == 0 && !drain {
		c.removeSub(s, "unsubscribe")
		s.rec.UnsubReturnedAt = c.now()
	}
	if drain {
		s.beginDrain()
		if c.w.mut.Has(DropPendingOnDrain) {
			for s.queueLen() > 0 {
				q := s.pop()
				s.pMsgs--
				s.pBytes -= q.size
				c.w.ledger.drop(q.d, c.now(), DropSubClosed, true)
			}
		}
		if c.w.mut.Has(RemoveSubAtOnce) {
			c.removeSub(s, "drain")
		} else {
			c.barriersDue++
			c.w.sim.At(c.now(), s.checkDrainedEvent())
		}
	}
	if !c.isReconnecting() {
		c.write(frame{op: opUnsub, sid: s.sid, arg: int32(sendMax)}, 16)
	}
	return ""
}

// beginDrain marks s draining.
func (s *Sub) beginDrain() {
	s.changeStatus(SubDraining) // at every Drain call
	s.draining = true
	s.drainCancelled = false
	if s.rec.DrainCalledAt == NoTime {
		s.rec.DrainCalledAt = s.c.now()
	}
	if s.c.w.tr != nil {
		s.c.w.trace(s.c.name, "sub.drain", sim.Str("sub", s.rec.ID))
	}
}

// subscribe is subscribeLocked: refused when closed or draining.
func (c *Conn) subscribe(spec *scenario.Subscription, subject string, mux bool) (*Sub, string) {
	if c.isClosed() {
		return nil, ErrConnectionClosed
	}
	if c.isDraining() {
		return nil, ErrConnectionDraining
	}
	s := c.w.newSub(c, spec, subject, mux, c.w.expectedOn(subject, mux))
	if !c.isReconnecting() {
		c.write(frame{op: opSub, sid: s.sid, frameRefs: frameRefs{ref: s.rec.index}}, 32)
	}
	return s, ""
}
