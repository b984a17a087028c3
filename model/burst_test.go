package model_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// TestPublishBurstMatchesGeneral: a publish burst (a count and no
// interval) makes its calls after the first joined call in one pass
// (World.publishBurst) only in an untraced run; a traced run makes every
// call through publishAction. Both must leave the same records: every
// message, every call (listed and counted), the outcome and the run's stop,
// records included. The scenarios stop the burst with a record budget of
// every size from before its first call to past its last (each publish
// makes two records, so the budget runs out after a message and before
// its call, or after both), run two bursts of one client at one instant
// (the second's first call cannot join the first's record), refuse a
// burst (after a drain), and publish while reconnecting (each call buffers
// bytes towards the reconnect buffer's limit). Deliberate breaks it
// catches (each tried): the burst not counting its calls' records (the
// budget stops later), its loop not testing whether the run stops (the
// budget stops the burst after every call), and burstFold not testing
// for triggers (the burst's seventh message no longer closes app).
func TestPublishBurstMatchesGeneral(t *testing.T) {
	const base = `
name: burst
seed: 7
clients: [{name: pub}, {name: app}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 1ms}}]
`
	scenarios := map[string]string{
		"one burst": `
actions:
  - {at: 1ms, publish: {client: pub, subject: work, count: 20}}
  - {at: 50ms, drain: {client: app}}
`,
		"two bursts at one time": `
actions:
  - {at: 1ms, publish: {client: pub, subject: work, count: 6}}
  - {at: 1ms, publish: {client: pub, subject: work, size: 3, count: 6}}
  - {at: 1ms, publish: {client: pub, subject: work, count: 5}}
`,
		"a trigger on a burst's message": `
actions:
  - {at: 1ms, publish: {client: pub, subject: work, count: 12}}
  - after: {event: published, client: pub, msg: 7}
    close: {client: app}
`,
		"refused burst": `
actions:
  - {at: 1ms, drain: {client: pub}}
  - {at: 1ms, publish: {client: pub, subject: work, count: 8}}
`,
	}
	outcome := func(sc *scenario.Scenario, traced bool) string {
		res, err := model.Run(sc, model.Config{Trace: traced})
		require.NoError(t, err, sc.Name)
		b, err := json.Marshal(struct {
			Outcome  *model.Outcome
			Stop     any
			Messages []model.Message
			Calls    []model.CallRecord
			NumCalls int
		}{res.Outcome(), res.Stop, res.Ledger.Messages, res.Calls(), res.NumCalls()})
		require.NoError(t, err, sc.Name)
		return string(b)
	}
	for name, actions := range scenarios {
		for budget := range 50 {
			src := base + actions
			if budget > 0 {
				src += fmt.Sprintf("limits: {max_records: %d}\n", budget)
			}
			sc, err := scenario.Parse("burst.yaml", []byte(src))
			require.NoError(t, err, name)
			if outcome(sc, true) != outcome(sc, false) {
				t.Errorf("%s, record budget %d: the untraced run's records differ from the traced run's", name, budget)
			}
		}
	}
	reconnecting, err := scenario.Load("../testdata/conformance/reconnect-buffer-overflow-drain.yaml")
	require.NoError(t, err)
	require.Equal(t, outcome(reconnecting, true), outcome(reconnecting, false), reconnecting.Name)
}
