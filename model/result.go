package model

import (
	"iter"
	"slices"
	"sync"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Result is everything a finished run leaves behind: the message ledger,
// the trace, and records of each subscription, connection and API call.
// Invariants are checked over a Result; the model itself asserts nothing.
type Result struct {
	Scenario  *scenario.Scenario
	Profile   *Profile
	Seed      uint64
	Mutations MutationSet
	Stop      sim.Outcome
	Ledger    *Ledger
	Trace     *sim.Trace // nil when the run was not traced
	Subs      []*SubRecord
	Conns     []*ConnRecord
	// calls are the API calls as the run recorded them: a record stands
	// for itself and, where folds lists it, the calls after it that repeat
	// it but for each publishing the next message (World.callAt), so that
	// a publish action's burst is one record, not 48 bytes a message.
	// numCalls counts the calls.
	calls    []CallRecord
	folds    []callFold
	numCalls int
	// callList is what Calls returns: calls itself when no record stands
	// for more than one call, else expanded, in which Calls' first call
	// (once, as concurrent readers may call it) lists every call, in the
	// memory the Runner's previous run's list had (takeResult): most of a
	// plain Run's callers (a benchmark, the explorer) never list them.
	callList    []CallRecord
	expanded    []CallRecord
	callsListed sync.Once
	// counters holds what each counters action read, kept out of
	// CallRecord so that it holds no pointers.
	counters []Counters

	// connByName and subByID index Conns and Subs for Conn and Sub, which
	// the invariants call per delivery: a run may have a million clients.
	// A Result built by hand has neither and is searched.
	//
	// A run's Result (indexesConns) builds connByName on Conn's first call
	// (indexConns, once, as concurrent readers may call it), in the map it
	// holds, the Runner's previous run's, if any (takeResult), as it does
	// subByID: filled by the set-up, a plain Run of a thousand clients
	// made a 53 KB map every run, and hashed each name into it while the
	// clients' other lines were being set up (Scale/clients=1k).
	connByName   map[string]*ConnRecord
	connsIndexed sync.Once
	indexesConns bool
	// A run's Result (indexesSubs) builds subByID on Sub's first call
	// (indexSubs, once, as concurrent readers may call it), in the map it
	// holds, the Runner's previous run's, if any (takeResult): most runs'
	// callers look no subscription up, and a plain Run of a thousand
	// subscriptions made and filled a 53 KB map every run.
	subByID     map[string]*SubRecord
	subsIndexed sync.Once
	indexesSubs bool
}

// SubRecord is the life of one client subscription. Its strings but ID
// are interned in the run's ledger (Result.Str reads them), as the
// per-message records' are: a run of a thousand subscriptions writes a
// thousand records, and each string was 16 bytes and a pointer slot that
// set-up wrote (through the write barrier while the collector marked)
// and the collector scanned, where a Str is 4 bytes and no pointer. ID
// stays a string: the scenario's own, which no run interns otherwise, so
// interning it would add a map insert per subscription. A record is 192
// bytes, three cache lines (TestSubRecordLines).
type SubRecord struct {
	ID      string // scenario id; "<client>.respmux" for the response mux
	Client  Str
	Subject Str
	Queue   Str
	index   int32 // in Result.Subs; beside the Strs, in their words
	Type    scenario.SubType
	Mux     bool // the connection's request/response subscription
	Sid     int

	SubscribedAt sim.Time
	// UnsubReturnedAt is when a successful Unsubscribe returned.
	UnsubReturnedAt sim.Time
	// DrainCalledAt is when the first Drain of this subscription returned nil.
	DrainCalledAt sim.Time
	// UnsubProcessedAt is when the server removed the subscription (UNSUB,
	// auto-unsubscribe limit reached, or connection closed).
	UnsubProcessedAt sim.Time
	// BarrierAt is when the drain's PING/PONG barrier returned.
	BarrierAt sim.Time
	// RemovedAt is when the client removed the subscription, and RemovedBy
	// why: "drain", "unsubscribe", "max" or "close".
	RemovedAt sim.Time
	// ClosedHandlerAt is when the subscription's closed handler ran: after
	// the last callback returned for async subscriptions.
	ClosedHandlerAt sim.Time
	// DrainDoneAt is when a subscription drain signalled its completion
	// (profiles with SubDrainResult), NoTime if it never did; DrainResult is
	// what it signalled: "ok" or ErrDrainTimeout.
	DrainDoneAt sim.Time
	// RemovedBy and DrainResult (above) share a word, after the times.
	RemovedBy   Str
	DrainResult Str
	// ClosedHandlerCalls counts the closed handler's runs: once for an
	// async subscription; for a sync or chan one, once per removeSub call
	// (two for a double drain) and once at the connection's close.
	ClosedHandlerCalls int
	// StatusEvents are the subscription's status changes, for a
	// subscription whose scenario listens to them (StatusEvents).
	StatusEvents []SubStatusEvent

	// handed lists, in order, every message handed to the application
	// (Handled reads them): in a run's record, each one's delivery in
	// ledger, whose times are the handing's (Ledger.handled), 4 bytes a
	// message where a Handled copy of them was 32; in a record built by
	// hand (SetHandled), none, and byHand holds them (a pointer: 8 bytes of
	// every run's record, not 24).
	handed []int32
	ledger *Ledger
	byHand *[]Handled
}

// Handled is one message handed to the application: a callback with its
// start and end, or a message NextMsg returned (Start and End both when it
// returned it).
type Handled struct {
	Msg      int
	Delivery int // index in the ledger's Deliveries; -1 in a record built from a real run's outcome
	Start    sim.Time
	End      sim.Time // NoTime if the callback never returned
}

// Handled returns, in order, every message handed to the application,
// with its position in the list.
func (s *SubRecord) Handled() iter.Seq2[int, Handled] {
	return func(yield func(int, Handled) bool) {
		for i := range s.NumHandled() {
			if !yield(i, s.HandledAt(i)) {
				return
			}
		}
	}
}

// NumHandled returns how many messages were handed to the application.
func (s *SubRecord) NumHandled() int {
	if s.ledger == nil {
		return len(s.handMade())
	}
	return len(s.handed)
}

// HandledAt returns the ith message handed to the application.
func (s *SubRecord) HandledAt(i int) Handled {
	if s.ledger == nil {
		return s.handMade()[i]
	}
	return s.ledger.handled(s.handed[i])
}

// handMade returns the handled list of a record built by hand, none if
// SetHandled never gave it one.
func (s *SubRecord) handMade() []Handled {
	if s.byHand == nil {
		return nil
	}
	return *s.byHand
}

// SetHandled gives a record built by hand, not by a run (a real run's
// outcome, a test's records), the messages its subscription handed to the
// application.
func (s *SubRecord) SetHandled(hs []Handled) {
	s.handed, s.ledger, s.byHand = nil, nil, &hs
}

// ConnRecord is the life of one client connection. Its strings are
// interned in the run's ledger (Result.Str reads them), as SubRecord's
// are: a plain Run of a thousand clients writes a thousand records anew,
// and each string was 16 bytes and a pointer slot that the run wrote
// (through the write barrier while the collector marked) and the
// collector scanned, where a Str is 4 bytes and no pointer. A record is
// 112 bytes with two pointer words, its lists (TestConnRecordLayout).
type ConnRecord struct {
	Client    Str
	LastError Str // 0 ("") when none
	// DrainResult is what the drain signalled when it closed the
	// connection (DrainDoneAt): "ok" or ErrDrainTimeout.
	DrainResult Str
	// FinalFlushErr is the error of the drain's final flush (FinalFlushAt),
	// "" for success.
	FinalFlushErr Str
	Status        []StatusChange
	Callbacks     []CallbackEvent
	// DrainCalledAt is when the first Drain of the connection returned nil.
	DrainCalledAt sim.Time
	// DrainDeadline is when the drain's timeout would fire, NoTime when
	// the drain has none (or its clock never started).
	DrainDeadline sim.Time
	// DrainTimedOut is set when the drain reported ErrDrainTimeout.
	DrainTimedOut bool
	// ClosedAt is when the status became CLOSED.
	ClosedAt sim.Time
	// DrainDoneAt is when the drain closed the connection and signalled its
	// completion (callback, promise, future, closed handler), NoTime if it
	// never did; DrainResult (above) is what it signalled.
	DrainDoneAt sim.Time
	// FinalFlushAt is when the drain's final flush (after DRAINING_PUBS)
	// returned, NoTime if it never did, and FinalFlushErr (above) its
	// error: a successful final flush proves the server processed every
	// publish made before it.
	FinalFlushAt sim.Time
}

// StatusChange is one transition of a connection's status.
type StatusChange struct {
	At     sim.Time
	Status Status
}

// CallbackEvent is one run of a connection callback (async error,
// disconnected, reconnected, closed), in the order the callback queue ran
// them. Its strings are interned in the run's ledger (Result.Str reads
// them): 24 bytes and no pointer, where three strings made it 56.
type CallbackEvent struct {
	At    sim.Time
	Kind  Str // "async_error", "disconnected", "reconnected", "closed", "lame_duck"
	Error Str // for async errors
	Sub   Str // the subscription an async error names, if any
}

// CallRecord is one API call made by a scenario action or a handler. Like
// Message, it names its strings by Str (Result.Str reads them) and holds
// no pointers (TestRecordsPointerFree).
type CallRecord struct {
	At         sim.Time
	ReturnedAt sim.Time
	Msg        int // message published or received, when there is one
	Source     Str // "actions[3]" or "<sub>#<n>" for the nth callback of sub
	Verb       Str
	Client     Str
	Sub        Str
	Result     Str // "ok" or an error name
	// counters is 1 + the index in Result.counters of what a counters
	// action read, 0 for other calls (Result.Counters reads it).
	counters int32
}

// callFold is a record of Result.calls that stands for more calls than
// itself: the record at index rec and the more after it, the nth of which
// published message Msg+n.
type callFold struct {
	rec, more int
}

// Calls returns every API call, in the order the calls returned.
func (r *Result) Calls() []CallRecord {
	r.callsListed.Do(r.listCalls)
	return r.callList
}

// listCalls makes callList: calls, or every call of calls expanded.
func (r *Result) listCalls() {
	if len(r.calls) == r.numCalls {
		r.callList = r.calls
		return
	}
	r.expanded = slices.Grow(r.expanded[:0], r.numCalls)
	next := 0 // the records before calls[next] are listed
	for _, f := range r.folds {
		r.expanded = append(r.expanded, r.calls[next:f.rec+1]...)
		c := r.calls[f.rec]
		for range f.more {
			c.Msg++
			r.expanded = append(r.expanded, c)
		}
		next = f.rec + 1
	}
	r.callList = append(r.expanded, r.calls[next:]...)
	r.expanded = r.callList
}

// NumCalls returns how many API calls the run made, as len(r.Calls())
// does without listing them.
func (r *Result) NumCalls() int { return r.numCalls }

// join counts a call made at at, returning at returned with result and
// publishing msg, in the last record, made at the same call site, when
// the call repeats the record's last call but for publishing the next
// message; it reports whether it did. The site fixes the record's source,
// verb, client and subscription, and no publish reads counters.
func (r *Result) join(at, returned sim.Time, result Str, msg int) bool {
	n := len(r.calls)
	l, f, more := &r.calls[n-1], len(r.folds)-1, 0
	if f >= 0 && r.folds[f].rec == n-1 {
		more = r.folds[f].more
	}
	if !repeats(l, more, at, returned, result, msg) {
		return false
	}
	if more == 0 {
		r.folds = append(r.folds, callFold{rec: n - 1})
		f++
	}
	r.folds[f].more++
	return true
}

// repeats reports whether a call made at at, returning at returned with
// result and publishing msg, repeats record c, with more calls joined to
// it, but for publishing the next message (join).
func repeats(c *CallRecord, more int, at, returned sim.Time, result Str, msg int) bool {
	return msg != 0 && msg == c.Msg+more+1 && at == c.At && returned == c.ReturnedAt && result == c.Result
}

// foldJoining returns the index in folds of the last record's fold when
// the record has one (a call joined it) and a call made at at, returning
// at returned with result and publishing msg, joins it as well; -1
// otherwise. A publish burst (World.publishBurst) then counts its calls
// into the fold without a join each.
func (r *Result) foldJoining(at, returned sim.Time, result Str, msg int) int {
	n, f := len(r.calls), len(r.folds)-1
	if f < 0 || r.folds[f].rec != n-1 || !repeats(&r.calls[n-1], r.folds[f].more, at, returned, result, msg) {
		return -1
	}
	return f
}

// SetCalls gives a Result built by hand, not by a run (a real run's
// outcome, a test's records), its calls.
func (r *Result) SetCalls(calls []CallRecord) {
	r.calls, r.folds, r.numCalls, r.callList = calls, nil, len(calls), calls
}

// Counters are a subscription's counters as a counters action read them
// (nats.go's Subscription.Pending and Delivered): each nil where its call
// returned an error (the action's Result names the first such error).
type Counters struct {
	PendingMsgs *int
	Delivered   *int64
}

// Counters returns what the counters action c read, nil for other calls.
func (r *Result) Counters(c *CallRecord) *Counters {
	if c.counters == 0 {
		return nil
	}
	return &r.counters[c.counters-1]
}

// Sub returns the record of the subscription with the given id, or nil.
func (r *Result) Sub(id string) *SubRecord {
	if r.indexesSubs {
		r.subsIndexed.Do(r.indexSubs)
		return r.subByID[id]
	}
	for _, s := range r.Subs {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// indexConns indexes every connection record under its client's name; a
// later record of a name replaces an earlier one, as when the run indexed
// each as it appended it.
func (r *Result) indexConns() {
	r.connByName = reuse(r.connByName, len(r.Conns))
	for _, c := range r.Conns {
		r.connByName[r.Str(c.Client)] = c
	}
}

// indexSubs indexes every subscription record under its id, unless an
// earlier record has that id (Sub returns the first).
func (r *Result) indexSubs() {
	r.subByID = reuse(r.subByID, len(r.Subs))
	for _, s := range r.Subs {
		if _, ok := r.subByID[s.ID]; !ok {
			r.subByID[s.ID] = s
		}
	}
}

// Conn returns the record of the named client, or nil.
func (r *Result) Conn(name string) *ConnRecord {
	if r.indexesConns {
		r.connsIndexed.Do(r.indexConns)
		return r.connByName[name]
	}
	for _, c := range r.Conns {
		if r.Str(c.Client) == name {
			return c
		}
	}
	return nil
}

// Status is a client connection's state.
type Status uint8

// Connection states, as in nats.go.
const (
	Connected Status = iota
	Disconnected
	Closed
	Reconnecting
	DrainingSubs
	DrainingPubs
)

var statusNames = [...]string{"CONNECTED", "DISCONNECTED", "CLOSED", "RECONNECTING", "DRAINING_SUBS", "DRAINING_PUBS"}

func (s Status) String() string { return statusNames[s] }
