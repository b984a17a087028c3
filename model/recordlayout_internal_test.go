package model

import (
	"math"
	"testing"
)

// TestLedgerBudgetKeepsMessageIDsInInt32: Delivery.Msg is an int32, which
// only the record budget keeps a run's message IDs within. Catches
// ledgerBudget handing back a budget of none (0) or a max_records above
// the cap, as a run given limits.max_records past 2^31 in code would need.
func TestLedgerBudgetKeepsMessageIDsInInt32(t *testing.T) {
	for _, c := range []struct{ max, want uint64 }{
		{0, MaxLedgerRecords},
		{5, 5},
		{MaxLedgerRecords, MaxLedgerRecords},
		{1 << 40, MaxLedgerRecords},
	} {
		if got := ledgerBudget(c.max); got != c.want {
			t.Errorf("ledgerBudget(%d) = %d, want %d", c.max, got, c.want)
		}
	}
	if MaxLedgerRecords > (math.MaxInt32+1)/2 {
		t.Errorf("MaxLedgerRecords = %d leaves no room below 2^31 for the records an event makes past the budget", MaxLedgerRecords)
	}
}
