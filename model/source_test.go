package model

import (
	"fmt"
	"testing"
)

// TestActionSource checks the precomputed call sources against the format
// on both sides of the table's end: a table shifted by one would name the
// wrong action in every call record.
func TestActionSource(t *testing.T) {
	for _, i := range []int{0, 1, 63, 64, 65, 1000} {
		if got, want := actionSource(i), fmt.Sprintf("actions[%d]", i); got != want {
			t.Errorf("actionSource(%d) = %q, want %q", i, got, want)
		}
	}
}
