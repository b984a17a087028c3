package explore

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
)

// BenchmarkStandardSweep runs testdata/standard.yaml, 50 drain timeouts ×
// 2,000 seeds of the standard workload (100,000 runs), on 1 and 2 workers.
// One iteration is a whole sweep, so run it once:
//
//	go test -run='^$' -bench=StandardSweep -benchtime=1x ./explore
//
// DRAINSIM_BENCH_SEEDS sets another number of seeds per cell, e.g. 200 for
// a quick look.
func BenchmarkStandardSweep(b *testing.B) {
	sw, err := Load("testdata/standard.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if s := os.Getenv("DRAINSIM_BENCH_SEEDS"); s != "" {
		if sw.Seeds, err = strconv.Atoi(s); err != nil || sw.Seeds < 1 {
			b.Fatalf("DRAINSIM_BENCH_SEEDS=%q: want a positive integer", s)
		}
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				if _, err := Run(sw, Options{Workers: workers}); err != nil {
					b.Fatal(err)
				}
			}
			runs := float64(sw.NumRuns(Shard{})) * float64(b.N)
			b.ReportMetric(runs/b.Elapsed().Seconds(), "runs/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sweep")
		})
	}
}

// BenchmarkManyClientsSweep parses a sweep whose drain_timeout axis
// changes each of 100,000 clients and builds one cell. Targets were
// looked up by name in a list per client, per cell (quadratic: minutes);
// they are resolved to indices once.
func BenchmarkManyClientsSweep(b *testing.B) {
	var base strings.Builder
	base.WriteString("name: many\nclients:\n")
	for i := range 100_000 {
		fmt.Fprintf(&base, "  - {name: c%d}\n", i)
	}
	base.WriteString("actions:\n  - {at: 1ms, drain: {client: c0}}\n")
	sc, err := scenario.Parse("many.yaml", []byte(base.String()))
	if err != nil {
		b.Fatal(err)
	}
	sweep := []byte("name: s\nscenario: many.yaml\nseeds: 1\naxes: {drain_timeout: [1s, 2s]}\n")
	for b.Loop() {
		sw, err := Parse("sweep.yaml", sweep, func(string) (*scenario.Scenario, error) { return sc, nil })
		if err != nil {
			b.Fatal(err)
		}
		if c := sw.cell([]int{1}); *c.sc.Clients[99_999].DrainTimeout != 2*time.Second {
			b.Fatal("the axis did not change the last client")
		}
	}
}
