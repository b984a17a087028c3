package model

import "testing"

// TestMsgFrameCarriesPendingSize: a MSG frame carries its message's
// pending size, which the client reads instead of the message's record
// (frame.pending), and a size past 32 bits (a reply over 2 GiB that a
// ReplyUnchecked profile sends unchecked) comes from the record. It fails
// when sizeField truncates (5 GiB would read as 1 GiB) or when pending
// reads the record no longer.
func TestMsgFrameCarriesPendingSize(t *testing.T) {
	for _, n := range []int{0, 64, 1 << 20, 1<<31 - 1, 1 << 31, 3 << 30, 5 << 30} {
		w := &World{profile: &GoProfile, ledger: &Ledger{Messages: []Message{{ID: 1, Size: n}}}}
		f := frame{op: opMsg, arg: sizeField(pendingSize(w.profile, w.ledger.Message(1))), frameRefs: frameRefs{msg: 1}}
		if got := f.pending(w); got != n {
			t.Errorf("a MSG of %d bytes reads as %d pending bytes", n, got)
		}
	}
}
