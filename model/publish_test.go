package model

import (
	"slices"
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestPubSiteAsFreshPublishes makes the calls of two publish actions twice,
// in two worlds of one scenario: once as a run does, each action reusing
// the site its first call prepared (publishAction), once through publish
// and call, which intern every string at every call. The ledgers and call records must be equal,
// interned ids included. The first action's message is over max_payload,
// so its first call interns the error between the message's strings and
// the call site's: preparing the call site before the publish gives the
// strings other ids (the break it catches), as does a site that keeps a
// wrong string.
func TestPubSiteAsFreshPublishes(t *testing.T) {
	sc, err := scenario.Parse("site.yaml", []byte(`
name: site
clients: [{name: app}]
actions:
  - {at: 0s, publish: {client: app, subject: big, reply: back, size: 2000000, count: 3}}
  - {at: 0s, publish: {client: app, subject: work, size: 10, count: 3}}
`))
	if err != nil {
		t.Fatal(err)
	}
	world := func(fresh bool) *World {
		w, err := newWorld(sc, Config{}, new(Runner))
		if err != nil {
			t.Fatal(err)
		}
		var sites [2]pubSite
		for range 3 {
			for i := range sites {
				if !fresh {
					w.publishAction(w.conns[0], i, &sites[i])
					continue
				}
				p := sc.Actions[i].Publish
				err, id := w.conns[0].publish(p.Subject, p.Reply, p.Size, p.Headers, true)
				w.call(actionSource(i), "publish", p.Client, "", w.sim.Now(), err, id)
			}
		}
		return w
	}
	reused, fresh := world(false), world(true)
	if got, want := reused.ledger.strs.strs, fresh.ledger.strs.strs; !slices.Equal(got, want) {
		t.Errorf("interned strings %q, want %q", got, want)
	}
	if got, want := reused.ledger.Messages, fresh.ledger.Messages; !slices.Equal(got, want) {
		t.Errorf("messages %+v, want %+v", got, want)
	}
	if got, want := reused.res.Calls(), fresh.res.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %+v, want %+v", got, want)
	}
	if n := reused.res.NumCalls(); n != 6 || reused.res.Calls()[0].Result != reused.ledger.Intern(ErrMaxPayload) {
		t.Errorf("%d calls, the first %q; want 6, the first refused with %s", n, reused.ledger.Str(reused.res.Calls()[0].Result), ErrMaxPayload)
	}
}

// TestRunnerStringsAsNew runs two scenarios that intern different strings
// one after the other on a Runner, and requires the second run's string
// table to be the one a plain Run makes: the same strings with the same
// ids, and the success result read back as "ok". It catches a table the
// Runner hands on without emptying its map (the last run's strings keep
// their ids) or its recent-strings slots (a string found there gets the
// last run's id).
func TestRunnerStringsAsNew(t *testing.T) {
	parse := func(src string) *scenario.Scenario {
		sc, err := scenario.Parse("strs.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	first := parse("name: a\nclients: [{name: pub}]\nactions:\n  - {at: 0s, publish: {client: pub, subject: one, count: 2}}\n")
	second := parse("name: b\nclients: [{name: app}]\nactions:\n  - {at: 0s, publish: {client: app, subject: two, reply: back, count: 2}}\n  - {at: 1ms, publish: {client: app, subject: one}}\n")
	var r Runner
	if _, err := r.Run(first, Config{}); err != nil {
		t.Fatal(err)
	}
	got, err := r.Run(second, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Run(second, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := got.Ledger.strs.strs, want.Ledger.strs.strs; !slices.Equal(g, w) {
		t.Errorf("strings after another run %q, want %q", g, w)
	}
	if !slices.Equal(got.Calls(), want.Calls()) {
		t.Errorf("calls %+v, want %+v", got.Calls(), want.Calls())
	}
	if res := got.Str(got.Calls()[0].Result); res != OK {
		t.Errorf("first call's result %q, want %q", res, OK)
	}
}

// TestQueueRoutingReusesLists checks that a producer's routings to queue
// groups list the groups and members in the lists its last one left,
// emptied (routing.listGroup, listMembers), then publishes a burst to a
// plain subscription and two queue groups on one subject, routed one
// message after another in those lists, and requires each message to
// reach the plain subscription and exactly one member of each group. It
// catches lists taken over without emptying them (listGroup without its
// [:0]: a routing would start with the last one's groups, in the last
// one's order) and lists not kept (an allocation a routing).
func TestQueueRoutingReusesLists(t *testing.T) {
	var p serverConn
	matches := []*serverSub{{queue: "a"}, {queue: "b"}, {queue: "a"}}
	rt := routing{matches: matches}
	for _, ss := range matches {
		rt.listGroup(ss.queue, &p)
	}
	rt.listMembers(&p)
	next := routing{matches: matches[1:]}
	next.listGroup("b", &p)
	next.listMembers(&p)
	if !slices.Equal(next.groups, []string{"b"}) || !slices.Equal(next.members, matches[1:2]) {
		t.Fatalf("next routing lists groups %q, members %v; want [b] and its one member", next.groups, next.members)
	}
	if &next.groups[0] != &rt.groups[0] || &next.members[0] != &rt.members[0] {
		t.Fatal("next routing lists in new lists, not in the last one's")
	}
	sc, err := scenario.Parse("q.yaml", []byte(`
name: q
clients: [{name: app}]
subscriptions:
  - {id: p, client: app, subject: work}
  - {id: a1, client: app, subject: work, queue: a}
  - {id: a2, client: app, subject: work, queue: a}
  - {id: b1, client: app, subject: work, queue: b}
  - {id: b2, client: app, subject: work, queue: b}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 40}}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Ledger.Messages {
		got := map[string]int{} // deliveries per plain subscription or group
		for _, d := range res.Ledger.DeliveriesOf(m.ID) {
			s := res.Subs[res.Ledger.Deliveries[d].Sub]
			got[s.ID[:1]]++
		}
		if got["p"] != 1 || got["a"] != 1 || got["b"] != 1 || len(got) != 3 {
			t.Fatalf("message %d: deliveries %v, want one each to p, a and b", m.ID, got)
		}
	}
	if len(res.Ledger.Messages) != 40 {
		t.Fatalf("%d messages, want 40", len(res.Ledger.Messages))
	}
}

// TestBurstCallsJoinOneRecord makes, as a publish action's calls, a burst
// of publishes (messages 1 to 3), one refused (4), two more (5, 6), one
// at a later time (7), one of another site (8) and one more of the first
// (9), and requires Calls to list exactly the records made one a call,
// and the 9 calls to take 6 records. Catches a join that ignores the
// result (4 joins 1-3), the time (7 joins 5-6) or another site's record
// in between (9 joins 7), and a listing that does not number the joined
// calls' messages (Msg repeated).
func TestBurstCallsJoinOneRecord(t *testing.T) {
	sc, err := scenario.Parse("burst.yaml", []byte("name: burst\nclients: [{name: app}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWorld(sc, Config{}, new(Runner))
	if err != nil {
		t.Fatal(err)
	}
	a, b := newCallSite(w.ledger, "actions[0]", "publish", "app", ""), newCallSite(w.ledger, "actions[1]", "publish", "app", "")
	var lastA, lastB int32
	var want []CallRecord
	call := func(cs *callSite, last *int32, at sim.Time, err string, msg int) {
		w.callAt(cs, at, err, msg, last)
		want = append(want, CallRecord{At: at, ReturnedAt: w.sim.Now(), Msg: msg,
			Source: cs.source, Verb: cs.verb, Client: cs.client, Result: w.resultID(err)})
	}
	for msg := 1; msg <= 6; msg++ {
		err := ""
		if msg == 4 {
			err = ErrMaxPayload
		}
		call(&a, &lastA, 0, err, msg)
	}
	call(&a, &lastA, 1, "", 7)
	call(&b, &lastB, 1, "", 8)
	call(&a, &lastA, 1, "", 9)
	if got := w.res.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %+v, want %+v", got, want)
	}
	if w.res.NumCalls() != 9 || len(w.res.calls) != 6 {
		t.Errorf("%d calls in %d records, want 9 in 6", w.res.NumCalls(), len(w.res.calls))
	}
}
