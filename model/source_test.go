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

// TestRunnerActionSource checks the Runner's table of call sources against
// the format, asked past its end, within it and past actionSources, as
// runs of different sizes ask: a table grown by the wrong index (e.g.
// append(r.sources, actionSource(i))) would name the wrong action.
func TestRunnerActionSource(t *testing.T) {
	w := &World{pool: new(Runner)}
	for _, i := range []int{70, 0, 64, 65, 1000, 63, 999} {
		if got, want := w.actionSource(i), fmt.Sprintf("actions[%d]", i); got != want {
			t.Errorf("World.actionSource(%d) = %q, want %q", i, got, want)
		}
	}
}
