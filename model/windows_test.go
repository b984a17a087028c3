package model

import (
	"slices"
	"testing"
)

// TestWindowsDoNotOverlap: lists carved by windows.take share arrays, so
// each must have no room past its own: appending to a full window must
// copy it, leaving the next window as it was, and a list of more than half
// a chunk gets an array of its own. Catches a window without its capacity
// limit (s.free[k:k]), whose third append writes the next window's first
// entry, and a take that does not advance (two lists on one window).
func TestWindowsDoNotOverlap(t *testing.T) {
	var s windows[int]
	a, b := s.take(2, 4), s.take(2, 2)
	a = append(a, 1, 2)
	b = append(b, 10, 20)
	a = append(a, 3) // past a's window: a copy
	if !slices.Equal(b, []int{10, 20}) {
		t.Fatalf("appending past a full window changed the next one: %v, want [10 20]", b)
	}
	if !slices.Equal(a, []int{1, 2, 3}) {
		t.Fatalf("a = %v, want [1 2 3]", a)
	}
	c := s.take(1, 1) // the chunk of 4 is used up: a new array
	c = append(c, 5)
	if !slices.Equal(b, []int{10, 20}) || c[0] != 5 {
		t.Fatalf("a window from a new array reached an earlier one: b %v, c %v", b, c)
	}
	if big := s.take(windowChunk/2+1, windowChunk); cap(big) != windowChunk/2+1 || len(s.free) != 1 {
		t.Fatalf("a list of %d entries took cap %d from the shared array (now %d used), want an array of its own",
			windowChunk/2+1, cap(big), len(s.free))
	}
	if empty := s.take(0, 10); empty == nil || cap(empty) != 0 {
		t.Fatalf("take(0) = %#v, want an empty non-nil list", empty)
	}
}
