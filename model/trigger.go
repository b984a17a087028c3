package model

import (
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// triggers runs the scenario's event-triggered actions (scenario.Trigger).
// The model tells it of each event a trigger may wait for through the
// hooks below, each called where the event is recorded and each guarded by
// a nil check of World.trig, so that a scenario without triggers (every
// scenario written before them) pays one comparison per event and its
// output is unchanged.
//
// A hook never runs an action itself: it schedules the action Delay after
// the event, as a new event of the kernel, so the action runs once the
// model code that recorded the event has finished (a delay of 0 runs it at
// the same instant, after the events already due then). Matching walks the
// triggers waiting for that kind of event in file order, so firing is
// deterministic.
type triggers struct {
	w *World
	// waiting lists, per event kind, the indices of the actions whose
	// trigger waits for that kind, in file order; one without Every leaves
	// the list when it fires.
	waiting [len(eventKinds)][]int
	// bySource maps "actions[i]" to i, for returned events.
	bySource map[string]int
}

// eventKinds lists the events a trigger can wait for, indexing
// triggers.waiting by scenario.Event.
var eventKinds = [...]scenario.Event{0, scenario.CallbackStart, scenario.CallbackEnd, scenario.StatusChange,
	scenario.SubRemoved, scenario.Reconnected, scenario.Returned, scenario.Published, scenario.LameDuckNotice}

// newTriggers returns the triggers of w's scenario, nil if it has none
// (newWorld calls it only when presize found one).
func newTriggers(w *World) *triggers {
	var t *triggers
	for i := range w.sc.Actions {
		a := w.sc.Actions[i].After
		if a == nil {
			continue
		}
		if t == nil {
			t = &triggers{w: w, bySource: map[string]int{}}
		}
		t.waiting[a.Event] = append(t.waiting[a.Event], i)
	}
	if t != nil {
		for i := range w.sc.Actions {
			t.bySource[w.actionSource(i)] = i
		}
	}
	return t
}

// match fires every action waiting for an event of kind ev for which ok
// says its trigger matches. A trigger without Every stops waiting once it
// has fired, so that the events that follow do not scan it again.
func (t *triggers) match(ev scenario.Event, ok func(*scenario.Trigger) bool) {
	waiting := t.waiting[ev][:0]
	for _, i := range t.waiting[ev] {
		tr := t.w.sc.Actions[i].After
		if ok(tr) {
			t.fire(i)
			if !tr.Every {
				continue
			}
		}
		waiting = append(waiting, i)
	}
	t.waiting[ev] = waiting
}

// fire schedules action i Delay from now.
func (t *triggers) fire(i int) {
	w := t.w
	if w.sim.Stopping() {
		return
	}
	a := &w.sc.Actions[i]
	w.trace("scenario", "trigger", sim.Str("source", w.actionSource(i)), sim.Str("event", a.After.Event.String()), sim.Dur("delay", a.After.Delay))
	w.sim.After(a.After.Delay, w.actionCalls(i))
}

// callback is a callback of s entered (CallbackStart) or returned
// (CallbackEnd): the nth of s, on message msg.
func (t *triggers) callback(ev scenario.Event, s *Sub, nth, msg int) {
	if s.mux {
		return
	}
	t.match(ev, func(tr *scenario.Trigger) bool {
		return tr.Sub == s.rec.ID && (tr.Nth == 0 || tr.Nth == nth) && (tr.Msg == 0 || tr.Msg == msg)
	})
}

// status is c's status changing to st.
func (t *triggers) status(c *Conn, st Status) {
	t.match(scenario.StatusChange, func(tr *scenario.Trigger) bool {
		return tr.Client == c.name && tr.Status == st.String()
	})
}

// subRemoved is s leaving its connection's subscriptions.
func (t *triggers) subRemoved(s *Sub) {
	if s.mux {
		return
	}
	t.match(scenario.SubRemoved, func(tr *scenario.Trigger) bool { return tr.Sub == s.rec.ID })
}

// lameDuck is c's LameDuckModeHandler running.
func (t *triggers) lameDuck(c *Conn) {
	t.match(scenario.LameDuckNotice, func(tr *scenario.Trigger) bool { return tr.Client == c.name })
}

// reconnected is c's reconnected callback running.
func (t *triggers) reconnected(c *Conn) {
	t.match(scenario.Reconnected, func(tr *scenario.Trigger) bool { return tr.Client == c.name })
}

// returned is a call made by source returning.
func (t *triggers) returned(source string) {
	i, ok := t.bySource[source]
	if !ok {
		return // a callback's call
	}
	t.match(scenario.Returned, func(tr *scenario.Trigger) bool { return tr.Action == i })
}

// published is message msg published by c through a publish or reply call.
func (t *triggers) published(c *Conn, msg int) {
	t.match(scenario.Published, func(tr *scenario.Trigger) bool {
		return (tr.Client == "" || tr.Client == c.name) && (tr.Msg == 0 || tr.Msg == msg)
	})
}
