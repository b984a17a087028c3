package model_test

import (
	"fmt"
	"testing"
)

// BenchmarkBacklog runs Scale/msgs=1M-handled's shape (one subscription,
// every message published at once and handled, none dropped) at 1k, 10k,
// 100k and 300k messages. Its use is counting what one more message in
// flight costs: cachegrind at two counts, the difference divided by the
// difference in messages, gives a message's instructions and (with
// --cache-sim=yes) its cache misses without the run's fixed cost
// (docs/performance-history.md, h18mem).
func BenchmarkBacklog(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 300_000} {
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) {
			sc := scaleScenario(n, 1, 1)
			sc.Limits.MaxRecords = 0
			none := 0
			sc.Subs[0].PendingMsgsLimit, sc.Subs[0].PendingBytesLimit = &none, &none
			benchRuns(b, sc, n)
		})
	}
}
