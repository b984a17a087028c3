package model

import (
	"slices"
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
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
		w, err := newWorld(sc, Config{}, nil)
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
	if got, want := reused.res.Calls, fresh.res.Calls; !slices.Equal(got, want) {
		t.Errorf("calls %+v, want %+v", got, want)
	}
	if n := len(reused.res.Calls); n != 6 || reused.res.Calls[0].Result != reused.ledger.Intern(ErrMaxPayload) {
		t.Errorf("%d calls, the first %q; want 6, the first refused with %s", n, reused.ledger.Str(reused.res.Calls[0].Result), ErrMaxPayload)
	}
}
