package model

import "testing"

// TestRecycledRunAllocsPerClient: once an earlier run of the same scenario
// left its memory, a Runner's run allocates at most one object per client
// with a subscription and a publish (the server's list of its subject's
// subscriptions, sublist.add), measured as the difference between 200 and
// 100 clients so that the run's fixed allocations cancel. Catches
// Server.processSub making its subscription record anew (2 a client) and
// the action's call source "actions[i]" formatted every run rather than
// kept in the Runner (World.actionSource: 2 more past the first 64
// actions, 3 a client).
func TestRecycledRunAllocsPerClient(t *testing.T) {
	allocs := func(n int) float64 {
		sc := manyClients(n)
		var r Runner
		run := func() {
			if _, err := r.Run(sc, Config{}); err != nil {
				t.Fatal(err)
			}
		}
		run()
		return testing.AllocsPerRun(3, run)
	}
	if per := (allocs(200) - allocs(100)) / 100; per > 1 {
		t.Errorf("a recycled run allocates %.2f objects a client, want at most 1", per)
	}
}
