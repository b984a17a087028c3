package model

import (
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestArenaTakesDistinctAndReuses: within a run every take is an object of
// its own, however many a run takes, and after rewind the next run's first
// arenaMax takes are the earlier run's objects, in order; past arenaMax they
// are new. Catches a take that does not advance (two waiters of one run
// sharing an object), a rewind that does not reset (nothing reused), and an
// arena that keeps more than arenaMax.
func TestArenaTakesDistinctAndReuses(t *testing.T) {
	var a arena[int]
	first := make([]*int, arenaMax+3)
	seen := make(map[*int]bool)
	for i := range first {
		x := a.take()
		if seen[x] {
			t.Fatalf("take %d gave an object this run already took", i)
		}
		seen[x], first[i] = true, x
	}
	a.rewind()
	for i := range arenaMax {
		if x := a.take(); x != first[i] {
			t.Fatalf("after rewind, take %d gave a new object, want the earlier run's", i)
		}
	}
	if x := a.take(); seen[x] {
		t.Fatalf("after rewind, take %d gave an earlier run's object, want a new one (arenaMax %d)", arenaMax, arenaMax)
	}
	if len(a.made) != arenaMax {
		t.Fatalf("the arena keeps %d objects, want arenaMax %d", len(a.made), arenaMax)
	}
}

// TestDrainReusesItsEvents: a Runner's run of conformance's time-compression
// scenario (a drain whose barrier flushes, whose wait polls and times out,
// then a final flush) allocates at most 8 objects once an earlier run left
// its memory: the flush and drain waiters with their events, the
// subscription's drain callbacks, the connection's drain events and drain
// stream, the subscription list and the server connection's lists are the
// earlier run's (28 objects before they were). Catches any of them made
// anew each run, e.g. newFlushWait binding its events every time (+6: 14),
// waitSubs not taking from its arena (+2) or shut dropping the server
// connection's lists (+2: 10). That a reused waiter behaves as a new one is
// TestRunnerRecyclesWorlds' and TestRunnerMatchesRun's.
func TestDrainReusesItsEvents(t *testing.T) {
	sc, err := scenario.Load("../testdata/conformance/conn-drain-timeout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := GoProfile
	p.ReconnectJitter = 0
	cfg := Config{Profile: &p}
	var r Runner
	run := func() {
		if _, err := r.Run(sc, cfg); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if n := testing.AllocsPerRun(20, run); n > 8 {
		t.Errorf("a recycled run of %s allocates %.0f objects, want at most 8", sc.Name, n)
	}
}

// TestRemovalIDFollowsReason: removalID gives each removal's reason its
// own id, whatever the reason before it, the ids Ledger.Intern gives.
// Catches a removalID that returns the last reason's id without comparing
// the reasons (every removal recorded as the run's first reason).
func TestRemovalIDFollowsReason(t *testing.T) {
	w := &World{ledger: new(Ledger)}
	for _, by := range []string{"drain", "drain", "close", "drain", "max", "max", "unsubscribe", "close"} {
		if got, want := w.removalID(by), w.ledger.Intern(by); got != want {
			t.Fatalf("removalID(%q) = %d (%q), want %d", by, got, w.ledger.Str(got), want)
		}
	}
}

// TestPublishSiteIsConnSite: publishSite gives each publish action's call
// site what connSite gives, with the same ids in a ledger that interns
// the same strings in the same order, "publish" first met after the
// first action's source or, in the second run, before any (interned by
// a call of another verb's site first). Catches a publishSite that
// interns the verb before the source (the run's ids in another order).
func TestPublishSiteIsConnSite(t *testing.T) {
	c := &Conn{}
	for _, before := range []string{"", "publish"} {
		want, w := new(Ledger), &World{ledger: new(Ledger)}
		c.nameID = want.Intern("a")
		w.ledger.Intern("a")
		if before != "" {
			want.Intern(before)
			w.ledger.Intern(before)
		}
		for _, src := range []string{"actions[0]", "actions[1]", "actions[0]", "actions[7]"} {
			if got, want := w.publishSite(src, c), connSite(want, src, "publish", c, ""); got != want {
				t.Fatalf("interned %q first: publishSite(%q) = %+v, want connSite's %+v", before, src, got, want)
			}
		}
	}
}
