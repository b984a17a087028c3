package model

import (
	"math"
	"slices"

	"github.com/drainsim/drainsim/sim"
)

// A backlog's records (docs/performance-history.md, h24backlog) were each
// written twice a whole backlog apart: a message by its publish and again
// by the server's PUB, a delivery by the server's commit and again when
// its callback starts. By then the record is out of cache, so that each
// write was a line's round trip to memory. The hot paths now reserve the
// record's slot where they wrote it (its ID or index, its place in the
// record budget and in the counts of what is in transit or pending are
// the same), with what it would hold kept once for a whole run of them,
// and the record is written whole when it is first read or written
// (Ledger.Message, Ledger.delivery), or at the run's end (World.finish).
// Asked for the first record of a run, they write the next ones too, so
// that they are written just before their second write, in cache.

// reservedRun is how many records a run has at least for its records to
// be reserved: a run of fewer (the standard scenario's thousand messages
// and three thousand deliveries) is written at once, as it was, because
// its records are still in cache for their second write, and reserving
// costs more instructions than writing (every run reserved, the standard
// scenario ran 4 % more). On Backlog (docs/performance-history.md, h29backlog),
// reserving the deliveries did not pay at 10,000 messages and did at
// 100,000.
//
// It is a variable for TestReservedRecordsReadAsWritten, which reserves
// every run and compares the results with runs that reserve none; so is
// reservedDeliveryRun, the same for the deliveries of messages that were
// not reserved, which the test sets apart to reserve messages alone.
var reservedRun, reservedDeliveryRun = 1 << 14, 1 << 14

// reserves reports whether a run of n messages is reserved.
func reserves(n int) bool { return n >= reservedRun }

// reservesDeliveries reports whether a run of n deliveries is reserved.
// Server.routeQuiet reserves those of reserved messages too.
func reservesDeliveries(n int) bool { return n >= reservedDeliveryRun }

// writeAhead is how many records of a run writeRuns writes at once: asked
// for the first, it writes the next ones too, which the hot paths ask for
// next, so that it is called once a sixteenth of a backlog. Sixteen
// records are about 1 KB, which stays in the first-level cache until they
// are reached.
const writeAhead = 16

// msgRun is a run of messages a publish burst reserved (Ledger.reserve):
// IDs next to end-1 are tmpl with their own ID, their records not yet
// written.
type msgRun struct {
	next, end int
	tmpl      Message
}

// dlvRun is a run of deliveries Server.routeReserved committed at one time,
// at, and reserved (Ledger.reserveDeliveries): for each message of a run
// of consecutive IDs, one to each of subs (subscription indexes, in
// Ledger.runSubs), in order. Deliveries next to end-1 are not written;
// next is of message msg to subs[sub].
type dlvRun struct {
	next, end int32
	msg, sub  int32
	subs      []int32
	at        sim.Time
}

// run is a run of reserved records, msgRun or dlvRun.
type run[R any] interface {
	*R
	// span is the run's records not yet written: IDs or indexes next to
	// end-1.
	span() (next, end int)
	// writeThrough writes the run's records up to id's and takes them
	// off the run.
	writeThrough(l *Ledger, id int)
}

func (r *msgRun) span() (int, int) { return r.next, r.end }

func (r *msgRun) writeThrough(l *Ledger, id int) {
	ms := l.Messages[r.next-1 : id]
	for i := range ms {
		ms[i] = r.tmpl
		ms[i].ID = r.next + i
	}
	r.next = id + 1
}

func (r *dlvRun) span() (int, int) { return int(r.next), int(r.end) }

func (r *dlvRun) writeThrough(l *Ledger, id int) {
	ds, subs, sub, msg, at := l.Deliveries[r.next:id+1], r.subs, r.sub, r.msg, r.at
	for i := range ds {
		initDelivery(&ds[i], msg, subs[sub], at)
		if sub++; int(sub) == len(subs) {
			sub, msg = 0, msg+1
		}
	}
	r.next, r.sub, r.msg = int32(id+1), sub, msg
}

// writeRuns writes record id if one of runs (in order) reserved it, with
// every record before it in its run and up to writeAhead-1 after it, so
// that a run stays one range: a record written ahead says what it would
// have said since it was reserved. It returns the first ID or index left
// reserved, math.MaxInt for none.
func writeRuns[R any, P run[R]](l *Ledger, runs *[]R, id int) int {
	rs := *runs
	for i := range rs {
		r := P(&rs[i])
		next, end := r.span()
		if id < next {
			break
		}
		if id < end {
			r.writeThrough(l, min(max(id, next+writeAhead-1), end-1))
			if next, end = r.span(); next == end {
				*runs = slices.Delete(rs, i, i+1)
			}
			break
		}
	}
	if len(*runs) == 0 {
		return math.MaxInt
	}
	next, _ := P(&(*runs)[0]).span()
	return next
}

// writeMessages is Message's writeRuns, out of line so that Message is
// inlined.
//
//go:noinline
func (l *Ledger) writeMessages(id int) {
	l.unwritten = writeRuns(l, &l.reserved, id)
}

// writeDeliveries is delivery's writeRuns, out of line so that delivery
// is inlined.
//
//go:noinline
func (l *Ledger) writeDeliveries(i int32) {
	l.dlvUnwritten = writeRuns(l, &l.dlvReserved, int(i))
}

// writeAllRuns writes every record runs reserved and empties them.
func writeAllRuns[R any, P run[R]](l *Ledger, runs *[]R) {
	for i := range *runs {
		r := P(&(*runs)[i])
		_, end := r.span()
		r.writeThrough(l, end-1)
	}
	*runs = (*runs)[:0]
}

// writeAll writes every reserved record (World.finish, before its passes
// over the records).
func (l *Ledger) writeAll() {
	writeAllRuns(l, &l.reserved)
	writeAllRuns(l, &l.dlvReserved)
	l.unwritten, l.dlvUnwritten = math.MaxInt, math.MaxInt
}

// beginRun starts a run of reserved messages, each a copy of tmpl (its ID
// aside), for reserve to add to and endRun to close. A publish burst's
// messages differ only in their IDs, so that one copy of what they hold
// in common stands for them all until each is written.
func (l *Ledger) beginRun(tmpl *Message) {
	next := len(l.Messages) + 1
	l.reserved = append(l.reserved, msgRun{next: next, end: next, tmpl: *tmpl})
	l.unwritten = min(l.unwritten, next)
}

// reserve records one more message of the run beginRun started, in
// transit, and returns its ID: it counts the record and reserves its slot
// in Messages, where Message writes it when first asked. It makes no call
// but to grow the records.
func (l *Ledger) reserve() int {
	l.budget.Record()
	l.inTransit++
	id := len(l.Messages) + 1
	if id > cap(l.Messages) {
		l.Messages = append(l.Messages, Message{}) // grows the records
	} else {
		l.Messages = l.Messages[:id]
	}
	return id
}

// endRun closes the run beginRun started after its last reserve.
func (l *Ledger) endRun() {
	l.reserved[len(l.reserved)-1].end = len(l.Messages) + 1
}

// startDeliveries starts a run of reserved deliveries committed at at, of
// message msg and the messages after it, each to subs (subscription
// indexes, in order, in runSubs), for reserveDeliveries to add to.
func (l *Ledger) startDeliveries(at sim.Time, subs []int32, msg int32) {
	i := int32(len(l.Deliveries))
	l.dlvReserved = append(l.dlvReserved, dlvRun{next: i, end: i, msg: msg, subs: subs, at: at})
	l.dlvUnwritten = min(l.dlvUnwritten, int(i))
}

// reserveDeliveries records the deliveries of the next message of the run
// startDeliveries started, pending, and returns the first's index (the
// rest follow it): it counts their records and reserves their slots,
// which delivery writes when first asked. The records must have room for
// them (Server.quietRoom), and nothing may have added a delivery since
// the run's last (Server.routeQuiet calls nothing in between).
func (l *Ledger) reserveDeliveries() int32 {
	r := &l.dlvReserved[len(l.dlvReserved)-1]
	k := int32(len(r.subs))
	for range k {
		l.budget.Record()
	}
	l.pending += int(k)
	i := r.end
	r.end += k
	l.Deliveries = l.Deliveries[:r.end]
	return i
}
