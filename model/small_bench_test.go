package model_test

import (
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// smallScenario is conformance's time-compression scenario
// (conn-drain-timeout: one client, one subscription, 10 messages, a drain
// that times out; 54 events) with the profile that benchmark runs it under,
// so that the per-run fixed cost can be measured without the real stack:
// a run this small is mostly set-up and results (docs/performance.md).
func smallScenario(b *testing.B) (*scenario.Scenario, model.Config) {
	sc, err := scenario.Load("../testdata/conformance/conn-drain-timeout.yaml")
	if err != nil {
		b.Fatal(err)
	}
	p := model.GoProfile
	p.ReconnectJitter = 0
	return sc, model.Config{Profile: &p}
}

// BenchmarkSmallScenario runs smallScenario with plain model.Run (Run) and
// on one model.Runner (Runner): the model side of conformance's
// BenchmarkTimeCompression, whose real run is not repeatable enough to
// count instructions over.
func BenchmarkSmallScenario(b *testing.B) {
	sc, cfg := smallScenario(b)
	var r model.Runner
	for _, run := range []struct {
		name string
		run  func(*scenario.Scenario, model.Config) (*model.Result, error)
	}{{"Run", model.Run}, {"Runner", r.Run}} {
		b.Run(run.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := run.run(sc, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
