//go:build !linux

package conformance

import "time"

// processCPU reports false where getrusage is not used: the benchmarks
// then report wall time only.
func processCPU() (time.Duration, bool) { return 0, false }
