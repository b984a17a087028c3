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

// TestPresizeCountsThisRunsSubjects: presize's estimate for each
// subscription counts the messages this run publishes on its subject,
// though the Runner's map of published subjects (World.published) keeps
// the entries of an earlier run that published on the same subjects in
// another order, and on others; and a run of few subjects after one of
// many leaves at most staleMax entries in it. Catches a countPublished or
// expectedSubject that trusts an earlier run's entry without checking it
// against this run's subjects (current: y's messages counted as x's, z's
// and w's in the wildcard's), one that takes an entry whose index is not
// the next, and a map never trimmed.
func TestPresizeCountsThisRunsSubjects(t *testing.T) {
	scen := func(subjects []string, pubs map[string]int, order ...string) *scenario.Scenario {
		sc := manyClients(1)
		sc.Subs, sc.Actions = nil, nil
		for i, s := range subjects {
			sc.Subs = append(sc.Subs, scenario.Subscription{ID: fmt.Sprint("s", i), Client: "c0", Subject: s})
		}
		for _, s := range order {
			sc.Actions = append(sc.Actions, scenario.Action{Publish: &scenario.Publish{Client: "c0", Subject: s, Count: pubs[s]}})
		}
		return sc
	}
	before := scen([]string{"x"}, map[string]int{"y": 1, "z": 2, "x": 4, "w": 8}, "y", "z", "x", "w")
	sc := scen([]string{"x", "y", "*", "q"}, map[string]int{"x": 3, "y": 5}, "x", "y", "y")
	want := []int{3, 10, 13, 0} // y is published twice, 5 each
	var r Runner
	for i, run := range []*scenario.Scenario{before, sc, sc} {
		if i > 0 {
			w, err := newWorld(sc, Config{}, &r)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(w.subExpect) != fmt.Sprint(want) {
				t.Fatalf("run %d: expected %v, want %v", i, w.subExpect, want)
			}
			r = Runner{maps: worldMaps{published: w.published}} // the map the next run keeps
		}
		if _, err := r.Run(run, Config{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Run(manyClients(2000), Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(manyClients(1), Config{}); err != nil {
		t.Fatal(err)
	}
	if n, most := len(r.maps.published), staleMax(1); n > most {
		t.Errorf("after a run of 1 subject: %d subjects in the map, want at most %d", n, most)
	}
}
