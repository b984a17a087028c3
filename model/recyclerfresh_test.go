package model

import "testing"

// TestRecyclerTakeFresh checks that takeFresh calls new only the objects
// reserve made (or take made) and no run used: newSub and processSub skip
// zeroing those, so an object a run used and put back, called new, would
// carry that run's state into the next. Catches a takeFresh that gives a
// made object without taking it from made (it would be given again, used),
// a reserve that does not count what made still holds (or counts what
// was taken from it as held), and a drop that keeps the handed-over
// objects in free.
func TestRecyclerTakeFresh(t *testing.T) {
	var rc recycler[int]
	take := func(want bool) {
		t.Helper()
		x, fresh := rc.takeFresh()
		if fresh != want {
			t.Fatalf("takeFresh: fresh %v, want %v", fresh, want)
		}
		if fresh && *x != 0 {
			t.Fatalf("takeFresh: a fresh object holds %d, want 0", *x)
		}
		*x = 7 // used by this run
	}
	rc.reserve(2)
	for range 2 {
		take(true)
	}
	take(true)    // none left: a new one
	rc.reserve(1) // a second reserve of the same run, nothing taken from it yet
	if rc.taken == len(rc.made) {
		t.Fatalf("a reserve after made's objects were all taken made none")
	}
	x, fresh := rc.takeFresh()
	if !fresh || *x != 0 {
		t.Fatalf("after a second reserve: fresh %v holding %d, want a fresh 0", fresh, *x)
	}
	// The next run: two used objects come back; reserve makes one more
	// for a run of three, which comes first, then the used ones.
	a, b := 7, 7
	rc.put([]*int{&a, &b})
	rc.reserve(3)
	take(true)
	take(false)
	take(false)
	// A run that leaves reserve-made objects untaken: they stay in made,
	// zero, and come first in the next run, before the used one.
	rc.reserve(2)
	rc.put([]*int{&a})
	take(true)
	take(true)
	take(false)
	take(true) // none left: a new one
	// A handed-over run's objects are dropped: none comes back.
	c := 7
	rc.put([]*int{&c})
	rc.drop()
	rc.reserve(1)
	take(true)
	take(true) // none left: a new one
}
