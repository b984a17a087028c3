package props

import (
	"encoding/binary"
	"math"
	"reflect"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// maxShrinkTries bounds the candidates Shrink runs, so that a slow
// predicate cannot make it run for long.
const maxShrinkTries = 3000

// Shrink returns a scenario no bigger than sc for which fails still holds,
// as small as a greedy search finds. It tries one simplification at a
// time (remove an action, a handler action, a subscription with the
// actions that name it, a client with its subscriptions and actions, a
// server with its links, or a link; then move times and counts towards
// zero, make distributions constant, drop options, attach clients to the
// first server, and run a one-server topology as one server: see
// shrinktopo.go) and keeps each candidate that is still a valid scenario
// and still fails, until a whole pass keeps nothing. The seed is never
// changed, so the result replays under `drainsim run` exactly as fails saw
// it. fails should be deterministic (a flaky one, such as the determinism
// check, only shrinks less): Shrink asks it once per distinct candidate
// (remembered). sc is not modified.
//
// A counterexample is also meant to be played on the real library (see
// conformance), where a fault is made by the harness and every other action
// by the client's process, so that a fault and an action close together
// race. Shrink first tries to move each such pair realGap apart, and never
// keeps a candidate with more of them than the current scenario has.
func Shrink(sc *scenario.Scenario, fails func(*scenario.Scenario) bool) *scenario.Scenario {
	cur, ok := reparse(sc)
	if !ok {
		return sc
	}
	return shrinkFrom(cur, fails)
}

// shrinkDrawn is Shrink for a scenario the generator drew: Parse reads
// one back from its Marshal output as it is but for the Line fields
// (TestPropGeneratedScenariosRoundTrip), which only error messages read,
// so it starts from a Clone instead of that YAML round trip (half the
// round trips of check --matrix's shrinks, a twentieth of its bytes), and
// returns what Shrink returns (TestShrinkDrawnIsShrink).
func shrinkDrawn(sc *scenario.Scenario, fails func(*scenario.Scenario) bool) *scenario.Scenario {
	return shrinkFrom(sc.Clone(), fails)
}

// shrinkFrom is Shrink from cur, a copy of the scenario to shrink that
// Parse accepts.
func shrinkFrom(cur *scenario.Scenario, fails func(*scenario.Scenario) bool) *scenario.Scenario {
	tries := 0
	fails = remembered(fails)
	cur = separateFaults(cur, fails, &tries)
	// spare is a copy of cur that an edit left unchanged (apply reported
	// no change): the next candidate as it is. A third of check
	// --matrix's candidates are such copies. free is a scenario no longer
	// used (the candidate fails rejected, or the cur a kept one
	// replaced), whose memory the next copy of cur reuses (copyInto):
	// the other candidates' copies were an eighth of the matrix's bytes.
	var spare, free *scenario.Scenario
	for changed := true; changed && tries < maxShrinkTries; {
		changed = false
		for _, e := range shrinkEdits {
			for i := 0; i < e.n(cur) && tries < maxShrinkTries; {
				cand := spare
				switch spare = nil; {
				case cand != nil:
				case free != nil:
					cand, free = free, nil
					copyInto(reflect.ValueOf(cand).Elem(), reflect.ValueOf(cur).Elem())
				default:
					cand = cur.Clone()
				}
				if !e.apply(cand, i) {
					spare = cand
					i++
					continue
				}
				tries++
				if valid(cand) && faultRaces(cand) <= faultRaces(cur) && fails(cand) {
					free, cur, changed = cur, cand, true
					continue // the same index now names the next element, or a smaller value to try again
				}
				free = cand
				i++
			}
		}
	}
	// The kept candidates are edited values whose Line fields still
	// count the lines of the scenario they were edited from: one round
	// trip gives what every candidate used to be, the file as Marshal
	// writes it.
	out, _ := reparse(cur)
	return out
}

// remembered returns fails with its verdicts kept by the scenario's
// value (appendValue), which names a candidate exactly. Edits often make a
// candidate tried before — a count of 2 lowered to 1 and halved, a time
// set to 0 and rounded down to 0, a removal that the next pass tries
// again — a tenth of a check --matrix's candidates; fails, deterministic,
// would only repeat its verdict, at the cost of a run (8 when the
// counterexample must keep replaying on the real library:
// conformance.Replayable runs it under 7 perturbations). The key was the
// scenario's file text (Marshal) until it was found to be a seventh of
// the matrix's allocation; two candidates with the same value have the
// same text, and the few with the same text and different values (a nil
// and an empty list) only cost fails a repeated verdict.
func remembered(fails func(*scenario.Scenario) bool) func(*scenario.Scenario) bool {
	verdicts := make(map[string]bool)
	var key []byte
	return func(sc *scenario.Scenario) bool {
		key = appendValue(key[:0], reflect.ValueOf(sc).Elem())
		v, ok := verdicts[string(key)]
		if !ok {
			v = fails(sc)
			verdicts[string(key)] = v
		}
		return v
	}
}

// appendValue appends to b an encoding of v (a scenario or a part of one)
// that two values of v's type share only when they are equal field by
// field, a nil pointer or list differing from any other: a flag for nil,
// lengths before lists and strings, every number whole. A Scenario holds
// only structs, pointers, slices, arrays, strings, booleans and numbers
// (scenario.TestCloneKinds); TestValueKeyNamesAValue fails on any other
// kind, which this would not tell apart.
func appendValue(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0)
		}
		return appendValue(append(b, 1), v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 0)
		}
		b = binary.AppendUvarint(append(b, 1), uint64(v.Len()))
		for i := range v.Len() {
			b = appendValue(b, v.Index(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			b = appendValue(b, v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			b = appendValue(b, v.Field(i))
		}
	case reflect.String:
		b = append(binary.AppendUvarint(b, uint64(v.Len())), v.String()...)
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b = binary.AppendVarint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b = binary.AppendUvarint(b, v.Uint())
	case reflect.Float32, reflect.Float64:
		b = binary.AppendUvarint(b, math.Float64bits(v.Float()))
	}
	return b
}

// copyInto makes dst a copy of src of the same type, equal to what Clone
// makes (it shares nothing with src but strings, which are immutable), in
// dst's memory where it has room: its lists' arrays and the values its
// pointers point at. dst must be a copy no other value shares memory
// with, as Shrink's candidates are, edited or not: a Clone shares
// nothing, and an edit that removes elements of a list shifts the rest
// down, so only the elements past the list's new end may share pointers
// and arrays with those before it; copyInto zeroes those before it uses
// them (a list lengthened past its end gets new values). A Scenario
// holds only exported fields, of the kinds appendValue encodes
// (TestValueKeyNamesAValue, scenario.TestCloneKinds).
func copyInto(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		if dst.IsNil() {
			dst.Set(reflect.New(src.Type().Elem()))
		}
		copyInto(dst.Elem(), src.Elem())
	case reflect.Slice:
		n := src.Len()
		switch {
		case src.IsNil():
			dst.SetZero()
			return
		case dst.IsNil() || dst.Cap() < n:
			dst.Set(reflect.MakeSlice(src.Type(), n, n))
		default:
			old := dst.Len()
			dst.SetLen(n)
			for i := old; i < n; i++ {
				dst.Index(i).SetZero()
			}
		}
		for i := range n {
			copyInto(dst.Index(i), src.Index(i))
		}
	case reflect.Array:
		for i := range src.Len() {
			copyInto(dst.Index(i), src.Index(i))
		}
	case reflect.Struct:
		for i := range src.NumField() {
			copyInto(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}

// realGap is the least distance between a fault (disconnect,
// restart_server) and another action that a real run realises in the
// scenario's order: the conformance tolerance's base.
const realGap = 5 * time.Millisecond

func isFault(a *scenario.Action) bool { return a.Disconnect != nil || a.RestartServer != nil }

// faultRaces counts the pairs of a fault and another action less than
// realGap apart.
func faultRaces(sc *scenario.Scenario) int {
	n := 0
	for i := range sc.Actions {
		for j := i + 1; j < len(sc.Actions); j++ {
			a, b := &sc.Actions[i], &sc.Actions[j]
			if isFault(a) != isFault(b) && (a.At-b.At).Abs() < realGap {
				n++
			}
		}
	}
	return n
}

// separateFaults tries, for each fault-and-action pair closer than
// realGap, to move the one that runs second (or else the first) to realGap
// after the other, keeping the change when the scenario still fails.
func separateFaults(cur *scenario.Scenario, fails func(*scenario.Scenario) bool, tries *int) *scenario.Scenario {
	for i := 0; i < len(cur.Actions); i++ {
		for j := 0; j < len(cur.Actions); j++ {
			a, b := cur.Actions[i], cur.Actions[j]
			if i == j || isFault(&a) == isFault(&b) || (a.At-b.At).Abs() >= realGap || a.At > b.At || a.At == b.At && i > j {
				continue
			}
			// a runs first, b second.
			for _, move := range [...]struct{ k, other int }{{j, i}, {i, j}} {
				cand := cur.Clone()
				cand.Actions[move.k].At = cur.Actions[move.other].At + realGap
				*tries++
				if valid(cand) && faultRaces(cand) < faultRaces(cur) && fails(cand) {
					cur = cand
					break
				}
			}
		}
	}
	return cur
}

// Size is the size of a counterexample: its actions plus its handlers'
// actions.
func Size(sc *scenario.Scenario) int {
	n := len(sc.Actions)
	for _, s := range sc.Subs {
		n += len(s.Handler.Actions)
	}
	return n
}

// reparse returns a deep copy of sc as scenario.Parse reads its Marshal
// output, and whether that is a valid scenario. Shrink reparses only the
// scenario it is given and the one it returns: it copies the current
// scenario with Clone, which gives what reparse would
// (scenario.Scenario.Clone), and checks an edited candidate with valid.
func reparse(sc *scenario.Scenario) (*scenario.Scenario, bool) {
	out, err := scenario.Parse(sc.File, sc.Marshal())
	return out, err == nil
}

// valid reports whether an edited candidate is a scenario Parse accepts,
// without the YAML round trip that asking Parse takes (a fifth of check
// --matrix's CPU and much of its garbage): the edits keep every value
// within the range Parse reads (they move values towards their defaults
// and remove elements), so what an edit can break are the rules that span
// fields, references above all, which scenario.Scenario.Validate checks
// with Parse's own code. TestValidateAgreesWithParse checks that valid and
// the round trip agree on every candidate of generated scenarios, and
// that a valid candidate equals what the round trip reads back.
func valid(cand *scenario.Scenario) bool { return cand.Validate() == nil }

// shrinkEdit is one family of simplifications: n counts the places it may
// apply to, apply(sc, i) makes it at place i in sc (a fresh copy) and
// reports whether that changed anything.
type shrinkEdit struct {
	n     func(*scenario.Scenario) int
	apply func(*scenario.Scenario, int) bool
}

func countActions(sc *scenario.Scenario) int { return len(sc.Actions) }
func countSubs(sc *scenario.Scenario) int    { return len(sc.Subs) }
func countClients(sc *scenario.Scenario) int { return len(sc.Clients) }
func countOne(*scenario.Scenario) int        { return 1 }

// countHandlerActions counts handler actions over all subscriptions; place
// i is found with handlerAction.
func countHandlerActions(sc *scenario.Scenario) int {
	n := 0
	for _, s := range sc.Subs {
		n += len(s.Handler.Actions)
	}
	return n
}

func handlerAction(sc *scenario.Scenario, i int) (*scenario.Subscription, int) {
	for k := range sc.Subs {
		s := &sc.Subs[k]
		if i < len(s.Handler.Actions) {
			return s, i
		}
		i -= len(s.Handler.Actions)
	}
	return nil, 0
}

// onAction, onSub, onClient and onHandlerAction lift a simplification of
// one element to a shrinkEdit over every element of its kind.
func onAction(f func(*scenario.Action) bool) shrinkEdit {
	return shrinkEdit{countActions, func(sc *scenario.Scenario, i int) bool { return f(&sc.Actions[i]) }}
}

func onSub(f func(*scenario.Subscription) bool) shrinkEdit {
	return shrinkEdit{countSubs, func(sc *scenario.Scenario, i int) bool { return f(&sc.Subs[i]) }}
}

func onClient(f func(*scenario.Client) bool) shrinkEdit {
	return shrinkEdit{countClients, func(sc *scenario.Scenario, i int) bool { return f(&sc.Clients[i]) }}
}

func onHandlerAction(f func(*scenario.HandlerAction) bool) shrinkEdit {
	return shrinkEdit{countHandlerActions, func(sc *scenario.Scenario, i int) bool {
		s, j := handlerAction(sc, i)
		return f(&s.Handler.Actions[j])
	}}
}

// shrinkEdits are tried in order: removals first (they shrink the most),
// then simplifications of values.
var shrinkEdits = []shrinkEdit{
	{countActions, removeAction},
	{countHandlerActions, func(sc *scenario.Scenario, i int) bool {
		s, j := handlerAction(sc, i)
		s.Handler.Actions = append(s.Handler.Actions[:j], s.Handler.Actions[j+1:]...)
		return true
	}},
	{countSubs, func(sc *scenario.Scenario, i int) bool {
		removeSub(sc, sc.Subs[i].ID)
		return true
	}},
	{countClients, func(sc *scenario.Scenario, i int) bool {
		if len(sc.Clients) == 1 {
			return false
		}
		removeClient(sc, sc.Clients[i].Name)
		return true
	}},
	shrinkServers,
	shrinkLinks,
	shrinkHome,

	onAction(func(a *scenario.Action) bool { return set(&a.At, 0) }),
	onAction(func(a *scenario.Action) bool { return set(&a.At, roundBelow(a.At)) }),
	onAction(func(a *scenario.Action) bool {
		switch {
		case a.Publish != nil:
			return set(&a.Publish.Count, 1)
		case a.Request != nil:
			return set(&a.Request.Count, 1)
		case a.NextMsg != nil:
			return set(&a.NextMsg.Count, 1)
		}
		return false
	}),
	onAction(func(a *scenario.Action) bool {
		switch {
		case a.Publish != nil:
			return set(&a.Publish.Count, max(1, a.Publish.Count/2))
		case a.NextMsg != nil:
			return set(&a.NextMsg.Count, max(1, a.NextMsg.Count/2))
		case a.Disconnect != nil:
			return set(&a.Disconnect.For, roundBelow(a.Disconnect.For))
		case a.RestartServer != nil:
			return set(&a.RestartServer.For, roundBelow(a.RestartServer.For))
		}
		return false
	}),
	onAction(func(a *scenario.Action) bool {
		switch {
		case a.Publish != nil:
			return set(&a.Publish.Interval, 0)
		case a.Request != nil:
			return set(&a.Request.Interval, 0)
		case a.Disconnect != nil:
			return set(&a.Disconnect.For, 0)
		case a.RestartServer != nil:
			return set(&a.RestartServer.For, 0)
		}
		return false
	}),
	onAction(func(a *scenario.Action) bool {
		if a.Publish == nil {
			return false
		}
		sized, replied := set(&a.Publish.Size, 0), set(&a.Publish.Reply, "")
		return sized || replied
	}),

	onHandlerAction(func(a *scenario.HandlerAction) bool { return set(&a.Nth, 0) }),
	onHandlerAction(func(a *scenario.HandlerAction) bool {
		if a.Sleep == nil {
			return false
		}
		return simplerDist(a.Sleep)
	}),

	onSub(func(s *scenario.Subscription) bool { return simplerDist(&s.Handler.Duration) }),
	onSub(func(s *scenario.Subscription) bool {
		changed := s.PendingMsgsLimit != nil || s.PendingBytesLimit != nil || s.Max != 0
		s.PendingMsgsLimit, s.PendingBytesLimit, s.Max = nil, nil, 0
		return changed
	}),
	onSub(func(s *scenario.Subscription) bool { return set(&s.Queue, "") }),

	onClient(func(c *scenario.Client) bool {
		changed := c.ReconnectWait != nil || c.MaxReconnect != nil || c.ReconnectBufSize != nil || !c.AllowReconnect ||
			c.PendingMsgsLimit != nil || c.PendingBytesLimit != nil || c.NoCallbacksAfterClose
		c.ReconnectWait, c.MaxReconnect, c.ReconnectBufSize, c.AllowReconnect = nil, nil, nil, true
		c.PendingMsgsLimit, c.PendingBytesLimit, c.NoCallbacksAfterClose = nil, nil, false
		return changed
	}),
	onClient(func(c *scenario.Client) bool { return set(&c.DrainTimeout, nil) }),
	onClient(func(c *scenario.Client) bool {
		if c.DrainTimeout == nil {
			return false
		}
		return set(c.DrainTimeout, roundBelow(*c.DrainTimeout))
	}),

	{countOne, func(sc *scenario.Scenario, _ int) bool { return simplerDist(&sc.Network.Latency) }},
	shrinkLatency,
	shrinkToOne,
}

// roundBelow returns the largest duration of the form 1, 2 or 5 × 10^k ns
// below d, or 0: lowering times through round values keeps shrunk
// counterexamples readable (500ms, 200ms, 100ms, ... rather than 12.5ms).
func roundBelow(d time.Duration) time.Duration {
	best := time.Duration(0)
	for p := time.Duration(1); p < d; p *= 10 {
		for _, m := range [...]time.Duration{1, 2, 5} {
			if v := m * p; v < d && v > best {
				best = v
			}
		}
	}
	return best
}

// set stores v in *p and reports whether that changed it.
func set[T comparable](p *T, v T) bool {
	if *p == v {
		return false
	}
	*p = v
	return true
}

// simplerDist makes d constant at its mean, or lowers a constant.
func simplerDist(d *sim.Dist) bool {
	if d.Kind != sim.Constant {
		*d = sim.Const(d.Mean())
		return true
	}
	return set(&d.A, roundBelow(d.A))
}

// removeSub deletes subscription id and every action that names it.
func removeSub(sc *scenario.Scenario, id string) {
	subs := sc.Subs[:0]
	for _, s := range sc.Subs {
		if s.ID == id {
			continue
		}
		acts := s.Handler.Actions[:0]
		for _, a := range s.Handler.Actions {
			if a.Subscribe == nil || a.Subscribe.Sub != id {
				acts = append(acts, a)
			}
		}
		s.Handler.Actions = acts
		subs = append(subs, s)
	}
	sc.Subs = subs
	keepActions(sc, func(a *scenario.Action) bool { return actionSub(a) != id })
}

// removeClient deletes client name, its subscriptions and every action
// that names it.
func removeClient(sc *scenario.Scenario, name string) {
	var ids []string
	for _, s := range sc.Subs {
		if s.Client == name {
			ids = append(ids, s.ID)
		}
	}
	for _, id := range ids {
		removeSub(sc, id)
	}
	clients := sc.Clients[:0]
	for _, c := range sc.Clients {
		if c.Name != name {
			clients = append(clients, c)
		}
	}
	sc.Clients = clients
	keepActions(sc, func(a *scenario.Action) bool { return actionClient(a) != name })
}

// keepActions keeps the actions keep accepts and renumbers the returned
// triggers (scenario.Trigger.Action) to match; one whose action is gone
// is left naming no action, so the candidate fails to parse.
func keepActions(sc *scenario.Scenario, keep func(*scenario.Action) bool) {
	renum := make([]int, len(sc.Actions)) // old index -> new, -1 if removed
	acts := sc.Actions[:0]
	for i := range sc.Actions {
		renum[i] = -1
		if keep(&sc.Actions[i]) {
			renum[i] = len(acts)
			acts = append(acts, sc.Actions[i])
		}
	}
	sc.Actions = acts
	for _, a := range sc.Actions {
		if t := a.After; t != nil && t.Event == scenario.Returned {
			if t.Action = renum[t.Action]; t.Action < 0 {
				t.Action = len(sc.Actions)
			}
		}
	}
}

// actionSub returns the subscription an action names, or "".
func actionSub(a *scenario.Action) string {
	switch {
	case a.Subscribe != nil:
		return a.Subscribe.Sub
	case a.Unsubscribe != nil:
		return a.Unsubscribe.Sub
	case a.AutoUnsubscribe != nil:
		return a.AutoUnsubscribe.Sub
	case a.DrainSub != nil:
		return a.DrainSub.Sub
	case a.NextMsg != nil:
		return a.NextMsg.Sub
	case a.Counters != nil:
		return a.Counters.Sub
	}
	return ""
}

// actionClient returns the client an action names, or "".
func actionClient(a *scenario.Action) string {
	switch {
	case a.Publish != nil:
		return a.Publish.Client
	case a.Request != nil:
		return a.Request.Client
	case a.Flush != nil:
		return a.Flush.Client
	case a.Drain != nil:
		return a.Drain.Client
	case a.Close != nil:
		return a.Close.Client
	case a.Disconnect != nil:
		return a.Disconnect.Client
	}
	return ""
}

// removeAction removes action i, renumbering the returned triggers of the
// others; it keeps an action another waits for to return (that one is
// removed first, or the pair stays).
func removeAction(sc *scenario.Scenario, i int) bool {
	for _, a := range sc.Actions {
		if t := a.After; t != nil && t.Event == scenario.Returned && t.Action == i {
			return false
		}
	}
	k := 0
	keepActions(sc, func(*scenario.Action) bool { k++; return k-1 != i })
	return true
}
