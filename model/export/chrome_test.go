package export_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/export"
)

// checkChrome parses a Chrome trace and checks its structure: time order,
// every B ended by an E on the same thread (nested), no process without
// events, and flow starts and finishes paired by id, the finish not
// before the start. It returns the non-metadata events and the names of
// processes and threads.
func checkChrome(t *testing.T, out string) ([]map[string]any, map[string]bool) {
	t.Helper()
	var doc struct {
		DisplayTimeUnit string           `json:"displayTimeUnit"`
		TraceEvents     []map[string]any `json:"traceEvents"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Equal(t, "ms", doc.DisplayTimeUnit)
	names := map[string]bool{}
	procs := map[float64]bool{}   // pid -> has events
	open := map[string][]string{} // pid/tid -> stack of open span names
	flowStart, flowEnd := map[float64]float64{}, map[float64]float64{}
	var evs []map[string]any
	last := -1.0
	for _, e := range doc.TraceEvents {
		ph := e["ph"].(string)
		pid := e["pid"].(float64)
		if ph == "M" {
			names[e["args"].(map[string]any)["name"].(string)] = true
			if e["name"] == "process_name" {
				procs[pid] = procs[pid] || false
			}
			continue
		}
		evs = append(evs, e)
		procs[pid] = true
		ts := e["ts"].(float64)
		require.GreaterOrEqual(t, ts, last, "timestamps must not go back: %v", e)
		last = ts
		key := fmt.Sprint(pid, "/", e["tid"])
		switch ph {
		case "B":
			open[key] = append(open[key], e["name"].(string))
		case "E":
			stack := open[key]
			require.NotEmpty(t, stack, "an end without a begin: %v", e)
			require.Equal(t, stack[len(stack)-1], e["name"], "spans must nest")
			open[key] = stack[:len(stack)-1]
		case "s", "f":
			m := map[string]map[float64]float64{"s": flowStart, "f": flowEnd}[ph]
			id := e["id"].(float64)
			require.NotContains(t, m, id, "flow %v has two %q events", id, ph)
			m[id] = ts
		}
	}
	for key, stack := range open {
		require.Empty(t, stack, "spans left open on %s", key)
	}
	for pid, used := range procs {
		require.True(t, used, "process %v has no events", pid)
	}
	require.Equal(t, len(flowStart), len(flowEnd), "flow starts and finishes must pair")
	for id, start := range flowStart {
		end, ok := flowEnd[id]
		require.True(t, ok, "flow %v has no finish", id)
		require.GreaterOrEqual(t, end, start, "flow %v arrives before it leaves", id)
	}
	return evs, names
}

func chrome(t *testing.T, src string) []map[string]any {
	t.Helper()
	tr := run(t, src, 0)
	evs, _ := checkChrome(t, render(t, func(b *bytes.Buffer) error { return export.Chrome(b, tr) }))
	return evs
}

func TestChrome(t *testing.T) {
	tr := run(t, twoClients, 0)
	out := render(t, func(b *bytes.Buffer) error { return export.Chrome(b, tr) })
	evs, names := checkChrome(t, out)
	spans := 0
	for _, e := range evs {
		if e["ph"] == "E" {
			spans++
		}
	}
	for _, n := range []string{"a", "b", "wa", "wb", "connection"} {
		require.True(t, names[n], "no process or thread named %s", n)
	}
	// The server's events are all drawn on its clients' processes here, so
	// its process would be empty. Catches: declaring every actor's process.
	require.False(t, names["server"], "the empty server process must be left out")
	require.Greater(t, spans, 10)
	require.Equal(t, out, render(t, func(b *bytes.Buffer) error { return export.Chrome(b, tr) }), "output must be deterministic")
}

// cancelled has the close cancel a running callback (python profile:
// the drain times out while the handler runs).
const cancelled = `
name: cancel
profile: python
network: {latency: 1ms}
clients:
  - {name: a, drain_timeout: 50ms}
  - {name: b}
subscriptions:
  - {id: wa, client: a, subject: work, handler: {duration: 200ms}}
actions:
  - {at: 0s, publish: {client: b, subject: work, count: 3}}
  - {at: 2ms, drain: {client: a}}
`

// TestChromeClosesCancelledCallback: the callback the close cancels ends
// at the cancel, saying so. Catches: drawing callback.cancelled as an
// instant, which left its slice open.
func TestChromeClosesCancelledCallback(t *testing.T) {
	var ends []map[string]any
	for _, e := range chrome(t, cancelled) {
		if e["ph"] == "E" && e["cat"] == "callback" {
			ends = append(ends, e)
		}
	}
	require.Len(t, ends, 1)
	require.Equal(t, map[string]any{"ended_by": "callback.cancelled"}, ends[0]["args"])
	require.Equal(t, 54250.0, ends[0]["ts"], "the slice ends at the cancel")
}

// TestChromeUnits: durations in args are microseconds like ts, under a
// key that says so. Catches: nanoseconds, or a key without the unit.
func TestChromeUnits(t *testing.T) {
	for _, e := range chrome(t, cancelled) {
		if e["name"] == "drain.wait" {
			require.Equal(t, map[string]any{"subs": 1.0, "timeout_us": 50000.0}, e["args"])
			return
		}
	}
	t.Fatal("no drain.wait event")
}

// TestChromeFlowsAndCounters: one flow per delivery from the publish to
// the message's arrival, and a pending counter per subscription that
// equals msg.queued's pending and falls by one as each callback returns.
// Catches: flows per message rather than per delivery (a fan-out pairs
// one start with two finishes), and a counter that misses the decrement.
func TestChromeFlowsAndCounters(t *testing.T) {
	src := strings.Replace(twoClients+"  - {at: 60ms, publish: {client: b, subject: fan}}\n", "actions:",
		"  - {id: fa, client: b, subject: fan}\n  - {id: fb, client: b, subject: fan}\nactions:", 1)
	evs := chrome(t, src)
	queued, finishes := 0, 0
	counter := map[string]float64{} // counter name -> value
	for i, e := range evs {
		switch e["ph"] {
		case "f":
			finishes++
			require.Equal(t, "msg.queued", evs[i-1]["name"], "a flow ends at the arrival")
		case "C":
			counter[e["name"].(string)] = e["args"].(map[string]any)["pending"].(float64)
		}
		if e["name"] == "msg.queued" {
			queued++
			a := e["args"].(map[string]any)
			c := evs[i+2] // after the flow's finish
			require.Equal(t, "C", c["ph"])
			require.Equal(t, "pending "+a["sub"].(string), c["name"])
			require.Equal(t, a["pending"], c["args"].(map[string]any)["pending"])
		}
	}
	require.Equal(t, queued, finishes, "every arrival of a published message ends a flow")
	require.Greater(t, queued, 10)
	// Every callback of wb, fa and fb returned, so none has anything pending.
	for _, sub := range []string{"wb", "fa", "fb"} {
		require.Equal(t, 0.0, counter["pending "+sub], sub)
	}
}
