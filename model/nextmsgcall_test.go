package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNextMsgCallsAfterAWait: a next_msg action whose first call returns
// at once (a message is queued), whose second waits for the next message
// and whose third times out makes its calls one after the other, each
// when the one before returned. The
// action's loop reuses one record for the calls that return at once
// (nextMsgCall); it catches a loop that does not clear the record's
// "returned" flag between calls (it would go on while the second call
// waits, making the third at 10 ms) or continues from the wrong count.
func TestNextMsgCallsAfterAWait(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions: [{id: s, client: app, subject: work, type: sync}]
actions:
  - {at: 0s, publish: {client: pub, subject: work}}
  - {at: 10ms, next_msg: {sub: s, count: 3, timeout: 20ms}}
  - {at: 15ms, publish: {client: pub, subject: work}}
  - {at: 60ms, drain: {client: app}}
`)
	require.Equal(t, []string{
		"next_msg@10.000ms-10.000ms=ok#1",
		"next_msg@10.000ms-17.000ms=ok#2",
		"next_msg@17.000ms-37.000ms=ErrTimeout#0",
	}, returns(res, "actions[1]"))
}
