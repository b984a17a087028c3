package model_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// recycleCase is a scenario and the Config to run it with.
type recycleCase struct {
	name string
	sc   *scenario.Scenario
	cfg  func() model.Config
}

// recycleCases are scenarios that set up quite different worlds: one
// server or a cluster, one client or many, a thousand messages or a few,
// permuted ties, drawn races, requests.
func recycleCases(t *testing.T) []recycleCase {
	load := func(f string) *scenario.Scenario {
		sc, err := scenario.Load(f)
		require.NoError(t, err)
		return sc
	}
	plain := func() model.Config { return model.Config{} }
	ties := benchScenario()
	ties.PermuteTies = true
	many := benchScenario()
	many.Subs, many.Clients = nil, nil
	for i := range 12 {
		c := fmt.Sprintf("c%d", i)
		many.Clients = append(many.Clients, scenario.Client{Name: c, AllowReconnect: true})
		many.Subs = append(many.Subs, scenario.Subscription{ID: "s" + c, Client: c, Subject: "work", Queue: "q",
			Handler: benchScenario().Subs[0].Handler})
	}
	many.Actions = []scenario.Action{
		{At: 0, Publish: &scenario.Publish{Client: "c3", Subject: "work", Count: 60, Size: 64}},
		{At: 1000, Drain: &scenario.ClientRef{Client: "c0"}},
		{At: 2000, Drain: &scenario.ClientRef{Client: "c11"}},
	}
	// cut ends with a NextMsg call still waiting (the run stops at its
	// max_time), which the next run must not inherit.
	cut, err := scenario.Parse("cut.yaml", []byte(`
name: cut
seed: 2
limits: {max_time: 1s}
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: work, type: sync}]
actions:
  - {at: 0, next_msg: {sub: s, timeout: 10s, count: 5}}
  - {at: 1ms, publish: {client: app, subject: work, count: 1}}
`))
	require.NoError(t, err)
	// stalled ends at 72 ms, while the server stalls its producers
	// (server-stall-hole.yaml's stall starts at 70 ms), which leaves their
	// producer state (serverConn.prod) set for the next run to reset.
	stalled := load("../examples/server-stall-hole.yaml")
	stalled.Limits.MaxTime = 72 * time.Millisecond
	return []recycleCase{
		{"NextMsg waiting at the end", cut, plain},
		{"one server, 1,000 messages", benchScenario(), plain},
		{"cluster", load("../examples/topology/cluster-queue-drain.yaml"), plain},
		{"12 clients", many, plain},
		{"permuted ties", ties, plain},
		{"drawn races", props.GenScenario(sim.NewPCG(5)), func() model.Config { return model.Config{Races: sim.NewPCG(3)} }},
		{"requests", load("../examples/request-reply-workers.yaml"), plain},
		{"stalled producers, cut mid-stall", stalled, plain},
		{"reconnect under an event loop", load("../examples/profiles/ruby-em-disconnect.yaml"), plain},
	}
}

// TestRunnerRecyclesWorlds: a Runner's run of B after a run of A, which
// leaves B its connections, links, streams, lists, Result, ledger and
// records to reset, records the same trace (hash and length) and outcome
// as a fresh Run of B, for every ordered pair of quite different
// scenarios. It fails when newConn keeps a connection's subscriptions,
// when newSub keeps a subscription's waiting NextMsg calls, when
// actionCalls keeps an action's count of calls made, when restream draws
// on from the old stream's state instead of re-seeding it, when the link
// callbacks reach the world they were made in rather than c.w, when a
// reused connection record keeps its callbacks or status changes, the
// string table its strings (the records' ids would then differ from a
// fresh run's, which the outcome, naming strings, does not show), the
// server its subject index (takeServer), a server connection its
// subscriptions (Server.accept) or its producer state (accept; the runs
// after the one cut mid-stall then differ or panic).
func TestRunnerRecyclesWorlds(t *testing.T) {
	cases := recycleCases(t)
	for _, a := range cases {
		for _, b := range cases {
			want := runCase(t, nil, b, true)
			var r model.Runner
			runCase(t, &r, a, b.name == a.name)
			got := runCase(t, &r, b, true)
			require.Equal(t, want.Trace.Len(), got.Trace.Len(), "%s after %s", b.name, a.name)
			require.Equal(t, want.Trace.Hash(), got.Trace.Hash(), "%s after %s", b.name, a.name)
			require.Equal(t, outcomeJSON(t, want), outcomeJSON(t, got), "%s after %s", b.name, a.name)
			require.Equal(t, records(t, want), records(t, got), "%s's records after %s", b.name, a.name)
			require.Equal(t, want.Calls(), got.Calls(), "%s's call records after %s", b.name, a.name)
			require.Equal(t, want.Ledger.Messages, got.Ledger.Messages, "%s's messages after %s", b.name, a.name)
		}
	}
}

// runCase runs c on r, or on a new Runner when r is nil.
func runCase(t *testing.T, r *model.Runner, c recycleCase, trace bool) *model.Result {
	t.Helper()
	cfg := c.cfg()
	cfg.Trace = trace
	run := freshRun
	if r != nil {
		run = r.Run
	}
	res, err := run(c.sc, cfg)
	require.NoError(t, err, c.name)
	return res
}

// records is res's connection and subscription records without the
// handled lists, as JSON; empty lists as none, as a fresh record has.
func records(t *testing.T, res *model.Result) string {
	t.Helper()
	conns := make([]model.ConnRecord, len(res.Conns))
	for i, c := range res.Conns {
		conns[i] = *c
		if len(c.Callbacks) == 0 {
			conns[i].Callbacks = nil
		}
	}
	subs := make([]model.SubRecord, len(res.Subs))
	for i, s := range res.Subs {
		subs[i] = *s
		if len(s.StatusEvents) == 0 {
			subs[i].StatusEvents = nil
		}
	}
	b, err := json.Marshal(struct {
		Conns []model.ConnRecord
		Subs  []model.SubRecord
	}{conns, subs})
	require.NoError(t, err)
	return string(b)
}

// sharedStreams is a Chooser whose every stream is one PCG that its
// caller holds too.
type sharedStreams struct{ *sim.PCG }

func (s sharedStreams) Stream(string) sim.Chooser { return s.PCG }

// TestRunnerKeepsCallersStreams: a Runner re-seeds only streams it made
// itself, never one a caller's Chooser handed out, which the caller may
// still draw from. It fails when restream re-seeds any old *sim.PCG.
func TestRunnerKeepsCallersStreams(t *testing.T) {
	shared := sim.NewPCG(1)
	var r model.Runner
	_, err := r.Run(benchScenario(), model.Config{Chooser: sharedStreams{shared}})
	require.NoError(t, err)
	after := *shared
	_, err = r.Run(benchScenario(), model.Config{})
	require.NoError(t, err)
	require.Equal(t, after, *shared, "the caller's stream after the Runner's next run")
}
