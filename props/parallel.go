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
//
// side, when not nil, holds calls that consume queues as the results
// show them to be needed (the matrix's shrinks, sideJobs): the workers
// run them beside the indices, each before a worker's next chunk, so
// that they overlap with the rest of the indices instead of following
// them. When every result is consumed the workers run what is queued
// before they return; when inOrder ends early, or runs on one goroutine,
// what is left stays queued (sideJobs.runRest runs it).
// Work whose results need not be consumed in order (the shrinks) runs
// with eachOf instead.
func inOrder[R any](n, workers, chunk int, stop <-chan struct{}, side *sideJobs, newWork func() func(i int) R, consume func(i int, r R) bool) (consumed int, stopped bool) {
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
	if side == nil {
		side = newSideJobs()
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
		// Under side.mu, which side.turn waits on: a worker waits for
		// its chunk's turn, a side job, or the end.
		claimed  int  // chunks claimed by the workers
		taken    int  // chunks consumed
		finished bool // every chunk consumed: no side job is coming
		quitting bool // inOrder ended early
	)
	mu := &side.mu
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			work := newWork()
			c := -1 // the chunk claimed and not yet run
			mu.Lock()
			defer mu.Unlock()
			for !quitting {
				if c < 0 || c >= taken+window { // no claimed chunk whose turn it is
					if job := side.pop(); job != nil {
						// A side job before a new chunk: the jobs are
						// long (a shrink), and while one runs the other
						// workers go on with the chunks.
						mu.Unlock()
						job()
						mu.Lock()
						continue
					}
					switch {
					case c < 0 && claimed < chunks:
						c = claimed
						claimed++
					case c < 0 && finished:
						return
					default:
						side.turn.Wait()
					}
					continue
				}
				mu.Unlock()
				rs := slices.Grow(lists[c%window][:0], chunk)
				for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
					rs = append(rs, work(i))
				}
				slots[c%window] <- rs // never blocks: consume took chunk c-window's
				c = -1
				mu.Lock()
			}
		})
	}
	defer func() {
		mu.Lock()
		quitting = !finished
		mu.Unlock()
		side.turn.Broadcast()
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
		finished = taken == chunks
		mu.Unlock()
		side.turn.Broadcast()
	}
	return n, false
}

// sideJobs is a queue of calls that inOrder's workers run beside its
// indices (see inOrder), the one with the greatest key first (ties in the
// order they were added): the matrix queues a cell's shrink as soon as
// its scenario is final, the longest first, so that the shrinks run while
// the other runs are still going instead of after the last of them. A job
// must write its result only to a place of its own, so that what the jobs
// build does not depend on which worker runs each, or when.
type sideJobs struct {
	mu    sync.Mutex
	turn  sync.Cond // on mu; signalled when a job is added (and by inOrder)
	queue []sideJob // under mu
}

// sideJob is one queued call and its key (sideJobs).
type sideJob struct {
	key int64
	run func()
}

func newSideJobs() *sideJobs {
	s := new(sideJobs)
	s.turn.L = &s.mu
	return s
}

// add queues run with key and wakes the waiting workers.
func (s *sideJobs) add(key int64, run func()) {
	s.mu.Lock()
	s.queue = append(s.queue, sideJob{key, run})
	s.mu.Unlock()
	s.turn.Broadcast()
}

// pop takes the job with the greatest key (the first added among equal
// keys) off the queue, or returns nil when it is empty. s.mu must be held.
func (s *sideJobs) pop() func() {
	if len(s.queue) == 0 {
		return nil
	}
	best := 0
	for t, j := range s.queue {
		if j.key > s.queue[best].key {
			best = t
		}
	}
	run := s.queue[best].run
	s.queue = slices.Delete(s.queue, best, best+1)
	return run
}

// runRest runs the jobs still queued on up to workers goroutines (eachOf),
// the greatest key first, and returns when all are done.
func (s *sideJobs) runRest(workers int) {
	s.mu.Lock()
	rest := make([]func(), 0, len(s.queue))
	for run := s.pop(); run != nil; run = s.pop() {
		rest = append(rest, run)
	}
	s.mu.Unlock()
	eachOf(len(rest), workers, func(t int) { rest[t]() })
}

// aheadPerWorker is how many chunks per worker inOrder's workers may run
// ahead of consume. While one worker runs a slow chunk (scenarios with
// determinism reruns, or whose violation the matrix ranks on the real
// library, take ten times as long as the rest) the others go on with the
// following chunks until the window is full; with 2 chunks per worker
// they soon waited for it, and `check --matrix --runs 300` on 2 workers
// ran 1.3x as fast as on one.
const aheadPerWorker = 8

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
