package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// TestPendingBytesReturnAsHandled: a subscription limited to 3000 pending
// bytes gets three messages of 500 data and 500 header bytes at 0 and
// three more at 200 ms. The first three are handed out well before 200 ms
// (a 50 ms handler, or NextMsg at 100 ms), so the bytes they counted are
// back and the second three fit too (nats.js, which has no model of
// headers, gets 1000 data bytes a message): all six are handled, none dropped.
// Each way a message leaves the pending counts takes back the size stored
// with it when it was read (queued.size): the serial executor (go, the
// go-1.53 profile counting the data alone), a concurrent callback
// (nats.js), a NextMsg (a sync subscription). It catches a queue entry or
// callback whose size is not what was counted in: with a size of 0 kept
// on the entry the bytes stay counted and the second three are dropped as
// slow consumers; with the data alone, go keeps 1500 bytes counted and
// drops the last two.
func TestPendingBytesReturnAsHandled(t *testing.T) {
	const async = `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions:
  - {id: s, client: app, subject: work, pending_bytes_limit: 3000, handler: {duration: 50ms}}
actions:
  - {at: 0s, publish: {client: pub, subject: work, size: 500, headers: 500, count: 3}}
  - {at: 200ms, publish: {client: pub, subject: work, size: 500, headers: 500, count: 3}}
`
	// nats.js has no model of headers: its messages are 1000 data bytes.
	noHeaders := strings.ReplaceAll(async, "size: 500, headers: 500", "size: 1000")
	const sync = `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions:
  - {id: s, client: app, subject: work, type: sync, pending_bytes_limit: 3000}
actions:
  - {at: 0s, publish: {client: pub, subject: work, size: 500, headers: 500, count: 3}}
  - {at: 100ms, next_msg: {sub: s, timeout: 10ms, count: 3}}
  - {at: 200ms, publish: {client: pub, subject: work, size: 500, headers: 500, count: 3}}
  - {at: 300ms, next_msg: {sub: s, timeout: 10ms, count: 3}}
`
	for _, c := range []struct {
		name string
		p    *model.Profile
		yaml string
	}{
		{"serial", &model.GoProfile, async},
		{"serial, data only", &model.Go153Profile, async},
		{"concurrent", &model.NatsJSProfile, noHeaders},
		{"sync", &model.GoProfile, sync},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runUnder(t, c.p, c.yaml)
			require.Equal(t, []int{1, 2, 3, 4, 5, 6}, handled(res, "s"))
			for _, d := range res.Ledger.Deliveries {
				require.NotEqual(t, model.DlvDropped, d.Fate, "delivery of message %d dropped (%s)", d.Msg, d.Reason)
			}
		})
	}
}
