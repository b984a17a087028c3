package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// Event is one line a driver writes (docs/driver-protocol.md, "Events").
// Times are nanoseconds since the driver's start event.
type Event struct {
	Ev       string    `json:"ev"`
	T        int64     `json:"t"`
	At       int64     `json:"at"`
	Returned int64     `json:"returned"`
	Source   string    `json:"source"`
	Verb     string    `json:"verb"`
	Client   string    `json:"client"`
	Sub      string    `json:"sub"`
	Result   string    `json:"result"`
	Key      string    `json:"key"`
	Status   string    `json:"status"`
	Kind     string    `json:"kind"`
	Error    string    `json:"error"`
	Library  string    `json:"library"`
	Msg      string    `json:"msg"`
	Observes *Observes `json:"observes"`
	LateNS   int64     `json:"late_ns"`
}

// Observes is what a library lets its driver see; the comparison looks at
// nothing else.
type Observes struct {
	// Status maps each model status the driver can tell apart to the name
	// it reports; unmapped statuses are invisible.
	Status     map[string]string `json:"status"`
	Callbacks  []string          `json:"callbacks"`
	SubRemoved bool              `json:"sub_removed"`
	SubClosed  bool              `json:"sub_closed"`
	// SubClosedAsyncOnly: the closed handler exists only for async
	// subscriptions (nats.c's on-complete callback); a sync subscription's
	// is not compared.
	SubClosedAsyncOnly bool `json:"sub_closed_async_only"`
	DrainDone          bool `json:"drain_done"`
	SubDrainDone       bool `json:"sub_drain_done"`
	CallbackEnd        bool `json:"callback_end"`
	LastError          bool `json:"last_error"`
}

// GoObserves is what the in-process nats.go runner sees: everything but a
// drain completion signal, which nats.go does not give (Drain returns at
// once; the closed callback and status are compared instead).
var GoObserves = Observes{
	Status: map[string]string{"CONNECTED": "CONNECTED", "DISCONNECTED": "DISCONNECTED", "RECONNECTING": "RECONNECTING",
		"DRAINING_SUBS": "DRAINING_SUBS", "DRAINING_PUBS": "DRAINING_PUBS", "CLOSED": "CLOSED"},
	Callbacks:  []string{"async_error", "disconnected", "reconnected", "closed"},
	SubRemoved: true, SubClosed: true, CallbackEnd: true, LastError: true,
}

// DriverRun is what a driver reported: the outcome in the model's terms,
// the library it loaded, what it observes, and its log lines.
type DriverRun struct {
	Side     *Side
	Library  string
	Observes Observes
	Log      []string
	Ended    bool // the driver reached its end event
	// Late is the most the driver's timed waits woke late (its end
	// event's late_ns; 0 when the driver does not measure it).
	Late time.Duration
}

// ReadEvents reads a driver's event stream for scenario sc and builds the
// outcome it describes. An event that does not fit the protocol or the
// scenario is an error naming its line.
func ReadEvents(r io.Reader, sc *scenario.Scenario) (*DriverRun, error) {
	rec := NewRecorder(sc)
	sc2 := bufio.NewScanner(r)
	sc2.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc2.Scan(); line++ {
		b := bytes.TrimSpace(sc2.Bytes())
		if len(b) == 0 {
			continue
		}
		var ev Event
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&ev); err != nil {
			return nil, fmt.Errorf("driver output line %d: %w: %.200s", line, err, b)
		}
		if err := rec.Apply(ev); err != nil {
			return nil, fmt.Errorf("driver output line %d: %w", line, err)
		}
	}
	if err := sc2.Err(); err != nil {
		return nil, fmt.Errorf("reading driver output: %w", err)
	}
	return rec.Run(), nil
}

// Recorder builds a model.Outcome from driver events, numbering message
// keys in the order they first appear, as the in-process runner does.
type Recorder struct {
	sc      *scenario.Scenario
	run     DriverRun
	out     model.Outcome
	started bool
	keys    map[int]Key
	ids     map[Key]int
}

// NewRecorder starts an empty outcome for sc.
func NewRecorder(sc *scenario.Scenario) *Recorder {
	r := &Recorder{sc: sc, keys: map[int]Key{}, ids: map[Key]int{}}
	r.out = model.Outcome{Scenario: sc.Name, File: sc.File, Profile: sc.Profile, Seed: sc.Seed,
		Calls: []model.CallOutcome{}, Invariants: []model.Verdict{}, ProfileInferred: []model.InferredOutcome{},
		Stop: model.StopOutcome{Reason: "real"}}
	for _, c := range sc.Clients {
		r.out.Connections = append(r.out.Connections, model.ConnOutcome{Client: c.Name,
			Status: []model.StatusOutcome{}, AsyncErrors: []model.ErrorOutcome{}, Callbacks: []model.CallbackOut{},
			DisconnectedN: []int64{}, ReconnectedN: []int64{}, ClosedN: []int64{}})
	}
	return r
}

func (r *Recorder) id(key Key) int {
	if id, ok := r.ids[key]; ok {
		return id
	}
	id := len(r.ids) + 1
	r.ids[key], r.keys[id] = id, key
	return id
}

func (r *Recorder) conn(name string) (*model.ConnOutcome, error) {
	if c := findConn(&r.out, name); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("unknown client %q", name)
}

func (r *Recorder) sub(id string) (*model.SubOutcome, error) {
	if s := findSub(&r.out, id); s != nil {
		return s, nil
	}
	if r.sc.Sub(id) == nil {
		return nil, fmt.Errorf("unknown subscription %q", id)
	}
	return nil, fmt.Errorf("subscription %q: event before its subscribed event", id)
}

// Apply records one event.
func (r *Recorder) Apply(ev Event) error {
	if !r.started && ev.Ev != "start" && ev.Ev != "log" && ev.Ev != "fatal" {
		return fmt.Errorf("%s event before the start event", ev.Ev)
	}
	switch ev.Ev {
	case "start":
		if r.started {
			return fmt.Errorf("a second start event")
		}
		if ev.Observes == nil {
			return fmt.Errorf("start event without observes")
		}
		r.started = true
		r.run.Library, r.run.Observes = ev.Library, *ev.Observes
		for i := range r.out.Connections {
			if s, ok := ev.Observes.Status["CONNECTED"]; ok {
				r.out.Connections[i].Status = append(r.out.Connections[i].Status, model.StatusOutcome{Status: s})
			}
		}
	case "log":
		r.run.Log = append(r.run.Log, ev.Msg)
	case "fatal":
		return fmt.Errorf("the driver could not run the plan: %s", ev.Error)
	case "end":
		r.run.Ended, r.run.Late = true, time.Duration(ev.LateNS)
	case "call":
		return r.call(ev)
	case "subscribed":
		if r.sc.Sub(ev.Sub) == nil {
			return fmt.Errorf("unknown subscription %q", ev.Sub)
		}
		spec := r.sc.Sub(ev.Sub)
		if findSub(&r.out, ev.Sub) == nil {
			r.out.Subscriptions = append(r.out.Subscriptions, model.SubOutcome{ID: spec.ID, Client: spec.Client,
				Subject: spec.Subject, Queue: spec.Queue, Type: spec.Type.String(), SubscribedNS: ev.T,
				Delivered: []model.DeliveredOut{}, Dropped: []model.DroppedOutcome{}})
		}
	case "deliver":
		s, err := r.sub(ev.Sub)
		if err != nil {
			return err
		}
		s.Delivered = append(s.Delivered, model.DeliveredOut{Msg: r.id(ev.Key), StartNS: ev.T})
	case "handled":
		s, err := r.sub(ev.Sub)
		if err != nil {
			return err
		}
		id := r.id(ev.Key)
		for i := len(s.Delivered) - 1; i >= 0; i-- {
			if d := &s.Delivered[i]; d.Msg == id && d.EndNS == nil {
				t := ev.T
				d.EndNS = &t
				return nil
			}
		}
		return fmt.Errorf("sub %s: handled %q without a matching deliver", ev.Sub, ev.Key)
	case "status":
		c, err := r.conn(ev.Client)
		if err != nil {
			return err
		}
		c.Status = append(c.Status, model.StatusOutcome{Status: ev.Status, AtNS: ev.T})
		if closed, ok := r.run.Observes.Status["CLOSED"]; ok && ev.Status == closed && c.ClosedNS == nil {
			t := ev.T
			c.ClosedNS = &t
		}
	case "callback":
		return r.callback(ev)
	case "drain_done":
		c, err := r.conn(ev.Client)
		if err != nil {
			return err
		}
		if c.Drain == nil {
			return fmt.Errorf("client %s: drain_done without a successful drain call", ev.Client)
		}
		t := ev.T
		c.Drain.DoneNS, c.Drain.Result = &t, ev.Result
	case "sub_drain_done":
		s, err := r.sub(ev.Sub)
		if err != nil {
			return err
		}
		t := ev.T
		s.DrainDoneNS, s.DrainResult = &t, ev.Result
	case "sub_removed", "sub_closed":
		s, err := r.sub(ev.Sub)
		if err != nil {
			return err
		}
		field := &s.RemovedNS
		if ev.Ev == "sub_closed" {
			field = &s.ClosedHandlerNS
		}
		if *field == nil {
			t := ev.T
			*field = &t
		}
	case "last_error":
		c, err := r.conn(ev.Client)
		if err != nil {
			return err
		}
		c.LastError = ev.Error
	default:
		return fmt.Errorf("unknown event %q", ev.Ev)
	}
	return nil
}

func (r *Recorder) call(ev Event) error {
	c := model.CallOutcome{Source: ev.Source, Verb: ev.Verb, Client: ev.Client, Sub: ev.Sub,
		AtNS: ev.At, ReturnedAtNS: ev.Returned, Result: ev.Result}
	if ev.Result == "" {
		return fmt.Errorf("call %s %s: empty result (want ok or an error name)", ev.Source, ev.Verb)
	}
	if ev.Key != "" {
		c.Msg = r.id(ev.Key)
	}
	r.out.Calls = append(r.out.Calls, c)
	if ev.Result != model.OK {
		return nil
	}
	switch ev.Verb {
	case "drain":
		conn, err := r.conn(ev.Client)
		if err != nil {
			return err
		}
		if conn.Drain == nil {
			conn.Drain = &model.DrainOutcome{CalledNS: ev.At}
		}
	case "next_msg":
		if ev.Key == "" {
			return nil
		}
		s, err := r.sub(ev.Sub)
		if err != nil {
			return err
		}
		t := ev.Returned
		s.Delivered = append(s.Delivered, model.DeliveredOut{Msg: c.Msg, StartNS: t, EndNS: &t})
	case "unsubscribe":
		s, err := r.sub(ev.Sub)
		if err != nil {
			return err
		}
		t := ev.Returned
		s.UnsubscribedNS = &t
	case "drain_sub":
		s, err := r.sub(ev.Sub)
		if err != nil {
			return err
		}
		if s.DrainCalledNS == nil {
			t := ev.At
			s.DrainCalledNS = &t
		}
	}
	return nil
}

func (r *Recorder) callback(ev Event) error {
	c, err := r.conn(ev.Client)
	if err != nil {
		return err
	}
	cb := model.CallbackOut{Kind: ev.Kind, AtNS: ev.T, Error: ev.Error, Sub: ev.Sub}
	c.Callbacks = append(c.Callbacks, cb)
	switch ev.Kind {
	case "async_error":
		c.AsyncErrors = append(c.AsyncErrors, model.ErrorOutcome{AtNS: ev.T, Error: ev.Error, Sub: ev.Sub})
	case "disconnected":
		c.DisconnectedN = append(c.DisconnectedN, ev.T)
	case "reconnected":
		c.ReconnectedN = append(c.ReconnectedN, ev.T)
	case "closed":
		c.ClosedN = append(c.ClosedN, ev.T)
	default:
		return fmt.Errorf("unknown callback kind %q", ev.Kind)
	}
	return nil
}

// Run finishes the outcome: a drain that reported ErrDrainTimeout (as its
// result or as an async error) timed out, and a drain's closed time is its
// connection's.
func (r *Recorder) Run() *DriverRun {
	for i := range r.out.Connections {
		c := &r.out.Connections[i]
		if c.Drain == nil {
			continue
		}
		if c.Drain.Result == model.ErrDrainTimeout || slices.ContainsFunc(c.AsyncErrors, func(e model.ErrorOutcome) bool { return e.Error == model.ErrDrainTimeout }) {
			c.Drain.TimedOut = true
		}
		if c.ClosedNS != nil {
			c.Drain.ClosedNS = c.ClosedNS
			d := *c.ClosedNS - c.Drain.CalledNS
			c.Drain.DurationNS = &d
		}
	}
	r.run.Side = &Side{Outcome: &r.out, Keys: r.keys}
	return &r.run
}

// Project returns a copy of o reduced to what obs can see: statuses mapped
// (on the model's side; a driver reports mapped names already) and repeats
// merged, unobserved callbacks, times and results removed.
func (obs *Observes) Project(o *model.Outcome, modelSide bool) *model.Outcome {
	return obs.projectInto(new(model.Outcome), o, modelSide)
}

// projectInto is Project writing the copy over cp, whose connection and
// subscription lists, status and callback lists and drains it reuses:
// agrees projects every perturbed run it compares (they were a tenth of
// what its comparisons allocated). On a zero cp it is Project.
func (obs *Observes) projectInto(cp, o *model.Outcome, modelSide bool) *model.Outcome {
	conns, subs := cp.Connections, cp.Subscriptions
	*cp = *o
	cp.Connections = resized(conns, len(o.Connections))
	seen := func(kind string) bool { return slices.Contains(obs.Callbacks, kind) }
	for i, c := range o.Connections {
		prev := &cp.Connections[i] // what cp held there before, or zero
		pc := c
		pc.Status = resized(prev.Status, 0)
		for _, s := range c.Status {
			name := s.Status
			if modelSide {
				var ok bool
				if name, ok = obs.Status[s.Status]; !ok {
					continue
				}
			}
			if n := len(pc.Status); n > 0 && pc.Status[n-1].Status == name {
				continue
			}
			pc.Status = append(pc.Status, model.StatusOutcome{Status: name, AtNS: s.AtNS})
		}
		pc.Callbacks = resized(prev.Callbacks, 0)
		for _, cb := range c.Callbacks {
			if seen(cb.Kind) {
				pc.Callbacks = append(pc.Callbacks, cb)
			}
		}
		if !seen("async_error") {
			pc.AsyncErrors = []model.ErrorOutcome{}
		}
		if !seen("disconnected") {
			pc.DisconnectedN = []int64{}
		}
		if !seen("reconnected") {
			pc.ReconnectedN = []int64{}
		}
		if !seen("closed") {
			pc.ClosedN = []int64{}
		}
		if !obs.LastError {
			pc.LastError = ""
		}
		if _, ok := obs.Status["CLOSED"]; !ok {
			pc.ClosedNS = nil
		}
		if c.Drain != nil {
			d := prev.Drain
			if d == nil {
				d = new(model.DrainOutcome)
			}
			*d = *c.Drain
			if !obs.DrainDone {
				d.DoneNS, d.Result = nil, ""
			}
			d.ClosedNS = pc.ClosedNS
			pc.Drain = d
		}
		cp.Connections[i] = pc
	}
	cp.Subscriptions = resized(subs, len(o.Subscriptions)) // every element is assigned below
	for i, s := range o.Subscriptions {
		ps := s
		if !obs.SubRemoved {
			ps.RemovedNS = nil
		}
		if !obs.SubClosed || (obs.SubClosedAsyncOnly && s.Type == "sync") {
			ps.ClosedHandlerNS = nil
		}
		if !obs.SubDrainDone {
			ps.DrainDoneNS, ps.DrainResult = nil, ""
		}
		if !obs.CallbackEnd {
			ps.Delivered = slices.Clone(s.Delivered)
			for j := range ps.Delivered {
				ps.Delivered[j].EndNS = nil
			}
		}
		cp.Subscriptions[i] = ps
	}
	return cp
}

// resized returns s with length n, reusing its array when it is large
// enough, or a new one (never nil, as Project's lists are not).
func resized[T any](s []T, n int) []T {
	if s == nil || cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
