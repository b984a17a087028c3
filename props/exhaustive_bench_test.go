package props

import (
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
)

// BenchmarkExhaustive measures a complete exhaustive check (every choice
// sequence, every invariant on each) of standard small scenarios: one op is
// one whole enumeration; sequences/op and the rate are reported.
//
//   - sub-drain: examples/sub-drain.yaml, which makes no choice in
//     scheduling order (1 sequence) and 46,706 with its tie orders.
//   - queue-picks: three queue members, one with a oneof handler time, two
//     messages and a connection drain (96 sequences).
//   - tied-drain: a subscription drain and another connection's publish
//     reaching the server at one instant, with tie orders (610).
func BenchmarkExhaustive(b *testing.B) {
	subDrain, err := scenario.Load("../examples/sub-drain.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		sc   func(b *testing.B) *scenario.Scenario
		ties bool
	}{
		{"sub-drain", func(*testing.B) *scenario.Scenario { return subDrain }, false},
		{"sub-drain/ties", func(*testing.B) *scenario.Scenario { return subDrain }, true},
		{"queue-picks", func(b *testing.B) *scenario.Scenario { return benchParse(b, queuePicks) }, false},
		{"tied-drain/ties", func(b *testing.B) *scenario.Scenario { return benchParse(b, tiedDrain()) }, true},
	} {
		b.Run(bm.name, func(b *testing.B) {
			sc := bm.sc(b)
			var rep ExhaustiveReport
			for b.Loop() {
				if rep, err = Exhaustive(sc, ExhaustiveConfig{Ties: bm.ties}); err != nil || !rep.Complete {
					b.Fatalf("not a proof: %v %+v", err, rep.Failures)
				}
			}
			b.ReportMetric(float64(rep.Sequences), "sequences/op")
			b.ReportMetric(float64(rep.States), "states/op")
			b.ReportMetric(float64(rep.Sequences)*float64(b.N)/b.Elapsed().Seconds(), "sequences/s")
		})
	}
}

func benchParse(b *testing.B, src string) *scenario.Scenario {
	sc, err := scenario.Parse("bench.yaml", []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	return sc
}
