package model

import (
	"fmt"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
)

// manyClients is a scenario of n clients with a subscription and a publish
// each, as Scale/clients=1k has a thousand.
func manyClients(n int) *scenario.Scenario {
	sc := &scenario.Scenario{Name: "many", Profile: "go", Seed: 1,
		Limits: scenario.Limits{MaxTime: time.Minute, MaxEvents: 1_000_000}}
	for i := range n {
		name := fmt.Sprintf("c%d", i)
		sc.Clients = append(sc.Clients, scenario.Client{Name: name})
		sc.Subs = append(sc.Subs, scenario.Subscription{ID: name + ".s", Client: name, Subject: name})
		sc.Actions = append(sc.Actions, scenario.Action{Publish: &scenario.Publish{Client: name, Subject: name, Count: 1}})
	}
	return sc
}

// TestSetUpAllocatesInBulk: a run's connections (with their links), the
// server's connections, subscriptions, action events and the records, whose
// numbers the scenario gives, are made as one array each when the Runner
// has none to reuse (a plain Run's records, a Runner's first run), not one
// allocation apiece; the links' latency streams and the handler streams are
// seeded in their objects' own memory. Setting up a client with a
// subscription and a publish allocates 27 objects, 33 without the arrays.
// Catches newWorld not reserving a recycler, a connection's links made
// apart from it, and a stream allocated by restream. An allocation per
// client added on purpose raises the bound; say why.
func TestSetUpAllocatesInBulk(t *testing.T) {
	allocs := func(n int) float64 {
		sc := manyClients(n)
		return testing.AllocsPerRun(3, func() {
			if _, err := newWorld(sc, Config{}, new(Runner)); err != nil {
				t.Fatal(err)
			}
		})
	}
	if per := (allocs(200) - allocs(100)) / 100; per > 27.5 {
		t.Errorf("setting up a client allocates %.1f objects, want at most 27", per)
	}
}
