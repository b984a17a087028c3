package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldType says how a Field's value is stored and rendered.
type FieldType uint8

// Field types.
const (
	IntField FieldType = iota // Int, rendered in decimal
	StrField                  // Str
	DurField                  // Int nanoseconds, rendered as a Go duration
)

// Field is one key/value attribute of a trace event.
type Field struct {
	Key  string
	Type FieldType
	Int  int64
	Str  string
}

// Int returns an integer field.
func Int(key string, v int64) Field { return Field{Key: key, Type: IntField, Int: v} }

// Str returns a string field.
func Str(key, v string) Field { return Field{Key: key, Type: StrField, Str: v} }

// Dur returns a duration field.
func Dur(key string, d time.Duration) Field { return Field{Key: key, Type: DurField, Int: int64(d)} }

// Value renders the field's value as text.
func (f Field) Value() string {
	switch f.Type {
	case StrField:
		return f.Str
	case DurField:
		return time.Duration(f.Int).String()
	}
	return strconv.FormatInt(f.Int, 10)
}

// Event is one entry of a trace: what happened (Kind), to whom (Actor), when
// (At) and in which order (Seq). Its fields live in the owning Trace.
type Event struct {
	Seq   uint64
	At    Time
	Actor string
	Kind  string
	off   int32
	n     int32
}

// Trace is an append-only log of typed events. Fields are kept in one shared
// slice so that recording an event does not allocate in steady state.
// A nil *Trace records nothing, which lets fast paths skip tracing entirely.
type Trace struct {
	events []Event
	fields []Field
	// ref, when set (CompareWith), is the trace Add compares events with
	// instead of recording them; matched is how many of ref's events were
	// added in order, differs whether an added event was not ref's next.
	ref     *Trace
	matched int
	differs bool
}

// NewTrace returns an empty trace.
func NewTrace() *Trace { return &Trace{} }

// Add records an event. It is a no-op on a nil Trace.
func (tr *Trace) Add(at Time, actor, kind string, fields ...Field) {
	if tr == nil {
		return
	}
	if tr.ref != nil {
		tr.compare(at, actor, kind, fields)
		return
	}
	off := int32(len(tr.fields))
	tr.fields = append(tr.fields, fields...)
	tr.events = append(tr.events, Event{
		Seq: uint64(len(tr.events)), At: at, Actor: actor, Kind: kind,
		off: off, n: int32(len(fields)),
	})
}

// Reset empties the trace and keeps its memory for the next events: a
// model.Runner traces run after run in the same Trace. It ends
// CompareWith's comparison: the trace records again.
func (tr *Trace) Reset() {
	tr.events, tr.fields = tr.events[:0], tr.fields[:0]
	tr.ref, tr.matched, tr.differs = nil, 0, false
}

// CompareWith empties tr and makes it compare each event added to it with
// ref's event at the same place (time, actor, kind and fields, as Equal
// compares) instead of recording it, until Reset; Matches then says
// whether the events added were ref's, all of them. A determinism check's
// reruns need to know only that: recording each rerun and then comparing
// it with Equal wrote every event and field a second time and read both
// traces again. ref must not change while tr compares with it.
func (tr *Trace) CompareWith(ref *Trace) {
	tr.Reset()
	tr.ref = ref
}

// compare is Add while tr compares with tr.ref.
func (tr *Trace) compare(at Time, actor, kind string, fields []Field) {
	if tr.differs {
		return
	}
	if tr.matched == len(tr.ref.events) {
		tr.differs = true // an event more than ref's
		return
	}
	if !tr.ref.is(tr.ref.events[tr.matched], at, actor, kind, fields) {
		tr.differs = true
		return
	}
	tr.matched++
}

// is reports whether e, an event of tr, happened at at to actor, is of
// kind and has fields: what Equal and a comparing trace compare.
func (tr *Trace) is(e Event, at Time, actor, kind string, fields []Field) bool {
	return e.At == at && e.Actor == actor && e.Kind == kind && slices.Equal(tr.Fields(e), fields)
}

// Matches reports whether the events added to tr since CompareWith are
// exactly its reference trace's (none missing, none more, none different).
// It is false when tr does not compare.
func (tr *Trace) Matches() bool {
	return tr.ref != nil && !tr.differs && tr.matched == len(tr.ref.events)
}

// Len returns the number of events.
func (tr *Trace) Len() int {
	if tr == nil {
		return 0
	}
	return len(tr.events)
}

// Events returns the recorded events in order. The slice must not be modified.
func (tr *Trace) Events() []Event {
	if tr == nil {
		return nil
	}
	return tr.events
}

// Fields returns the fields of e, which must come from this trace. It returns
// nil on a nil Trace.
func (tr *Trace) Fields(e Event) []Field {
	if tr == nil {
		return nil
	}
	return tr.fields[e.off : e.off+e.n]
}

// Field returns the value of e's field named key and whether it exists.
func (tr *Trace) Field(e Event, key string) (Field, bool) {
	for _, f := range tr.Fields(e) {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Hash returns a stable 64-bit FNV-1a hash over every event's time, actor,
// kind and fields. Equal traces have equal hashes on every platform; it backs
// the determinism checks.
func (tr *Trace) Hash() uint64 {
	h := fnv64a(fnvOffset)
	for _, e := range tr.Events() {
		h.int(int64(e.At))
		h.str(e.Actor)
		h.str(e.Kind)
		fs := tr.Fields(e)
		h.int(int64(len(fs)))
		for _, f := range fs {
			h.str(f.Key)
			h.byte(byte(f.Type))
			h.int(f.Int)
			h.str(f.Str)
		}
	}
	return uint64(h)
}

// Equal reports whether tr and u hold the same events (time, actor, kind)
// with the same fields: what Hash hashes, so equal traces hash equally.
// Comparing two traces is quicker than hashing both (a string compares
// by its pointer first, a hash reads every byte); the determinism checks
// compare while they trace instead (CompareWith).
func (tr *Trace) Equal(u *Trace) bool {
	a, b := tr.Events(), u.Events()
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		y := b[i]
		if !tr.is(a[i], y.At, y.Actor, y.Kind, u.Fields(y)) {
			return false
		}
	}
	return true
}

// fnv64a is FNV-1a (hash/fnv's New64a) over what Hash feeds it, written
// out so that hashing a string does not copy it into a new []byte: through
// hash.Hash64 the copies were most of Hash's time, and Hash a quarter of
// the determinism check's.
type fnv64a uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (h *fnv64a) byte(b byte) { *h = (*h ^ fnv64a(b)) * fnvPrime }

// int hashes v's 8 bytes, little-endian.
func (h *fnv64a) int(v int64) {
	for i := range 8 {
		h.byte(byte(uint64(v) >> (8 * i)))
	}
}

// str hashes s's length (int), then its bytes.
func (h *fnv64a) str(s string) {
	h.int(int64(len(s)))
	for i := range len(s) {
		h.byte(s[i])
	}
}

// WriteText writes a human-readable timeline, one event per line:
//
//	12.345ms  app          publish         subject=updates msg=1
func (tr *Trace) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	actorWidth := 6
	for _, e := range tr.Events() {
		if len(e.Actor) > actorWidth {
			actorWidth = len(e.Actor)
		}
	}
	for _, e := range tr.Events() {
		fs := tr.Fields(e)
		if len(fs) == 0 {
			fmt.Fprintf(bw, "%12s  %-*s  %s\n", e.At.String(), actorWidth, e.Actor, e.Kind)
			continue
		}
		fmt.Fprintf(bw, "%12s  %-*s  %-18s", e.At.String(), actorWidth, e.Actor, e.Kind)
		for _, f := range fs {
			v := f.Value()
			if f.Type == StrField && needsQuote(v) {
				v = strconv.Quote(v)
			}
			fmt.Fprintf(bw, " %s=%s", f.Key, v)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteNDJSON writes one JSON object per event and line:
//
//	{"seq":0,"t_ns":12345000,"actor":"app","kind":"publish","subject":"updates","msg":1}
//
// Integer and duration fields are JSON numbers (durations in nanoseconds),
// string fields are JSON strings. Keys appear in recording order.
func (tr *Trace) WriteNDJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, e := range tr.Events() {
		fmt.Fprintf(bw, `{"seq":%d,"t_ns":%d,"actor":%s,"kind":%s`, e.Seq, int64(e.At), jsonString(e.Actor), jsonString(e.Kind))
		for _, f := range tr.Fields(e) {
			bw.WriteByte(',')
			bw.WriteString(jsonString(f.Key))
			bw.WriteByte(':')
			if f.Type == StrField {
				bw.WriteString(jsonString(f.Str))
			} else {
				bw.WriteString(strconv.FormatInt(f.Int, 10))
			}
		}
		bw.WriteString("}\n")
	}
	return bw.Flush()
}

// needsQuote reports whether a string value must be quoted in the text
// timeline to stay on one line and unambiguous: empty values, values with
// spaces, quotes or '=', and values with control or other non-printable
// characters or invalid UTF-8.
func needsQuote(v string) bool {
	if v == "" {
		return true
	}
	for _, r := range v {
		if r == ' ' || r == '"' || r == '=' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // marshaling a string cannot fail
	return string(b)
}
