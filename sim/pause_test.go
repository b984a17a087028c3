package sim

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPause checks SetPause: fn runs each time n more events have run and
// another is about to, never changes which events run or their order, and
// does not let a run pass its event budget. It fails if the loop pauses
// at the wrong count (or not at all), if a pause stands in for the event
// budget's test, or if Reset keeps the pause.
func TestPause(t *testing.T) {
	// run schedules ten events at times 0..9 on a Sim with the budget and
	// pauses every n events; it returns the outcome and the events' labels
	// with a "|" wherever a pause came.
	run := func(b Budget, n uint64, until Time) (Outcome, []string) {
		r := newRecorder(b)
		for i := range 10 {
			r.s.At(Time(i), r.ev(fmt.Sprint(i)))
		}
		r.s.SetPause(n, func() { r.got = append(r.got, "|") })
		return r.s.RunUntil(until), r.got
	}
	out, got := run(Budget{}, 3, Never)
	require.Equal(t, Outcome{Reason: Quiescent, Now: 9, Events: 10}, out)
	require.Equal(t, []string{"0@0", "1@1", "2@2", "|", "3@3", "4@4", "5@5", "|", "6@6", "7@7", "8@8", "|", "9@9"}, got)

	// The event budget still stops the run where it did without pauses,
	// whether or not a pause falls on it.
	for _, n := range []uint64{2, 3, 4, 7, 100} {
		out, got := run(Budget{MaxEvents: 4}, n, Never)
		require.Equal(t, Outcome{Reason: EventBudget, Now: 3, Events: 4}, out, "n=%d", n)
		want := []string{"0@0", "1@1", "2@2", "3@3"}
		if n <= 3 {
			want = append(want[:n:n], append([]string{"|"}, want[n:]...)...)
		}
		require.Equal(t, want, got, "n=%d", n)
	}

	// Pauses count from each RunUntil's start; a later call past the budget
	// runs nothing.
	r := newRecorder(Budget{MaxEvents: 6})
	for i := range 10 {
		r.s.At(Time(i), r.ev(fmt.Sprint(i)))
	}
	pauses := 0
	r.s.SetPause(2, func() { pauses++ })
	require.Equal(t, ReachedUntil, r.s.RunUntil(2).Reason) // 3 events, a pause after 2
	require.Equal(t, 1, pauses)
	require.Equal(t, EventBudget, r.s.Run().Reason) // 3 more, a pause after 2
	require.Equal(t, 2, pauses)
	require.Equal(t, Outcome{Reason: EventBudget, Now: 5, Events: 6}, r.s.Run())
	require.Equal(t, 2, pauses)

	// n == 0 and Reset turn the pauses off.
	_, got = run(Budget{}, 0, Never)
	require.NotContains(t, got, "|")
	r.s.Reset(Budget{})
	r.s.At(0, func() {})
	r.s.At(1, func() {})
	r.s.At(2, func() {})
	r.s.Run()
	require.Equal(t, 2, pauses, "Reset kept the pause")
}
