package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestSublistMatchesAScan drives the sublist and a plain list of every
// subscription, scanned as routing once did, with the same random adds and
// removes of literal and wildcard subjects, and requires the same matches
// in the same order. It catches a merge that puts the wildcard matches
// after (or before) the literal ones instead of in subscription order, a
// removal that leaves a subscription in the index, and a stale merged
// cache. matchID, the lookup by interned subject, must give the same: it
// catches a cache by id that an add or a remove does not invalidate
// (sublist.changed without its gen++).
func TestSublistMatchesAScan(t *testing.T) {
	subjects := []string{"a", "a.b", "a.c", "b.b"}
	patterns := append([]string{"*", "a.*", "*.b", ">", "a.>"}, subjects...)
	for seed := range uint64(20) {
		c := sim.NewPCG(seed)
		var led Ledger
		l := sublist{strs: &led}
		var all, live []*serverSub
		for op := range 400 {
			if len(live) > 0 && c.IntN("op", 3) == 0 {
				k := c.IntN("victim", len(live))
				ss := live[k]
				live = slices.Delete(live, k, k+1)
				all = slices.DeleteFunc(all, func(x *serverSub) bool { return x == ss })
				l.remove(ss)
			} else {
				ss := &serverSub{subject: patterns[c.IntN("pattern", len(patterns))], sid: int32(op)}
				all = append(all, ss)
				live = append(live, ss)
				l.add(ss, isWild(ss.subject))
			}
			subject := subjects[c.IntN("subject", len(subjects))]
			var want []*serverSub
			for _, ss := range all {
				if subjectMatches(ss.subject, subject) {
					want = append(want, ss)
				}
			}
			if got := l.match(led.Intern(subject)); !slices.Equal(got, want) {
				t.Fatalf("seed %d op %d: match(%q) = %v, want %v", seed, op, subject, sids(got), sids(want))
			}
			if got := l.matchID(led.Intern(subject)); !slices.Equal(got, want) {
				t.Fatalf("seed %d op %d: matchID(%q) = %v, want %v", seed, op, subject, sids(got), sids(want))
			}
		}
	}
}

// TestSublistMatchIsASnapshot checks that a removal does not change a list
// match returned earlier, which a stalled routing still walks: removing in
// place shifted the later subscriptions under it.
func TestSublistMatchIsASnapshot(t *testing.T) {
	l := sublist{strs: new(Ledger)}
	subs := []*serverSub{{subject: "x", sid: 1}, {subject: "x", sid: 2}, {subject: "x", sid: 3}}
	for _, ss := range subs {
		l.add(ss, isWild(ss.subject))
	}
	before := l.match(l.strs.Intern("x"))
	l.remove(subs[0])
	if !slices.Equal(before, subs) {
		t.Fatalf("after a removal the earlier match is %v, want %v", sids(before), sids(subs))
	}
	if got := l.match(l.strs.Intern("x")); !slices.Equal(got, subs[1:]) {
		t.Fatalf("match after the removal = %v, want %v", sids(got), sids(subs[1:]))
	}
}

// TestSublistOneSubscriptionListsAreSnapshots: the lists of subjects with
// one subscription are windows of one array (sublist.ones); a match of
// one must not change when the subject gets a second subscription, when
// other subjects get their first, or after the window's subscription is
// removed and the subject subscribed again. Catches a window made without
// its capacity limit (l.ones[n:n+1]): the second subscription of "a" is
// then written over "b"'s window.
func TestSublistOneSubscriptionListsAreSnapshots(t *testing.T) {
	l := sublist{strs: new(Ledger), ones: make([]*serverSub, 0, 8)}
	a1, b1, a2, c1 := &serverSub{subject: "a", sid: 1}, &serverSub{subject: "b", sid: 2}, &serverSub{subject: "a", sid: 3}, &serverSub{subject: "c", sid: 4}
	l.add(a1, isWild(a1.subject))
	l.add(b1, isWild(b1.subject))
	a, b := l.match(l.strs.Intern("a")), l.match(l.strs.Intern("b"))
	l.add(a2, isWild(a2.subject))
	l.add(c1, isWild(c1.subject))
	for _, tc := range []struct {
		name      string
		got, want []*serverSub
	}{
		{"the earlier match of a", a, []*serverSub{a1}},
		{"the earlier match of b", b, []*serverSub{b1}},
		{"match of a", l.match(l.strs.Intern("a")), []*serverSub{a1, a2}},
		{"match of b", l.match(l.strs.Intern("b")), []*serverSub{b1}},
		{"match of c", l.match(l.strs.Intern("c")), []*serverSub{c1}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, sids(tc.got), sids(tc.want))
		}
	}
	l.remove(b1)
	b2 := &serverSub{subject: "b", sid: 5}
	l.add(b2, isWild(b2.subject))
	if !slices.Equal(b, []*serverSub{b1}) || !slices.Equal(l.match(l.strs.Intern("b")), []*serverSub{b2}) {
		t.Errorf("after b resubscribed: earlier match %v, match %v; want 2:b and 5:b", sids(b), sids(l.match(l.strs.Intern("b"))))
	}
}

func sids(list []*serverSub) string {
	var out []string
	for _, ss := range list {
		out = append(out, fmt.Sprintf("%d:%s", ss.sid, ss.subject))
	}
	return fmt.Sprint(out)
}

// TestServerConnRemoveKeepsOpenSubsInOrder: a connection's subscriptions
// are removed from its sid index at once and from its list when the
// closed ones are half of it at the next SUB (serverConn.squeeze, called
// here after each removal). After each removal, in
// an order that is neither oldest nor newest first, the open ones (those
// a close would remove) must be listed in SUB order and found by sid, and
// a removed one by sid no longer. Catches a compaction that drops an open
// subscription or reorders the list, and an index left pointing at a
// removed subscription.
func TestServerConnRemoveKeepsOpenSubsInOrder(t *testing.T) {
	sc := &serverConn{}
	for sid := int32(1); sid <= 7; sid++ {
		ss := &serverSub{conn: sc, sid: sid}
		sc.ordered = append(sc.ordered, ss)
		sc.bySid = growTo(sc.bySid, int(sid)+1)
		sc.bySid[sid] = ss
	}
	var want []int32
	for sid := int32(1); sid <= 7; sid++ {
		want = append(want, sid)
	}
	for _, sid := range []int32{4, 1, 7, 2, 6, 3, 5} {
		ss := sc.sub(sid)
		if ss == nil {
			t.Fatalf("sid %d not found before its removal", sid)
		}
		ss.closed = true
		sc.remove(ss)
		sc.remove(ss) // a second removal changes nothing
		want = slices.DeleteFunc(want, func(x int32) bool { return x == sid })
		var open []int32
		for _, x := range sc.ordered {
			if !x.closed {
				open = append(open, x.sid)
			}
		}
		if !slices.Equal(open, want) {
			t.Fatalf("after removing sid %d: open subscriptions %v, want %v", sid, open, want)
		}
		if sc.sub(sid) != nil {
			t.Fatalf("sid %d still found after its removal", sid)
		}
		for _, x := range want {
			if s := sc.sub(x); s == nil || s.sid != x {
				t.Fatalf("after removing sid %d: sid %d not found", sid, x)
			}
		}
		if sc.squeeze(); len(sc.ordered) > 2*len(want)+1 {
			t.Fatalf("after removing sid %d: %d listed for %d open: closed ones are not dropped", sid, len(sc.ordered), len(want))
		}
	}
}

// TestWithoutOneElement checks without on a one-element list, which it
// answers without a scan: nil when the element is ss, the list itself
// otherwise. Catches the short cut dropping a list's one subscription
// when another is removed.
func TestWithoutOneElement(t *testing.T) {
	a, b := &serverSub{sid: 1}, &serverSub{sid: 2}
	if got := without([]*serverSub{a}, a); got != nil {
		t.Errorf("without([a], a) = %v, want nil", got)
	}
	if got := without([]*serverSub{a}, b); len(got) != 1 || got[0] != a {
		t.Errorf("without([a], b) = %v, want [a]", got)
	}
	if got := without([]*serverSub{a, b}, a); len(got) != 1 || got[0] != b {
		t.Errorf("without([a b], a) = %v, want [b]", got)
	}
}

// TestSublistMatchIDReordersLiterals: with a reorder (Config.Races) and
// only literal subscriptions, matchID gives match's list, which reorder
// drew once and the cache keeps; without a reorder it gives the literal
// index's own list. Catches a matchID that takes the literal index under
// a reorder (a Races run's fan-out order would not be drawn).
func TestSublistMatchIDReordersLiterals(t *testing.T) {
	var led Ledger
	l := sublist{strs: &led}
	x, y := &serverSub{subject: "a", sid: 1}, &serverSub{subject: "a", sid: 2}
	l.add(x, isWild(x.subject))
	l.add(y, isWild(y.subject))
	id := led.Intern("a")
	if got := l.matchID(id); &got[0] != &l.exact(id)[0] {
		t.Fatalf("without a reorder: %v, not the index's list", sids(got))
	}
	draws := 0
	l.reorder = func(list []*serverSub) {
		draws++
		list[0], list[1] = list[1], list[0]
	}
	l.changed()
	for range 2 {
		if got := l.matchID(id); !slices.Equal(got, []*serverSub{y, x}) || draws != 1 {
			t.Fatalf("with a reorder: %v after %d draws, want [2 1] drawn once", sids(got), draws)
		}
	}
}

// TestLiteralSubjectsNotScanned: the set-up marks a subscription literal
// (Sub.literal) when presize found its subject among those published on,
// and processSub then files it without scanning its subject (isWild);
// every other subscription's subject is scanned. After a run with
// subscriptions on published subjects, a wildcard, and a literal subject
// nobody publishes on, every server entry's wild is its subject's
// isWild, no wildcard subscription is marked literal, and the ones on
// published subjects are. Deliberate breaks it catches (each tried): the
// set-up marking every subscription literal (the wildcard one is filed
// as a literal), processSub taking a subscription not marked literal for
// a literal too, and the set-up marking none (the shortcut unused).
func TestLiteralSubjectsNotScanned(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("name: l\nclients: [{name: a}, {name: b}]\n"+
		"subscriptions: [{id: s1, client: b, subject: x}, {id: s2, client: b, subject: '>'}, {id: s3, client: b, subject: y.*}, "+
		"{id: s4, client: a, subject: z}, {id: s5, client: b, subject: y.q}]\n"+
		"actions: [{at: 0s, publish: {client: a, subject: x, count: 3, size: 8}}, {at: 0s, publish: {client: a, subject: y.q, count: 2, size: 8}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWorld(sc, Config{}, new(Runner))
	if err != nil {
		t.Fatal(err)
	}
	w.run()
	want := map[string]bool{"s1": true, "s5": true}
	for _, s := range w.subList {
		if s.literal != want[s.rec.ID] {
			t.Errorf("%s on %q: literal %v, want %v", s.rec.ID, s.subject, s.literal, want[s.rec.ID])
		}
	}
	if len(w.serverSubs) != len(sc.Subs) {
		t.Fatalf("%d server entries, want %d", len(w.serverSubs), len(sc.Subs))
	}
	for _, ss := range w.serverSubs {
		if ss.wild != isWild(ss.subject) {
			t.Errorf("server entry on %q: wild %v", ss.subject, ss.wild)
		}
	}
}

// TestIsWild checks isWild's byte loop against a wildcard at the start,
// in the middle and at the end of a subject, each wildcard alone, and
// subjects without one, long ones included. Catches a loop that stops
// short of the last byte or starts past the first, and one that tests
// only one of the two wildcards.
func TestIsWild(t *testing.T) {
	long := strings.Repeat("abcdefgh.", 12)
	for _, tc := range []struct {
		subject string
		want    bool
	}{
		{"", false}, {"a", false}, {"a.b.c", false}, {long, false},
		{"*", true}, {">", true}, {"*.b", true}, {"a.*.c", true}, {"a.b.*", true},
		{">.b", true}, {"a.>", true}, {long + "*", true}, {long + ">", true}, {"*" + long, true},
	} {
		if got := isWild(tc.subject); got != tc.want {
			t.Errorf("isWild(%q) = %v, want %v", tc.subject, got, tc.want)
		}
	}
}

// TestExtendTo checks extendTo: a list with room is extended in its own
// array with nils, one without room grows to at least n, and a list
// already long enough is left as it is. Catches an extendTo that moves a
// list with room to a new array, leaves it short, or shortens a longer one.
func TestExtendTo(t *testing.T) {
	a, b := new(Sub), new(Sub)
	list := make([]*Sub, 1, 4)
	list[0] = a
	arr := unsafe.SliceData(list)
	extendTo(&list, 3)
	if len(list) != 3 || cap(list) != 4 || unsafe.SliceData(list) != arr || list[0] != a || list[1] != nil || list[2] != nil {
		t.Errorf("extended within capacity: len %d cap %d %v, want 3, 4, [a nil nil] in the same array", len(list), cap(list), list)
	}
	list[2] = b
	extendTo(&list, 2)
	if len(list) != 3 || list[2] != b {
		t.Errorf("extended to fewer than it holds: len %d, want 3 kept", len(list))
	}
	extendTo(&list, 9)
	if len(list) != 9 || list[0] != a || list[2] != b || list[3] != nil || list[8] != nil {
		t.Errorf("grown past capacity: len %d %v, want 9 with a and b kept", len(list), list)
	}
}
