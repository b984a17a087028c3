package conformance

import (
	"strings"
	"testing"
	"time"

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
	return err == nil && determinedWithoutJitter(p)
}

// TestModelViewIsReusable: one modelView, compared with every perturbed
// variant of its run in turn (as agrees does), gives each comparison the
// differences a fresh Compare gives, on the first 10 playable generated
// scenarios of every profile with a real counterpart. It fails when a
// comparison changes the view it reads (reverse the view's calls of its
// first source in calls: go, generator seed 18, fails).
func TestModelViewIsReusable(t *testing.T) {
	eachReplayVariant(t, 10, func(what string, p *scenario.Scenario, prof *model.Profile, pt perturbation, base *Side, view *modelView) bool {
		v, err := variant(p, prof, pt, model.Run)
		require.NoError(t, err)
		want := Compare(base, v, DefaultTolerance)
		require.Equal(t, want, view.compare(v, DefaultTolerance), what)
		return len(want) > 0
	})
}

// TestCompareCallTimes: a call whose start or return is off by more than
// the tolerance is a difference named after the call, one within it is
// none. It catches sourceCalls skipping the times of calls whose keys
// agree (its shortcut for calls with nothing to report: drop the
// tol.Agree terms and no call time is ever compared).
func TestCompareCallTimes(t *testing.T) {
	good := modelRun(t, "conn-drain-timeout.yaml")
	last := len(good.Outcome.Calls) - 1 // shifted later, it stays last of its source
	require.Positive(t, last)
	call := good.Outcome.Calls[last]
	for _, c := range []struct {
		shift int64
		agree bool
	}{{0, true}, {int64(tolerance.Allowed(call.ReturnedAtNS, Direct)) + 1, false}, {int64(time.Second), false}} {
		for _, what := range []string{" at", " returned"} {
			real := clone(t, good)
			if what == " at" {
				real.Outcome.Calls[last].AtNS += c.shift
			} else {
				real.Outcome.Calls[last].ReturnedAtNS += c.shift
			}
			diffs := whats(Compare(good, real, tolerance))
			require.Equal(t, c.agree, !strings.Contains(diffs, call.Verb+what), "shift %d of%s: %s", c.shift, what, diffs)
		}
	}
}
