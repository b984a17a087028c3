package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// TestPublishesNameTheirSubjectAndClient: every message names the subject
// and the client its action published it on and from, by the one id its
// ledger gives that string, and reaches the subscriptions on that
// subject: publishes on a subject subscribed at set-up take the id the
// subscription interned (World.publishedID), others intern it, and each
// finds its client by name, the last one found first (World.connNamed).
// The subscriptions, a wildcard and a deferred one among them, list their
// subjects in another order than the actions (the last at set-up is not
// on the first subject published), and the clients alternate.
// Run on a Runner twice (the second run follows the first's strings,
// strTable.prev) and with plain Run. Catches a subscription giving its
// id to another subject's publishes (subSubject or actSubject misindexed,
// e.g. a wildcard's entry skipped, or every id given to the first
// subject's entry), a publish taking an id before any was
// interned, and connNamed trusting its last client without comparing the
// name.
func TestPublishesNameTheirSubjectAndClient(t *testing.T) {
	sc := parseYAML(t, `
clients: [{name: a}, {name: b}]
subscriptions:
  - {id: sx, client: a, subject: x}
  - {id: sw, client: a, subject: "w.>"}
  - {id: sy, client: b, subject: y}
  - {id: sz, client: b, subject: z, deferred: true}
actions:
  - {at: 0s, publish: {client: a, subject: x}}
  - {at: 1ms, publish: {client: b, subject: z}}
  - {at: 2ms, publish: {client: a, subject: y}}
  - {at: 3ms, subscribe: {sub: sz}}
  - {at: 4ms, publish: {client: b, subject: w.1}}
  - {at: 5ms, publish: {client: b, subject: q}}
  - {at: 6ms, publish: {client: a, subject: z}}
  - {at: 7ms, publish: {client: a, subject: x}}
  - {at: 8ms, publish: {client: b, subject: y}}`)
	want := []struct{ subject, client, sub string }{
		{"x", "a", "sx"}, {"z", "b", ""}, {"y", "a", "sy"}, {"w.1", "b", "sw"},
		{"q", "b", ""}, {"z", "a", "sz"}, {"x", "a", "sx"}, {"y", "b", "sy"},
	}
	var r model.Runner
	for run, do := range []func() (*model.Result, error){
		func() (*model.Result, error) { return r.Run(sc, model.Config{}) },
		func() (*model.Result, error) { return r.Run(sc, model.Config{}) },
		func() (*model.Result, error) { return model.Run(sc, model.Config{}) },
	} {
		res, err := do()
		require.NoError(t, err)
		require.Len(t, res.Ledger.Messages, len(want), "run %d", run)
		got := map[int]string{} // message ID -> the subscription it was delivered to
		for _, d := range res.Ledger.Deliveries {
			got[int(d.Msg)] = res.Subs[d.Sub].ID
		}
		for i, m := range res.Ledger.Messages {
			w := want[i]
			require.Equal(t, w.subject, res.Str(m.Subject), "run %d, message %d's subject", run, m.ID)
			require.Equal(t, m.Subject, res.Ledger.Intern(w.subject), "run %d, message %d: another id for %q", run, m.ID, w.subject)
			require.Equal(t, w.client, res.Str(m.From), "run %d, message %d's client", run, m.ID)
			require.Equal(t, w.sub, got[m.ID], "run %d, message %d's delivery", run, m.ID)
		}
	}
}
