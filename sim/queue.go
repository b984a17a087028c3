package sim

import "math/bits"

// The event queue is a radix heap with 64-way digits. The kernel never
// schedules an event before the current time, so the times it queues are
// monotone, and the queue can file entries by how far they lie from the
// earliest queued time, last, instead of comparing them with one another.
// An entry at last joins the now list, which runs in order. Any other entry
// x goes to bucket (L, d), where L is the highest 6-bit digit in which x.at
// differs from last and d is x.at's value of that digit: every entry of
// level L is later than every entry of a lower level, and within a level
// the buckets are in time order. Scheduling is therefore an append. When
// the now list runs dry, the first non-empty bucket (found with one bit
// mask per level) is scanned for its earliest time, which becomes last, and
// its entries are filed again, into lower levels or the now list; a level-0
// bucket holds a single time and becomes the now list whole. An entry is
// filed again at most once per level, and with timers a few thousand
// nanoseconds apart about twice, so an event costs a few appends instead of
// a binary heap's two sifts, each a dependent walk through memory.
//
// Ties: equal times are always filed in the same place, and filing moves a
// bucket's entries stably into buckets that are empty, so entries of equal
// time stay in scheduling order wherever they are, and the now list runs
// in scheduling order.
//
// Cancel does not search the queue: it frees the event's slot, whose
// generation then no longer matches the entry's, and the entry is dropped
// when it is reached. When dead entries outnumber the live ones (and there
// are more than a few), the queue is compacted, so its memory stays within
// about twice the live events.

// entry is one queued event: its time and the slab slot and generation of
// its callback. It holds no pointers, so the collector does not scan the
// queue.
type entry struct {
	at   Time
	slot int32
	gen  uint32
}

const (
	digitBits = 6
	digits    = 1 << digitBits // buckets per level
	// levels covers the 63 bits of a time in [0, Never].
	levels = (63 + digitBits - 1) / digitBits
)

// queue is the radix heap described above.
type queue struct {
	last Time
	// now is the now list: the entries at last, in scheduling order;
	// now[:head] have run.
	now  []entry
	head int
	// used has bit L set when level L has a non-empty bucket, and full[L]
	// bit d when bucket (L, d) is non-empty.
	used uint32
	full [levels]uint64
	// live counts the queued events that are still due to run; dead the
	// entries of canceled events still queued.
	live, dead int
	b          [levels][digits][]entry
}

// compactAfter is the number of dead entries below which the queue is never
// compacted: compacting a handful costs more than carrying them.
const compactAfter = 32

// file puts x where it belongs relative to last.
func (q *queue) file(x entry) {
	diff := uint64(x.at ^ q.last)
	if diff == 0 {
		q.now = append(q.now, x)
		return
	}
	l := uint(bits.Len64(diff)-1) / digitBits
	d := uint64(x.at) >> (l * digitBits) % digits
	q.b[l][d] = append(q.b[l][d], x)
	q.full[l] |= 1 << d
	q.used |= 1 << l
}

// push queues x. A time before last (possible only after RunUntil looked at
// an event beyond its horizon and the model scheduled an earlier one)
// refiles the queue around x.at first.
func (s *Sim) push(x entry) {
	q := &s.q
	if x.at < q.last {
		s.refile(x.at)
	}
	q.file(x)
	q.live++
}

// front makes now[head] the first live entry of the queue, dropping dead
// entries it meets, and reports whether there is one.
func (s *Sim) front() bool {
	q := &s.q
	for {
		now := q.now
		for ; q.head < len(now); q.head++ {
			if x := &now[q.head]; s.slab[x.slot].gen == x.gen {
				return true
			}
			q.dead--
		}
		if q.used == 0 {
			return false
		}
		l := bits.TrailingZeros32(q.used)
		d := bits.TrailingZeros64(q.full[l])
		if q.full[l] &^= 1 << d; q.full[l] == 0 {
			q.used &^= 1 << l
		}
		src := q.b[l][d]
		q.head = 0
		if l == 0 {
			// One time only: the bucket becomes the now list.
			q.last = src[0].at
			q.now, q.b[l][d] = src, now[:0]
			continue
		}
		q.now, q.b[l][d] = now[:0], src[:0]
		last := src[0].at
		for _, x := range src[1:] {
			last = min(last, x.at)
		}
		// Every lower level is empty, so the entries keep their order.
		q.last = last
		for _, x := range src {
			q.file(x)
		}
	}
}

// pop removes the entry front found.
func (q *queue) pop() entry {
	x := q.now[q.head]
	q.head++
	q.live--
	return x
}

// each calls f for every queued entry, dead or alive, the now list first,
// and empties the queue (keeping its memory).
func (q *queue) each(f func(entry)) {
	for _, x := range q.now[q.head:] {
		f(x)
	}
	q.now, q.head = q.now[:0], 0
	for l := range q.b {
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

// refile lowers last to t and files every entry again, in an order that
// keeps the entries of each time in scheduling order (they come from one
// bucket). It is O(queued events), and runs only when RunUntil stopped
// before an event and a later call scheduled an earlier one.
func (s *Sim) refile(t Time) {
	q := &s.q
	all := s.scratch[:0]
	q.each(func(x entry) { all = append(all, x) })
	q.last = t
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
	if q.dead < compactAfter || q.dead <= q.live {
		return
	}
	all := s.scratch[:0]
	q.each(func(x entry) {
		if s.slab[x.slot].gen == x.gen {
			all = append(all, x)
		}
	})
	for _, x := range all {
		q.file(x)
	}
	s.scratch = all[:0]
	q.dead = 0
}

// reset empties the queue, keeping the buckets' memory.
func (q *queue) reset() {
	q.each(func(entry) {})
	*q = queue{now: q.now, b: q.b}
}
