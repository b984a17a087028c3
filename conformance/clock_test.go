package conformance

import (
	"sync"
	"time"
)

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
