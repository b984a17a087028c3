package props

import (
	"slices"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// TestTargetsFitTheSet: every coverage target has a bit in a targetSet,
// which a swarm run records the targets it reached in.
func TestTargetsFitTheSet(t *testing.T) {
	if n := len(Targets()); n > 64 {
		t.Fatalf("%d coverage targets: a targetSet holds 64", n)
	}
}

// TestSwarmCoverageCounts: the coverage Swarm reports (on two workers)
// counts, per target, the scenarios that reached it, as counted here
// scenario by scenario on fresh runs. Catches a swarm run that records a
// target in the wrong place of its targetSet, or a report that counts
// the set wrong (another target's bit, or every run).
func TestSwarmCoverageCounts(t *testing.T) {
	const runs = 200
	rep, err := Swarm(SwarmConfig{Runs: runs, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, len(Targets()))
	for i := range uint64(runs) {
		res, err := model.Run(GenScenario(sim.NewPCG(1+i)), model.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for k, target := range Targets() {
			if target.Reached(res) {
				want[k]++
			}
		}
	}
	if !slices.Equal(rep.Coverage, want) {
		t.Fatalf("coverage %v, want %v", rep.Coverage, want)
	}
	if slices.Contains(want, 0) || slices.Contains(want, runs) {
		t.Fatalf("coverage %v: every target must be reached by some runs and missed by others, or the test checks little", want)
	}
}

// TestGenMemoryDrawsWithoutAllocating: a swarm worker's draw
// (SwarmConfig.generate in a genMemory that drew the same seeds before)
// allocates nothing, for every profile, with and without a topology.
// Catches a value the builder allocates instead of taking it from its
// genValues (a `&scenario.Publish{...}` in a step), a genValues not
// emptied between draws (its slabs grow for ever), and a PCG allocated
// per draw.
func TestGenMemoryDrawsWithoutAllocating(t *testing.T) {
	for _, topology := range []bool{false, true} {
		cfg := SwarmConfig{Topology: topology}
		for _, name := range model.ProfileNames() {
			p, err := model.LookupProfile(name)
			if err != nil {
				t.Fatal(err)
			}
			var m genMemory
			// The first pass over the seeds (AllocsPerRun's warm-up)
			// grows m; the second must allocate nothing at all.
			if allocs := testing.AllocsPerRun(1, func() {
				for seed := range uint64(200) {
					cfg.generate(&m, seed, p)
				}
			}); allocs > 0 {
				t.Errorf("profile %s, topology %v: %.0f allocations in 200 draws, want 0", name, topology, allocs)
			}
		}
	}
}

// TestQueueAtMostOnceNamesBothMembers: queue-at-most-once, which marks
// each message with the member that handled it in a lent list, names the
// member that handled the message first and the one that handled it
// again, for each message handled twice, and only those (messages from
// 3 up, as in a result whose first messages nobody handled). Catches a
// report that names the second member twice, or a list indexed from the
// wrong message.
func TestQueueAtMostOnceNamesBothMembers(t *testing.T) {
	r := handMade()
	queueOfTwo(r)
	published(r, 1, 2, 3, 4, 5)
	handled(r.Subs[0], 3, 4)
	handled(r.Subs[1], 5, 3)
	want := []string{"msg 3 handled by s0 and by s1 of queue q"}
	if got := checkQueueAtMostOnce(r); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestDrainClosesNamesItsBound: drain-closes, which formats a drain's
// bound only for a connection that never closed, still names it there:
// the bound when the profile has one, "none" when it has none (a profile
// whose drain has no timeout and whose subscriptions do not leave at
// their barrier). Catches a bound written as "none", or as the time,
// the other way round.
func TestDrainClosesNamesItsBound(t *testing.T) {
	unbounded := model.GoProfile
	unbounded.TimeoutStart = model.NoTimeout
	for _, tc := range []struct {
		profile *model.Profile
		want    string
	}{
		{&model.GoProfile, "c0 drained at 10.000ms never closed (run stopped quiescent at 1000.000ms; bound 35020.000ms)"},
		{&unbounded, "c0 drained at 10.000ms never closed (run stopped quiescent at 1000.000ms; bound none)"},
	} {
		r := handMade()
		r.Profile = tc.profile
		r.Conns[0].DrainCalledAt = ms(10)
		if got := checkDrainCloses(r); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("profile with drain bound %v: got %q, want %q", tc.profile.TimeoutStart != model.NoTimeout, got, tc.want)
		}
	}
}
