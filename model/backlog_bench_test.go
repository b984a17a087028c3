package model_test

import (
	"fmt"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// BenchmarkBacklog runs Scale/msgs=1M-handled's shape (one subscription,
// every message published at once and handled, none dropped) at 1k, 10k,
// 100k and 300k messages. Its use is counting what one more message in
// flight costs: cachegrind at two counts, the difference divided by the
// difference in messages, gives a message's instructions and (with
// --cache-sim=yes) its cache misses without the run's fixed cost
// (docs/performance.md, h18mem).
func BenchmarkBacklog(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 300_000} {
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) {
			sc := scaleScenario(n, 1, 1)
			sc.Limits.MaxRecords = 0
			none := 0
			sc.Subs[0].PendingMsgsLimit, sc.Subs[0].PendingBytesLimit = &none, &none
			b.ReportAllocs()
			var events uint64
			for i := 0; b.Loop(); i++ {
				sc.Seed = uint64(i)
				res, err := model.Run(sc, model.Config{})
				if err != nil {
					b.Fatal(err)
				}
				if res.Stop.Reason != sim.Quiescent || len(res.Subs[0].Handled) != n {
					b.Fatalf("stopped: %v with %d handled", res.Stop.Reason, len(res.Subs[0].Handled))
				}
				events += res.Stop.Events
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}
