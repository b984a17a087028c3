package props

import (
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// BenchmarkCheck measures the swarm check's throughput: one op draws a
// scenario with GenScenario, runs it untraced and checks every invariant
// and coverage target, through the code `drainsim check` runs for each
// scenario (SwarmConfig.swarmRun, without the determinism reruns).
// Run it with -cpu 1 for the figure per core.
func BenchmarkCheck(b *testing.B) {
	p, err := model.LookupProfile(scenario.DefaultProfile)
	if err != nil {
		b.Fatal(err)
	}
	var cfg SwarmConfig
	sp := cfg.swarmProfile(p)
	w := new(swarmWorker)
	violations := 0
	for i := 0; b.Loop(); i++ {
		r := cfg.swarmRun(w, &sp, i)
		if r.err != nil {
			b.Fatal(r.err)
		}
		violations += len(r.violated)
	}
	if violations > 0 {
		b.Fatalf("%d violations in the unmutated model", violations)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scenarios/s")
}

// BenchmarkCheckAll is BenchmarkCheck over every profile in turn, the mix
// `drainsim check --profile all` runs (op i is the i/len(profiles)-th
// scenario of profile i mod len(profiles)), with the collector's target
// the command sets (checkGCPercent in cmd/drainsim) and, as the command
// does, without the invariants a profile is known to violate (SkipKnown):
// checking those formats a message for every offending call, which the
// command never pays for.
func BenchmarkCheckAll(b *testing.B) {
	benchmarkCheckAll(b, SwarmConfig{SkipKnown: true})
}

// BenchmarkCheckAllDeterminism is BenchmarkCheckAll with the determinism
// check on every scenario (its 8 traced runs, Nondeterministic), as
// `drainsim check` runs the first 100 scenarios of each profile
// (--determinism): a tenth of the command's time at --runs 10000, a
// quarter at 3000.
func BenchmarkCheckAllDeterminism(b *testing.B) {
	benchmarkCheckAll(b, SwarmConfig{SkipKnown: true, DeterminismRuns: math.MaxInt})
}

// benchmarkCheckAll runs cfg's swarm scenarios over every profile in turn
// on one worker, with the command's collector target.
func benchmarkCheckAll(b *testing.B, cfg SwarmConfig) {
	profiles, err := cfg.swarmProfiles(model.ProfileNames())
	if err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	w := new(swarmWorker)
	for i := 0; b.Loop(); i++ {
		if r := cfg.swarmRun(w, &profiles[i%len(profiles)], i/len(profiles)); r.err != nil {
			b.Fatal(r.err)
		}
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

// BenchmarkCatalogueManyClients measures the invariant checks alone on one
// run of n clients, each with a subscription, one message to the next
// client's subscription and a drain: the checks must grow about linearly
// with n. Looking records up by a linear search per delivery made them
// cubic (135 s for 5,000 clients through `drainsim run`; now 1 s).
func BenchmarkCatalogueManyClients(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			var y strings.Builder
			y.WriteString("name: many\nclients:\n")
			for i := range n {
				fmt.Fprintf(&y, "  - {name: c%d}\n", i)
			}
			y.WriteString("subscriptions:\n")
			for i := range n {
				fmt.Fprintf(&y, "  - {id: s%d, client: c%d, subject: x%d}\n", i, i, i)
			}
			y.WriteString("actions:\n")
			for i := range n {
				fmt.Fprintf(&y, "  - {at: 1ms, publish: {client: c%d, subject: x%d}}\n  - {at: 5ms, drain: {client: c%d}}\n", i, (i+1)%n, i)
			}
			sc, err := scenario.Parse("many.yaml", []byte(y.String()))
			if err != nil {
				b.Fatal(err)
			}
			res, err := model.Run(sc, model.Config{})
			if err != nil {
				b.Fatal(err)
			}
			cat := Catalogue()
			for b.Loop() {
				for _, inv := range cat {
					if v := inv.Check(res); len(v) > 0 {
						b.Fatalf("%s: %s", inv.ID, v[0])
					}
				}
			}
		})
	}
}
