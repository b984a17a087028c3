package model

import (
	"slices"
	"sort"

	"github.com/drainsim/drainsim/sim"
)

// OutcomeSchemaVersion is the current Outcome.SchemaVersion.
const OutcomeSchemaVersion = 1

// Outcome is the stable, documented machine-readable summary of a run, as
// printed by `drainsim run --format json`. Field names are part of
// drainsim's interface: add fields, never rename or remove them. Times are
// virtual nanoseconds since the start of the run; a time that was never
// reached is null.
type Outcome struct {
	// SchemaVersion is the version of schema/outcome.schema.json this
	// outcome conforms to, so that a consumer can tell which fields to
	// expect; it goes up when fields are added.
	SchemaVersion int      `json:"schema_version"`
	Scenario      string   `json:"scenario"`
	File          string   `json:"file,omitempty"`
	Profile       string   `json:"profile"`
	Seed          uint64   `json:"seed"`
	Mutations     []string `json:"mutations,omitempty"`
	// ProfileInferred lists the profile's behaviours that the reference
	// only infers from the library's code: the outcome may rest on them.
	ProfileInferred []InferredOutcome `json:"profile_inferred"`
	Stop            StopOutcome       `json:"stop"`
	Calls           []CallOutcome     `json:"calls"`
	Connections     []ConnOutcome     `json:"connections"`
	Subscriptions   []SubOutcome      `json:"subscriptions"`
	Messages        MsgSummary        `json:"messages"`
	// DrainLoss is what the run lost to its drains; like Invariants it
	// is left for the caller (package props) to fill in, and null until
	// then. `drainsim run` always fills it.
	DrainLoss  *LossOutcome `json:"drain_loss"`
	Invariants []Verdict    `json:"invariants"`
}

// LossOutcome is what a run lost to its drains, the loss `drainsim
// explore` estimates the probability of (props.Loss): messages a drain
// dropped (committed to a draining subscription and dropped by the drain,
// its timeout or its close) and messages whose callback was still running
// when the drained connection closed (cut).
type LossOutcome struct {
	Lost    int `json:"lost"` // Dropped + Cut
	Dropped int `json:"dropped"`
	Cut     int `json:"cut"`
	// Subscriptions lists every subscription that lost a message, in
	// subscription order.
	Subscriptions []SubLossOutcome `json:"subscriptions"`
}

// SubLossOutcome is one subscription's loss to drains, as message ids.
type SubLossOutcome struct {
	ID      string `json:"id"`
	Dropped []int  `json:"dropped"`
	Cut     []int  `json:"cut"`
}

// InferredOutcome is one inferred behaviour of the run's profile.
type InferredOutcome struct {
	ID        string `json:"id"`
	Behaviour string `json:"behaviour"`
	Ref       string `json:"ref"`
}

// StopOutcome says how the run ended.
type StopOutcome struct {
	Reason string `json:"reason"` // quiescent, event-budget-exhausted, time-budget-exhausted, record-budget-exhausted
	AtNS   int64  `json:"at_ns"`
	Events uint64 `json:"events"`
	// Records counts the messages, deliveries and calls the run recorded
	// (what limits.max_records bounds).
	Records uint64 `json:"records"`
	// Budget names the limit that stopped the run, as in the scenario's
	// limits (max_events, max_time, max_records), and BudgetValue its
	// value (nanoseconds for max_time); both are empty unless a budget
	// stopped the run.
	Budget      string `json:"budget,omitempty"`
	BudgetValue uint64 `json:"budget_value,omitempty"`
}

// stopOutcome reports how r stopped and, when a budget stopped it, which.
func stopOutcome(r *Result) StopOutcome {
	so := StopOutcome{Reason: r.Stop.Reason.String(), AtNS: int64(r.Stop.Now), Events: r.Stop.Events, Records: r.Stop.Records}
	l := r.Scenario.Limits
	switch r.Stop.Reason {
	case sim.EventBudget:
		so.Budget, so.BudgetValue = "max_events", l.MaxEvents
	case sim.TimeBudget:
		so.Budget, so.BudgetValue = "max_time", uint64(l.MaxTime)
	case sim.RecordBudget:
		so.Budget, so.BudgetValue = "max_records", ledgerBudget(l.MaxRecords) // the cap when none is set
	}
	return so
}

// CallOutcome is one API call made by an action or a handler.
type CallOutcome struct {
	Source       string `json:"source"`
	Verb         string `json:"verb"`
	Client       string `json:"client,omitempty"`
	Sub          string `json:"sub,omitempty"`
	AtNS         int64  `json:"at_ns"`
	ReturnedAtNS int64  `json:"returned_at_ns"`
	Result       string `json:"result"`
	Msg          int    `json:"msg,omitempty"`
	// PendingMsgs and Delivered are what a counters call read:
	// Subscription.Pending()'s message count and Delivered(); omitted for
	// other calls, and each where its call failed.
	PendingMsgs *int   `json:"pending_msgs,omitempty"`
	Delivered   *int64 `json:"delivered,omitempty"`
}

// ConnOutcome is one connection's history.
type ConnOutcome struct {
	Client        string          `json:"client"`
	Status        []StatusOutcome `json:"status"`
	AsyncErrors   []ErrorOutcome  `json:"async_errors"`
	Callbacks     []CallbackOut   `json:"callbacks"`
	DisconnectedN []int64         `json:"disconnected_cb_ns"`
	ReconnectedN  []int64         `json:"reconnected_cb_ns"`
	ClosedN       []int64         `json:"closed_cb_ns"`
	LastError     string          `json:"last_error"`
	Drain         *DrainOutcome   `json:"drain"`
	ClosedNS      *int64          `json:"closed_ns"`
}

// StatusOutcome is one status transition.
type StatusOutcome struct {
	Status string `json:"status"`
	AtNS   int64  `json:"at_ns"`
}

// ErrorOutcome is one async error callback.
type ErrorOutcome struct {
	AtNS  int64  `json:"at_ns"`
	Error string `json:"error"`
	Sub   string `json:"sub,omitempty"`
}

// CallbackOut is one connection callback, in the order the callback queue
// ran them.
type CallbackOut struct {
	Kind  string `json:"kind"`
	AtNS  int64  `json:"at_ns"`
	Error string `json:"error,omitempty"`
	Sub   string `json:"sub,omitempty"`
}

// DrainOutcome summarises a connection drain.
type DrainOutcome struct {
	CalledNS   int64  `json:"called_ns"`
	DeadlineNS *int64 `json:"deadline_ns"`
	TimedOut   bool   `json:"timed_out"`
	ClosedNS   *int64 `json:"closed_ns"`
	DurationNS *int64 `json:"duration_ns"` // from Drain to CLOSED
	// DoneNS is when the drain signalled its completion (callback,
	// promise, future, closed handler), null if it never did; Result is
	// what it signalled: "ok" or ErrDrainTimeout ("" if never).
	DoneNS *int64 `json:"done_ns"`
	Result string `json:"result"`
}

// SubOutcome is one subscription's history.
type SubOutcome struct {
	ID               string `json:"id"`
	Client           string `json:"client"`
	Subject          string `json:"subject"`
	Queue            string `json:"queue,omitempty"`
	Type             string `json:"type"`
	Mux              bool   `json:"response_mux,omitempty"`
	Sid              int    `json:"sid"`
	SubscribedNS     int64  `json:"subscribed_ns"`
	UnsubscribedNS   *int64 `json:"unsubscribed_ns"`
	DrainCalledNS    *int64 `json:"drain_called_ns"`
	UnsubProcessedNS *int64 `json:"unsub_processed_ns"`
	BarrierNS        *int64 `json:"barrier_ns"`
	RemovedNS        *int64 `json:"removed_ns"`
	RemovedBy        string `json:"removed_by,omitempty"`
	ClosedHandlerNS  *int64 `json:"closed_handler_ns"`
	// DrainDoneNS is when a subscription drain signalled its completion
	// (where the library signals it), DrainResult what it signalled.
	DrainDoneNS *int64           `json:"drain_done_ns"`
	DrainResult string           `json:"drain_result,omitempty"`
	Delivered   []DeliveredOut   `json:"delivered"`
	Dropped     []DroppedOutcome `json:"dropped"`
	Pending     []int            `json:"pending_at_end,omitempty"`
	// StatusEvents are the status changes a StatusChanged listener saw
	// (scenario status_events: true): Active, Draining, SlowConsumer,
	// Closed (nats.go's names).
	StatusEvents []StatusOutcome `json:"status_events,omitempty"`
	// ClosedHandlerCalls is how many times the closed handler ran, when
	// more than once (a sync or chan subscription drained twice); omitted
	// otherwise.
	ClosedHandlerCalls int `json:"closed_handler_calls,omitempty"`
}

// DeliveredOut is one message handed to the application, in order: a
// callback that started (or a message NextMsg returned), as a real library
// reports it. A callback the connection's close cancelled (Cancelled) is
// listed here because it started, but its message counts as dropped
// (reason cancelled), not handled: each delivery has one fate.
type DeliveredOut struct {
	Msg     int    `json:"msg"`
	StartNS int64  `json:"start_ns"`
	EndNS   *int64 `json:"end_ns"`
	// Cancelled: the close cancelled the callback (Profile.
	// CloseCancelsCallbacks); the message is among Dropped.
	Cancelled bool `json:"cancelled,omitempty"`
	// LateAfterUnsub: the server sent it after processing the
	// subscription's UNSUB (the fast-producer stall hole).
	LateAfterUnsub bool `json:"late_after_unsub,omitempty"`
}

// DroppedOutcome is one message committed to the subscription that never
// reached the application.
type DroppedOutcome struct {
	Msg      int    `json:"msg"`
	Reason   string `json:"reason"`
	AtNS     int64  `json:"at_ns"`
	Draining bool   `json:"during_drain"`
	// LateAfterUnsub: the server sent it after processing the
	// subscription's UNSUB (the fast-producer stall hole), so its loss is
	// the server's, not the drain's.
	LateAfterUnsub bool `json:"late_after_unsub,omitempty"`
}

// MsgSummary counts message and delivery fates.
type MsgSummary struct {
	Published    int            `json:"published"`
	Refused      int            `json:"refused"`
	NoInterest   int            `json:"no_interest"`
	Routed       int            `json:"routed"`
	LostUnsent   int            `json:"lost_unsent"`
	LostInFlight int            `json:"lost_in_flight"`
	Deliveries   int            `json:"deliveries"`
	Handled      int            `json:"handled"`
	InCallback   int            `json:"in_callback_at_end"`
	Dropped      map[string]int `json:"dropped"`

	// LateAfterUnsub counts deliveries the server sent after processing
	// their subscription's UNSUB (the fast-producer stall hole).
	LateAfterUnsub int `json:"late_after_unsub"`
}

// Verdict is the result of checking one invariant over a run.
type Verdict struct {
	ID        string `json:"id"`
	Statement string `json:"statement"`
	Holds     bool   `json:"holds"`
	// NotApplicable: the invariant holds because the run never reached
	// the situation it is about (no drain, no queue group, ...), so the
	// run did not test it. Omitted when false.
	NotApplicable bool   `json:"not_applicable,omitempty"`
	Detail        string `json:"detail,omitempty"`
}

func nsPtr(t sim.Time) *int64 {
	if t == NoTime {
		return nil
	}
	v := int64(t)
	return &v
}

// Outcome summarises the result. Invariant verdicts are left empty for the
// caller (package props) to fill in.
func (r *Result) Outcome() *Outcome {
	o := new(Outcome)
	r.OutcomeInto(o)
	return o
}

// OutcomeInto is Outcome written over o: it overwrites every field of o
// and reuses the memory of o's call, connection, subscription, inferred
// behaviour, mutation and verdict lists and of its dropped counts, so that
// a caller summarising many runs one after the other (conformance.
// Replayable compares a scenario's run with 13 perturbed ones) allocates
// them once. Anything read from o before (its slices, its map) is
// overwritten. On a zero o it builds exactly what Outcome returns: the
// same code, with nothing to reuse.
func (r *Result) OutcomeInto(o *Outcome) {
	calls, conns, subs := emptyList(o.Calls), o.Connections[:0], emptyList(o.Subscriptions)
	inferred, mutations, invariants, dropped := emptyList(o.ProfileInferred), o.Mutations[:0], emptyList(o.Invariants), o.Messages.Dropped
	if dropped == nil {
		dropped = map[string]int{}
	}
	clear(dropped)
	*o = Outcome{
		SchemaVersion: OutcomeSchemaVersion,
		Scenario:      r.Scenario.Name, File: r.Scenario.File, Profile: r.Profile.Name, Seed: r.Seed,
		Stop:            stopOutcome(r),
		Calls:           slices.Grow(calls, r.NumCalls()), // one per call: grown by append, it was most of what Outcome allocated
		Connections:     conns,
		Mutations:       mutations,
		Invariants:      invariants,
		ProfileInferred: inferred,
	}
	for _, inf := range r.Profile.Inferred {
		o.ProfileInferred = append(o.ProfileInferred, InferredOutcome{ID: inf.ID, Behaviour: inf.Behaviour, Ref: inf.Ref})
	}
	for _, m := range Mutations() {
		if r.Mutations.Has(m) {
			o.Mutations = append(o.Mutations, m.Name())
		}
	}
	records := r.Calls()
	for i := range records {
		c := &records[i]
		co := CallOutcome{Source: r.Str(c.Source), Verb: r.Str(c.Verb), Client: r.Str(c.Client), Sub: r.Str(c.Sub),
			AtNS: int64(c.At), ReturnedAtNS: int64(c.ReturnedAt), Result: r.Str(c.Result), Msg: c.Msg}
		if n := r.Counters(c); n != nil {
			co.PendingMsgs, co.Delivered = n.PendingMsgs, n.Delivered
		}
		o.Calls = append(o.Calls, co)
	}
	for _, c := range r.Conns {
		co := ConnOutcome{Client: r.Str(c.Client), LastError: r.Str(c.LastError), ClosedNS: nsPtr(c.ClosedAt),
			AsyncErrors: []ErrorOutcome{}, Callbacks: []CallbackOut{},
			DisconnectedN: []int64{}, ReconnectedN: []int64{}, ClosedN: []int64{}}
		for _, s := range c.Status {
			co.Status = append(co.Status, StatusOutcome{Status: s.Status.String(), AtNS: int64(s.At)})
		}
		for _, cb := range c.Callbacks {
			at, kind, err, sub := int64(cb.At), r.Str(cb.Kind), r.Str(cb.Error), r.Str(cb.Sub)
			co.Callbacks = append(co.Callbacks, CallbackOut{Kind: kind, AtNS: at, Error: err, Sub: sub})
			switch kind {
			case "async_error":
				co.AsyncErrors = append(co.AsyncErrors, ErrorOutcome{AtNS: at, Error: err, Sub: sub})
			case "disconnected":
				co.DisconnectedN = append(co.DisconnectedN, at)
			case "reconnected":
				co.ReconnectedN = append(co.ReconnectedN, at)
			case "closed":
				co.ClosedN = append(co.ClosedN, at)
			}
		}
		if c.DrainCalledAt != NoTime {
			d := &DrainOutcome{CalledNS: int64(c.DrainCalledAt), DeadlineNS: nsPtr(c.DrainDeadline),
				TimedOut: c.DrainTimedOut, ClosedNS: nsPtr(c.ClosedAt), DoneNS: nsPtr(c.DrainDoneAt), Result: r.Str(c.DrainResult)}
			if c.ClosedAt != NoTime {
				v := int64(c.ClosedAt - c.DrainCalledAt)
				d.DurationNS = &v
			}
			co.Drain = d
		}
		o.Connections = append(o.Connections, co)
	}
	subs = slices.Grow(subs, len(r.Subs))[:len(r.Subs)] // every element is assigned below
	for i, s := range r.Subs {
		so := SubOutcome{ID: s.ID, Client: r.Str(s.Client), Subject: r.Str(s.Subject), Queue: r.Str(s.Queue), Type: s.Type.String(),
			Mux: s.Mux, Sid: s.Sid, SubscribedNS: int64(s.SubscribedAt),
			UnsubscribedNS: nsPtr(s.UnsubReturnedAt), DrainCalledNS: nsPtr(s.DrainCalledAt),
			UnsubProcessedNS: nsPtr(s.UnsubProcessedAt), BarrierNS: nsPtr(s.BarrierAt),
			RemovedNS: nsPtr(s.RemovedAt), RemovedBy: r.Str(s.RemovedBy), ClosedHandlerNS: nsPtr(s.ClosedHandlerAt),
			DrainDoneNS: nsPtr(s.DrainDoneAt), DrainResult: r.Str(s.DrainResult),
			Delivered: []DeliveredOut{}, Dropped: []DroppedOutcome{}}
		if s.ClosedHandlerCalls > 1 {
			so.ClosedHandlerCalls = s.ClosedHandlerCalls
		}
		for _, e := range s.StatusEvents {
			so.StatusEvents = append(so.StatusEvents, StatusOutcome{Status: e.Status, AtNS: int64(e.At)})
		}
		for _, h := range s.Handled() {
			d := &r.Ledger.Deliveries[h.Delivery]
			so.Delivered = append(so.Delivered, DeliveredOut{Msg: h.Msg, StartNS: int64(h.Start), EndNS: nsPtr(h.End),
				Cancelled: d.Fate == DlvDropped && d.Reason == DropCancelled, LateAfterUnsub: d.AfterUnsub})
		}
		subs[i] = so
	}
	sum := MsgSummary{Dropped: dropped}
	for i := range r.Ledger.Messages {
		m := &r.Ledger.Messages[i]
		if m.Status != 0 {
			continue
		}
		sum.Published++
		switch m.Fate {
		case MsgRefused:
			sum.Refused++
		case MsgNoInterest:
			sum.NoInterest++
		case MsgRouted:
			sum.Routed++
		case MsgLostUnsent:
			sum.LostUnsent++
		case MsgLostInFlight:
			sum.LostInFlight++
		}
	}
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		sum.Deliveries++
		if d.AfterUnsub {
			sum.LateAfterUnsub++
		}
		switch d.Fate {
		case DlvHandled, DlvTaken:
			sum.Handled++
		case DlvInCallback:
			sum.InCallback++
		case DlvDropped:
			sum.Dropped[d.Reason.String()]++
			so := &subs[d.Sub]
			if d.Reason == DropRunEnded && d.ArrivedAt != NoTime {
				so.Pending = append(so.Pending, int(d.Msg))
			}
			so.Dropped = append(so.Dropped, DroppedOutcome{Msg: int(d.Msg), Reason: d.Reason.String(), AtNS: int64(d.DroppedAt), Draining: d.Draining,
				LateAfterUnsub: d.AfterUnsub})
		}
	}
	for i := range subs {
		sort.SliceStable(subs[i].Dropped, func(a, b int) bool { return subs[i].Dropped[a].Msg < subs[i].Dropped[b].Msg })
	}
	o.Subscriptions = subs
	o.Messages = sum
	if len(o.Connections) == 0 { // as Outcome has them when empty: connections null, no mutations
		o.Connections = nil
	}
	if len(o.Mutations) == 0 {
		o.Mutations = nil
	}
}

// emptyList returns s emptied, keeping its memory, or a new empty
// (non-nil) slice for a nil s: the lists Outcome writes as [] even when
// empty, never as null.
func emptyList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s[:0]
}
