package props

import (
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// BenchmarkCheck measures the swarm check's throughput: one op draws a
// scenario with GenScenario, runs it untraced and checks every invariant
// and coverage target, as `drainsim check` does for each run.
// Run it with -cpu 1 for the figure per core.
func BenchmarkCheck(b *testing.B) {
	cat, targets := Catalogue(), Targets()
	violations := 0
	for i := 0; b.Loop(); i++ {
		sc := GenScenario(sim.NewPCG(uint64(i)))
		res, err := model.Run(sc, model.Config{})
		if err != nil {
			b.Fatal(err)
		}
		for _, inv := range cat {
			violations += len(inv.Check(res))
		}
		for _, t := range targets {
			t.Reached(res)
		}
	}
	if violations > 0 {
		b.Fatalf("%d violations in the unmutated model", violations)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scenarios/s")
}

// BenchmarkKill measures, for each mutation, the time the swarm check
// (`drainsim check --mutation M` with the default seed) takes to find and
// shrink a counterexample: ns/op is the time to kill, "runs" the scenarios
// it ran, "actions" the size of the shrunk counterexample.
func BenchmarkKill(b *testing.B) {
	for _, m := range model.Mutations() {
		b.Run(m.Name(), func(b *testing.B) {
			var rep SwarmReport
			for b.Loop() {
				rep = swarm(b, maxSeeds, 1, model.MutationSet(0).With(m))
				if len(rep.Failures) == 0 {
					b.Fatalf("%s survived", m)
				}
			}
			b.ReportMetric(float64(rep.Runs), "runs")
			b.ReportMetric(float64(Size(rep.Failures[0].Shrunk)), "actions")
		})
	}
}
