package props

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// tieCounter counts the tie choices with more than one option drawn
// through it.
type tieCounter struct {
	sim.Chooser
	n *int
}

func (c tieCounter) IntN(label string, n int) int {
	if label == "tie" && n > 1 {
		*c.n++
	}
	return c.Chooser.IntN(label, n)
}

func (c tieCounter) Stream(name string) sim.Chooser {
	return tieCounter{Chooser: c.Chooser.Stream(name), n: c.n}
}

// genTiesRun is genRun with the scenario opted in to ties: permute, so
// that rapid draws (and shrinks) the order of equal-time events with the
// model's other choices.
func genTiesRun(t *rapid.T, ties *int) (*scenario.Scenario, *model.Result) {
	ch := RapidChooser(t)
	sc := GenScenario(ch.Stream("gen"))
	sc.PermuteTies = true
	return sc, runRapid(t, tieCounter{Chooser: ch, n: ties}, sc)
}

// TestPropTies checks every invariant nats.go is not known to violate
// over generated scenarios whose equal-time events rapid orders, and that
// the generator does reach ties (a coverage target: a property that never
// meets a tie proves nothing about them).
func TestPropTies(t *testing.T) {
	ties := 0
	for _, inv := range Catalogue() {
		if IsKnown(model.GoProfile.Name, inv.ID) {
			continue
		}
		t.Run(inv.ID, rapid.MakeCheck(func(t *rapid.T) {
			sc, res := genTiesRun(t, &ties)
			if v := inv.Check(res); len(v) > 0 {
				logCounterexample(t, sc, inv, 0)
				t.Fatalf("%s: %s", inv.ID, Shorten(v))
			}
		}))
	}
	require.Positive(t, ties, "no generated scenario met a tie")
}

// TestSwarmTies: a swarm check with Ties opts the generated scenarios in,
// and its counterexample carries ties: permute, so that drainsim run
// replays the order that fails. It fails if swarmRun leaves Ties out (the
// file then replays in scheduling order).
func TestSwarmTies(t *testing.T) {
	muts := model.MutationSet(0).With(model.RemoveSubAtOnce)
	rep, err := Swarm(SwarmConfig{Runs: 200, Seed: 1, Mutations: muts, Ties: true, SkipKnown: true, NoShrink: true})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Failures)
	f := rep.Failures[0]
	require.True(t, f.Shrunk.PermuteTies)
	replay, err := scenario.Parse("cx.yaml", f.Shrunk.Marshal())
	require.NoError(t, err)
	require.True(t, Violates(replay, invariantByID(t, f.Invariant), muts))
}
