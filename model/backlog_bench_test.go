package model_test

import (
	"fmt"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
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
			benchRuns(b, backlogScenario(n), n)
		})
	}
}

// BenchmarkBacklogRunner is Scale/msgs=1M-handled on one model.Runner,
// whose runs write their records over the previous run's. A plain
// model.Run hands its records over with its Result, so that each run's
// are fresh memory, cleared by the allocator or faulted in by the kernel
// before the run writes them: the difference between the two is what the
// fresh records cost (docs/performance-history.md, h19mem), and this one's ns/event
// against Scale/msgs=1k is the model's own growth with the backlog.
func BenchmarkBacklogRunner(b *testing.B) {
	const n = 1_000_000
	var r model.Runner
	benchRunsOn(b, backlogScenario(n), n, r.Run)
}

// backlogScenario is scaleScenario with n messages to one subscription
// without pending limits or a record budget: every message is handled.
func backlogScenario(n int) *scenario.Scenario {
	sc := scaleScenario(n, 1, 1)
	sc.Limits.MaxRecords = 0
	none := 0
	sc.Subs[0].PendingMsgsLimit, sc.Subs[0].PendingBytesLimit = &none, &none
	return sc
}
