package sim

import (
	"math/bits"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lockstep drives a Sim and the reference kernel (refSim) with the same
// operations, for the tests that compare the two: after each operation
// (check) every event must have run in the reference's order, and the
// clock and the pending count agree.
type lockstep struct {
	t         require.TestingT
	s         *Sim
	ref       *refSim
	ran, want []int
	timers    []Timer
}

func newLockstep(t require.TestingT) *lockstep {
	return &lockstep{t: t, s: New(Budget{}), ref: &refSim{}}
}

// schedule makes an event at at in both kernels.
func (l *lockstep) schedule(at Time) {
	id := len(l.timers)
	l.ref.at(at, id)
	l.timers = append(l.timers, l.s.At(at, func() { l.ran = append(l.ran, id) }))
}

// cancel cancels the event id in both, which must agree whether it was
// still pending.
func (l *lockstep) cancel(op, id int) {
	require.Equal(l.t, l.ref.cancel(id), l.s.Cancel(l.timers[id]), "op %d: cancel %d", op, id)
}

// step runs the next event of both.
func (l *lockstep) step(op int) {
	e, ok := l.ref.pop()
	require.Equal(l.t, ok, l.s.Step(), "op %d: step", op)
	if ok {
		l.want = append(l.want, e.id)
	}
}

// runUntil runs both up to until.
func (l *lockstep) runUntil(until Time) {
	l.s.RunUntil(until)
	for len(l.ref.q) > 0 && l.ref.q[0].at <= until {
		e, _ := l.ref.pop()
		l.want = append(l.want, e.id)
	}
}

// check compares the events run so far, the clocks and the pending counts.
func (l *lockstep) check(op int) {
	require.Equal(l.t, l.want, l.ran, "op %d: order", op)
	require.Equal(l.t, l.ref.now, l.s.Now(), "op %d: clock", op)
	require.Equal(l.t, len(l.ref.q), l.s.Pending(), "op %d: pending", op)
}

// finish runs both to the end and compares every event run.
func (l *lockstep) finish() {
	l.s.Run()
	for e, ok := l.ref.pop(); ok; e, ok = l.ref.pop() {
		l.want = append(l.want, e.id)
	}
	require.Equal(l.t, l.want, l.ran)
}

// queueRun drives a Sim and the reference with the same random
// operations: schedules in bursts (ties, near, far and very far times, so
// that both the list and every level of the radix heap are used), cancels,
// steps, and RunUntil horizons after which earlier events are scheduled
// (the path that refiles the queue). It fails at the first difference in
// the event run, the clock or the pending count.
func queueRun(t *testing.T, seed uint64, ops int) {
	c := NewPCG(seed)
	l := newLockstep(t)
	delay := func() time.Duration {
		switch c.IntN("kind", 6) {
		case 0:
			return 0
		case 1:
			return time.Duration(c.IntN("d", 8))
		case 2:
			return time.Duration(c.IntN("d", 5000))
		case 3:
			return time.Duration(c.IntN("d", 1<<20))
		case 4:
			return time.Duration(c.IntN("d", 1<<40))
		}
		return 1 << 62
	}
	for op := range ops {
		switch k := c.IntN("op", 10); {
		case k < 4:
			for range 1 + c.IntN("burst", 40) {
				l.schedule(l.s.Now().Add(delay()))
			}
		case k < 5:
			if len(l.timers) > 0 {
				l.cancel(op, c.IntN("victim", len(l.timers)))
			}
		case k < 8:
			l.step(op)
		default:
			l.runUntil(l.s.Now().Add(delay()))
			// Events before the next one, after RunUntil looked at it.
			for range c.IntN("early", 80) {
				l.schedule(l.s.Now().Add(time.Duration(c.IntN("d", 3))))
			}
		}
		l.check(op)
	}
	l.finish()
}

// TestQueueMatchesReference runs queueRun over many seeds. It fails when
// the radix heap files an entry in the wrong bucket, loses the order of
// equal times when it refiles a bucket, the queue, or compacts it, inserts
// into the list at the wrong place, or counts pending events wrongly.
func TestQueueMatchesReference(t *testing.T) {
	for seed := range uint64(60) {
		queueRun(t, seed, 400)
	}
}

// queued counts the entries the queue holds, dead or alive.
func (q *queue) queued() int {
	n := len(q.now) - q.head
	for l := range levels {
		for m := q.full[l]; m != 0; m &= m - 1 {
			n += len(q.b[l][bits.TrailingZeros64(m)])
		}
	}
	return n
}

// TestCanceledEntriesAreCompacted: canceling most of 2,000 far timers
// leaves the queue holding about twice the live events, not every entry
// ever canceled, and the survivors still run in order. It fails if
// canceled never compacts, or compacts away live entries.
func TestCanceledEntriesAreCompacted(t *testing.T) {
	s := New(Budget{})
	var ran []Time
	var timers []Timer
	for i := range 2000 {
		at := Time(1000 + (i*7919)%5000)
		timers = append(timers, s.At(at, func() { ran = append(ran, s.Now()) }))
	}
	for i, tm := range timers {
		if i%50 != 0 {
			require.True(t, s.Cancel(tm))
		}
	}
	require.Equal(t, 40, s.Pending())
	require.LessOrEqual(t, s.q.queued(), 2*40+compactAfter)
	s.Run()
	require.Len(t, ran, 40)
	require.True(t, slices.IsSorted(ran))
}

// TestCompactDropsDeadEntriesInPlace: a compaction (canceled entries
// outnumbering the live ones) drops the canceled entries from the list
// and from every bucket where they lie, frees their slots, and leaves the
// live ones in their places and order: ties in the list and in buckets of
// several levels, interleaved with entries canceled later, still run in
// the reference's order. Deliberate breaks it catches (each tried): a
// compaction that reorders a place's live entries, cuts the list from its
// array's start rather than its head, leaves the list's dead
// entries (the queue then holds more than the live ones), or does not
// free the dead entries' slots; TestCanceledEntriesAreCompacted catches
// an emptied bucket or level left marked non-empty.
func TestCompactDropsDeadEntriesInPlace(t *testing.T) {
	l := newLockstep(t)
	times := []Time{5, 6, 1 << 20, 1<<20 + 3, 1 << 40}
	l.schedule(1)
	for i := range 400 {
		l.schedule(times[i%len(times)])
	}
	// The events at 1 and the first at 5 run: the list then holds the
	// other 79 at 5 (a level-0 bucket made the list), its head past its
	// start.
	for op := range 2 {
		l.step(op)
		l.check(op)
	}
	require.Equal(t, 79, len(l.s.q.now)-l.s.q.head, "the list")
	canceled, compacted := 0, false
	for id := 2; id < len(l.timers); id++ {
		if id%4 == 0 {
			continue
		}
		l.cancel(id, id)
		canceled++
		if l.s.q.dead == 0 {
			compacted = true
			require.Equal(t, l.s.Pending(), l.s.q.queued(), "after a compaction: the queue holds dead entries")
			unused := len(l.s.slab) - len(l.timers) // grown but never taken (at)
			require.Len(t, l.s.freeSlots(), canceled+2+unused, "after a compaction: the slots freed (and the run events')")
		}
	}
	require.True(t, compacted, "no compaction")
	l.finish()
}

// TestCanceledSlotWaitsForItsEntry: the slot of a canceled event is not
// reused while the event's stale entry is queued, and is once the entry is
// dropped. It fails if Cancel frees the slot at once: the entry's
// generation would then be reached again after 2^32 reuses of the slot,
// and the canceled event would run.
func TestCanceledSlotWaitsForItsEntry(t *testing.T) {
	s := New(Budget{})
	far := s.At(1000, func() { t.Fatal("canceled event ran") })
	require.True(t, s.Cancel(far))
	near := s.At(1, func() {})
	require.NotEqual(t, far.slot, near.slot, "slot reused while its entry is queued")
	s.Run()
	require.Contains(t, s.freeSlots(), far.slot-1, "slot freed once its entry was dropped")
}

// freeSlots lists the free list's slots, the one At takes next first.
func (s *Sim) freeSlots() []int32 {
	var out []int32
	for f := s.free; f != 0; f = s.slab[f-1].next {
		out = append(out, f-1)
	}
	return out
}

// TestFreeListReusesSlots: slots freed by events that ran, and by canceled
// events once their entries left the queue, are taken again last freed
// first (the order a slice of free slots gave), each once, and the slab
// does not grow while any is free. It fails if At takes a slot without
// unlinking it (two events share a slot and one callback is lost), if
// release or freeSlot does not link the slot (the slab grows), or if the
// list is taken first freed first; and if the slab's growth (at) puts its
// new slots on the list highest on top (At would hand them out in another
// order than a slab growing by one did), grows by one slot, or loses one.
func TestFreeListReusesSlots(t *testing.T) {
	s := New(Budget{})
	var ran []string
	ev := func(name string) func() { return func() { ran = append(ran, name) } }
	a := s.At(1, ev("a"))
	b := s.At(2, ev("b"))
	c := s.At(3, ev("c"))
	require.True(t, s.Cancel(b))
	s.Run()
	require.Equal(t, []string{"a", "c"}, ran)
	// a ran first, then b's stale entry was dropped, then c ran; under
	// them the slots the slab grew by and no event took yet (at).
	require.Equal(t, []int32{c.slot - 1, b.slot - 1, a.slot - 1}, s.freeSlots()[:3])
	require.Equal(t, []int32{0, 1, 2}, []int32{a.slot - 1, b.slot - 1, c.slot - 1}, "new slots in order")
	require.Equal(t, seq(3, int32(len(s.slab))), s.freeSlots()[3:], "the unused slots, lowest first")
	slab := len(s.slab)
	x := s.At(10, ev("x"))
	y := s.At(11, ev("y"))
	z := s.At(12, ev("z"))
	require.Equal(t, []int32{c.slot, b.slot, a.slot}, []int32{x.slot, y.slot, z.slot})
	require.Equal(t, seq(3, int32(slab)), s.freeSlots())
	w := s.At(13, ev("w"))
	require.Equal(t, int32(3), w.slot-1, "the lowest unused slot once the freed ones are taken")
	for range slab - 4 {
		s.At(14, ev("v"))
	}
	require.Equal(t, slab, len(s.slab), "the slab grew while slots were free")
	s.At(15, ev("u"))
	require.Equal(t, 2*slab, len(s.slab), "the slab doubles")
	require.Equal(t, seq(int32(slab)+1, int32(2*slab)), s.freeSlots(), "its new slots on the list, lowest first, but the one taken")
	s.Run()
	require.Equal(t, append([]string{"a", "c", "x", "y", "z", "w"}, slices.Repeat([]string{"v"}, slab-4)...), ran[:len(ran)-1])
}

// seq returns the slots from lo to hi, hi excluded.
func seq(lo, hi int32) []int32 {
	var out []int32
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// TestEntryKeepsSlotAndGeneration: an entry's slot and generation, packed
// in one word (entry.ev), come back as they went in over their whole
// ranges, and make the event's Timer. It fails if the halves are swapped
// or the generation's shift loses its top bits (both tried).
func TestEntryKeepsSlotAndGeneration(t *testing.T) {
	for _, slot := range []int32{0, 1, 1<<31 - 2} {
		for _, gen := range []uint32{0, 1, 1 << 31, 1<<32 - 1} {
			x := newEntry(Time(7), slot, gen)
			require.Equal(t, Time(7), x.at)
			require.Equal(t, slot, x.slot(), "slot of (%d, %d)", slot, gen)
			require.Equal(t, gen, x.gen(), "generation of (%d, %d)", slot, gen)
			require.Equal(t, Timer{slot: slot + 1, gen: gen}, x.timer())
		}
	}
}
