package model

import (
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// dirty sets every field of the struct v points to to a non-zero value
// (reflection, unexported fields included), but for those named in skip.
func dirty(t *testing.T, v any, skip ...string) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		if name := rv.Type().Field(i).Name; !slices.Contains(skip, name) {
			dirtyValue(t, rv.Field(i), name)
		}
	}
}

// dirtyValue sets f, field name of a struct (a struct's fields each in
// turn), to a non-zero value.
func dirtyValue(t *testing.T, f reflect.Value, name string) {
	t.Helper()
	f = reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem()
	switch f.Kind() {
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.SetInt(3)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.SetUint(3)
	case reflect.String:
		f.SetString("x")
	case reflect.Pointer:
		f.Set(reflect.New(f.Type().Elem()))
	case reflect.Slice:
		f.Set(reflect.MakeSlice(f.Type(), 1, 1))
	case reflect.Map:
		f.Set(reflect.MakeMap(f.Type()))
	case reflect.Func:
		f.Set(reflect.MakeFunc(f.Type(), func([]reflect.Value) []reflect.Value { return nil }))
	case reflect.Interface:
		f.Set(reflect.ValueOf(new(ownStream)))
	case reflect.Struct:
		for i := range f.NumField() {
			dirtyValue(t, f.Field(i), name+"."+f.Type().Field(i).Name)
		}
	default:
		t.Fatalf("field %s: kind %v not handled by dirty", name, f.Kind())
	}
}

// zeroBut returns the names of the fields of the struct v points to that
// are not zero, but for those named in skip.
func zeroBut(v any, skip ...string) []string {
	var bad []string
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		if name := rv.Type().Field(i).Name; !slices.Contains(skip, name) && !rv.Field(i).IsZero() {
			bad = append(bad, name)
		}
	}
	return bad
}

// TestSubResetClearsEveryField checks that Sub.reset leaves every field of
// a subscription of an earlier run zero but the ones it is given (c, spec,
// subject), the kept ones (subKept, live's array, emptied, and what
// subKept's handler stream was made from, handlerID and handlerParent:
// TestRestreamHandlerReseeds) and the four
// newSub sets next in every case (cb, handlerRn, pending, rec:
// TestNewSubSetsPendingAndRec). Catches a field added to Sub and not reset
// (it would carry an earlier run's state into the next), and a reset that
// skips a field (deleting any line of reset fails it).
func TestSubResetClearsEveryField(t *testing.T) {
	var s Sub
	dirty(t, &s)
	kept, cb, rn, ht := s.subKept, s.cb, s.handlerRn, s.handlerTime
	c, spec := new(Conn), new(scenario.Subscription)
	s.reset(c, spec, "a.b")
	if s.c != c || s.spec != spec || s.subject != "a.b" {
		t.Errorf("reset did not set c, spec, subject: %p %p %q", s.c, s.spec, s.subject)
	}
	if s.subKept != kept || s.cb != cb || s.handlerRn != rn || s.handlerTime != ht {
		t.Errorf("reset changed subKept, cb, handlerRn or handlerTime")
	}
	if len(s.live) != 0 || cap(s.live) != 1 || s.live[:1][0] != nil {
		t.Errorf("live not emptied in its array: len %d cap %d", len(s.live), cap(s.live))
	}
	if bad := zeroBut(&s, "c", "spec", "subject", "subKept", "live", "cb", "handlerRn", "handlerTime", "pending", "rec", "handlerID", "handlerParent"); len(bad) > 0 {
		t.Errorf("fields not reset by Sub.reset: %v", bad)
	}
}

// TestNewSubSetsPendingAndRec: Sub.reset leaves a reused subscription's
// pending and rec as they were, for newSub to set. After a run on a
// Runner, every recycled subscription is given a pending list and a
// record that no run made, and taken in reverse order; the next run's
// set-up must give each subscription an empty pending list of its own and
// its own record (the run's record of it, with its id). Catches a newSub
// that sets either only for a new subscription, or not at all.
func TestNewSubSetsPendingAndRec(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("name: p\nclients: [{name: a}, {name: b}]\n"+
		"subscriptions: [{id: s1, client: b, subject: x}, {id: s2, client: b, subject: y}, {id: s3, client: a, subject: x}]\n"+
		"actions: [{at: 0s, publish: {client: a, subject: x, count: 20, size: 8}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var r Runner
	if _, err := r.Run(sc, Config{}); err != nil {
		t.Fatal(err)
	}
	stale := new(SubRecord)
	free := r.recycled.subs.free
	if len(free) != len(sc.Subs) {
		t.Fatalf("%d subscriptions recycled, want %d", len(free), len(sc.Subs))
	}
	slices.Reverse(free)
	for _, s := range free {
		s.pending, s.rec = make([]queued, 1), stale
	}
	w, err := newWorld(sc, Config{}, &r)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range w.subList {
		if s.rec != w.res.Subs[i] || s.rec == stale || s.rec.ID != sc.Subs[i].ID {
			t.Errorf("subscription %d: record %p (id %q), want the run's %p", i, s.rec, s.rec.ID, w.res.Subs[i])
		}
		if len(s.pending) != 0 {
			t.Errorf("subscription %d: pending holds %d from before the run", i, len(s.pending))
		}
	}
}

// TestCallbackClearRunClearsEveryField checks that callback.clearRun leaves
// zero every field but what bind keeps (serviceFn, finish, onLoopFn,
// direct) and s, which bind sets. Catches a field added to callback and not
// cleared, and a clearRun missing one of its fields.
func TestCallbackClearRunClearsEveryField(t *testing.T) {
	var cb callback
	dirty(t, &cb)
	cb.clearRun()
	if bad := zeroBut(&cb, "s", "w", "serviceFn", "finish", "onLoopFn", "direct"); len(bad) > 0 {
		t.Errorf("fields not cleared by callback.clearRun: %v", bad)
	}
}

// TestPutChooserWritesOnlyChanges checks putChooser's cases: nil over nil
// and an ownStream over itself leave the slot; anything else is written.
// Catches a putChooser that never writes, or that keeps an old Chooser
// for nil or for another stream.
func TestPutChooserWritesOnlyChanges(t *testing.T) {
	a, b := new(ownStream), new(ownStream)
	var p sim.Chooser
	putChooser(&p, nil)
	if p != nil {
		t.Fatalf("nil over nil: %v", p)
	}
	putChooser(&p, a)
	if p != sim.Chooser(a) {
		t.Fatalf("a over nil: %v", p)
	}
	putChooser(&p, a)
	putChooser(&p, b)
	if p != sim.Chooser(b) {
		t.Fatalf("b over a: %v", p)
	}
	putChooser(&p, nil)
	if p != nil {
		t.Fatalf("nil over b: %v", p)
	}
}

// TestRecyclerGivesBackInTakeOrder checks that a run takes a recycler's
// objects in the order the previous run took them, so that a Runner's
// repeated scenario gives each subscription the entry, subject and
// connection it had (Sub.reset then writes none of them), also when the
// previous run took fewer than free held. Catches put appending used in
// its own order (each object then served the mirror-image entry every
// other run), and put writing over the objects free still held.
func TestRecyclerGivesBackInTakeOrder(t *testing.T) {
	var rc recycler[int]
	rc.reserve(3)
	used := []*int{rc.take(), rc.take(), rc.take()}
	rc.put(used)
	for i, want := range used {
		if got := rc.take(); got != want {
			t.Errorf("take %d gave %p, want %p (the previous run's take %d)", i, got, want, i)
		}
	}
	// A run that takes fewer than free holds leaves the rest under what
	// it puts back: the next run takes its objects first, then the rest.
	rc.put(used)
	first := rc.take()
	rc.put([]*int{first})
	for i, want := range used {
		if got := rc.take(); got != want {
			t.Errorf("after a shorter run, take %d gave %p, want %p", i, got, want)
		}
	}
}

// TestServerSubResetClearsEveryField checks that serverSub.reset leaves
// every field of an earlier run's entry zero but the ones it is given
// (conn, subject, queue) and rec, which processSub sets next. Catches a
// field added to serverSub and not reset, and a reset missing a field.
func TestServerSubResetClearsEveryField(t *testing.T) {
	var ss serverSub
	dirty(t, &ss)
	conn := new(serverConn)
	ss.reset(conn, "a.b", "q")
	if ss.conn != conn || ss.subject != "a.b" || ss.queue != "q" {
		t.Errorf("reset did not set conn, subject, queue: %p %q %q", ss.conn, ss.subject, ss.queue)
	}
	if bad := zeroBut(&ss, "conn", "subject", "queue", "rec"); len(bad) > 0 {
		t.Errorf("fields not reset by serverSub.reset: %v", bad)
	}
}

// TestFlushWaitReuseClearsEveryField checks that flushWait.reuse leaves
// every field but its bound events (timedOut, ponged, closed) as a new
// one's, done the one given. Catches a field added to flushWait and not
// cleared, and a reuse missing a field.
func TestFlushWaitReuseClearsEveryField(t *testing.T) {
	var fw flushWait
	dirty(t, &fw)
	fw.reuse(nil)
	if bad := zeroBut(&fw, "timedOut", "ponged", "closed"); len(bad) > 0 {
		t.Errorf("fields not cleared by flushWait.reuse: %v", bad)
	}
}

// TestActionRunResetClearsEveryField checks that actionRun.reset leaves
// every field of an action event of an earlier run zero but those it is
// given (w, i, count, interval, loop) and the events it keeps (fn,
// onLoopFn). Catches a field added to actionRun and not reset (a publish
// site prepared in an earlier run would serve the next), and a reset that
// skips a field (deleting any of its assignments fails it).
func TestActionRunResetClearsEveryField(t *testing.T) {
	var ar actionRun
	dirty(t, &ar)
	w, loop := new(World), new(Conn)
	ar.reset(w, 5, 7, time.Second, loop)
	if ar.w != w || ar.i != 5 || ar.count != 7 || ar.interval != time.Second || ar.loop != loop {
		t.Errorf("reset did not set w, i, count, interval, loop: %+v", ar)
	}
	if ar.fn == nil || ar.onLoopFn == nil {
		t.Errorf("reset cleared fn or onLoopFn")
	}
	ar.reset(w, 0, 0, 0, nil)
	if bad := zeroBut(&ar, "w", "fn", "onLoopFn"); len(bad) > 0 {
		t.Errorf("fields not reset by actionRun.reset: %v", bad)
	}
}

// TestDrainStateReuseClearsEveryField checks that connDrain.reuse and
// drainWait.reuse leave a drain's and a wait's state as a new one's but
// for what they are given and keep: a connDrain its connection, its
// subscriptions emptied, its order arrays and its bound events; a
// drainWait its connection, deadline, count and bound check. Catches a
// field added to either and not written by its reuse, and a reuse
// missing a field (deleting any assignment fails it).
func TestDrainStateReuseClearsEveryField(t *testing.T) {
	c := new(Conn)
	var d connDrain
	dirty(t, &d)
	order, ordered := d.order, d.ordered
	d.reuse(c)
	if bad := zeroBut(&d, "c", "subs", "order", "ordered", "started", "waited"); len(bad) > 0 {
		t.Errorf("fields not cleared by connDrain.reuse: %v", bad)
	}
	if d.c != c || d.subs == nil || len(d.subs) != 0 || &d.order[0] != &order[0] || &d.ordered[0] != &ordered[0] ||
		d.started == nil || d.waited == nil {
		t.Errorf("connDrain.reuse: c %p (want %p), subs %v, order or ordered not kept, or events dropped", d.c, c, d.subs)
	}
	var w drainWait
	dirty(t, &w)
	w.reuse(c, 5, 2, nil)
	if bad := zeroBut(&w, "c", "deadline", "min", "check"); len(bad) > 0 {
		t.Errorf("fields not cleared by drainWait.reuse: %v", bad)
	}
	if w.c != c || w.deadline != 5 || w.min != 2 || w.check == nil {
		t.Errorf("drainWait.reuse: c %p (want %p), deadline %d, min %d, check dropped", w.c, c, w.deadline, w.min)
	}
}

// TestNewSubKeepsPendingArray: a reused subscription keeps its own
// pending queue's array, emptied (World.newSub), and a new one gets an
// array sized for the messages it expects. Catches a newSub that gives a
// reused subscription a new array or another subscription's (the Runner
// once pooled the queues apart from their subscriptions and handed them
// out in the reverse order), and one that sizes a new queue for nothing.
func TestNewSubKeepsPendingArray(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("name: p\nclients: [{name: a}, {name: b}]\n"+
		"subscriptions: [{id: s1, client: b, subject: x}, {id: s2, client: b, subject: y}, {id: s3, client: a, subject: x}]\n"+
		"actions: [{at: 0s, publish: {client: a, subject: x, count: 20, size: 8}}, {at: 0s, publish: {client: a, subject: y, count: 5, size: 8}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var r Runner
	w, err := newWorld(sc, Config{}, &r)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{20, 5, 20} {
		if s := w.subList[i]; len(s.pending) != 0 || cap(s.pending) != want {
			t.Errorf("new subscription %d: pending len %d cap %d, want 0 and %d", i, len(s.pending), cap(s.pending), want)
		}
	}
	if _, err := r.Run(sc, Config{}); err != nil {
		t.Fatal(err)
	}
	arrays := map[*Sub]*queued{}
	for _, s := range r.world.subList {
		s.pending = append(s.pending[:0], queued{msg: 1}) // a queue left non-empty
		arrays[s] = unsafe.SliceData(s.pending)
	}
	if w, err = newWorld(sc, Config{}, &r); err != nil {
		t.Fatal(err)
	}
	for i, s := range w.subList {
		a, ok := arrays[s]
		if !ok {
			t.Fatalf("subscription %d is not one the previous run made", i)
		}
		if len(s.pending) != 0 || unsafe.SliceData(s.pending) != a {
			t.Errorf("subscription %d: pending len %d at %p, want its own array %p emptied", i, len(s.pending), unsafe.SliceData(s.pending), a)
		}
	}
}

// TestNewSubSetsQueue: a subscription's queue group, in its record and
// in the subscription, is this run's, on a Runner whose previous run had
// the same subscriptions in another group or in none (newSub interns and
// writes a queue only when there is one). Catches a newSub that leaves a
// reused subscription's or record's queue from the run before, and one
// that skips a group.
func TestNewSubSetsQueue(t *testing.T) {
	queue := func(q string) string {
		if q == "" {
			return ""
		}
		return ", queue: " + q
	}
	parse := func(q1, q2 string) *scenario.Scenario {
		sc, err := scenario.Parse("c.yaml", []byte("name: p\nclients: [{name: a}]\n"+
			"subscriptions: [{id: s1, client: a, subject: x"+queue(q1)+"}, {id: s2, client: a, subject: x"+queue(q2)+"}]\n"+
			"actions: [{at: 0s, publish: {client: a, subject: x, count: 2, size: 8}}]\n"))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	var r Runner
	for _, qs := range [][2]string{{"q", ""}, {"", "g"}, {"g", "q"}, {"", ""}, {"q", "q"}} {
		sc := parse(qs[0], qs[1])
		res, err := r.Run(sc, Config{})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range r.world.subList {
			if got := res.Str(res.Subs[i].Queue); got != qs[i] || s.queue != qs[i] {
				t.Errorf("queues %q: subscription %d has queue %q in its record and %q, want %q", qs, i, got, s.queue, qs[i])
			}
		}
	}
}

// TestRestreamHandlerReseeds: a subscription's handler stream, re-seeded
// without hashing its id when the id and the parent's name are the last
// ones (restreamHandler), draws what a stream made anew draws, through a
// sequence of parents (seeds, names) and ids on one subscription, and
// remembers each id and parent name after the call. Catches a
// restreamHandler that keeps the stream for another id or parent name or
// keeps the last seed (the draws), and one that never remembers.
func TestRestreamHandlerReseeds(t *testing.T) {
	var s Sub
	s.subKept = new(subKept)
	other := string([]byte("s1")) // equal to "s1", at another address
	steps := []struct {
		seed   uint64
		parent string
		id     string
	}{
		{1, "handler", "s1"}, {2, "handler", "s1"}, {2, "handler", "s2"},
		{3, "handler", "s2"}, {3, "other", "s2"}, {4, "handler", "s2"},
		{4, "handler", other}, {5, "handler", other}, {5, "handler", "s1"}, {6, "handler", ""},
	}
	for i, st := range steps {
		parent := sim.NewPCG(st.seed).Stream(st.parent)
		rn := s.restreamHandler(parent, st.id)
		want := parent.Stream(st.id)
		for k := range 4 {
			if got, w := rn.IntN("x", 1<<30), want.IntN("x", 1<<30); got != w {
				t.Fatalf("step %d (%+v): draw %d is %d, want %d", i, st, k, got, w)
			}
		}
		if p := parent.(*sim.PCG); !same(s.handlerID, st.id) || s.handlerParent != p.NameHash() {
			t.Errorf("step %d (%+v): remembers %q and %x, want the id and %x", i, st, s.handlerID, s.handlerParent, p.NameHash())
		}
	}
}

// TestLinkSeedReseeds: a link's stream, re-seeded without hashing the
// client's name when the client, the direction and the parent's name are
// those it was last seeded from (link.seed), draws what a stream made
// anew draws, and Conn.clear keeps what it was seeded from. Catches a
// seed that reuses the stream for another direction, another parent name
// or an unknown client, or keeps the last seed (the draws), one that
// never remembers, and a clear that drops the memo.
func TestLinkSeedReseeds(t *testing.T) {
	var c Conn
	steps := []struct {
		seed   uint64
		parent string
		dir    uint8
		known  bool
	}{
		{1, "net", seededUp, false}, {2, "net", seededUp, true}, {2, "net", seededDown, true},
		{3, "net", seededDown, true}, {3, "other", seededDown, true}, {4, "net", seededDown, true},
		{5, "net", seededDown, false}, {6, "net", seededDown, true},
	}
	client := "c7"
	for i, st := range steps {
		if !st.known { // another client than the link's last
			if client == "c7" {
				client = "c8"
			} else {
				client = "c7"
			}
		}
		l := &c.toServer
		before := l.seeded
		if c.clear(); l.seeded != before {
			t.Fatalf("step %d: Conn.clear changed the link's memo %+v to %+v", i, before, l.seeded)
		}
		parent := sim.NewPCG(st.seed).Stream(st.parent)
		l.seed(parent, client, st.dir, st.known)
		want := parent.Stream(client + seedDirs[st.dir-1])
		for k := range 4 {
			if got, w := l.chooser().IntN("x", 1<<30), want.IntN("x", 1<<30); got != w {
				t.Fatalf("step %d (%+v): draw %d is %d, want %d", i, st, k, got, w)
			}
		}
		if p := parent.(*sim.PCG); l.seeded.dir != st.dir || l.seeded.parent != p.NameHash() || l.seeded.name != l.own.NameHash() {
			t.Errorf("step %d (%+v): remembers %+v", i, st, l.seeded)
		}
	}
}
