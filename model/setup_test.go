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

// TestPresizeFollowsPreviousSubjects: a run on a Runner finds each
// subject its actions publish on and each subscription's subject at the
// index, with the count and id, that a fresh Runner's run gives it, though
// countPublished takes the previous run's subjects in order without the
// map and expectedSubject tries the subject after its last one first; and
// the map holds every subject at its index after the pass unless trimmed.
// The runs in turn: one subject twice after a run that had it at a later
// index (catches a countPublished that takes entries past the previous
// run's subjects: q at two indices); one that adds a subject through the
// map and then meets one of the run before's, already this run's
// (catches following not ended by an add: c at two indices); a run of one
// subject after one of many, then one publishing it twice (catches a
// previous run's subjects trusted after trimPublished cleared the map);
// subscriptions out of the publishes' order, a wildcard and a subject
// nobody publishes on (catches an expectedSubject guess taken without
// comparing its subject: b's estimate and id taken from a); the same scenario twice (catches a count or id
// kept from the previous run).
func TestPresizeFollowsPreviousSubjects(t *testing.T) {
	scen := func(subs []string, order ...string) *scenario.Scenario {
		sc := manyClients(1)
		sc.Subs, sc.Actions = nil, nil
		for i, s := range subs {
			sc.Subs = append(sc.Subs, scenario.Subscription{ID: fmt.Sprint("s", i), Client: "c0", Subject: s})
		}
		for i, s := range order {
			sc.Actions = append(sc.Actions, scenario.Action{Publish: &scenario.Publish{Client: "c0", Subject: s, Count: i + 1}})
		}
		return sc
	}
	type state struct {
		Subjects               []pubSubject
		ActSubject, SubSubject []int32
		SubExpect              []int
	}
	after := func(r *Runner, sc *scenario.Scenario) state {
		t.Helper()
		if _, err := r.Run(sc, Config{}); err != nil {
			t.Fatal(err)
		}
		w := r.world
		for i, k := range w.subSubject {
			if k > 0 && w.subjects[k-1].s != sc.Subs[i].Subject {
				t.Errorf("%s: subscription on %q given subject %q", sc.Name, sc.Subs[i].Subject, w.subjects[k-1].s)
			}
		}
		for i, k := range w.actSubject {
			if s := sc.Actions[i].Publish.Subject; w.subjects[k-1].s != s {
				t.Errorf("%s: publish on %q given subject %q", sc.Name, s, w.subjects[k-1].s)
			}
		}
		if w.heldSubjects > 0 {
			for i, ps := range w.subjects {
				if k := w.published[ps.s]; int(k) != i+1 {
					t.Errorf("%s: map holds subject %q at %d, want %d", sc.Name, ps.s, k, i+1)
				}
			}
		}
		return state{w.subjects, w.actSubject, w.subSubject, w.subExpect}
	}
	repeated := scen([]string{"b", "a", "*", "none", "d"}, "a", "b", "d", "a", "e")
	runs := []*scenario.Scenario{
		scen(nil, "p", "q"), scen(nil, "q"), scen(nil, "q", "q"),
		scen(nil, "a", "b", "c"), scen(nil, "a", "c", "c"),
		manyClients(2000), scen(nil, "q"), scen([]string{"q"}, "q", "q"),
		repeated, repeated,
	}
	var r Runner
	for i, sc := range runs {
		sc.Name = fmt.Sprint("run ", i)
		got, want := after(&r, sc), after(new(Runner), sc)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: subjects %v, want %v", sc.Name, got, want)
		}
	}
}

// TestPresizeReservesNamedSubs: presize reserves a string for every
// client, subscription and action, one for every action that names a
// subscription (its calls intern the id) and the run's few words, not one
// for every action other than a publish or request (a connection's drain
// names a client, interned already); and the run interns no more than it
// reserved. Catches presize counting every such action again (16 KB a run
// of Scale/clients=1k), or not the ones that name a subscription.
func TestPresizeReservesNamedSubs(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("name: p\nclients: [{name: a}, {name: b}]\n"+
		"subscriptions: [{id: s1, client: a, subject: x}, {id: s2, client: b, subject: y}]\n"+
		"actions: [{at: 0s, publish: {client: a, subject: x, size: 8}}, {at: 0s, publish: {client: b, subject: y, size: 8}},\n"+
		"  {at: 1ms, unsubscribe: {sub: s2}}, {at: 2ms, drain: {client: a}}, {at: 2ms, drain: {client: b}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWorld(sc, Config{}, new(Runner))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cap(w.ledger.strs.strs), 2+2+5+1+runWords; got != want {
		t.Errorf("presize reserved %d strings, want %d", got, want)
	}
	res := w.run()
	if n, c := len(res.Ledger.strs.strs), cap(res.Ledger.strs.strs); n > 2+2+5+1+runWords || c != 2+2+5+1+runWords {
		t.Errorf("the run interned %d strings (capacity %d), more than presize reserved", n, c)
	}
}
