package model

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestStrTableEmptied: an emptied string table (strTable.empty) keeps no
// string alive anywhere in its array and gives the next run the ids a new
// table would, though its map still holds the earlier runs' entries:
// strings the run before interned at other ids, at the very ids, or not
// at all. Catches an Intern that trusts an earlier run's entry without
// checking it against this run's strings (current), one that takes an
// entry whose id is not the next, and an empty that clears the array
// short of its length.
func TestStrTableEmptied(t *testing.T) {
	var l Ledger
	big := make([]string, 500)
	for i := range big { // a large run: the map and array grow
		big[i] = strings.Repeat("x", i%50) + string(rune('a'+i/50))
		l.Intern(big[i])
	}
	runs := [][]string{
		{big[3], "c0", big[1], "s0", big[2]},          // earlier strings at other ids
		{big[3], "c0", big[1], "s0", big[2], "extra"}, // the same order, then one more
		{"c0", "s0", "t1", "publish", "ok", "c1", "s1", "t0", "drain", "closed"},
		{"s0", "c0", "ok"},
	}
	for r, run := range runs {
		l.strs.empty()
		if i := slices.IndexFunc(l.strs.strs[:cap(l.strs.strs)], func(s string) bool { return s != "" }); i >= 0 {
			t.Fatalf("run %d: %q left at %d", r, l.strs.strs[:cap(l.strs.strs)][i], i)
		}
		for i, s := range run {
			for range 2 { // the second time it is this run's
				if id := l.Intern(strings.Clone(s)); id != Str(i+1) {
					t.Fatalf("run %d: %q got id %d, want %d as in a new table", r, s, id, i+1)
				}
			}
		}
		if got, ok := l.interned(big[0]); ok {
			t.Fatalf("run %d: %q, interned only by the first run, found at %d", r, big[0], got)
		}
	}
}

// TestStrTableFollowsPrev: a run that interns the strings of the run
// before in its order takes them by strTable.prev, and one that strays
// from it, or whose map was cleared, gives each string one id still, the
// id a new table would. Each string is interned again as a copy at another
// address, which the recent cache does not find. Catches a follows that a
// string added through the map does not end (the run's "c" would take the
// id after "x" as prev's third string: two ids for one string), an empty
// or detach that keeps following when trim cleared the map ("a" taken
// without the map, then added again by its copy), and a fast path that
// does not append to the run's strings.
func TestStrTableFollowsPrev(t *testing.T) {
	first := []string{"a", "b", "c", "d"}
	for _, tc := range []struct {
		name    string
		trimmed bool     // the map is cleared between the runs
		run     []string // the second run's strings, in order
	}{
		{"same order", false, first},
		{"prefix, then new", false, []string{"a", "b", "y"}},
		{"strays, then prev's next", false, []string{"c", "x", "c", "d"}},
		{"trimmed", true, first},
	} {
		for _, handed := range []bool{false, true} {
			var l Ledger
			for _, s := range first {
				l.Intern(s)
			}
			if tc.trimmed { // more stale entries than staleMax allows
				for i := range staleMax(len(first)) {
					l.strs.ids[fmt.Sprint("stale", i)] = Str(i + 100)
				}
			}
			if handed { // a plain Run's Result handed over (Runner.handOver)
				ids, prev := l.strs.detach()
				l = Ledger{strs: strTable{ids: ids, prev: prev, follows: prev != nil}}
			} else {
				l.strs.empty()
			}
			want := map[string]Str{}
			for _, s := range tc.run {
				if _, ok := want[s]; !ok {
					want[s] = Str(len(want) + 1)
				}
				for _, c := range []string{s, strings.Clone(s)} {
					if id := l.Intern(c); id != want[s] || l.Str(id) != s {
						t.Fatalf("%s (handed over %v): %q got id %d (%q), want %d", tc.name, handed, c, id, l.Str(id), want[s])
					}
				}
			}
		}
	}
}

// TestStrTableKeepsHandedStrings: a Runner whose Result was handed over
// (Runner.handOver) follows that Result's strings in its next run, and
// leaves them as they are in the runs after, of another scenario. Catches
// an empty that clears and reuses the array of strings it followed though
// a handed-over Result holds it (ownPrev): the later runs' strings would
// overwrite the handed Result's.
func TestStrTableKeepsHandedStrings(t *testing.T) {
	sc := scaleLike(3)
	var r Runner
	handed, err := r.Run(sc, Config{})
	if err != nil {
		t.Fatal(err)
	}
	r.handOver()
	want := make([]string, len(handed.Subs))
	for i, s := range handed.Subs {
		want[i] = handed.Str(s.Subject)
	}
	for run, next := range []*scenario.Scenario{sc, manyClients(5), manyClients(5)} {
		if _, err := r.Run(next, Config{}); err != nil {
			t.Fatal(err)
		}
		for i, s := range handed.Subs {
			if got := handed.Str(s.Subject); got != want[i] {
				t.Fatalf("after run %d: the handed Result's subscription %d reads subject %q, want %q", run, i, got, want[i])
			}
		}
	}
}

// scaleLike is n subscriptions of one client, each on a subject of its
// own with a message published on it.
func scaleLike(n int) *scenario.Scenario {
	sc := manyClients(1)
	sc.Subs, sc.Actions = nil, nil
	for i := range n {
		s := fmt.Sprint("s", i)
		sc.Subs = append(sc.Subs, scenario.Subscription{ID: s, Client: "c0", Subject: s})
		sc.Actions = append(sc.Actions, scenario.Action{Publish: &scenario.Publish{Client: "c0", Subject: s, Count: 1}})
	}
	return sc
}

// TestStrTableTrimmed: a table emptied after runs of ever new strings
// keeps at most staleMax entries in its map, so a Runner going through
// check's generated scenarios does not keep every string it saw. Catches
// an empty that never clears the map.
func TestStrTableTrimmed(t *testing.T) {
	var l Ledger
	for r := range 100 {
		for i := range 50 {
			l.Intern(fmt.Sprintf("run%d.s%d", r, i))
		}
		l.strs.empty()
		if n, most := len(l.strs.ids), staleMax(50); n > most {
			t.Fatalf("after run %d: %d strings in the map, want at most %d", r, n, most)
		}
	}
}

// TestSegSlabFreeSlotsZero: after every run on one Runner, each free slot
// of the run's segment slab is zero but for its link to the next free one,
// the free stack lists no slot twice, and after a run that ended quiescent
// every slot is free. Catches a segment that leaves a link without being
// zeroed (release keeping its frames, which would stay reachable), a slot
// released twice (cut and deliverHead both: the stack loops) or never.
func TestSegSlabFreeSlotsZero(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("examples: %v, %d files", err, len(files))
	}
	var r Runner
	used := 0
	for _, f := range files {
		sc, err := scenario.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Run(sc, Config{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		p := &r.recycled.segs
		used = max(used, len(p.s))
		seen := make([]bool, len(p.s))
		for i := p.free; i != 0; i = p.s[i-1].next {
			if seen[i-1] {
				t.Fatalf("%s: slot %d on the free stack twice", f, i-1)
			}
			seen[i-1] = true
			if s := p.s[i-1]; s.frames != nil || s.at != 0 || s.eof || s.timer != (sim.Timer{}) {
				t.Fatalf("%s: free slot %d is not zeroed: %+v", f, i-1, s)
			}
		}
		if i := slices.Index(seen, false); i >= 0 && res.Stop.Reason == sim.Quiescent {
			t.Fatalf("%s: slot %d not free after a quiescent run", f, i)
		}
	}
	if used < 2 {
		t.Fatalf("the slab never held more than %d segments: the test checks nothing", used)
	}
}
