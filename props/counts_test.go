package props

import "testing"

// TestCountsLentZeroed: a count list takeCounts lends is n zeros, even
// when the pool hands back one a check filled and returned. Catches a
// takeCounts that does not clear the list (ledger-conserved would see
// the last result's claims and report messages claimed twice).
func TestCountsLentZeroed(t *testing.T) {
	for n := range 40 {
		p := takeCounts(n)
		if len(*p) != n {
			t.Fatalf("takeCounts(%d) lent %d counts", n, len(*p))
		}
		for i, c := range *p {
			if c != 0 {
				t.Fatalf("takeCounts(%d): count %d is %d, want 0", n, i, c)
			}
			(*p)[i] = 7
		}
		putCounts(p)
	}
}
