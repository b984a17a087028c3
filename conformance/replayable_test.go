package conformance

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// TestReplayableIsPrepared: Replayable, which runs the scenario it is
// given, answers what it answered when it ran Prepare(sc, 1)'s YAML copy
// (replayablePrepared), on generated scenarios of every profile with a
// real counterpart, with and without a topology, and leaves the scenario
// as it was. It catches a Replayable without the supported check (a
// scenario Prepare refuses, with drawn durations, then counts when its
// runs agree) and one whose runs edit the scenario they are given.
func TestReplayableIsPrepared(t *testing.T) {
	seen := map[[2]bool]int{} // {Prepare accepts, replayable}
	for name := range counterparts {
		prof, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed := uint64(0); seed < 40; seed++ {
			for _, sc := range []*scenario.Scenario{props.GenProfileScenario(sim.NewPCG(seed), prof), props.GenClusterScenario(sim.NewPCG(seed), prof)} {
				text := string(sc.Marshal())
				_, err := Prepare(sc, 1)
				want := replayablePrepared(sc)
				require.Equal(t, want, Replayable(sc), "profile %s, generator seed %d", name, seed)
				require.Equal(t, text, string(sc.Marshal()), "profile %s, generator seed %d: Replayable changed the scenario", name, seed)
				seen[[2]bool{err == nil, want}]++
			}
		}
	}
	require.Len(t, seen, 3, "refused, accepted and replayable, accepted and not: %v", seen)
}

// replayablePrepared is Replayable as it was: on Prepare(sc, 1)'s copy.
func replayablePrepared(sc *scenario.Scenario) bool {
	p, err := Prepare(sc, 1)
	if err != nil {
		return false
	}
	prof, err := model.LookupProfile(p.Profile)
	if err != nil {
		return false
	}
	noJitter := *prof
	noJitter.ReconnectJitter = 0
	return agrees(p, &noJitter, DefaultTolerance, replayPerturbations)
}
