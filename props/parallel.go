package props

import (
	"slices"
	"sync"
	"sync/atomic"
)

// inOrder computes work(i) for i = 0, 1, ..., n-1 on up to workers
// goroutines and hands each result to consume in index order, on the
// calling goroutine, so that what consume builds does not depend on the
// number of workers or on their timing. Each worker gets its work
// function from newWork, called once on the worker's goroutine, so that
// it can keep memory of its own from one index to the next (a
// model.Runner) that no other worker touches: it stays in the cache of
// the core the worker runs on. It stops early when consume
// returns false, or when stop is closed (checked before each result is
// consumed, as a sequential loop checks it before each run). It returns
// how many results were consumed and whether stop ended it.
//
// A worker takes chunk consecutive indices at a time, so that the
// hand-over between goroutines costs little next to work that takes
// microseconds (a generated scenario). Workers run at most aheadPerWorker
// chunks per worker ahead of consume, so memory stays bounded however
// large n is.
// Work whose results need not be consumed in order (the shrinks) runs
// with eachOf instead.
func inOrder[R any](n, workers, chunk int, stop <-chan struct{}, newWork func() func(i int) R, consume func(i int, r R) bool) (consumed int, stopped bool) {
	closed := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	if workers <= 1 {
		work := newWork()
		for i := 0; i < n; i++ {
			if closed() {
				return i, true
			}
			if !consume(i, work(i)) {
				return i + 1, false
			}
		}
		return n, false
	}
	chunk = max(chunk, 1)
	chunks := (n + chunk - 1) / chunk
	window := aheadPerWorker * workers
	// Workers claim chunks from a counter: with a feeder goroutine
	// handing them out, a worker parked waiting for it every other chunk
	// (250 times a worker in `check --profile all --runs 3000`, each a
	// round trip through the scheduler that may wake it on the other
	// core); now it parks only when the window is full (~35 times).
	// Chunk c's worker waits until chunk c-window is consumed, then
	// writes c's results in the list lists[c%window] (consume hands each
	// list back once it has taken its results: a list made for every
	// chunk was 96 bytes a scenario, 4 % of what a check scenario
	// allocated) and sends them through slots[c%window]. The wait is on
	// the chunk's own number, not on a token of the slot: two workers
	// holding chunks c and c+window (one of them preempted between its
	// claim and its wait) could otherwise take each other's turn, and
	// consume would read c+window's results as c's.
	slots := make([]chan []R, window)
	for k := range slots {
		slots[k] = make(chan []R, 1)
	}
	lists := make([][]R, window)
	var (
		mu       sync.Mutex
		turn     = sync.NewCond(&mu)
		taken    int  // chunks consumed, under mu
		quitting bool // under mu
	)
	var next atomic.Int64 // the next chunk to claim
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			work := newWork()
			for c := int(next.Add(1)) - 1; c < chunks; c = int(next.Add(1)) - 1 {
				mu.Lock()
				for c >= taken+window && !quitting {
					turn.Wait()
				}
				quit := quitting
				mu.Unlock()
				if quit {
					return
				}
				rs := slices.Grow(lists[c%window][:0], chunk)
				for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
					rs = append(rs, work(i))
				}
				slots[c%window] <- rs // never blocks: consume took chunk c-window's
			}
		})
	}
	defer func() {
		mu.Lock()
		quitting = true
		mu.Unlock()
		turn.Broadcast()
		wg.Wait()
	}()
	for c := 0; c < chunks; c++ {
		var rs []R
		select {
		case rs = <-slots[c%window]:
		case <-stop:
			return c * chunk, true
		}
		for k, r := range rs {
			i := c*chunk + k
			if closed() {
				return i, true
			}
			if !consume(i, r) {
				return i + 1, false
			}
		}
		clear(rs) // so that the list keeps nothing of the results alive
		lists[c%window] = rs
		mu.Lock()
		taken++
		mu.Unlock()
		turn.Broadcast()
	}
	return n, false
}

// aheadPerWorker is how many chunks per worker inOrder's workers may run
// ahead of consume. While one worker runs a slow chunk (scenarios with
// determinism reruns, or whose violation the matrix ranks on the real
// library, take ten times as long as the rest) the others go on with the
// following chunks until the window is full; with 2 chunks per worker
// they soon waited for it, and `check --matrix --runs 300` on 2 workers
// ran 1.3x as fast as on one. With 8, a worker still waited 15-45 ms of
// a 2-worker `check --profile all --runs 3000` (up to 320 ms when another
// process took a core from the worker holding the oldest chunk): 2-5 %
// of its wall time with one core idle. With 64 it waits under 0.2 ms;
// the window's result lists (a chunk's swarmRuns, ~3 KB) are the memory
// this costs.
const aheadPerWorker = 64

// eachOf calls work(i) for i = 0, 1, ..., n-1 on up to workers goroutines
// (one when workers is 0 or 1), each taking the next index when it is done
// with one, so that a few long calls (shrinks) do not leave a worker idle
// behind a window of results as inOrder's would. work must write its
// result only to a place of its own (slot i), so that what it builds does
// not depend on the number of workers or on their timing.
func eachOf(n, workers int, work func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				work(i)
			}
		})
	}
	wg.Wait()
}
