package props

import (
	"testing"

	"github.com/drainsim/drainsim/model"
)

// TestViolationsOnlyWhereApplicable: an invariant is violated only on a
// run it applies to, for the mutation that violates each invariant (the
// killers) over the default seeds. Fails if an Applies predicate is too
// narrow: make someConnDrained return false, and drain-closes and
// timeout-honesty are violated on runs marked n/a.
func TestViolationsOnlyWhereApplicable(t *testing.T) {
	for _, k := range killers {
		inv, _ := Lookup(k.invariant)
		if inv.Applies == nil {
			continue
		}
		m, err := model.ParseMutation(k.mutation)
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(1); seed <= maxSeeds; seed++ {
			_, res := pcgRun(t, seed, model.MutationSet(0).With(m), false)
			if len(inv.Check(res)) > 0 && !inv.Applies(res) {
				t.Errorf("%s (mutation %s, seed %d) is violated on a run it does not apply to", inv.ID, m, seed)
				break
			}
		}
	}
}

// TestApplicabilityDiscriminates: over generated runs of the unmutated
// model, each Applies predicate holds on some and not on others, and the
// verdicts mark exactly those as not applicable. Fails if a predicate
// always answers the same (say someBarrier returning true), which would
// print ok, or n/a, for every run.
func TestApplicabilityDiscriminates(t *testing.T) {
	const runs = 300
	applies := map[string]int{}
	for seed := uint64(1); seed <= runs; seed++ {
		_, res := pcgRun(t, seed, 0, false)
		verdicts := Verdicts(res)
		for i, inv := range Catalogue() {
			if inv.Applies == nil {
				continue
			}
			a := inv.Applies(res)
			if a {
				applies[inv.ID]++
			}
			if verdicts[i].NotApplicable != (!a && verdicts[i].Holds) {
				t.Errorf("seed %d: %s marked not applicable %v, Applies %v", seed, inv.ID, verdicts[i].NotApplicable, a)
			}
		}
	}
	for _, inv := range Catalogue() {
		if inv.Applies == nil {
			continue
		}
		if n := applies[inv.ID]; n == 0 || n == runs {
			t.Errorf("%s applies to %d of %d generated runs: want some, not all", inv.ID, n, runs)
		}
	}
}
