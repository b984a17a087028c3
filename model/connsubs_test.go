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
// others where they are, however many holes it leaves; the holes are
// squeezed out at the next add or walk once they are more than half of
// the list, and the last removal empties it. Catches a remove that shifts
// the rest down (slices.Delete), which made a drain of n subscriptions
// move n²/2 pointers through the write barrier; one that compacts (a drain
// squeezed the list at every halving); an add or a walk that does not
// squeeze, and a last removal that leaves the holes in the list.
func TestConnSubsRemovesWithoutShifting(t *testing.T) {
	var l connSubs
	subs := make([]*Sub, 8)
	fill := func() {
		l = connSubs{}
		for i := range subs {
			subs[i] = &Sub{sid: int32(i)}
			l.add(subs[i])
		}
	}
	fill()
	for _, s := range subs[:6] { // holes three quarters of the list: kept
		l.remove(s)
	}
	for i, s := range subs[6:] {
		if s.at != 6+i || l.list[s.at] != s || len(l.list) != 8 {
			t.Fatalf("sub %d moved to %d (list of %d) after earlier removals", s.sid, s.at, len(l.list))
		}
	}
	extra := &Sub{sid: 8}
	if l.add(extra); len(l.list) != 3 || subs[7].at != 1 || extra.at != 2 {
		t.Fatalf("not squeezed by an add: list %v, last at %d", subSids(l.list), extra.at)
	}
	fill()
	for _, s := range subs[:5] {
		l.remove(s)
	}
	if got := slices.Collect(l.all()); len(got) != 3 || len(l.list) != 3 || subs[7].at != 2 {
		t.Fatalf("not squeezed by a walk: walked %v, list %v", subSids(got), subSids(l.list))
	}
	for _, s := range subs[5:] {
		l.remove(s)
	}
	if len(l.list) != 0 || cap(l.list) == 0 || l.list[:1][0] != nil {
		t.Fatalf("the last removal left list %v (capacity %d)", subSids(l.list), cap(l.list))
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

// TestServerConnKeepsClosedUntilSqueezed: an UNSUB takes a subscription
// out of its connection's sid index but leaves it, closed, in ordered,
// however many are closed; squeeze, before a SUB appends, drops the
// closed ones once they are half of the list, keeping the order of the
// others. Catches a remove that compacts ordered again (a drain squeezed
// it at every halving), a squeeze that never runs or drops an open one,
// and a remove that leaves the sid index pointing at the closed one.
func TestServerConnKeepsClosedUntilSqueezed(t *testing.T) {
	sc := &serverConn{bySid: make([]*serverSub, 6)}
	for i := range 5 {
		ss := &serverSub{sid: int32(i + 1)}
		sc.ordered, sc.bySid[ss.sid] = append(sc.ordered, ss), ss
	}
	open := []*serverSub{sc.ordered[1], sc.ordered[3]}
	for _, i := range []int{4, 0, 2} {
		ss := sc.ordered[i]
		ss.closed = true
		sc.remove(ss)
		if sc.sub(ss.sid) != nil || len(sc.ordered) != 5 {
			t.Fatalf("sid %d removed: indexed %v, %d in ordered, want none and 5", ss.sid, sc.sub(ss.sid), len(sc.ordered))
		}
	}
	if sc.squeeze(); !slices.Equal(sc.ordered, open) || sc.nClosed != 0 {
		t.Fatalf("squeezed to %d subscriptions (%d closed counted), want the 2 open ones in order", len(sc.ordered), sc.nClosed)
	}
	sc.ordered[0].closed = true
	sc.remove(sc.ordered[0])
	if sc.squeeze(); len(sc.ordered) != 1 || sc.ordered[0] != open[1] {
		t.Fatalf("one closed of two: %d left, want the open one", len(sc.ordered))
	}
}

// TestServerConnSqueezedBySub: a connection that subscribes and
// unsubscribes again and again keeps at most twice its open subscriptions
// (and one) in ordered: each SUB squeezes out the closed ones once they
// are half of it. Catches a processSub that appends without squeezing
// (the list would grow by a closed subscription every UNSUB).
func TestServerConnSqueezedBySub(t *testing.T) {
	w, err := newWorld(manyClients(1), Config{}, new(Runner))
	if err != nil {
		t.Fatal(err)
	}
	srv := w.server
	sc := srv.conns[0]
	const open = 1 // the scenario's subscription
	for sid := int32(100); sid < 200; sid++ {
		srv.processSub(sc, frame{op: opSub, sid: sid, frameRefs: frameRefs{ref: 0}})
		srv.processUnsub(sc, sid, 0)
		if len(sc.ordered) > 2*open+1 {
			t.Fatalf("after SUB and UNSUB of sid %d: %d listed for %d open", sid, len(sc.ordered), open)
		}
	}
}
