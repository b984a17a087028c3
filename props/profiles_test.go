package props

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// otherProfiles returns every profile but nats.go, whose tests are the
// ones above.
func otherProfiles() []string {
	var out []string
	for _, name := range model.ProfileNames() {
		if name != scenario.DefaultProfile {
			out = append(out, name)
		}
	}
	return out
}

// TestUnmutatedProfilesHold: over the default budget, every other
// unmutated profile violates no invariant but its known violations, and is
// deterministic.
func TestUnmutatedProfilesHold(t *testing.T) {
	for _, prof := range otherProfiles() {
		p, _ := model.LookupProfile(prof)
		for seed := uint64(1); seed <= maxSeeds; seed++ {
			sc := GenProfileScenario(sim.NewPCG(seed), p)
			res, err := model.Run(sc, model.Config{Trace: true})
			if err != nil {
				t.Fatalf("%s seed %d: %v", prof, seed, err)
			}
			for _, inv := range Catalogue() {
				if v := inv.Check(res); len(v) > 0 && !IsKnown(prof, inv.ID) {
					t.Fatalf("%s seed %d: %s: %s\n%s", prof, seed, inv.ID, Shorten(v), sc.Marshal())
				}
			}
			again, _ := model.Run(sc, model.Config{Trace: true})
			if again.Trace.Hash() != res.Trace.Hash() {
				t.Fatalf("%s seed %d: two runs gave different traces\n%s", prof, seed, sc.Marshal())
			}
		}
	}
}

// TestGeneratorRespectsProfiles: a generated scenario names its profile and
// uses only what the profile's library offers, so model.Run accepts it.
func TestGeneratorRespectsProfiles(t *testing.T) {
	for _, prof := range model.ProfileNames() {
		p, _ := model.LookupProfile(prof)
		timeouts := 0
		for seed := uint64(1); seed <= maxSeeds; seed++ {
			sc := GenProfileScenario(sim.NewPCG(seed), p)
			if sc.Profile != prof {
				t.Fatalf("%s seed %d: scenario names profile %q", prof, seed, sc.Profile)
			}
			if _, err := model.Run(sc, model.Config{}); err != nil {
				t.Fatalf("%s seed %d: %v\n%s", prof, seed, err, sc.Marshal())
			}
			if d := roundTrip(sc); d != "" {
				t.Fatalf("%s seed %d: %s", prof, seed, d)
			}
			for _, c := range sc.Clients {
				if c.DrainTimeout != nil {
					timeouts++
				}
			}
		}
		switch {
		case p.TimeoutStart == model.NoTimeout && timeouts > 0:
			t.Errorf("%s has no drain timeout, yet %d clients were given one", prof, timeouts)
		case p.TimeoutStart != model.NoTimeout && timeouts == 0:
			t.Errorf("%s: no client was given a drain timeout", prof)
		}
	}
}

// TestKnownViolationsAreConsistent: every known violation names a profile,
// an invariant (or the determinism check) and, when it rests on one, an
// inferred behaviour of its profile that can be turned off; each is listed
// once.
func TestKnownViolationsAreConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range KnownViolations() {
		key := k.Profile + "/" + k.Invariant
		if seen[key] {
			t.Errorf("%s listed twice", key)
		}
		seen[key] = true
		p, err := model.LookupProfile(k.Profile)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if !slices.Contains(MatrixRows(), k.Invariant) {
			t.Errorf("%s: no such invariant", key)
		}
		if k.Why == "" || k.Source == "" {
			t.Errorf("%s: says neither why nor where from", key)
		}
		if k.Inferred != "" {
			if _, ok := p.WithoutInferred(k.Inferred); !ok {
				t.Errorf("%s rests on %q, which %s cannot turn off", key, k.Inferred, k.Profile)
			}
		}
	}
}

// TestPropProfiles checks, for every other profile, each invariant it is
// not known to violate, over scenarios drawn for it through rapid both as
// TestProp and as TestPropStateMachine draw them for nats.go.
func TestPropProfiles(t *testing.T) {
	draws := []struct {
		name string
		draw func(*rapid.T, *model.Profile) (*scenario.Scenario, *model.Result)
	}{{"gen", genRunFor}, {"machine", machineRunFor}}
	for _, prof := range otherProfiles() {
		p, _ := model.LookupProfile(prof)
		for _, d := range draws {
			for _, inv := range Catalogue() {
				if !IsKnown(prof, inv.ID) {
					t.Run(prof+"/"+d.name+"/"+inv.ID, rapid.MakeCheck(func(t *rapid.T) {
						sc, res := d.draw(t, p)
						if v := inv.Check(res); len(v) > 0 {
							logCounterexample(t, sc, inv, 0)
							t.Fatalf("%s under %s: %s", inv.ID, prof, Shorten(v))
						}
					}))
				}
			}
		}
	}
}
