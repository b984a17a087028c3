package props

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// loadOrders loads the orders example (its whole vary: section) or its
// short-timeout variant.
func loadOrders(t testing.TB, name string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load("../examples/orders/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// zeros is a chooser that returns 0 for every choice.
type zeros struct{}

func (zeros) IntN(string, int) int        { return 0 }
func (zeros) Float64(string) float64      { return 0 }
func (z zeros) Stream(string) sim.Chooser { return z }

// TestPerturbZeroIsTheFile: choosing 0 everywhere gives back the scenario
// as written (without its vary: section), which is what rapid shrinks
// towards. It catches a variation whose zero draw changes something, e.g.
// a latency drawn as uniform(min, max) with no "keep" choice.
func TestPerturbZeroIsTheFile(t *testing.T) {
	sc := loadOrders(t, "orders.yaml")
	p := Perturb(zeros{}, sc)
	want := *sc
	want.Vary = nil
	if !bytes.Equal(p.Marshal(), want.Marshal()) {
		t.Fatalf("zero perturbation:\n%s\nwant the file:\n%s", p.Marshal(), want.Marshal())
	}
	if c := Changes(sc, p); len(c) != 0 {
		t.Errorf("Changes of the zero perturbation: %v", c)
	}
}

// TestPerturbStaysWithinBounds: no perturbation changes what vary: does
// not allow, for the orders example, for each of its variations alone
// (so that a change one variation makes cannot hide behind another's
// permission) and for the file with no vary: at all. WithinBounds is the
// oracle; TestWithinBoundsCatches shows it catches each kind of change.
func TestPerturbStaysWithinBounds(t *testing.T) {
	full := loadOrders(t, "orders.yaml")
	cases := map[string]*scenario.Scenario{"all": full}
	for _, k := range full.Vary.Keys {
		one := *full
		one.Vary = &scenario.Vary{}
		if err := one.Override("case", []byte("{"+k+": "+varyValue(t, full, k)+"}")); err != nil {
			t.Fatal(err)
		}
		cases[k] = &one
	}
	none := *full
	none.Vary = nil
	cases["none"] = &none
	for name, sc := range cases {
		for seed := uint64(0); seed < 300; seed++ {
			p := Perturb(sim.NewPCG(seed), sc)
			if err := WithinBounds(sc, p); err != nil {
				t.Fatalf("%s, PCG seed %d: %v", name, seed, err)
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		p := Perturb(RapidChooser(t), full)
		if err := WithinBounds(full, p); err != nil {
			t.Fatalf("%v", err)
		}
	})
}

// varyValue returns the YAML of one field of sc's vary: section.
func varyValue(t *testing.T, sc *scenario.Scenario, key string) string {
	t.Helper()
	for _, l := range strings.Split(string(sc.Marshal()), "\n") {
		if v, ok := strings.CutPrefix(l, "  "+key+": "); ok {
			return v
		}
	}
	t.Fatalf("no %s in vary:", key)
	return ""
}

// TestWithinBoundsCatches: each change a broken perturbation could make
// beyond the bounds is refused (each case is the break it catches).
func TestWithinBoundsCatches(t *testing.T) {
	base := loadOrders(t, "orders.yaml")
	for _, c := range []struct {
		why  string
		vary string // replaces these vary: fields first
		edit func(*scenario.Scenario)
	}{
		{"seed changed without seed: true", "{seed: false}", func(p *scenario.Scenario) { p.Seed++ }},
		{"latency above its max", "", func(p *scenario.Scenario) { p.Network.Latency = sim.Const(6 * time.Millisecond) }},
		{"handler scaled beyond max_factor", "", func(p *scenario.Scenario) {
			p.Subs[0].Handler.Duration = sim.Dist{Kind: sim.Uniform, A: 8 * time.Millisecond, B: 32 * time.Millisecond}
		}},
		{"handler bounds scaled by two factors", "", func(p *scenario.Scenario) {
			p.Subs[0].Handler.Duration = sim.Dist{Kind: sim.Uniform, A: 2 * time.Millisecond, B: 16 * time.Millisecond}
		}},
		{"a client option changed", "", func(p *scenario.Scenario) {
			d := time.Second / 2
			p.Clients = slices.Clone(p.Clients) // Perturb shares them with the file
			p.Clients[1].DrainTimeout = &d
		}},
		{"publish count changed", "", func(p *scenario.Scenario) {
			pub := *p.Actions[0].Publish // shared with the file
			pub.Count = 99
			p.Actions[0].Publish = &pub
		}},
		{"drain moved beyond its jitter", "", func(p *scenario.Scenario) { p.Actions[1].At += 101 * time.Millisecond }},
		{"publish moved beyond its jitter", "", func(p *scenario.Scenario) { p.Actions[0].At = 30 * time.Millisecond }},
		{"drain moved without drain_jitter", "{drain_jitter: {}}", func(p *scenario.Scenario) { p.Actions[1].At++ }},
		{"actions of different times swapped", "", func(p *scenario.Scenario) { p.Actions[0], p.Actions[1] = p.Actions[1], p.Actions[0] }},
		{"an action removed", "", func(p *scenario.Scenario) { p.Actions = p.Actions[:1] }},
		{"a drain added", "", func(p *scenario.Scenario) {
			p.Actions = append(p.Actions, scenario.Action{At: time.Second, Drain: &scenario.ClientRef{Client: "svc-b"}})
		}},
		{"a disconnect of a client not allowed", "", func(p *scenario.Scenario) {
			p.Actions = append(p.Actions, scenario.Action{At: time.Second, Disconnect: &scenario.Disconnect{Client: "svc-a"}})
		}},
		{"a disconnect outside its window", "", func(p *scenario.Scenario) {
			p.Actions = append(p.Actions, scenario.Action{At: 2 * time.Second, Disconnect: &scenario.Disconnect{Client: "gateway"}})
		}},
		{"too many disconnects", "", func(p *scenario.Scenario) {
			for range 3 {
				p.Actions = append(p.Actions, scenario.Action{At: time.Second, Disconnect: &scenario.Disconnect{Client: "gateway"}})
			}
		}},
		{"a restart without restarts:", "", func(p *scenario.Scenario) {
			p.Actions = append(p.Actions, scenario.Action{At: time.Second, RestartServer: &scenario.RestartServer{}})
		}},
		{"an expectation dropped", "", func(p *scenario.Scenario) { p.Expect = p.Expect[1:] }},
	} {
		sc := *base
		if c.vary != "" {
			if err := sc.Override("case", []byte(c.vary)); err != nil {
				t.Fatal(err)
			}
		}
		p := Perturb(zeros{}, &sc)
		if err := WithinBounds(&sc, p); err != nil {
			t.Fatalf("%s: the unperturbed scenario is refused: %v", c.why, err)
		}
		c.edit(p)
		if err := WithinBounds(&sc, p); err == nil {
			t.Errorf("WithinBounds accepts a perturbation with %s", c.why)
		}
	}
}

// TestPerturbVaries: over PCG seeds every variation of the orders example
// is drawn at least once, so that the bounds tests test something. It
// catches a variation that is never applied (e.g. a draw whose result is
// ignored).
func TestPerturbVaries(t *testing.T) {
	sc := loadOrders(t, "orders.yaml")
	seen := map[string]bool{}
	for seed := uint64(1); seed < 200; seed++ {
		for _, c := range Changes(sc, Perturb(sim.NewPCG(seed), sc)) {
			seen[strings.Fields(c)[0]+" "+strings.Fields(c)[1]] = true
		}
	}
	for _, want := range []string{"seed 1", "network latency", "subscription a", "subscription b", "actions[0] publish", "actions[1] drain", "added: disconnect"} {
		if !seen[want] {
			t.Errorf("no perturbation changed %q (seen %v)", want, seen)
		}
	}
}

// TestReorderTies: tie_order reorders only actions written for the same
// time, and zero draws keep the written order.
func TestReorderTies(t *testing.T) {
	acts := []scenario.Action{{At: 0, Line: 1}, {At: 5, Line: 2}, {At: 0, Line: 3}, {At: 0, Line: 4}, {At: 5, Line: 5}}
	lines := func(as []scenario.Action) []int {
		var out []int
		for _, a := range as {
			out = append(out, a.Line)
		}
		return out
	}
	got := append([]scenario.Action(nil), acts...)
	reorderTies(zeros{}, got)
	if l := lines(got); !slices.Equal(l, []int{1, 2, 3, 4, 5}) {
		t.Errorf("zero draws reorder: %v", l)
	}
	reorderTies(last{}, got)
	if l := lines(got); !slices.Equal(l, []int{4, 5, 3, 1, 2}) {
		t.Errorf("last picks: %v, want [4 5 3 1 2]", l)
	}
}

// last is a chooser that picks the largest value every time.
type last struct{}

func (last) IntN(_ string, n int) int    { return n - 1 }
func (last) Float64(string) float64      { return 0.999 }
func (l last) Stream(string) sim.Chooser { return l }

// TestPerturbGeneratedScenarios: for generated scenarios (GenScenario)
// and a vary: section drawn at random, every perturbation stays within
// the bounds; the scenarios have handler actions, sync subscriptions,
// faults and equal-time actions the orders example lacks.
func TestPerturbGeneratedScenarios(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ch := RapidChooser(t)
		sc := GenScenario(ch.Stream("gen"))
		sc.Vary = drawVary(t, sc)
		p := Perturb(ch.Stream("perturb"), sc)
		if err := WithinBounds(sc, p); err != nil {
			t.Fatalf("%v\nvary: %+v", err, sc.Vary)
		}
	})
}

// drawVary draws a vary: section for sc, each variation on or off.
func drawVary(t *rapid.T, sc *scenario.Scenario) *scenario.Vary {
	dur := func(label string) time.Duration {
		return time.Duration(rapid.IntRange(0, 200).Draw(t, label)) * time.Millisecond
	}
	rng := func(label string) scenario.DurationRange {
		a, b := dur(label+"-a"), dur(label+"-b")
		return scenario.DurationRange{Min: min(a, b), Max: max(a, b)}
	}
	on := func(label string) bool { return rapid.Bool().Draw(t, label) }
	v := &scenario.Vary{Seed: on("seed"), TieOrder: on("tie-order")}
	if on("latency") {
		r := rng("latency")
		v.Latency = &r
	}
	if on("handler-time") {
		v.HandlerTime = &scenario.HandlerTimeVary{
			MinFactor: rapid.Float64Range(0.001, 1).Draw(t, "min-factor"),
			MaxFactor: rapid.Float64Range(1, 10).Draw(t, "max-factor"),
		}
	}
	if on("publish-jitter") {
		v.PublishJitter = &scenario.Shift{Earlier: dur("pub-earlier"), Later: dur("pub-later")}
	}
	if on("drain-jitter") {
		v.DrainJitter = &scenario.Shift{Earlier: dur("drain-earlier"), Later: dur("drain-later")}
	}
	if on("disconnects") {
		v.Disconnects = &scenario.FaultVary{Max: rapid.IntRange(0, 3).Draw(t, "disconnects"), At: rng("disconnect-at"), For: rng("disconnect-for")}
		if on("disconnect-clients") {
			v.Disconnects.Clients = []string{sc.Clients[0].Name}
		}
	}
	if on("restarts") {
		v.Restarts = &scenario.FaultVary{Max: rapid.IntRange(0, 3).Draw(t, "restarts"), At: rng("restart-at"), For: rng("restart-for")}
	}
	return v
}

// TestPerturbLeavesTheFile: Perturb never modifies the scenario it
// perturbs. It catches a perturbation that writes into the file's
// subscriptions or actions instead of copies.
func TestPerturbLeavesTheFile(t *testing.T) {
	sc := loadOrders(t, "orders.yaml")
	before := sc.Marshal()
	for seed := uint64(1); seed < 50; seed++ {
		Perturb(sim.NewPCG(seed), sc)
	}
	if after := sc.Marshal(); !bytes.Equal(before, after) {
		t.Errorf("Perturb changed the file:\n%s\nwas\n%s", after, before)
	}
}

// TestPerturbKeepsTriggeredActions: a triggered action fires on its event,
// so jitter and tie_order leave it as written, in its place (other triggers
// name actions by index). It fails if the jitter loop or reorderTies takes
// triggered actions in (they all have At 0, a tie of their own).
func TestPerturbKeepsTriggeredActions(t *testing.T) {
	sc := loadOrders(t, "orders.yaml")
	sc.Actions = append(sc.Actions,
		scenario.Action{After: &scenario.Trigger{Event: scenario.CallbackStart, Sub: "b", Nth: 3}, Drain: &scenario.ClientRef{Client: "svc-b"}},
		scenario.Action{After: &scenario.Trigger{Event: scenario.CallbackStart, Sub: "a", Nth: 1, Delay: time.Millisecond}, Drain: &scenario.ClientRef{Client: "svc-a"}},
	)
	n := len(sc.Actions)
	for seed := uint64(0); seed < 300; seed++ {
		p := Perturb(sim.NewPCG(seed), sc)
		for i := n - 2; i < n; i++ {
			if !reflect.DeepEqual(p.Actions[i], sc.Actions[i]) {
				t.Fatalf("PCG seed %d: triggered actions[%d] became %+v (was %+v)", seed, i, p.Actions[i], sc.Actions[i])
			}
		}
		if err := WithinBounds(sc, p); err != nil {
			t.Fatalf("PCG seed %d: %v", seed, err)
		}
	}
}
