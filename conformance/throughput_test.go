package conformance

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// The swarm's throughput as a benchmark. A testing/synctest bubble needs a
// *testing.T (synctest.Test takes nothing else in Go 1.26), which a
// benchmark does not have and cannot make. So BenchmarkSwarmThroughput
// runs the real-client side in a child process of the same test binary,
// as the test TestThroughputChild, on one core (GOMAXPROCS=1), and reports
// the wall time that child measured around its runs alone (not the
// process's start-up, nor the scenarios' preparation); the model's side
// runs in the benchmark itself, on the same scenarios.

// throughputSeeds is how many swarm seeds, from 1, the benchmark's
// scenarios are drawn from: those the real runner can play and whose model
// run ends (about 80 %), played in turn.
const throughputSeeds = 200

// throughputScenarios returns the benchmark's scenarios, prepared.
func throughputScenarios() []*scenario.Scenario {
	var out []*scenario.Scenario
	for seed := uint64(1); seed <= throughputSeeds; seed++ {
		p, _ := swarmScenario(seed, false)
		if p == nil {
			continue
		}
		res, err := model.Run(p, model.Config{Profile: profile()})
		if err != nil || res.Stop.Reason != sim.Quiescent {
			continue
		}
		out = append(out, p)
	}
	return out
}

// childEnv names the variable that makes TestThroughputChild run: the
// number of scenarios to play.
const childEnv = "DRAINSIM_THROUGHPUT_CHILD"

// TestThroughputChild plays the first N of the benchmark's scenarios in
// turn (N from DRAINSIM_THROUGHPUT_CHILD) on the real nats.go in virtual
// time, each until the model's last event plus the margin, as the swarm
// does, and prints the wall time they took: the child side of
// BenchmarkSwarmThroughput.
func TestThroughputChild(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(childEnv))
	if err != nil || n <= 0 {
		t.Skip("the child process of BenchmarkSwarmThroughput")
	}
	scs := throughputScenarios()
	until := make([]time.Duration, len(scs))
	for i, p := range scs {
		res, err := model.Run(p, model.Config{Profile: profile()})
		if err != nil {
			t.Fatal(err)
		}
		until[i] = realDuration(ModelSide(res).Outcome)
	}
	start := time.Now()
	cpu0, cpuOK := processCPU()
	for i := range n {
		k := i % len(scs)
		if _, err := runVirtual(t, scs[k], until[k]); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Printf("throughput-child: %d scenarios in %d ns\n", n, time.Since(start).Nanoseconds())
	if cpu, ok := processCPU(); ok && cpuOK {
		fmt.Printf("throughput-child-cpu: %d ns\n", (cpu - cpu0).Nanoseconds())
	}
}

// BenchmarkSwarmThroughput measures the swarm's two sides on the same
// scenarios (the playable ones of swarm seeds 1–200, in turn), one
// scenario per op, on one core each (the model runs no goroutines): ns/op
// and scenarios/s are the real nats.go
// and nats-server in virtual time (set-up, run, tear-down and the two
// garbage collections that empty nats.go's timer pool, in a child
// process: see above); model-ns/op and model-scenarios/s are the model's
// runs of the same scenarios.
func BenchmarkSwarmThroughput(b *testing.B) {
	scs := throughputScenarios()
	cmd := exec.Command(os.Args[0], "-test.run=^TestThroughputChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", childEnv, b.N), "GOMAXPROCS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("the child process: %v\n%s", err, out)
	}
	var n int
	var realNs int64
	if i := strings.Index(string(out), "throughput-child:"); i < 0 {
		b.Fatalf("the child process printed no figure:\n%s", out)
	} else if _, err := fmt.Sscanf(string(out[i:]), "throughput-child: %d scenarios in %d ns", &n, &realNs); err != nil || n != b.N {
		b.Fatalf("the child process's figure: %v (%d scenarios for b.N %d)\n%s", err, n, b.N, out)
	}
	// The benchmark's own timer runs on through the child, so that the
	// framework sizes b.N to the real runs; ns/op is then overridden.
	cfg := model.Config{Profile: profile()}
	start := time.Now()
	cpu0, cpuOK := processCPU()
	for i := range b.N {
		if _, err := model.Run(scs[i%len(scs)], cfg); err != nil {
			b.Fatal(err)
		}
	}
	modelNs := time.Since(start).Nanoseconds()
	b.ReportMetric(float64(realNs)/float64(b.N), "ns/op")
	b.ReportMetric(float64(b.N)/(float64(realNs)/1e9), "scenarios/s")
	b.ReportMetric(float64(modelNs)/float64(b.N), "model-ns/op")
	b.ReportMetric(float64(b.N)/(float64(modelNs)/1e9), "model-scenarios/s")
	// CPU per op of each side (Linux): the child's around its runs, and
	// the model's; their ratio is how many times faster the model runs
	// the same scenarios, whatever else the machine runs.
	var childCPU int64
	if i := strings.Index(string(out), "throughput-child-cpu:"); i >= 0 {
		if _, err := fmt.Sscanf(string(out[i:]), "throughput-child-cpu: %d ns", &childCPU); err != nil {
			b.Fatalf("the child process's CPU figure: %v\n%s", err, out)
		}
	}
	if cpu, ok := processCPU(); ok && cpuOK && childCPU > 0 {
		modelCPU := (cpu - cpu0).Nanoseconds()
		b.ReportMetric(float64(childCPU)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(modelCPU)/float64(b.N), "model-cpu-ns/op")
		b.ReportMetric(float64(childCPU)/float64(modelCPU), "x-model-cpu")
	}
}
