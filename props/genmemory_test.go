package props

import (
	"reflect"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// TestGenMemoryDrawsAsFresh: scenarios drawn one after another in one
// genMemory, as a swarm worker draws them (every profile, with and without
// a topology), equal the same seeds' scenarios drawn fresh by
// GenProfileScenario and GenClusterScenario. Catches a draw that keeps
// anything of the previous scenario: a field start does not reset (a
// topology, a subscription's handler), or the builder's deferred and sync
// subscription lists not emptied.
func TestGenMemoryDrawsAsFresh(t *testing.T) {
	var m genMemory
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		for seed := range uint64(150) {
			cluster := seed%3 == 2
			fresh := GenProfileScenario(sim.NewPCG(seed), p)
			if cluster {
				fresh = GenClusterScenario(sim.NewPCG(seed), p)
			}
			if got := m.draw(sim.NewPCG(seed), p, cluster); !reflect.DeepEqual(got, fresh) {
				t.Fatalf("profile %s, seed %d, cluster %v: drawn in reused memory:\n%s\nfresh:\n%s", name, seed, cluster, got.Marshal(), fresh.Marshal())
			}
		}
	}
}

// TestSwarmKeepsItsOwnScenario: the scenario a swarm run keeps (it
// violated an invariant, swarmRun.kept) is not the worker's, which the
// worker's next draws overwrite: after more runs on the worker it is
// still the scenario of its seed. Catches a kept that keeps the worker's
// scenario (the report would show, and shrink, another scenario).
func TestSwarmKeepsItsOwnScenario(t *testing.T) {
	mut, err := model.ParseMutation("no-flush-barrier")
	if err != nil {
		t.Fatal(err)
	}
	cfg := SwarmConfig{Mutations: model.MutationSet(0).With(mut)}
	sp := cfg.swarmProfile(&model.GoProfile)
	w := new(swarmWorker)
	kept := 0
	for i := 0; i < 300 && kept < 3; i++ {
		r := cfg.swarmRun(w, &sp, i).kept(cfg, &sp)
		if r.sc == nil {
			continue
		}
		kept++
		for j := 1; j <= 5; j++ {
			cfg.swarmRun(w, &sp, i+j)
		}
		if want := GenProfileScenario(sim.NewPCG(r.seed), &model.GoProfile); !reflect.DeepEqual(r.sc, want) {
			t.Fatalf("seed %d: kept scenario changed by the worker's next runs:\n%s\nwant:\n%s", r.seed, r.sc.Marshal(), want.Marshal())
		}
	}
	if kept == 0 {
		t.Fatal("no scenario violated an invariant under no-flush-barrier: the test checks nothing")
	}
}
