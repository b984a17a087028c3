package model_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// TestOrdinaryPathsMatchGeneral: the read loop and the callback's return
// take an ordinary subscription (Sub.ordinary) in their own steps, and any
// other through the general code (processAny, and the rest of finish).
// Sub.ordinary needs an untraced run, so a traced run of a scenario takes
// the general code for every message and an untraced one the ordinary
// steps; their outcomes must be the same, under every profile, a serial
// variant of the event-loop one (whose blocking callbacks then hold the
// loop as a serial subscription's) and the DuplicateDelivery mutation.
// Over the conformance scenarios (slow consumers, status events,
// triggers, drains, closes, sync and chan subscriptions) and one with a
// blocking handler, it fails when the ordinary steps leave out one of the
// general code's or take a subscription they do not fit: with s.active()
// dropped from processMsg's (a slow-consumer episode no longer ends with
// the next queued message: sub-status-events), with Sub.ordinary set
// for callbacks that hold the loop
// (blocking: the loop is never released), for sync subscriptions, or
// under DuplicateDelivery (no message is handled twice). Sub.ordinary
// set in a run with triggers (World.observed) fails TestTriggerCallbackEnd
// (the callback-end triggers no longer fire), in a traced run
// TestTracedRunTracesQueuedMessages.
func TestOrdinaryPathsMatchGeneral(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../testdata/conformance/*.yaml", "../testdata/conformance/generated/*.yaml"} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	// outcome is the run's outcome, or its error: a profile refuses a
	// scenario it cannot run (sync subscriptions on node-v1), traced or
	// not.
	outcome := func(sc *scenario.Scenario, cfg model.Config) string {
		res, err := model.Run(sc, cfg)
		if err != nil {
			return err.Error()
		}
		b, err := json.Marshal(res.Outcome())
		require.NoError(t, err, sc.Name)
		return string(b)
	}
	same := func(name string, sc *scenario.Scenario, cfg model.Config) {
		traced := cfg
		traced.Trace = true
		require.Equal(t, outcome(sc, traced), outcome(sc, cfg), name)
	}
	// blocking's handler holds an event loop's connection (holdsLoop)
	// while messages keep arriving.
	blocking, err := scenario.Parse("blocking.yaml", []byte(`
name: blocking
seed: 3
clients: [{name: app}, {name: pub}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 5ms, blocking: true}}]
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 5, interval: 2ms}}
  - {at: 30ms, drain: {client: app}}
`))
	require.NoError(t, err)
	scenarios := []*scenario.Scenario{blocking}
	for _, f := range files {
		sc, err := scenario.Load(f)
		require.NoError(t, err)
		scenarios = append(scenarios, sc)
	}
	var profiles []*model.Profile
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		profiles = append(profiles, p)
	}
	// The one event-loop profile's callbacks are concurrent; a serial
	// variant's blocking callbacks hold the loop as serial subscriptions.
	em, err := model.LookupProfile("ruby-em")
	require.NoError(t, err)
	serialLoop := *em
	serialLoop.Name, serialLoop.Concurrent = "ruby-em-serial", false
	profiles = append(profiles, &serialLoop)
	dup := model.MutationSet(0).With(model.DuplicateDelivery)
	for _, sc := range scenarios {
		same(sc.Name+" under DuplicateDelivery", sc, model.Config{Mutations: dup})
		for _, p := range profiles {
			same(sc.Name+" under "+p.Name, sc, model.Config{Profile: p})
		}
	}
}

// TestTracedRunTracesQueuedMessages: a traced run traces every message
// the read loop queues (msg.queued), which the ordinary steps do not do:
// it fails when Sub.ordinary is set in a traced run.
func TestTracedRunTracesQueuedMessages(t *testing.T) {
	sc := benchScenario()
	res, err := model.Run(sc, model.Config{Trace: true})
	require.NoError(t, err)
	queued := 0
	for _, e := range res.Trace.Events() {
		if e.Kind == "msg.queued" {
			queued++
		}
	}
	require.Equal(t, 3000, queued)
}
