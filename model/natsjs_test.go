package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// The knobs measured on nats.js 2.29.3 (issue 10; the scenarios of
// testdata/conformance/natsjs/ run them on the real library). Reconnect
// jitter is off so that every time is exact.

// runNatsJS runs an inline scenario under natsjs without reconnect jitter.
func runNatsJS(t *testing.T, yaml string) *model.Result {
	t.Helper()
	sc, err := scenario.Parse("inline.yaml", []byte("name: inline\nprofile: natsjs\n"+strings.TrimSpace(yaml)))
	require.NoError(t, err)
	p := model.NatsJSProfile
	p.ReconnectJitter = 0
	res, err := model.Run(sc, model.Config{Trace: true, Profile: &p})
	require.NoError(t, err)
	require.Equal(t, sim.Quiescent, res.Stop.Reason)
	return res
}

func jsStatuses(c *model.ConnRecord) []string {
	var out []string
	for _, s := range c.Status {
		out = append(out, s.Status.String()+"@"+s.At.String())
	}
	return out
}

func jsCallbacks(r *model.Result, c *model.ConnRecord) []string {
	var out []string
	for _, cb := range c.Callbacks {
		out = append(out, r.Str(cb.Kind)+"@"+cb.At.String())
	}
	return out
}

const natsjsDrain = `
seed: 1
network: {latency: 1ms}
clients: [{name: app}, {name: watcher}]
subscriptions:
  - {id: updates, client: app, subject: updates}
  - {id: audit, client: watcher, subject: audit}
actions:
  - {at: 10ms, drain: {client: app}}
`

// TestNatsJSShortOutageMidDrain: ReconnectStayDraining with
// ResetOutboundAtAttempt and ReconnectWaitFromAttempt. The PONG waits for
// the reconnect attempt at connect + 2 s, which fails it and drops the
// buffer (the publish made while disconnected); the final flush closes on
// the new link one dial and one round trip later.
func TestNatsJSShortOutageMidDrain(t *testing.T) {
	res := runNatsJS(t, natsjsDrain+`
  - {at: 10500us, disconnect: {client: app, for: 100ms}}
  - {at: 500ms, publish: {client: app, subject: audit}}
`)
	app := res.Conn("app")
	require.Equal(t, []string{"CONNECTED@0.000ms", "DRAINING_SUBS@10.000ms", "DRAINING_PUBS@2000.000ms", "CLOSED@2004.000ms"}, jsStatuses(app))
	require.Equal(t, []string{"disconnected@10.500ms", "reconnected@2002.000ms", "closed@2004.000ms"}, jsCallbacks(res, app))
	require.Equal(t, ms(2000), res.Sub("updates").RemovedAt, "the rejected PONG counts as drained")
	require.Equal(t, ms(2004), app.DrainDoneAt)
	require.Equal(t, model.OK, res.Str(app.DrainResult))
	require.Empty(t, res.Str(app.LastError), "no ErrTimeout, no async error")
	require.Equal(t, []string{"publish=ok"}, results(res, "actions[2]"), "accepted while disconnected")
	pub := res.Ledger.Message(res.Calls()[res.NumCalls()-1].Msg)
	require.Equal(t, model.MsgLostUnsent, pub.Fate, "discarded at the reconnect attempt")
	require.Zero(t, res.Sub("audit").NumHandled())
}

// TestNatsJSLongOutageMidDrain: FailedFlushEndsDrain. The first attempt
// (2 s) fails the barrier, the second (4 s) fails the final flush: the drain
// is signalled done without a close; the third (6 s) reconnects and the
// connection stays draining, refusing publishes.
func TestNatsJSLongOutageMidDrain(t *testing.T) {
	res := runNatsJS(t, natsjsDrain+`
  - {at: 10500us, disconnect: {client: app, for: 5s}}
  - {at: 3s, publish: {client: app, subject: audit}}
  - {at: 7s, publish: {client: app, subject: audit}}
`)
	app := res.Conn("app")
	require.Equal(t, []string{"CONNECTED@0.000ms", "DRAINING_SUBS@10.000ms", "DRAINING_PUBS@2000.000ms"}, jsStatuses(app))
	require.Equal(t, []string{"disconnected@10.500ms", "reconnected@6002.000ms"}, jsCallbacks(res, app))
	require.Equal(t, ms(4000), app.DrainDoneAt, "drain() resolves at the second attempt")
	require.Equal(t, model.OK, res.Str(app.DrainResult))
	require.Equal(t, model.NoTime, app.ClosedAt)
	require.Empty(t, res.Str(app.LastError))
	require.Equal(t, []string{"publish=ErrConnectionDraining"}, results(res, "actions[2]"))
	require.Equal(t, []string{"publish=ErrConnectionDraining"}, results(res, "actions[3]"))
}

// TestNatsJSReconnectWaitFromLastAttempt: a link that breaks more than
// ReconnectWait after the connect is redialled at once; nats.go waits
// ReconnectWait from the break.
func TestNatsJSReconnectWaitFromLastAttempt(t *testing.T) {
	res := runNatsJS(t, `
seed: 1
network: {latency: 1ms}
clients: [{name: app}]
actions:
  - {at: 3s, disconnect: {client: app}}
`)
	app := res.Conn("app")
	require.Equal(t, []string{"disconnected@3000.000ms", "reconnected@3002.000ms"}, jsCallbacks(res, app))
}

// TestNatsJSCloseFailsRequestsWithTimeout: CloseRequestErr, and
// NoDisconnectedOnClose: close fires only the closed callback.
func TestNatsJSCloseFailsRequestsWithTimeout(t *testing.T) {
	res := runNatsJS(t, `
seed: 1
network: {latency: 1ms}
clients: [{name: requester}, {name: service}]
subscriptions:
  - id: svc
    client: service
    subject: svc
    handler: {actions: [{sleep: 200ms}, {reply: {}}]}
actions:
  - {at: 0s, request: {client: requester, subject: svc, timeout: 1s}}
  - {at: 50ms, close: {client: requester}}
`)
	req := res.Calls()[res.NumCalls()-1]
	for _, c := range res.Calls() {
		if res.Str(c.Verb) == "request" {
			req = c
		}
	}
	require.Equal(t, model.ErrTimeout, res.Str(req.Result))
	require.Equal(t, ms(50), req.ReturnedAt, "at the close, not at the request's timeout")
	require.Equal(t, []string{"closed@50.000ms"}, jsCallbacks(res, res.Conn("requester")))
}

// TestNatsJSReplyAfterClose: ReplyUnchecked (JS-M5). The reply after the
// close is accepted and lost; a publish from the same callback is refused.
func TestNatsJSReplyAfterClose(t *testing.T) {
	res := runNatsJS(t, `
seed: 1
network: {latency: 1ms}
clients: [{name: requester}, {name: service}]
subscriptions:
  - id: svc
    client: service
    subject: svc
    handler: {actions: [{sleep: 100ms}, {reply: {}}, {publish: {subject: audit}}]}
actions:
  - {at: 0s, request: {client: requester, subject: svc, timeout: 300ms}}
  - {at: 30ms, close: {client: service}}
`)
	require.Equal(t, []string{"reply=ok", "publish=ErrConnectionClosed"}, results(res, "svc#1"))
	var reply model.CallRecord
	for _, c := range res.Calls() {
		if res.Str(c.Verb) == "reply" {
			reply = c
		}
	}
	m := res.Ledger.Message(reply.Msg)
	require.Equal(t, model.MsgLostUnsent, m.Fate)
	require.Equal(t, "reply after close", res.Str(m.LostReason))
	require.Equal(t, []string{"request=ErrTimeout"}, results(res, "actions[0]"))
}
