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
		for i, call := range res.Calls() {
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

// TestLongestFirst: the cells that replay on the real library first,
// bigger scenarios first; then the others by their run's events, not
// their size; cells without a scenario last; every cell once, ties in
// the cells' order. It catches the others ordered by size (the two
// costliest cells of check --matrix --runs 300 then start last) and a
// reversed or lost order.
func TestLongestFirst(t *testing.T) {
	sized := func(n int) *scenario.Scenario { return &scenario.Scenario{Actions: make([]scenario.Action, n)} }
	picks := [][]pick{make([]pick, 3), make([]pick, 3)}
	picks[0][0] = pick{sc: sized(5), rank: 1, events: 100}
	picks[0][2] = pick{sc: sized(2), rank: 2, events: 50}
	picks[1][0] = pick{sc: sized(9), rank: 0, events: 60}
	picks[1][1] = pick{sc: sized(4), rank: 0, events: 1600}
	picks[1][2] = pick{sc: sized(7), rank: 2, events: 40}
	// cells: 0 (r1 s5 e100), 1 none, 2 (r2 s2), 3 (r0 s9 e60), 4 (r0 s4 e1600), 5 (r2 s7)
	require.Equal(t, []int{5, 2, 4, 0, 3, 1}, longestFirst(picks))
}

// TestAPIRefusalSkipsOnlyRepeatsOfAllowedCalls: api-refusal-rules, which
// skips a call that repeats an allowed call before it in client, time,
// verb and result, reports exactly what checking every call reports, over
// generated scenarios of every profile (several break the rules: their
// known violations) and under the mutations that break them. It catches
// a skip after a call that broke a rule (a burst of refused publishes
// would be reported once) and a key that leaves out what a rule reads
// (the result, in a hand-made burst).
func TestAPIRefusalSkipsOnlyRepeatsOfAllowedCalls(t *testing.T) {
	everyCall := func(r *model.Result) []string {
		var out []string
		for _, call := range r.Calls() {
			if c := r.Conn(r.Str(call.Client)); c != nil {
				out = apiRefusal(r, profile(r), c, call, out)
			}
		}
		return out
	}
	sets := []model.MutationSet{0}
	for _, name := range []string{"publish-blocked-draining-subs", "unsub-allowed-while-draining", "drain-reconnecting-no-close"} {
		m, err := model.ParseMutation(name)
		require.NoError(t, err)
		sets = append(sets, model.MutationSet(0).With(m))
	}
	violations, repeats := 0, 0
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for _, muts := range sets {
			for seed := uint64(1); seed <= 60; seed++ {
				res, err := model.Run(GenProfileScenario(sim.NewPCG(seed), p), model.Config{Mutations: muts})
				require.NoError(t, err)
				want := everyCall(res)
				require.Equal(t, want, checkAPIRefusal(res), "profile %s, mutations %v, seed %d", name, muts, seed)
				violations += len(want)
				calls := res.Calls()
				for i := 1; i < len(calls); i++ {
					if sameRefusalKey(calls[i], calls[i-1]) {
						repeats++
					}
				}
			}
		}
	}
	require.Greater(t, violations, 50, "the runs should break the rules")
	require.Greater(t, repeats, 1000, "the runs should repeat calls")

	// Two publishes by c0 at one instant, the first allowed, the second
	// refused with a state error while CONNECTED: only the second breaks
	// a rule, and a key without the result would skip it.
	r := handMade()
	pub := func(src, result string) model.CallRecord {
		l := r.Ledger
		return model.CallRecord{Source: l.Intern(src), Verb: l.Intern("publish"), Client: l.Intern("c0"), At: ms(5), ReturnedAt: ms(5), Result: l.Intern(result)}
	}
	r.SetCalls([]model.CallRecord{pub("actions[0]", model.OK), pub("actions[1]", model.ErrConnectionClosed)})
	require.Equal(t, everyCall(r), checkAPIRefusal(r))
	require.Len(t, checkAPIRefusal(r), 1)
}
