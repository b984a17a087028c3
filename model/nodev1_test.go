package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// The node-nats v1 knobs measured on the real node-nats 1.4.12
// (testdata/conformance/node-v1, docs/conformance/node-v1.md).

// DisconnectMidDrain = CloseQuietly: the break fails the drain's PONG, whose
// callback closes the connection before the disconnect event: no callback,
// and the drain completes with success at the break.
func TestNodeV1DisconnectMidDrainClosesQuietly(t *testing.T) {
	res := runYAML(t, `
profile: node-v1
network: {latency: 5ms}
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 5ms}}
actions:
  - {at: 10ms, drain: {client: app}}
  - {at: 12ms, disconnect: {client: app, for: 100ms}}
`)
	app := res.Conn("app")
	require.Equal(t, []model.StatusChange{
		{At: 0, Status: model.Connected},
		{At: ms(10), Status: model.DrainingSubs},
		{At: ms(10), Status: model.DrainingPubs},
		{At: ms(12), Status: model.Disconnected},
		{At: ms(12), Status: model.Closed},
	}, app.Status)
	require.Empty(t, callbackKinds(res, app), "neither disconnected nor closed")
	require.Equal(t, model.OK, res.Str(app.DrainResult))
	require.Equal(t, ms(12), app.DrainDoneAt)
	require.Equal(t, "close", res.Str(res.Sub("s").RemovedBy))
}

// CloseInDrainWithoutSubs: nothing to drain, no final flush: the drain
// closes inside the call, even at 5 ms latency.
func TestNodeV1DrainWithoutSubsClosesInTheCall(t *testing.T) {
	res := runYAML(t, `
profile: node-v1
network: {latency: 5ms}
clients: [{name: app}]
actions:
  - {at: 10ms, drain: {client: app}}
  - {at: 10ms, publish: {client: app, subject: x}}
`)
	app := res.Conn("app")
	require.Equal(t, ms(10), app.ClosedAt)
	require.Equal(t, ms(10), app.DrainDoneAt)
	require.Equal(t, []string{"drain=ok"}, results(res, "actions[0]"))
	require.Equal(t, []string{"publish=ErrConnectionDraining"}, results(res, "actions[1]"), "refused: the drain flag outlives the close")
	require.Empty(t, callbackKinds(res, app))

	// The go profile still flushes first: CLOSED one round trip later.
	res = runYAML(t, `
network: {latency: 5ms}
clients: [{name: app}]
actions:
  - {at: 10ms, drain: {client: app}}
`)
	require.Equal(t, ms(20), res.Conn("app").ClosedAt)
}

// PubsStoppedAfterClose: after the drain closed the connection, publish and
// reply still fail with ErrConnectionDraining; subscribe, request, drain and
// flush report ErrConnectionClosed.
func TestNodeV1PublishAfterDrainCloseIsDraining(t *testing.T) {
	res := runYAML(t, `
profile: node-v1
network: {latency: 5ms}
clients: [{name: app}]
subscriptions:
  - {id: s1, client: app, subject: a}
  - {id: late, client: app, subject: c, deferred: true}
actions:
  - {at: 0s, request: {client: app, subject: a, timeout: 1ms}}
  - {at: 10ms, drain: {client: app}}
  - {at: 40ms, publish: {client: app, subject: a}}
  - {at: 40ms, subscribe: {sub: late}}
  - {at: 40ms, request: {client: app, subject: a, timeout: 100ms}}
  - {at: 40ms, drain: {client: app}}
  - {at: 40ms, flush: {client: app}}
`)
	require.Equal(t, ms(20), res.Conn("app").ClosedAt)
	require.Equal(t, []string{"publish=ErrConnectionDraining"}, results(res, "actions[2]"))
	require.Equal(t, []string{"subscribe=ErrConnectionClosed"}, results(res, "actions[3]"))
	require.Equal(t, []string{"request=ErrConnectionClosed"}, results(res, "actions[4]"), "the mux exists: the request is still refused as closed")
	require.Equal(t, []string{"drain=ErrConnectionClosed"}, results(res, "actions[5]"))
	require.Equal(t, []string{"flush=ErrConnectionClosed"}, results(res, "actions[6]"))

	// A connection closed without a drain refuses publishes as closed.
	res = runYAML(t, `
profile: node-v1
network: {latency: 5ms}
clients: [{name: app}]
actions:
  - {at: 10ms, close: {client: app}}
  - {at: 20ms, publish: {client: app, subject: a}}
`)
	require.Equal(t, []string{"publish=ErrConnectionClosed"}, results(res, "actions[1]"))
}

// CloseForgetsRequests: a request pending when the drain closes the
// connection never completes: no reply, no error, no timeout.
func TestNodeV1CloseForgetsPendingRequests(t *testing.T) {
	res := runYAML(t, `
profile: node-v1
network: {latency: 1ms}
clients: [{name: app}, {name: service}]
subscriptions:
  - {id: svc, client: service, subject: svc, handler: {duration: 100ms, actions: [{reply: {}}]}}
actions:
  - {at: 0s, request: {client: app, subject: svc, timeout: 500ms}}
  - {at: 10ms, drain: {client: app}}
`)
	require.Equal(t, ms(12), res.Conn("app").ClosedAt)
	require.Empty(t, results(res, "actions[0]"), "the request's callback never runs")
	require.Equal(t, []string{"reply=ok"}, results(res, "svc#1"), "the service replies at 102 ms, to nobody")
}
