package sim

// tieOrder is the state of a run whose equal-time events are ordered by a
// Chooser (SetTies) instead of by scheduling order.
type tieOrder struct {
	c   Chooser
	due []int // indices in the now list of the live events due at the earliest time
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
// earliest time to the front of the queue. First or advance has put a live event
// first in the list, and the list holds every event due at that time, in
// scheduling order, at its head; canceled entries among them are not due.
// The pick swaps the events (slot and generation) of the first and the
// picked entry: the event that was first takes the picked one's place
// among the remaining ties, whose order the next pick decides anyway.
func (s *Sim) pickTie() {
	t, q := s.ties, &s.q
	t.due = t.due[:0]
	for j := q.head; j < len(q.now) && q.now[j].at == q.now[q.head].at; j++ {
		if x := &q.now[j]; s.slab[x.slot()].gen == x.gen() {
			t.due = append(t.due, j)
		}
	}
	if len(t.due) < 2 {
		return
	}
	j := t.due[t.c.IntN("tie", len(t.due))]
	x, y := &q.now[q.head], &q.now[j]
	x.ev, y.ev = y.ev, x.ev
}
