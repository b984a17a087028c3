package scenario

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Trigger makes an action wait for an event of the run instead of a time,
// the way a real test is written: "once the callback is entered, drain",
// "after the reconnect, publish", "when the status becomes DRAINING_PUBS,
// publish". The action runs Delay after the first event that matches (with
// Every, after each one). An action whose event never happens never runs.
type Trigger struct {
	Event Event
	// Client names the connection of a status or reconnected event, and
	// restricts a published event to that client's messages.
	Client string
	// Sub names the subscription of a callback or sub_removed event.
	Sub string
	// Nth, when positive, restricts a callback event to the Nth callback
	// the subscription runs (1-based, as a handler action's nth).
	Nth int
	// Msg, when positive, restricts a callback or published event to the
	// message with that ID (messages are numbered 1, 2, ... in the order
	// they are published, as in the outcome).
	Msg int
	// Status is the status a status event waits for, e.g. DRAINING_PUBS.
	Status string
	// Action is the index in Scenario.Actions of the action whose call
	// returning is a returned event.
	Action int
	// Every fires the action at every matching event, not only the first.
	Every bool
	// Delay is how long after the event the action runs.
	Delay time.Duration
	Line  int
}

// Event is the kind of event a Trigger waits for.
type Event uint8

// The events a trigger may wait for.
const (
	CallbackStart  Event = iota + 1 // a subscription's callback is entered
	CallbackEnd                     // a subscription's callback returns
	StatusChange                    // a connection's status changes to Status
	SubRemoved                      // a subscription is removed from its connection
	Reconnected                     // a connection's reconnected callback runs
	Returned                        // a call of another action returns
	Published                       // a publish or reply call publishes a message
	LameDuckNotice                  // a connection's LameDuckModeHandler runs (its server entered lame-duck mode)
)

// eventNames are the events as scenario files spell them, indexed by Event.
var eventNames = [...]string{"", "callback_start", "callback_end", "status", "sub_removed", "reconnected", "returned", "published", "lame_duck"}

func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return "event(" + strconv.Itoa(int(e)) + ")"
}

// Statuses are the connection statuses a status trigger may wait for, as
// nats.go names them.
var Statuses = []string{"CONNECTED", "DISCONNECTED", "RECONNECTING", "DRAINING_SUBS", "DRAINING_PUBS", "CLOSED"}

// triggerFields are the fields of an after: mapping; eventFields says,
// per event, which of the optional ones apply and which are required.
var (
	triggerFields = []string{"event", "client", "sub", "nth", "msg", "status", "action", "every", "delay"}
	eventFields   = map[Event]struct{ required, optional []string }{
		CallbackStart:  {[]string{"sub"}, []string{"nth", "msg"}},
		CallbackEnd:    {[]string{"sub"}, []string{"nth", "msg"}},
		StatusChange:   {[]string{"client", "status"}, nil},
		SubRemoved:     {[]string{"sub"}, nil},
		Reconnected:    {[]string{"client"}, nil},
		Returned:       {[]string{"action"}, nil},
		Published:      {nil, []string{"client", "msg"}},
		LameDuckNotice: {[]string{"client"}, nil},
	}
)

// trigger decodes an action's after: mapping.
func (d *decoder) trigger(n *yaml.Node, path string) (*Trigger, error) {
	t := &Trigger{Line: n.Line}
	fields, err := d.mapping(n, path, triggerFields...)
	if err == nil {
		err = d.require(n, path, fields, "event")
	}
	for _, f := range fields {
		if err != nil {
			return nil, err
		}
		switch f.name {
		case "event":
			t.Event, err = d.event(f.val, f.path)
		case "client":
			t.Client, err = d.name(f.val, f.path)
		case "sub":
			t.Sub, err = d.name(f.val, f.path)
		case "nth":
			t.Nth, err = d.count(f.val, f.path, 1)
		case "msg":
			t.Msg, err = d.count(f.val, f.path, 1)
		case "status":
			t.Status, err = d.status(f.val, f.path)
		case "action":
			t.Action, err = d.between(f.val, f.path, 0, MaxItems-1)
		case "every":
			t.Every, err = d.boolean(f.val, f.path)
		case "delay":
			t.Delay, err = d.duration(f.val, f.path)
		}
	}
	if err != nil {
		return nil, err
	}
	ef := eventFields[t.Event]
	for _, name := range ef.required {
		if !slices.ContainsFunc(fields, func(f field) bool { return f.name == name }) {
			return nil, d.errorf(n.Line, join(path, name), "missing required field (event %s needs %s)", t.Event, strings.Join(ef.required, " and "))
		}
	}
	for _, f := range fields {
		common := f.name == "event" || f.name == "every" || f.name == "delay"
		if !common && !slices.Contains(ef.required, f.name) && !slices.Contains(ef.optional, f.name) {
			return nil, d.errorf(f.line, f.path, "does not apply to event %s (its fields: %s)", t.Event, strings.Join(append(slices.Clone(ef.required), ef.optional...), ", "))
		}
	}
	if t.Nth > 0 && t.Msg > 0 {
		return nil, d.errorf(d.line(join(path, "msg")), join(path, "msg"), "nth and msg both given: want one of them (the Nth callback of the subscription, or the callback on message msg)")
	}
	return t, nil
}

// event decodes an event name.
func (d *decoder) event(n *yaml.Node, path string) (Event, error) {
	s, err := d.scalar(n, path, "an event name", "!!str")
	if err != nil {
		return 0, err
	}
	if i := slices.Index(eventNames[:], s); i > 0 {
		return Event(i), nil
	}
	return 0, d.errorf(n.Line, path, "unknown event %q: want one of %s", s, strings.Join(eventNames[1:], ", "))
}

// status decodes a connection status name.
func (d *decoder) status(n *yaml.Node, path string) (string, error) {
	s, err := d.scalar(n, path, "a connection status", "!!str")
	if err == nil && !slices.Contains(Statuses, s) {
		err = d.errorf(n.Line, path, "unknown status %q: want one of %s", s, strings.Join(Statuses, ", "))
	}
	return s, err
}

// validateTriggers checks that every trigger names a client, subscription,
// action or message that exists (a message while the number of messages
// is bounded, see maxMessages), and that no action waits, through returned
// events, on itself: such an action could never run, and neither could
// every action that waits on it. sub and client look up names as
// validate does.
func (d *decoder) validateTriggers(s *Scenario, client func(path, name string) error, sub func(path, id string) (*Subscription, error)) error {
	msgs, bounded := maxMessages(s)
	for i := range s.Actions {
		t := s.Actions[i].After
		if t == nil {
			continue
		}
		p := index("actions", i) + ".after"
		var err error
		switch {
		case t.Sub != "":
			var target *Subscription
			target, err = sub(p+".sub", t.Sub)
			if err == nil && !target.Type.Callbacks() && (t.Event == CallbackStart || t.Event == CallbackEnd) {
				err = d.errorf(d.line(p+".sub"), p+".sub", "subscription %q is %s: it runs no callbacks, so event %s never happens (the application calls next_msg)", t.Sub, target.Type, t.Event)
			}
		case t.Client != "":
			err = client(p+".client", t.Client)
		}
		if err == nil && t.Msg > msgs && bounded {
			err = d.errorf(d.line(p+".msg"), p+".msg", "no message %d: the scenario publishes at most %d (the counts of its publish actions; only they publish)", t.Msg, msgs)
		}
		if err == nil && t.Event == Returned && (t.Action < 0 || t.Action >= len(s.Actions)) {
			err = d.errorf(d.line(p+".action"), p+".action", "no action %d: the scenario has %d actions (0 to %d)", t.Action, len(s.Actions), len(s.Actions)-1)
		}
		if err != nil {
			return err
		}
	}
	return d.triggerCycle(s)
}

// triggerCycle refuses a cycle of returned triggers: action A runs after
// B returns and B after A (or A after itself). Following each action's
// returned trigger visits every action at most once per walk; a walk that
// comes back to an action on its own path has found a cycle.
func (d *decoder) triggerCycle(s *Scenario) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, len(s.Actions))
	for start := range s.Actions {
		var path []int
		for i := start; state[i] != done; i = s.Actions[i].After.Action {
			if state[i] == onPath {
				var names []string
				for _, j := range path[slices.Index(path, i):] {
					names = append(names, index("actions", j))
				}
				p := index("actions", i) + ".after.action"
				return d.errorf(d.line(p), p, "trigger cycle: %s -> %s each wait for the next to return, so none of them can ever run",
					strings.Join(names, " -> "), index("actions", i))
			}
			state[i] = onPath
			path = append(path, i)
			if t := s.Actions[i].After; t == nil || t.Event != Returned {
				break
			}
		}
		for _, j := range path {
			state[j] = done
		}
	}
	return nil
}

// triggerPairs writes a trigger in the file format.
func triggerPairs(t *Trigger) pairs {
	p := pairs{"event: " + t.Event.String()}
	if t.Client != "" {
		p.add("client", quote(t.Client))
	}
	if t.Sub != "" {
		p.add("sub", quote(t.Sub))
	}
	if t.Nth > 0 {
		p.add("nth", strconv.Itoa(t.Nth))
	}
	if t.Msg > 0 {
		p.add("msg", strconv.Itoa(t.Msg))
	}
	if t.Status != "" {
		p.add("status", t.Status)
	}
	if t.Event == Returned {
		p.add("action", strconv.Itoa(t.Action))
	}
	if t.Every {
		p.add("every", "true")
	}
	if t.Delay != 0 {
		p.add("delay", duration(t.Delay))
	}
	return p
}

// atOrAfter checks that an action has exactly one of at (a time) and
// after (an event).
func (d *decoder) atOrAfter(n *yaml.Node, path string, fields []field) error {
	has := func(name string) bool {
		return slices.ContainsFunc(fields, func(f field) bool { return f.name == name })
	}
	switch at, after := has("at"), has("after"); {
	case at && after:
		p := join(path, "after")
		return d.errorf(d.line(p), p, "both at and after given: want at (a time) or after (an event), not both; put a delay after the event in after.delay")
	case !at && !after:
		return d.errorf(n.Line, join(path, "at"), "missing required field: want at (a time) or after (an event)")
	}
	return nil
}

// maxMessages returns how many messages s can publish at most, when only
// its publish actions publish (each at most once, count messages) so the
// number is bounded; a handler that publishes, replies or requests, a
// request (its reply, or a no-responders status, is a message too) or a
// publish repeated at every event of its trigger makes it unbounded.
func maxMessages(s *Scenario) (n int, bounded bool) {
	for _, sub := range s.Subs {
		for _, a := range sub.Handler.Actions {
			if a.Publish != nil || a.Reply != nil || a.Request != nil {
				return 0, false
			}
		}
	}
	for _, a := range s.Actions {
		switch {
		case a.Request != nil, a.Publish != nil && a.After != nil && a.After.Every:
			return 0, false
		case a.Publish != nil:
			n = min(n+a.Publish.Count, MaxCount)
		}
	}
	return n, true
}
