package conformance

import (
	"syscall"
	"time"
)

// preciseSleep sleeps d in the kernel (nanosleep), which wakes within about
// 0.1 ms, instead of on the Go timer heap, which may wake a millisecond late.
func preciseSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
