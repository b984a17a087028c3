package sim

import (
	"testing"
	"time"

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
		l := newLockstep(t)
		for op := range rapid.IntRange(1, 200).Draw(t, "ops") {
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0, 1, 2:
				l.schedule(l.s.Now().Add(time.Duration(rapid.IntRange(0, 12).Draw(t, "near"))))
			case 3:
				l.schedule(l.s.Now().Add(time.Duration(rapid.IntRange(100, 110).Draw(t, "far"))))
			case 4:
				if len(l.timers) > 0 {
					l.cancel(op, rapid.IntRange(0, len(l.timers)-1).Draw(t, "victim"))
				}
			case 5, 6, 7, 8:
				l.step(op)
			default:
				l.runUntil(l.s.Now().Add(time.Duration(rapid.IntRange(0, 20).Draw(t, "until"))))
			}
			l.check(op)
		}
		l.finish()
	})
}
