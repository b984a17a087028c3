package model_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// TestOrdinaryReadMatchesGeneral: the read loop hands a message to an
// ordinary subscription (Sub.ordinary) in processMsg's own steps, and to
// any other through processAny. Sub.ordinary needs an untraced run, so a
// traced run of a scenario takes processAny for every message and an
// untraced one the ordinary steps; their outcomes must be the same. Over
// the conformance scenarios (slow consumers, status events, drains,
// closes, sync and chan subscriptions), it fails when the ordinary steps
// leave out one of processAny's: with s.active() dropped from them (a
// slow-consumer episode no longer ends with the next queued message) the
// sub-status-events scenario's outcome differs.
func TestOrdinaryReadMatchesGeneral(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../testdata/conformance/*.yaml", "../testdata/conformance/generated/*.yaml"} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	outcome := func(sc *scenario.Scenario, trace bool) string {
		res, err := model.Run(sc, model.Config{Trace: trace})
		require.NoError(t, err, sc.Name)
		b, err := json.Marshal(res.Outcome())
		require.NoError(t, err, sc.Name)
		return string(b)
	}
	for _, f := range files {
		sc, err := scenario.Load(f)
		require.NoError(t, err)
		require.Equal(t, outcome(sc, true), outcome(sc, false), f)
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
