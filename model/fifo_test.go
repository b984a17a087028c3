package model

import "testing"

// TestFIFO: items come out in the order they went in, a pop leaves the
// rest where they are (catches taking the head off by copying the rest
// down, which made draining a thousand subscriptions quadratic), and an
// emptied queue reuses its array.
func TestFIFO(t *testing.T) {
	var q fifo[int]
	for i := range 5 {
		q.push(i)
	}
	second := &q.queued()[1]
	if got := q.pop(); got != 0 {
		t.Fatalf("pop = %d, want 0", got)
	}
	if &q.queued()[0] != second {
		t.Error("pop moved the queued items")
	}
	if got := q.queued(); len(got) != 4 || got[0] != 1 || got[3] != 4 || q.len() != 4 {
		t.Errorf("queued %v, len %d; want [1 2 3 4]", got, q.len())
	}
	for want := 1; want < 5; want++ {
		if got := q.pop(); got != want {
			t.Fatalf("pop = %d, want %d", got, want)
		}
	}
	array := cap(q.items)
	q.push(9)
	if q.len() != 1 || q.head != 0 || cap(q.items) != array {
		t.Errorf("after emptying: len %d, head %d, cap %d; want 1, 0, %d", q.len(), q.head, cap(q.items), array)
	}
	q.clear()
	if q.len() != 0 {
		t.Errorf("len %d after clear", q.len())
	}
}
