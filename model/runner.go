package model

import (
	"math"
	"slices"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Runner makes runs one after another and reuses the memory of each run for
// the next: the event queue, the ledger, the call and delivery records and
// the network buffers, and the world's set-up itself: connections with
// their links and link callbacks, subscriptions, action events and the
// Chooser streams are reset and re-seeded, not made anew. A sweep worker
// or check makes thousands of runs, and without reuse much of its time
// goes to allocating and collecting. Results are the same as Run's
// (TestRunnerRecyclesWorlds).
//
// A Runner is not safe for concurrent use, and a Result it returns is valid
// only until its next Run: read what you need first. The next run reuses
// all of it: the Result itself, its ledger (lists and string table), call
// records, connection and subscription records (with their status and
// callback lists), handled lists and trace. Every caller reads a Result
// before its next Run (props' checks, explore's sweeps, the exhaustive
// exploration); one that keeps a record longer must copy it. Reusing the
// Result and its records is what a small run's fixed cost was made of: a
// scenario of a few dozen events (conformance's time compression, check's
// generated scenarios) allocated a record or list for every few events.
// The zero Runner is ready to use.
type Runner struct {
	sim        *sim.Sim
	world      *World  // the previous run's, reset for the next
	res        *Result // the previous run's, reset for the next
	server     *Server // the previous run's (a cluster's first), reset for the next
	netDown    []sim.Time
	messages   []Message
	deliveries []Delivery
	calls      []CallRecord
	handled    [][]int32
	frames     [][]frame
	trace      *sim.Trace // the last traced run's, emptied for the next
	maps       worldMaps
	// strIDs is the string map of the last handed-over Result's ledger,
	// emptied, for the next run's ledger (strTable.detach), and strPrev
	// that ledger's strings, for the next run to follow (strTable.prev).
	strIDs  map[string]Str
	strPrev []string
	// recycled are earlier runs' connections (with their links),
	// subscriptions, action events and records, for the next run to
	// reset; streams the previous run's net, handler, client and server
	// streams, and root the run's seeded PCG.
	recycled recyclers
	streams  [numStreams]sim.Chooser
	root     ownStream
	// sources are "actions[i]" for every i its runs asked
	// World.actionSource for.
	sources []string
}

// The streams a Runner hands to its next run to re-seed (takeStream).
const (
	netStream = iota
	handlerStream
	clientStream
	serverStream // one server's; a cluster's are made anew
	numStreams
)

// recyclers are the objects of earlier runs that a run resets rather than
// allocates: newConn, newSub, actionCalls, Server.accept and
// Server.processSub take from them, newConn and newSub the records, and
// newCallback, newRequest, newWait, newPendingCall and nextMsgCalls the
// concurrent subscriptions' callbacks, the requests, the handler actions
// that wait, the actions' calls that return later and next_msg actions'
// loops.
type recyclers struct {
	callbacks    arena[callback]
	requests     arena[request]
	actionWaits  arena[actionWait]
	pendingCalls arena[pendingCall]
	nextMsgCalls arena[nextMsgCall]
	conns        recycler[Conn]
	subs         recycler[Sub]
	actions      recycler[actionRun]
	serverConns  recycler[serverConn]
	serverSubs   recycler[serverSub]
	connRecs     recycler[ConnRecord]
	subRecs      recycler[SubRecord]
	segs         segSlab // every link's segments in flight (net.go)
}

// recycler holds objects of earlier runs for a run to reset (free), and
// the array the last run listed its own in (list), which the next run
// lists its own in: neither is reallocated from run to run. free holds at
// most the most objects one run made.
//
// made holds the objects reserve made, made[taken:] those no run has
// used: they are still zero, and takeFresh says so, so that the caller
// need not zero them again (World.newSub, Server.processSub: a plain Run's
// records are always new, and zeroing a thousand 248-byte SubRecords went
// through the write barrier while the collector marked). They are taken
// from made's array directly: listing a pointer to each in free first was
// an array of a thousand pointers for a plain Run's records, allocated
// every run, and a thousand pointer writes. taken counts them off rather
// than made being resliced, whose new array pointer was a barriered write
// for every record taken.
type recycler[T any] struct {
	free, list []*T
	made       []T
	taken      int
}

// take gives an object of an earlier run (or one reserve made), as it was
// left, or a new zero one when none is left; the caller resets it.
func (rc *recycler[T]) take() *T {
	x, _ := rc.takeFresh()
	return x
}

// takeFresh is take, and reports whether the object is new (zero): made
// by reserve or now, never used by a run. reserve's are taken first.
func (rc *recycler[T]) takeFresh() (*T, bool) {
	if rc.taken < len(rc.made) {
		rc.taken++
		return &rc.made[rc.taken-1], true
	}
	n := len(rc.free)
	if n == 0 {
		return new(T), true
	}
	x := rc.free[n-1]
	rc.free = rc.free[:n-1]
	return x, false
}

// reserve makes sure that the next n takes allocate nothing: what the
// earlier runs left is short of is made as one array. A run sets up every
// client, subscription and action before its first event, and making a
// thousand of each one by one was most of Scale/clients=1k's set-up.
func (rc *recycler[T]) reserve(n int) {
	if short := n - len(rc.free) - (len(rc.made) - rc.taken); short > 0 {
		rc.made, rc.taken = append(rc.made[rc.taken:], make([]T, short)...), 0
	}
}

// emptyList gives a run the array to list the objects it makes in. It is
// not cleared: every object it lists is in free too (put), so what it
// still holds past its length keeps nothing alive that the recycler does
// not, and the run only appends to it. Clearing a thousand subscriptions'
// lists (subscriptions, the server's, the actions') wrote each pointer
// slot through the write barrier whenever the collector was marking.
func (rc *recycler[T]) emptyList() []*T { return rc.list[:0] }

// put hands a finished run's objects, listed in used, to the next run;
// what reserve made and the run did not take stays in made, zero. They
// go on free last first, so that the next run takes them in the order
// this one did: a Runner's next run mostly makes the same subscriptions
// and connections in the same order, and each then finds the scenario's
// entry, subject and connection it had, and its reset (Sub.reset) writes
// none of those pointer slots through the write barrier. Appended in
// used's order, each object served the mirror-image entry, a different one
// every other run.
func (rc *recycler[T]) put(used []*T) {
	for i := len(used) - 1; i >= 0; i-- {
		rc.free = append(rc.free, used[i])
	}
	rc.list = used
}

// drop forgets the objects the last run took, for a Runner whose Result,
// which lists them, is handed over (Runner.handOver): none is reused. It
// keeps free's array, cleared, for the next run's put (a thousand
// pointers' array a plain Run of Scale/subs=1k allocated every run). It
// drops what reserve made and no run took: those share one array with
// the objects taken, and made, even empty, points into it, which kept the
// handed-over records, and through them the whole Result, alive.
func (rc *recycler[T]) drop() {
	clear(rc.free)
	rc.free, rc.list, rc.made, rc.taken = rc.free[:0], nil, nil, 0
}

// arena holds the objects of one kind that a connection or subscription
// made in its earlier runs (flush, drain and NextMsg waiters, a
// connection's drains), for its later runs to reuse
// with the events bound to them: a drain's flushes and waits were most of
// a small run's allocations. An object a run takes stays that run's until
// the run ends, however long a timer or a PONG queue still reaches it;
// rewind, at the next run's set-up, makes them all free again. At most
// arenaMax are kept: a run that makes more makes the rest anew, so that a
// long run's millions of flushes are not held for ever.
type arena[T any] struct {
	made []*T
	used int // made[:used] are the current run's
}

// arenaMax is the most objects an arena keeps: a connection that drains
// a thousand subscriptions makes a flush waiter (48 bytes) and its three
// events (24 bytes each) for each one's barrier, which a bound of 16 made
// anew every run (four fifths of Scale/subs=1k's allocations). 4,096 holds
// at most about 512 KB of flush waiters (and 360 KB of drain waiters) per
// connection, and only on a Runner whose run made that many.
const arenaMax = 4096

// take gives an object of an earlier run, as that run left it, or a new
// zero one; the caller resets it.
func (a *arena[T]) take() *T {
	if a.used < len(a.made) {
		a.used++
		return a.made[a.used-1]
	}
	x := new(T)
	if len(a.made) < arenaMax {
		a.made = append(a.made, x)
		a.used++
	}
	return x
}

// rewind makes every object free for the next run's takes.
func (a *arena[T]) rewind() { a.used = 0 }

// windows carves a run's small record lists (a connection's status
// changes and callbacks, a subscription's handled messages) out of shared
// arrays, so that a thousand clients or subscriptions are not a thousand
// allocations apiece (three for each client's status list as it grew from
// one entry to four). Each window has a capacity of its own and no room
// past it: appending beyond it copies the list to an array of its own, as
// appending to any full list does, so no window ever writes into another.
// The arrays belong to the run's Result, as the lists do: a World starts
// with none, and a plain Run hands them over with the Result.
type windows[T any] struct{ free []T }

// windowChunk is the most entries windows.take makes an array of for
// lists of up to half of it; a longer list's array is sized for what the
// run may still ask for.
const windowChunk = 1024

// take gives an empty list with room for n, from the current array or,
// when that has less room left, a new one of min(want, windowChunk)
// entries, or of want for a list of more than half a chunk: want is how
// many the run may still ask for, n included. A plain Run's three
// subscriptions of a thousand messages share one array, not three.
func (s *windows[T]) take(n, want int) []T {
	if n <= 0 {
		return make([]T, 0)
	}
	if cap(s.free)-len(s.free) < n {
		size := min(want, windowChunk)
		if n > windowChunk/2 {
			size = want
		}
		s.free = make([]T, 0, max(n, size))
	}
	k := len(s.free)
	s.free = s.free[:k+n]
	return s.free[k : k : k+n]
}

// worldMaps are the maps a run looks its clients and subscriptions up in,
// which a Runner empties and hands to its next run: a run's small maps
// were a tenth of a generated scenario's allocated objects.
type worldMaps struct {
	subs      map[string]*Sub
	connOf    []int32
	published map[string]int32
}

// Run is Run, reusing the memory of the Runner's previous run (and of its
// previous traced run's trace).
func (r *Runner) Run(sc *scenario.Scenario, cfg Config) (*Result, error) {
	return r.run(sc, cfg, true)
}

// run is Runner.Run; keepRecords lists the Result's connection and
// subscription records for the next run to reuse. A plain Run, which
// hands the Result over (handOver), does not list them only for handOver
// to drop them: a thousand pointers appended and cleared again, each
// through the write barrier while the collector marked.
func (r *Runner) run(sc *scenario.Scenario, cfg Config, keepRecords bool) (*Result, error) {
	w, err := newWorld(sc, cfg, r)
	if err != nil {
		return nil, err
	}
	res := w.run()
	r.sim, r.world, r.res, r.netDown, r.server = w.sim, w, res, w.netDown, w.server
	if w.tr != nil {
		r.trace = w.tr
	}
	subs := w.subs
	if subs == nil {
		subs = w.spareSubs
	}
	r.maps = worldMaps{subs: subs, connOf: w.connOf, published: w.published}
	r.messages, r.deliveries, r.calls = w.ledger.Messages[:0], w.ledger.Deliveries[:0], res.calls[:0]
	// Take back the outbound buffers too, and put the largest last, where
	// getFrames pops from: the first buffers of the next run need not grow.
	for _, c := range w.conns {
		w.putFrames(c.out)
	}
	for _, sc := range w.server.conns {
		if sc != nil {
			w.putFrames(sc.out)
		}
	}
	r.frames = w.frames
	r.recycled.conns.put(w.conns)
	r.recycled.subs.put(w.subList)
	r.recycled.actions.put(w.actionRuns)
	r.recycled.serverConns.put(w.serverConns)
	r.recycled.serverSubs.put(w.serverSubs)
	if keepRecords {
		r.recycled.connRecs.put(res.Conns)
		r.recycled.subRecs.put(res.Subs)
	}
	r.streams = [numStreams]sim.Chooser{w.rngNet, w.rngHandler, w.rngClient, nil}
	if w.cl == nil {
		r.streams[serverStream] = w.server.rng
	}
	byCap := func(a, b []frame) int { return cap(a) - cap(b) }
	if !slices.IsSortedFunc(r.frames, byCap) {
		slices.SortStableFunc(r.frames, byCap)
	}
	return res, nil
}

// handOver gives up the memory of the Result the Runner's last run
// returned, so that no later run reuses it: the Result is its caller's
// for good, as a plain Run's is, and the Runner keeps only what the
// Result does not reach (the kernel, connections, subscriptions, links,
// buffers and lookup maps).
func (r *Runner) handOver() {
	if r.res != nil {
		r.strIDs, r.strPrev = r.res.Ledger.strs.detach()
	}
	r.res, r.messages, r.deliveries, r.calls, r.handled, r.trace = nil, nil, nil, nil, nil, nil
	r.recycled.connRecs.drop()
	r.recycled.subRecs.drop()
	if r.world != nil {
		r.world.forgetResult()
	}
}

// The methods below hand a new World the Runner's memory, or new memory
// when it has nothing (the first run) or nothing big enough.

func (r *Runner) newSim(b sim.Budget) *sim.Sim {
	if r.sim == nil {
		return sim.New(b)
	}
	r.sim.Reset(b)
	return r.sim
}

func (r *Runner) takeMessages(n int) []Message {
	if cap(r.messages) >= n {
		return r.messages
	}
	return make([]Message, 0, n)
}

func (r *Runner) takeDeliveries(n int) []Delivery {
	if cap(r.deliveries) >= n {
		return r.deliveries
	}
	return make([]Delivery, 0, n)
}

func (r *Runner) takeCalls(n int) []CallRecord {
	if cap(r.calls) >= n {
		return r.calls
	}
	return make([]CallRecord, 0, n)
}

// takeHandled gives a handled list for n messages: the previous run's,
// or a window of fresh (want: what the run's other subscriptions may ask
// for).
func (r *Runner) takeHandled(n int, fresh *windows[int32], want int) []int32 {
	if len(r.handled) > 0 {
		h := r.handled[len(r.handled)-1]
		r.handled = r.handled[:len(r.handled)-1]
		if cap(h) >= n {
			return h
		}
	}
	return fresh.take(n, want)
}

func (r *Runner) takeFrames() [][]frame {
	f := r.frames
	r.frames = nil
	return f
}

// takeRecycled gives a run the Runner's recyclers.
func (r *Runner) takeRecycled() *recyclers { return &r.recycled }

// takeStream gives the previous run's stream i (netStream, ...) for
// restream to re-seed, or nil.
func (r *Runner) takeStream(i int) sim.Chooser {
	s := r.streams[i]
	r.streams[i] = nil
	return s
}

// takeTrace gives a traced run the trace of the Runner's previous traced
// run, emptied: a determinism check traces one scenario eight times, and
// growing a new trace each time was a fifth of its work.
func (r *Runner) takeTrace() *sim.Trace {
	if r.trace == nil {
		return sim.NewTrace()
	}
	tr := r.trace
	r.trace = nil
	tr.Reset()
	return tr
}

// seeded gives a run its root Chooser, a PCG seeded with seed, in the
// Runner's memory.
func (r *Runner) seeded(seed uint64) sim.Chooser {
	r.root = ownStream{*sim.NewPCG(seed)}
	return &r.root
}

// takeWorld gives a run the previous run's World to reset, or a new one.
func (r *Runner) takeWorld() *World {
	if r.world == nil {
		return new(World)
	}
	w := r.world
	r.world = nil
	return w
}

// takeResult gives a run the previous run's Result and Ledger to reset,
// or new ones. The lists keep their arrays, emptied; the string table
// keeps its memory and interns from scratch, so that a run's ids are the
// same as in a fresh Run.
func (r *Runner) takeResult(budget *sim.Sim) (*Result, *Ledger) {
	if r.res == nil {
		l := &Ledger{budget: budget, strs: strTable{ids: r.strIDs, prev: r.strPrev, follows: r.strPrev != nil}, unwritten: math.MaxInt, dlvUnwritten: math.MaxInt}
		r.strIDs, r.strPrev = nil, nil
		return new(Result), l
	}
	res, l := r.res, r.res.Ledger
	r.res = nil
	// The handled lists are collected here, not at the end of the run
	// they served: a plain Run's are handed over (handOver), and listing a
	// thousand of them after every run only to drop the list was 7 % of
	// Scale/subs=1k's bytes.
	for _, s := range res.Subs {
		r.handled = append(r.handled, s.handed[:0])
	}
	*res = Result{Subs: r.recycled.subRecs.emptyList(), Conns: r.recycled.connRecs.emptyList(), counters: emptied(res.counters),
		subByID:    res.subByID,    // emptied by the first lookup (indexSubs)
		connByName: res.connByName, // and by indexConns
		folds:      res.folds[:0],
		expanded:   res.expanded} // emptied by the first listing (listCalls)
	// The Ledger is reset field by field, its string table in place
	// (strTable.empty): a field added to Ledger is reset here too.
	l.Messages, l.Deliveries, l.budget = nil, nil, budget
	l.inTransit, l.pending = 0, 0
	l.reserved, l.unwritten = l.reserved[:0], math.MaxInt
	l.dlvReserved, l.dlvUnwritten, l.runSubs = l.dlvReserved[:0], math.MaxInt, l.runSubs[:0]
	l.strs.empty()
	return res, l
}

// takeServer gives newServer the previous run's Server, or a new one.
func (r *Runner) takeServer() *Server {
	if r.server == nil {
		return new(Server)
	}
	s := r.server
	r.server = nil
	return s
}

// takeNetDown gives a run its per-client times, all zero.
func (r *Runner) takeNetDown(n int) []sim.Time {
	if cap(r.netDown) < n {
		return make([]sim.Time, n)
	}
	d := r.netDown[:n]
	clear(d)
	return d
}

// takeMaps gives a run the Runner's maps; reuse empties each one.
func (r *Runner) takeMaps() worldMaps {
	m := r.maps
	r.maps = worldMaps{}
	return m
}

// maxReusedMap is the most entries a map may have held to be reused by a
// run that needs fewer than half as many: emptying a map costs as much as
// its largest size, which a run with thousands of clients should not leave
// to every later, smaller run.
const maxReusedMap = 256

// reuse returns m emptied, or a new map for n entries when there is none
// or m held more than maxReusedMap and more than twice n. A run as large
// as the last reuses its maps however large: emptying one then costs no
// more than filling it, and making a thousand-entry map anew every run
// was its allocation, clearing and growth (Scale/subs=1k, clients=1k).
func reuse[K comparable, V any](m map[K]V, n int) map[K]V {
	if m == nil || len(m) > max(maxReusedMap, 2*n) {
		return make(map[K]V, n)
	}
	clear(m)
	return m
}
