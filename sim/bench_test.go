package sim

import (
	"testing"
	"time"
)

// BenchmarkKernel measures the bare event loop in steady state: 1,000 live
// timers, each of which reschedules itself when it fires. The callbacks are
// bound once up front, so the loop itself must not allocate. One op is one
// executed event (a pop, the callback and a push).
func BenchmarkKernel(b *testing.B) { benchKernel(b, 1000) }

// BenchmarkKernelFew is BenchmarkKernel with 8 live timers: the model's
// usual queue (the standard scenario has at most 10 events pending), which
// the queue keeps in its sorted list.
func BenchmarkKernelFew(b *testing.B) { benchKernel(b, 8) }

// benchKernel runs live self-rearming timers, one event per op.
func benchKernel(b *testing.B, live int) {
	s := New(Budget{})
	fns := make([]func(), live)
	for i := range fns {
		// Distinct, deterministic periods spread the timers over the heap
		// instead of firing them in lock step.
		period := time.Duration(1000 + (i*7919)%1000)
		fns[i] = func() { s.After(period, fns[i]) }
		s.At(Time(i), fns[i])
	}
	// Warm up so that the slab, free list and heap have reached their
	// steady-state capacity before measuring.
	for range 10 * live {
		s.Step()
	}

	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Step()
	}
	b.StopTimer()
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(b.N)/sec, "events/s")
	}
	if s.Pending() != live {
		b.Fatalf("pending = %d, want %d", s.Pending(), live)
	}
}
