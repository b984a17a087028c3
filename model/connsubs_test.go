package model

import (
	"slices"
	"testing"

	"github.com/drainsim/drainsim/sim"
)

// TestConnSubsMatchesAList drives a connSubs and a plain slice, from which
// removal deletes in place as removeSub once did, with the same random adds
// and removes, and requires the same subscriptions in the same order and
// the same length after every step. It catches a compaction that loses the
// order, one that leaves s.at stale (a later remove then takes out the
// wrong subscription), and a len that counts holes.
func TestConnSubsMatchesAList(t *testing.T) {
	rng := sim.NewPCG(7)
	var l connSubs
	var want []*Sub
	for step := range 5000 {
		if len(want) == 0 || rng.IntN("op", 5) < 2 {
			s := &Sub{sid: int32(step)}
			l.add(s)
			want = append(want, s)
		} else {
			i := rng.IntN("which", len(want))
			l.remove(want[i])
			want = slices.Delete(want, i, i+1)
		}
		if got := slices.Collect(l.all()); !slices.Equal(got, want) || l.len() != len(want) {
			t.Fatalf("step %d: list %v (len %d), want %v", step, subSids(got), l.len(), subSids(want))
		}
	}
}

// TestConnSubsRemovesWithoutShifting: removing a subscription leaves the
// others where they are until the holes are half of the list. Catches a
// remove that shifts the rest down (slices.Delete), which made a drain of
// n subscriptions move n²/2 pointers through the write barrier.
func TestConnSubsRemovesWithoutShifting(t *testing.T) {
	var l connSubs
	subs := make([]*Sub, 8)
	for i := range subs {
		subs[i] = &Sub{sid: int32(i)}
		l.add(subs[i])
	}
	for _, s := range subs[:4] { // holes up to half: no compaction
		l.remove(s)
	}
	for i, s := range subs[4:] {
		if s.at != 4+i || l.list[s.at] != s {
			t.Fatalf("sub %d moved to %d after earlier removals", s.sid, s.at)
		}
	}
	l.remove(subs[4]) // more holes than subscriptions: compacted
	if len(l.list) != 3 || subs[7].at != 2 {
		t.Fatalf("not compacted: list %v, last at %d", subSids(l.list), subs[7].at)
	}
}

func subSids(subs []*Sub) []int32 {
	out := make([]int32, len(subs))
	for i, s := range subs {
		out[i] = -1
		if s != nil {
			out[i] = s.sid
		}
	}
	return out
}
