package sim

import "testing"

// TestRecordNCountsAsRecords checks that RecordN(n) counts and stops a run
// as n calls of Record in the same event do: the same outcome, events and
// records, for counts below, at and past the budget. It catches a RecordN
// that counts one record (s.records++) or never halts (both tried).
func TestRecordNCountsAsRecords(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7} {
		run := func(record func(s *Sim)) Outcome {
			s := New(Budget{MaxRecords: 7})
			for i := range 4 {
				s.At(Time(i), func() { record(s) })
			}
			return s.Run()
		}
		want := run(func(s *Sim) {
			for range n {
				s.Record()
			}
		})
		got := run(func(s *Sim) { s.RecordN(n) })
		if got != want {
			t.Errorf("RecordN(%d) in each of 4 events, budget 7: %+v, want %+v (n Records)", n, got, want)
		}
		if n == 3 && want.Reason != RecordBudget {
			t.Errorf("3 records in each of 4 events, budget 7: %v, want %v", want.Reason, RecordBudget)
		}
	}
}
