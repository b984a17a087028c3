package props

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestInOrderConsumesInIndexOrder: however the work finishes (here the
// later indices first), inOrder hands the results to consume in index
// order, keeps at most its window of results ahead, and stops where
// consume says; each worker makes its work function once. It catches a
// consumer that takes results as they come (the report of check
// --workers would then depend on timing) and work functions made per
// chunk or index (a worker's Runner would not be reused).
func TestInOrderConsumesInIndexOrder(t *testing.T) {
	for _, c := range []struct{ workers, chunk int }{{1, 1}, {2, 1}, {5, 1}, {2, 7}, {3, 64}} {
		workers := c.workers
		var ahead, most atomic.Int64
		var made atomic.Int32
		var got []int
		n, stopped := inOrder(60, workers, c.chunk, nil,
			func() func(int) int {
				made.Add(1)
				return func(i int) int {
					if a := ahead.Add(1); a > most.Load() {
						most.Store(a)
					}
					time.Sleep(time.Duration(60-i) * 20 * time.Microsecond)
					return i * i
				}
			},
			func(i, r int) bool {
				ahead.Add(-1)
				require.Equal(t, i*i, r)
				got = append(got, i)
				return i < 49
			})
		require.False(t, stopped)
		require.Equal(t, 50, n, "workers %d", workers)
		require.LessOrEqual(t, made.Load(), int32(workers), "workers %d: work functions made", workers)
		for i, g := range got {
			require.Equal(t, i, g, "workers %d: consumed out of order", workers)
		}
		require.LessOrEqual(t, most.Load(), int64(aheadPerWorker*workers*c.chunk+1), "workers %d ran too far ahead", workers)
	}
}

// TestInOrderStaysWithinItsWindow: with a slow consumer and fast work,
// the workers fill the window and wait there: never more than
// aheadPerWorker chunks a worker are computed and not yet consumed, and
// they do get that far ahead. Catches workers that wait for no consumed
// chunk (memory without bound) or for the wrong one (a window twice as
// large, or one chunk: the workers would idle behind a slow chunk).
func TestInOrderStaysWithinItsWindow(t *testing.T) {
	const workers, chunk = 2, 3
	var ahead, most atomic.Int64
	inOrder(600, workers, chunk, nil,
		func() func(int) int {
			return func(i int) int {
				if a := ahead.Add(1); a > most.Load() {
					most.Store(a)
				}
				return i
			}
		},
		func(int, int) bool {
			time.Sleep(20 * time.Microsecond)
			ahead.Add(-1)
			return true
		})
	window := int64(aheadPerWorker * workers * chunk)
	require.LessOrEqual(t, most.Load(), window+chunk, "ran too far ahead")
	require.Greater(t, most.Load(), window/2, "never filled the window")
}

// TestInOrderReusesChunkListsSafely: results are written in the lists of
// chunks consume is done with, many windows over, and consume still sees
// each chunk's own results while fast workers wait on it. Catches a list
// handed back to the workers (or its token freed) before consume has
// read it: a worker would overwrite results not yet consumed.
func TestInOrderReusesChunkListsSafely(t *testing.T) {
	const n = 3000
	got := 0
	n2, stopped := inOrder(n, 2, 3, nil, func() func(int) int { return func(i int) int { return i * i } },
		func(i, r int) bool {
			if i%3 == 0 {
				time.Sleep(5 * time.Microsecond) // let the workers fill the window
			}
			require.Equal(t, i*i, r, "result %d", i)
			got++
			return true
		})
	require.False(t, stopped)
	require.Equal(t, n, n2)
	require.Equal(t, n, got)
}

// TestInOrderStops: a closed stop channel ends inOrder before the next
// result, and it says so.
func TestInOrderStops(t *testing.T) {
	for _, workers := range []int{1, 3} {
		stop := make(chan struct{})
		n, stopped := inOrder(1000, workers, 4, stop, func() func(int) int { return func(i int) int { return i } },
			func(i, _ int) bool {
				if i == 9 {
					close(stop)
				}
				return true
			})
		require.True(t, stopped)
		require.Equal(t, 10, n, "workers %d", workers)
	}
}

// TestEachOfRunsEveryIndexOnce: eachOf calls work once for every index,
// for any number of workers, and a long call does not hold the others
// back: here work(0) waits until every other index is done, which only
// workers that take the next index as they come (not a window in index
// order, nor one goroutine) get through. It catches a lost or repeated
// index and a pool that waits for the slowest call.
func TestEachOfRunsEveryIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 5} {
		const n = 40
		var calls [n]atomic.Int32
		others := make(chan struct{}, n)
		eachOf(n, workers, func(i int) {
			calls[i].Add(1)
			if i > 0 {
				others <- struct{}{}
				return
			}
			if workers < 2 {
				return
			}
			for range n - 1 {
				select {
				case <-others:
				case <-time.After(10 * time.Second):
					t.Errorf("workers %d: the others did not run while work(0) ran", workers)
					return
				}
			}
		})
		for i := range calls {
			require.Equal(t, int32(1), calls[i].Load(), "workers %d, index %d", workers, i)
		}
	}
}
