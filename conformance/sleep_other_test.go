//go:build !linux

package conformance

import "time"

// preciseSleep falls back to time.Sleep where nanosleep is not available;
// the tolerances are calibrated on Linux.
func preciseSleep(d time.Duration) { time.Sleep(d) }
