package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestSmallQueueMatchesReference drives the kernel and the reference kernel
// with queues of the model's shape, which rapid draws and shrinks: a few
// timers due soon (ties among them), some far ones, cancels, steps and
// RunUntil horizons, so that schedule's fast path for a short list (an
// insertion in its first half, moving the entries before the place down)
// and its general paths (moving the entries after the place up, the radix
// heap) are taken in turn, in every order. Every event must run in the
// reference's order, and the clock and pending count agree.
//
// Deliberate breaks it catches (each tried): the fast path's loop moving
// only earlier times down (`<=` made `<`, so a new event overtakes
// entries of its own time), the fast path leaving head where it was (the
// first event runs twice and the last is lost), and the up-moving
// insertion stopping one entry early (`j > h` made `j > h+1`).
func TestSmallQueueMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := New(Budget{})
		ref := &refSim{}
		var ran, want []int
		var timers []Timer
		schedule := func(at Time) {
			id := len(timers)
			ref.at(at, id)
			timers = append(timers, s.At(at, func() { ran = append(ran, id) }))
		}
		for op := range rapid.IntRange(1, 200).Draw(t, "ops") {
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0, 1, 2:
				schedule(s.Now().Add(time.Duration(rapid.IntRange(0, 12).Draw(t, "near"))))
			case 3:
				schedule(s.Now().Add(time.Duration(rapid.IntRange(100, 110).Draw(t, "far"))))
			case 4:
				if len(timers) > 0 {
					id := rapid.IntRange(0, len(timers)-1).Draw(t, "victim")
					require.Equal(t, ref.cancel(id), s.Cancel(timers[id]), "op %d: cancel %d", op, id)
				}
			case 5, 6, 7, 8:
				e, ok := ref.pop()
				require.Equal(t, ok, s.Step(), "op %d: step", op)
				if ok {
					want = append(want, e.id)
				}
			default:
				until := s.Now().Add(time.Duration(rapid.IntRange(0, 20).Draw(t, "until")))
				s.RunUntil(until)
				for len(ref.q) > 0 && ref.q[0].at <= until {
					e, _ := ref.pop()
					want = append(want, e.id)
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
	})
}
