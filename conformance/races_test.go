package conformance

import (
	"cmp"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// swarmDir holds what the differential swarm found, shrunk (see its
// README.md).
const swarmDir = "../testdata/swarm"

// closedHandlerTwice is the one outcome of swarm-4502 the model does not
// draw yet (testdata/swarm/README.md): nats.go's checkDrained goroutine
// finds the connection not yet closed, the drain's close then calls the
// sync subscription's closed handler, and checkDrained's removeSub calls it
// again; everything else is the model's own run. Seen once in several
// hundred virtual runs, under load.
var closedHandlerTwice = Diff{What: "sub s2 closed_handler_calls", Model: "0", Real: "2"}

// TestSwarmRacesAreTies: the three races the swarm found (model/races.go)
// are races, not disagreements. Each scenario is not Determined, because
// the model's variant with its races the other way differs from its own
// run, and every virtual run of nats.go (10 each, or up to 300 until one
// went the other way: 689 goes the other way in about one run of seven
// on a quiet machine, and once went the model's way 60 times in a row
// under the full suite's load) agrees with the model's run or with that variant, as
// a tie (4502 and 11188 mostly go the other way, 11188 was seen to go the
// model's way too; 689 mostly the model's way). It catches dropping the
// race variants from the perturbations (a run that went the other way
// then disagrees, as each did before: checked on every such run) and a
// model whose race ignores Config.Races (the variant then equals the
// model's run and the scenario counts as determined).
func TestSwarmRacesAreTies(t *testing.T) {
	for _, file := range []string{"swarm-4502.yaml", "swarm-11188.yaml", "swarm-689.yaml"} {
		p, m := prepared(t, filepath.Join(swarmDir, file))
		pt, diffs, err := Determined(p, profile(), tolerance)
		require.NoError(t, err)
		require.NotEmpty(t, diffs, "%s: determined", file)
		require.Equal(t, "races the other way", pt, file)
		vary := variantsOf(p)
		noRaces := func() ([]Variant, error) {
			return variants(p, profile(), slices.DeleteFunc(slices.Clone(perturbations), func(pt perturbation) bool { return pt.races != nil }))
		}
		ways := map[string]int{}
		runs := 0
		for ; runs < 10 || (ways["races the other way"] == 0 && runs < 300); runs++ {
			r, err := runVirtual(t, p, realDuration(m.Outcome))
			require.NoError(t, err)
			diffs, tie, err := judge(m, r, vary)
			require.NoError(t, err)
			if file == "swarm-4502.yaml" && slices.Equal(diffs, []Diff{closedHandlerTwice}) {
				ways["closed handler twice (not drawn by the model)"]++
				continue
			}
			require.Empty(t, diffs, file)
			require.Contains(t, []string{"", "races the other way"}, tie, file)
			ways[cmp.Or(tie, "the model's way")]++
			if tie != "" {
				// Without the race variants this run is a disagreement.
				diffs, _, err = judge(m, r, noRaces)
				require.NoError(t, err)
				require.NotEmpty(t, diffs, "%s agrees without the race variants", file)
			}
		}
		t.Logf("%s: %d virtual runs went %v", file, runs, ways)
		require.Positive(t, ways["races the other way"], file)
	}
}
