package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResetRunsLikeNew: a Sim reset after a run that stopped with events
// still queued behaves like a new one: same order, times, counts and
// budget, and nothing of the earlier run fires.
func TestResetRunsLikeNew(t *testing.T) {
	schedule := func(s *Sim, log *[]Time) {
		for _, at := range []Time{30, 10, 20, 10} {
			s.At(at, func() { *log = append(*log, s.Now()) })
		}
	}
	var fresh []Time
	s := New(Budget{MaxEvents: 3})
	schedule(s, &fresh)
	want := s.Run()

	var stale, reused []Time
	r := New(Budget{})
	schedule(r, &stale)
	r.RunUntil(10) // leaves the events at 20 and 30 queued
	r.Reset(Budget{MaxEvents: 3})
	require.Equal(t, Time(0), r.Now())
	require.Equal(t, 0, r.Pending())
	schedule(r, &reused)
	require.Equal(t, want, r.Run())
	require.Equal(t, fresh, reused)
	require.Equal(t, []Time{10, 10}, stale, "nothing of the first run ran after the reset")
}
