package props

import (
	"slices"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
	"github.com/stretchr/testify/require"
)

// TestSwarmProfileLeavesOutOnlyKnown: the invariants a swarm checks under
// a profile, chosen once per profile, are the catalogue in its order
// without exactly the profile's known violations under SkipKnown, and the
// whole catalogue without it: what the per-scenario IsKnown test gave. It
// catches a filter that drops the wrong invariants (inverted, or another
// profile's known violations) and one applied without SkipKnown.
func TestSwarmProfileLeavesOutOnlyKnown(t *testing.T) {
	names := model.ProfileNames()
	cfg := SwarmConfig{SkipKnown: true}
	profiles, err := cfg.swarmProfiles(names)
	require.NoError(t, err)
	all, err := SwarmConfig{}.swarmProfiles(names)
	require.NoError(t, err)
	left := 0
	for j, name := range names {
		var want []string
		for _, inv := range Catalogue() {
			if !IsKnown(name, inv.ID) {
				want = append(want, inv.ID)
			}
		}
		require.Equal(t, want, ids(profiles[j].invariants), name)
		require.Equal(t, ids(Catalogue()), ids(all[j].invariants), name)
		left += len(Catalogue()) - len(want)
	}
	require.Equal(t, len(KnownViolations())-countDeterminismKnown(), left, "every known violation is left out once")
	_, err = cfg.swarmProfiles([]string{"no-such-library"})
	require.Error(t, err)
}

func ids(invs []Invariant) []string {
	var out []string
	for _, inv := range invs {
		out = append(out, inv.ID)
	}
	return out
}

// countDeterminismKnown counts the known violations that name no
// invariant of the catalogue (none today; the determinism check is not
// in the catalogue).
func countDeterminismKnown() int {
	n := 0
	for _, k := range KnownViolations() {
		if !slices.ContainsFunc(Catalogue(), func(inv Invariant) bool { return inv.ID == k.Invariant }) {
			n++
		}
	}
	return n
}

// TestConnFinderIsConn: connFinder, which remembers the last client it
// looked up, finds for every call record of runs with several clients
// the record Result.Conn finds by name, also when the calls switch from
// one client to another and back. It catches a memo that keeps the
// previous client's record when the client changes.
func TestConnFinderIsConn(t *testing.T) {
	switches := 0
	for seed := uint64(1); seed <= 200; seed++ {
		sc := GenScenario(sim.NewPCG(seed))
		if len(sc.Clients) < 2 {
			continue
		}
		res, err := model.Run(sc, model.Config{})
		require.NoError(t, err)
		conns := connFinder{r: res}
		var last model.Str
		for i, call := range res.Calls {
			want := res.Conn(res.Str(call.Client))
			require.Same(t, want, conns.of(call.Client), "seed %d, call %d", seed, i)
			if i > 0 && call.Client != last {
				switches++
			}
			last = call.Client
		}
	}
	require.Greater(t, switches, 100, "the runs should switch clients often")
}

// TestLongestFirst: the matrix shrinks the cells that must keep
// replaying on the real library first, then the bigger scenarios, the
// cells without a scenario last, every cell once and ties in cell
// order. It catches a reversed or lost order, which would leave the
// longest shrink to start last.
func TestLongestFirst(t *testing.T) {
	sized := func(n int) *scenario.Scenario { return &scenario.Scenario{Actions: make([]scenario.Action, n)} }
	picks := [][]pick{make([]pick, 3), make([]pick, 3)}
	picks[0][0] = pick{sc: sized(5), rank: 1}
	picks[0][2] = pick{sc: sized(2), rank: 2}
	picks[1][0] = pick{sc: sized(9), rank: 0}
	picks[1][1] = pick{sc: sized(5), rank: 1}
	picks[1][2] = pick{sc: sized(7), rank: 2}
	// cells: 0 (r1 s5), 1 none, 2 (r2 s2), 3 (r0 s9), 4 (r1 s5), 5 (r2 s7)
	require.Equal(t, []int{5, 2, 0, 4, 3, 1}, longestFirst(picks))
}
