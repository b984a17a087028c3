package sim

import (
	"cmp"
	"slices"
)

// tieOrder is the state of a run whose equal-time events are ordered by a
// Chooser (SetTies) instead of by scheduling order.
type tieOrder struct {
	c    Chooser
	due  []int // heap indices of the events due at the earliest time
	scan []int // heap indices still to look at while collecting due
}

// SetTies makes the run ask c, each time several events are due at the
// earliest instant, which of them runs next: IntN("tie", k) over the k due
// events in scheduling order, so option 0 is the order the run has without
// SetTies. Events scheduled at that instant while others wait join the
// choice, so every order that respects causality (an event runs after the
// one that scheduled it) can be drawn. A nil c restores scheduling order.
// Reset clears it.
//
// It is a layer over the event queue rather than part of it: without it
// Step pays one nil test, and runs keep their order byte for byte.
func (s *Sim) SetTies(c Chooser) {
	if c == nil {
		s.ties = nil
		return
	}
	s.ties = &tieOrder{c: c}
}

// pickTie brings the event the Chooser picks among those due at the
// earliest time to the root of the heap. The due events are the root and
// the entries below it with the same time (a descendant of a later entry
// is never earlier). The pick swaps the events (slots) of the root and the
// picked entry and leaves the keys where they are: the heap stays ordered,
// and the event that was first takes the picked one's place among the
// remaining ties, whose order the next pick decides anyway.
func (s *Sim) pickTie() {
	t, h := s.ties, s.heap
	at := h[0].at
	t.due, t.scan = t.due[:0], append(t.scan[:0], 0)
	for len(t.scan) > 0 {
		j := t.scan[len(t.scan)-1]
		t.scan = t.scan[:len(t.scan)-1]
		// An entry whose event has no callback is not due: a queue that
		// drops canceled entries lazily keeps them until they surface.
		if s.slab[h[j].slot].fn != nil {
			t.due = append(t.due, j)
		}
		for c := 2*j + 1; c <= 2*j+2 && c < len(h); c++ {
			if h[c].at == at {
				t.scan = append(t.scan, c)
			}
		}
	}
	if len(t.due) < 2 {
		return
	}
	slices.SortFunc(t.due, func(a, b int) int { return cmp.Compare(h[a].seq, h[b].seq) })
	j := t.due[t.c.IntN("tie", len(t.due))]
	if j == 0 {
		return
	}
	h[0].slot, h[j].slot = h[j].slot, h[0].slot
	s.slab[h[0].slot].heap, s.slab[h[j].slot].heap = 0, int32(j)
}
