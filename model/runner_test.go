package model_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// TestRunnerMatchesRun: a Runner reusing one run's memory for the next gives
// the same outcomes as fresh runs, whatever ran before, across scenarios of
// different sizes (so buffers are both reused and outgrown). It catches
// reused memory that is not emptied first (the maps of worldMaps, say).
func TestRunnerMatchesRun(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	scs := []*scenario.Scenario{benchScenario()}
	for _, f := range files {
		sc, err := scenario.Load(f)
		require.NoError(t, err)
		scs = append(scs, sc)
	}
	var r model.Runner
	for round := range 2 {
		for i, sc := range scs {
			for seed := range uint64(3) {
				cfg := func() model.Config { return model.Config{Chooser: sim.NewPCG(seed + uint64(round))} }
				want, err := freshRun(sc, cfg())
				require.NoError(t, err)
				got, err := r.Run(sc, cfg())
				require.NoError(t, err)
				require.Equal(t, outcomeJSON(t, want), outcomeJSON(t, got), "scenario %d (%s), seed %d, round %d", i, sc.Name, seed, round)
			}
		}
	}
}

// TestRunnerMatchesRunOnGeneratedScenarios: the same over the property
// suite's generated scenarios (faults, reconnects, requests, sync
// subscriptions), run back to back on one Runner.
func TestRunnerMatchesRunOnGeneratedScenarios(t *testing.T) {
	var r model.Runner
	for i := range uint64(300) {
		sc := props.GenScenario(sim.NewPCG(i))
		want, err := freshRun(sc, model.Config{})
		require.NoError(t, err)
		got, err := r.Run(sc, model.Config{})
		require.NoError(t, err)
		require.Equal(t, outcomeJSON(t, want), outcomeJSON(t, got), "generated scenario %d:\n%s", i, sc.Marshal())
	}
}

// TestRunnerTracesLikeRun: traced runs on one Runner, which reuse the
// previous traced run's trace, record the same events as traced fresh
// runs, with untraced runs between them. It catches a reused trace that
// is not emptied first (its events would follow the previous run's).
func TestRunnerTracesLikeRun(t *testing.T) {
	var r model.Runner
	for i := range uint64(40) {
		sc := props.GenScenario(sim.NewPCG(i))
		traced := i%4 != 3
		want, err := freshRun(sc, model.Config{Trace: traced})
		require.NoError(t, err)
		got, err := r.Run(sc, model.Config{Trace: traced})
		require.NoError(t, err)
		require.Equal(t, want.Trace.Len(), got.Trace.Len(), "generated scenario %d", i)
		require.Equal(t, want.Trace.Hash(), got.Trace.Hash(), "generated scenario %d", i)
	}
}

// freshRun runs sc on a new Runner, which has no earlier run's memory to
// reuse: the reference a recycled run must match (model.Run itself runs on
// a pooled Runner).
func freshRun(sc *scenario.Scenario, cfg model.Config) (*model.Result, error) {
	return new(model.Runner).Run(sc, cfg)
}

// TestRunResultIsKept: a plain Run's Result stays as it was through later
// Runs, which borrow the same pooled Runner: Run hands the Result's
// memory over (Runner.handOver). It fails when handOver keeps the Result
// (or its ledger, call records, connection or subscription records, handled
// lists or trace) for the next run to reset.
func TestRunResultIsKept(t *testing.T) {
	cases := recycleCases(t)
	for _, a := range cases {
		cfg := a.cfg()
		cfg.Trace = true
		first, err := model.Run(a.sc, cfg)
		require.NoError(t, err)
		outcome, recs, calls, trace := outcomeJSON(t, first), records(t, first), slices.Clone(first.Calls()), first.Trace.Hash()
		msgs, handled := slices.Clone(first.Ledger.Messages), handledList(first.Subs[0])
		for _, b := range cases {
			cfg := b.cfg()
			cfg.Trace = true
			_, err := model.Run(b.sc, cfg)
			require.NoError(t, err)
		}
		require.Equal(t, outcome, outcomeJSON(t, first), a.name)
		require.Equal(t, recs, records(t, first), a.name)
		require.Equal(t, calls, first.Calls(), a.name)
		require.Equal(t, msgs, first.Ledger.Messages, a.name)
		require.Equal(t, handled, handledList(first.Subs[0]), a.name)
		require.Equal(t, trace, first.Trace.Hash(), a.name)
	}
}

func outcomeJSON(t *testing.T, res *model.Result) string {
	t.Helper()
	b, err := json.Marshal(res.Outcome())
	require.NoError(t, err)
	return string(b)
}

// BenchmarkScenarioRunner is BenchmarkScenario on one Runner, as sweep
// workers run the model.
func BenchmarkScenarioRunner(b *testing.B) {
	sc := benchScenario()
	b.ReportAllocs()
	var r model.Runner
	for i := 0; i < b.N; i++ {
		if _, err := r.Run(sc, model.Config{Chooser: sim.NewPCG(uint64(i))}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

// TestRunResultInternsItsStrings: a plain Run's Result leaves its ledger's
// string map to the pooled Runner's next run (strTable.detach), so that
// the next run interns in it and the Result's Intern rebuilds it. The
// Result must still intern as before: a string the run interned keeps its
// id and a new one gets the next. The next runs' records must be a fresh
// Runner's. Catches Intern without the rebuild (a second id for a client
// name) and a detach that hands the map over without emptying it (the next
// run's strings get the earlier run's ids).
func TestRunResultInternsItsStrings(t *testing.T) {
	cases := recycleCases(t)
	for _, a := range cases {
		first, err := model.Run(a.sc, a.cfg())
		require.NoError(t, err)
		for _, b := range cases {
			res, err := model.Run(b.sc, b.cfg())
			require.NoError(t, err)
			fresh, err := freshRun(b.sc, b.cfg())
			require.NoError(t, err)
			require.Equal(t, fresh.Calls(), res.Calls(), "%s after %s", b.name, a.name)
			require.Equal(t, fresh.Ledger.Messages, res.Ledger.Messages, "%s after %s", b.name, a.name)
		}
		name := a.sc.Clients[0].Name
		id := first.Ledger.Intern(name)
		require.Equal(t, name, first.Str(id), a.name)
		require.Equal(t, id, first.Ledger.Intern(name), a.name)
		if first.Calls()[0].Client != 0 {
			require.Equal(t, first.Calls()[0].Client, first.Ledger.Intern(first.Str(first.Calls()[0].Client)), a.name)
		}
		added := first.Ledger.Intern("a string no run interned")
		require.Equal(t, "a string no run interned", first.Str(added), a.name)
		require.Equal(t, added, first.Ledger.Intern("a string no run interned"), a.name)
	}
}

// lookupsByID looks subscriptions up by id before and after a deferred
// one subscribes, as the first lookup makes the index (World.subByID).
const lookupsByID = `
clients: [{name: app}]
subscriptions:
  - {id: s1, client: app, subject: x}
  - {id: s2, client: app, subject: y, deferred: true}
actions:
  - {at: 0s, unsubscribe: {sub: s1}}
  - {at: 1ms, subscribe: {sub: s2}}
  - {at: 2ms, unsubscribe: {sub: s2}}
  - {at: 3ms, subscribe: {sub: s2}}`

// TestSubscriptionLookupsByID: the index of subscriptions by id is made
// on the first lookup, from the subscriptions made so far, and newSub adds
// to it from then on; each lookup must find what an index kept from the
// start would. Catches newSub not adding a subscription made after the
// index (s2's unsubscribe fails with ErrBadSubscription) and an index made
// without the set-up's subscriptions (s1's first unsubscribe fails). The
// second run is on the same Runner, whose index map it reuses.
func TestSubscriptionLookupsByID(t *testing.T) {
	sc := parseYAML(t, lookupsByID)
	var r model.Runner
	for run := range 2 {
		res, err := r.Run(sc, model.Config{})
		require.NoError(t, err)
		var got []string
		for _, c := range res.Calls() {
			got = append(got, res.Str(c.Verb)+" "+res.Str(c.Sub)+": "+res.Str(c.Result))
		}
		require.Equal(t, []string{
			"unsubscribe s1: " + model.OK,
			"subscribe s2: " + model.OK,
			"unsubscribe s2: " + model.OK,
			"subscribe s2: " + model.ErrAlreadySubscribed,
		}, got, "run %d", run)
	}
}

// TestResultSubLookups: a run's Result indexes its subscription records by
// id on the first lookup (Result.Sub), and a Runner's next run indexes its
// own records in the same map. Catches an index left with the earlier
// run's ids (the map not emptied: run 2 finds s1), one not rebuilt for the
// next run's records (built once per Runner: run 2 misses t1), and a plain
// Run's Result without one.
func TestResultSubLookups(t *testing.T) {
	other := parseYAML(t, `
clients: [{name: app}]
subscriptions:
  - {id: t1, client: app, subject: x}`)
	first := parseYAML(t, lookupsByID)
	var r model.Runner
	for run, sc := range []*scenario.Scenario{first, other, first} {
		res, err := r.Run(sc, model.Config{})
		require.NoError(t, err)
		for _, s := range res.Subs {
			require.Same(t, s, res.Sub(s.ID), "run %d: %s", run, s.ID)
		}
		for _, id := range []string{"s1", "t1"} {
			if sc.Sub(id) == nil {
				require.Nil(t, res.Sub(id), "run %d: %s", run, id)
			}
		}
	}
	res, err := model.Run(first, model.Config{})
	require.NoError(t, err)
	require.Same(t, res.Subs[0], res.Sub("s1"))
	require.Nil(t, res.Sub("t1"))
}

// TestResultConnLookups: a run's Result indexes its connection records by
// client name on the first lookup (Result.Conn), and a Runner's next run
// indexes its own records in the same map, as for subscriptions
// (TestResultSubLookups). Catches an index never built (Conn returns nil),
// one left with the earlier run's names (the map not emptied: run 2 finds
// app's record), one not rebuilt for the next run's records (run 2 misses
// web), and a plain Run's Result without one.
func TestResultConnLookups(t *testing.T) {
	first := parseYAML(t, `
clients: [{name: app}, {name: api}]`)
	other := parseYAML(t, `
clients: [{name: web}]`)
	var r model.Runner
	for run, sc := range []*scenario.Scenario{first, other, first} {
		res, err := r.Run(sc, model.Config{})
		require.NoError(t, err)
		for _, c := range res.Conns {
			require.Same(t, c, res.Conn(res.Str(c.Client)), "run %d: %s", run, res.Str(c.Client))
		}
		for _, name := range []string{"app", "web"} {
			if sc.Client(name) == nil {
				require.Nil(t, res.Conn(name), "run %d: %s", run, name)
			}
		}
	}
	res, err := model.Run(first, model.Config{})
	require.NoError(t, err)
	require.Same(t, res.Conns[1], res.Conn("api"))
	require.Nil(t, res.Conn("web"))
}

// TestRunnerRoutesByThisRunsIDs: a Server's index of literal subjects is
// by the subjects' ids in the run's ledger (sublist.literal), which name
// other strings in a Runner's next run, so the next run's Server starts
// with it empty. The first run subscribes to five subjects; the second
// publishes on five others, with no subscriber, whose ids are the first
// run's. Catches an index handed to the next run unemptied (newServer
// without sublist.emptied): the second run delivers to the first run's
// subscriptions.
func TestRunnerRoutesByThisRunsIDs(t *testing.T) {
	subscribed := parseYAML(t, `
clients: [{name: app}]
subscriptions:
  - {id: s1, client: app, subject: a1}
  - {id: s2, client: app, subject: a2}
  - {id: s3, client: app, subject: a3}
  - {id: s4, client: app, subject: a4}
  - {id: s5, client: app, subject: a5}`)
	published := parseYAML(t, `
clients: [{name: app}]
actions:
  - {at: 0s, publish: {client: app, subject: b1}}
  - {at: 0s, publish: {client: app, subject: b2}}
  - {at: 0s, publish: {client: app, subject: b3}}
  - {at: 0s, publish: {client: app, subject: b4}}
  - {at: 0s, publish: {client: app, subject: b5}}`)
	var r model.Runner
	_, err := r.Run(subscribed, model.Config{})
	require.NoError(t, err)
	res, err := r.Run(published, model.Config{})
	require.NoError(t, err)
	require.Len(t, res.Ledger.Messages, 5)
	require.Empty(t, res.Ledger.Deliveries)
}

// TestRunnerRemakesHandlerTimes: a subscription a Runner reuses copies the
// handler-time sampler its earlier run made when the distribution and the
// source are the same (Sub.handlerTime, kept with subKept's handlerDist and
// handlerPCG), and makes one when they are not. The runs alternate a 1 ms and a uniform 2-4 ms handler on one
// subscription id, each seeded anew, once with the Runner's own streams
// and once with a Chooser whose streams are new PCGs every run, and each
// callback must last what a fresh Runner's does. Catches a sampler kept
// whatever the distribution (the second run's callbacks last 1 ms) and
// one kept whatever the source (the Chooser's runs draw from the first
// run's stream).
func TestRunnerRemakesHandlerTimes(t *testing.T) {
	for _, own := range []bool{true, false} {
		runHandlerTimes(t, own)
	}
}

// pcgStreams is a Chooser that is not itself a PCG, nor are its streams,
// but their streams are: new PCGs every run, which restream cannot
// re-seed in place, so that a subscription's handler draws from a PCG
// that is not its own.
type pcgStreams struct {
	*sim.PCG
	inner bool
}

func (c pcgStreams) Stream(name string) sim.Chooser {
	s := c.PCG.Stream(name).(*sim.PCG)
	if c.inner {
		return s
	}
	return pcgStreams{s, true}
}

func runHandlerTimes(t *testing.T, own bool) {
	const shape = `
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x, handler: {duration: %s}}]
actions: [{at: 0s, publish: {client: app, subject: x, count: 5}}]`
	var r model.Runner
	for run, d := range []string{"1ms", `"uniform(2ms,4ms)"`, `"uniform(2ms,4ms)"`, "1ms"} {
		sc := parseYAML(t, fmt.Sprintf(shape, d))
		sc.Seed = uint64(run)
		cfg := func() model.Config {
			if own {
				return model.Config{}
			}
			return model.Config{Chooser: pcgStreams{PCG: sim.NewPCG(uint64(run))}}
		}
		got, err := r.Run(sc, cfg())
		require.NoError(t, err)
		var fresh model.Runner // model.Run's pooled Runner may have run this before
		want, err := fresh.Run(sc, cfg())
		require.NoError(t, err)
		require.Equal(t, handledList(want.Sub("s")), handledList(got.Sub("s")), "own streams %v, run %d (%s)", own, run, d)
	}
}

// TestOutcomeIntoReusesLikeOutcome: one Outcome filled by OutcomeInto from
// run after run of different sizes (generated scenarios, with and without
// calls, connections, drops, mutations) equals each run's fresh Outcome,
// field by field and as JSON. It catches reused memory left as it was:
// with OutcomeInto's clear(dropped) removed, the dropped counts of an
// earlier run add up into the next (generated scenario 5); with the
// mutations not set back to nil, a run without any after one with some
// has [] for nil (generated scenario 5 again).
func TestOutcomeIntoReusesLikeOutcome(t *testing.T) {
	var reused model.Outcome
	for i := range uint64(200) {
		sc := props.GenScenario(sim.NewPCG(i))
		cfg := model.Config{}
		if i%5 == 4 {
			cfg.Mutations = model.MutationSet(0).With(model.Mutations()[int(i/5)%len(model.Mutations())])
		}
		res, err := model.Run(sc, cfg)
		require.NoError(t, err)
		res.OutcomeInto(&reused)
		want := res.Outcome()
		require.Equal(t, want, &reused, "generated scenario %d:\n%s", i, sc.Marshal())
		got, err := json.Marshal(&reused)
		require.NoError(t, err)
		require.Equal(t, outcomeJSON(t, res), string(got), "generated scenario %d", i)
	}
}

// handledList returns every message s handed to the application, in order.
func handledList(s *model.SubRecord) []model.Handled {
	var hs []model.Handled
	for _, h := range s.Handled() {
		hs = append(hs, h)
	}
	return hs
}
