package conformance

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

const eventsScenario = `name: ev
profile: natsjs
server: {no_responders: true}
clients: [{name: app}]
subscriptions:
  - {id: s1, client: app, subject: x, handler: {duration: 10ms, blocking: true}}
actions:
  - {at: 0s, publish: {client: app, subject: x, count: 2}}
  - {at: 1ms, drain: {client: app}}
`

func loadEvents(t *testing.T) *scenario.Scenario {
	sc, err := scenario.Parse("ev.yaml", []byte(eventsScenario))
	require.NoError(t, err)
	return sc
}

// jsObserves is what a nats.js-like driver sees: draining but not which
// phase, no callback ends, no last error.
var jsObserves = `{"status":{"CONNECTED":"CONNECTED","DRAINING_SUBS":"DRAINING","DRAINING_PUBS":"DRAINING","CLOSED":"CLOSED"},` +
	`"callbacks":["disconnected","closed"],"sub_removed":true,"drain_done":true}`

func TestReadEvents(t *testing.T) {
	stream := strings.Join([]string{
		`{"ev":"log","msg":"connecting"}`,
		`{"ev":"start","library":"nats 2.29.3","observes":` + jsObserves + `}`,
		`{"ev":"subscribed","sub":"s1","t":0}`,
		`{"ev":"call","source":"actions[0]","verb":"publish","client":"app","at":10,"returned":20,"result":"ok","key":"actions[0]/0"}`,
		`{"ev":"call","source":"actions[0]","verb":"publish","client":"app","at":30,"returned":40,"result":"ok","key":"actions[0]/1"}`,
		`{"ev":"deliver","sub":"s1","key":"actions[0]/0","t":500}`,
		`{"ev":"call","source":"actions[1]","verb":"drain","client":"app","at":1000000,"returned":1000100,"result":"ok"}`,
		`{"ev":"status","client":"app","status":"DRAINING","t":1000050}`,
		`{"ev":"handled","sub":"s1","key":"actions[0]/0","t":10000500}`,
		`{"ev":"deliver","sub":"s1","key":"actions[0]/1","t":10000600}`,
		`{"ev":"handled","sub":"s1","key":"actions[0]/1","t":20000600}`,
		`{"ev":"sub_removed","sub":"s1","t":20000700}`,
		`{"ev":"status","client":"app","status":"CLOSED","t":21000000}`,
		`{"ev":"callback","client":"app","kind":"closed","t":21000100}`,
		`{"ev":"drain_done","client":"app","t":21000200,"result":"ok"}`,
		`{"ev":"end"}`,
	}, "\n")
	run, err := ReadEvents(strings.NewReader(stream), loadEvents(t))
	require.NoError(t, err)
	require.True(t, run.Ended)
	require.Equal(t, "nats 2.29.3", run.Library)
	require.Equal(t, []string{"connecting"}, run.Log)
	o := run.Side.Outcome
	require.Len(t, o.Calls, 3)
	require.Equal(t, 1, o.Calls[0].Msg)
	require.Equal(t, "actions[0]/1", run.Side.Keys[o.Calls[1].Msg])
	s := o.Subscriptions[0]
	require.Len(t, s.Delivered, 2)
	require.Equal(t, int64(10000500), *s.Delivered[0].EndNS)
	require.Equal(t, int64(20000700), *s.RemovedNS)
	c := o.Connections[0]
	require.Equal(t, []string{"CONNECTED", "DRAINING", "CLOSED"}, statusNames(c.Status))
	require.Equal(t, int64(21000000), *c.ClosedNS)
	require.Equal(t, int64(1000000), c.Drain.CalledNS)
	require.Equal(t, int64(21000000-1000000), *c.Drain.DurationNS)
	require.Equal(t, "ok", c.Drain.Result)
	require.Equal(t, []int64{21000100}, c.ClosedN)
}

func TestReadEventsErrors(t *testing.T) {
	start := `{"ev":"start","observes":{}}` + "\n"
	for _, c := range []struct{ stream, want string }{
		{`{"ev":"call"}`, "line 1: call event before the start event"},
		{`{"ev":"start"}`, "without observes"},
		{start + `{"ev":"bogus"}`, `line 2: unknown event "bogus"`},
		{start + `{"ev":"deliver","sub":"nope"}`, `unknown subscription "nope"`},
		{start + `{"ev":"deliver","sub":"s1"}`, "before its subscribed event"},
		{start + `{"ev":"subscribed","sub":"s1"}` + "\n" + `{"ev":"handled","sub":"s1","key":"k"}`, "without a matching deliver"},
		{start + `{"ev":"status","client":"other"}`, `unknown client "other"`},
		{start + `{"ev":"callback","client":"app","kind":"weird"}`, `unknown callback kind "weird"`},
		{start + `{"ev":"drain_done","client":"app"}`, "without a successful drain call"},
		{start + `{"ev":"call","verb":"publish"}`, "empty result"},
		{start + `{"ev":"fatal","error":"no such library"}`, "could not run the plan: no such library"},
		{start + `{"ev":`, "line 2"},
	} {
		_, err := ReadEvents(strings.NewReader(c.stream), loadEvents(t))
		require.ErrorContains(t, err, c.want, c.stream)
	}
}

// TestProjection: a driver that cannot tell DRAINING_SUBS from
// DRAINING_PUBS agrees with the model through its projection, and the same
// real outcome disagrees when compared as if it saw everything.
func TestProjection(t *testing.T) {
	sc := loadEvents(t)
	p, err := Prepare(sc, 1)
	require.NoError(t, err)
	prof, err := model.LookupProfile(p.Profile)
	require.NoError(t, err)
	res, err := model.Run(p, model.Config{Profile: prof})
	require.NoError(t, err)
	m := ModelSide(res)
	var obs Observes
	require.NoError(t, jsonUnmarshal(jsObserves, &obs))

	// The real side: the model's outcome as a driver with these observes
	// would report it.
	real := &Side{Outcome: obs.Project(m.Outcome, true), Keys: m.Keys}
	require.Empty(t, CompareObserved(m, real, tolerance, &obs))
	require.NotEmpty(t, Compare(m, real, tolerance), "without the projection the coarse statuses differ")
	sts := statusNames(real.Outcome.Connections[0].Status)
	require.NotContains(t, sts, "DRAINING_PUBS")
	require.Contains(t, sts, "DRAINING")

	// A real drain that never signals completion is a difference.
	broken := obs.Project(m.Outcome, true)
	d := *broken.Connections[0].Drain
	d.DoneNS, d.Result = nil, ""
	broken.Connections[0].Drain = &d
	diffs := CompareObserved(m, &Side{Outcome: broken, Keys: m.Keys}, tolerance, &obs)
	require.Contains(t, whats(diffs), "conn app drain result")

	// A real side that is late by more than the tolerance is a difference.
	late := obs.Project(m.Outcome, true)
	c := late.Connections[0]
	c.Status = append([]model.StatusOutcome(nil), c.Status...)
	c.Status[1].AtNS += int64(50 * time.Millisecond)
	late.Connections[0] = c
	require.Contains(t, whats(CompareObserved(m, &Side{Outcome: late, Keys: m.Keys}, tolerance, &obs)), "conn app status[1] DRAINING at")
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
