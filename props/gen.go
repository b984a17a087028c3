package props

import (
	"fmt"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// GenScenario draws a small, valid drain scenario from c. It is written
// against sim.Chooser so that one generator serves both drivers: rapid
// (through RapidChooser, giving shrinkable counterexamples) and sim.PCG
// (fixed seeds, for mutation-kill tests and sweeps).
//
// A scenario has 1–3 clients and 1–4 subscriptions (mostly async, some
// sync with a next_msg action, sometimes a queue group across two clients,
// sometimes a small pending limit), handlers that take 0–50 ms and may
// reply, publish or make a request (and rarely get stuck for 10 s on one
// message), 0–2 ms of network latency, 1–3 publish actions of 1–50 small
// messages, sometimes a request, then one drain: of a connection (with a
// drain timeout of 0–2 s, so sometimes too short) or of a subscription.
// Sometimes another subscription is unsubscribed, and rarely the drained
// connection is broken during its drain. Every feature is switched on by a
// non-zero draw, so shrinking a rapid counterexample switches features off
// and moves times and counts towards their minimum.
//
// The scenario's fields are filled exactly as scenario.Parse would fill
// them, so Parse(Marshal(s)) gives back an equal scenario. Its seed (used
// only when the model runs without an explicit Chooser) is drawn too, and
// its limits are 1 minute of virtual time and 2,000,000 events.
func GenScenario(c sim.Chooser) *scenario.Scenario {
	g := &gen{c: c}
	return g.scenario()
}

// Subjects used by generated scenarios.
const (
	svcSubject = "svc" // served by the responder subscription
	outSubject = "out" // nobody listens: handler publishes go here
)

// stuckFor is how long a stuck handler sleeps: longer than the longest
// drain timeout drawn (2 s) plus the final flush timeout (5 s).
const stuckFor = 10 * time.Second

var subjects = [...]string{"t0", "t1"}

type gen struct {
	c sim.Chooser
}

// intIn draws an int in [lo, hi]; shrinking moves it towards lo.
func (g *gen) intIn(label string, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + g.c.IntN(label, hi-lo+1)
}

// chance is true with probability pct/100; a zero draw means false.
func (g *gen) chance(label string, pct int) bool {
	return g.c.IntN(label, 100) >= 100-pct
}

func (g *gen) dur(label string, unit time.Duration, lo, hi int) time.Duration {
	return unit * time.Duration(g.intIn(label, lo, hi))
}

// dist draws a constant or uniform distribution in [0, max] with the given
// resolution.
func (g *gen) dist(label string, unit time.Duration, max int) sim.Dist {
	if g.chance(label+"-uniform", 35) {
		lo := g.intIn(label+"-lo", 0, max)
		hi := g.intIn(label+"-hi", lo, max)
		return sim.Dist{Kind: sim.Uniform, A: unit * time.Duration(lo), B: unit * time.Duration(hi)}
	}
	return sim.Const(g.dur(label, unit, 0, max))
}

func (g *gen) scenario() *scenario.Scenario {
	sc := &scenario.Scenario{
		Name:        "generated",
		Description: "drawn by props.GenScenario",
		Profile:     scenario.DefaultProfile,
		Seed:        uint64(g.intIn("seed", 0, 1<<30)),
		Limits:      scenario.Limits{MaxTime: time.Minute, MaxEvents: 2_000_000},
		Network:     scenario.Network{Latency: g.dist("latency", 50*time.Microsecond, 40)},
		Server:      scenario.Server{NoResponders: true},
	}

	nClients := g.intIn("clients", 1, 3)
	for i := 0; i < nClients; i++ {
		cl := scenario.Client{Name: fmt.Sprintf("c%d", i), AllowReconnect: true}
		cl.NoCallbacksAfterClose = g.chance("no-callbacks-after-close", 10)
		sc.Clients = append(sc.Clients, cl)
	}
	client := func(label string) string { return sc.Clients[g.c.IntN(label, nClients)].Name }

	nSubs := g.intIn("subs", 1, 4)
	queue := nSubs >= 2 && g.chance("queue-group", 20)
	needSvc := false
	var syncSubs []string
	for i := 0; i < nSubs; i++ {
		s := scenario.Subscription{ID: fmt.Sprintf("s%d", i)}
		if queue && i == 1 {
			// The second member of the queue group, on another client when
			// there is one.
			s.Client = sc.Clients[(clientIndex(sc, sc.Subs[0].Client)+1)%nClients].Name
			s.Subject, s.Queue = sc.Subs[0].Subject, "q"
			sc.Subs[0].Queue = "q"
		} else {
			s.Client = client("sub-client")
			s.Subject = subjects[g.c.IntN("sub-subject", len(subjects))]
			if !(queue && i == 0) && g.chance("sync", 15) {
				s.Type = scenario.Sync
			}
		}
		if s.Type == scenario.Async {
			var req bool
			s.Handler, req = g.handler()
			needSvc = needSvc || req
		} else {
			syncSubs = append(syncSubs, s.ID)
		}
		if g.chance("pending-limit", 15) {
			v := g.intIn("pending-msgs-limit", 1, 5)
			s.PendingMsgsLimit = &v
		}
		sc.Subs = append(sc.Subs, s)
	}

	// Publishes, then sometimes a request.
	for i, n := 0, g.intIn("publishes", 1, 3); i < n; i++ {
		sc.Actions = append(sc.Actions, scenario.Action{
			At: g.dur("publish-at", time.Millisecond, 0, 20),
			Publish: &scenario.Publish{
				Client:   client("publish-client"),
				Subject:  subjects[g.c.IntN("publish-subject", len(subjects))],
				Size:     32 * g.intIn("publish-size", 0, 4),
				Count:    g.intIn("publish-count", 1, 50),
				Interval: g.dur("publish-interval", 500*time.Microsecond, 0, 10),
			},
		})
	}
	if g.chance("request", 25) {
		subject := svcSubject
		if g.chance("request-to-sub", 40) {
			subject = sc.Subs[g.c.IntN("request-sub", nSubs)].Subject
		} else {
			needSvc = true
		}
		sc.Actions = append(sc.Actions, scenario.Action{
			At: g.dur("request-at", time.Millisecond, 0, 20),
			Request: &scenario.Request{
				Client:   client("request-client"),
				Subject:  subject,
				Size:     16,
				Timeout:  g.dur("request-timeout", 100*time.Millisecond, 1, 10),
				Count:    g.intIn("request-count", 1, 5),
				Interval: g.dur("request-interval", time.Millisecond, 0, 5),
			},
		})
	}
	if needSvc && !g.chance("no-responder", 15) {
		sc.Subs = append(sc.Subs, scenario.Subscription{
			ID: "svc", Client: client("svc-client"), Subject: svcSubject,
			Handler: scenario.Handler{
				Duration: g.dist("svc-duration", time.Millisecond, 10),
				Actions:  []scenario.HandlerAction{{Reply: &scenario.Reply{Size: 16}}},
			},
		})
	}

	// The application reads sync subscriptions; usually enough times to
	// empty them, sometimes not.
	for _, id := range syncSubs {
		count := 200
		if g.chance("next-msg-few", 20) {
			count = g.intIn("next-msg-count", 1, 10)
		}
		sc.Actions = append(sc.Actions, scenario.Action{
			At:      g.dur("next-msg-at", time.Millisecond, 0, 30),
			NextMsg: &scenario.NextMsg{Sub: id, Timeout: g.dur("next-msg-timeout", 100*time.Millisecond, 1, 10), Count: count},
		})
	}

	// The drain: of a subscription or of a connection.
	drainAt := g.dur("drain-at", time.Millisecond, 0, 30)
	drainedSub := ""
	drainedClient := -1
	if g.chance("sub-drain", 30) {
		drainedSub = sc.Subs[g.c.IntN("drain-sub", nSubs)].ID
		sc.Actions = append(sc.Actions, scenario.Action{At: drainAt, DrainSub: &scenario.SubRef{Sub: drainedSub}})
	} else {
		drainedClient = g.c.IntN("drain-client", nClients)
		if !g.chance("default-drain-timeout", 10) {
			dt := g.dur("drain-timeout", 100*time.Millisecond, 0, 20)
			sc.Clients[drainedClient].DrainTimeout = &dt
		}
		sc.Actions = append(sc.Actions, scenario.Action{At: drainAt, Drain: &scenario.ClientRef{Client: sc.Clients[drainedClient].Name}})
	}
	// Sometimes another subscription is unsubscribed: at any time, or just
	// after the drain started (Unsubscribe is refused while draining).
	if g.chance("unsubscribe", 20) {
		if id := sc.Subs[g.c.IntN("unsubscribe-sub", nSubs)].ID; id != drainedSub {
			at := g.dur("unsubscribe-at", time.Millisecond, 0, 40)
			if g.chance("unsubscribe-during-drain", 30) {
				at = drainAt + g.dur("unsubscribe-after-drain", time.Millisecond, 0, 10)
			}
			sc.Actions = append(sc.Actions, scenario.Action{At: at, Unsubscribe: &scenario.SubRef{Sub: id}})
		}
	}
	// A broken link during a connection drain. Only the drained client is
	// disconnected, and only once its drain has started: a subscription
	// drained while its connection reconnects is re-subscribed and leaks
	// interest (nats.go behaviour, reference §9.8), which is not what these
	// scenarios test.
	if drainedClient >= 0 && g.chance("disconnect", 8) {
		sc.Actions = append(sc.Actions, scenario.Action{
			At: drainAt + g.dur("disconnect-after", time.Millisecond, 0, 20),
			Disconnect: &scenario.Disconnect{
				Client: sc.Clients[drainedClient].Name,
				For:    g.dur("disconnect-for", 10*time.Millisecond, 0, 10),
			},
		})
	}
	return sc
}

// handler draws an async subscription's handler; req reports whether it
// makes a request to the responder.
func (g *gen) handler() (h scenario.Handler, req bool) {
	h.Duration = g.dist("handler-duration", time.Millisecond, 50)
	if g.chance("handler-reply", 30) {
		h.Actions = append(h.Actions, scenario.HandlerAction{Reply: &scenario.Reply{Size: 16}})
	}
	if g.chance("handler-request", 15) {
		req = true
		h.Actions = append(h.Actions, scenario.HandlerAction{Request: &scenario.Request{
			Subject: svcSubject, Size: 16, Count: 1,
			Timeout: g.dur("handler-request-timeout", 100*time.Millisecond, 1, 5),
		}})
	}
	if g.chance("handler-publish", 10) {
		h.Actions = append(h.Actions, scenario.HandlerAction{Publish: &scenario.Publish{Subject: outSubject, Size: 16, Count: 1}})
	}
	// A handler that gets stuck on one message for longer than any drain
	// timeout the generator draws.
	if g.chance("handler-stuck", 8) {
		stuck := sim.Const(stuckFor)
		h.Actions = append(h.Actions, scenario.HandlerAction{Nth: g.intIn("handler-stuck-nth", 1, 3), Sleep: &stuck})
	}
	return h, req
}

func clientIndex(sc *scenario.Scenario, name string) int {
	for i := range sc.Clients {
		if sc.Clients[i].Name == name {
			return i
		}
	}
	return 0
}
