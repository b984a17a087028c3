package model

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Config selects how a scenario is run.
type Config struct {
	// Chooser drives every nondeterministic decision. Nil means a PCG
	// seeded with the scenario's seed, or, when the scenario lists its
	// choices (choices:), a sim.Tape replaying them.
	Chooser sim.Chooser
	// Trace records a full trace in Result.Trace. Without it only the ledger
	// and records are kept, which is what sweeps and property runs need.
	Trace bool
	// Mutations enables deliberate model defects (see Mutation).
	Mutations MutationSet
	// Profile, when set, replaces the profile the scenario names, e.g. to
	// sweep a poll interval. It must not be modified during the run.
	Profile *Profile
	// Races, when set, draws which way each race in races.go goes, races a
	// run otherwise settles one fixed way; nil keeps every run exactly as
	// without it. The conformance harness sets it in its variants, so that
	// the model's outcomes include the real client's either way. It is a
	// Chooser of its own, so that drawing races reshuffles no other draw.
	Races sim.Chooser
	// CompareTrace, with Trace, makes the run compare its trace events
	// with CompareTrace's instead of recording them (sim.Trace.CompareWith):
	// Result.Trace then holds no events, and its Matches reports whether
	// the run traced exactly CompareTrace's. A determinism check's reruns
	// need only that. CompareTrace must not change during the run.
	CompareTrace *sim.Trace
}

// World is one run in progress: the kernel, the server, the clients and the
// records they write.
type World struct {
	sim     *sim.Sim
	sc      *scenario.Scenario
	profile *Profile
	mut     MutationSet
	races   sim.Chooser // Config.Races
	tr      *sim.Trace
	ledger  *Ledger
	res     *Result
	server  *Server
	conns   []*Conn
	// subs finds a subscription by scenario id once it subscribed: made on
	// the first lookup (subByID), nil until then, and kept up to date
	// after; lookups only. spareSubs is the map the Runner's previous run
	// made it in, for that lookup to reuse.
	subs, spareSubs map[string]*Sub
	subList         []*Sub // every subscription, indexed like Result.Subs
	// connOf is 1 + the index in conns of the client each interned string
	// names (by Str; 0: no client): newConn interns each client's name
	// anyway, and a map by name was a thousand more inserts, hashing each
	// name again, in every run of a thousand clients (Scale/clients=1k).
	connOf []int32
	// msgEstimate is how many messages the actions publish, for
	// presizing; published is 1 + the index in subjects of each subject
	// they publish on, and subjects what presize and the run learn of each
	// (pubSubject). published keeps earlier runs' entries, which current
	// tells apart (countPublished). subExpect is what each scenario subscription (by
	// index) expects of them (presize), which its set-up reserves for
	// without looking its subject up again, and subSubject and actSubject
	// are 1 + the index in subjects of each scenario subscription's and
	// each action's subject (0: none, or a wildcard). Their arrays are
	// the Runner's previous run's.
	msgEstimate int
	published   map[string]int32
	subjects    []pubSubject
	// heldSubjects is how many of subjects' first entries published holds
	// at their index (len(subjects) after presize, 0 once trimPublished
	// cleared it), and prevSubjects the previous run's heldSubjects: the
	// entries subjects' array still holds from that run, which this run
	// may take in order without the map (countPublished) while
	// followsSubjects, this run's subjects being so far exactly their
	// first ones.
	heldSubjects, prevSubjects int
	followsSubjects            bool
	// foundSubject is 1 + the index in subjects of the subject
	// expectedSubject found last (0: none yet).
	foundSubject int32
	subExpect    []int
	subSubject   []int32
	actSubject   []int32
	// lastNamed is the connection connNamed found last.
	lastNamed *Conn
	// handledBudget is how many handled entries subscriptions may still
	// reserve beyond the first 4,096 each (newSub).
	handledBudget int
	netDown       []sim.Time    // per client: the network is down until then
	pingsArmed    int           // PING timers scheduled (ping.go)
	stallEnd      sim.Time      // when the last stall ends (stall.go)
	frames        [][]frame     // recycled frame buffers
	pool          *Runner       // memory of earlier runs to reuse
	rc            *recyclers    // earlier runs' objects to reset
	actionRuns    []*actionRun  // the actions' events made (actionCalls)
	serverConns   []*serverConn // every connection a server accepted
	serverSubs    []*serverSub  // every subscription a server's client made (processSub)
	// statusLists, callbackLists and handledLists are the arrays the
	// Result's new records' lists are windows of.
	statusLists   windows[StatusChange]
	callbackLists windows[CallbackEvent]
	handledLists  windows[int32]
	// trig runs the actions that wait for an event; nil when none does.
	trig *triggers
	// observed: the run is traced or has triggers (tr set, or trig once
	// set up), so a callback's start and end are observed
	// (callback.observe). Every callback tests it twice: one flag instead
	// of two pointers.
	observed bool
	// okID is OK interned, once a call has succeeded (resultID).
	okID Str
	// lastRemoval is the last removal's reason, interned (removalID).
	lastRemoval interned
	// publishVerb is "publish" interned, once a publish action has made
	// its call site (publishSite).
	publishVerb Str

	rngNet     sim.Chooser
	rngHandler sim.Chooser
	// clientNet is the latency and bandwidth every client link of the
	// run writes with (link.net), and the World they reach through it.
	clientNet linkNet
	rngClient sim.Chooser

	// cl is the cluster's state (cluster.go); nil for one server.
	cl *cluster
}

// Run executes a validated scenario and returns its result. The error is
// non-nil only when the scenario cannot be run (an unknown profile).
//
// It runs on a Runner borrowed from a pool, which reuses the world's
// set-up and buffers of an earlier run but hands the Result's memory over
// (Runner.handOver): the Result stays valid for good. A recycled run's
// results are a fresh run's (TestRunnerRecyclesWorlds and the other
// Runner tests compare them with a new Runner's), so which Runner the
// pool lends changes nothing. The Runner goes back to the pool only after
// a run that returned: one that panicked midway is dropped, never lent again.
//
// Run ends by yielding the processor (runtime.Gosched), for the garbage
// collector's sake: a plain Run hands its records over, so a program
// that makes run after run keeps the collector busy, and while it marks,
// every pointer the runs write goes through the write barrier. With one
// processor (GOMAXPROCS=1, as the benchmarks run) and a goroutine that
// never blocks, the collector's background mark worker only gets the
// processor when the scheduler preempts that goroutine, every 10 ms, so a
// mark phase of ~1 ms of work spanned ~10 ms of the runs (half the time of
// Scale/subs=1k, its barrier 17 % of the CPU). The yield lets the worker
// take its share between runs, and the phase ends within a few runs. It
// costs a scheduler round trip when nothing else waits, against a run's
// several microseconds at least; with more processors the worker would run
// on an idle one anyway. See docs/performance-history.md, h33gc.
func Run(sc *scenario.Scenario, cfg Config) (*Result, error) {
	r := runners.Get().(*Runner)
	res, err := r.run(sc, cfg, false)
	r.handOver()
	runners.Put(r)
	runtime.Gosched()
	return res, err
}

// runners lends Run a Runner.
var runners = sync.Pool{New: func() any { return new(Runner) }}

// run executes the world's events and settles the ledger.
func (w *World) run() *Result {
	w.res.Stop = w.sim.Run()
	w.finish()
	return w.res
}

// forgetResult drops what the world's objects, which a Runner keeps for
// its next run, hold of the run's Result: the Result and its ledger (the
// world's and each server's subject index's), and each connection's and
// subscription's record, which reaches the ledger. A plain Run's Result
// is its caller's (Runner.handOver), and while the pooled Runner held it
// until the next run's set-up, a Result the caller had dropped stayed in
// the heap: a million messages' records, 120 MB, which the collector's
// goal doubles (docs/performance-history.md, h33gc).
func (w *World) forgetResult() {
	w.res, w.ledger = nil, nil
	w.server.subs.strs = nil
	if w.cl != nil {
		for _, s := range w.cl.servers {
			s.subs.strs = nil
		}
	}
	for _, c := range w.conns {
		c.rec = nil
	}
	for _, s := range w.subList {
		s.rec = nil
	}
	for _, ss := range w.serverSubs {
		ss.rec = nil
	}
}

// newWorld sets up a run in the memory pool lends it: that of its
// earlier runs, if any.
func newWorld(sc *scenario.Scenario, cfg Config, pool *Runner) (*World, error) {
	p := cfg.Profile
	if p == nil {
		var err error
		if p, err = LookupProfile(sc.Profile); err != nil {
			return nil, &scenario.Error{File: sc.File, Line: sc.ProfileLine, Field: "profile", Msg: err.Error()}
		}
	}
	if err := checkProfileAPI(sc, p); err != nil {
		return nil, err
	}
	if err := checkServerOptions(sc, p); err != nil {
		return nil, err
	}
	if err := checkTopology(sc); err != nil {
		return nil, err
	}
	rng := runChooser(sc, cfg, pool)
	maps := pool.takeMaps()
	w := pool.takeWorld()
	*w = World{
		sim:        pool.newSim(sim.Budget{MaxEvents: sc.Limits.MaxEvents, MaxTime: sim.Time(sc.Limits.MaxTime), MaxRecords: ledgerBudget(sc.Limits.MaxRecords)}),
		pool:       pool,
		frames:     pool.takeFrames(),
		rc:         pool.takeRecycled(),
		sc:         sc,
		profile:    p,
		mut:        cfg.Mutations,
		races:      cfg.Races,
		spareSubs:  maps.subs,
		subExpect:  w.subExpect[:0],
		subSubject: w.subSubject[:0],
		actSubject: w.actSubject[:0],
		subjects:   w.subjects[:0],
		// The previous run's subjects, held in its map: w is the
		// Runner's previous World (or a new one, which holds none).
		prevSubjects:    w.heldSubjects,
		followsSubjects: true,
		rngNet:          restream(rng, pool.takeStream(netStream), "net"),
		rngHandler:      restream(rng, pool.takeStream(handlerStream), "handler"),
		rngClient:       restream(rng, pool.takeStream(clientStream), "client"),
		clientNet:       linkNet{latency: sc.Network.Latency, bw: int64(sc.Network.Bandwidth), label: "latency"},
	}
	w.clientNet.w = w
	if sc.PermuteTies {
		w.sim.SetTies(rng.Stream("ties"))
	}
	w.conns, w.subList, w.actionRuns = w.rc.conns.emptyList(), w.rc.subs.emptyList(), w.rc.actions.emptyList()
	w.serverConns, w.serverSubs = w.rc.serverConns.emptyList(), w.rc.serverSubs.emptyList()
	w.res, w.ledger = pool.takeResult(w.sim)
	w.rc.segs.reset()
	// The set-up's objects the earlier runs did not leave are made as one
	// array per kind: a thousand clients or subscriptions were a thousand
	// allocations apiece.
	w.rc.conns.reserve(len(sc.Clients))
	w.rc.serverConns.reserve(len(sc.Clients))
	w.rc.serverSubs.reserve(len(sc.Subs))
	w.rc.connRecs.reserve(len(sc.Clients))
	w.rc.subs.reserve(len(sc.Subs))
	w.rc.subRecs.reserve(len(sc.Subs))
	w.rc.actions.reserve(len(sc.Actions))
	w.rc.callbacks.rewind()
	w.rc.requests.rewind()
	w.rc.actionWaits.rewind()
	w.rc.pendingCalls.rewind()
	w.rc.nextMsgCalls.rewind()
	w.connOf = maps.connOf[:0]
	w.published = maps.published
	if w.published == nil {
		w.published = make(map[string]int32, len(sc.Actions))
		w.prevSubjects = 0 // a new map holds none of them
	}
	if cfg.Trace {
		w.tr = pool.takeTrace()
		if cfg.CompareTrace != nil {
			w.tr.CompareWith(cfg.CompareTrace)
		}
	}
	w.res.Scenario, w.res.Profile, w.res.Seed, w.res.Mutations, w.res.Ledger, w.res.Trace = sc, p, sc.Seed, cfg.Mutations, w.ledger, w.tr
	w.res.indexesSubs = true  // subByID is built by the first lookup (Result.Sub)
	w.res.indexesConns = true // and connByName by Result.Conn's
	triggered := w.presize()
	// Known before the subscriptions are made (Sub.ordinary); the
	// triggers themselves are set up after them (newTriggers), so that
	// the set-up's status changes fire none.
	w.observed = w.tr != nil || triggered
	w.netDown = pool.takeNetDown(len(sc.Clients))
	if sc.Topology == nil {
		w.server = newServer(w, restream(rng, pool.takeStream(serverStream), "server"))
	}
	unbound := false // a new connection is set up without its callbacks
	for i := range sc.Clients {
		c := w.newConn(i, &sc.Clients[i])
		unbound = unbound || c.flushFn == nil
		w.conns = append(w.conns, c)
		w.nameConn(c)
		w.res.Conns = append(w.res.Conns, c.rec)
		if w.server != nil {
			w.startConn(c)
		}
	}
	if unbound {
		w.bindConns()
	}
	if sc.Topology != nil {
		w.buildCluster(rng)
		for _, c := range w.conns {
			w.startConn(c)
		}
	}
	if w.cl != nil {
		w.cl.settingUp = true
	}
	// Subscriptions listed up front exist at time 0, as if the client had
	// subscribed and flushed before the scenario starts. Each gives the
	// subject it interned to the publishes on it (publishedID).
	for i := range sc.Subs {
		spec := &sc.Subs[i]
		if spec.Deferred {
			continue
		}
		c := w.connNamed(spec.Client)
		s := w.newSub(c, spec, spec.Subject, false, w.subExpect[i])
		if k := w.subSubject[i]; k > 0 { // a subject published on: no wildcard
			w.subjects[k-1].id = s.rec.Subject
			s.literal = true
		}
		if spec.Max > 0 {
			s.setMax(int64(spec.Max))
		}
		srv := w.serverOf(c)
		sc := srv.conns[c.idx]
		if sc == nil {
			continue // offline: the first connect sends its SUB
		}
		srv.processSub(sc, frame{op: opSub, sid: s.sid, frameRefs: frameRefs{ref: s.rec.index}})
		if spec.Max > 0 {
			srv.processUnsub(sc, s.sid, int64(spec.Max))
		}
	}
	if w.cl != nil {
		w.cl.settingUp = false
	}
	for i := range sc.Actions {
		if a := &sc.Actions[i]; a.After == nil {
			w.sim.At(sim.Time(a.At), w.actionCalls(i))
		}
	}
	if triggered {
		w.trig = newTriggers(w)
	}
	return w, nil
}

// startConn connects c, just set up (newConn), to its server before time
// 0, or starts it offline. Without a cluster the server is made before the
// clients and each is connected at once, while its Conn and its spec are
// in cache, rather than in a pass of its own after every client's set-up
// (Scale/clients=1k: 1 % fewer L1 misses; docs/performance-history.md,
// h23clients). It draws no choice and traces nothing that newConn would
// order differently: newConn does neither, and startConn still runs in the
// clients' order.
func (w *World) startConn(c *Conn) {
	if d := w.sc.Clients[c.idx].OfflineUntil; d != nil {
		w.startOffline(c, sim.Time(*d))
		return
	}
	w.serverOf(c).accept(c)
	c.armPingTimer() // connected before time 0: the timer starts at 0
}

// newConn sets up client i's connection: in the memory of a connection of
// the Runner's previous run when there is one, whose links, link callbacks
// and lists are reset rather than made anew (a client's set-up was a dozen
// allocations, most of a generated scenario's). A new connection's
// callbacks are made after every client's set-up (bindConns).
func (w *World) newConn(i int, spec *scenario.Client) *Conn {
	c := w.rc.conns.take()
	known := c.name != "" && same(c.name, spec.Name) // its links' streams were this client's (link.seed)
	c.clear()
	c.w, c.idx, c.name, c.nameID = w, i, spec.Name, w.ledger.Intern(spec.Name)
	c.opts.resolve(w.profile, spec) // c.out: taken by the first write (outBuf)
	c.status, c.tcp = Connected, true
	if r := c.rare; r != nil {
		*r = connRare{}
	}
	c.toServer.renew(&w.clientNet, nil)
	c.toServer.seed(w.rngNet, spec.Name, seededUp, known)
	c.fromServer.renew(&w.clientNet, nil)
	c.fromServer.seed(w.rngNet, spec.Name, seededDown, known)
	c.rec = w.rc.connRecs.take()
	status, callbacks := w.statusList(c.rec.Status), emptied(c.rec.Callbacks)
	*c.rec = ConnRecord{}
	r := c.rec
	r.Client = c.nameID
	r.DrainCalledAt, r.DrainDeadline, r.ClosedAt, r.FinalFlushAt, r.DrainDoneAt = NoTime, NoTime, NoTime, NoTime, NoTime
	r.Status, r.Callbacks = append(status, StatusChange{At: 0, Status: Connected}), callbacks
	return c
}

// clear zeroes c but for what a Runner's next run reuses of it: its
// callbacks, its links' (link.keep) and what their streams were seeded
// from (link.seeded, which newConn's seed compares), its rare state's
// memory, its flush and drain state (connWaits, rewound on its first use
// in the run, not here) and the memory of its lists, emptied. It zeroes c
// whole and writes what it keeps back field by field, as newConn writes
// the rest: a composite literal
// assigned to *c is built on the stack and copied with 16-byte loads of
// the 8-byte stores just made there, which the store buffer cannot
// forward, a store-forwarding stall each (78 such loads in newConn when
// it did so).
func (c *Conn) clear() {
	// Each list's array is zero past its length (connSubs, the close's
	// truncated bySid), and a callback event holds no pointers
	// (TestRecordsPointerFree), so nothing past a list's length needs
	// clearing.
	subs, bySid, ach := c.subs.truncated(), truncated(c.bySid), c.ach[:0]
	flushFn, achFn, waits, rare := c.flushFn, c.achFn, c.waits, c.rare
	upArrive, upRecv, upLost := c.toServer.keep()
	downArrive, downRecv, downLost := c.fromServer.keep()
	upSeeded, downSeeded := c.toServer.seeded, c.fromServer.seeded
	*c = Conn{}
	c.subs.list, c.bySid, c.ach = subs.list, bySid, ach
	c.flushFn, c.achFn, c.waits, c.rare = flushFn, achFn, waits, rare
	c.toServer.restore(upArrive, upRecv, upLost)
	c.fromServer.restore(downArrive, downRecv, downLost)
	c.toServer.seeded, c.fromServer.seeded = upSeeded, downSeeded
}

// connBinders make a new connection's callbacks, one kind each: its
// links' arrival events and receivers, the flusher and the callback
// dispatch (the events of c's loop; under a profile without one they run
// at once, so the same events serve every profile c is reused under), and
// the links' loss reports. The callbacks reach the world through c.w, so
// that they serve every run c is reused in. The flusher is last: a
// connection without one is new (bindConns).
//
// The flusher and the dispatch call c.flush and c.dispatchCallbacks
// directly and defer themselves while a handler holds the loop: through
// method values (runOnLoop of flush := c.flush) every flush read one more
// object, a cache miss a flush with a thousand clients.
var connBinders = [...]func(c *Conn){
	func(c *Conn) { c.toServer.arrive = c.toServer.deliverHead },
	func(c *Conn) { c.fromServer.arrive = c.fromServer.deliverHead },
	func(c *Conn) { c.toServer.recv = func(fs []frame, eof bool) { c.w.serverOf(c).receive(c, fs, eof) } },
	func(c *Conn) { c.fromServer.recv = c.receive },
	func(c *Conn) {
		c.achFn = func() {
			if !c.heldFor(c.achFn) {
				c.dispatchCallbacks()
			}
		}
	},
	func(c *Conn) {
		c.toServer.lost = func(fs []frame) {
			for _, f := range fs {
				if f.op == opPub {
					c.w.lostInFlight(int(f.msg), c.cutDrop().String())
				}
			}
		}
	},
	func(c *Conn) {
		c.fromServer.lost = func(fs []frame) {
			for _, f := range fs {
				if f.op == opMsg {
					c.w.ledger.drop(f.ref, c.w.sim.Now(), c.cutDrop(), c.recDraining(f.sid))
				}
			}
		}
	},
	func(c *Conn) {
		c.flushFn = func() {
			if !c.heldFor(c.flushFn) {
				c.flush()
			}
		}
	},
}

// bindConns makes the callbacks of the run's new connections (those
// without a flusher: a Runner's first run, or one with more clients than
// any before), kind by kind across the connections rather than
// connection by connection, so that the allocator lays each kind's
// objects side by side, four to a cache line. A kind's events come in
// waves over all the clients (every client publishes, flushes and reads
// at about the same time), and each event loads its callback's object
// (the kernel's call, and an arrival's receiver): with a thousand clients
// these are cold, and a wave of one kind now loads a quarter of the lines
// it loaded when each connection's eight objects lay together
// (Scale/clients=1k).
func (w *World) bindConns() {
	for _, bind := range connBinders {
		for _, c := range w.conns {
			if c.flushFn == nil {
				bind(c)
			}
		}
	}
}

// connStatuses is the room a new connection record's status list gets: a
// connection that drains and closes goes through four.
const connStatuses = 4

// statusList is a connection record's status list emptied, or a window of
// its own for a new record.
func (w *World) statusList(old []StatusChange) []StatusChange {
	if cap(old) > 0 {
		return emptied(old)
	}
	return w.statusLists.take(connStatuses, connStatuses*(len(w.sc.Clients)-len(w.conns)))
}

// restream returns parent.Stream of the parts' concatenation. When parent
// is a PCG it re-seeds old in place when old is an ownStream (a stream
// restream made for the Runner's previous run), or makes a new one,
// without building the name either way. Only an ownStream is re-seeded: a
// stream that a caller's Chooser handed out may be shared with the caller.
func restream(parent, old sim.Chooser, parts ...string) sim.Chooser {
	p := pcgOf(parent)
	if p == nil {
		return parent.Stream(strings.Join(parts, ""))
	}
	o, ok := old.(*ownStream)
	if !ok {
		o = new(ownStream)
	}
	p.Restream(&o.PCG, parts...)
	return o
}

// pcgOf is the PCG that c draws from when c is one (or an ownStream),
// else nil: restream re-seeds only those in place.
func pcgOf(c sim.Chooser) *sim.PCG {
	switch c := c.(type) {
	case *sim.PCG:
		return c
	case *ownStream:
		return &c.PCG
	}
	return nil
}

// restreamHandler is restream(parent, &s.ownHandlerRn, id), the
// subscription's handler stream, without hashing id again when the
// subscription's last re-seeding was from the same id and a parent of
// the same name (sim.PCG.Reseed): a Runner's next run of the same
// scenario, where hashing each id byte by byte was ~75 of the ~110
// instructions of each subscription's restream (Scale/subs=1k). The id
// is compared by identity, the scenario's own string again; handlerID ""
// (a new subscription) remembers nothing.
func (s *Sub) restreamHandler(parent sim.Chooser, id string) sim.Chooser {
	p := pcgOf(parent)
	if p == nil || id == "" || !same(s.handlerID, id) || s.handlerParent != p.NameHash() {
		rn := restream(parent, &s.ownHandlerRn, id)
		if p != nil {
			if !same(s.handlerID, id) { // an equal copy would never be the same again
				s.handlerID = id
			}
			s.handlerParent = p.NameHash()
		}
		return rn
	}
	p.Reseed(&s.ownHandlerRn.PCG, s.ownHandlerRn.NameHash())
	return &s.ownHandlerRn
}

// putChooser is put for a Chooser, which is compared only when v is an
// ownStream (restream's, a Runner's subscription mostly finds its own) or
// nil: another Chooser's dynamic type may not be comparable.
func putChooser(p *sim.Chooser, v sim.Chooser) {
	switch o, own := v.(*ownStream); {
	case v == nil && *p == nil, own && *p == sim.Chooser(o):
	default:
		*p = v
	}
}

// ownStream is a PCG stream that restream made, which a later run of the
// same Runner may re-seed.
type ownStream struct{ sim.PCG }

// drawSource is c, or the PCG of an ownStream, whose draws are its PCG's:
// a sim.Sampler calls a *sim.PCG directly.
func drawSource(c sim.Chooser) sim.Chooser {
	if o, ok := c.(*ownStream); ok {
		return &o.PCG
	}
	return c
}

// emptied returns s with no elements and its whole array zeroed, so that
// a list a Runner reuses keeps none of the previous run's objects alive,
// even past its length.
func emptied[T any](s []T) []T {
	s = s[:cap(s)]
	clear(s)
	return s[:0]
}

// truncated returns s with no elements, its array zeroed up to its
// length: emptied for a list whose array is kept zero past its length (as
// growTo, which reslices into it, needs). An empty list's array is not
// touched at all: a connection's lists are empty at the end of a run
// that closed it, and clearing their whole arrays at the next set-up
// touched each array once more (Scale/clients=1k: 0.4 % of its misses
// beyond L2, 0.75 % of its instructions).
func truncated[T any](s []T) []T {
	clear(s)
	return s[:0]
}

// actionSources holds actionSource's strings for the first actions, made
// once: building them for every run was 7 % of a generated scenario's
// set-up allocations. It is never modified.
var actionSources = func() []string {
	s := make([]string, 64)
	for i := range s {
		s[i] = formatActionSource(i)
	}
	return s
}()

// actionSource returns "actions[i]", the Source of calls made by action i.
func actionSource(i int) string {
	if i < len(actionSources) {
		return actionSources[i]
	}
	return formatActionSource(i)
}

// actionSource is actionSource from the Runner's table, which keeps the
// strings past actionSources that its earlier runs made: a thousand
// actions (Scale/clients=1k's drains and publishes) made two allocations
// apiece every run.
func (w *World) actionSource(i int) string {
	r := w.pool
	for len(r.sources) <= i {
		r.sources = append(r.sources, actionSource(len(r.sources)))
	}
	return r.sources[i]
}

func formatActionSource(i int) string { return "actions[" + strconv.Itoa(i) + "]" }

// presizeCap bounds presize's estimate: counts come from the user and may
// be near 2^63, and past a million messages growing costs little more.
const presizeCap = 1 << 20

// presize reserves ledger space for the messages the actions will publish
// and the deliveries they will make, so that large backlogs do not pay for
// repeated growth. Deliveries are estimated per subscription, from the
// messages published on subjects it matches: sizing them as messages times
// subscriptions made a run of 1,000 subscriptions on subjects of their own
// allocate 112 MB, and clear it, for 1,000 messages. The estimates are
// summed with saturation at presizeCap: a count near 2^63 must neither
// overflow the sum nor size an allocation. The counts per subject are not:
// each adds at most presizeCap, so that they stay below 2^63 for any
// number of actions a scenario can hold, and each is added with one map
// access (countPublished); expected saturates what it reads. No list is
// sized beyond the record budget, which stops the run before it would
// hold more.
//
// It reports whether any action waits for an event (triggered): its pass
// over the actions reads the line that says so anyway, and a pass of its
// own (and newTriggers' for a run without triggers) was two more over
// every action (Scale/clients=1k: two thousand).
func (w *World) presize() (triggered bool) {
	// calls: a call record for every request and reply and every other
	// action, and for every publish of an action that publishes Interval
	// apart; a burst's publishes (no Interval) share one (World.callAt).
	msgs, requests, calls, naming := 0, 0, 0, 0
	// Each action's and subscription's entry is written at its index in
	// lists sized once: appending wrote each list's length back to the
	// World every time, and the sums are kept in registers, not taken by
	// address (Scale/subs=1k's thousand subscriptions and actions).
	actSubject := resized(w.actSubject, len(w.sc.Actions))
	for i := range w.sc.Actions {
		a := &w.sc.Actions[i]
		k := int32(0)
		triggered = triggered || a.After != nil
		switch {
		case a.Publish != nil:
			n := min(max(a.Publish.Count, 1), presizeCap)
			k = w.countPublished(a.Publish.Subject, n)
			msgs = satAdd(msgs, n)
			if a.Publish.Interval > 0 {
				calls = satAdd(calls, n)
			} else {
				calls = satAdd(calls, 1)
			}
		case a.Request != nil:
			n := min(max(a.Request.Count, 1), presizeCap)
			k = w.countPublished(a.Request.Subject, n)
			msgs = satAdd(msgs, 2*n)
			requests = satAdd(requests, n)
			calls = satAdd(calls, 2*n+1)
		default:
			calls = satAdd(calls, 1)
			if namesSub(a) {
				naming++
			}
		}
		actSubject[i] = k
	}
	w.actSubject = actSubject
	w.trimPublished()
	budget := func(n int) int {
		if r := w.sc.Limits.MaxRecords; r > 0 && uint64(n) > r {
			return int(r)
		}
		return n
	}
	dlvs := requests // the replies, to the requesters' response subscriptions
	subExpect, subSubject := resized(w.subExpect, len(w.sc.Subs)), resized(w.subSubject, len(w.sc.Subs))
	for i := range w.sc.Subs {
		n, k := w.expectedSubject(w.sc.Subs[i].Subject)
		subExpect[i], subSubject[i] = n, k
		dlvs = satAdd(dlvs, n)
	}
	w.subExpect, w.subSubject = subExpect, subSubject
	w.msgEstimate = budget(msgs)
	w.handledBudget = budget(dlvs)
	w.ledger.Messages = w.pool.takeMessages(budget(msgs))
	w.ledger.Deliveries = w.pool.takeDeliveries(budget(dlvs))
	w.res.calls = w.pool.takeCalls(budget(calls))
	// What grows by an entry a client, subscription or action is sized
	// once too: at a thousand clients or subscriptions, growing these
	// lists and rehashing the string table was a tenth of the set-up.
	sc := w.sc
	w.conns = slices.Grow(w.conns, len(sc.Clients))
	w.subList = slices.Grow(w.subList, len(sc.Subs))
	w.actionRuns = slices.Grow(w.actionRuns, len(sc.Actions))
	w.res.Conns = slices.Grow(w.res.Conns, len(sc.Clients))
	w.res.Subs = slices.Grow(w.res.Subs, len(sc.Subs))
	// A client's name, a subscription's subject, an action's source, the
	// subscription an action names (a subscription's id is interned only
	// for the calls that name it), and the run's few verbs, results and
	// reasons: reserving an id for every subscription was 16 KB of the 48
	// KB a run of Scale/subs=1k reserved, and one for every action other
	// than a publish or request 16 KB of the 80 KB of Scale/clients=1k
	// (its thousand drains name a client). A run that interns more grows
	// the array as appending does.
	w.ledger.strs.reserve(len(sc.Clients) + len(sc.Subs) + len(sc.Actions) + naming + runWords)
	return triggered
}

// namesSub reports whether action a names a subscription, whose id its
// calls intern (presize).
func namesSub(a *scenario.Action) bool {
	return a.Subscribe != nil || a.Unsubscribe != nil || a.AutoUnsubscribe != nil ||
		a.DrainSub != nil || a.NextMsg != nil || a.Counters != nil
}

// satAdd is a + b saturated at presizeCap, for presize's sums.
func satAdd(a, b int) int { return min(a+b, presizeCap) }

// resized returns s with length n, in s's array when it has room: every
// entry is the caller's to write.
func resized[T any](s []T, n int) []T { return slices.Grow(s[:0], n)[:n] }

// runWords is how many strings presize reserves for the verbs, results
// and reasons a run interns beside its scenario's names ("publish", "ok",
// "drain", "run ended", ...).
const runWords = 16

// pubSubject is what a run knows of a subject s its actions publish on:
// how many messages they publish on it (presize), and its id once a
// subscription at set-up or a publish interned it (publishedID).
type pubSubject struct {
	s  string
	n  int
	id Str
}

// countPublished counts n messages published on subject and returns 1 +
// its index in subjects, adding it if it is new to the run.
//
// The map keeps the entries of the Runner's earlier runs (as the string
// table's does, strTable.ids): an entry is this run's when subjects holds
// its subject at its index (current), and an entry whose index is the
// next one is taken as it is. A run publishing on the subjects of the run
// before, in the same order (a Runner repeating a scenario, Scale/subs=1k's
// thousand subjects), so looks each up once, where emptying the map and
// inserting each again cost a lookup and an insert a subject. When the
// map holds more than staleMax entries for this run's subjects it is
// cleared (trimPublished).
//
// A subject that is the previous run's next one while this run follows
// that run's subjects (followsSubjects) is taken without the map, by one
// comparison with the entry its array still holds: the previous run's
// subjects were distinct and this run's are so far exactly the ones
// before it, so it is new to the run, and the map holds it at that index
// (heldSubjects). Scale/subs=1k's thousand subjects so take no hash and
// no map lookup each (with expectedSubject's, 3.6 % of its run). A
// subject already this run's, or published by no action of the previous
// run, goes through the map; a new one added there ends the following.
func (w *World) countPublished(subject string, n int) int32 {
	k := int32(len(w.subjects) + 1)
	if int(k) <= w.prevSubjects && w.followsSubjects {
		if ps := &w.subjects[:k][k-1]; equal(ps.s, subject) {
			ps.n, ps.id = n, 0
			w.subjects = w.subjects[:k]
			return k
		}
	}
	k = w.published[subject]
	if !w.current(subject, k) {
		if int(k) != len(w.subjects)+1 {
			k = int32(len(w.subjects) + 1)
			w.published[subject] = k
		}
		w.subjects = append(w.subjects, pubSubject{s: subject})
		w.followsSubjects = false
	}
	w.subjects[k-1].n += n
	return k
}

// current reports whether k, which published gives subject, is this
// run's: 1 + the index in subjects of subject.
func (w *World) current(subject string, k int32) bool {
	return k > 0 && int(k) <= len(w.subjects) && w.subjects[k-1].s == subject
}

// trimPublished clears published when earlier runs' subjects outnumber
// this run's by far (staleMax), so that a Runner going through check's
// generated scenarios does not keep every subject it saw.
func (w *World) trimPublished() {
	w.heldSubjects = len(w.subjects)
	if len(w.published) > staleMax(len(w.subjects)) {
		clear(w.published)
		w.heldSubjects = 0
	}
}

// expected estimates how many messages the actions publish on subjects
// that the subscription subject pattern matches, for presizing.
func (w *World) expected(pattern string) int {
	n, _ := w.expectedSubject(pattern)
	return n
}

// expectedSubject is expected, and 1 + the index in subjects of pattern
// when it is a subject the actions publish on (0 otherwise).
//
// It tries the subject after the one it found last before the map: a
// scenario mostly lists its subscriptions in the order of the subjects
// its actions publish on (Scale/subs=1k's thousand), and subjects holds
// each subject once, so an entry that is pattern is its index.
func (w *World) expectedSubject(pattern string) (int, int32) {
	if !isWild(pattern) {
		k := w.foundSubject + 1
		if int(k) > len(w.subjects) || !equal(w.subjects[k-1].s, pattern) {
			if k = w.published[pattern]; !w.current(pattern, k) {
				return 0, 0
			}
		}
		w.foundSubject = k
		return min(w.subjects[k-1].n, presizeCap), k
	}
	n := 0
	for _, ps := range w.subjects { // a sum: the order does not matter
		if subjectMatches(pattern, ps.s) {
			n = min(n+ps.n, presizeCap)
		}
	}
	return n, 0
}

// publishedID is the id of subject, on which action i publishes: the id a
// subscription on it interned at set-up, or that this call or an earlier
// one interned. A thousand publish actions on a thousand subscriptions'
// subjects (Scale/subs=1k) looked each subject up in the string table's
// map, missing its recent strings: 5 % of the run.
func (w *World) publishedID(i int, subject string) Str {
	k := w.actSubject[i]
	if k == 0 {
		return w.ledger.Intern(subject)
	}
	ps := &w.subjects[k-1]
	if ps.id == 0 {
		ps.id = w.ledger.Intern(subject)
	}
	return ps.id
}

// connNamed is the connection of the client named name: the last one it
// found, or the client listed after that one (the first client before
// any), when name is theirs, else through clientIndex. Subscriptions and
// actions mostly come grouped by client, in the clients' order: a lookup
// a subscription or a publish action was 1 % of Scale/subs=1k apiece,
// and a thousand clients' lookups in the string table's map 5 % of
// Scale/clients=1k (each a hash and three cold lines: the map's group,
// the table's entry, connOf). Client names are unique in a validated
// scenario, so a name found on a connection is its client's.
func (w *World) connNamed(name string) *Conn {
	next := 0
	if c := w.lastNamed; c != nil {
		if equal(c.name, name) {
			return c
		}
		next = c.idx + 1
	}
	var c *Conn
	if next < len(w.conns) && equal(w.conns[next].name, name) {
		c = w.conns[next]
	} else {
		c = w.conns[w.clientIndex(name)]
	}
	w.lastNamed = c
	return c
}

// clientIndex is the index in conns of the client named name, which
// newConn interned.
func (w *World) clientIndex(name string) int {
	id, _ := w.ledger.interned(name)
	i, ok := w.connByID(id)
	if !ok {
		panic("model: unknown client " + name + " in a validated scenario")
	}
	return i
}

// connByID is the index in conns of the client whose name is the
// interned string id, and whether there is one.
func (w *World) connByID(id Str) (int, bool) {
	if int(id) >= len(w.connOf) || w.connOf[id] == 0 {
		return 0, false
	}
	return int(w.connOf[id] - 1), true
}

// nameConn makes c, just set up and listed last in conns, the client its
// name's id names (connOf); a later client of the same name replaces it.
// connOf grows by appending zeros, so that no id this run has not filed
// keeps what an earlier run's array held there.
func (w *World) nameConn(c *Conn) {
	for int(c.nameID) >= len(w.connOf) {
		w.connOf = append(w.connOf, 0)
	}
	w.connOf[c.nameID] = int32(len(w.conns))
}

// expectedOn is how many messages a subscription on subject is expected
// to receive, for newSub: the response mux (mux) gets the replies.
func (w *World) expectedOn(subject string, mux bool) int {
	if mux {
		return w.msgEstimate
	}
	return w.expected(subject)
}

// newSub creates a client subscription and its record, reserving for the
// expect messages it is expected to receive (expectedOn).
func (w *World) newSub(c *Conn, spec *scenario.Subscription, subject string, mux bool, expect int) *Sub {
	c.nextSid++
	// Each subscription's list of handled messages is presized from the
	// handledBudget, so that a million messages need not grow one list
	// five times over, while a thousand queue members, each expecting every
	// message of their subject, do not reserve a thousand times too much.
	expect = min(expect, max(w.handledBudget, 4096))
	w.handledBudget = max(w.handledBudget-expect, 0)
	c.inReserve = min(c.inReserve+expect, presizeCap)
	// A subscription of the Runner's previous run is reset in place: its
	// closures (topFn, the serial callback's serviceFn, pollFn) reach it
	// through s and its connection through s.c, so they serve again
	// (subKept, which holds its handler-time sampler too, kept or made
	// below). reset writes only the pointer slots that change (Sub.reset).
	// A new one is zero already (reserve's array): zeroing it again wrote
	// its pointer slots through the write barrier while the collector
	// marked.
	//
	// A reused subscription keeps its pending queue's array, emptied; a
	// new one is sized for the messages the subscription expects, as its
	// handled list is. The Runner collected the queues apart from their
	// subscriptions and handed each, in the reverse order, to another one:
	// two pointer writes a subscription, each through the write barrier
	// while the collector marked.
	s, fresh := w.rc.subs.takeFresh()
	if s.subKept == nil { // a new subscription
		s.subKept = &subKept{topFn: s.top}
	}
	if !fresh {
		s.reset(c, spec, subject)
		s.pending = s.pending[:0]
	} else {
		s.c, s.spec, s.subject = c, spec, subject
		s.pending = make([]queued, 0, expect)
	}
	s.sid, s.mux = c.nextSid, mux
	s.inSubs, s.waiting, s.curLen = true, true, -1
	s.statusListening = spec != nil && spec.StatusEvents
	s.msgsLim, s.byteLim = c.opts.pendingMsgsLimit, c.opts.pendingBytesLimit
	s.runs, s.mut = runsFor(w.profile, spec), w.mut
	s.serial.clearRun()
	if n := s.next; n != nil {
		n.waiters, n.woken = emptied(n.waiters), emptied(n.woken)
		n.waits.rewind()
	}
	var cb *callback // a concurrent subscription's are made per message
	if !c.w.profile.Concurrent {
		s.serial.bind(s)
		cb = &s.serial
	}
	put(&s.cb, cb)
	var handlerRn sim.Chooser // the response mux draws no handler times
	rec, fresh := w.rc.subRecs.takeFresh()
	if !fresh {
		events := emptied(rec.StatusEvents) // its memory serves again
		*rec = SubRecord{}
		rec.StatusEvents = events
	}
	rec.index, rec.Client, rec.Subject, rec.Mux, rec.Sid = int32(len(w.res.Subs)), c.nameID, w.ledger.Intern(subject), mux, int(s.sid)
	rec.SubscribedAt, rec.UnsubReturnedAt, rec.DrainCalledAt, rec.UnsubProcessedAt = w.sim.Now(), NoTime, NoTime, NoTime
	rec.BarrierAt, rec.RemovedAt, rec.ClosedHandlerAt, rec.DrainDoneAt = NoTime, NoTime, NoTime, NoTime
	rec.handed, rec.ledger = w.pool.takeHandled(expect, &w.handledLists, expect+w.handledBudget), w.ledger
	if mux {
		rec.ID = c.name + ".respmux"
	} else {
		// Most subscriptions are in no queue group: the record's Queue is
		// zero already, and the subscription's queue "" (Sub.reset), so
		// neither Intern's call nor a string write (through the write
		// barrier while the collector marks) is needed for them.
		rec.ID, rec.Type = spec.ID, spec.Type
		if spec.Queue != "" {
			rec.Queue = w.ledger.Intern(spec.Queue)
		}
		putString(&s.queue, spec.Queue)
		s.sync, s.ch = spec.Type != scenario.Async, spec.Type == scenario.Chan
		s.chanLen = w.profile.SyncChanLen
		if s.ch {
			s.chanLen, s.msgsLim, s.byteLim = spec.ChanLen, 0, 0
		}
		if spec.PendingMsgsLimit != nil {
			s.msgsLim = *spec.PendingMsgsLimit
		}
		if spec.PendingBytesLimit != nil {
			s.byteLim = *spec.PendingBytesLimit
		}
		handlerRn = s.restreamHandler(w.rngHandler, spec.ID)
		d, src := spec.Handler.Duration, drawSource(handlerRn)
		if p, ok := src.(*sim.PCG); !ok || p != s.handlerPCG || d != s.handlerDist || s.handlerTime == nil {
			if s.handlerTime == nil {
				s.handlerTime = new(sim.Sampler)
			}
			*s.handlerTime, s.handlerDist, s.handlerPCG = sim.NewSampler(d, src, "handler-duration"), d, p
		}
		if w.subs != nil {
			w.subs[spec.ID] = s
		}
	}
	putChooser(&s.handlerRn, handlerRn)
	s.msgsLim, s.byteLim = limitOrMax(s.msgsLim), limitOrMax(s.byteLim)
	s.ordinary = !s.sync && !mux && !s.concurrent() && s.runs != holdsLoop && !w.observed && !w.mut.Has(DuplicateDelivery)
	s.setPlainTurn()
	s.rec = rec
	w.res.Subs = append(w.res.Subs, rec)
	w.subList = append(w.subList, s)
	c.subs.add(s)
	extendTo(&c.bySid, int(s.sid)+1)
	c.bySid[s.sid] = s
	if w.tr != nil {
		w.trace(c.name, "subscribe", sim.Str("sub", rec.ID), sim.Str("subject", subject), sim.Int("sid", int64(s.sid)))
	}
	s.changeStatus(SubActive) // StatusChanged sends the current status first
	return s
}

// trace records an event when the run is traced. Per-message call sites
// check w.tr themselves so that untraced runs do not even build the fields,
// and so do those that run for every subscription or connection: building
// their fields read a record (s.rec.ID) the run does not otherwise touch
// there, or formatted a status, 5 % of Scale/subs=1k.
func (w *World) trace(actor, kind string, fields ...sim.Field) {
	if w.tr != nil {
		w.tr.Add(w.sim.Now(), actor, kind, fields...)
	}
}

func (w *World) getFrames() []frame {
	if n := len(w.frames); n > 0 {
		f := w.frames[n-1]
		w.frames = w.frames[:n-1]
		return f
	}
	return make([]frame, 0, 16)
}

// growIn makes room in out, the server's full outbound FIFO to c: at
// least double, and at most what c's subscriptions are still expected to
// receive, so that a backlog routed in one read (1,000 messages to three
// subscriptions) grows the FIFO once instead of eight times. What it
// reserves comes off c.inReserve, so that buffers in flight at once
// reserve no more in all than the deliveries presize counted.
func (c *Conn) growIn(out []frame) []frame {
	extra := min(c.inReserve, presizeCap)
	c.inReserve -= extra
	return slices.Grow(out, max(extra, cap(out), 16))
}

// putFrames takes back a buffer whose frames were read, for getFrames to
// hand out again. It is not cleared: frames hold no pointers
// (TestFramesPointerFree), so what a reused buffer still holds past its
// length keeps nothing alive, and nothing reads it before an append
// overwrites it. Clearing a backlog's buffer after its one read wrote
// 20 bytes a message once more, into memory long out of cache.
func (w *World) putFrames(f []frame) {
	if cap(f) == 0 {
		return
	}
	w.frames = append(w.frames, f[:0])
}

func (w *World) lostInFlight(id int, reason string) {
	m := w.ledger.Message(id)
	if m.Fate == MsgInTransit {
		w.ledger.settle(m, MsgLostInFlight)
		m.LostReason = w.ledger.Intern(reason)
	}
}

// call records (and traces) one API call returning now: source made it as
// verb on client (and sub, "" for none) at at, it returned err ("" for
// success) and published or received msg (0 for none). It returns the
// record, valid until the next call.
func (w *World) call(source, verb, client, sub string, at sim.Time, err string, msg int) *CallRecord {
	cs := newCallSite(w.ledger, source, verb, client, sub)
	w.callAt(&cs, at, err, msg, nil)
	// callAt schedules what waits for the call's return (triggers.fire),
	// never runs it, so the record is still the last one, and a new
	// site's record holds no other call.
	return &w.res.calls[len(w.res.calls)-1]
}

// callSite is who makes an API call, its strings interned in the run's
// ledger: the source, the verb, the client and the subscription (0 for
// none). A publish action makes one on its first call in a run (pubSite),
// so that its thousand calls do not intern the same four strings again.
type callSite struct {
	source, verb, client, sub Str
}

// newCallSite interns source, verb, client and sub in l, in the order
// call has always interned them, which gives the run's strings their ids.
func newCallSite(l *Ledger, source, verb, client, sub string) callSite {
	return callSite{source: l.Intern(source), verb: l.Intern(verb), client: l.Intern(client), sub: l.Intern(sub)}
}

// connSite is newCallSite for a call on connection c: the client's id is
// c.nameID, which interning c's name gives (newConn interned it), without
// the lookup, which with a thousand clients missed the ledger's recent
// strings and hashed the name in the map (Scale/clients=1k).
func connSite(l *Ledger, source, verb string, c *Conn, sub string) callSite {
	return callSite{source: l.Intern(source), verb: l.Intern(verb), client: c.nameID, sub: l.Intern(sub)}
}

// publishSite is connSite for publish action source's call on c: verb
// "publish", interned once a run (publishVerb, after the first action's
// source, where connSite interns it), and no subscription (sub "", whose
// id is 0). A thousand publish actions (Scale/subs=1k, clients=1k) each
// interned both (~55 instructions with connSite's own).
// TestPublishSiteIsConnSite compares it with connSite.
func (w *World) publishSite(source string, c *Conn) callSite {
	cs := callSite{source: w.ledger.Intern(source), client: c.nameID}
	if w.publishVerb == 0 {
		w.publishVerb = w.ledger.Intern("publish")
	}
	cs.verb = w.publishVerb
	return cs
}

// callAt is call made at the call site cs. last, when not nil, is 1 + the
// index in Result.calls of the record of the site's last call (0 before
// its first), which a publish action keeps (pubSite): when that record is
// the last, the call may join it (Result.join) instead of making its own.
// It returns nothing: a publish, its hot caller, does not need the
// record, which call finds as the last.
func (w *World) callAt(cs *callSite, at sim.Time, err string, msg int, last *int32) {
	w.sim.Record()
	r, now, result := w.res, w.sim.Now(), w.resultID(err)
	r.numCalls++
	if last == nil || *last == 0 || int(*last) != len(r.calls) || !r.join(at, now, result, msg) {
		// Zeroed and written in place, as Ledger.newMessage writes a message.
		r.calls = append(r.calls, CallRecord{})
		c := &r.calls[len(r.calls)-1]
		c.At, c.ReturnedAt, c.Msg = at, now, msg
		c.Source, c.Verb, c.Client, c.Sub, c.Result = cs.source, cs.verb, cs.client, cs.sub, result
		if last != nil {
			*last = int32(len(r.calls))
		}
	}
	if w.tr != nil {
		w.traceCall(cs, err, msg)
	}
	if w.trig != nil {
		// After the trace: an action waiting for this call's return is
		// scheduled (triggers.fire), never run here, so the call's record
		// stays the last (call returns it).
		w.trig.returned(w.ledger.Str(cs.source))
	}
}

// traceCall traces a call as callAt records it. It is a function of its
// own so that callAt, made for every publish, does not reserve the stack
// and registers a trace needs.
func (w *World) traceCall(cs *callSite, err string, msg int) {
	l := w.ledger
	// Room for all five fields, so that the list stays on the stack: with
	// four, a call with a subscription and a message grew it on the heap,
	// a sixth of the bytes `drainsim check` allocated (its determinism
	// reruns are traced).
	fs := make([]sim.Field, 0, 5)
	fs = append(fs, sim.Str("source", l.Str(cs.source)))
	if cs.sub != 0 {
		fs = append(fs, sim.Str("sub", l.Str(cs.sub)))
	}
	if msg != 0 {
		fs = append(fs, sim.Int("msg", int64(msg)), sim.Str("subject", l.Str(l.Message(msg).Subject)))
	}
	fs = append(fs, sim.Str("result", result(err)))
	actor := l.Str(cs.client)
	if actor == "" {
		actor = "scenario"
	}
	w.trace(actor, l.Str(cs.verb), fs...)
}

// resultID is the interned Result of a call that returned err: most
// calls succeed, so the success's id is kept once the first has interned
// it (where call always interned it, so the run's ids are unchanged).
// The kept id is its only test, small enough to be inlined into callAt.
func (w *World) resultID(err string) Str {
	if err == "" && w.okID != 0 {
		return w.okID
	}
	return w.internResult(err)
}

// internResult is resultID interning err, or OK on the first success.
func (w *World) internResult(err string) Str {
	if err != "" {
		return w.ledger.Intern(err)
	}
	w.okID = w.ledger.Intern(OK)
	return w.okID
}

func result(err string) string {
	if err == "" {
		return OK
	}
	return err
}

// reachable reports whether client c can open a connection to srv now: a
// server in lame-duck mode accepts none.
func (w *World) reachable(c *Conn, srv *Server) bool {
	return srv.up && (srv.cl == nil || !srv.cl.lameDuck) && w.sim.Now() >= w.netDown[c.idx]
}

// connect opens a new TCP connection from c to srv and starts the
// handshake.
func (w *World) connect(c *Conn, srv *Server) {
	if c.toServer.closing && c.toServer.busy() {
		// The stale connection's end has not reached the server yet: it
		// goes with the link's leftovers (fresh).
		if srv := w.serverOf(c); srv.conns[c.idx] != nil {
			srv.closeConn(srv.conns[c.idx], false)
		}
	}
	w.moveTo(c, srv)
	c.toServer.fresh()
	c.fromServer.fresh()
	c.toServer.down, c.fromServer.down = false, false
	srv.accept(c)
	f := w.getFrames()
	c.toServer.send(append(f, frame{op: opConnect}), false)
}

// disconnect breaks c's connection: what is in flight either way is lost,
// the server discards its FIFO, both sides see the break at once, and the
// network stays down for d.
func (w *World) disconnect(c *Conn, d time.Duration) {
	w.netDown[c.idx] = w.sim.Now().Add(d)
	w.trace(c.name, "fault.disconnect", sim.Dur("for", d))
	c.toServer.cut()
	c.fromServer.cut()
	if srv := w.serverOf(c); srv.conns[c.idx] != nil {
		srv.closeConn(srv.conns[c.idx], false)
	}
	c.processOpErr(ErrEOF)
}

// restartServer shuts the server down (each connection's queued data is
// still written, then the connection closes) and starts it again after d
// with no state.
func (w *World) restartServer(d time.Duration) {
	s := w.server
	w.trace("server", "fault.restart", sim.Dur("for", d))
	s.up = false
	for _, sc := range s.conns {
		if sc != nil {
			s.closeConn(sc, true)
		}
	}
	w.sim.After(d, func() {
		s.up = true
		w.trace("server", "server.up")
	})
}

// actionCalls returns the event that makes action i's calls, an event of
// its client's loop under an event-loop profile (actionRun.event). An
// action with a count makes them from one self-rescheduling event: all at
// once when the interval is zero, until the record budget stops the run.
// The event is an actionRun of the Runner's previous run when there is one.
func (w *World) actionCalls(i int) func() {
	a := &w.sc.Actions[i]
	count, interval := 1, time.Duration(0)
	switch {
	case a.Publish != nil:
		count, interval = a.Publish.Count, a.Publish.Interval
	case a.Request != nil:
		count, interval = a.Request.Count, a.Request.Interval
	}
	ar := w.rc.actions.take()
	if ar.fn == nil { // a new action event
		ar.fn = ar.fire
	}
	ar.reset(w, i, max(count, 1), interval, w.actionLoop(a))
	w.actionRuns = append(w.actionRuns, ar)
	return ar.event()
}

// reset readies ar, an action event of the Runner's previous run or a new
// one, for action i of w's run: every field zero but those given and the
// kept fire and fireOnLoop (fn, onLoopFn). A pointer slot is written only
// where it changes, as Sub.reset writes a subscription's: zeroing the
// whole actionRun (and writing back the same world, events and loop) put
// its four pointer slots through the write barrier twice while the
// collector marked, an action each (Scale/subs=1k: a thousand a run, a
// tenth of its barrier's entries). Field by field too, not a composite
// literal, which is built on the stack and copied (store-forwarding
// stalls: see Conn.clear). The site is zeroed in a statement of its own:
// in the tuple assignment it was zeroed on the stack in overlapping 16-byte
// stores and copied, one of whose loads spans two of them, another stall.
// TestActionRunResetClearsEveryField catches a field added to actionRun
// and not reset here.
func (ar *actionRun) reset(w *World, i, count int, interval time.Duration, loop *Conn) {
	put(&ar.w, w)
	put(&ar.loop, loop)
	ar.i, ar.k, ar.count, ar.interval = i, 0, count, interval
	ar.site = pubSite{}
}

// actionRun is the state of one action's calls: k of count made, one
// every interval. It is a struct with its fire method value made once,
// not a closure, so that a Runner resets it for its next run (three
// allocations an action).
type actionRun struct {
	w           *World
	i, k, count int
	interval    time.Duration
	fn          func()  // fire
	site        pubSite // a publish action's, prepared by its first call
	// loop is the connection whose event loop runs the action's calls
	// (actionLoop), nil when they need none; onLoopFn is fireOnLoop,
	// bound once on first use (event) and kept as fn is: wrapping fn with
	// Conn.onLoop for every event was a twelfth of the bytes a check
	// scenario allocated. Made with fn, it lay between the actions' fn
	// objects, which a thousand clients' actions load cold, two to a
	// cache line instead of four (bindConns).
	loop     *Conn
	onLoopFn func()
}

// event is what makes the action's next calls: fire, as an event of its
// client's loop where it has one.
func (ar *actionRun) event() func() {
	if ar.loop == nil {
		return ar.fn
	}
	if ar.onLoopFn == nil {
		ar.onLoopFn = ar.fireOnLoop
	}
	return ar.onLoopFn
}

// fireOnLoop fires the action as an event of its client's loop
// (Conn.runOnLoop).
func (ar *actionRun) fireOnLoop() { ar.loop.runOnLoop(ar.fn) }

// fire makes the action's next calls.
func (ar *actionRun) fire() {
	w, a := ar.w, &ar.w.sc.Actions[ar.i]
	var c *Conn // a publish action's client, looked up once per event
	if a.Publish != nil {
		c = w.connNamed(a.Publish.Client)
		if ar.k == 0 && ar.interval == 0 {
			// The burst's PUBs all go to the outbound buffer before it
			// is flushed: one allocation instead of growing it step by
			// step (five times a million frames for a million messages).
			c.out = slices.Grow(c.outBuf(), min(ar.count, presizeCap))
		}
	}
	for ar.k < ar.count && !w.sim.Stopping() {
		made := 1
		switch {
		case c == nil:
			w.act(ar.i)
		case ar.interval > 0:
			w.publishAction(c, ar.i, &ar.site)
		default:
			if f := w.burstFold(c, &ar.site); f >= 0 {
				made = w.publishBurst(c, &ar.site, f, ar.count-ar.k)
			} else {
				w.publishAction(c, ar.i, &ar.site)
			}
		}
		ar.k += made
		if ar.interval > 0 {
			break
		}
	}
	if ar.k < ar.count && !w.sim.Stopping() {
		w.sim.After(ar.interval, ar.event())
	}
}

// actionLoop is the connection whose event loop runs action a's calls:
// its client's under an event-loop profile (Profile.EventLoop), nil
// under any other or for an action of no client.
func (w *World) actionLoop(a *scenario.Action) *Conn {
	if !w.profile.EventLoop {
		return nil
	}
	client := ""
	switch {
	case a.Publish != nil:
		client = a.Publish.Client
	case a.Request != nil:
		client = a.Request.Client
	case a.Flush != nil:
		client = a.Flush.Client
	case a.Drain != nil:
		client = a.Drain.Client
	case a.Close != nil:
		client = a.Close.Client
	case a.Subscribe != nil:
		client = w.sc.Sub(a.Subscribe.Sub).Client
	case a.Unsubscribe != nil:
		client = w.sc.Sub(a.Unsubscribe.Sub).Client
	case a.AutoUnsubscribe != nil:
		client = w.sc.Sub(a.AutoUnsubscribe.Sub).Client
	case a.DrainSub != nil:
		client = w.sc.Sub(a.DrainSub.Sub).Client
	case a.NextMsg != nil:
		client = w.sc.Sub(a.NextMsg.Sub).Client
	case a.Counters != nil:
		client = w.sc.Sub(a.Counters.Sub).Client
	default:
		return nil
	}
	return w.connNamed(client)
}

// pubSite is a publish action's message and call site, made on the
// action's first call in a run and reused by its later calls.
type pubSite struct {
	msg  pubMsg
	call callSite
	// lastCall is 1 + the index in Result.calls of the record of the
	// action's last call, 0 before its first (World.callAt).
	lastCall int32
	ready    bool
}

// publishAction performs one call of publish action i on its client c: the
// hot path of a backlog, without act's closures or a client lookup. site
// holds what its earlier calls in this run prepared; the first call
// prepares it, interning the action's strings where a publish and its
// call record first intern them (the message's before the publish, the
// call site's after it), so that the run's ids are what they would be
// without it.
func (w *World) publishAction(c *Conn, i int, site *pubSite) {
	p := w.sc.Actions[i].Publish
	now := w.sim.Now()
	if !site.ready {
		site.msg = makePubMsg(w.ledger, w.publishedID(i, p.Subject), p.Subject, p.Reply, p.Size, p.Headers)
	}
	err, id := c.publishMsg(&site.msg, true)
	if !site.ready {
		site.call, site.lastCall = w.publishSite(w.actionSource(i), c), 0
		site.ready = true
	}
	w.callAt(&site.call, now, err, id, &site.lastCall)
}

// burstFold is where the rest of a publish burst (an action with a count
// and no interval) on client c may be made as publishBurst makes it: the
// index in Result.folds of the fold that its site's last call joined,
// when the next call would join it too, the publish would be accepted and
// written as that one was, and nothing observes the calls one by one (no
// trace, no triggers); else -1, and the call is publishAction's. Within
// the burst's event nothing else runs, so what held for one call holds
// for the rest: the connection's state, the message, the time, the
// result. The one exception is a reconnecting connection, whose buffered
// bytes grow with each publish to its limit (pubRefusal), so it takes the
// general path.
func (w *World) burstFold(c *Conn, site *pubSite) int {
	if !site.ready || w.tr != nil || w.trig != nil || w.okID == 0 || !c.kicked || c.isReconnecting() ||
		int(site.lastCall) != len(w.res.calls) || c.pubRefusal(&site.msg, true) != "" {
		return -1
	}
	now := w.sim.Now()
	return w.res.foldJoining(now, now, w.okID, len(w.ledger.Messages)+1)
}

// publishBurst makes up to n calls of a publish burst on client c, as
// publishAction would (burstFold found that it may), in one pass: for
// each its message, its PUB frame and the count of its call in fold f of
// the site's record, both records counted against the record budget. It
// stops early when the budget stops the run, as actionRun.fire's loop
// does, and returns the calls made. The standard scenario's thousand
// publishes took ~325 instructions each through publishAction, most of it
// tests that the first call of the burst settled for all.
func (w *World) publishBurst(c *Conn, site *pubSite, f, n int) int {
	l, pm, now := w.ledger, &site.msg, w.sim.Now()
	made := 0
	if reserves(n) {
		// A backlog's messages are reserved (Ledger.reserve), in a loop
		// of its own: a test of which a message cost the standard
		// scenario's publishes 3 instructions each.
		l.beginRun(&Message{From: c.nameID, Subject: pm.subject, Reply: pm.reply, Size: pm.size, Headers: pm.hdr,
			PublishedAt: now, AcceptedAt: NoTime})
		for made < n {
			made++
			if w.burstCall(c, l.reserve()) {
				break
			}
		}
		l.endRun()
	} else {
		for made < n {
			m := l.newMessage(c.nameID, pm.subject, now)
			m.Reply, m.Size, m.Headers = pm.reply, pm.size, pm.hdr
			made++
			if w.burstCall(c, m.ID) {
				break
			}
		}
	}
	w.res.numCalls += made
	w.res.folds[f].more += made
	return made
}

// act performs one call of action i, any but a publish (publishAction).
func (w *World) act(i int) {
	a := &w.sc.Actions[i]
	src := w.actionSource(i)
	now := w.sim.Now()
	call := actCall{w: w, src: src, verb: a.Kind(), now: now}
	switch {
	case a.Request != nil:
		r := a.Request
		w.connNamed(r.Client).Request(r.Subject, r.Size, r.Timeout, w.newPendingCall(call, r.Client, "").returnedMsgFn)
	case a.Flush != nil:
		f := a.Flush
		w.connNamed(f.Client).Flush(f.Timeout, w.newPendingCall(call, f.Client, "").returnedFn)
	case a.Subscribe != nil:
		spec := w.sc.Sub(a.Subscribe.Sub)
		call.rec(spec.Client, spec.ID, w.subscribeDeferred(w.connNamed(spec.Client), spec), 0)
	case a.Unsubscribe != nil:
		s, client, err := w.subOrErr(a.Unsubscribe.Sub)
		if s != nil {
			err = s.Unsubscribe()
		}
		call.rec(client, a.Unsubscribe.Sub, err, 0)
	case a.AutoUnsubscribe != nil:
		s, client, err := w.subOrErr(a.AutoUnsubscribe.Sub)
		if s != nil {
			err = s.AutoUnsubscribe(a.AutoUnsubscribe.Max)
		}
		call.rec(client, a.AutoUnsubscribe.Sub, err, 0)
	case a.DrainSub != nil:
		s, client, err := w.subOrErr(a.DrainSub.Sub)
		if s == nil {
			call.rec(client, a.DrainSub.Sub, err, 0)
			break
		}
		s.DrainCall(s.c.drainTimeoutFor(a.DrainSub), w.newPendingCall(call, client, a.DrainSub.Sub).returnedFn)
	case a.Drain != nil:
		// DrainCall but for its closure, made only for a call that waits.
		c := w.connNamed(a.Drain.Client)
		call.conn = c
		if err, waits := c.drainCall(); waits {
			c.rarely().drainCallDone = w.newPendingCall(call, a.Drain.Client, "").returnedFn
		} else {
			call.rec(a.Drain.Client, "", err, 0)
		}
	case a.Close != nil:
		w.connNamed(a.Close.Client).Close()
		call.rec(a.Close.Client, "", "", 0)
	case a.NextMsg != nil:
		w.nextMsgCalls(src, a.NextMsg)
	case a.Counters != nil:
		s, client, err := w.subOrErr(a.Counters.Sub)
		var n *Counters
		if s != nil {
			n, err = s.Counters()
		}
		rec := w.call(src, "counters", client, a.Counters.Sub, now, err, 0)
		if n != nil {
			w.res.counters = append(w.res.counters, *n)
			rec.counters = int32(len(w.res.counters))
		}
	case a.Disconnect != nil:
		w.disconnect(w.connNamed(a.Disconnect.Client), a.Disconnect.For)
		call.rec(a.Disconnect.Client, "", "", 0)
	case a.Stall != nil:
		w.stall(w.connNamed(a.Stall.Client), a.Stall.For)
		call.rec(a.Stall.Client, "", "", 0)
	case a.RestartServer != nil:
		if w.cl != nil {
			w.restartInCluster(a.RestartServer)
		} else {
			w.restartServer(a.RestartServer.For)
		}
		call.rec("", "", "", 0)
	case a.LameDuck != nil:
		w.lameDuck(a.LameDuck)
		call.rec("", "", "", 0)
	case a.CutLink != nil:
		w.cutLink(a.CutLink)
		call.rec("", "", "", 0)
	}
}

// actCall records a call of one action made at now (World.call), when
// act returns or, for an asynchronous call, when its callback runs. It is
// a value, which those callbacks copy: a closure capturing act's
// variables was one more allocation for every action's call (a thousand
// clients' drains, Scale/clients=1k).
type actCall struct {
	w         *World
	src, verb string
	now       sim.Time
	// conn is the client's connection, when the action has one and act
	// set it: the call site takes the client's id from it (connSite).
	conn *Conn
}

func (c actCall) rec(client, sub, err string, msg int) {
	if c.conn == nil {
		c.w.call(c.src, c.verb, client, sub, c.now, err, msg)
		return
	}
	cs := connSite(c.w.ledger, c.src, c.verb, c.conn, sub)
	c.w.callAt(&cs, c.now, err, msg, nil)
}

// pendingCall is an action's call that returns later (a request, a
// flush, a drain): its actCall and who made it, with the callbacks that
// record its return bound once per value. A Runner reuses its
// pendingCalls from run to run (recyclers.pendingCalls), where a closure
// for each such call was a tenth of the bytes a check scenario
// allocated; a pendingCall stays its run's until the run ends.
type pendingCall struct {
	call          actCall
	client, sub   string
	returnedFn    func(err string)          // returned
	returnedMsgFn func(err string, msg int) // returnedMsg
}

// newPendingCall gives a pendingCall of client (and subscription sub)
// whose return call records.
func (w *World) newPendingCall(call actCall, client, sub string) *pendingCall {
	pc := w.rc.pendingCalls.take()
	if pc.returnedFn == nil {
		pc.returnedFn, pc.returnedMsgFn = pc.returned, pc.returnedMsg
	}
	// Written field by field: a composite literal assigned to *pc is built
	// on the stack and copied (store-forwarding stalls: see Conn.clear).
	pc.call, pc.client, pc.sub = call, client, sub
	return pc
}

// returned records the call's return with err.
func (pc *pendingCall) returned(err string) { pc.returnedMsg(err, 0) }

// returnedMsg records the call's return with err and message msg (a
// request's).
func (pc *pendingCall) returnedMsg(err string, msg int) { pc.call.rec(pc.client, pc.sub, err, msg) }

// subByID returns the subscription with scenario id, nil if it has not
// subscribed. Its index (w.subs) is made here, from every subscription
// made so far, rather than by newSub: most runs never look one up, and a
// map insert for each of a thousand subscriptions was 2 % of
// Scale/subs=1k. newSub adds to it once it exists.
func (w *World) subByID(id string) *Sub {
	if w.subs == nil {
		w.subs = reuse(w.spareSubs, len(w.subList))
		w.spareSubs = nil
		for _, s := range w.subList {
			if !s.mux {
				w.subs[s.spec.ID] = s
			}
		}
	}
	return w.subs[id]
}

// subOrErr returns the subscription with id if it has been subscribed; a
// deferred one that never was behaves like a nil *Subscription.
func (w *World) subOrErr(id string) (*Sub, string, string) {
	spec := w.sc.Sub(id)
	if s := w.subByID(id); s != nil {
		return s, spec.Client, ""
	}
	return nil, spec.Client, ErrBadSubscription
}

func (w *World) subscribeDeferred(c *Conn, spec *scenario.Subscription) string {
	if w.subByID(spec.ID) != nil {
		return ErrAlreadySubscribed
	}
	s, err := c.subscribe(spec, spec.Subject, false)
	if err != "" {
		return err
	}
	if spec.Max > 0 {
		s.AutoUnsubscribe(spec.Max)
	}
	return ""
}

// nextMsgCalls makes a next_msg action's calls; a call that returns is
// followed at once by the next. Calls that return at once are made in a
// loop, not by recursion (a count of 10^9 calls that each fail at once
// must not grow the stack), until the record budget stops the run; a call
// that waits continues the loop when it returns.
func (w *World) nextMsgCalls(src string, a *scenario.NextMsg) {
	c := w.rc.nextMsgCalls.take()
	if c.doneFn == nil {
		c.doneFn = c.done
	}
	*c = nextMsgCall{w: w, src: src, a: a, client: w.sc.Sub(a.Sub).Client, doneFn: c.doneFn}
	c.from(0)
}

// nextMsgCall is a next_msg action's loop of calls: the call it is making
// (the k-th, made at at) and whether it returned or waited. One record
// serves all the action's calls, as a call is answered once and the next
// is made only then: a next_msg action makes up to 50 calls in a
// generated scenario, and a closure per call (with the two flags it
// shared with the loop) cost three allocations each, the largest source
// of a `drainsim check` scenario's. A Runner reuses its nextMsgCalls
// from run to run (recyclers.nextMsgCalls), done bound once.
type nextMsgCall struct {
	w        *World
	src      string
	a        *scenario.NextMsg
	client   string
	doneFn   func(err string, msg int) // done, made once for every call
	at       sim.Time
	k        int
	returned bool // done was called for the k-th call
	waited   bool // the k-th call did not return at once: done continues the loop
}

// from makes the calls from the k-th on, until one waits.
func (c *nextMsgCall) from(k int) {
	w := c.w
	for ; k < c.a.Count && !w.sim.Stopping(); k++ {
		c.at, c.k, c.returned, c.waited = w.sim.Now(), k, false, false
		if s, _, err := w.subOrErr(c.a.Sub); s == nil {
			c.doneFn(err, 0)
		} else {
			s.NextMsg(c.a.Timeout, c.doneFn)
		}
		if !c.returned {
			c.waited = true
			return
		}
	}
}

// done records the k-th call's return and, when it had waited, makes the
// next calls.
func (c *nextMsgCall) done(err string, msg int) {
	c.w.call(c.src, "next_msg", c.client, c.a.Sub, c.at, err, msg)
	c.returned = true
	if c.waited {
		c.from(c.k + 1)
	}
}

// burstCall adds the PUB frame of message id, published by a call of a
// burst (publishBurst), to c's writes and counts the call against the
// record budget, and reports whether the budget stops the run.
//
// The frame is a literal the compiler writes field by field into the
// buffer (frameRefs keeps it in registers): built on the stack and copied
// in 16-byte moves, it was a store-forwarding stall a publish
// (docs/performance-history.md, h37std and h38sf).
func (w *World) burstCall(c *Conn, id int) bool {
	c.out = append(c.out, frame{op: opPub, frameRefs: frameRefs{msg: int32(id)}})
	w.sim.Record() // the call's, joined to the fold
	return w.sim.Stopping()
}

// finish writes the records still reserved (reserve.go), gives every
// message and delivery still in transit its final fate, and the messages
// still queued their read time (Sub.endQueue). It passes
// over the records only when the ledger's counts say one is left: a run
// of a million messages that all were handled has none, and the pass
// read 150 MB of records long out of cache.
func (w *World) finish() {
	l := w.ledger
	now := w.sim.Now()
	l.writeAll()
	for _, s := range w.subList {
		s.endQueue(l)
	}
	// The loops range over copies of the slice headers: drop and the
	// message's update write through them to the same records, and the
	// loops, over every record of the run, test each record with no
	// reload of the header or bounds check.
	if l.pending > 0 {
		ds := l.Deliveries
		for i := range ds {
			if ds[i].Fate == DlvPending {
				l.drop(int32(i), now, DropRunEnded, false)
			}
		}
	}
	// The string is interned whether or not a message needs it, as it
	// always was: a run's string ids stay what they were.
	ended := l.Intern("run ended")
	if l.inTransit > 0 {
		ms := l.Messages
		for i := range ms {
			if ms[i].Fate == MsgInTransit {
				l.settle(&ms[i], MsgLostInFlight)
				ms[i].LostReason = ended
			}
		}
	}
}

// checkProfileAPI rejects scenario actions the profile's library does not
// offer, naming the action.
func checkProfileAPI(sc *scenario.Scenario, p *Profile) error {
	if !p.SyncSubAPI {
		for i := range sc.Subs {
			if sc.Subs[i].Type == scenario.Sync {
				return &scenario.Error{File: sc.File, Line: sc.Subs[i].Line, Field: "subscriptions[" + strconv.Itoa(i) + "].type",
					Msg: "profile " + p.Name + " (" + p.Library + ") has no sync subscriptions; give the subscription a handler (type: async)"}
			}
		}
	}
	if !strings.HasPrefix(p.Library, "nats.go") {
		if err := checkPingAPI(sc, p); err != nil {
			return err
		}
		if err := checkHeadersAPI(sc, p); err != nil {
			return err
		}
		for i := range sc.Subs {
			field, what := "", ""
			switch {
			case sc.Subs[i].Type == scenario.Chan:
				field, what = "type", "chan subscriptions (nats.go's ChanSubscribe); use type: sync or async"
			case sc.Subs[i].StatusEvents:
				field, what = "status_events", "subscription status events (nats.go's Subscription.StatusChanged); leave status_events out"
			default:
				continue
			}
			return &scenario.Error{File: sc.File, Line: sc.Subs[i].Line, Field: "subscriptions[" + strconv.Itoa(i) + "]." + field,
				Msg: "profile " + p.Name + " (" + p.Library + ") has no " + what}
		}
		for i := range sc.Actions {
			if sc.Actions[i].Counters != nil {
				return &scenario.Error{File: sc.File, Line: sc.Actions[i].Line, Field: "actions[" + strconv.Itoa(i) + "].counters",
					Msg: "profile " + p.Name + " (" + p.Library + ") has no counters action (nats.go's Subscription.Pending and Delivered)"}
			}
		}
	}
	if !p.Dispatchers {
		for i := range sc.Subs {
			if sc.Subs[i].Dispatcher != "" {
				return &scenario.Error{File: sc.File, Line: sc.Subs[i].DispatcherLine, Field: "subscriptions[" + strconv.Itoa(i) + "].dispatcher",
					Msg: "profile " + p.Name + " (" + p.Library + ") has no dispatchers that subscriptions share; leave dispatcher out"}
			}
		}
	}
	if p.SubDrainAPI {
		return nil
	}
	// The message is made only for a refusal, as checkHeadersAPI's is.
	refuse := func(line int, field string) error {
		return &scenario.Error{File: sc.File, Line: line, Field: field,
			Msg: "profile " + p.Name + " (" + p.Library + ") has no subscription drain; drain the connection instead"}
	}
	for i := range sc.Actions {
		if sc.Actions[i].DrainSub != nil {
			return refuse(sc.Actions[i].Line, "actions["+strconv.Itoa(i)+"].drain_sub")
		}
	}
	for i := range sc.Subs {
		for j, a := range sc.Subs[i].Handler.Actions {
			if a.DrainSub != nil {
				return refuse(a.Line, "subscriptions["+strconv.Itoa(i)+"].handler.actions["+strconv.Itoa(j)+"].drain_sub")
			}
		}
	}
	return nil
}
