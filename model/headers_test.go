package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestPendingBytesCountHeaders (conformance scenario
// pending-bytes-headers): five messages of 500 data and 500 header bytes
// reach a subscription limited to 3000 pending bytes whose callback takes
// 50 ms. Under go (v1.55.0) each counts 1000 bytes: the fourth and fifth
// are dropped as slow consumers at 2 ms, three are handled (2, 52 and
// 102 ms), and the drain from 10 ms closes at 222 ms. Under go-1.53 the
// data alone counts (2500 bytes): all five are handled. It catches a model
// that ignores headers in pending bytes (five handled under go), one that
// counts them under go-1.53 too (three handled there), and one that drops
// the headers from the message altogether.
func TestPendingBytesCountHeaders(t *testing.T) {
	res := runCorpus(t, "pending-bytes-headers.yaml", &model.GoProfile)
	s := res.Sub("s")
	require.Equal(t, []int{1, 2, 3}, handled(res, "s"))
	require.Equal(t, []sim.Time{ms(2), ms(52), ms(102)}, []sim.Time{s.HandledAt(0).Start, s.HandledAt(1).Start, s.HandledAt(2).Start})
	for _, d := range res.Ledger.Deliveries[3:] {
		require.Equal(t, model.DropSlowConsumer, d.Reason)
		require.Equal(t, ms(2), d.DroppedAt)
	}
	require.Equal(t, ms(222), res.Conn("app").ClosedAt)

	res = runCorpus(t, "pending-bytes-headers.yaml", &model.Go153Profile)
	require.Equal(t, []int{1, 2, 3, 4, 5}, handled(res, "s"))
}

// TestHeadersCountTowardMaxPayload: nats.go refuses a publish whose data
// and headers together exceed max_payload (1 MiB) with ErrMaxPayload; one
// that fits is sent. It catches a model that checks the data alone.
func TestHeadersCountTowardMaxPayload(t *testing.T) {
	res := runYAML(t, `
clients: [{name: app}]
actions:
  - {at: 0s, publish: {client: app, subject: a, size: 1MiB, headers: 1}}
  - {at: 0s, publish: {client: app, subject: a, size: 1048000, headers: 576}}
`)
	require.Equal(t, []string{"publish=ErrMaxPayload"}, results(res, "actions[0]"))
	require.Equal(t, []string{"publish=ok"}, results(res, "actions[1]"))
}

// TestHeadersNatsGoOnly: publish headers are refused under another
// library's profile, naming the action's line and field (a model that
// accepted them would count them as nats.go does).
func TestHeadersNatsGoOnly(t *testing.T) {
	sc, err := scenario.Parse("h.yaml", []byte("name: h\nprofile: java\nclients: [{name: app}]\nactions:\n  - {at: 0s, publish: {client: app, subject: a, headers: 100}}\n"))
	require.NoError(t, err)
	_, err = model.Run(sc, model.Config{})
	require.ErrorContains(t, err, "h.yaml:5: actions[0].publish.headers: profile java (")
	sc, err = scenario.Parse("h.yaml", []byte("name: h\nprofile: java\nclients: [{name: app}]\nsubscriptions:\n  - {id: s, client: app, subject: a, handler: {actions: [{publish: {subject: b, headers: 100}}]}}\n"))
	require.NoError(t, err)
	_, err = model.Run(sc, model.Config{})
	require.ErrorContains(t, err, "subscriptions[0].handler.actions[0].publish.headers: profile java (")
}
