package props

import (
	"strings"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// maxSeeds is how many PCG seeds a mutation gets to be killed in, and how
// many seeds the unmutated model must pass.
const maxSeeds = 500

// pcgRun generates the scenario for seed and runs it with its own seed (a
// nil Chooser), exactly as `drainsim run --mutation ... FILE` would replay
// the marshalled scenario.
func pcgRun(t testing.TB, seed uint64, muts model.MutationSet, trace bool) (*scenario.Scenario, *model.Result) {
	t.Helper()
	sc := GenScenario(sim.NewPCG(seed))
	res, err := model.Run(sc, model.Config{Mutations: muts, Trace: trace})
	if err != nil {
		t.Fatalf("seed %d: model.Run: %v\n%s", seed, err, sc.Marshal())
	}
	return sc, res
}

// violated returns the IDs of the invariants r violates, in catalogue order.
func violated(r *model.Result) []string {
	var ids []string
	for _, inv := range Catalogue() {
		if len(inv.Check(r)) > 0 {
			ids = append(ids, inv.ID)
		}
	}
	return ids
}

// nondeterministic reports whether running the scenario of seed a few times
// gives different trace hashes.
func nondeterministic(t testing.TB, seed uint64, muts model.MutationSet) bool {
	_, first := pcgRun(t, seed, muts, true)
	h := first.Trace.Hash()
	for i := 0; i < 3; i++ {
		if _, again := pcgRun(t, seed, muts, true); again.Trace.Hash() != h {
			return true
		}
	}
	return false
}

// TestMutationsAreKilled: every mutation in the catalogue is caught, within
// maxSeeds generated scenarios, by some invariant, or (map-order-snapshot)
// by the determinism check.
func TestMutationsAreKilled(t *testing.T) {
	for _, m := range model.Mutations() {
		t.Run(m.Name(), func(t *testing.T) {
			muts := model.MutationSet(0).With(m)
			for seed := uint64(1); seed <= maxSeeds; seed++ {
				if m == model.MapOrderSnapshot {
					if nondeterministic(t, seed, muts) {
						t.Logf("%s killed by determinism (same seed, different trace hashes) after %d seeds", m, seed)
						return
					}
					continue
				}
				sc, res := pcgRun(t, seed, muts, false)
				if ids := violated(res); len(ids) > 0 {
					t.Logf("%s killed by %s after %d seeds; replay with `drainsim run --mutation %s FILE`:\n%s",
						m, strings.Join(ids, ", "), seed, m, sc.Marshal())
					return
				}
			}
			t.Fatalf("mutation %s survived %d generated scenarios", m, maxSeeds)
		})
	}
}

// killers names, for each invariant, a mutation it must catch on its own:
// this is what shows every invariant can fail.
var killers = []struct{ invariant, mutation string }{
	{"no-loss-under-drain", "drop-pending-on-drain"},
	{"no-loss-under-drain", "no-flush-barrier"},
	{"no-callback-after-unsubscribe", "unsub-leaves-delivery"},
	{"drain-waits-for-callbacks", "pending-dec-before-callback"},
	{"no-duplicates", "duplicate-delivery"},
	{"drain-closes", "no-close-after-timeout"},
	{"drain-closes", "no-drain-timeout"},
	{"timeout-reported-once", "timeout-not-reported"},
	{"timeout-reported-once", "no-close-after-timeout"},
	{"replies-during-drain", "publish-blocked-draining-subs"},
	{"respmux-drained-last", "respmux-drained-with-subs"},
	{"replies-reach-requester", "respmux-drained-with-subs"},
	{"closed-is-final", "revive-closed-conn"},
	{"unsubscribe-refused-while-draining", "unsub-allowed-while-draining"},
}

// TestEachInvariantCatchesItsMutation: each invariant, checked alone, is
// violated by its named mutation within maxSeeds scenarios, and every
// invariant of the catalogue has at least one such mutation.
func TestEachInvariantCatchesItsMutation(t *testing.T) {
	covered := map[string]bool{}
	for _, k := range killers {
		covered[k.invariant] = true
		t.Run(k.invariant+"/"+k.mutation, func(t *testing.T) {
			inv, ok := Lookup(k.invariant)
			if !ok {
				t.Fatalf("unknown invariant %q", k.invariant)
			}
			m, err := model.ParseMutation(k.mutation)
			if err != nil {
				t.Fatal(err)
			}
			for seed := uint64(1); seed <= maxSeeds; seed++ {
				_, res := pcgRun(t, seed, model.MutationSet(0).With(m), false)
				if v := inv.Check(res); len(v) > 0 {
					t.Logf("%s caught %s after %d seeds: %s", inv.ID, m, seed, Shorten(v))
					return
				}
			}
			t.Fatalf("%s did not catch %s in %d seeds", inv.ID, m, maxSeeds)
		})
	}
	for _, inv := range Catalogue() {
		if !covered[inv.ID] {
			t.Errorf("invariant %s has no mutation shown to violate it", inv.ID)
		}
	}
}

// TestUnmutatedModelHolds: over the same seeds the unmutated model violates
// no invariant and is deterministic.
func TestUnmutatedModelHolds(t *testing.T) {
	for seed := uint64(1); seed <= maxSeeds; seed++ {
		sc, res := pcgRun(t, seed, 0, true)
		for _, inv := range Catalogue() {
			if v := inv.Check(res); len(v) > 0 {
				t.Fatalf("seed %d: %s: %s\n%s", seed, inv.ID, Shorten(v), sc.Marshal())
			}
		}
		if _, again := pcgRun(t, seed, 0, true); again.Trace.Hash() != res.Trace.Hash() {
			t.Fatalf("seed %d: two runs gave different traces\n%s", seed, sc.Marshal())
		}
	}
}

// TestGeneratorCoverage: the seeds used above exercise what the mutations
// need: connection and subscription drains, timeouts, disconnects during a
// drain, response subscriptions on drained connections, handler requests
// and replies during a drain, slow consumers, and unsubscribes.
func TestGeneratorCoverage(t *testing.T) {
	var connDrain, subDrain, timedOut, disconnected, muxDrained, handlerReq, slow, unsub, twoSubsDrained int
	for seed := uint64(1); seed <= maxSeeds; seed++ {
		_, res := pcgRun(t, seed, 0, false)
		for _, c := range res.Conns {
			if c.DrainCalledAt == model.NoTime {
				continue
			}
			connDrain++
			if c.DrainTimedOut {
				timedOut++
			}
			if sawDisconnect(c) {
				disconnected++
			}
			n := 0
			for _, s := range res.Subs {
				if s.Client == c.Client && !s.Mux && inSubsAtConnDrain(s, c) {
					n++
				}
			}
			if n >= 2 {
				twoSubsDrained++
			}
			if mux := res.Sub(c.Client + ".respmux"); mux != nil && mux.DrainCalledAt != model.NoTime {
				muxDrained++
			}
		}
		for _, s := range res.Subs {
			if !s.Mux && s.DrainCalledAt != model.NoTime && res.Conn(s.Client).DrainCalledAt == model.NoTime {
				subDrain++
				break
			}
		}
		for _, call := range res.Calls {
			if call.Verb == "request" && strings.Contains(call.Source, "#") {
				handlerReq++
				break
			}
		}
		for _, call := range res.Calls {
			if call.Verb == "unsubscribe" && call.Result == model.OK {
				unsub++
				break
			}
		}
		for i := range res.Ledger.Deliveries {
			if res.Ledger.Deliveries[i].Reason == model.DropSlowConsumer {
				slow++
				break
			}
		}
	}
	t.Logf("over %d seeds: conn drains %d (timed out %d, disconnected %d, response sub drained %d, >=2 subs %d), sub drains %d, "+
		"runs with handler requests %d, slow consumers %d, successful unsubscribes %d",
		maxSeeds, connDrain, timedOut, disconnected, muxDrained, twoSubsDrained, subDrain, handlerReq, slow, unsub)
	for _, c := range []struct {
		name string
		n    int
	}{{"conn drains", connDrain}, {"timeouts", timedOut}, {"disconnects", disconnected},
		{"response sub drains", muxDrained}, {"sub drains", subDrain}, {"handler requests", handlerReq},
		{"slow consumers", slow}, {"unsubscribes", unsub}, {"drains of >=2 subs", twoSubsDrained}} {
		name, n := c.name, c.n
		if n < 5 {
			t.Errorf("only %d runs with %s", n, name)
		}
	}
}

// TestUnmutatedModelHoldsWide extends TestUnmutatedModelHolds to ten times
// as many seeds, without traces.
func TestUnmutatedModelHoldsWide(t *testing.T) {
	if testing.Short() {
		t.Skip("wide sweep skipped under -short")
	}
	for seed := uint64(maxSeeds + 1); seed <= 10*maxSeeds; seed++ {
		sc, res := pcgRun(t, seed, 0, false)
		if ids := violated(res); len(ids) > 0 {
			inv, _ := Lookup(ids[0])
			t.Fatalf("seed %d: %s: %s\n%s", seed, inv.ID, Shorten(inv.Check(res)), sc.Marshal())
		}
	}
}
