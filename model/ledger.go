package model

import (
	"slices"
	"strconv"

	"github.com/drainsim/drainsim/sim"
)

// Error names returned by API calls and reported to async error callbacks.
// They are the Go client's names; other profiles map their own errors onto
// the closest of these.
const (
	OK                      = "ok"
	ErrConnectionClosed     = "ErrConnectionClosed"
	ErrConnectionDraining   = "ErrConnectionDraining"
	ErrConnectionReconnect  = "ErrConnectionReconnecting"
	ErrDrainTimeout         = "ErrDrainTimeout"
	ErrTimeout              = "ErrTimeout"
	ErrBadSubscription      = "ErrBadSubscription"
	ErrSlowConsumer         = "ErrSlowConsumer"
	ErrMaxPayload           = "ErrMaxPayload"
	ErrReconnectBufExceeded = "ErrReconnectBufExceeded"
	ErrNoResponders         = "ErrNoResponders"
	ErrMaxMessages          = "ErrMaxMessages"
	ErrTypeSubscription     = "ErrTypeSubscription"
	ErrMsgNoReply           = "ErrMsgNoReply"
	ErrNoServers            = "ErrNoServers"
	ErrEOF                  = "EOF"
	// ErrStaleConnection: the client's PING timer found more than
	// max_pings_out PINGs unanswered (nats.go processPingTimer).
	ErrStaleConnection = "ErrStaleConnection"
	// ErrConnectionRefused is a reconnect attempt that found no server
	// listening (ReconnectAtOnce profiles report it).
	ErrConnectionRefused = "ErrConnectionRefused"
	// ErrAlreadySubscribed is drainsim's own: a scenario subscribed the same
	// deferred subscription twice.
	ErrAlreadySubscribed = "ErrAlreadySubscribed"
)

// NoTime marks a ledger timestamp that was never reached.
const NoTime = sim.Time(-1)

// MsgFate is what became of a published message as a whole.
type MsgFate uint8

// Message fates. MsgInTransit is the only non-terminal one; a finished run
// has none left (they become MsgLostInFlight with the run-ended reason).
const (
	MsgInTransit    MsgFate = iota // in the publisher's buffer or on the wire
	MsgRefused                     // the publish call returned an error
	MsgLostUnsent                  // discarded from the publisher's buffer
	MsgLostInFlight                // lost on the wire or in a dead server
	MsgNoInterest                  // the server found no eligible subscription
	MsgRouted                      // the server committed it to at least one subscription
)

var msgFateNames = [...]string{"in_transit", "refused", "lost_unsent", "lost_in_flight", "no_interest", "routed"}

func (f MsgFate) String() string { return msgFateNames[f] }

// Message is the ledger entry of one published message. Its fields are
// ordered so that it packs into 64 bytes, one cache line
// (TestRecordsPack): a message in flight is written by its publisher and
// read and written again by the server long after, out of cache, so every
// byte of it costs three times (the allocator's clearing of a fresh
// record, and two trips to memory).
// Its strings are interned in the ledger (Ledger.Str reads them), so that
// it holds no pointers: a million of them are neither scanned by the GC
// nor spread over the heap (TestRecordsPointerFree).
type Message struct {
	ID          int
	Size        int
	Headers     int // encoded header bytes (scenario publish headers:), 0 for none
	PublishedAt sim.Time
	AcceptedAt  sim.Time // when the server processed the PUB
	From        Str      // publishing client, or "server" for a no-responders status
	Subject     Str
	Reply       Str
	Error       Str    // why the publish was refused, when Fate is MsgRefused
	LostReason  Str    // why it was lost, for MsgLostUnsent and MsgLostInFlight
	Status      uint16 // 503 for a no-responders status message, else 0
	Fate        MsgFate
}

// DeliveryFate is what became of one message committed to one subscription.
type DeliveryFate uint8

// Delivery fates. DlvPending is non-terminal; at the end of a run every
// pending delivery is dropped with DropRunEnded or left DlvInCallback.
const (
	DlvPending    DeliveryFate = iota // in the server's FIFO, on the wire or queued
	DlvInCallback                     // its callback started and has not returned
	DlvHandled                        // its callback returned
	DlvTaken                          // NextMsg returned it
	DlvDropped                        // dropped; see Reason
)

var dlvFateNames = [...]string{"pending", "in_callback", "handled", "taken", "dropped"}

func (f DeliveryFate) String() string { return dlvFateNames[f] }

// DropReason names why a delivery never reached the application.
type DropReason uint8

// Drop reasons.
const (
	DropNone         DropReason = iota
	DropSlowConsumer            // over the subscription's pending limits
	DropUnknownSid              // arrived after the client removed the subscription
	DropSubClosed               // queued when the subscription was closed or removed
	DropConnClosed              // queued or in flight when the connection closed
	DropDisconnect              // in the server's FIFO or on the wire when the link broke
	DropMaxReached              // beyond the auto-unsubscribe limit
	DropRunEnded                // still pending when the run ended
	DropDuplicate               // (mutation) a second copy; never a real fate
	DropCancelled               // its callback was cancelled when the connection closed
	// DropServerSlowConsumer: in the server's outbound buffer when the
	// server closed the connection for exceeding max_pending, without
	// flushing (docs/server.md#slow-consumers).
	DropServerSlowConsumer
	// DropServerStalled: not sent, because the subscriber's connection was
	// over 75 % of max_pending and no_fast_producer_stall is set.
	DropServerStalled
	// DropReadLoopDead: arrived after the client's read loop died
	// (TimeoutCancelsSubDrains); nothing read it.
	DropReadLoopDead
	// DropRouteNoInterest: routed from another server on this server's
	// interest, it arrived after the subscription had gone (a plain
	// subscription); the topology, not the client, let it fly
	// (docs/cluster.md#drops).
	DropRouteNoInterest
	// DropRouteNoFallback: routed from another server to a queue group
	// that had no member left here and no route entry to hand it on to.
	DropRouteNoFallback
	// DropLeafEcho: routed from another server to a queue group that had
	// no member left here, whose only entry to hand it on to was a leaf
	// connection to the cluster the message came from, which leaf echo
	// suppression forbids (docs/cluster.md#leaf-nodes).
	DropLeafEcho
	// DropNoGatewayFallback: routed inside its cluster to a queue group
	// that had no member left here, whose remaining members were in
	// another cluster: gateways are tried only where a message enters the
	// cluster (docs/cluster.md#gateways).
	DropNoGatewayFallback
	// DropServerShutdown: routed toward a subscription whose connection
	// its server closed as it went down (a lame-duck eviction, its
	// shutdown, a restart), it arrived after the close
	// (docs/cluster.md#lame-duck-mode).
	DropServerShutdown
	// DropForceReconnect: queued by the server or on the wire when the
	// client's LameDuckModeHandler called ForceReconnect, or routed toward
	// that connection and arriving after it closed.
	DropForceReconnect
	// DropLinkCut: routed toward another server, it was on the route, leaf
	// connection or gateway when a cut_link broke it
	// (docs/cluster.md#cutting-a-link).
	DropLinkCut
)

var dropNames = [...]string{"", "slow_consumer", "unknown_sid", "sub_closed", "conn_closed", "disconnect", "max_reached", "run_ended", "duplicate", "cancelled",
	"server_slow_consumer", "server_stalled", "read_loop_dead",
	"route_no_interest", "route_no_fallback", "leaf_echo_suppressed", "no_gateway_fallback",
	"server_shutdown", "force_reconnect", "link_cut"}

func (r DropReason) String() string { return dropNames[r] }

// DropCause classes a drop by who or what it is owed to. The invariants
// judge drops by class: no-loss-under-drain forbids a drain to lose what it
// drains, whatever the reason's name.
type DropCause uint8

// Drop causes.
const (
	// CauseDrain: nothing else in the records explains the drop, so the
	// drain (the library draining) answers for it.
	CauseDrain DropCause = iota + 1
	// CauseApplication: the application's own act, or a limit it set and was
	// told of: its Unsubscribe or Close, pending limits reported as a slow
	// consumer, an auto-unsubscribe limit, a drain timeout (or failed drain
	// call) reported as such.
	CauseApplication
	// CauseFault: a fault, the client's link broke.
	CauseFault
	// CauseServer: the server: its slow-consumer close, a drop for a stalled
	// subscriber, or a message it sent after processing the subscription's
	// UNSUB (the fast-producer stall hole, Delivery.AfterUnsub), whatever
	// became of that message.
	CauseServer
	// CauseRunEnd: the run's end: it stopped on a budget, or a sync
	// subscription was left unread.
	CauseRunEnd
	// CauseTopology: the cluster: a message routed from the publisher's
	// server toward a subscription on another server arrived after that
	// server had removed it, which no barrier of the subscriber's can
	// prevent (docs/cluster.md#drops).
	CauseTopology
	numCauses
)

var causeNames = [numCauses]string{"", "drain", "application", "fault", "server", "run_end", "topology"}

func (c DropCause) String() string {
	if c >= numCauses {
		return "cause(" + strconv.Itoa(int(c)) + ")"
	}
	return causeNames[c]
}

// DropCauses is a set of drop causes.
type DropCauses uint8

// causes returns the set of cs.
func causes(cs ...DropCause) DropCauses {
	var s DropCauses
	for _, c := range cs {
		s |= 1 << c
	}
	return s
}

// Has reports whether c is in the set.
func (s DropCauses) Has(c DropCause) bool { return s&(1<<c) != 0 }

// dropCauses gives each reason the causes it can have. Which one a drop
// has, the records decide (props.DropCause): a subscription closed under
// its messages was closed by the application, by a broken link, or by the
// drain; a slow-consumer drop is the application's when it was reported.
var dropCauses = [len(dropNames)]DropCauses{
	DropNone:               0,
	DropSlowConsumer:       causes(CauseApplication, CauseDrain),
	DropUnknownSid:         causes(CauseApplication, CauseFault, CauseDrain),
	DropSubClosed:          causes(CauseApplication, CauseFault, CauseDrain),
	DropConnClosed:         causes(CauseApplication, CauseFault, CauseDrain),
	DropDisconnect:         causes(CauseFault),
	DropMaxReached:         causes(CauseApplication),
	DropRunEnded:           causes(CauseApplication, CauseFault, CauseRunEnd, CauseDrain),
	DropDuplicate:          causes(CauseDrain),
	DropCancelled:          causes(CauseApplication, CauseFault, CauseDrain),
	DropServerSlowConsumer: causes(CauseServer),
	DropServerStalled:      causes(CauseServer),
	DropReadLoopDead:       causes(CauseDrain),
	DropRouteNoInterest:    causes(CauseTopology, CauseDrain),
	DropRouteNoFallback:    causes(CauseTopology, CauseDrain),
	DropLeafEcho:           causes(CauseTopology, CauseDrain),
	DropNoGatewayFallback:  causes(CauseTopology, CauseDrain),
	DropServerShutdown:     causes(CauseTopology),
	DropForceReconnect:     causes(CauseApplication),
	DropLinkCut:            causes(CauseTopology),
}

// Causes returns the causes a drop for r can have. A delivery the server
// sent after processing its subscription's UNSUB (Delivery.AfterUnsub) is
// the server's (CauseServer) whatever its reason.
func (r DropReason) Causes() DropCauses { return dropCauses[r] }

// Delivery is the ledger entry of one message committed by the server to one
// subscription (a MSG enqueued in that connection's FIFO). Its fields are
// ordered so that it packs into 56 bytes (TestRecordsPack): a run writes
// one fresh record per delivery, 3,000 in the standard scenario, and the
// bytes of fresh memory written are most of a plain Run's allocation cost.
type Delivery struct {
	// Msg is the message ID: an int32, which the run's record budget keeps
	// it within (MaxLedgerRecords).
	Msg int32
	// Sub is the index into Result.Subs: an int32, as a run's
	// subscriptions are its scenario's and one response mux a connection.
	Sub         int32
	CommittedAt sim.Time
	ArrivedAt   sim.Time // read by the client
	StartedAt   sim.Time // callback started, or NextMsg returned it
	EndedAt     sim.Time // callback returned
	DroppedAt   sim.Time
	Fate        DeliveryFate
	Reason      DropReason
	// Draining is true when the delivery was dropped while its subscription
	// or connection was draining.
	Draining bool
	// AfterUnsub is true when the server committed the delivery after it had
	// processed the subscription's UNSUB: a publisher stalled by the
	// subscriber's full outbound buffer does not check the subscription
	// again, so its message lands after the drain barrier's PONG
	// (docs/server.md#hole-1-the-fast-producer-stall). Losing it is the server's
	// doing, not the drain's.
	AfterUnsub bool
}

// MaxLedgerRecords bounds the records of a run whatever its
// limits.max_records (0, none, in code; the parser's own cap,
// scenario.MaxRecordBudget, is below it): a Delivery names its message by
// an int32 ID, and message IDs count records. The budget stops a run after
// the event that passes it, whose few records more stay far below 2^31; a
// ledger that size would hold ~100 GB anyway.
const MaxLedgerRecords = 1 << 30

// ledgerBudget returns the record budget of a run whose limits.max_records
// is max (0 for none): max, capped at MaxLedgerRecords.
func ledgerBudget(max uint64) uint64 {
	if max == 0 || max > MaxLedgerRecords {
		return MaxLedgerRecords
	}
	return max
}

// Ledger records every message and every delivery of a run.
type Ledger struct {
	Messages   []Message  // indexed by ID-1
	Deliveries []Delivery // in commit order
	// strs holds the run's interned strings, which the records name by Str.
	strs strTable
	// budget counts each entry against the run's record budget
	// (Limits.MaxRecords), which bounds the ledger's size.
	budget *sim.Sim
	// inTransit and pending count the messages whose fate is MsgInTransit
	// and the deliveries whose fate is DlvPending, so that World.finish
	// passes over a million records only when one is left to settle.
	// Every change from or to those fates goes through newMessage,
	// reserve, settle, newDelivery, reserveDeliveries, setFate, start,
	// drop or arriveDropped, which keep the
	// counts; a fate written past them from one of those fates could only
	// leave a count too high, which costs the pass, never a record
	// unsettled (TestFinishCountsAgreeWithRecords).
	inTransit, pending int
	// reserved holds the runs of messages that publishBurst published
	// with their records reserved and not yet written, in ID order, and
	// unwritten is the first such ID (math.MaxInt for none; 0, the zero
	// Ledger's, makes Message look, and set it). dlvReserved and
	// dlvUnwritten are the same for the deliveries Server.routeQuiet
	// committed, by index, and runSubs holds their runs' subscriptions
	// (dlvRun.subs). A backlog's records were each written twice, the
	// second time long after, out of cache: a line's round trip to memory
	// twice. Reserved, each is written once, when first read (reserve.go).
	reserved     []msgRun
	unwritten    int
	dlvReserved  []dlvRun
	dlvUnwritten int
	runSubs      []int32
}

// newMessage records a message that from publishes on subject at time at,
// in transit, and returns it for the caller to write the rest. The record
// is zeroed and written in place: a Message literal handed in was built on
// the stack and copied in 16-byte moves, loads the store buffer cannot
// forward from the narrower stores of its fields (a stall a publish).
func (l *Ledger) newMessage(from, subject Str, at sim.Time) *Message {
	l.budget.Record()
	l.inTransit++
	l.Messages = append(l.Messages, Message{}) // MsgInTransit is the zero fate
	m := &l.Messages[len(l.Messages)-1]
	m.ID, m.From, m.Subject, m.PublishedAt, m.AcceptedAt = len(l.Messages), from, subject, at, NoTime
	return m
}

// Message returns the message with the given ID, its record written
// first if it was reserved (Ledger.reserve).
func (l *Ledger) Message(id int) *Message {
	if id >= l.unwritten {
		l.writeMessages(id)
	}
	return &l.Messages[id-1]
}

// delivery returns delivery i's record, written first if it was reserved
// (Ledger.reserveDeliveries). Every read or write of a delivery's record
// during a run goes through it, but for a callback's start (start: its
// callers wrote it, Sub.starts) and return (the finisher: its start
// wrote it).
func (l *Ledger) delivery(i int32) *Delivery {
	l.writeDelivery(i)
	return &l.Deliveries[i]
}

// writeDelivery writes delivery i's record if it was reserved.
func (l *Ledger) writeDelivery(i int32) {
	if int(i) >= l.dlvUnwritten {
		l.writeDeliveries(i)
	}
}

// settle gives m, published in this ledger, its fate f.
func (l *Ledger) settle(m *Message, f MsgFate) {
	if m.Fate == MsgInTransit {
		l.inTransit--
	}
	m.Fate = f
}

// start records that the callback of delivery i, pending (read, and
// taken from its queue or handed on at once), started at at, and that its
// message was read at read (queued.arrived, which its caller left to this
// write). It only writes the record: a backlog's message reaches its
// record long out of cache, and a read of the line (its fate, its message)
// would wait for memory where writes need not. The record is written, not
// reserved: the plain turn never starts a reserved one (Sub.reservedTo),
// and the other callers of startCallback write it first (top's turn plain
// but for reserved deliveries, Sub.starts).
func (l *Ledger) start(i int32, read, at sim.Time) {
	d := &l.Deliveries[i]
	d.ArrivedAt, d.StartedAt, d.Fate = read, at, DlvInCallback
	l.pending--
}

// setFate gives delivery d, of this ledger, fate f.
func (l *Ledger) setFate(d *Delivery, f DeliveryFate) {
	if d.Fate == DlvPending {
		l.pending--
	}
	if f == DlvPending {
		l.pending++
	}
	d.Fate = f
}

// newDelivery records a delivery of m, which every caller holds already,
// to subscription sub at time at, and returns its index. The record is
// zeroed and written in place: a literal appended was built on the stack
// and copied in 16-byte moves, loads the store buffer cannot forward from
// the narrower stores of its fields (a stall a delivery).
func (l *Ledger) newDelivery(m *Message, sub int, at sim.Time) int32 {
	if len(l.Deliveries) == cap(l.Deliveries) {
		l.Deliveries = slices.Grow(l.Deliveries, 1)
	}
	return l.newDeliveryRoomy(m, sub, at)
}

// newDeliveryRoomy is newDelivery when the records have room for one more:
// it makes no call.
func (l *Ledger) newDeliveryRoomy(m *Message, sub int, at sim.Time) int32 {
	l.budget.Record()
	i := int32(len(l.Deliveries))
	l.pending++
	l.Deliveries = l.Deliveries[:i+1]
	putDelivery(&l.Deliveries[i], m, sub, at)
	return i
}

// addDeliveries makes n delivery records at once, when the records have
// room for them, and returns the first's index, for the caller to write
// them (putDelivery): Server.routeQuiet's n are a message's, counted in
// the run's record budget and the pending deliveries once, not a delivery
// each (sim.Sim.RecordN).
func (l *Ledger) addDeliveries(n int) int {
	l.budget.RecordN(n)
	l.pending += n
	i := len(l.Deliveries)
	l.Deliveries = l.Deliveries[:i+n]
	return i
}

// putDelivery writes d, a new record, for a delivery of m to subscription
// sub at time at, pending (initDelivery).
func putDelivery(d *Delivery, m *Message, sub int, at sim.Time) {
	initDelivery(d, int32(m.ID), int32(sub), at)
}

// initDelivery writes d, a new record, for a delivery of message msg to
// subscription sub at time at, pending. Each field is written in place
// once (see newDelivery): zeroing the record first, as putDelivery did,
// cost three 16-byte stores a delivery, of which the field writes then
// overwrote all but the flags' (docs/performance-history.md, h37std).
// TestInitDeliveryWritesEveryField catches a field added to Delivery and
// not written here.
func initDelivery(d *Delivery, msg, sub int32, at sim.Time) {
	d.Msg, d.Sub, d.CommittedAt = msg, sub, at
	d.ArrivedAt, d.StartedAt, d.EndedAt, d.DroppedAt = NoTime, NoTime, NoTime, NoTime
	d.Fate, d.Reason, d.Draining, d.AfterUnsub = DlvPending, 0, false, false
}

// handled returns the Handled record of entry h of a subscription's
// handed list (SubRecord.handed): delivery h, whose callback started at its
// StartedAt and returned at its EndedAt, or was cancelled at its DroppedAt
// (Sub.cancelCallbacks, the only way a started delivery is dropped), or
// which NextMsg returned at its StartedAt (= EndedAt); or ^h for the second
// copy a DuplicateDelivery mutation hands as delivery h's callback returns.
func (l *Ledger) handled(h int32) Handled {
	if h < 0 {
		d := l.delivery(^h)
		return Handled{Msg: int(d.Msg), Delivery: int(^h), Start: d.EndedAt, End: d.EndedAt}
	}
	d := l.delivery(h)
	end := d.EndedAt
	if d.Fate == DlvDropped {
		end = d.DroppedAt
	}
	return Handled{Msg: int(d.Msg), Delivery: int(h), Start: d.StartedAt, End: end}
}

// DeliveriesOf returns the indices of msg's deliveries, newest first. It
// scans every delivery: it is for tests and analysis, not for a loop over
// a large run's messages. The records keep no chain of a message's
// deliveries (the model never follows one), which would cost every
// message and every delivery a field written in the hot path
// (TestRecordsPack).
func (l *Ledger) DeliveriesOf(msg int) []int {
	var out []int
	for i := len(l.Deliveries) - 1; i >= 0; i-- {
		if int(l.Deliveries[i].Msg) == msg {
			out = append(out, i)
		}
	}
	return out
}

// arriveDropped records that the client read message q and dropped it at
// once, for r. A delivery whose MSG the client reads is pending (a drop
// before that, by a cut or the server, takes its frame off the wire), so
// it only writes the record, as Ledger.start does: at a million messages
// the slow consumer drops half of them, and reading each record's fate
// first waited for memory.
func (l *Ledger) arriveDropped(q queued, r DropReason, draining bool) {
	d := l.delivery(q.d)
	d.ArrivedAt, d.DroppedAt, d.Fate, d.Reason, d.Draining = q.at, q.at, DlvDropped, r, draining
	l.pending--
}

func (l *Ledger) drop(i int32, at sim.Time, r DropReason, draining bool) {
	d := l.delivery(i)
	if d.Fate != DlvPending {
		return
	}
	l.pending--
	d.Fate, d.Reason, d.DroppedAt, d.Draining = DlvDropped, r, at, draining
}
