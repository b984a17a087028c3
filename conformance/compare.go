package conformance

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drainsim/drainsim/model"
)

// Side is one run of a scenario, by the model or by the real stack: its
// outcome and the key of each message ID in it.
type Side struct {
	Outcome *model.Outcome
	Keys    map[int]Key
}

// ModelSide runs nothing: it packages a finished model run for Compare.
func ModelSide(res *model.Result) *Side {
	return &Side{Outcome: res.Outcome(), Keys: ModelKeys(res)}
}

// key returns the key of message id ("" for none).
func (s *Side) key(id int) Key {
	if id == 0 {
		return ""
	}
	if k, ok := s.Keys[id]; ok {
		return k
	}
	return fmt.Sprintf("#%d", id)
}

// Diff is one disagreement between the model and the real stack.
type Diff struct {
	What  string // where: "calls actions[2][0] result", "sub s delivered[3]"
	Model string
	Real  string
}

func (d Diff) String() string {
	return fmt.Sprintf("%s: model %s, real %s", d.What, d.Model, d.Real)
}

// Compare lists the disagreements between a model run m and a real run r
// of the same prepared scenario, in a fixed order: calls, connections,
// subscriptions. What is compared, and what is not, is described in the
// docs/conformance.md; times are compared with tol.
func Compare(m, r *Side, tol Tolerance) []Diff {
	return CompareObserved(m, r, tol, &GoObserves)
}

// CompareObserved is Compare restricted to what a library lets its driver
// observe: both outcomes are projected through obs first. Time classes are
// still taken from the model's whole outcome.
func CompareObserved(m, r *Side, tol Tolerance, obs *Observes) []Diff {
	return newModelView(m, obs).compare(r, tol)
}

// modelView is what a comparison derives from the model's side alone:
// its projection through obs, its publication times and its calls by
// source. agrees compares one model run with each of its perturbed
// variants in turn, and derives these once for all of them (they were
// a quarter of what Replayable allocated); compare reads a view and never
// changes it (TestModelViewIsReusable).
type modelView struct {
	m       *Side
	full    *model.Outcome // the model's outcome before projection
	obs     *Observes
	pubAt   map[Key]publication
	mBy     map[string][]model.CallOutcome // m's calls by source (callGroups.group)
	sources []string                       // their sources, clipped: a comparison appends to a copy

	// The memory of m, its projection and its groups, which derive
	// reuses when the view is derived again (agrees' replayer).
	side      Side
	projected model.Outcome
	groups    callGroups
}

func newModelView(m *Side, obs *Observes) *modelView {
	return new(modelView).derive(m, obs)
}

// derive makes v the view of m through obs, in the memory of v's previous
// view: what the view held before is no longer valid.
func (v *modelView) derive(m *Side, obs *Observes) *modelView {
	v.side = Side{Outcome: obs.projectInto(&v.projected, m.Outcome, true), Keys: m.Keys}
	v.m, v.full, v.obs = &v.side, m.Outcome, obs
	if v.pubAt == nil {
		v.pubAt = map[Key]publication{}
	}
	clear(v.pubAt)
	publishTimes(v.pubAt, m)
	v.mBy, v.sources = v.groups.group(v.m.Outcome.Calls)
	v.sources = slices.Clip(v.sources)
	return v
}

// compare is CompareObserved(m, r, tol, obs) for the view of m and obs.
func (v *modelView) compare(r *Side, tol Tolerance) []Diff {
	return v.compareIn(r, tol, new(realMemory))
}

// realMemory is where a comparison puts what it derives from the side it
// compares with: the side's projection and its calls by source.
type realMemory struct {
	projected model.Outcome
	groups    callGroups
}

// compareIn is compare projecting r and grouping its calls by source in
// mem, which a caller comparing many sides in turn (agrees) reuses: the
// groups were a tenth of check --matrix's allocation.
func (v *modelView) compareIn(r *Side, tol Tolerance, mem *realMemory) []Diff {
	c := &comparer{modelView: v, tol: tol, r: &Side{Outcome: v.obs.projectInto(&mem.projected, r.Outcome, false), Keys: r.Keys}, rGroups: &mem.groups}
	c.calls()
	c.conns()
	c.subs()
	return c.diffs
}

type comparer struct {
	*modelView
	r       *Side
	rGroups *callGroups // where r's calls are grouped by source
	tol     Tolerance
	diffs   []Diff
}

func (c *comparer) add(what string, m, r any) {
	c.diffs = append(c.diffs, Diff{What: what, Model: fmt.Sprint(m), Real: fmt.Sprint(r)})
}

// equal records a difference when m != r.
func equal[T comparable](c *comparer, what string, m, r T) bool {
	if m != r {
		c.add(what, m, r)
		return false
	}
	return true
}

// sameList records a difference when the lists differ, naming the first
// position at which they do.
func sameList[T comparable](c *comparer, what string, m, r []T) bool {
	for i := range min(len(m), len(r)) {
		if m[i] != r[i] {
			c.add(fmt.Sprintf("%s[%d]", what, i), m[i], r[i])
			return false
		}
	}
	if len(m) != len(r) {
		c.add(what+" length", fmt.Sprintf("%d %v", len(m), m), fmt.Sprintf("%d %v", len(r), r))
		return false
	}
	return true
}

// time records a difference when real time r is outside the tolerance
// around model time m.
func (c *comparer) time(what string, m, r int64, class TimeClass) {
	c.timeNamed(func() string { return what }, m, r, class)
}

// timeNamed is time for a name that takes formatting, which name does
// only for a difference: formatted for every time compared (each
// delivery's, status's and callback's), the names were most of what
// Replayable's comparisons allocated.
func (c *comparer) timeNamed(name func() string, m, r int64, class TimeClass) {
	if !c.tol.Agree(m, r, class) {
		c.add(name(), ms(m), fmt.Sprintf("%s (off by %s, tolerance %s)", ms(r), ms(r-m), ms(int64(c.tol.Allowed(m, class)))))
	}
}

// timePtr compares optional times: both absent, or both present and close.
func (c *comparer) timePtr(what string, m, r *int64, class TimeClass) {
	c.timePtrNamed(func() string { return what }, m, r, class)
}

// timePtrNamed is timePtr with the name made by name, as timeNamed.
func (c *comparer) timePtrNamed(name func() string, m, r *int64, class TimeClass) {
	switch {
	case m == nil && r == nil:
	case m == nil || r == nil:
		c.add(name(), optMS(m), optMS(r))
	default:
		c.timeNamed(name, *m, *r, class)
	}
}

func ms(ns int64) string { return fmt.Sprintf("%.3fms", float64(ns)/1e6) }

func optMS(p *int64) string {
	if p == nil {
		return "never"
	}
	return ms(*p)
}

// callKey is what must agree about one call.
type callKey struct{ Verb, Result, Msg, Counters string }

// calls compares, per source, the sequence of calls: verb, result, (for
// successful calls) the message, the counters a counters call read, and
// their times. Calls made by callbacks of
// queue-group members are compared per group as a multiset, since which
// member gets which message is the server's random choice.
func (c *comparer) calls() {
	mBy, sources := c.mBy, c.sources
	rBy, rSources := c.rGroups.group(c.r.Outcome.Calls)
	for _, src := range rSources {
		if _, ok := mBy[src]; !ok {
			sources = append(sources, src)
		}
	}
	group := map[string][]string{} // "model"/"real" + queue -> verb=result
	var groups []string
	for _, src := range sources {
		q := c.queueOfSource(src)
		if q == "" {
			c.sourceCalls(src, mBy[src], rBy[src])
			continue
		}
		if !slices.Contains(groups, q) {
			groups = append(groups, q)
		}
		group["model"+q] = appendResults(group["model"+q], mBy[src])
		group["real"+q] = appendResults(group["real"+q], rBy[src])
	}
	for _, q := range groups {
		sameList(c, "calls by queue group "+q, sorted(group["model"+q]), sorted(group["real"+q]))
	}
}

// sourceCalls compares the calls of one source.
func (c *comparer) sourceCalls(src string, mc, rc []model.CallOutcome) {
	for i := range min(len(mc), len(rc)) {
		mk, rk, class := c.callKey(c.m, mc[i]), c.callKey(c.r, rc[i]), c.callClass(mc[i])
		if mk == rk && c.tol.Agree(mc[i].AtNS, rc[i].AtNS, class) && c.tol.Agree(mc[i].ReturnedAtNS, rc[i].ReturnedAtNS, class) {
			// Nothing to report: the call's name is made only for a
			// difference (for every call, it was 4 % of what
			// Replayable's comparisons allocated).
			continue
		}
		what := fmt.Sprintf("calls %s[%d] %s", src, i, mc[i].Verb)
		if !equal(c, what, mk, rk) {
			return
		}
		c.time(what+" at", mc[i].AtNS, rc[i].AtNS, class)
		c.time(what+" returned", mc[i].ReturnedAtNS, rc[i].ReturnedAtNS, class)
	}
	if len(mc) != len(rc) {
		c.add("calls "+src+" count", len(mc), len(rc))
	}
}

func appendResults(out []string, calls []model.CallOutcome) []string {
	for _, cl := range calls {
		out = append(out, cl.Verb+"="+cl.Result)
	}
	return out
}

func (c *comparer) callKey(s *Side, cl model.CallOutcome) callKey {
	k := callKey{Verb: cl.Verb, Result: cl.Result}
	if cl.Result == model.OK {
		k.Msg = s.key(cl.Msg)
	}
	if cl.PendingMsgs != nil {
		k.Counters = fmt.Sprintf("pending %d", *cl.PendingMsgs)
	}
	if cl.Delivered != nil {
		k.Counters += fmt.Sprintf(" delivered %d", *cl.Delivered)
	}
	return k
}

// callGroups groups a side's calls by source in memory it reuses from one
// side to the next (conformance.Replayable compares a scenario's run with
// 13 others).
type callGroups struct {
	grouping[string, model.CallOutcome]
}

// group groups calls by source, each group ordered by start time, and
// lists the sources in order of first appearance, in g's memory: what it
// returns is valid until g groups other calls.
func (g *callGroups) group(calls []model.CallOutcome) (map[string][]model.CallOutcome, []string) {
	by, order := g.grouping.group(calls, func(cl *model.CallOutcome) (string, bool) { return cl.Source, true })
	for _, calls := range by {
		slices.SortStableFunc(calls, func(a, b model.CallOutcome) int { return cmp.Compare(a.AtNS, b.AtNS) })
	}
	return by, order
}

// grouping groups items by a key in memory it reuses from one call to the
// next: each group keeps the items' order, the keys are listed in order of
// first appearance, and the groups are cut from one array by a count of
// each key's items (grown item by item, bySource's and ModelKeys' groups
// were most of what they allocated).
type grouping[K comparable, T any] struct {
	count map[K]int
	by    map[K][]T
	all   []T
	order []K
}

// group groups the items for which key reports true by the key it
// returns. What it returns is valid until g groups again.
func (g *grouping[K, T]) group(items []T, key func(*T) (K, bool)) (map[K][]T, []K) {
	if g.count == nil {
		g.count, g.by = map[K]int{}, map[K][]T{}
	}
	clear(g.count)
	clear(g.by)
	g.order = g.order[:0]
	total := 0
	for i := range items {
		if k, ok := key(&items[i]); ok {
			if g.count[k] == 0 {
				g.order = append(g.order, k)
			}
			g.count[k]++
			total++
		}
	}
	g.all = slices.Grow(g.all[:0], total)
	off := 0
	for _, k := range g.order {
		g.by[k] = g.all[off : off : off+g.count[k]]
		off += g.count[k]
	}
	for i := range items {
		if k, ok := key(&items[i]); ok {
			g.by[k] = append(g.by[k], items[i])
		}
	}
	return g.by, g.order
}

// queueOfSource returns the queue group of the subscription whose callback
// is source ("s1#3"), or "".
func (c *comparer) queueOfSource(source string) string {
	id, _, ok := strings.Cut(source, "#")
	if !ok {
		return ""
	}
	if s := findSub(c.full, id); s != nil {
		return s.Queue
	}
	return ""
}

func findSub(o *model.Outcome, id string) *model.SubOutcome {
	for i := range o.Subscriptions {
		if o.Subscriptions[i].ID == id {
			return &o.Subscriptions[i]
		}
	}
	return nil
}

func findConn(o *model.Outcome, client string) *model.ConnOutcome {
	for i := range o.Connections {
		if o.Connections[i].Client == client {
			return &o.Connections[i]
		}
	}
	return nil
}

// conns compares each connection's status transitions, async errors,
// callbacks (kinds and order), last error and drain result.
func (c *comparer) conns() {
	for _, mc := range c.m.Outcome.Connections {
		rc := findConn(c.r.Outcome, mc.Client)
		if rc == nil {
			c.add("conn "+mc.Client, "present", "missing")
			continue
		}
		what := "conn " + mc.Client
		cls := c.connClasses(findConn(c.full, mc.Client))
		if sameList(c, what+" status", statusNames(mc.Status), statusNames(rc.Status)) {
			for i := range mc.Status {
				c.timeNamed(func() string { return fmt.Sprintf("%s status[%d] %s at", what, i, mc.Status[i].Status) },
					mc.Status[i].AtNS, rc.Status[i].AtNS, cls.at(mc.Status[i].AtNS))
			}
		}
		if sameList(c, what+" callbacks", callbackNames(mc.Callbacks), callbackNames(rc.Callbacks)) {
			for i := range mc.Callbacks {
				c.timeNamed(func() string { return fmt.Sprintf("%s callbacks[%d] %s at", what, i, mc.Callbacks[i].Kind) },
					mc.Callbacks[i].AtNS, rc.Callbacks[i].AtNS, cls.at(mc.Callbacks[i].AtNS))
			}
		}
		equal(c, what+" last_error", mc.LastError, rc.LastError)
		switch {
		case mc.Drain == nil && rc.Drain == nil:
		case mc.Drain == nil || rc.Drain == nil:
			c.add(what+" drain", mc.Drain != nil, rc.Drain != nil)
		default:
			equal(c, what+" drain timed_out", mc.Drain.TimedOut, rc.Drain.TimedOut)
			c.time(what+" drain called", mc.Drain.CalledNS, rc.Drain.CalledNS, Direct)
			equal(c, what+" drain result", mc.Drain.Result, rc.Drain.Result)
			c.timePtr(what+" drain done", mc.Drain.DoneNS, rc.Drain.DoneNS, cls.ptr(mc.Drain.DoneNS))
		}
		c.timePtr(what+" closed", mc.ClosedNS, rc.ClosedNS, cls.ptr(mc.ClosedNS))
	}
}

func statusNames(st []model.StatusOutcome) []string {
	out := make([]string, len(st))
	for i, s := range st {
		out[i] = s.Status
	}
	return out
}

// callbackNames lists callbacks as kind, kind(error) or kind(error, sub).
// The async errors are part of the list, in the order the callback queue
// ran them.
func callbackNames(cbs []model.CallbackOut) []string {
	out := make([]string, len(cbs))
	for i, cb := range cbs {
		out[i] = cb.Kind
		if cb.Error != "" {
			out[i] += "(" + cb.Error
			if cb.Sub != "" {
				out[i] += ", " + cb.Sub
			}
			out[i] += ")"
		}
	}
	return out
}

// subs compares each subscription (the response mux, internal to nats.go,
// is not observable): the messages delivered, their times, the removal and
// the closed handler.
func (c *comparer) subs() {
	var groups []string
	for _, ms := range c.m.Outcome.Subscriptions {
		if ms.Mux {
			continue
		}
		what := "sub " + ms.ID
		rs := findSub(c.r.Outcome, ms.ID)
		if rs == nil {
			c.add(what, "subscribed", "never subscribed")
			continue
		}
		if ms.Queue != "" {
			if !slices.Contains(groups, ms.Queue) {
				groups = append(groups, ms.Queue)
			}
		} else {
			c.delivered(what, &ms, rs)
		}
		cls := c.subClasses(&ms)
		if ms.RemovedBy != "close" {
			c.timePtr(what+" removed", ms.RemovedNS, rs.RemovedNS, cls.ptr(ms.RemovedNS))
		}
		c.timePtr(what+" closed_handler", ms.ClosedHandlerNS, rs.ClosedHandlerNS, cls.ptr(ms.ClosedHandlerNS))
		equal(c, what+" closed_handler_calls", ms.ClosedHandlerCalls, rs.ClosedHandlerCalls)
		if sameList(c, what+" status_events", statusNames(ms.StatusEvents), statusNames(rs.StatusEvents)) {
			for i, e := range ms.StatusEvents {
				c.timeNamed(func() string { return fmt.Sprintf("%s status_events[%d] %s at", what, i, e.Status) },
					e.AtNS, rs.StatusEvents[i].AtNS, cls.at(e.AtNS))
			}
		}
		equal(c, what+" drain result", ms.DrainResult, rs.DrainResult)
		c.timePtr(what+" drain done", ms.DrainDoneNS, rs.DrainDoneNS, cls.ptr(ms.DrainDoneNS))
	}
	for _, q := range groups {
		c.queueGroup(q)
	}
}

// delivered compares what a subscription handed to the application: the
// same messages, in the same order where the order is determined, with
// callback start and end times by position.
func (c *comparer) delivered(what string, ms, rs *model.SubOutcome) {
	mk, rk := c.deliveredKeys(c.m, ms), c.deliveredKeys(c.r, rs)
	if !sameList(c, what+" delivered (as a set)", sorted(mk), sorted(rk)) {
		return
	}
	racing := c.takenAtOnce(ms, mk)
	for i := range mk {
		if mk[i] == rk[i] {
			continue
		}
		// The real order differs: acceptable only where the model's order
		// was not determined (messages published by different sources
		// within the tolerance of each other, or taken at one instant by
		// different NextMsg callers).
		j := slices.Index(mk, rk[i])
		for k := i; k < j; k++ {
			if racing(mk[k], rk[i]) {
				continue
			}
			if c.orderDetermined(mk[k], rk[i]) {
				c.add(fmt.Sprintf("%s delivered[%d]", what, i), fmt.Sprintf("%s before %s", mk[k], rk[i]), fmt.Sprintf("%s before %s", rk[i], mk[k]))
				return
			}
		}
		mk = slices.Insert(slices.Delete(mk, j, j+1), i, rk[i])
	}
	cls := c.subClasses(ms)
	for i := range ms.Delivered {
		md, rd := ms.Delivered[i], rs.Delivered[i]
		c.timeNamed(func() string { return fmt.Sprintf("%s delivered[%d] %s start", what, i, mk[i]) },
			md.StartNS, rd.StartNS, cls.at(md.StartNS))
		c.timePtrNamed(func() string { return fmt.Sprintf("%s delivered[%d] %s end", what, i, mk[i]) },
			md.EndNS, rd.EndNS, cls.ptr(md.EndNS))
	}
}

// takenAtOnce returns whether the model's sync subscription ms handed two
// messages to the application at one instant through different NextMsg
// calls: goroutines woken together, which record their returns in either
// order on the real client (keys mk are ms.Delivered's, in order).
func (c *comparer) takenAtOnce(ms *model.SubOutcome, mk []Key) func(a, b Key) bool {
	if ms.Type != "sync" {
		return func(Key, Key) bool { return false }
	}
	start := make(map[Key]int64, len(mk))
	for i, k := range mk {
		start[k] = ms.Delivered[i].StartNS
	}
	takenBy := map[Key]string{}
	for _, call := range c.m.Outcome.Calls {
		if call.Verb == "next_msg" && call.Sub == ms.ID && call.Msg != 0 {
			takenBy[c.m.key(call.Msg)] = call.Source
		}
	}
	return func(a, b Key) bool {
		return start[a] == start[b] && takenBy[a] != takenBy[b]
	}
}

func (c *comparer) deliveredKeys(s *Side, so *model.SubOutcome) []Key {
	out := make([]Key, len(so.Delivered))
	for i, d := range so.Delivered {
		out[i] = s.key(d.Msg)
	}
	return out
}

func sorted(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}

// queueGroup compares a queue group as a whole: the same set of messages
// handled across its members, none handled twice.
func (c *comparer) queueGroup(q string) {
	collect := func(s *Side) []Key {
		var keys []Key
		for i := range s.Outcome.Subscriptions {
			if so := &s.Outcome.Subscriptions[i]; so.Queue == q {
				keys = append(keys, c.deliveredKeys(s, so)...)
			}
		}
		return sorted(keys)
	}
	sameList(c, "queue group "+q+" delivered (as a set)", collect(c.m), collect(c.r))
}

// publication is when and by which source a message was published.
type publication struct {
	source string
	at     int64
}

// publishTimes puts in out when and by which source each message of s
// was published.
func publishTimes(out map[Key]publication, s *Side) {
	for _, cl := range s.Outcome.Calls {
		if producesMessage(cl.Verb) && cl.Msg != 0 {
			out[s.key(cl.Msg)] = publication{source: cl.Source, at: cl.ReturnedAtNS}
		}
	}
}

// orderDetermined reports whether the order in which one subscription
// receives messages a and b is determined: they come from one source (whose
// calls are sequential), or were published further apart than the
// tolerance.
func (c *comparer) orderDetermined(a, b Key) bool {
	pa, oka := c.pubAt[a]
	pb, okb := c.pubAt[b]
	if !oka || !okb {
		return true
	}
	if pa.source == pb.source {
		return true
	}
	gap := pa.at - pb.at
	return max(gap, -gap) > int64(c.tol.Allowed(max(pa.at, pb.at), Direct))
}

// Tolerance is how far a real time may be from the model's time for the
// two to agree. See docs/conformance.md for the rule and
// why it is what it is.
type Tolerance struct {
	// Base absorbs scheduling noise: goroutine wake-ups, loopback round
	// trips, the relay's hops.
	Base time.Duration
	// Rel absorbs the drift of sleep-driven loops (handler sleeps, nats.go's
	// poll loops), which grows with elapsed time: Rel × the model time.
	Rel float64
	// ConnPoll is the connection drain's poll interval (10 ms in nats.go).
	// Times decided by that poll are allowed one extra interval, because
	// the real poll loop drifts against the subscription drain's 100 ms
	// loop and the two are phase-locked in the model.
	ConnPoll time.Duration
}

// DefaultTolerance is the rule docs/conformance.md states: 5 ms + 3 % of the model
// time, plus one 10 ms connection-drain poll for times decided by it.
var DefaultTolerance = Tolerance{Base: 5 * time.Millisecond, Rel: 0.03, ConnPoll: 10 * time.Millisecond}

// TimeClass says what decided a time, and so which tolerance applies.
type TimeClass uint8

// Time classes.
const (
	Direct   TimeClass = iota // decided by scenario times and callbacks
	ConnPoll                  // decided by the connection drain's poll
)

// Allowed returns the largest difference allowed around model time m.
func (t Tolerance) Allowed(m int64, class TimeClass) time.Duration {
	d := t.Base + time.Duration(t.Rel*float64(m))
	if class == ConnPoll {
		d += t.ConnPoll
	}
	return d
}

// Agree reports whether real time r agrees with model time m.
func (t Tolerance) Agree(m, r int64, class TimeClass) bool {
	d := r - m
	return time.Duration(max(d, -d)) <= t.Allowed(m, class)
}

// classes assigns time classes by time: everything at or after from is
// decided by the connection drain's poll.
type classes struct{ from int64 }

func (k classes) at(t int64) TimeClass {
	if k.from >= 0 && t >= k.from {
		return ConnPoll
	}
	return Direct
}

func (k classes) ptr(t *int64) TimeClass {
	if t == nil {
		return Direct
	}
	return k.at(*t)
}

// connClasses: a connection's times from the end of its drain's wait for
// subscriptions (the DRAINING_PUBS flip or the ErrDrainTimeout report,
// whichever comes first) on are decided by the drain's 10 ms poll.
func (c *comparer) connClasses(co *model.ConnOutcome) classes {
	k := classes{from: -1}
	if co.Drain == nil {
		return k
	}
	for _, s := range co.Status {
		if s.Status == "DRAINING_PUBS" {
			k.from = s.AtNS
			break
		}
	}
	for _, e := range co.AsyncErrors {
		if e.Error == model.ErrDrainTimeout && (k.from < 0 || e.AtNS < k.from) {
			k.from = e.AtNS
		}
	}
	return k
}

// callClass is the class of a call's times: that of its connection.
func (c *comparer) callClass(cl model.CallOutcome) TimeClass {
	if co := findConn(c.full, cl.Client); co != nil {
		return c.connClasses(co).at(cl.ReturnedAtNS)
	}
	return Direct
}

// subClasses: a subscription's times follow its connection's.
func (c *comparer) subClasses(so *model.SubOutcome) classes {
	if co := findConn(c.full, so.Client); co != nil {
		return c.connClasses(co)
	}
	return classes{from: -1}
}
