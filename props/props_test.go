package props

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// genRun draws a scenario with GenScenario and runs it, both through
// rapid: the generator and the model take their decisions from distinct
// label streams of the same rapid chooser, so a failure shrinks the
// scenario and the model's choices together.
func genRun(t *rapid.T) (*scenario.Scenario, *model.Result) {
	return genRunFor(t, &model.GoProfile)
}

// genRunFor is genRun for the library of profile p.
func genRunFor(t *rapid.T, p *model.Profile) (*scenario.Scenario, *model.Result) {
	ch := RapidChooser(t)
	sc := GenProfileScenario(ch.Stream("gen"), p)
	return sc, runRapid(t, ch, sc)
}

// machineRun draws a scenario as a rapid state machine: the weather and
// topology first, then t.Repeat picks steps (wait, publish, drain, fault,
// ...) one at a time, each a removable unit for the shrinker; then it runs
// the scenario with the model's choices drawn through rapid.
func machineRun(t *rapid.T) (*scenario.Scenario, *model.Result) {
	return machineRunFor(t, &model.GoProfile)
}

// machineRunFor is machineRun for the library of profile p.
func machineRunFor(t *rapid.T, p *model.Profile) (*scenario.Scenario, *model.Result) {
	ch := RapidChooser(t)
	b := newBuilder(ch.Stream("gen"), p, false)
	actions := map[string]func(*rapid.T){}
	for _, k := range stepKinds {
		kind := k.name
		actions[kind] = func(t *rapid.T) {
			if !b.applicable(kind) {
				t.Skip("not applicable in this run's weather")
			}
			b.step(kind)
		}
	}
	t.Repeat(actions)
	sc := b.finish()
	return sc, runRapid(t, ch, sc)
}

func runRapid(t *rapid.T, ch sim.Chooser, sc *scenario.Scenario) *model.Result {
	res, err := model.Run(sc, model.Config{Chooser: ch.Stream("model")})
	if err != nil {
		t.Fatalf("model.Run: %v\n%s", err, sc.Marshal())
	}
	return res
}

// replaySeeds is how many PCG seeds replayScenario tries.
const replaySeeds = 1000

// replayScenario returns sc for replay with `drainsim run`, which draws
// through a PCG seeded with the scenario's seed rather than through rapid:
// it looks for a seed under which inv fails too and says whether it found
// one.
func replayScenario(sc *scenario.Scenario, inv Invariant, muts model.MutationSet) (*scenario.Scenario, bool) {
	cp := *sc
	for seed := uint64(0); seed < replaySeeds; seed++ {
		cp.Seed = seed
		if Violates(&cp, inv, muts) {
			return &cp, true
		}
	}
	return sc, false
}

// logCounterexample logs a failing scenario for replay: as a runnable
// file with a Mermaid diagram when a PCG seed reproduces the failure,
// otherwise as generated, with a note. The work happens in
// counterexample.String, which rapid calls only for the case it reports,
// not for every case it tries while shrinking.
func logCounterexample(t rapid.TB, sc *scenario.Scenario, inv Invariant, muts model.MutationSet) {
	t.Logf("%s", counterexample{sc, inv, muts})
}

type counterexample struct {
	sc   *scenario.Scenario
	inv  Invariant
	muts model.MutationSet
}

func (c counterexample) String() string {
	rp, ok := replayScenario(c.sc, c.inv, c.muts)
	if !ok {
		return fmt.Sprintf("%s failed under rapid's choices; no PCG seed below %d reproduces it. The scenario:\n%s",
			c.inv.ID, replaySeeds, c.sc.Marshal())
	}
	var b strings.Builder
	b.WriteString(replayPrefix)
	if err := WriteCounterexample(&b, rp, c.inv.ID, c.muts); err != nil {
		return fmt.Sprintf("writing the counterexample: %v", err)
	}
	return b.String()
}

// replayPrefix marks the log line that carries a replayable counterexample.
const replayPrefix = "replay scenario:\n"

// propertyPerInvariant runs one rapid property per invariant, so that each
// fails at its own Fatalf call site: rapid's shrinker only accepts a
// smaller case that fails with the same stack.
func propertyPerInvariant(t *testing.T, draw func(*rapid.T) (*scenario.Scenario, *model.Result)) {
	for _, inv := range Catalogue() {
		t.Run(inv.ID, rapid.MakeCheck(func(t *rapid.T) {
			sc, res := draw(t)
			if v := inv.Check(res); len(v) > 0 {
				logCounterexample(t, sc, inv, 0)
				t.Fatalf("%s: %s", inv.ID, Shorten(v))
			}
		}))
	}
}

// TestProp checks every invariant over scenarios drawn by GenScenario.
func TestProp(t *testing.T) {
	propertyPerInvariant(t, genRun)
}

// TestPropStateMachine checks every invariant over scenarios whose steps
// rapid's t.Repeat interleaves with time.
func TestPropStateMachine(t *testing.T) {
	propertyPerInvariant(t, machineRun)
}

// traceHash runs sc with a PCG seeded with seed and returns the trace hash.
func traceHash(t rapid.TB, sc *scenario.Scenario, seed uint64, muts model.MutationSet) uint64 {
	res, err := model.Run(sc, model.Config{Chooser: sim.NewPCG(seed), Trace: true, Mutations: muts})
	if err != nil {
		t.Fatalf("model.Run: %v", err)
	}
	return res.Trace.Hash()
}

// TestPropDeterminism: the same scenario and seed give the same trace, run
// after run and whatever GOMAXPROCS is.
func TestPropDeterminism(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := GenScenario(RapidChooser(t).Stream("gen"))
		seed := rapid.Uint64().Draw(t, "pcg-seed")
		var hs [4]uint64
		hs[0] = traceHash(t, sc, seed, 0)
		hs[1] = traceHash(t, sc, seed, 0)
		func() {
			prev := runtime.GOMAXPROCS(1)
			defer runtime.GOMAXPROCS(prev)
			hs[2] = traceHash(t, sc, seed, 0)
			runtime.GOMAXPROCS(2)
			hs[3] = traceHash(t, sc, seed, 0)
		}()
		if hs[1] != hs[0] || hs[2] != hs[0] || hs[3] != hs[0] {
			t.Fatalf("determinism: seed %d gave trace hashes %x (run, rerun, GOMAXPROCS=1, GOMAXPROCS=2)\n%s", seed, hs, sc.Marshal())
		}
	})
}

// clearPositions zeroes File and the Line fields, which Parse fills in and
// a generated scenario leaves empty, and makes an empty reconnect_servers
// list nil, as a generated client has it.
func clearPositions(s *scenario.Scenario) {
	s.File, s.ProfileLine = "", 0
	if s.Topology != nil {
		s.Topology.Line = 0
	}
	for i := range s.Clients {
		s.Clients[i].Line = 0
		if len(s.Clients[i].ReconnectServers) == 0 {
			s.Clients[i].ReconnectServers = nil
		}
	}
	for i := range s.Subs {
		s.Subs[i].Line = 0
		for j := range s.Subs[i].Handler.Actions {
			s.Subs[i].Handler.Actions[j].Line = 0
		}
	}
	for i := range s.Actions {
		s.Actions[i].Line = 0
	}
}

// roundTrip reports how Parse(Marshal(sc)) differs from sc, or "".
func roundTrip(sc *scenario.Scenario) string {
	data := sc.Marshal()
	back, err := scenario.Parse("generated.yaml", data)
	if err != nil {
		return fmt.Sprintf("Parse: %v\n%s", err, data)
	}
	clearPositions(back)
	if !reflect.DeepEqual(sc, back) {
		return fmt.Sprintf("round trip changed the scenario:\n%s\nparsed back as %+v", data, back)
	}
	return ""
}

func TestPropGeneratedScenariosRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if d := roundTrip(GenScenario(RapidChooser(t))); d != "" {
			t.Fatalf("round trip: %s", d)
		}
	})
}

func TestPropMachineScenariosRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc, _ := machineRun(t)
		if d := roundTrip(sc); d != "" {
			t.Fatalf("round trip: %s", d)
		}
	})
}

func TestGeneratedScenariosRoundTripPCG(t *testing.T) {
	for seed := uint64(1); seed <= maxSeeds; seed++ {
		if d := roundTrip(GenScenario(sim.NewPCG(seed))); d != "" {
			t.Fatalf("seed %d: %s", seed, d)
		}
	}
}

// TestGenScenarioIsDeterministic: the same PCG seed gives the same scenario.
func TestGenScenarioIsDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		a, b := GenScenario(sim.NewPCG(seed)), GenScenario(sim.NewPCG(seed))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two different scenarios", seed)
		}
	}
}

// TestRapidChooser checks the adapter's ranges and label prefixes.
func TestRapidChooser(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := RapidChooser(t)
		s := c.Stream("a").Stream("b")
		n := rapid.IntRange(1, 1000).Draw(t, "n")
		if v := s.IntN("x", n); v < 0 || v >= n {
			t.Fatalf("IntN(%d) = %d", n, v)
		}
		if f := c.Float64("f"); f < 0 || f >= 1 {
			t.Fatalf("Float64 = %v", f)
		}
		if got := s.(*rapidChooser).prefix; got != "a/b/" {
			t.Fatalf("prefix %q", got)
		}
		if p := sim.Perm(s, "perm", 5); len(p) != 5 {
			t.Fatalf("Perm: %v", p)
		}
	})
}
