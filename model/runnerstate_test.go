package model

import (
	"slices"
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestConnOfNamesThisRunsClients: World.connOf, the clients by the ids of
// their names, names the run's own clients only: on a Runner, after a run
// whose clients x and y took ids 1 and 2, a run whose client y takes 1 and
// whose subject x takes 2 finds y at index 0 and no client for x or for
// the empty string's id 0. Catches nameConn filing a client under another
// index (y not found at 0, or past conns) and connByID taking the zero of
// an id no client has for index -1.
func TestConnOfNamesThisRunsClients(t *testing.T) {
	parse := func(src string) *scenario.Scenario {
		sc, err := scenario.Parse("c.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	var r Runner
	if _, err := r.Run(parse("name: a\nclients: [{name: x}, {name: y}]\n"), Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(parse("name: b\nclients: [{name: y}]\nsubscriptions: [{id: s, client: y, subject: x}]\n"), Config{}); err != nil {
		t.Fatal(err)
	}
	w := r.world
	if i := w.clientIndex("y"); i != 0 {
		t.Errorf("client y at index %d, want 0", i)
	}
	x, ok := w.ledger.interned("x")
	if !ok {
		t.Fatal("subject x not interned")
	}
	for _, id := range []Str{0, x} {
		if i, ok := w.connByID(id); ok {
			t.Errorf("id %d (%q) names client %d, want none", id, w.ledger.Str(id), i)
		}
	}
}

// TestRunnerFramesLargestLast: after a run the Runner's frame buffers are
// ordered by capacity, the largest last, where the next run's first
// getFrames takes from (Runner.Run sorts them only when they are not
// already: the sort of a thousand clients' buffers, already in order, was
// 0.8 % of Scale/clients=1k's instructions). The run's burst grows client
// a's outbound buffer past the others, and a's buffer is put back first.
// Catches the sort skipped when the buffers are out of order (the test
// inverted), and dropped.
func TestRunnerFramesLargestLast(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("name: f\nclients: [{name: a}, {name: b}]\n"+
		"subscriptions: [{id: s, client: b, subject: x}]\n"+
		"actions: [{at: 0s, publish: {client: a, subject: x, count: 200, size: 8}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var r Runner
	if _, err := r.Run(sc, Config{}); err != nil {
		t.Fatal(err)
	}
	caps := make([]int, len(r.frames))
	for i, f := range r.frames {
		caps[i] = cap(f)
	}
	if !slices.IsSorted(caps) || caps[len(caps)-1] < 200 {
		t.Errorf("frame buffers' capacities %v, want ascending, the last at least 200", caps)
	}
}

// TestConnNamedTakesTheNextClient: World.connNamed finds a client listed
// right after the last one it found (the first client before any) without
// the string table's map, and any client through it. After a run of
// clients a, b and c, with their names taken out of the map, lookups in
// the clients' order still find each; then, the map restored, lookups out
// of order (c after a, a after b, b after c) find the named client.
// Catches the next-client shortcut dropped (the lookup in order panics:
// the names are not in the map) and the shortcut taken without comparing
// the name (c after a gets b).
func TestConnNamedTakesTheNextClient(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("name: n\nclients: [{name: a}, {name: b}, {name: c}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var r Runner
	if _, err := r.Run(sc, Config{}); err != nil {
		t.Fatal(err)
	}
	w := r.world
	names := []string{"a", "b", "c"}
	ids := map[string]Str{}
	for _, name := range names {
		ids[name] = w.ledger.strs.ids[name]
		delete(w.ledger.strs.ids, name)
	}
	w.lastNamed = nil
	for i, name := range names {
		if c := w.connNamed(name); c != w.conns[i] {
			t.Errorf("in order: %q found %q", name, c.name)
		}
	}
	for name, id := range ids {
		w.ledger.strs.ids[name] = id
	}
	w.lastNamed = nil
	for _, name := range []string{"a", "c", "b", "a", "a", "b", "c", "b"} {
		if c := w.connNamed(name); c.name != name {
			t.Errorf("out of order: %q found %q", name, c.name)
		}
	}
}

// TestLinkDrawsFromItsOwnStream: a client link whose stream the run's PCG
// re-seeded in its own memory draws from it directly (ownRng: chooser is
// own, without loading rng), and a link of a run given another Chooser
// draws from that run's stream (rng), on one Runner whose links go from
// one kind of run to the other and back. Catches ownRng set for a
// caller's stream (the link would draw from own, which nothing seeded for
// the run) and never set (every write loading rng again).
func TestLinkDrawsFromItsOwnStream(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("name: l\nclients: [{name: a}, {name: b}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var r Runner
	for run, cfg := range []Config{{}, {Chooser: sim.Fixed{}}, {}} {
		if _, err := r.Run(sc, cfg); err != nil {
			t.Fatal(err)
		}
		own := cfg.Chooser == nil
		for _, c := range r.world.conns {
			for _, l := range []*link{&c.toServer, &c.fromServer} {
				want := l.rng
				if own {
					want = &l.own
				}
				if l.ownRng != own || l.chooser() != want || (l.rng == sim.Chooser(&l.own)) != own {
					t.Errorf("run %d, client %s: ownRng %v, chooser %T, rng %T; want ownRng %v", run, c.name, l.ownRng, l.chooser(), l.rng, own)
				}
			}
		}
	}
}
