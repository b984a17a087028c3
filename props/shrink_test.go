package props

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestShrinkSeparatesFaults: a counterexample whose fault ties with a
// drain (which a real run could play in either order) is shrunk to one
// that keeps them realGap apart, still failing.
func TestShrinkSeparatesFaults(t *testing.T) {
	sc, err := scenario.Parse("tie.yaml", []byte(`name: tie
profile: go-1.53
clients: [{name: c}]
subscriptions: [{id: s, client: c, subject: x}]
actions:
  - {at: 0s, restart_server: {}}
  - {at: 0s, drain: {client: c}}
`))
	require.NoError(t, err)
	inv, ok := Lookup("closed-is-final")
	require.True(t, ok)
	fails := func(c *scenario.Scenario) bool { return Violates(c, inv, 0) }
	require.True(t, fails(sc))
	require.Equal(t, 1, faultRaces(sc))

	got := Shrink(sc, fails)
	require.True(t, fails(got))
	require.Zero(t, faultRaces(got), "the fault and the drain are moved apart:\n%s", got.Marshal())
	require.Equal(t, realGap, got.Actions[0].At-got.Actions[1].At, "the restart follows the drain by realGap")

	// Without a way to separate them, the shrinker keeps the race rather
	// than losing the failure, and never adds one.
	never := func(c *scenario.Scenario) bool { return faultRaces(c) > 0 && fails(c) }
	require.Equal(t, 1, faultRaces(Shrink(sc, never)))
}
