package props

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// maxSeeds is the default budget: how many generated scenarios a mutation
// gets to be killed in, how many the unmutated model must pass, and how
// many must reach every coverage target.
const maxSeeds = 500

// determinismRuns is how many of them the swarm also runs twice to
// compare trace hashes, as `drainsim check` does by default.
const determinismRuns = 100

// maxCounterexample is the largest shrunk counterexample (in actions,
// handler actions included) the kill test accepts.
const maxCounterexample = 8

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

// swarm runs the swarm check as `drainsim check --runs N --seed S` does.
func swarm(t testing.TB, runs int, seed uint64, muts model.MutationSet) SwarmReport {
	t.Helper()
	return profileSwarm(t, scenario.DefaultProfile, runs, seed, muts)
}

// profileSwarm runs the swarm check as `drainsim check --profile P --runs
// N --seed S` does: the profile's known violations are not checked.
func profileSwarm(t testing.TB, prof string, runs int, seed uint64, muts model.MutationSet) SwarmReport {
	t.Helper()
	rep, err := Swarm(SwarmConfig{Profiles: []string{prof}, Runs: runs, Seed: seed, Mutations: muts, DeterminismRuns: determinismRuns, SkipKnown: true})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestMutationsAreKilled: the swarm check, with its default budget and
// fixed seeds, kills every mutation of the catalogue (map-order-snapshot
// through the determinism check); each counterexample shrinks to at most
// maxCounterexample actions and still fails the same check when replayed
// as `drainsim run` would.
func TestMutationsAreKilled(t *testing.T) {
	t.Logf("%-30s %-28s %6s %9s %7s", "mutation", "killed by", "runs", "time", "actions")
	for _, m := range model.Mutations() {
		t.Run(m.Name(), func(t *testing.T) { checkKilled(t, scenario.DefaultProfile, m) })
	}
}

// notApplicable names, per profile other than nats.go, the mutations its
// kill test leaves out, and why: the profile already behaves so, lacks the
// code path the mutation hooks, or the invariant that would catch it is a
// known violation of the profile (masked).
var notApplicable = map[string]map[string]string{
	"go-1.53": {
		"revive-closed-conn": "nats.go before v1.55.0 already revives a closed connection (B12)",
		"closed-cb-twice":    "the drain never stops at a connection closed under it (it revives it), so the code path the mutation hooks is not reached",
	},
	"c": {
		"unsub-allowed-while-draining": "nats.c allows Unsubscribe while draining",
		"drain-reconnecting-no-close":  "nats.c refuses Drain while reconnecting without closing",
		"no-drain-timeout":             "masked: drain-closes is a known violation (C-M8: an unread sync subscription keeps a drain without a timeout open)",
		"closed-cb-inline":             "masked: closed-callback is a known violation (DrainErrAfterClose)",
		"closed-cb-despite-option":     "masked: closed-callback is a known violation (DrainErrAfterClose)",
		"closed-cb-twice":              "masked: closed-callback is a known violation (DrainErrAfterClose)",
	},
	"c-3.4": {
		"unsub-allowed-while-draining": "nats.c allows Unsubscribe while draining",
		"drain-reconnecting-no-close":  "nats.c refuses Drain while reconnecting without closing",
		"respmux-drained-with-subs":    "the profile already drains the mux with the others (C-M1)",
		"closed-cb-inline":             "masked: closed-callback is a known violation (DrainErrAfterClose)",
		"closed-cb-despite-option":     "masked: closed-callback is a known violation (DrainErrAfterClose)",
		"closed-cb-twice":              "masked: closed-callback is a known violation (DrainErrAfterClose)",
	},
	"csharp-v1": {
		"pending-dec-before-callback": "the profile already counts a message drained when dequeued (criterion a)",
		"respmux-drained-with-subs":   "the profile already drains the mux with the others",
		"drain-reconnecting-no-close": "Drain while reconnecting proceeds",
	},
	"java": {
		"respmux-drained-with-subs":    "the profile already drains the mux with the others",
		"unsub-allowed-while-draining": "Unsubscribe while draining is a silent no-op, which an allowed Unsubscribe looks like",
		"drain-reconnecting-no-close":  "Drain while reconnecting proceeds",
		"drop-pending-on-drain":        "masked: no-loss-under-drain is a known violation (J-M1: a timed-out sub drain drops what it holds and reports true)",
		"no-drain-timeout":             "masked: drain-closes is a known violation (a zero timeout waits for ever on a broken link)",
		"unsub-removes-queue-group":    "masked: queue-drain-no-loss is a known violation (J-M1 in a queue group)",
		"slow-consumer-silent":         "masked: no-silent-loss and queue-drain-no-loss are known violations",
		"no-flush-barrier":             "masked in 500 runs: queue-drain-no-loss is a known violation; no-delivery-after-barrier kills it at generator seed 7046",
	},
	"natsjs": {
		"unsub-leaves-delivery":        "callbacks run on arrival: no queue to keep delivering",
		"pending-dec-before-callback":  "callbacks run on arrival: no queue; a subscription drains at its barrier",
		"respmux-drained-with-subs":    "the profile already drains the mux with the others",
		"no-drain-timeout":             "nats.js has no drain timeout",
		"no-close-after-timeout":       "nats.js has no drain timeout",
		"timeout-not-reported":         "nats.js has no drain timeout",
		"unsub-allowed-while-draining": "nats.js allows Unsubscribe while draining",
		"revive-closed-conn":           "the drain waits one round trip: a generated Close rarely lands inside it",
		"closed-cb-twice":              "the drain waits one round trip: a generated Close rarely lands inside it",
		"drain-reconnecting-no-close":  "Drain while reconnecting proceeds",
		"final-flush-no-wait":          "masked: outbound-complete is a known violation (a publish accepted while disconnected is discarded at the reconnect attempt)",
		"closed-cb-inline":             "nothing is queued ahead of closed: no disconnected callback at close and no async error from the drain (nats 2.29.3)",
	},
	"node-v1": {
		"no-flush-barrier":              "masked: what it lets through is dropped, and no-loss-under-drain is a known violation",
		"late-unsub":                    "masked: the subscription goes at its barrier, late messages are dropped, and no-loss-under-drain is a known violation",
		"remove-sub-at-once":            "masked: in-flight messages are dropped, and no-loss-under-drain is a known violation",
		"unsub-leaves-delivery":         "callbacks run on arrival: no queue to keep delivering",
		"pending-dec-before-callback":   "callbacks run on arrival: no queue",
		"drop-pending-on-drain":         "callbacks run on arrival: no queue",
		"pending-lifo":                  "callbacks run on arrival: no queue",
		"respmux-drained-with-subs":     "the profile already drains the mux with the others",
		"publish-blocked-draining-subs": "node-nats v1 already refuses publishes from the Drain call (N1-M1)",
		"no-drain-timeout":              "node-nats v1 has no drain timeout",
		"no-close-after-timeout":        "node-nats v1 has no drain timeout",
		"timeout-not-reported":          "node-nats v1 has no drain timeout",
		"unsub-allowed-while-draining":  "node-nats v1 allows Unsubscribe while draining",
		"revive-closed-conn":            "the connection drain waits for no subscription (N1-M1): no wait loop to revive from",
		"closed-cb-twice":               "the connection drain waits for no subscription (N1-M1): no wait loop",
		"map-order-snapshot":            "the connection drain takes no snapshot (N1-M1)",
		"closed-cb-inline":              "masked: closed-callback is a known violation (no close event after a drain)",
		"closed-cb-despite-option":      "masked: closed-callback is a known violation (no close event after a drain)",
		"unsub-removes-queue-group":     "masked: queue-drain-no-loss is a known violation (N1-M1)",
		"slow-consumer-silent":          "masked: no-silent-loss is a known violation (close forgets pending requests)",
		"drain-reconnecting-no-close":   "Drain while reconnecting proceeds",
	},
	"python": {
		"respmux-drained-with-subs":   "the profile already drains the mux with the others",
		"drain-reconnecting-no-close": "nats.py refuses Drain while reconnecting without closing",
		"no-drain-timeout":            "masked: drain-closes and timeout-honesty are known violations (a failed final flush never closes, nats.py 2.15.0)",
		"no-close-after-timeout":      "masked: drain-closes and timeout-honesty are known violations (a failed final flush never closes, nats.py 2.15.0)",
	},
	"ruby-em": {
		"respmux-drained-with-subs":     "the profile already drains the mux with the others",
		"drop-pending-on-drain":         "no subscription drain, and the connection drain marks subscriptions under one barrier",
		"remove-sub-at-once":            "no subscription drain, and the connection drain marks subscriptions under one barrier",
		"no-drain-timeout":              "the deadline starts after a barrier without a timeout, so no drain is bounded; one without a deadline still ends",
		"unsub-allowed-while-draining":  "Unsubscribe while draining is a silent no-op, which an allowed Unsubscribe looks like",
		"drain-reconnecting-no-close":   "Drain while reconnecting proceeds",
		"unsub-leaves-delivery":         "callbacks run on arrival (EventMachine): no queue to keep delivering",
		"pending-dec-before-callback":   "callbacks run on arrival: no queue; a subscription drains at the first timer tick after its barrier",
		"pending-lifo":                  "callbacks run on arrival: no queue",
		"publish-blocked-draining-subs": "masked: a refused publish is dropped silently (SilentPublishDrop) and api-refusal-rules is a known violation",
		"no-flush-barrier":              "the first completion check comes 100 ms after the drain starts even without a barrier, after every in-flight message at generated latencies",
	},
}

// TestMutationsAreKilledPerProfile runs the kill test of
// TestMutationsAreKilled under every other profile, for each mutation that
// applies to it (notApplicable says which do not, and why); the profile's
// known violations are not checked, as `drainsim check` does.
func TestMutationsAreKilledPerProfile(t *testing.T) {
	for _, prof := range model.ProfileNames() {
		if prof == scenario.DefaultProfile {
			continue
		}
		for name := range notApplicable[prof] {
			if _, err := model.ParseMutation(name); err != nil {
				t.Errorf("notApplicable[%s]: %v", prof, err)
			}
		}
		for _, m := range model.Mutations() {
			if _, skip := notApplicable[prof][m.Name()]; skip {
				continue
			}
			t.Run(prof+"/"+m.Name(), func(t *testing.T) { checkKilled(t, prof, m) })
		}
	}
}

// checkKilled runs the swarm under profile prof with mutation m and checks
// that it finds a violation whose counterexample shrinks to at most
// maxCounterexample actions and still fails when replayed.
func checkKilled(t *testing.T, prof string, m model.Mutation) {
	muts := model.MutationSet(0).With(m)
	start := time.Now()
	rep := profileSwarm(t, prof, maxSeeds, 1, muts)
	took := time.Since(start)
	if len(rep.Failures) == 0 {
		t.Fatalf("mutation %s survived %d generated scenarios under profile %s", m, maxSeeds, prof)
	}
	var ids []string
	for _, f := range rep.Failures {
		ids = append(ids, f.Invariant)
		if n := Size(f.Shrunk); n > maxCounterexample {
			t.Errorf("%s: counterexample for %s has %d actions, want at most %d:\n%s", m, f.Invariant, n, maxCounterexample, f.Shrunk.Marshal())
		}
		if !stillFails(f, muts) {
			t.Errorf("%s: the shrunk counterexample for %s no longer fails it:\n%s", m, f.Invariant, f.Shrunk.Marshal())
		}
	}
	f := rep.Failures[0]
	t.Logf("%-30s %-28s %6d %9v %7d", m, strings.Join(ids, ","), rep.Runs, took.Round(time.Millisecond), Size(f.Shrunk))
}

// stillFails replays a failure's shrunk scenario from its file form.
func stillFails(f Failure, muts model.MutationSet) bool {
	sc, err := scenario.Parse("shrunk.yaml", f.Shrunk.Marshal())
	if err != nil {
		return false
	}
	if f.Invariant == DeterminismID {
		// Map order differs only now and then between runs: try a while.
		for i := 0; i < 10; i++ {
			if Nondeterministic(sc, muts) {
				return true
			}
		}
		return false
	}
	inv, ok := Lookup(f.Invariant)
	return ok && Violates(sc, inv, muts)
}

// killers names, for each invariant, mutations it must catch on its own:
// this is what shows every invariant can fail.
var killers = []struct{ invariant, mutation string }{
	{"no-loss-under-drain", "drop-pending-on-drain"},
	{"no-loss-under-drain", "no-flush-barrier"},
	{"no-loss-under-drain", "remove-sub-at-once"},
	{"no-callback-after-unsubscribe", "unsub-leaves-delivery"},
	{"no-delivery-after-barrier", "late-unsub"},
	{"drain-waits-for-callbacks", "pending-dec-before-callback"},
	{"no-duplicates", "duplicate-delivery"},
	{"fifo-per-publisher", "pending-lifo"},
	{"queue-at-most-once", "queue-fanout"},
	{"queue-drain-no-loss", "unsub-removes-queue-group"},
	{"drain-closes", "no-close-after-timeout"},
	{"drain-closes", "no-drain-timeout"},
	{"timeout-honesty", "timeout-not-reported"},
	{"timeout-honesty", "no-close-after-timeout"},
	{"api-refusal-rules", "publish-blocked-draining-subs"},
	{"api-refusal-rules", "unsub-allowed-while-draining"},
	{"api-refusal-rules", "drain-reconnecting-no-close"},
	{"respmux-drained-last", "respmux-drained-with-subs"},
	{"replies-reach-requester", "respmux-drained-with-subs"},
	{"outbound-complete", "final-flush-no-wait"},
	{"closed-callback", "closed-cb-inline"},
	{"closed-callback", "closed-cb-despite-option"},
	{"closed-callback", "closed-cb-twice"},
	{"closed-is-final", "revive-closed-conn"},
	{"no-silent-loss", "slow-consumer-silent"},
	{"ledger-conserved", "forget-delivery"},
}

// TestEachInvariantCatchesItsMutation: each invariant, checked alone, is
// violated by its named mutations within maxSeeds scenarios, and every
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

// TestUnmutatedModelHolds: over the default budget the unmutated model
// violates no invariant and is deterministic.
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

// TestCoverage: within the default budget the generator reaches every
// coverage target several times; a target it misses would make the
// invariants that guard it pass vacuously.
func TestCoverage(t *testing.T) {
	rep := swarm(t, maxSeeds, 1, 0)
	if len(rep.Failures) > 0 {
		t.Fatalf("the unmutated model failed: %s", rep.Failures[0])
	}
	for i, target := range Targets() {
		t.Logf("%-28s reached in %3d of %d runs", target.ID, rep.Coverage[i], rep.Runs)
		if rep.Coverage[i] < 5 {
			t.Errorf("coverage target %s reached only %d times in %d runs: %s", target.ID, rep.Coverage[i], rep.Runs, target.Statement)
		}
	}
}

// falseAlarmSeeds are generator seeds on which earlier versions of
// queue-drain-no-loss saw a loss the drain did not cause: an unread sync
// member (35), a third member that unsubscribed itself (691), a
// replacement whose auto-unsubscribe limit the server had reached (764), a
// drained member removed by its own limit (8499), a replacement subscribed
// after the message (15665).
var falseAlarmSeeds = []uint64{35, 691, 764, 8499, 15665}

// TestNoFalseAlarms keeps those scenarios passing.
func TestNoFalseAlarms(t *testing.T) {
	for _, seed := range falseAlarmSeeds {
		if sc, res := pcgRun(t, seed, 0, false); len(Violated(res)) > 0 {
			t.Errorf("seed %d violates %v\n%s", seed, Violated(res), sc.Marshal())
		}
	}
}

// TestUnmutatedModelHoldsWide runs the swarm check over ten times the
// default budget, as `drainsim check --runs 5000` does.
func TestUnmutatedModelHoldsWide(t *testing.T) {
	if testing.Short() {
		t.Skip("wide sweep skipped under -short")
	}
	failIfViolated(t, swarm(t, 10*maxSeeds, maxSeeds+1, 0))
}

// TestSoak is the long run: DRAINSIM_SOAK=N checks N more generated
// scenarios (from seed DRAINSIM_SOAK_SEED, default 1,000,000), for example
// DRAINSIM_SOAK=1000000 go test ./props -run TestSoak -timeout 30m.
func TestSoak(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("DRAINSIM_SOAK"))
	if err != nil || n <= 0 {
		t.Skip("set DRAINSIM_SOAK=N to check N more generated scenarios")
	}
	seed := uint64(1_000_000)
	if s := os.Getenv("DRAINSIM_SOAK_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("DRAINSIM_SOAK_SEED=%q: %v", s, err)
		}
	}
	rep := swarm(t, n, seed, 0)
	failIfViolated(t, rep)
	t.Logf("%d scenarios from seed %d: no violation; coverage %v", rep.Runs, seed, rep.Coverage)
}

func failIfViolated(t *testing.T, rep SwarmReport) {
	t.Helper()
	for _, f := range rep.Failures {
		var b strings.Builder
		if err := WriteCounterexample(&b, f.Shrunk, f.Invariant, 0); err != nil {
			t.Fatal(err)
		}
		t.Errorf("FAIL %s\n%s", f, b.String())
	}
}

// TestCounterexampleCorpus replays the counterexamples found in the
// unmutated model (testdata/counterexamples, one scenario file each with
// the story in its comments) and checks that none fails any more. Unlike a
// rapid fail file, a scenario file stays valid when the model's draws
// change, as fixing the bug usually makes them.
func TestCounterexampleCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/counterexamples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no counterexamples in testdata/counterexamples (%v)", err)
	}
	for _, f := range files {
		sc, err := scenario.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := model.Run(sc, model.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if ids := Violated(res); len(ids) > 0 {
			t.Errorf("%s fails again: %v", f, ids)
		}
	}
}
