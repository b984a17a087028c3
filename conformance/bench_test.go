package conformance

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// BenchmarkTimeCompression runs the conn-drain-timeout scenario once on the
// real stack, then on the model b.N times, with plain model.Run (Run) and
// on one model.Runner (Runner); ns/op is the simulator's wall time, and
// x-real is how many times faster than the real run (set-up to tear-down)
// the simulator is. cpu-ns/op and x-real-cpu are the same from the
// process's CPU time (Linux), which the machine's other load does not
// inflate as it does wall time.
func BenchmarkTimeCompression(b *testing.B) {
	sc, err := scenario.Load(filepath.Join(corpusDir, "conn-drain-timeout.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	p, err := Prepare(sc, 1)
	if err != nil {
		b.Fatal(err)
	}
	cfg := model.Config{Profile: profile()}
	res, err := model.Run(p, cfg)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, _, err := runReal(p, realDuration(res.Outcome())); err != nil {
		b.Fatal(err)
	}
	real := time.Since(start)
	// Plain Run is what the conformance harness makes per comparison; a
	// Runner is what sweeps and check run the model on, reusing one run's
	// memory for the next.
	var r model.Runner
	for _, run := range []struct {
		name string
		run  func(*scenario.Scenario, model.Config) (*model.Result, error)
	}{{"Run", model.Run}, {"Runner", r.Run}} {
		b.Run(run.name, func(b *testing.B) {
			cpu0, cpuOK := processCPU()
			for b.Loop() {
				if _, err := run.run(p, cfg); err != nil {
					b.Fatal(err)
				}
			}
			perRun := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(real)/float64(perRun), "x-real")
			b.ReportMetric(float64(real.Milliseconds()), "real-ms")
			if cpu, ok := processCPU(); ok && cpuOK {
				perRun := (cpu - cpu0) / time.Duration(b.N)
				b.ReportMetric(float64(perRun), "cpu-ns/op")
				b.ReportMetric(float64(real)/float64(perRun), "x-real-cpu")
			}
		})
	}
}
