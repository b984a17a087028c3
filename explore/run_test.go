package explore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
)

// sweepOf parses sweep with base as its scenario.
func sweepOf(t *testing.T, base, sweep string) *Sweep {
	t.Helper()
	sw, err := Parse("sweep.yaml", []byte(sweep), func(name string) (*scenario.Scenario, error) {
		return scenario.Parse(name, []byte(base))
	})
	require.NoError(t, err)
	return sw
}

func run(t *testing.T, sw *Sweep, opt Options) *Results {
	t.Helper()
	res, err := Run(sw, opt)
	require.NoError(t, err)
	return res
}

// smallSweep is the request-timeout example, cut down to run in a blink.
func smallSweep(t *testing.T) *Sweep {
	sw, err := Load("../examples/sweeps/request-timeout.yaml")
	require.NoError(t, err)
	sw.Seeds = 25
	sw.Axes[len(sw.Axes)-1].Values = sw.Axes[len(sw.Axes)-1].Values[:8]
	return sw
}

// TestOutputIsTheSameForAnyWorkerCount: workers change nothing but the
// speed.
func TestOutputIsTheSameForAnyWorkerCount(t *testing.T) {
	sw := smallSweep(t)
	one := run(t, sw, Options{Workers: 1})
	for _, w := range []int{2, 5} {
		require.Equal(t, one, run(t, sw, Options{Workers: w}), "%d workers", w)
	}
	lossy := 0
	for _, c := range one.Cells {
		require.Len(t, c.Lost, 25)
		lossy += countPositive(c.Lost)
	}
	require.Positive(t, lossy, "the sweep is not vacuous")
	require.Less(t, lossy, 25*len(one.Cells), "the sweep is not vacuous")
}

// TestShardsMergeIntoTheUnshardedRun: shards 1..n, merged in any order,
// equal the unsharded run, also after a round trip through JSON (--raw).
func TestShardsMergeIntoTheUnshardedRun(t *testing.T) {
	sw := smallSweep(t)
	whole := run(t, sw, Options{Workers: 2})
	var parts []*Results
	var progress atomic.Int64 // Progress is called from the workers
	for k := 3; k >= 1; k-- {
		p := run(t, sw, Options{Workers: 2, Shard: Shard{K: k, N: 3}, Progress: func(n int) { progress.Add(int64(n)) }})
		data, err := json.Marshal(p)
		require.NoError(t, err)
		var back Results
		require.NoError(t, json.Unmarshal(data, &back))
		parts = append(parts, &back)
	}
	require.Equal(t, int64(sw.NumRuns(Shard{})), progress.Load(), "progress counts every run once")
	merged, err := Merge(parts...)
	require.NoError(t, err)
	require.Equal(t, whole, merged)

	_, err = Merge(parts[0], parts[1])
	require.ErrorContains(t, err, "shard 1/3 is missing")
	_, err = Merge(parts[0], parts[0], parts[1])
	require.ErrorContains(t, err, "shard 3/3 given twice")
	other := smallSweep(t)
	other.Seeds = 26
	_, err = Merge(parts[0], parts[1], run(t, other, Options{Shard: Shard{K: 1, N: 3}}))
	require.ErrorContains(t, err, "from a different sweep")
	cut := *parts[0]
	cut.Cells = cut.Cells[1:]
	_, err = Merge(&cut, parts[1], parts[2])
	require.ErrorContains(t, err, "field cells = 23 cells: want 24")
	_, err = Summarize(parts[0], 0)
	require.ErrorContains(t, err, "merge every shard first")
}

func TestParseShard(t *testing.T) {
	s, err := ParseShard("2/8")
	require.NoError(t, err)
	require.Equal(t, Shard{K: 2, N: 8}, s)
	for _, bad := range []string{"", "2", "0/3", "4/3", "a/b", "1/0", "-1/2"} {
		_, err := ParseShard(bad)
		require.Error(t, err, bad)
	}
	// Shards partition the seeds.
	for _, seeds := range []int{1, 7, 10} {
		for n := 1; n <= 4; n++ {
			seen := make([]int, seeds)
			for k := 1; k <= n; k++ {
				sh := Shard{K: k, N: n}
				for j := range sh.size(seeds) {
					seen[sh.seedIndex(j)]++
				}
			}
			for i, c := range seen {
				require.Equal(t, 1, c, "seeds %d, %d shards: seed index %d", seeds, n, i)
			}
		}
	}
}

// closedFormBase drains one subscription with a queue of identical
// messages; constant handler time and latency make the run deterministic.
const closedFormBase = `
name: closed-form
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 10ms}}]
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 1}}
  - {at: 1ms, drain: {client: app}}
`

// TestDrainDurationClosedForm checks the measured drain duration against a
// closed form for n queued messages, a constant handler time h and a
// constant one-way latency L, with the drain called at t0 = 1 ms once the
// messages are queued (docs/profiles/go.md#barrier-per-subscription-and-100-ms-completion-poll):
//
//   - the messages arrive at 2L and the last callback returns at 2L + n·h;
//   - the subscription's PING/PONG barrier returns at t0 + 2L, and its
//     completion poll runs then and every 100 ms, removing it at the first
//     poll after the last callback: t0 + 2L + k·100ms, k = ⌈(n·h − t0)/100ms⌉;
//   - the connection polls every 10 ms from t0 and moves to DRAINING_PUBS at
//     its first poll after the removal; the final flush takes one round trip,
//     2L, and then the connection is CLOSED.
//
// So the duration is 10ms·⌈(2L + k·100ms)/10ms⌉ + 2L: the handler work,
// rounded up to the 100 ms completion poll, plus one round trip, plus the
// 10 ms connection poll. The parameters avoid exact ties between polls and
// callback ends, whose order the closed form does not decide.
func TestDrainDurationClosedForm(t *testing.T) {
	sw := sweepOf(t, closedFormBase, `
name: closed-form
scenario: base.yaml
seeds: 2
axes:
  backlog: [1, 7, 30, 64]
  handler: [3ms, 10ms, 33ms]
  latency: [250us, 2ms, 7ms]
  drain_timeout: [1m]
`)
	res := run(t, sw, Options{Workers: 2})
	rep, err := Summarize(res, 0.5)
	require.NoError(t, err)
	ceil := func(a, b time.Duration) time.Duration { return (a + b - 1) / b }
	const t0 = time.Millisecond
	for _, c := range rep.Cells {
		var n int
		_, err := fmt.Sscan(c.Values[0], &n)
		require.NoError(t, err)
		h, err := time.ParseDuration(c.Values[1])
		require.NoError(t, err)
		L, err := time.ParseDuration(c.Values[2])
		require.NoError(t, err)
		k := max(0, ceil(time.Duration(n)*h-t0, 100*time.Millisecond))
		want := 10*time.Millisecond*ceil(2*L+k*100*time.Millisecond, 10*time.Millisecond) + 2*L
		require.Equal(t, c.Runs, c.Closed, "%v", c.Values)
		require.Zero(t, c.LossRuns, "%v", c.Values)
		for _, got := range []int64{c.DrainP50, c.DrainP99, c.DrainMax} {
			require.Equal(t, want, time.Duration(got), "n=%d h=%v L=%v", n, h, L)
		}
	}
}

// TestRaisingTheTimeoutNeverIncreasesLoss: with common random numbers a
// seed sees the same draws in every cell, so for each seed the loss can only
// fall as the drain timeout grows. Checked on the standard workload (with a
// smaller backlog) and on the request-timeout example, whose handlers make
// requests and publish.
func TestRaisingTheTimeoutNeverIncreasesLoss(t *testing.T) {
	base, err := os.ReadFile("../examples/backlog-1000.yaml")
	require.NoError(t, err)
	standard := sweepOf(t, string(base), `
name: monotone
scenario: base.yaml
seeds: 20
axes:
  backlog: [200]
  handler: ["uniform(50us,150us)", "exp(100us)", "lognormal(80us,1)"]
  drain_timeout: {from: 2ms, to: 30ms, count: 15}
`)
	rt := smallSweep(t)
	rt.Seeds = 40
	for _, sw := range []*Sweep{standard, rt} {
		res := run(t, sw, Options{Workers: 2})
		nt := len(sw.Axes[len(sw.Axes)-1].Values)
		for start := 0; start < len(res.Cells); start += nt {
			first, last := res.Cells[start], res.Cells[start+nt-1]
			for seed := range first.Lost {
				for c := start + 1; c < start+nt; c++ {
					prev, cur := res.Cells[c-1].Lost[seed], res.Cells[c].Lost[seed]
					require.LessOrEqual(t, cur, prev, "%s: seed %d, cell %d lost %d, cell %d lost %d", sw.Name, seed, c-1, prev, c, cur)
				}
			}
			require.Positive(t, countPositive(first.Lost), "%s: the shortest timeout loses", sw.Name)
			require.Less(t, countPositive(last.Lost), len(last.Lost), "%s: the longest timeout saves some", sw.Name)
		}
	}
}

func countPositive(xs []int) int {
	n := 0
	for _, x := range xs {
		if x > 0 {
			n++
		}
	}
	return n
}

// TestStopKeepsTheFirstSeedsOfEveryCell: a Run interrupted through
// Options.Stop returns, marked Partial, exactly what a run of the first
// seeds has in every cell (runs go seed by seed, so those are done),
// whatever the workers; the counts are over those seeds only. Counting the
// flags of runs beyond them, or numbering runs cell by cell, fails it.
func TestStopKeepsTheFirstSeedsOfEveryCell(t *testing.T) {
	sw := smallSweep(t)
	whole := run(t, sw, Options{Workers: 2})
	cells := len(whole.Cells)
	mark := int64(10 * cells)
	for _, workers := range []int{1, 2} {
		stop := make(chan struct{})
		var done atomic.Int64
		part, err := Run(sw, Options{Workers: workers, Stop: stop, Progress: func(n int) {
			if v := done.Add(int64(n)); v >= mark && v-int64(n) < mark {
				close(stop) // once: only one batch crosses the mark
			}
		}})
		if workers > 1 && errors.Is(err, ErrNothingComplete) {
			// Another worker was stopped in a batch of the first seed.
			continue
		}
		require.NoError(t, err)
		require.NotNil(t, part.Partial, "%d workers", workers)
		m := part.Partial.Seeds
		require.Equal(t, 25, part.Partial.Of)
		require.Less(t, m, 25)
		if workers == 1 {
			require.GreaterOrEqual(t, m, 10, "one worker leaves no run undone below the mark")
		}
		short := smallSweep(t)
		short.Seeds = m
		require.Equal(t, run(t, short, Options{Workers: 1}).Cells, part.Cells, "%d workers", workers)
		for c := range cells {
			require.Equal(t, whole.Cells[c].Lost[:m], part.Cells[c].Lost, "cell %d", c)
		}
		rep, err := Summarize(part, 0)
		require.NoError(t, err)
		require.Equal(t, m, rep.Cells[0].Runs)
		require.Contains(t, rep.PartialText(), fmt.Sprintf("partial: %d of %d runs (interrupted: the first %d of 25 seeds of every cell)", m*cells, 25*cells, m))
	}

	closed := make(chan struct{})
	close(closed)
	_, err := Run(sw, Options{Workers: 2, Stop: closed})
	require.ErrorIs(t, err, ErrNothingComplete)
}

// TestHugeBacklogStopsOnRecordBudget: a backlog axis of 10^9 hung a sweep
// (each run published 10^9 messages in one event and grew without bound).
// Its runs now stop on the base scenario's record budget, quickly and in
// bounded memory, and count as budget stops; the small backlog is
// untouched. Catches the record budget not reaching sweep runs (the
// Runner) or the budget flag leaving record-budget stops out.
func TestHugeBacklogStopsOnRecordBudget(t *testing.T) {
	sw := sweepOf(t, `
name: base
limits: {max_records: 20000}
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x}]
actions:
  - {at: 0s, publish: {client: app, subject: x, count: 10}}
  - {at: 1ms, drain: {client: app}}
`, `
name: huge
scenario: base.yaml
seeds: 3
axes:
  backlog: [10, 1000000000]
  drain_timeout: [1s]
`)
	res := run(t, sw, Options{Workers: 2})
	require.Len(t, res.Cells, 2)
	require.Zero(t, res.Cells[0].Budget, "a backlog of 10 fits")
	require.Equal(t, 3, res.Cells[1].Budget, "every run of a backlog of 10^9 stops on the budget")
}
