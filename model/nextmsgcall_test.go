package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNextMsgCallsAfterAWait: a next_msg action whose first call returns
// at once (a message is queued), whose second waits for the next message,
// whose third returns at once (a second message came with it) and whose
// fourth times out makes its calls one after the other, each when the one
// before returned. One record (nextMsgCall) serves all the action's
// calls; the test catches a loop that does not clear its "returned" flag
// between calls (it would go on while the second call waits, making the
// next at 10 ms) or continues from the wrong count after a wait.
func TestNextMsgCallsAfterAWait(t *testing.T) {
	res := runYAML(t, `
network: {latency: 1ms}
clients: [{name: app}, {name: pub}]
subscriptions: [{id: s, client: app, subject: work, type: sync}]
actions:
  - {at: 0s, publish: {client: pub, subject: work}}
  - {at: 10ms, next_msg: {sub: s, count: 4, timeout: 20ms}}
  - {at: 15ms, publish: {client: pub, subject: work, count: 2}}
  - {at: 60ms, drain: {client: app}}
`)
	require.Equal(t, []string{
		"next_msg@10.000ms-10.000ms=ok#1",
		"next_msg@10.000ms-17.000ms=ok#2",
		"next_msg@17.000ms-17.000ms=ok#3",
		"next_msg@17.000ms-37.000ms=ErrTimeout#0",
	}, returns(res, "actions[1]"))
}
