package conformance

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system, every thread) the
// process has used so far, and true. The benchmarks report CPU per op
// beside wall time: on a machine others share, wall time measures the
// load more than the model (docs/performance.md).
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
