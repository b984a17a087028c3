package props

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestShrinkSeparatesFaults: a counterexample whose fault ties with a
// drain (which a real run could play in either order) is shrunk to one
// that keeps them realGap apart, still failing.
func TestShrinkSeparatesFaults(t *testing.T) {
	sc, err := scenario.Parse("tie.yaml", []byte(`name: tie
profile: go-1.53
clients: [{name: c}]
subscriptions: [{id: s, client: c, subject: x}]
actions:
  - {at: 0s, restart_server: {}}
  - {at: 0s, drain: {client: c}}
`))
	require.NoError(t, err)
	inv, ok := Lookup("closed-is-final")
	require.True(t, ok)
	fails := func(c *scenario.Scenario) bool { return Violates(c, inv, 0) }
	require.True(t, fails(sc))
	require.Equal(t, 1, faultRaces(sc))

	got := Shrink(sc, fails)
	require.True(t, fails(got))
	require.Zero(t, faultRaces(got), "the fault and the drain are moved apart:\n%s", got.Marshal())
	require.Equal(t, realGap, got.Actions[0].At-got.Actions[1].At, "the restart follows the drain by realGap")

	// Without a way to separate them, the shrinker keeps the race rather
	// than losing the failure, and never adds one.
	never := func(c *scenario.Scenario) bool { return faultRaces(c) > 0 && fails(c) }
	require.Equal(t, 1, faultRaces(Shrink(sc, never)))
}

// TestShrinkKeepsTriggersValid: removing an action renumbers the returned
// triggers of the others, so the shrunk scenario still waits for the same
// action (a removal that only deleted it would leave actions[2] waiting
// for the wrong action or for none); an action another waits for is not
// removed while that one stays.
func TestShrinkKeepsTriggersValid(t *testing.T) {
	sc, err := scenario.Parse("trig.yaml", []byte(`name: trig
clients: [{name: c}]
actions:
  - {at: 0s, flush: {client: c}}
  - {at: 1ms, flush: {client: c}}
  - {after: {event: returned, action: 1}, drain: {client: c}}
`))
	require.NoError(t, err)
	// fails while a drain waits for a flush to return.
	fails := func(c *scenario.Scenario) bool {
		for _, a := range c.Actions {
			if t := a.After; a.Drain != nil && t != nil && t.Event == scenario.Returned && c.Actions[t.Action].Flush != nil {
				return true
			}
		}
		return false
	}
	got := Shrink(sc, fails)
	require.Len(t, got.Actions, 2, "%s", got.Marshal())
	require.Equal(t, 0, got.Actions[1].After.Action, "%s", got.Marshal())
	require.NotNil(t, got.Actions[0].Flush)

	require.False(t, removeAction(sc, 1), "actions[2] waits for actions[1]")
}

// TestShrinkCloneIsReparse checks what Shrink relies on when it copies
// its current scenario with Clone instead of reparse: for generated
// scenarios of every profile, with and without a topology, once
// reparsed, Clone gives what reparse gives, and every shrink edit of the
// copy leaves the original as it was. It fails when Clone shares a slice
// with the original (an edit's append(s[:j], s[j+1:]...) then rewrites
// the current scenario: make deepCopy's Slice case dst.Set(src)) or
// differs from the round trip in any field.
func TestShrinkCloneIsReparse(t *testing.T) {
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 20; seed++ {
			for _, sc := range []*scenario.Scenario{GenProfileScenario(sim.NewPCG(seed), p), GenClusterScenario(sim.NewPCG(seed), p)} {
				cur, ok := reparse(sc)
				require.True(t, ok, "%s seed %d", name, seed)
				want, ok := reparse(cur)
				require.True(t, ok, "%s seed %d", name, seed)
				require.Equal(t, want, cur.Clone(), "%s seed %d", name, seed)
				text := string(cur.Marshal())
				for _, e := range shrinkEdits {
					for i := range e.n(cur) {
						e.apply(cur.Clone(), i)
					}
				}
				require.Equal(t, text, string(cur.Marshal()), "%s seed %d: an edit of a clone changed the original", name, seed)
			}
		}
	}
}

// TestShrinkEditsReportTheirChanges: an edit that reports no change
// (shrinkEdit.apply returns false) leaves its copy equal to the scenario,
// as Shrink's spare copy needs (it takes that copy for the next
// candidate), over every edit and place of generated scenarios of every
// profile, with and without a topology, and of their reparsed and
// simplified forms. Breaks caught, each tried: an edit that changes its
// copy and reports false (set reporting no change when it zeroes a value;
// onClient's option reset without its NoCallbacksAfterClose term), which
// a later candidate would carry.
func TestShrinkEditsReportTheirChanges(t *testing.T) {
	unchanged := 0
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 20; seed++ {
			for _, gen := range []*scenario.Scenario{GenProfileScenario(sim.NewPCG(seed), p), GenClusterScenario(sim.NewPCG(seed), p)} {
				sc, ok := reparse(gen)
				require.True(t, ok, "%s seed %d", name, seed)
				// Twice: as generated, then with every value edit made,
				// where most edits find nothing left to change.
				for range 2 {
					for k, e := range shrinkEdits {
						for i := range e.n(sc) {
							if c := sc.Clone(); !e.apply(c, i) {
								unchanged++
								require.Equal(t, sc, c, "%s seed %d: edit %d at %d reported no change", name, seed, k, i)
							}
						}
					}
					for _, e := range shrinkEdits {
						for i := 0; i < e.n(sc); i++ {
							// A value edit, not a removal: its places stay.
							if c := sc.Clone(); e.apply(c, i) && e.n(c) == e.n(sc) {
								sc = c
							}
						}
					}
				}
			}
		}
	}
	require.Greater(t, unchanged, 1000, "too few unchanged edits: the test checks little")
}

// TestShrinkDrawnIsShrink: a generated scenario of every profile (with
// and without a topology) is what Parse reads back from its Marshal
// output but for the Line fields, as shrinkDrawn assumes, and
// shrinkDrawn shrinks it to what Shrink does, for a predicate that keeps
// most candidates and one that keeps few. Break caught (tried): the
// generator leaving an empty handler action list where Parse reads nil
// (orNil dropped in handler).
func TestShrinkDrawnIsShrink(t *testing.T) {
	preds := map[string]func(*scenario.Scenario) bool{
		"drains": func(c *scenario.Scenario) bool {
			return slices.ContainsFunc(c.Actions, func(a scenario.Action) bool { return a.Drain != nil })
		},
		"publishes 3": func(c *scenario.Scenario) bool {
			n := 0
			for _, a := range c.Actions {
				if a.Publish != nil {
					n += a.Publish.Count
				}
			}
			return n >= 3
		},
	}
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 20; seed++ {
			for _, sc := range []*scenario.Scenario{GenProfileScenario(sim.NewPCG(seed), p), GenClusterScenario(sim.NewPCG(seed), p)} {
				back, ok := reparse(sc)
				require.True(t, ok, "%s seed %d", name, seed)
				clearPositions(back)
				require.Equal(t, sc, back, "%s seed %d: the round trip changed the scenario", name, seed)
				for what, pred := range preds {
					if pred(sc) {
						require.Equal(t, Shrink(sc, pred), shrinkDrawn(sc, pred), "%s seed %d, %s", name, seed, what)
					}
				}
			}
		}
	}
}

// TestCopyIntoIsClone: copies made as Shrink makes them, into the memory
// of the scenario last given up (a rejected candidate, or the current
// scenario a kept one replaced), equal a Clone of the current scenario,
// and an edit of one changes it exactly as it changes a Clone, and changes
// neither the current scenario nor the next copy: over every edit and
// place of generated scenarios of every profile (with and without a
// topology), each candidate kept or rejected in turn, so that lists
// shrink and grow again in reused memory. Breaks caught, each tried: a
// list lengthened within its capacity without zeroing the elements past
// its end (an element removed earlier shares its values with the one
// before it), and a pointer copied instead of the value it points at (the
// edit changes the current scenario).
func TestCopyIntoIsClone(t *testing.T) {
	reused := 0
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 12; seed++ {
			for _, gen := range []*scenario.Scenario{GenProfileScenario(sim.NewPCG(seed), p), GenClusterScenario(sim.NewPCG(seed), p)} {
				cur, ok := reparse(gen)
				require.True(t, ok)
				var free *scenario.Scenario
				step := 0
				for _, e := range shrinkEdits {
					for i := 0; i < e.n(cur); i++ {
						what := fmt.Sprintf("%s seed %d, edit at %d, step %d", name, seed, i, step)
						before, want := cur.Clone(), cur.Clone()
						cand := cur.Clone()
						if free != nil {
							cand, free = free, nil
							copyInto(reflect.ValueOf(cand).Elem(), reflect.ValueOf(cur).Elem())
							reused++
						}
						require.Equal(t, want, cand, what)
						require.Equal(t, e.apply(want, i), e.apply(cand, i), what)
						require.Equal(t, want, cand, what)
						require.Equal(t, before, cur, "%s: the edit of the copy changed the scenario", what)
						if step++; step%3 != 0 {
							free, cur = cur, cand
						} else {
							free = cand
						}
					}
				}
			}
		}
	}
	require.Greater(t, reused, 1000, "few copies reused memory: the test checks little")
}

// TestShrinkAsksOncePerCandidate: Shrink runs its predicate once per
// distinct candidate (remembered), and the shrunk scenario still fails.
// It fails when Shrink stops remembering (drop the `fails =
// remembered(fails)` line: generated scenarios then repeat candidates) or
// when remembered keys on something other than the candidate's text (a
// pointer never repeats).
func TestShrinkAsksOncePerCandidate(t *testing.T) {
	p, err := model.LookupProfile("go")
	require.NoError(t, err)
	repeated := 0
	for seed := uint64(1); seed <= 30; seed++ {
		calls := map[string]int{}
		// At least two messages published: lowering a count of 2 or 3
		// to 1 fails, and halving it then makes the same candidate.
		publishes := func(c *scenario.Scenario) bool {
			calls[string(c.Marshal())]++
			n := 0
			for _, a := range c.Actions {
				if a.Publish != nil {
					n += a.Publish.Count
				}
			}
			return n >= 2
		}
		sc := GenProfileScenario(sim.NewPCG(seed), p)
		if !publishes(sc) {
			continue
		}
		shrunk := Shrink(sc, publishes)
		require.True(t, publishes(shrunk), "seed %d", seed)
		for text, n := range calls {
			if n > 1 && text != string(shrunk.Marshal()) && text != string(sc.Marshal()) {
				repeated++
			}
		}
	}
	require.Zero(t, repeated, "candidates asked about more than once")
}

// TestValueKeyNamesAValue: remembered's key (appendValue) is the same for
// two scenarios exactly when they are equal field by field
// (reflect.DeepEqual), so that a verdict is never taken from another
// scenario: over every candidate one shrink edit makes of generated
// scenarios of every profile, and over pairs an encoding without
// lengths or nil flags would confuse (strings split differently, a nil and
// a zero pointer, a nil and an empty list). It fails too when a Scenario
// holds a kind appendValue does not encode (a map, an interface). Breaks
// caught: a string written without its length; a pointer or list without
// its nil flag; a kind case left out (a float's or a bool's value not
// written: candidates differing in a distribution's parameter or an
// option collide).
func TestValueKeyNamesAValue(t *testing.T) {
	encoded := []reflect.Kind{reflect.Pointer, reflect.Slice, reflect.Array, reflect.Struct, reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64}
	seen := map[reflect.Type]bool{}
	var kinds func(reflect.Type)
	kinds = func(ty reflect.Type) {
		if seen[ty] {
			return
		}
		seen[ty] = true
		require.Contains(t, encoded, ty.Kind(), "a Scenario holds %s, which appendValue does not encode", ty)
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			kinds(ty.Elem())
		case reflect.Struct:
			for i := range ty.NumField() {
				kinds(ty.Field(i).Type)
			}
		}
	}
	kinds(reflect.TypeOf(scenario.Scenario{}))

	key := func(sc *scenario.Scenario) string { return string(appendValue(nil, reflect.ValueOf(sc).Elem())) }
	var cands []*scenario.Scenario
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 3; seed++ {
			sc, ok := reparse(GenProfileScenario(sim.NewPCG(seed), p))
			require.True(t, ok)
			cands = append(cands, sc)
			for _, e := range shrinkEdits {
				for i := range e.n(sc) {
					if c := sc.Clone(); e.apply(c, i) {
						cands = append(cands, c)
					}
				}
			}
		}
	}
	one := func(sc *scenario.Scenario, edit func(*scenario.Scenario)) *scenario.Scenario {
		c := sc.Clone()
		edit(c)
		return c
	}
	base := cands[0]
	require.NotEmpty(t, base.Clients)
	for _, pair := range [][2]*scenario.Scenario{
		{one(base, func(c *scenario.Scenario) { c.Name, c.Description = "ab", "c" }),
			one(base, func(c *scenario.Scenario) { c.Name, c.Description = "a", "bc" })},
		{one(base, func(c *scenario.Scenario) { c.Clients[0].DrainTimeout = nil }),
			one(base, func(c *scenario.Scenario) { c.Clients[0].DrainTimeout = new(time.Duration) })},
		{one(base, func(c *scenario.Scenario) { c.Actions = nil }),
			one(base, func(c *scenario.Scenario) { c.Actions = []scenario.Action{} })},
		{one(base, func(c *scenario.Scenario) { c.Network.Latency.Sigma = 0.5 }),
			one(base, func(c *scenario.Scenario) { c.Network.Latency.Sigma = 0.25 })},
	} {
		require.NotEqual(t, key(pair[0]), key(pair[1]), "two different scenarios share a key")
	}
	byKey := map[string]*scenario.Scenario{}
	for n, c := range cands {
		k := key(c)
		if first, ok := byKey[k]; ok {
			require.True(t, reflect.DeepEqual(first, c), "candidate %d shares its key with a different scenario", n)
			continue
		}
		byKey[k] = c
		require.Equal(t, k, key(c.Clone()), "candidate %d: its copy has another key", n)
	}
	t.Logf("%d candidates, %d keys", len(cands), len(byKey))
	require.Greater(t, len(byKey), len(cands)/2)
}
