package model

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestStrTableEmptied: an emptied string table (strTable.empty), whether it lost its
// strings one by one (a run that used little of it) or all at once, holds
// none of them, keeps no string alive anywhere in its array, and gives
// the next run the ids a new table would. Catches an empty that skips
// the deletes (the next run's strings would keep the previous ids) or
// clears the array short of its length.
func TestStrTableEmptied(t *testing.T) {
	var l Ledger
	for i := range 500 { // a large run: the map and array grow
		l.Intern(strings.Repeat("x", i%50) + string(rune('a'+i/50)))
	}
	for _, n := range []int{500, 10, 3} { // cleared whole, then one by one
		l.strs.empty()
		if len(l.strs.ids) != 0 {
			t.Fatalf("after a run of %d strings: %d left in the map", n, len(l.strs.ids))
		}
		if i := slices.IndexFunc(l.strs.strs[:cap(l.strs.strs)], func(s string) bool { return s != "" }); i >= 0 {
			t.Fatalf("after a run of %d strings: %q left at %d", n, l.strs.strs[:cap(l.strs.strs)][i], i)
		}
		next := []string{"c0", "s0", "t1", "publish", "ok", "c1", "s1", "t0", "drain", "closed"}
		for i, s := range next[:min(len(next), 3+n%8)] {
			if id := l.Intern(strings.Clone(s)); id != Str(i+1) {
				t.Fatalf("after a run of %d strings: %q got id %d, want %d as in a new table", n, s, id, i+1)
			}
		}
	}
}

// TestLinkQueueZeroPastLength: after every run on one Runner, the array
// of each recycled link's queue is zero past its length, which link.reset
// relies on to clear only up to it. Catches a segment that leaves the
// queue without being zeroed (deliverHead, cut): the next run's reset
// would leave its frames reachable from the array.
func TestLinkQueueZeroPastLength(t *testing.T) {
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
		if _, err := r.Run(sc, Config{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range r.recycled.conns.free {
			for j, l := range []*link{&c.toServer, &c.fromServer} {
				q := l.queue
				used = max(used, cap(q))
				if i := slices.IndexFunc(q[len(q):cap(q)], func(s segment) bool { return s.frames != nil || s.at != 0 }); i >= 0 {
					t.Fatalf("%s: link %d of %s: segment %d past the queue's length %d is not zeroed", f, j, c.name, len(q)+i, len(q))
				}
			}
		}
	}
	if used < 2 {
		t.Fatalf("no link queued more than %d segments: the test checks nothing", used)
	}
}
