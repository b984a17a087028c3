package model

import (
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
// the Result's ledger lists, call records, handled lists and trace; its
// Result, connection and subscription records themselves are new each run.
// The zero Runner is ready to use.
type Runner struct {
	sim        *sim.Sim
	messages   []Message
	deliveries []Delivery
	calls      []CallRecord
	handled    [][]Handled
	pending    [][]int32
	frames     [][]frame
	trace      *sim.Trace // the last traced run's, emptied for the next
	maps       worldMaps
	// recycled are earlier runs' connections (with their links),
	// subscriptions and action events, for the next run to reset;
	// streams the previous run's net, handler and client streams.
	recycled recyclers
	streams  [3]sim.Chooser
}

// recyclers are the objects of earlier runs that a run resets rather than
// allocates: newConn, newSub and actionCalls take from them.
type recyclers struct {
	conns   recycler[Conn]
	subs    recycler[Sub]
	actions recycler[actionRun]
}

// recycler holds objects of earlier runs for a run to reset (free), and
// the array the last run listed its own in (list), which the next run
// lists its own in: neither is reallocated from run to run. free holds at
// most the most objects one run made.
type recycler[T any] struct{ free, list []*T }

// take gives an object of an earlier run, or nil.
func (rc *recycler[T]) take() *T {
	n := len(rc.free)
	if n == 0 {
		return nil
	}
	x := rc.free[n-1]
	rc.free = rc.free[:n-1]
	return x
}

// reserve makes sure that the next n takes allocate nothing: what the
// earlier runs left is short of is made as one array. A run sets up every
// client, subscription and action before its first event, and making a
// thousand of each one by one was most of Scale/clients=1k's set-up.
func (rc *recycler[T]) reserve(n int) {
	short := n - len(rc.free)
	if short <= 0 {
		return
	}
	made := make([]T, short)
	rc.free = slices.Grow(rc.free, short)
	for i := range made {
		rc.free = append(rc.free, &made[short-1-i]) // take pops from the end
	}
}

// slab hands out the elements of one array made for a count known in
// advance, then single allocations once it is used up.
type slab[T any] []T

// next returns the next element, zeroed.
func (s *slab[T]) next() *T {
	if len(*s) == 0 {
		return new(T)
	}
	x := &(*s)[0]
	*s = (*s)[1:]
	return x
}

// emptyList gives a run the array to list the objects it makes in.
func (rc *recycler[T]) emptyList() []*T { return emptied(rc.list) }

// put hands a finished run's objects, listed in made, to the next run.
func (rc *recycler[T]) put(made []*T) {
	rc.free, rc.list = append(rc.free, made...), made
}

// worldMaps are the maps a run looks its clients and subscriptions up in,
// which a Runner empties and hands to its next run: a run's small maps
// were a tenth of a generated scenario's allocated objects.
type worldMaps struct {
	subs       map[string]*Sub
	connIndex  map[string]int
	connByName map[string]*ConnRecord
	subByID    map[string]*SubRecord
	published  map[string]int
}

// Run is Run, reusing the memory of the Runner's previous run (and of its
// previous traced run's trace).
func (r *Runner) Run(sc *scenario.Scenario, cfg Config) (*Result, error) {
	w, err := newWorld(sc, cfg, r)
	if err != nil {
		return nil, err
	}
	res := w.run()
	r.sim = w.sim
	if w.tr != nil {
		r.trace = w.tr
	}
	r.maps = worldMaps{subs: w.subs, connIndex: w.connIndex, connByName: res.connByName, subByID: res.subByID, published: w.published}
	r.messages, r.deliveries, r.calls = w.ledger.Messages[:0], w.ledger.Deliveries[:0], res.Calls[:0]
	for _, s := range res.Subs {
		r.handled = append(r.handled, s.Handled[:0])
	}
	for _, s := range w.subList {
		r.pending = append(r.pending, s.pending[:0])
	}
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
	r.streams = [3]sim.Chooser{w.rngNet, w.rngHandler, w.rngClient}
	slices.SortStableFunc(r.frames, func(a, b []frame) int { return cap(a) - cap(b) })
	return res, nil
}

// The methods below hand a new World the Runner's memory, or new memory
// when r is nil (a plain Run) or has nothing big enough.

func (r *Runner) newSim(b sim.Budget) *sim.Sim {
	if r == nil || r.sim == nil {
		return sim.New(b)
	}
	r.sim.Reset(b)
	return r.sim
}

func (r *Runner) takeMessages(n int) []Message {
	if r != nil && cap(r.messages) >= n {
		return r.messages
	}
	return make([]Message, 0, n)
}

func (r *Runner) takeDeliveries(n int) []Delivery {
	if r != nil && cap(r.deliveries) >= n {
		return r.deliveries
	}
	return make([]Delivery, 0, n)
}

func (r *Runner) takeCalls(n int) []CallRecord {
	if r != nil && cap(r.calls) >= n {
		return r.calls
	}
	return make([]CallRecord, 0, n)
}

func (r *Runner) takeHandled(n int) []Handled {
	if r != nil && len(r.handled) > 0 {
		h := r.handled[len(r.handled)-1]
		r.handled = r.handled[:len(r.handled)-1]
		if cap(h) >= n {
			return h
		}
	}
	return make([]Handled, 0, n)
}

// takePending gives a subscription's pending queue; a new one is sized
// for the n messages the subscription expects, as its handled list is.
func (r *Runner) takePending(n int) []int32 {
	if r == nil || len(r.pending) == 0 {
		return make([]int32, 0, n)
	}
	p := r.pending[len(r.pending)-1]
	r.pending = r.pending[:len(r.pending)-1]
	return p
}

func (r *Runner) takeFrames() [][]frame {
	if r == nil {
		return nil
	}
	f := r.frames
	r.frames = nil
	return f
}

// takeRecycled gives a run the Runner's recyclers, or empty ones.
func (r *Runner) takeRecycled() *recyclers {
	if r == nil {
		return new(recyclers)
	}
	return &r.recycled
}

// takeStream gives the previous run's net (0), handler (1) or client (2)
// stream for restream to re-seed, or nil.
func (r *Runner) takeStream(i int) sim.Chooser {
	if r == nil {
		return nil
	}
	s := r.streams[i]
	r.streams[i] = nil
	return s
}

// takeTrace gives a traced run the trace of the Runner's previous traced
// run, emptied: a determinism check traces one scenario eight times, and
// growing a new trace each time was a fifth of its work.
func (r *Runner) takeTrace() *sim.Trace {
	if r == nil || r.trace == nil {
		return sim.NewTrace()
	}
	tr := r.trace
	r.trace = nil
	tr.Reset()
	return tr
}

// takeMaps gives a run the Runner's maps; reuse empties each one.
func (r *Runner) takeMaps() worldMaps {
	if r == nil {
		return worldMaps{}
	}
	m := r.maps
	r.maps = worldMaps{}
	return m
}

// maxReusedMap is the most entries a map may have held to be reused:
// emptying a map costs as much as its largest size, which a run with
// thousands of clients should not leave to every later run.
const maxReusedMap = 256

// reuse returns m emptied, or a new map for n entries when there is none
// or m held more than maxReusedMap.
func reuse[K comparable, V any](m map[K]V, n int) map[K]V {
	if m == nil || len(m) > maxReusedMap {
		return make(map[K]V, n)
	}
	clear(m)
	return m
}
