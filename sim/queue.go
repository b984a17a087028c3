package sim

import "math/bits"

// The event queue has two parts: a short list of the earliest entries,
// sorted, and behind it a radix heap with 64-way digits for the rest.
//
// The list, now, holds entries sorted by time and, within a time, in
// scheduling order; it is where events are taken from. While the heap is
// empty and the list short (the model's usual case: a handful of pending
// events), every event goes into the list: an append, or an insertion
// that moves the entries on the nearer side of its place by one (usually
// a couple: the model schedules soon after now, before its far timers),
// and taking the next event is an index step.
//
// Once the list is long, later events go into the radix heap. The kernel
// never schedules an event before the current time, so queued times only
// grow, and the heap can file entries by how far they lie from a base time,
// last (no earlier than the list's entries, no later than the heap's),
// instead of comparing them with one another. An entry at last joins the
// list. Any other entry x goes to bucket (L, d), where L is the highest
// 6-bit digit in which x.at differs from last and d is x.at's value of that
// digit: every entry of level L is later than every entry of a lower level,
// and within a level the buckets are in time order. Scheduling is an
// append. When the list runs dry, the first non-empty bucket (found with
// one bit mask per level) is scanned for its earliest time, which becomes
// last, and its entries are filed again, into lower levels or the list; a
// level-0 bucket holds a single time and becomes the list whole. An entry
// is filed again at most once per level, and with 1,000 timers a few
// thousand nanoseconds apart about twice, so an event costs a few appends
// instead of a binary heap's two sifts, each a dependent walk through
// memory.
//
// Ties: entries of equal time are always in one place (the list, or one
// bucket), each append adds the latest event, and filing moves a bucket's
// entries stably into places that are empty, so entries of equal time stay
// in scheduling order and the list runs in scheduling order.
//
// Cancel does not search the queue: it bumps the generation of the event's
// slot, which then no longer matches the entry's, and the entry is dropped,
// and the slot freed, when it is reached. When dead entries outnumber the live ones (and there
// are more than a few), the queue is compacted, so its memory stays within
// about twice the live events.

// entry is one queued event: its time and the slab slot and generation of
// its callback. It holds no pointers, so the collector does not scan the
// queue.
//
// The slot and generation are one word (ev: the slot in the low half), so
// that At writes a new entry as the list's moves write and read one, in
// two 8-byte stores: written as two 4-byte fields, the slot and generation
// of an entry At had just made could not be forwarded from the store
// buffer to the 8-byte load of At's next insertions, which move it. The
// packing costs a few instructions an event and saved ~4 % of the
// standard scenario's CPU (docs/performance-history.md, h37std).
type entry struct {
	at Time
	ev uint64
}

// newEntry returns the entry of the event in slot slot, of generation gen,
// at time at.
func newEntry(at Time, slot int32, gen uint32) entry {
	return entry{at: at, ev: uint64(uint32(slot)) | uint64(gen)<<32}
}

// slot returns the slab slot of x's event.
func (x entry) slot() int32 { return int32(uint32(x.ev)) }

// gen returns the generation of x's event.
func (x entry) gen() uint32 { return uint32(x.ev >> 32) }

// timer returns the Timer of x's event.
func (x entry) timer() Timer { return Timer{slot: x.slot() + 1, gen: x.gen()} }

const (
	digitBits = 6
	digits    = 1 << digitBits // buckets per level
	// levels covers the 63 bits of a time in [0, Never].
	levels = (63 + digitBits - 1) / digitBits

	// listOnly is the length below which the list takes every event
	// while the heap is empty.
	listOnly = 16
	// listMax bounds how far the list grows by insertions before its
	// end (after RunUntil, or when the heap took over from a list of
	// many times): beyond it the whole queue is filed again.
	listMax = 64
	// compactAfter is the number of dead entries below which the queue
	// is never compacted: compacting a handful costs more than carrying
	// them.
	compactAfter = 32
)

// queue is the list and radix heap described above.
type queue struct {
	// now[head:] is the list; now[:head] has run.
	now  []entry
	head int
	last Time
	// used has bit L set when level L has a non-empty bucket, and full[L]
	// bit d when bucket (L, d) is non-empty.
	used uint32
	full [levels]uint64
	// b is the heap's buckets, made when first needed, so that a Sim
	// whose queue stays short carries none.
	b *[levels][digits][]entry
	// live counts the queued events that are still due to run; dead the
	// entries of canceled events still queued.
	live, dead int
}

// add appends x to the list. When the array is full and at least half of
// it has run, the list moves to its front instead of growing it: a move
// copies no more entries than it frees slots, so each append pays for at
// most one copied entry.
func (q *queue) add(x entry) {
	if len(q.now) == cap(q.now) && q.head >= len(q.now)/2 {
		n := copy(q.now, q.now[q.head:])
		q.now, q.head = q.now[:n], 0
	}
	q.now = append(q.now, x)
}

// file puts x where it belongs relative to last, which is no later.
func (q *queue) file(x entry) {
	diff := uint64(x.at ^ q.last)
	if diff == 0 {
		q.add(x)
		return
	}
	if q.b == nil {
		q.b = new([levels][digits][]entry)
	}
	l := uint(bits.Len64(diff)-1) / digitBits
	d := uint64(x.at) >> (l * digitBits) % digits
	q.b[l][d] = append(q.b[l][d], x)
	q.full[l] |= 1 << d
	q.used |= 1 << l
}

// At schedules fn at virtual time t. A time in the past is clamped to now, so
// causality always holds. Events at equal times run in scheduling order,
// unless SetTies asked a Chooser to order them.
//
// At takes a free slab slot and places the entry itself in the common
// cases: the model's, which calls nothing (a time before last whose place
// lies in the list's first half, with a run slot before head: the model
// schedules mostly soon after now and keeps a few far timers at the list's
// end, so the place is usually a couple of entries from head; the entries
// before it move down one, found and moved in one pass, bounded by the
// middle entry, later than t), and the kernel's appends (a time at last,
// or any later time while the heap is empty and the list short, to the
// list; a later time otherwise, to the radix heap), whose growth calls are
// on paths of their own. The slab's growth (at) and every other place
// (place) are out of line, each the whole rest of the call: with calls in
// At's body on several paths that go on (main d866c8b), the compiler
// stored At's arguments and values to the stack on every call, the
// model's included. At is not inlined (go:noinline), as it was not when it
// held the general case too: inlined into After, it made callers of After
// too large to be inlined (the model's Server.kick).
//
//go:noinline
func (s *Sim) At(t Time, fn func()) Timer {
	t = max(t, s.now)
	i := s.free - 1
	if i < 0 {
		return s.at(t, fn)
	}
	e := &s.slab[i]
	s.free = e.next
	e.fn = fn
	x := newEntry(t, i, e.gen)
	q := &s.q
	q.live++
	now, h := q.now, q.head
	n := len(now) - h
	switch {
	case t < q.last && h > 0 && n > 0 && n < listMax && now[h+n/2].at > t:
		mid, k := h+n/2, h
		for ; k < mid && now[k].at <= t; k++ {
			now[k-1] = now[k]
		}
		now[k-1] = x
		q.head = h - 1
	case t >= q.last && (t == q.last || q.used == 0 && n < listOnly):
		q.add(x)
		q.last = t
	case t > q.last:
		q.file(x)
	default:
		return s.place(x)
	}
	return x.timer()
}

// at is At when no slab slot is free: the slab grows to twice its length
// (at least 8 slots), within its array's capacity when that has room (a
// reset Sim keeps its array, whose slots past the length are zero), and
// its new slots go on the free list, the lowest on top; then At takes
// one. At hands the new slots out in the order a slab growing by one
// slot at a time did, and the events that take them are placed by At's
// common cases: growing by one, each went through place, about 70
// instructions, and a subscription drain's thousand barrier timeouts,
// outstanding at once (Scale/subs=1k), each took a new slot.
func (s *Sim) at(t Time, fn func()) Timer {
	n := len(s.slab)
	s.slab = append(s.slab, event{})
	s.slab = s.slab[:min(cap(s.slab), max(2*n, 8))]
	for i := len(s.slab) - 1; i >= n; i-- {
		s.slab[i].next, s.free = s.free, int32(i)+1
	}
	return s.At(t, fn)
}

// place puts x, whose slot At took, where At's common cases do not.
// It inserts into the list itself rather than calling a push of its own
// (the extra frame was about 13 instructions an event).
func (s *Sim) place(x entry) Timer {
	q := &s.q
	switch {
	case x.at < q.last:
		// Into the list, after the entries of its time. At moves the
		// entries before the place when it lies in the list's first half
		// and the slot before head has run; here the entries after it
		// move up, from the end: the same order, in the array's other
		// end.
		if len(q.now)-q.head >= listMax {
			s.refile(x.at)
			q.file(x)
			return x.timer()
		}
		q.add(x) // may move the list to the front of its array
		now, h := q.now, q.head
		j := len(now) - 1
		for ; j > h && now[j-1].at > x.at; j-- {
			now[j] = now[j-1]
		}
		now[j] = x
	case x.at == q.last:
		q.add(x)
	case q.used == 0 && len(q.now)-q.head < listOnly:
		q.add(x)
		q.last = x.at
	default:
		q.file(x)
	}
	return x.timer()
}

// first returns the entry at now[head] and its slot if it is live, else
// nils. With advance it finds the first live entry of the queue: the event
// loops (Step, RunUntil) write `x, e := s.first(); if x == nil { x, e =
// s.advance() }`, so that first, the common case, is inlined (with
// advance's call in it, it would not be), and hand x and e to fire instead
// of loading the entry and indexing the slab again (a bounds check and an
// address an event). The pointers are valid until the queue or the slab
// next changes.
func (s *Sim) first() (*entry, *event) {
	if h := s.q.head; uint(h) < uint(len(s.q.now)) {
		x := &s.q.now[h]
		if e := &s.slab[x.slot()]; e.gen == x.gen() {
			return x, e
		}
	}
	return nil, nil
}

// advance is first when the entry at head is dead or the list empty: it
// drops dead entries and refills the list from the radix heap, and returns
// the first live entry and its slot, or nils if the queue has none.
func (s *Sim) advance() (*entry, *event) {
	q := &s.q
	for {
		now := q.now
		for ; q.head < len(now); q.head++ {
			x := &now[q.head]
			if e := &s.slab[x.slot()]; e.gen == x.gen() {
				return x, e
			}
			q.dead--
			s.freeSlot(x.slot()) // canceled: see Cancel
		}
		if q.used == 0 {
			return nil, nil
		}
		l := bits.TrailingZeros32(q.used)
		d := bits.TrailingZeros64(q.full[l])
		if q.full[l] &^= 1 << d; q.full[l] == 0 {
			q.used &^= 1 << l
		}
		src := q.b[l][d]
		q.head = 0
		if l == 0 {
			// One time only: the bucket becomes the list.
			q.last = src[0].at
			q.now, q.b[l][d] = src, now[:0]
			continue
		}
		// Both emptied in place: a slice of itself stores only the length (no write barrier).
		q.now = q.now[:0]
		q.b[l][d] = q.b[l][d][:0]
		last := src[0].at
		for _, x := range src[1:] {
			last = min(last, x.at)
		}
		q.last = last // the list and every lower level are empty: the entries keep their order
		for _, x := range src {
			q.file(x)
		}
	}
}

// pop removes the entry at head, which first or advance returned.
func (q *queue) pop() {
	q.head++
	q.live--
}

// drain calls f for every queued entry, dead or alive, the list first and
// then the buckets, and empties the queue, keeping its memory.
func (q *queue) drain(f func(entry)) {
	for _, x := range q.now[q.head:] {
		f(x)
	}
	q.now, q.head = q.now[:0], 0
	for l := range levels {
		for m := q.full[l]; m != 0; m &= m - 1 {
			d := bits.TrailingZeros64(m)
			for _, x := range q.b[l][d] {
				f(x)
			}
			q.b[l][d] = q.b[l][d][:0]
		}
		q.full[l] = 0
	}
	q.used = 0
}

// refile files every queued entry again, dead or alive, with last at the
// earliest of them and t (or at the current time if there are none). The
// entries of each time come out of drain from one place in order, so they
// keep their order. It is O(queued entries), and runs when many events
// were scheduled before last.
func (s *Sim) refile(t Time) {
	q := &s.q
	all := s.scratch[:0]
	q.drain(func(x entry) {
		all = append(all, x)
		t = min(t, x.at)
	})
	q.last = min(t, s.now)
	if len(all) > 0 {
		q.last = t
	}
	for _, x := range all {
		q.file(x)
	}
	s.scratch = all[:0]
}

// canceled counts one entry whose event was canceled, and compacts the
// queue when such entries outnumber the live ones.
func (s *Sim) canceled() {
	q := &s.q
	q.live--
	q.dead++
	if q.dead >= compactAfter && q.dead > q.live {
		s.compact()
		q.dead = 0
	}
}

// compact drops the queue's dead entries where they lie: the list and
// each bucket keep their live entries in order, and last stays, so every
// live entry stays in its place (a bucket's is chosen by last and its own
// time alone) and the entries of each time keep their order. It frees the
// dead entries' slots in the order refile's drain met them, the list
// first, then the buckets by level and digit. Filing every live entry
// again, as compaction did before, cost ~100 instructions an entry: a
// subscription drain's barrier timeouts (10 s, each canceled by its PONG
// within microseconds) made the queue compact every few dozen
// cancellations, refiling up to a thousand live timers each time
// (docs/performance-history.md, h34subs).
func (s *Sim) compact() {
	q := &s.q
	q.now = q.now[:q.head+len(s.keepLive(q.now[q.head:]))]
	for l := range levels {
		for m := q.full[l]; m != 0; m &= m - 1 {
			d := bits.TrailingZeros64(m)
			if q.b[l][d] = s.keepLive(q.b[l][d]); len(q.b[l][d]) == 0 {
				q.full[l] &^= 1 << d
			}
		}
		if q.full[l] == 0 {
			q.used &^= 1 << l
		}
	}
}

// keepLive moves xs's live entries to its front, in order, frees the
// slots of its dead ones, and returns the live ones.
func (s *Sim) keepLive(xs []entry) []entry {
	n := 0
	for _, x := range xs {
		if s.slab[x.slot()].gen == x.gen() {
			xs[n] = x
			n++
		} else {
			s.freeSlot(x.slot()) // canceled: see Cancel
		}
	}
	return xs[:n]
}

// reset empties the queue, keeping its memory.
func (q *queue) reset() {
	q.drain(func(entry) {})
	*q = queue{now: q.now, b: q.b}
}
