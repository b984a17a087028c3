package conformance

import (
	"sync"
	"time"
)

// waiter is a run's time keeper: the real runner's clock, which waits
// precisely in real time and measures its own lateness, or the virtual
// runner's, which waits on the timers of a testing/synctest bubble and is
// never late.
type waiter interface {
	// until returns at deadline or when the run stops; it reports whether
	// the run goes on.
	until(deadline time.Time) bool
	// worst returns the longest the clock woke late.
	worst() time.Duration
	// watch starts what keeps the clock honest while the run lasts, as
	// goroutines counted in wg.
	watch(wg *sync.WaitGroup)
}

// timerSlack is how late Go's timers may fire here (about a millisecond):
// over a chain of handler sleeps that would add up to a drift the model
// does not have, so the last stretch of every wait is a precise sleep.
const timerSlack = 2 * time.Millisecond

// clock is the real runner's time keeper. It waits precisely, and it keeps
// the longest it ever woke late: the harness's own timing error. A run in
// which the machine kept the harness waiting for long (other processes
// using the CPU) realised the scenario's times badly, so its comparison
// says nothing about nats.go and is repeated (see conform).
type clock struct {
	stop <-chan struct{} // closed at the end of the run

	mu   sync.Mutex
	late time.Duration
}

// until returns at deadline, precisely, or when the run stops; it reports
// whether the run goes on.
func (c *clock) until(deadline time.Time) bool {
	if d := time.Until(deadline) - timerSlack; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.stop:
			return false
		}
	}
	preciseSleep(time.Until(deadline))
	late := time.Since(deadline)
	c.mu.Lock()
	c.late = max(c.late, late)
	c.mu.Unlock()
	select {
	case <-c.stop:
		return false
	default:
		return true
	}
}

// worst returns the longest the clock woke late.
func (c *clock) worst() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.late
}

// watch starts the probe: it wakes every millisecond while the run lasts,
// so that the clock also notices the machine keeping the run waiting at
// moments when no action or handler of the harness is due, only goroutines
// of nats.go or nats-server.
func (c *clock) watch(wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		next := time.Now()
		for {
			next = next.Add(time.Millisecond)
			if !c.until(next) {
				return
			}
			if now := time.Now(); now.After(next) {
				next = now
			}
		}
	}()
}

// virtualClock is the virtual runner's time keeper. Inside a synctest
// bubble time.Now is the bubble's clock, which moves only when every
// goroutine of the bubble is durably blocked, straight to the next timer:
// a wait ends exactly at its deadline, however busy the machine.
type virtualClock struct {
	stop <-chan struct{} // closed at the end of the run
}

func (c virtualClock) until(deadline time.Time) bool {
	if d := time.Until(deadline); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.stop:
			return false
		}
	}
	select {
	case <-c.stop:
		return false
	default:
		return true
	}
}

// worst is 0: virtual time is never late.
func (virtualClock) worst() time.Duration { return 0 }

// watch starts nothing: there is no lateness to notice.
func (virtualClock) watch(*sync.WaitGroup) {}
