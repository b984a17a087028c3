package model_test

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// runBudgeted runs an inline scenario traced, untraced and with a Runner,
// requires the three to stop alike (a budget must not depend on the
// trace), and returns the traced result.
func runBudgeted(t *testing.T, yaml string) *model.Result {
	t.Helper()
	return runBudgetedScenario(t, parseYAML(t, yaml))
}

// runBudgetedScenario is runBudgeted for a parsed scenario.
func runBudgetedScenario(t *testing.T, sc *scenario.Scenario) *model.Result {
	t.Helper()
	traced, err := model.Run(sc, model.Config{Trace: true})
	require.NoError(t, err)
	plain, err := model.Run(sc, model.Config{})
	require.NoError(t, err)
	require.Equal(t, traced.Stop, plain.Stop, "a traced and an untraced run stop alike")
	var r model.Runner
	for range 2 { // the second run reuses the first one's memory
		reused, err := r.Run(sc, model.Config{})
		require.NoError(t, err)
		require.Equal(t, traced.Stop, reused.Stop, "a Runner's run stops like Run's")
	}
	return traced
}

// requireRecordBudget checks that res stopped on its record budget with no
// more records than the budget plus slack (what the event that crossed it
// made before it noticed), and that what it counted is what it kept.
func requireRecordBudget(t *testing.T, res *model.Result, slack uint64) {
	t.Helper()
	limit := res.Scenario.Limits.MaxRecords
	require.Equal(t, sim.RecordBudget, res.Stop.Reason)
	require.Greater(t, res.Stop.Records, limit)
	require.LessOrEqual(t, res.Stop.Records, limit+slack)
	kept := len(res.Ledger.Messages) + len(res.Ledger.Deliveries) + res.NumCalls()
	require.Equal(t, res.Stop.Records, uint64(kept), "every message, delivery and call is counted")

	so := res.Outcome().Stop
	require.Equal(t, "record-budget-exhausted", so.Reason)
	require.Equal(t, "max_records", so.Budget)
	require.Equal(t, limit, so.BudgetValue)
	var b strings.Builder
	require.NoError(t, res.Outcome().WriteSummary(&b))
	require.Contains(t, b.String(), fmt.Sprintf(" events with %d records (budget limits.max_records: %d)\n", res.Stop.Records, limit))
}

// TestHugeCountsDoNotPanic: a publish or request count near 2^62 or 2^63
// sized the ledger from the user's count and panicked (makeslice: cap out
// of range), with one action (2*count overflows for requests) or two
// (their sum overflows). Scenario files now refuse counts above
// scenario.MaxCount, but a scenario built in code is not parsed: the
// presizing saturates and the record budget ends the run. Catches presize
// summing counts without saturation.
func TestHugeCountsDoNotPanic(t *testing.T) {
	const two62, max63 = 1 << 62, 1<<63 - 1
	for name, c := range map[string]struct {
		verb   string
		counts []int
	}{
		"publish 2^63-1":   {"publish", []int{max63}},
		"two publish 2^62": {"publish", []int{two62, two62}},
		"request 2^62":     {"request", []int{two62}},
		"request 2^63-1":   {"request", []int{max63}},
	} {
		// huge returns the scenario with its actions' counts set to c's.
		huge := func(t *testing.T, limits, interval string) *scenario.Scenario {
			var actions []string
			for range c.counts {
				actions = append(actions, "{at: 0s, "+c.verb+": {client: app, subject: x"+interval+"}}")
			}
			sc := parseYAML(t, "\nlimits: "+limits+"\nclients: [{name: app}]\nactions: ["+strings.Join(actions, ", ")+"]")
			for i, n := range c.counts {
				if a := &sc.Actions[i]; a.Publish != nil {
					a.Publish.Count = n
				} else {
					a.Request.Count = n
				}
			}
			return sc
		}
		t.Run(name, func(t *testing.T) {
			res := runBudgetedScenario(t, huge(t, "{max_records: 1000}", ""))
			requireRecordBudget(t, res, 3)
		})
		// Without a record budget nothing bounds the estimate but presize
		// itself; the time budget ends the run after the first calls.
		t.Run(name+" unbudgeted", func(t *testing.T) {
			sc := huge(t, "{max_time: 1m}", ", interval: 1h")
			sc.Limits.MaxRecords = 0
			res, err := model.Run(sc, model.Config{})
			require.NoError(t, err)
			require.Equal(t, sim.TimeBudget, res.Stop.Reason)
		})
	}
}

// TestBudgetStopsCallsWithinOneEvent: an action with a count and no
// interval makes all its calls in one event, where the event budget never
// looks: count 10^9 under max_events 1000 hung and grew past 5 GB. The
// record budget now stops it after max_records records. Catches a call
// loop (a top-level publish, request or next_msg, a handler's publish) not
// checking Stopping between calls: the run then makes 10^9 calls and runs
// out of memory (seen for publish under a 6 GB limit).
func TestBudgetStopsCallsWithinOneEvent(t *testing.T) {
	for name, tc := range map[string]struct {
		profile, yaml string
	}{
		"publish": {"go", `
actions: [{at: 0s, publish: {client: app, subject: x, count: 1000000000}}]`},
		"request": {"go", `
actions: [{at: 0s, request: {client: app, subject: x, count: 1000000000}}]`},
		// java refuses requests during a drain without publishing: only
		// the call records grow.
		"request refused": {"java", `
subscriptions: [{id: s, client: app, subject: x, handler: {duration: 1s}}]
actions:
  - {at: 0s, publish: {client: app, subject: x}}
  - {at: 1ms, drain: {client: app}}
  - {at: 2ms, request: {client: app, subject: x, count: 1000000000}}`},
		"next_msg": {"go", nextMsgFails},
		"handler publish": {"go", `
subscriptions: [{id: s, client: app, subject: x, handler: {actions: [{publish: {subject: y, count: 1000000000}}]}}]
actions: [{at: 0s, publish: {client: app, subject: x}}]`},
	} {
		t.Run(name, func(t *testing.T) {
			res := runBudgeted(t, "profile: "+tc.profile+`
limits: {max_events: 1000, max_records: 10000}
clients: [{name: app}]
`+strings.TrimSpace(tc.yaml))
			requireRecordBudget(t, res, 3)
			require.Less(t, res.Stop.Events, uint64(1000), "the record budget, not the event budget, stopped it")
		})
	}
}

// nextMsgFails makes next_msg calls on a subscription never made: each
// fails at once, call after call.
const nextMsgFails = `
subscriptions: [{id: s, client: app, subject: x, type: sync, deferred: true}]
actions: [{at: 0s, next_msg: {sub: s, count: 1000000000}}]`

// TestNextMsgCallsDoNotRecurse: next_msg calls that return at once are
// made in a loop. They were made by recursion, and 10^9 of them overflowed
// the goroutine's stack (fatal error: stack overflow); under a record
// budget the depth is the budget. Run with a 4 MB stack limit, 100,000
// records are enough to catch the recursion (it crashes the test binary).
func TestNextMsgCallsDoNotRecurse(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(4 << 20))
	res, err := model.Run(parseYAML(t, "limits: {max_records: 100000}\nclients: [{name: app}]\n"+strings.TrimSpace(nextMsgFails)), model.Config{})
	require.NoError(t, err)
	requireRecordBudget(t, res, 1)
}

// Runaway handlers: one that republishes to its own subject with no
// latency (an endless loop), and one that publishes twice (a doubling
// loop). Under the default budgets they ran out of memory (about 9 GB)
// before the event budget stopped them.
const (
	selfLoop = `
network: {latency: 0s}
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x, handler: {actions: [{publish: {subject: x}}]}}]
actions: [{at: 0s, publish: {client: app, subject: x}}]`
	doublingLoop = `
network: {latency: 0s}
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x, handler: {actions: [{publish: {subject: x, count: 2}}]}}]
actions: [{at: 0s, publish: {client: app, subject: x}}]`
	// fanOut delivers each of count messages to 50 subscriptions.
	fanOut = `
clients: [{name: app}]
subscriptions: [%SUBS%]
actions: [{at: 0s, publish: {client: app, subject: x, count: %COUNT%}}]`
)

func fanOutYAML(count int) string {
	var subs []string
	for i := range 50 {
		subs = append(subs, fmt.Sprintf("{id: s%d, client: app, subject: x}", i))
	}
	return strings.NewReplacer("%SUBS%", strings.Join(subs, ", "), "%COUNT%", strconv.Itoa(count)).Replace(fanOut)
}

// repliesAtOnce answers 4,000 requests, whose replies reach the response
// mux together: 20,000 records before the replies, one more per reply.
const repliesAtOnce = `
clients: [{name: app}, {name: svc}]
subscriptions: [{id: s, client: svc, subject: q, handler: {duration: 0s, actions: [{reply: {}}]}}]
actions: [{at: 0s, request: {client: app, subject: q, count: 4000}}]`

// TestRunawayHandlersStopOnRecordBudget: the loops, wide fan-outs and
// batches of replies stop on the record budget, in bounded memory.
// Catches the ledger or the call records not counting against the budget
// (the run would stop on max_events only, after far more records than
// max_records); the server routing a whole read without checking the
// budget (1,000 messages that fit, read at once and delivered to 50
// subscriptions each, made 52,000 records under a budget of 20,000); and
// the response mux working off its queue in one event without checking
// it, whether its callbacks start one another (go) or the read of the
// replies starts them (natsjs): 24,000 records.
func TestRunawayHandlersStopOnRecordBudget(t *testing.T) {
	for name, yaml := range map[string]string{"self loop": selfLoop, "doubling loop": doublingLoop,
		"fan-out": fanOutYAML(1_000_000), "fan-out of one read": fanOutYAML(1000),
		"replies at once": repliesAtOnce, "replies at once, natsjs": "profile: natsjs\n" + strings.TrimSpace(repliesAtOnce)} {
		t.Run(name, func(t *testing.T) {
			res := runBudgeted(t, "limits: {max_records: 20000}\n"+strings.TrimSpace(yaml))
			requireRecordBudget(t, res, 60) // fan-out: one message's 50 deliveries in one event
		})
	}
}

// peakPerLive is how much more memory a run's process holds at its peak
// than the run keeps live at its end: the garbage collector lets the heap
// grow to twice the live data (GOGC=100), and a growing list briefly holds
// its old and new arrays. Measured: the workloads below peak at 2.1-2.5
// times their live bytes (docs/scenario-format.md#budgets).
const peakPerLive = 2.5

// TestDefaultBudgetsBoundMemory measures the bytes a traced run keeps live
// per record in the worst workloads we know (the runaway loops, a wide
// fan-out, a long backlog), and requires the default record budget to
// keep their estimated peak under 1.5 GiB. Catches a default raised beyond
// what the memory allows, or records growing fatter (a field, another
// trace entry per record) without the default being lowered.
func TestDefaultBudgetsBoundMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("keeps about 100 MB live")
	}
	const records = 200_000
	for name, yaml := range map[string]string{
		"self loop": selfLoop, "doubling loop": doublingLoop, "fan-out": fanOutYAML(1_000_000),
		"backlog": `
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x}]
actions: [{at: 0s, publish: {client: app, subject: x, count: 10000000}}]`,
	} {
		t.Run(name, func(t *testing.T) {
			sc := parseYAML(t, strings.TrimSpace(yaml))
			sc.Limits.MaxRecords = records
			var before, after runtime.MemStats
			// Two collections empty Run's pool of Runners (a pool keeps
			// what was put in it through one collection): the Runners
			// earlier tests left, of any size, are not freed while this
			// run is measured, which made the heap shrink across it. The
			// run's own Runner goes back to the pool and survives the
			// one collection after it, so its buffers count as live.
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, err := model.Run(sc, model.Config{Trace: true})
			require.NoError(t, err)
			runtime.GC()
			runtime.ReadMemStats(&after)
			require.Equal(t, sim.RecordBudget, res.Stop.Reason)
			require.Greater(t, after.HeapAlloc, before.HeapAlloc, "the live heap shrank across the run: something else freed memory meanwhile")
			live := float64(after.HeapAlloc-before.HeapAlloc) / float64(res.Stop.Records)
			runtime.KeepAlive(res)
			peak := live * peakPerLive * scenario.DefaultMaxRecords
			t.Logf("%s: %.0f bytes live per record; estimated peak at the default max_records (%d): %.2f GiB",
				name, live, scenario.DefaultMaxRecords, peak/(1<<30))
			require.Less(t, peak, 1.5*(1<<30))
		})
	}
}

// TestFarFutureTimersStopOnMaxTime: timeouts far beyond max_time (a
// request, a flush, a drain waiting 1000h, the largest duration a file can
// give: scenario.MaxDuration) do not fire early: the run stops on its time
// budget with them still pending. Catches a time budget that lets the
// clock run past max_time (the run would go on to the handler's end, 1000
// hours on). Durations near 2^63 ns, which only code can set, saturate
// instead of wrapping: see overflow_test.go.
func TestFarFutureTimersStopOnMaxTime(t *testing.T) {
	res := runBudgeted(t, `
limits: {max_time: 1m}
clients: [{name: app, drain_timeout: 1000h}]
subscriptions: [{id: s, client: app, subject: x, handler: {duration: 1000h}}]
actions:
  - {at: 0s, publish: {client: app, subject: x}}
  - {at: 0s, request: {client: app, subject: nobody, timeout: 1000h}}
  - {at: 1ms, drain: {client: app}}`)
	require.Equal(t, sim.TimeBudget, res.Stop.Reason)
	require.LessOrEqual(t, res.Stop.Now, sim.Time(time.Minute))
	require.Equal(t, []string{"publish=ok", "drain=ok"}, append(results(res, "actions[0]"), results(res, "actions[2]")...),
		"the request is still waiting")
	c := res.Conn("app")
	require.Equal(t, model.NoTime, c.ClosedAt, "the drain is still waiting")
	require.False(t, c.DrainTimedOut)
	so := res.Outcome().Stop
	require.Equal(t, "max_time", so.Budget)
	require.Equal(t, uint64(time.Minute), so.BudgetValue)
	var b strings.Builder
	require.NoError(t, res.Outcome().WriteSummary(&b))
	require.Contains(t, b.String(), "stopped: time-budget-exhausted at ")
	require.Contains(t, b.String(), " (budget limits.max_time: 1m0s)\n")
}

// TestManyRequestsSettleInLinearTime: each settled request was cut out of
// the connection's list of pending ones by copying the rest, so answering
// n pending requests cost n²/2 copies: 150,000 requests answered at once
// (within the default budgets) took two minutes. Allocation counts it
// deterministically: 20,000 requests answered in one batch allocated
// 1.6 GB that way and allocate about 55 MB now. Catches settleRequest
// removing each request from the list again.
func TestManyRequestsSettleInLinearTime(t *testing.T) {
	sc := parseYAML(t, `
clients: [{name: app}, {name: svc}]
subscriptions: [{id: s, client: svc, subject: q, handler: {duration: 0s, actions: [{reply: {}}]}}]
actions: [{at: 0s, request: {client: app, subject: q, count: 20000, timeout: 1h}}]`)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := model.Run(sc, model.Config{})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, sim.Quiescent, res.Stop.Reason)
	ok := 0
	for _, c := range res.Calls() {
		if res.Str(c.Source) == "actions[0]" && res.Str(c.Result) == model.OK {
			ok++
		}
	}
	require.Equal(t, 20000, ok, "every request is answered")
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MB allocated", allocated>>20)
	require.Less(t, allocated, uint64(300<<20))
}
