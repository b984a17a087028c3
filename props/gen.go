package props

import (
	"slices"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// GenScenario draws a small, valid drain scenario from c. It is written
// against sim.Chooser so that one generator serves both drivers: rapid
// (through RapidChooser, giving shrinkable counterexamples) and sim.PCG
// (fixed seeds, for mutation-kill tests and `drainsim check`).
//
// A scenario is drawn in three parts:
//
//   - the weather (swarm testing): which features and faults this run may
//     use at all (queue groups, sync subscriptions, pending limits,
//     requests, handler actions, stuck handlers, deferred subscriptions,
//     unsubscribes, closes, disconnects, server restarts, short drain
//     timeouts) and the network latency distribution;
//   - the topology: 1–3 clients with their options, 1–4 subscriptions with
//     handlers whose durations are distributions and whose actions reply,
//     publish, request, sleep, unsubscribe, drain their subscription or
//     drain the connection;
//   - 1–maxSteps steps interleaving API calls with time: each step either
//     lets virtual time pass or makes one call (publish, request, drain,
//     drain_sub, unsubscribe, auto_unsubscribe, subscribe, flush, close,
//     next_msg) or injects one fault (disconnect, restart_server) at the
//     current time. A scenario that drew no drain gets one at the end.
//
// The property tests also drive the steps from rapid's t.Repeat (see
// TestPropStateMachine). Every feature is switched on by a non-zero draw,
// so shrinking a rapid counterexample switches features off and moves times
// and counts towards their minimum.
//
// The scenario's fields are filled exactly as scenario.Parse would fill
// them, so Parse(Marshal(s)) gives back an equal scenario. Its seed (used
// when the model runs without an explicit Chooser, as `drainsim run` does)
// is drawn too, and its limits are 1 minute of virtual time and 2,000,000
// events.
func GenScenario(c sim.Chooser) *scenario.Scenario {
	return GenProfileScenario(c, &model.GoProfile)
}

// GenProfileScenario is GenScenario for the library of profile p: the
// scenario names p and uses only what p's library offers. There is no
// subscription drain when p has none; a library without a drain timeout
// gets none; one without a default timeout (the caller passes it) always
// gets one, now and then zero (for ever). For nats.go it draws exactly as
// GenScenario does.
func GenProfileScenario(c sim.Chooser, p *model.Profile) *scenario.Scenario {
	return genScenario(c, p, false)
}

// genScenario draws a scenario for profile p, on a generated topology
// when cluster (GenClusterScenario).
func genScenario(c sim.Chooser, p *model.Profile, cluster bool) *scenario.Scenario {
	return new(genMemory).draw(c, p, cluster)
}

// genMemory is the memory a scenario is drawn in: the builder, and the
// scenario with its lists of clients, subscriptions and actions. A swarm
// worker draws every scenario in one (swarmWorker), each overwriting the
// last: allocating them anew was half the bytes a check scenario
// allocated, and what the second worker cost beyond the first is mostly
// memory traffic.
type genMemory struct {
	b   builder
	sc  scenario.Scenario
	pcg sim.PCG // the generator seed's, for a swarm worker's draw (SwarmConfig.generate)
}

// draw is genScenario in m's memory: the scenario it returns is m's, and
// is overwritten by the next draw.
func (m *genMemory) draw(c sim.Chooser, p *model.Profile, cluster bool) *scenario.Scenario {
	b := &m.b
	b.start(c, p, cluster, &m.sc)
	n := b.intIn("steps", 1, maxSteps)
	// Room for the steps and the final drain, beside the next_msg
	// actions of the sync subscriptions; restart flaps may add more.
	b.sc.Actions = slices.Grow(b.sc.Actions, n+1)
	for i := 0; i < n; i++ {
		b.step(b.pickStep())
	}
	return b.finish()
}

// maxSteps bounds the steps GenScenario draws.
const maxSteps = 12

// genValues is the memory of the values a drawn scenario's actions,
// handlers and options point at. A swarm worker's builder (genMemory)
// reuses it from one scenario to the next, as it reuses the scenario's
// lists: allocating each value was 10 of the 80 allocations of a check
// scenario.
type genValues struct {
	publishes   slab[scenario.Publish]
	requests    slab[scenario.Request]
	clientRefs  slab[scenario.ClientRef]
	drainSubs   slab[scenario.DrainSub]
	subRefs     slab[scenario.SubRef]
	autoUnsubs  slab[scenario.AutoUnsubscribe]
	flushes     slab[scenario.Flush]
	nextMsgs    slab[scenario.NextMsg]
	disconnects slab[scenario.Disconnect]
	restarts    slab[scenario.RestartServer]
	replies     slab[scenario.Reply]
	drains      slab[scenario.HandlerDrain]
	dists       slab[sim.Dist]
	ints        slab[int]
	durations   slab[time.Duration]
	actions     slab[scenario.HandlerAction] // handlers' action lists
	topologies  slab[scenario.Topology]
	servers     slab[scenario.ServerNode] // topologies' server lists
	links       slab[scenario.Link]       // topologies' route, gateway and leafnode lists
}

// empty makes every value of v free for the next scenario's draw: the
// previous scenario, which points at them, is overwritten by it.
func (v *genValues) empty() {
	v.publishes.used, v.requests.used, v.clientRefs.used, v.drainSubs.used = 0, 0, 0, 0
	v.subRefs.used, v.autoUnsubs.used, v.flushes.used, v.nextMsgs.used = 0, 0, 0, 0
	v.disconnects.used, v.restarts.used, v.replies.used, v.drains.used = 0, 0, 0, 0
	v.dists.used, v.ints.used, v.durations.used, v.actions.used = 0, 0, 0, 0
	v.topologies.used, v.servers.used, v.links.used = 0, 0, 0
}

// slab hands out elements of an array it keeps, for values that would
// otherwise be allocated one by one. When the array is used up, it moves
// to a new one twice as large; what it handed out of the old one stays
// valid.
type slab[T any] struct {
	items []T
	used  int // items[:used] are handed out
}

// take hands out the next n elements.
func (s *slab[T]) take(n int) []T {
	if s.used+n > len(s.items) {
		s.items, s.used = make([]T, max(8, n, 2*len(s.items))), 0
	}
	s.used += n
	return s.items[s.used-n : s.used : s.used]
}

// put hands out an element holding x.
func (s *slab[T]) put(x T) *T {
	p := &s.take(1)[0]
	*p = x
	return p
}

// list hands out an empty list with room for n elements: appending up to n
// allocates nothing.
func (s *slab[T]) list(n int) []T { return s.take(n)[:0] }

// orNil returns l, or nil when l is empty, as scenario.Parse leaves a
// list without elements.
func orNil[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Subjects used by generated scenarios.
const (
	svcSubject   = "svc"   // served by the responder subscription
	outSubject   = "out"   // nobody listens: handler publishes go here
	replySubject = "inbox" // reply subject of some publishes; nobody listens
)

// stuckFor is how long a stuck handler sleeps: longer than the longest
// short drain timeout drawn (2 s) plus the final flush timeout (5 s).
const stuckFor = 10 * time.Second

var subjects = [...]string{"t0", "t1"}

// Client names and subscription ids of generated scenarios, written out
// once: formatting them for every scenario was a tenth of the
// generator's allocations.
var (
	genClients = [...]string{"c0", "c1", "c2"}
	genSubs    = [...]string{"s0", "s1", "s2", "s3"}
)

// weather is what one generated run may use at all (swarm testing: each
// feature is on in about half the runs, so that runs without it explore
// the others more deeply).
type weather struct {
	queues, syncSubs, pendingLimits, requests, handlerActions, stuck, deferred bool
	unsubscribes, closes, disconnects, restarts, shortTimeouts                 bool
}

// builder draws a scenario step by step.
type builder struct {
	c        sim.Chooser
	p        *model.Profile
	w        weather
	sc       *scenario.Scenario
	now      time.Duration // virtual time of the next step
	drains   int           // drain and drain_sub steps so far
	deferred []string      // deferred subscription ids
	syncSubs []string      // sync subscription ids
	cluster  bool          // draw a topology (GenClusterScenario)
	vals     genValues     // what the scenario's actions, handlers and options point at
}

// newBuilder draws the weather and the clients and subscriptions for
// profile p, and, when cluster, the servers they are placed on.
func newBuilder(c sim.Chooser, p *model.Profile, cluster bool) *builder {
	b := new(builder)
	b.start(c, p, cluster, new(scenario.Scenario))
	return b
}

// start is newBuilder in b's and sc's memory: it empties both, keeping the
// arrays of their lists, and draws into them.
func (b *builder) start(c sim.Chooser, p *model.Profile, cluster bool, sc *scenario.Scenario) {
	*b = builder{c: c, p: p, cluster: cluster, deferred: b.deferred[:0], syncSubs: b.syncSubs[:0], vals: b.vals}
	b.vals.empty()
	b.w = weather{
		queues:         b.chance("swarm-queues", 50),
		syncSubs:       b.chance("swarm-sync", 50),
		pendingLimits:  b.chance("swarm-pending-limits", 50),
		requests:       b.chance("swarm-requests", 50),
		handlerActions: b.chance("swarm-handler-actions", 50),
		stuck:          b.chance("swarm-stuck", 30),
		deferred:       b.chance("swarm-deferred", 30),
		unsubscribes:   b.chance("swarm-unsubscribes", 50),
		closes:         b.chance("swarm-closes", 30),
		disconnects:    b.chance("swarm-disconnects", 40),
		restarts:       b.chance("swarm-restarts", 30),
		shortTimeouts:  b.chance("swarm-short-timeouts", 60),
	}
	if cluster {
		// The model refuses restart_server in a cluster
		// (docs/cluster.md#not-yet-modelled).
		b.w.restarts = false
	}
	*sc = scenario.Scenario{
		Clients: sc.Clients[:0], Subs: sc.Subs[:0], Actions: sc.Actions[:0],
		Name:        "generated",
		Description: "drawn by props.GenScenario",
		Profile:     p.Name,
		Seed:        uint64(b.intIn("seed", 0, 1<<30)),
		Limits:      scenario.Limits{MaxTime: time.Minute, MaxEvents: 2_000_000, MaxRecords: scenario.DefaultMaxRecords},
		Network:     scenario.Network{Latency: b.dist(&latencyLabels, 50*time.Microsecond, 40)},
		Server:      scenario.Server{NoResponders: !p.NoHeaders},
	}
	b.sc = sc
	b.clients()
	b.subscriptions()
	if cluster {
		b.topology()
	}
}

// intIn draws an int in [lo, hi]; shrinking moves it towards lo.
func (b *builder) intIn(label string, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + b.c.IntN(label, hi-lo+1)
}

// chance is true with probability pct/100; a zero draw means false.
func (b *builder) chance(label string, pct int) bool {
	return b.c.IntN(label, 100) >= 100-pct
}

func (b *builder) dur(label string, unit time.Duration, lo, hi int) time.Duration {
	return unit * time.Duration(b.intIn(label, lo, hi))
}

// distLabels are the Chooser labels of one distribution draw (dist): its
// kind and its parameters, named after the draw.
type distLabels struct {
	name, kind, lo, hi, mean, median string
}

// newDistLabels names the draws of the distribution called name.
func newDistLabels(name string) distLabels {
	return distLabels{name: name, kind: name + "-kind", lo: name + "-lo", hi: name + "-hi", mean: name + "-mean", median: name + "-median"}
}

// The labels of the generator's distributions, built once: a label
// concatenated at each draw escapes through the Chooser interface, one
// allocation per draw.
var (
	latencyLabels         = newDistLabels("latency")
	handlerDurationLabels = newDistLabels("handler-duration")
	svcDurationLabels     = newDistLabels("svc-duration")
	routeLatencyLabels    = newDistLabels("route-latency")
	gatewayLatencyLabels  = newDistLabels("gateway-latency")
	leafLatencyLabels     = newDistLabels("leaf-latency")
)

// dist draws a distribution of durations of about [0, max] units: constant
// (the zero draw), uniform, exponential or log-normal.
func (b *builder) dist(l *distLabels, unit time.Duration, max int) sim.Dist {
	switch b.c.IntN(l.kind, 8) {
	case 5:
		lo := b.intIn(l.lo, 0, max)
		return sim.Dist{Kind: sim.Uniform, A: unit * time.Duration(lo), B: b.dur(l.hi, unit, lo, max)}
	case 6:
		return sim.Dist{Kind: sim.Exponential, A: b.dur(l.mean, unit, 0, max/2)}
	case 7:
		return sim.Dist{Kind: sim.LogNormal, A: b.dur(l.median, unit, 0, max/2), Sigma: 0.5}
	}
	return sim.Const(b.dur(l.name, unit, 0, max))
}

func (b *builder) pick(label string, n int) int { return b.c.IntN(label, n) }

func (b *builder) client(label string) string {
	return b.sc.Clients[b.pick(label, len(b.sc.Clients))].Name
}

func (b *builder) sub(label string) string {
	return b.sc.Subs[b.pick(label, len(b.sc.Subs))].ID
}

func (b *builder) clients() {
	n := b.intIn("clients", 1, len(genClients))
	b.sc.Clients = slices.Grow(b.sc.Clients, n)
	for i := range n {
		cl := scenario.Client{Name: genClients[i], AllowReconnect: !b.chance("no-reconnect", 10)}
		cl.NoCallbacksAfterClose = b.chance("no-callbacks-after-close", 15)
		cl.DrainTimeout = b.drainTimeout()
		if (b.w.disconnects || b.w.restarts) && b.chance("fast-reconnect", 50) {
			cl.ReconnectWait = b.vals.durations.put(b.dur("reconnect-wait", 10*time.Millisecond, 0, 50))
		}
		b.sc.Clients = append(b.sc.Clients, cl)
	}
}

// drainTimeout draws a client's drain timeout option, or nil for the
// profile's default: short ones in short-timeout weather; none for a
// library without a drain timeout; and for a library without a default
// (the caller passes one) 30 s, or now and then zero.
func (b *builder) drainTimeout() *time.Duration {
	var dt time.Duration
	switch {
	case b.p.TimeoutStart == model.NoTimeout:
		return nil
	case b.w.shortTimeouts:
		dt = b.dur("drain-timeout", 100*time.Millisecond, 0, 20)
	case b.p.DrainTimeout != 0:
		return nil
	case !b.chance("drain-timeout-zero", 20):
		dt = 30 * time.Second
	}
	return b.vals.durations.put(dt)
}

func (b *builder) subscriptions() {
	needSvc := false
	n := b.intIn("subs", 1, len(genSubs))
	b.sc.Subs = slices.Grow(b.sc.Subs, n+1) // and the responder
	for i := range n {
		s := scenario.Subscription{ID: genSubs[i]}
		if i > 0 && b.w.queues && b.chance("queue-member", 50) {
			// Join the previous subscription's queue group, from the next
			// client when there is one.
			prev := &b.sc.Subs[i-1]
			prev.Queue = "q"
			s.Subject, s.Queue = prev.Subject, "q"
			s.Client = b.sc.Clients[(clientIndex(b.sc, prev.Client)+1)%len(b.sc.Clients)].Name
		} else {
			s.Client = b.client("sub-client")
			s.Subject = subjects[b.pick("sub-subject", len(subjects))]
			if b.w.syncSubs && b.chance("sync", 35) && b.p.SyncSubAPI {
				s.Type = scenario.Sync
			}
		}
		if b.w.deferred && b.chance("deferred", 35) {
			s.Deferred = true
			b.deferred = append(b.deferred, s.ID)
		}
		if s.Type == scenario.Async {
			var req bool
			s.Handler, req = b.handler()
			needSvc = needSvc || req
		} else {
			b.syncSubs = append(b.syncSubs, s.ID)
		}
		if b.w.pendingLimits && b.chance("pending-limit", 50) {
			s.PendingMsgsLimit = b.vals.ints.put(b.intIn("pending-msgs-limit", 1, 5))
		}
		b.sc.Subs = append(b.sc.Subs, s)
	}
	if (needSvc || b.w.requests) && !b.chance("no-responder", 15) {
		b.sc.Subs = append(b.sc.Subs, scenario.Subscription{
			ID: "svc", Client: b.client("svc-client"), Subject: svcSubject,
			Handler: scenario.Handler{
				Duration: b.dist(&svcDurationLabels, time.Millisecond, 10),
				Actions:  append(b.vals.actions.list(1), scenario.HandlerAction{Reply: b.vals.replies.put(scenario.Reply{Size: 16})}),
			},
		})
	}
	// The application reads its sync subscriptions; usually enough times to
	// empty them, sometimes not.
	for _, id := range b.syncSubs {
		count := 50
		if b.chance("next-msg-few", 20) {
			count = b.intIn("next-msg-count", 1, 10)
		}
		b.sc.Actions = append(b.sc.Actions, scenario.Action{
			At:      b.dur("next-msg-at", time.Millisecond, 0, 30),
			NextMsg: b.vals.nextMsgs.put(scenario.NextMsg{Sub: id, Timeout: b.dur("next-msg-timeout", 10*time.Millisecond, 1, 10), Count: count}),
		})
	}
}

// handler draws an async subscription's handler; req reports whether it
// makes requests to the responder.
func (b *builder) handler() (h scenario.Handler, req bool) {
	h.Duration = b.dist(&handlerDurationLabels, time.Millisecond, 50)
	h.Actions = b.vals.actions.list(maxHandlerActions)
	if b.w.handlerActions {
		if b.chance("handler-reply", 50) {
			h.Actions = append(h.Actions, scenario.HandlerAction{Reply: b.vals.replies.put(scenario.Reply{Size: 16})})
		}
		if b.w.requests && b.chance("handler-request", 25) {
			req = true
			h.Actions = append(h.Actions, scenario.HandlerAction{Request: b.vals.requests.put(scenario.Request{
				Subject: svcSubject, Size: 16, Count: 1,
				Timeout: b.dur("handler-request-timeout", 100*time.Millisecond, 1, 5),
			})})
		}
		if b.chance("handler-publish", 15) {
			h.Actions = append(h.Actions, scenario.HandlerAction{Publish: b.vals.publishes.put(scenario.Publish{Subject: outSubject, Size: 16, Count: 1})})
		}
		// Now and then the n-th callback ends its own subscription or
		// drains the connection.
		switch b.pick("handler-end", 12) {
		case 9:
			h.Actions = append(h.Actions, scenario.HandlerAction{Nth: b.intIn("handler-end-nth", 1, 5), Unsubscribe: &struct{}{}})
		case 10:
			a := scenario.HandlerAction{Nth: b.intIn("handler-end-nth", 1, 5)}
			if b.p.SubDrainAPI {
				a.DrainSub = b.vals.drainSubs.put(scenario.DrainSub{})
			} else {
				a.Drain = b.vals.drains.put(scenario.HandlerDrain{})
			}
			h.Actions = append(h.Actions, a)
		case 11:
			h.Actions = append(h.Actions, scenario.HandlerAction{Nth: b.intIn("handler-end-nth", 1, 5), Drain: b.vals.drains.put(scenario.HandlerDrain{})})
		}
	}
	// A handler that gets stuck on one message for longer than any short
	// drain timeout the generator draws.
	if b.w.stuck && b.chance("handler-stuck", 20) {
		h.Actions = append(h.Actions, scenario.HandlerAction{Nth: b.intIn("handler-stuck-nth", 1, 3), Sleep: b.vals.dists.put(sim.Const(stuckFor))})
	}
	h.Actions = orNil(h.Actions)
	return h, req
}

// maxHandlerActions is the most actions handler draws: a reply, a
// request, a publish, an end and a stuck sleep.
const maxHandlerActions = 5

// stepKinds names the steps, with their weights when GenScenario picks one
// (t.Repeat picks uniformly among the applicable ones).
var stepKinds = []struct {
	name   string
	weight int
}{
	{"wait", 4}, {"publish", 4}, {"drain", 2}, {"drain_sub", 1}, {"request", 1}, {"unsubscribe", 1},
	{"auto_unsubscribe", 1}, {"subscribe", 1}, {"flush", 1}, {"close", 1}, {"next_msg", 1},
	{"disconnect", 1}, {"restart_server", 1},
}

// applicable reports whether a step of the kind may be drawn in this run.
func (b *builder) applicable(kind string) bool {
	switch kind {
	case "request":
		return b.w.requests
	case "unsubscribe", "auto_unsubscribe":
		return b.w.unsubscribes
	case "subscribe":
		return len(b.deferred) > 0
	case "close":
		return b.w.closes
	case "drain_sub":
		return b.p.SubDrainAPI
	case "next_msg":
		return len(b.syncSubs) > 0
	case "disconnect":
		return b.w.disconnects
	case "restart_server":
		return b.w.restarts
	}
	return true
}

// pickStep draws an applicable step kind, by weight.
func (b *builder) pickStep() string {
	total := 0
	for _, k := range stepKinds {
		if b.applicable(k.name) {
			total += k.weight
		}
	}
	n := b.pick("step", total)
	for _, k := range stepKinds {
		if !b.applicable(k.name) {
			continue
		}
		if n < k.weight {
			return k.name
		}
		n -= k.weight
	}
	panic("props: pickStep out of range")
}

// step draws and appends one step of the given kind at the current time.
func (b *builder) step(kind string) {
	a := scenario.Action{At: b.now}
	switch kind {
	case "wait":
		if b.chance("wait-long", 20) {
			b.now += b.dur("wait", 100*time.Millisecond, 1, 30)
		} else {
			b.now += b.dur("wait", time.Millisecond, 0, 30)
		}
		return
	case "publish":
		a.Publish = b.vals.publishes.put(scenario.Publish{
			Client:   b.client("publish-client"),
			Subject:  subjects[b.pick("publish-subject", len(subjects))],
			Size:     32 * b.intIn("publish-size", 0, 4),
			Count:    b.intIn("publish-count", 1, 50),
			Interval: b.dur("publish-interval", 500*time.Microsecond, 0, 10),
		})
		if b.chance("publish-reply", 30) {
			a.Publish.Reply = replySubject
		}
	case "request":
		subject := svcSubject
		if b.chance("request-to-sub", 40) {
			subject = b.sc.Subs[b.pick("request-sub", len(b.sc.Subs))].Subject
		}
		a.Request = b.vals.requests.put(scenario.Request{
			Client: b.client("request-client"), Subject: subject, Size: 16,
			Timeout:  b.dur("request-timeout", 100*time.Millisecond, 1, 10),
			Count:    b.intIn("request-count", 1, 3),
			Interval: b.dur("request-interval", time.Millisecond, 0, 5),
		})
	case "drain":
		b.drains++
		a.Drain = b.vals.clientRefs.put(scenario.ClientRef{Client: b.client("drain-client")})
	case "drain_sub":
		b.drains++
		a.DrainSub = b.vals.drainSubs.put(scenario.DrainSub{Sub: b.sub("drain-sub")})
	case "unsubscribe":
		a.Unsubscribe = b.vals.subRefs.put(scenario.SubRef{Sub: b.sub("unsubscribe-sub")})
	case "auto_unsubscribe":
		a.AutoUnsubscribe = b.vals.autoUnsubs.put(scenario.AutoUnsubscribe{Sub: b.sub("auto-unsubscribe-sub"), Max: b.intIn("auto-unsubscribe-max", 1, 10)})
	case "subscribe":
		a.Subscribe = b.vals.subRefs.put(scenario.SubRef{Sub: b.deferred[b.pick("subscribe-sub", len(b.deferred))]})
	case "flush":
		a.Flush = b.vals.flushes.put(scenario.Flush{Client: b.client("flush-client"), Timeout: b.dur("flush-timeout", 100*time.Millisecond, 1, 10)})
	case "close":
		a.Close = b.vals.clientRefs.put(scenario.ClientRef{Client: b.client("close-client")})
	case "next_msg":
		a.NextMsg = b.vals.nextMsgs.put(scenario.NextMsg{
			Sub:     b.syncSubs[b.pick("next-msg-sub", len(b.syncSubs))],
			Timeout: b.dur("next-msg-timeout", 10*time.Millisecond, 1, 10),
			Count:   b.intIn("next-msg-count", 1, 20),
		})
	case "disconnect":
		a.Disconnect = b.vals.disconnects.put(scenario.Disconnect{Client: b.client("disconnect-client"), For: b.dur("disconnect-for", 50*time.Millisecond, 0, 40)})
	case "restart_server":
		a.RestartServer = b.vals.restarts.put(scenario.RestartServer{For: b.dur("restart-for", 50*time.Millisecond, 0, 20)})
		// Sometimes the server flaps: more restarts follow, a few ms apart,
		// so that some land while clients are in the middle of reconnecting.
		if b.chance("restart-flap", 30) {
			gap := b.dur("flap-gap", 500*time.Microsecond, 1, 10)
			for k, n := 1, b.intIn("flap-count", 1, 10); k <= n; k++ {
				b.sc.Actions = append(b.sc.Actions, scenario.Action{At: b.now + time.Duration(k)*gap, RestartServer: b.vals.restarts.put(scenario.RestartServer{})})
			}
		}
	default:
		panic("props: unknown step " + kind)
	}
	b.sc.Actions = append(b.sc.Actions, a)
}

// finish makes sure the scenario drains something and returns it.
func (b *builder) finish() *scenario.Scenario {
	if b.drains == 0 {
		if b.chance("final-sub-drain", 30) && b.p.SubDrainAPI {
			b.step("drain_sub")
		} else {
			b.step("drain")
		}
	}
	return b.sc
}

func clientIndex(sc *scenario.Scenario, name string) int {
	for i := range sc.Clients {
		if sc.Clients[i].Name == name {
			return i
		}
	}
	return 0
}
