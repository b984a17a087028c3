package props

import (
	"slices"
	"testing"

	"github.com/drainsim/drainsim/model"
)

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

// TestMessagesBySubject: messagesBySubject lists every message once, by
// subject and, within a subject, in the order they were published, which
// is the order replies-reach-requester reports a request's replies in.
// Catches a sort without the tie on the index (an unstable sort reorders
// a subject's messages once there are more than a dozen) and an index
// list that is not filled before it is sorted.
func TestMessagesBySubject(t *testing.T) {
	msgs := make([]model.Message, 100)
	for i := range msgs {
		msgs[i].Subject = model.Str(1 + (i*7)%3)
	}
	lent := messagesBySubject(msgs)
	defer putCounts(lent)
	var want []int32
	for s := model.Str(1); s <= 3; s++ {
		for i := range msgs {
			if msgs[i].Subject == s {
				want = append(want, int32(i))
			}
		}
	}
	if !slices.Equal(*lent, want) {
		t.Errorf("messagesBySubject = %v, want %v", *lent, want)
	}
}
