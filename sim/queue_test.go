package sim

import (
	"math/bits"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// queueRun drives a Sim and the reference with the same random
// operations: schedules in bursts (ties, near, far and very far times, so
// that both the list and every level of the radix heap are used), cancels,
// steps, and RunUntil horizons after which earlier events are scheduled
// (the path that refiles the queue). It fails at the first difference in
// the event run, the clock or the pending count.
func queueRun(t *testing.T, seed uint64, ops int) {
	c := NewPCG(seed)
	s := New(Budget{})
	ref := &refSim{}
	var ran, want []int
	var timers []Timer
	schedule := func(at Time) {
		id := len(timers)
		ref.at(at, id)
		timers = append(timers, s.At(at, func() { ran = append(ran, id) }))
	}
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
				schedule(s.Now().Add(delay()))
			}
		case k < 5:
			if len(timers) > 0 {
				id := c.IntN("victim", len(timers))
				require.Equal(t, ref.cancel(id), s.Cancel(timers[id]), "op %d: cancel %d", op, id)
			}
		case k < 8:
			e, ok := ref.pop()
			require.Equal(t, ok, s.Step(), "op %d: step", op)
			if ok {
				want = append(want, e.id)
			}
		default:
			until := s.Now().Add(delay())
			s.RunUntil(until)
			for len(ref.q) > 0 && ref.q[0].at <= until {
				e, _ := ref.pop()
				want = append(want, e.id)
			}
			// Events before the next one, after RunUntil looked at it.
			for range c.IntN("early", 80) {
				schedule(s.Now().Add(time.Duration(c.IntN("d", 3))))
			}
		}
		require.Equal(t, want, ran, "op %d: order", op)
		require.Equal(t, ref.now, s.Now(), "op %d: clock", op)
		require.Equal(t, len(ref.q), s.Pending(), "op %d: pending", op)
	}
	s.Run()
	for e, ok := ref.pop(); ok; e, ok = ref.pop() {
		want = append(want, e.id)
	}
	require.Equal(t, want, ran)
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
	require.Contains(t, s.free, far.slot-1, "slot freed once its entry was dropped")
}
