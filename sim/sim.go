// Package sim is a NATS-agnostic discrete-event kernel: a virtual clock, an
// event queue ordered by (time, sequence), cancelable timers, run budgets,
// a Chooser through which every nondeterministic decision flows, service-time
// distributions, and a typed trace.
//
// Nothing in this package reads the wall clock, starts goroutines or uses
// global randomness: the same inputs and the same Chooser give the same run.
package sim

import (
	"fmt"
	"math"
	"time"
)

// Time is a point on the virtual clock, in nanoseconds since the start of a run.
type Time int64

// Add returns t shifted by d, saturating: a sum past the end of the clock
// is Never and one before its start is MinTime, never a wrapped-around
// time. A deadline a user set to centuries from now must stay in the future
// (a drain_timeout of 2562047h at t = 50 min once wrapped to a negative
// deadline, and the drain "timed out" at once).
func (t Time) Add(d time.Duration) Time {
	s := t + Time(d)
	if (s < t) == (d < 0) { // no overflow: one well-predicted branch
		return s
	}
	if d < 0 {
		return MinTime
	}
	return Never
}

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Duration returns t as a duration since the start of the run.
func (t Time) Duration() time.Duration { return time.Duration(t) }

// String renders t as milliseconds with microsecond precision, e.g. "201.600ms".
// The fixed format keeps timelines aligned and byte-stable.
func (t Time) String() string {
	ns := int64(t)
	sign := ""
	if ns < 0 {
		sign, ns = "-", -ns
	}
	return fmt.Sprintf("%s%d.%03dms", sign, ns/1e6, (ns%1e6)/1e3)
}

// Never is a time later than any event; RunUntil(Never) runs to quiescence.
// Time.Add saturates at Never.
const Never = Time(1<<63 - 1)

// MinTime is the earliest representable time; Time.Add saturates at it.
const MinTime = Time(-1 << 63)

// Budget bounds a run so that a runaway model ends with a reported outcome
// instead of hanging or running out of memory. Zero fields mean "no limit".
type Budget struct {
	MaxEvents uint64 // events executed
	MaxTime   Time   // virtual time; events scheduled later are not executed
	// MaxRecords bounds the records the model keeps (counted with Record),
	// and so its memory: events alone do not, since one event may make
	// any number of records and each record outlives its event.
	MaxRecords uint64
}

// StopReason says why a run stopped.
type StopReason int

const (
	// Quiescent: the event queue became empty.
	Quiescent StopReason = iota
	// ReachedUntil: the next event lies beyond the RunUntil horizon.
	ReachedUntil
	// EventBudget: Budget.MaxEvents events were executed.
	EventBudget
	// TimeBudget: the next event lies beyond Budget.MaxTime.
	TimeBudget
	// Halted: the model called Halt.
	Halted
	// RecordBudget: the model made more than Budget.MaxRecords records.
	RecordBudget
)

func (r StopReason) String() string {
	switch r {
	case Quiescent:
		return "quiescent"
	case ReachedUntil:
		return "reached-until"
	case EventBudget:
		return "event-budget-exhausted"
	case TimeBudget:
		return "time-budget-exhausted"
	case Halted:
		return "halted"
	case RecordBudget:
		return "record-budget-exhausted"
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// Exhausted reports whether a run that stopped for reason r was cut short
// by one of its budgets.
func (r StopReason) Exhausted() bool {
	return r == EventBudget || r == TimeBudget || r == RecordBudget
}

// Outcome reports how a call to Run or RunUntil ended.
type Outcome struct {
	Reason StopReason
	Now    Time   // virtual time when the run stopped
	Events uint64 // events executed since the Sim was created
	// Records counts the Record calls since the Sim was created.
	Records uint64
}

// Timer identifies a scheduled event so that it can be canceled. The zero
// Timer is valid and refers to no event.
type Timer struct {
	slot int32
	gen  uint32
}

// event is one slot of the event slab. Slots are recycled through a free
// list, so scheduling allocates only when the slab grows. The list is
// linked through the slots themselves (next, in what was the struct's
// padding): taking and returning a slot is two stores, where a slice of
// free slots cost an append's capacity test and a header store an event.
type event struct {
	fn   func()
	gen  uint32 // bumped when the event runs or is canceled; stale Timers and entries no longer match
	next int32  // while the slot is free: the free slot after it, plus one (0: none)
}

// Sim is the event loop. It is not safe for concurrent use; a run is a single
// thread of control by design.
type Sim struct {
	now    Time
	events uint64
	budget Budget
	halted bool
	// records counts Record calls; recordCap is Budget.MaxRecords, or the
	// largest uint64 when there is no limit, so that Record tests one bound.
	records   uint64
	recordCap uint64

	slab []event
	// free is the free list's first slot plus one, 0 when it is empty:
	// the slot freed last, which At takes first.
	free int32
	q    queue // the queued events, by time and then scheduling order
	// scratch holds the queue's entries while it is refiled.
	scratch []entry
	// ties, when set (SetTies), picks which of the events due at the same
	// instant runs next; see ties.go.
	ties *tieOrder
	// stop and maxEvents are the running RunUntil's bounds (the earlier
	// of its until and the time budget; the event budget, or the largest
	// uint64), which its loop compares each event with. Kept here rather
	// than in the loop's own variables, which the event's call made the
	// compiler store to the stack and load back at every event.
	stop      Time
	maxEvents uint64
}

// New returns a Sim at time 0 with the given budget.
func New(b Budget) *Sim {
	return &Sim{budget: b, recordCap: recordCap(b)}
}

func recordCap(b Budget) uint64 {
	if b.MaxRecords == 0 {
		return 1<<64 - 1
	}
	return b.MaxRecords
}

// Now returns the current virtual time.
func (s *Sim) Now() Time { return s.now }

// Events returns the number of events executed so far.
func (s *Sim) Events() uint64 { return s.events }

// Pending returns the number of scheduled events.
func (s *Sim) Pending() int { return s.q.live }

// After schedules fn d after now (at now if d is negative).
//
// It is At(now.Add(d)), written so that it is small enough to be inlined
// into the model's calls, which saves a frame an event: the clock never
// runs before 0, so now+d cannot overflow below (a negative d gives a time
// before now, which At clamps to now), and a d beyond Never-now is cut to
// it, so that the time saturates at Never as Add's does.
func (s *Sim) After(d time.Duration, fn func()) Timer {
	return s.At(s.now+Time(min(d, time.Duration(Never-s.now))), fn)
}

// Cancel removes a scheduled event. It reports whether the event was still
// pending; canceling a fired, canceled or zero Timer is a no-op.
func (s *Sim) Cancel(t Timer) bool {
	if t.slot == 0 {
		return false
	}
	i := t.slot - 1
	if int(i) >= len(s.slab) {
		return false
	}
	e := &s.slab[i]
	if e.gen != t.gen {
		return false
	}
	// The slot stays out of the free list until its entry, now stale, is
	// dropped from the queue: reused at once, it could reach the entry's
	// generation again after 2^32 reuses and revive the canceled event.
	e.fn = nil
	e.gen++
	s.canceled()
	return true
}

// Scheduled reports whether t refers to an event that has not yet run.
func (s *Sim) Scheduled(t Timer) bool {
	if t.slot == 0 || int(t.slot-1) >= len(s.slab) {
		return false
	}
	return s.slab[t.slot-1].gen == t.gen
}

// Halt stops the current Run or RunUntil after the running event returns.
func (s *Sim) Halt() { s.halted = true }

// Record counts one record the model keeps (a ledger entry, a call record).
// The record past Budget.MaxRecords stops the run with RecordBudget after
// the running event returns; an event that makes many records checks
// Stopping between them, so the records a run keeps stay bounded whatever
// one event is asked to do.
func (s *Sim) Record() { s.RecordN(1) }

// RecordN counts n records at once, as n calls of Record in the same event
// would (between which the event did not test Stopping): the run stops
// after the event if the count passed the budget.
func (s *Sim) RecordN(n int) {
	s.records += uint64(n)
	if s.records > s.recordCap {
		s.halted = true
	}
}

// Stopping reports whether the run stops after the running event: the model
// called Halt or exceeded its record budget. An event that makes many calls
// in a loop checks it between them.
func (s *Sim) Stopping() bool { return s.halted }

// Step executes the next event, if any, and reports whether one ran. It
// ignores budgets; Run and RunUntil enforce them.
func (s *Sim) Step() bool {
	x, e := s.first()
	if x == nil {
		x, e = s.advance()
	}
	if x != nil {
		s.fire(x, e)
	}
	return x != nil
}

// fire executes x, the entry at the list's head, whose slot is e, as first
// or advance returned them (with SetTies, pickTie may first swap another
// event due at the same time into x, and e is then x's new slot).
func (s *Sim) fire(x *entry, e *event) {
	if s.ties != nil {
		s.pickTie()
		e = &s.slab[x.slot()]
	}
	s.q.pop()
	s.now = x.at
	fn := s.release(e, x.slot())
	s.events++
	fn()
}

// Run executes events until the queue is empty, a budget is exhausted or the
// model halts.
func (s *Sim) Run() Outcome { return s.RunUntil(Never) }

// RunUntil executes events with time <= until. The clock is left at the time
// of the last executed event; it never jumps to until on its own.
func (s *Sim) RunUntil(until Time) Outcome {
	s.halted = s.records > s.recordCap
	// The loop tests one bound in time (the earlier of until and the time
	// budget) and one in events; which bound stopped it is sorted out after.
	s.stop, s.maxEvents = until, s.budget.MaxEvents
	if s.budget.MaxTime > 0 {
		s.stop = min(s.stop, s.budget.MaxTime)
	}
	if s.maxEvents == 0 {
		s.maxEvents = math.MaxUint64
	}
	for !s.halted {
		x, e := s.first()
		if x == nil {
			// The rare case: advance's nil is tested here only.
			if x, e = s.advance(); x == nil {
				return s.outcome(Quiescent)
			}
		}
		if x.at > s.stop {
			if s.budget.MaxTime > 0 && x.at > s.budget.MaxTime {
				return s.outcome(TimeBudget)
			}
			return s.outcome(ReachedUntil)
		}
		if s.events >= s.maxEvents {
			return s.outcome(EventBudget)
		}
		s.fire(x, e)
	}
	if s.records > s.recordCap {
		return s.outcome(RecordBudget)
	}
	return s.outcome(Halted)
}

func (s *Sim) outcome(r StopReason) Outcome {
	return Outcome{Reason: r, Now: s.now, Events: s.events, Records: s.records}
}

// release ends the event in slot e, number i, which is about to run, and
// frees the slot; it returns the event's callback.
//
// The slot keeps the callback until it is taken again (At) or the Sim is
// Reset: clearing it, a store and a write-barrier test, was 3 of the
// ~200 instructions an event costs the kernel, and what it held the
// collector back from is the model's objects of the same run.
func (s *Sim) release(e *event, i int32) func() {
	fn := e.fn
	e.gen++
	e.next, s.free = s.free, i+1
	return fn
}

// freeSlot frees slot i, whose event was canceled (Cancel bumped its
// generation and dropped its callback) and whose stale entry has just left
// the queue.
func (s *Sim) freeSlot(i int32) {
	s.slab[i].next, s.free = s.free, i+1
}
