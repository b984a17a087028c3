package model

import (
	"fmt"
	"slices"
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestConnDrainsAreTheirOwn: a connection that drains twice in one run (a
// drain task per callback under DrainAtYield, two of them at one yield)
// keeps each drain's subscriptions in their own drawn order, as the lists
// drainConnection made per drain did, and a Runner's next run reuses both
// drains. Catches drainConnection reusing one connDrain per connection
// (the second drain's order overwrote the list the first drain's barrier
// still holds).
func TestConnDrainsAreTheirOwn(t *testing.T) {
	sc := manyClients(1)
	for k := range 7 {
		sc.Subs = append(sc.Subs, scenario.Subscription{ID: fmt.Sprintf("c0.s%d", k), Client: "c0", Subject: "c0"})
	}
	sc.Actions = append(sc.Actions, scenario.Action{Drain: &scenario.ClientRef{Client: "c0"}})
	var r Runner
	for run := range 2 {
		if run == 1 { // the Runner's connection has drained once before
			if _, err := r.Run(sc, Config{}); err != nil {
				t.Fatal(err)
			}
		}
		w, err := newWorld(sc, Config{}, &r)
		if err != nil {
			t.Fatal(err)
		}
		c := w.conns[0]
		c.drainConnection()
		first := c.waits.drains.made[0]
		ordered := slices.Clone(first.ordered)
		c.drainConnection()
		if len(c.waits.drains.made) != 2 || c.waits.drains.made[1] == first {
			t.Fatalf("run %d: %d drain objects for two drains, want 2 of their own", run, len(c.waits.drains.made))
		}
		if !slices.Equal(first.ordered, ordered) {
			t.Errorf("run %d: the first drain's subscriptions became %v after the second drain, want %v", run, first.ordered, ordered)
		}
		if second := c.waits.drains.made[1].ordered; slices.Equal(second, ordered) {
			t.Errorf("run %d: both drains drew order %v: the test needs two different draws", run, ordered)
		}
	}
}
