package explore

import (
	"fmt"
	"os"
	"strconv"
	"testing"
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
