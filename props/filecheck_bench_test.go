package props

import (
	"fmt"
	"testing"
)

// BenchmarkCheckFile measures `drainsim check FILE` on the standard
// workload, examples/orders/orders.yaml (3 clients, 100 orders, a drain,
// every variation of vary:): one op is CheckFile over 1,000 perturbations,
// each drawn, run untraced and checked against the invariants and the
// file's 5 expectations; "perturbations/s" is the throughput.
func BenchmarkCheckFile(b *testing.B) {
	sc := loadOrders(b, "orders.yaml")
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			runs := 0
			for b.Loop() {
				rep, err := CheckFile(FileCheckConfig{Scenario: sc, Runs: 1000, Seed: 1, Workers: w})
				if err != nil || len(rep.Failures) > 0 {
					b.Fatalf("err %v, failures %v", err, rep.Failures)
				}
				runs += rep.Runs
			}
			b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "perturbations/s")
		})
	}
}
