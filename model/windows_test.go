package model

import (
	"slices"
	"testing"
)

// TestWindowsDoNotOverlap: lists carved by windows.take share arrays, so
// each must have no room past its own: appending to a full window must
// copy it, leaving the next window as it was. Catches a window without
// its capacity limit (s.free[k:k]), whose third append writes the next
// window's first entry, and a take that does not advance (two lists on one
// window).
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
	if empty := s.take(0, 10); empty == nil || cap(empty) != 0 {
		t.Fatalf("take(0) = %#v, want an empty non-nil list", empty)
	}
}

// TestWindowsLongListsShareAnArray: lists of more than half a chunk, as a
// plain Run's handled lists of a thousand messages, are carved from one
// array sized for what the run may still ask for (want), not an array
// apiece: the standard scenario's three subscriptions made three 4 KB
// allocations. Catches a take that gives a long list an array of its own
// (three allocations here), or one that sizes the array by windowChunk
// (two: the second list does not fit the first's array).
func TestWindowsLongListsShareAnArray(t *testing.T) {
	const n = windowChunk/2 + 1
	var lists [3][]int32
	allocs := testing.AllocsPerRun(10, func() {
		var s windows[int32]
		for i := range lists {
			lists[i] = s.take(n, (len(lists)-i)*n)
		}
	})
	if allocs != 1 {
		t.Fatalf("three lists of %d entries, asked for together, made %v allocations, want 1", n, allocs)
	}
	for i, l := range lists {
		if len(l) != 0 || cap(l) != n {
			t.Fatalf("list %d: len %d cap %d, want an empty window of %d", i, len(l), cap(l), n)
		}
	}
	a := append(lists[0][:n-1], 7, 8) // past the first window: a copy
	if b := lists[1][:1]; b[0] != 0 || a[n] != 8 {
		t.Fatalf("appending past a long window wrote into the next one: %v", b)
	}
}
