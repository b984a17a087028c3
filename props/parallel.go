package props

import "sync"

// inOrder computes work(i) for i = 0, 1, ..., n-1 on up to workers
// goroutines and hands each result to consume in index order, on the
// calling goroutine, so that what consume builds does not depend on the
// number of workers or on their timing. It stops early when consume
// returns false, or when stop is closed (checked before each result is
// consumed, as a sequential loop checks it before each run). It returns
// how many results were consumed and whether stop ended it.
//
// Workers run at most a window of 4 results per worker ahead of consume,
// so memory stays bounded however large n is.
func inOrder[R any](n, workers int, stop <-chan struct{}, work func(i int) R, consume func(i int, r R) bool) (consumed int, stopped bool) {
	closed := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	if workers <= 1 {
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
	window := 4 * workers
	slots := make([]chan R, window) // result i goes to slots[i%window]
	for k := range slots {
		slots[k] = make(chan R, 1)
	}
	tokens := make(chan struct{}, window) // one per result dispatched, not yet consumed
	jobs := make(chan int)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // the feeder: dispatches i only when slot i%window is free
		defer close(jobs)
		for i := 0; i < n; i++ {
			select {
			case tokens <- struct{}{}:
			case <-quit:
				return
			}
			select {
			case jobs <- i:
			case <-quit:
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				slots[i%window] <- work(i) // never blocks: the slot is free
			}
		})
	}
	defer func() {
		close(quit)
		wg.Wait()
	}()
	for i := 0; i < n; i++ {
		if closed() {
			return i, true
		}
		var r R
		select {
		case r = <-slots[i%window]:
		case <-stop:
			return i, true
		}
		<-tokens
		if !consume(i, r) {
			return i + 1, false
		}
	}
	return n, false
}
