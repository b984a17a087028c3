package model_test

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// benchScenario is the standard workload: one client with three
// subscriptions on one subject, a backlog of 1,000 messages (each delivered
// to all three), a 100µs handler, then a connection drain.
func benchScenario() *scenario.Scenario {
	sc := &scenario.Scenario{
		Name: "bench", Profile: "go", Seed: 1,
		Limits:  scenario.Limits{MaxTime: 10 * time.Minute, MaxEvents: 50_000_000, MaxRecords: scenario.DefaultMaxRecords},
		Network: scenario.Network{Latency: sim.Dist{Kind: sim.Uniform, A: 200 * time.Microsecond, B: 800 * time.Microsecond}},
		Server:  scenario.Server{NoResponders: true},
		Clients: []scenario.Client{{Name: "app", AllowReconnect: true}},
	}
	for i := 1; i <= 3; i++ {
		sc.Subs = append(sc.Subs, scenario.Subscription{
			ID: fmt.Sprintf("s%d", i), Client: "app", Subject: "work",
			Handler: scenario.Handler{Duration: sim.Dist{Kind: sim.Uniform, A: 50 * time.Microsecond, B: 150 * time.Microsecond}},
		})
	}
	sc.Actions = []scenario.Action{
		{At: 0, Publish: &scenario.Publish{Client: "app", Subject: "work", Count: 1000, Size: 64}},
		{At: time.Millisecond, Drain: &scenario.ClientRef{Client: "app"}},
	}
	return sc
}

// BenchmarkScenario measures whole runs of the standard workload without a
// trace, as sweeps and property runs use the model.
func BenchmarkScenario(b *testing.B) {
	sc := benchScenario()
	b.ReportAllocs()
	var events uint64
	for i := 0; i < b.N; i++ {
		sc.Seed = uint64(i)
		res, err := model.Run(sc, model.Config{})
		if err != nil {
			b.Fatal(err)
		}
		events += res.Stop.Events
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}

// BenchmarkScenarioTraced is the same workload with the full trace recorded,
// as `drainsim run` does.
func BenchmarkScenarioTraced(b *testing.B) {
	sc := benchScenario()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sc.Seed = uint64(i)
		if _, err := model.Run(sc, model.Config{Trace: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

func TestBenchScenarioDrainsEverything(t *testing.T) {
	res, err := model.Run(benchScenario(), model.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"s1", "s2", "s3"} {
		if n := res.Sub(id).NumHandled(); n != 1000 {
			t.Errorf("%s handled %d messages, want 1000", id, n)
		}
	}
	if c := res.Conn("app"); c.ClosedAt == model.NoTime || c.DrainTimedOut {
		t.Errorf("drain did not close cleanly: %+v", c)
	}
}

// TestBenchScenarioAllocatesOnce: a plain run of the standard scenario
// allocates its records and buffers about once. The server's outbound
// FIFO to the subscriber, which receives the whole routed backlog in one
// read, grew by doubling to 3,000 frames and the subscriptions' pending
// queues to 1,000 entries (892 KB a run); they are sized from the
// scenario now (684 KB). Catches Conn.growIn doubling only, or a new
// pending queue not presized.
func TestBenchScenarioAllocatesOnce(t *testing.T) {
	if kb := allocatedPerRun(t, benchScenario(), 5) >> 10; kb > 720 {
		t.Errorf("a run allocates %d KB, want at most 720 KB", kb)
	}
}

// TestDrainOfManySubsAllocatesLinearly: draining a connection with 1,000
// subscriptions removed each from the connection's list by copying the
// rest (4 MB of the run's 7.6 MB); removal is in place now (2.6 MB).
// Catches removeSub copying the list again.
func TestDrainOfManySubsAllocatesLinearly(t *testing.T) {
	if kb := allocatedPerRun(t, scaleScenario(1000, 1, 1000), 2) >> 10; kb > 4<<10 {
		t.Errorf("a run allocates %d KB, want at most 4 MB", kb)
	}
}

// TestCallsReservedOnce: a run reserves a call record for every other
// action and for a publish action's burst, so that a thousand single
// publishes and a drain reserve 1,001 records, and a burst of a thousand
// and a drain 2, each neither growing the list nor reserving more than it
// uses. Catches a publish action counted both as its messages and as an
// action (2,001 reserved), a burst reserved a record a message (1,001),
// a burst not folded into one record (the list grows past 2), and a
// reserve short of the calls (the list grows past them).
func TestCallsReservedOnce(t *testing.T) {
	for _, tc := range []struct{ msgs, subs, records int }{{1000, 1000, 1001}, {1000, 1, 2}} {
		res, err := model.Run(scaleScenario(tc.msgs, 1, tc.subs), model.Config{})
		if err != nil {
			t.Fatal(err)
		}
		n, capacity := model.CallRecords(res)
		if res.NumCalls() != 1001 || n != tc.records || capacity != tc.records {
			t.Errorf("%d subscriptions: %d calls in %d records in a list of capacity %d, want 1,001 in %d in %d",
				tc.subs, res.NumCalls(), n, capacity, tc.records, tc.records)
		}
	}
}

// TestHandledReservedPerSubscription: each subscription's handled list is
// reserved for the messages published on the subjects it matches, whether
// it subscribes at set-up (from presize's estimates, World.subExpect) or
// later (expectedOn), so that each list holds its messages in an array of
// exactly their number. Catches set-up reading another subscription's
// estimate (subExpect misindexed) or none (each list grows instead), and a
// per-subject count that presize adds up wrong.
func TestHandledReservedPerSubscription(t *testing.T) {
	sc := benchScenario()
	sc.Subs = nil
	for _, s := range []struct {
		id, subject string
		deferred    bool
	}{{"x1", "x", false}, {"y1", "y", false}, {"any", "*", false}, {"y2", "y", true}, {"x2", "x", false}} {
		sc.Subs = append(sc.Subs, scenario.Subscription{ID: s.id, Client: "app", Subject: s.subject, Deferred: s.deferred,
			Handler: scenario.Handler{Duration: fastHandler}})
	}
	sc.Actions = []scenario.Action{
		{At: 0, Subscribe: &scenario.SubRef{Sub: "y2"}},
		{At: time.Millisecond, Publish: &scenario.Publish{Client: "app", Subject: "x", Count: 3, Size: 64}},
		{At: time.Millisecond, Publish: &scenario.Publish{Client: "app", Subject: "y", Count: 5, Size: 64}},
		{At: 2 * time.Millisecond, Publish: &scenario.Publish{Client: "app", Subject: "y", Count: 2, Size: 64}},
		{At: time.Second, Drain: &scenario.ClientRef{Client: "app"}},
	}
	res, err := model.Run(sc, model.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"x1": 3, "y1": 7, "any": 10, "y2": 7, "x2": 3} {
		if s := res.Sub(id); s.NumHandled() != want || model.HandledCap(s) != want {
			t.Errorf("%s: %d handled in a list of capacity %d, want %d in %d", id, s.NumHandled(), model.HandledCap(s), want, want)
		}
	}
}

// allocatedPerRun returns the bytes a plain run of sc allocates, averaged
// over runs runs: allocation counts deterministically what CPU time
// measures only on a quiet machine.
func allocatedPerRun(t *testing.T, sc *scenario.Scenario, runs int) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := model.Run(sc, model.Config{}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
	t.Logf("%d KB a run", perRun>>10)
	return perRun
}

// fastHandler takes 5 to 15µs, so that a million messages are handled
// within the default drain timeout.
var fastHandler = sim.Dist{Kind: sim.Uniform, A: 5 * time.Microsecond, B: 15 * time.Microsecond}

// scaleScenario is the standard workload's shape stretched one way: msgs
// messages in all, spread over clients clients with subs subscriptions
// each, every subscription on a subject of its own and every message
// delivered once, so that the events per message stay the same and the
// cost per event must too (docs/performance.md).
func scaleScenario(msgs, clients, subs int) *scenario.Scenario {
	sc := benchScenario()
	sc.Clients, sc.Subs, sc.Actions = nil, nil, nil
	n := clients * subs
	for c := range clients {
		name := fmt.Sprintf("c%d", c)
		sc.Clients = append(sc.Clients, scenario.Client{Name: name, AllowReconnect: true})
		for k := range subs {
			id := fmt.Sprintf("%s.s%d", name, k)
			sc.Subs = append(sc.Subs, scenario.Subscription{ID: id, Client: name, Subject: id,
				Handler: scenario.Handler{Duration: fastHandler}})
		}
	}
	for i := range sc.Subs {
		sub := &sc.Subs[i]
		if count := msgs/n + min(1, max(0, msgs%n-i)); count > 0 {
			sc.Actions = append(sc.Actions, scenario.Action{Publish: &scenario.Publish{Client: sub.Client, Subject: sub.Subject, Count: count, Size: 64}})
		}
	}
	for c := range sc.Clients {
		sc.Actions = append(sc.Actions, scenario.Action{At: time.Millisecond, Drain: &scenario.ClientRef{Client: sc.Clients[c].Name}})
	}
	return sc
}

// BenchmarkScale runs scaleScenario at 1,000 and 1,000,000 messages and
// with 1 and 1,000 subscriptions or clients; ns/event is the figure to
// compare across them: the target is within 1.3x of msgs=1k.
//
// At msgs=1M the backlog overflows the subscription's default pending
// limits (nats.go's 512 Ki messages and 64 MiB), so half the messages are
// dropped as a slow consumer: each event then carries the publishing and
// routing of two messages, and its ns/event is not the 1k figure's. The
// shape msgs=1M-handled lifts the limits, so that every message is handled
// as at 1k and ns/event compares like with like.
//
// A client or a subscription brings events of its own (connect, SUB,
// drain, close: 25 events a client, 6 a subscription, against about one a
// message), so clients=1k and subs=1k run a different mix of events from
// msgs=1k. clients=100 and subs=100 run that mix at a tenth of the scale, one
// message each: clients=1k's ns/event over clients=100's is the growth
// with the number of clients alone (docs/performance.md).
func BenchmarkScale(b *testing.B) {
	for _, tc := range []struct {
		name                string
		msgs, clients, subs int
		unlimited           bool // no pending limits: nothing dropped
	}{
		{"msgs=1k", 1000, 1, 1, false},
		{"msgs=1M", 1_000_000, 1, 1, false},
		{"msgs=1M-handled", 1_000_000, 1, 1, true},
		{"subs=1k", 1000, 1, 1000, false},
		{"clients=1k", 1000, 1000, 1, false},
		{"subs=100", 100, 1, 100, false},
		{"clients=100", 100, 100, 1, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			sc := scaleScenario(tc.msgs, tc.clients, tc.subs)
			sc.Limits.MaxRecords = 0
			if tc.unlimited {
				none := 0
				for i := range sc.Subs {
					sc.Subs[i].PendingMsgsLimit, sc.Subs[i].PendingBytesLimit = &none, &none
				}
			}
			benchRuns(b, sc, -1)
		})
	}
}

// benchRuns runs sc with plain model.Run, a new seed each time, until the
// benchmark has its figure, and reports ns/event and events/run. Each run
// must end quiescent, and when handled >= 0 its first subscription must
// have handled that many messages.
func benchRuns(b *testing.B, sc *scenario.Scenario, handled int) {
	b.Helper()
	benchRunsOn(b, sc, handled, model.Run)
}

// benchRunsOn is benchRuns with run (model.Run, or a Runner's Run) making
// each run.
func benchRunsOn(b *testing.B, sc *scenario.Scenario, handled int, run func(*scenario.Scenario, model.Config) (*model.Result, error)) {
	b.Helper()
	b.ReportAllocs()
	var events uint64
	for i := 0; b.Loop(); i++ {
		sc.Seed = uint64(i)
		res, err := run(sc, model.Config{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Stop.Reason != sim.Quiescent {
			b.Fatalf("stopped: %v", res.Stop.Reason)
		}
		if got := res.Subs[0].NumHandled(); handled >= 0 && got != handled {
			b.Fatalf("%d messages handled, want %d", got, handled)
		}
		events += res.Stop.Events
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}

func TestScaleScenarioDeliversEveryMessage(t *testing.T) {
	for _, shape := range [][3]int{{1000, 1, 1}, {1000, 1, 7}, {1000, 3, 5}, {10, 1, 1000}} {
		res, err := model.Run(scaleScenario(shape[0], shape[1], shape[2]), model.Config{})
		if err != nil {
			t.Fatal(err)
		}
		handled := 0
		for _, s := range res.Subs {
			handled += s.NumHandled()
		}
		if handled != shape[0] {
			t.Errorf("shape %v: %d messages handled, want %d", shape, handled, shape[0])
		}
	}
}

// TestRecordsPack: the ledger's records are written once per message or
// delivery, a million of each in a long run, so padding between their
// fields costs memory and cache. Catches Delivery past 56 bytes (Msg or
// Sub back to an int: 64; DroppedAt after Fate and Reason: 72) or Message
// past one 64-byte cache line (Status back to an int, a delivery chain's
// int32 head put back, or Fate between two Strs: 72 bytes each).
func TestRecordsPack(t *testing.T) {
	if n := unsafe.Sizeof(model.Delivery{}); n > 56 {
		t.Errorf("Delivery is %d bytes, want at most 56", n)
	}
	if n := unsafe.Sizeof(model.Message{}); n > 64 {
		t.Errorf("Message is %d bytes, want at most 64", n)
	}
}

// TestRecordsPointerFree: the records written per message, delivery and
// call hold no pointers, so the GC never scans a ledger of a million of
// them and they pack densely. Catches a string (or slice, map, pointer)
// field put back into Message, CallRecord or CallbackEvent, e.g.
// `Subject string` or `Counters *Counters`. The frames of the network and out buffers and the
// pending queue's entries are checked too: World.putFrames hands a buffer
// back without clearing it, which is safe only while what it holds keeps
// nothing alive (catches e.g. a `seg *segment` field in frame).
func TestRecordsPointerFree(t *testing.T) {
	for _, v := range []any{model.Message{}, model.Delivery{}, model.CallRecord{}, model.CallbackEvent{}, model.Frame{}, model.Queued{}} {
		typ := reflect.TypeOf(v)
		if path := pointerIn(typ); path != "" {
			t.Errorf("%s holds a pointer at %s%s; intern it (model.Str) instead", typ, typ.Name(), path)
		}
	}
	// The check itself: a record with a string must fail it.
	if pointerIn(reflect.TypeOf(struct{ S string }{})) == "" {
		t.Error("pointerIn misses a string field")
	}
}

// pointerIn returns the path of the first field of t that the GC scans,
// "" when there is none.
func pointerIn(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if p := pointerIn(f.Type); p != "" {
				return "." + f.Name + p
			}
		}
		return ""
	case reflect.Array:
		if p := pointerIn(t.Elem()); p != "" {
			return "[]" + p
		}
		return ""
	}
	if isScalar(t) {
		return ""
	}
	return " (" + t.Kind().String() + ")"
}

// isScalar reports whether t's kind holds no pointer itself (a struct or
// array may still hold one in its elements; pointerIn looks inside).
func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface,
		reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	}
	return true
}
