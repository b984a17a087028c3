package sim

// Reset returns s to time 0 with no events, no budget used and budget b,
// keeping the memory of its event queue: a sweep that makes thousands of
// runs reuses one Sim instead of growing a new queue each time. Timers of
// the previous run must not be used again.
func (s *Sim) Reset(b Budget) {
	clear(s.slab) // release the previous run's callbacks
	s.q.reset()
	*s = Sim{budget: b, recordCap: recordCap(b), slab: s.slab[:0], q: s.q, scratch: s.scratch}
}
