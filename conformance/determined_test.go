package conformance

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// outageScenario is a natsjs drain after a server restart of the given
// length: the restart's end races the client's first reconnect attempt.
func outageScenario(t *testing.T, outage string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("outage.yaml", []byte(`name: outage
profile: natsjs
clients: [{name: c1}]
actions:
  - {at: 5s, restart_server: {for: `+outage+`}}
  - {at: 5.011s, drain: {client: c1}}
`))
	require.NoError(t, err)
	return sc
}

// TestShortOutageIsARace checks that an outage whose end is within a few
// milliseconds of the first reconnect attempt is not determined (a real
// nats.js 2.29.3 run on CI reconnected at once after a 1 ms restart, which
// the model has fail), and so is not Replayable, while a long outage is.
func TestShortOutageIsARace(t *testing.T) {
	short, err := Prepare(outageScenario(t, "1ms"), 1)
	require.NoError(t, err)
	prof, err := model.LookupProfile("natsjs")
	require.NoError(t, err)
	noJitter := *prof
	noJitter.ReconnectJitter = 0
	name, diffs, err := Determined(short, &noJitter, DefaultTolerance)
	require.NoError(t, err)
	require.NotEmpty(t, diffs, "a 1 ms outage must not count as determined")
	require.True(t, strings.HasPrefix(name, "outages"), "the outage perturbation shows the race, not %q", name)
	require.False(t, Replayable(outageScenario(t, "1ms")))
	require.True(t, Replayable(outageScenario(t, "100ms")))
}

// TestCloseActionsAreNotReplayable: the natsjs counterexample in which
// c1 publishes at 0 and c0's subscription drains 1 ms later, which
// nats.js 2.29.3 reversed 10 runs in 10 in CI, does not count as
// replayable; with the drain 10 ms later it does. Catches Replayable
// without its replayGap check.
func TestCloseActionsAreNotReplayable(t *testing.T) {
	at := func(drain string) *scenario.Scenario {
		sc, err := scenario.Parse("close.yaml", []byte(`name: close
profile: natsjs
seed: 524955647
network: {latency: 0s}
clients: [{name: c0}, {name: c1}]
subscriptions: [{id: s0, client: c0, subject: t1, handler: {duration: 2ms}}]
actions:
  - {at: 0s, publish: {client: c0, subject: t0}}
  - {at: 0s, publish: {client: c1, subject: t1}}
  - {at: `+drain+`, drain_sub: {sub: s0}}
`))
		require.NoError(t, err)
		return sc
	}
	require.False(t, Replayable(at("1ms")))
	require.True(t, Replayable(at("10ms")))
}
