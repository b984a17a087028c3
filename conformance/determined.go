package conformance

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// A perturbation changes a prepared scenario, or the profile it runs with,
// by about as much as a real run differs from the model's idealised one,
// or has the model draw the races it otherwise settles one way
// (model.Config.Races; races returns a fresh Chooser for each run). Either
// may be nil.
type perturbation struct {
	name  string
	apply func(sc *scenario.Scenario, p *model.Profile)
	races func() sim.Chooser
}

// perturbations are the noise of a real run on loopback: the relay, the
// kernel and goroutine hand-offs delay every write and round trip, by a
// fraction of a millisecond and sometimes more; nats.go's timers
// and poll loops fire a little late each time (about 0.3 ms here), so the
// loops drift against each other and chains of timeouts against the clock; goroutines start actions and
// finish callbacks up to about a millisecond off; and the server and the
// client make random choices of their own. An outage's end races the
// client's first reconnect attempt: the harness cannot time either to the
// millisecond (a real run once saw a 1 ms restart end before nats.js's
// first attempt, which the model has fail). Goroutines of nats.go started
// or woken at one instant run in the order the Go scheduler picks: the
// races of model/races.go, which the model settles one way unless asked
// to draw them (every race the other way, then drawn from a fixed seed).
var perturbations = []perturbation{
	{name: "latency +0.5ms", apply: func(sc *scenario.Scenario, _ *model.Profile) {
		sc.Network.Latency.A += 500 * time.Microsecond
	}},
	{name: "near-simultaneous actions reversed", apply: reverseTies},
	{name: "nats.go timers 3% slow", apply: func(sc *scenario.Scenario, p *model.Profile) {
		slow := func(d *time.Duration) { *d += *d * 3 / 100 }
		slow(&p.ConnDrainPoll)
		slow(&p.SubDrainPoll)
		for i := range sc.Actions {
			switch a := &sc.Actions[i]; {
			case a.Request != nil:
				slow(&a.Request.Timeout)
			case a.Flush != nil:
				slow(&a.Flush.Timeout)
			case a.NextMsg != nil:
				slow(&a.NextMsg.Timeout)
			}
		}
		for i := range sc.Subs {
			for j := range sc.Subs[i].Handler.Actions {
				if r := sc.Subs[i].Handler.Actions[j].Request; r != nil {
					slow(&r.Timeout)
				}
			}
		}
	}},
	outagesShorter(3 * time.Millisecond),
	jitter(1), jitter(2), jitter(3),
	reseed(1), reseed(2),
	{name: "races the other way", races: func() sim.Chooser { return otherWay{} }},
	{name: "races drawn (seed 1)", races: func() sim.Chooser { return sim.NewPCG(1) }},
}

// outagesShorter shortens every outage (a disconnect, a stall, a server
// restart) by d, to no less than zero: the harness cannot time an
// outage's end against the client's first reconnect attempt to the
// millisecond.
func outagesShorter(d time.Duration) perturbation {
	return perturbation{name: fmt.Sprintf("outages %s shorter", d), apply: func(sc *scenario.Scenario, _ *model.Profile) {
		shorter := func(f *time.Duration) { *f = max(0, *f-d) }
		for i := range sc.Actions {
			switch a := &sc.Actions[i]; {
			case a.Disconnect != nil:
				shorter(&a.Disconnect.For)
			case a.Stall != nil:
				shorter(&a.Stall.For)
			case a.RestartServer != nil:
				shorter(&a.RestartServer.For)
			}
		}
	}}
}

// otherWay is a Chooser that takes the last option of every choice: as
// model.Config.Races, every race goes the other way.
type otherWay struct{}

func (otherWay) IntN(_ string, n int) int    { return n - 1 }
func (otherWay) Float64(string) float64      { return 0.5 }
func (o otherWay) Stream(string) sim.Chooser { return o }

// reverseTies makes actions due at the same instant run in the opposite
// order, 1 ms apart: in a real run they race, for instance a publish with
// the goroutine a Drain just started on the same connection.
func reverseTies(sc *scenario.Scenario, _ *model.Profile) { reverseWithin(sc, time.Millisecond) }

// reverseWithin makes actions less than gap apart form a cluster (a real
// run cannot keep them in order, least of all on different connections);
// within each, the last runs first and the rest follow 1 ms apart.
func reverseWithin(sc *scenario.Scenario, gap time.Duration) {
	var order []int // the timed actions: a triggered one waits for its event
	at := make([]time.Duration, len(sc.Actions))
	for i := range sc.Actions {
		if sc.Actions[i].After == nil {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sc.Actions[a].At, sc.Actions[b].At) })
	for i := 0; i < len(order); {
		start := sc.Actions[order[i]].At
		j := i
		for j < len(order) && sc.Actions[order[j]].At-start < gap {
			j++
		}
		for k := i; k < j; k++ {
			at[order[k]] = start + time.Duration(j-1-k)*time.Millisecond
		}
		i = j
	}
	for _, i := range order {
		sc.Actions[i].At = at[i]
	}
}

// reseed changes the seed, and so the model's draws of what the real system
// leaves to chance: which queue-group member gets a message, in which order
// a connection drain walks its subscriptions (Go map order).
func reseed(delta uint64) perturbation {
	return perturbation{name: fmt.Sprintf("seed +%d", delta), apply: func(sc *scenario.Scenario, _ *model.Profile) {
		sc.Seed += delta
	}}
}

// jitter moves every action by up to ±2 ms and stretches or shrinks every
// handler duration by up to 3 % + 1 ms, drawn from a fixed seed.
func jitter(seed uint64) perturbation {
	return perturbation{name: fmt.Sprintf("jitter %d", seed), apply: func(sc *scenario.Scenario, _ *model.Profile) {
		rng := sim.NewPCG(seed)
		for i := range sc.Actions {
			a := &sc.Actions[i]
			// Delayed by 2 ms ± 2 ms, so that actions due at the same time
			// (at 0 in particular) are reordered too.
			shift := sim.DurationIn(rng, "at", 0, 4*time.Millisecond)
			if a.After != nil {
				// A triggered action is late after its event by what it
				// takes a goroutine to wake, under 1 ms: the event's own
				// shift is already in its time, and chained triggers add up.
				a.After.Delay += shift / 4
			} else {
				a.At += shift
			}
		}
		for i := range sc.Subs {
			d := &sc.Subs[i].Handler.Duration
			f := rng.Float64("stretch")*2 - 1 // in [-1, 1)
			d.A = max(0, d.A+time.Duration(f*(0.03*float64(d.A)+float64(time.Millisecond))))
		}
	}}
}

// Determined reports whether the outcome of the prepared scenario sc is
// determined enough to compare with a real run: the model, run on sc and on
// each perturbation of it, must agree with itself under tol. Otherwise it
// returns the perturbation and the differences it caused — a message that
// crosses an UNSUB, a callback that ends on a poll tick, a reply that
// arrives as its request times out: outcomes a real run decides by chance.
func Determined(sc *scenario.Scenario, p *model.Profile, tol Tolerance) (string, []Diff, error) {
	return determined(sc, p, tol, perturbations)
}

// determined is Determined under the perturbations pts.
func determined(sc *scenario.Scenario, p *model.Profile, tol Tolerance, pts []perturbation) (string, []Diff, error) {
	vs, err := variants(sc, p, pts)
	if err != nil {
		return "", nil, err
	}
	for _, v := range vs[1:] {
		if diffs := Compare(vs[0].Side, v.Side, tol); len(diffs) > 0 {
			return v.Name, diffs, nil
		}
	}
	return "", nil, nil
}

// Variant is the model's run of a prepared scenario, as given (Name "") or
// under one perturbation of the size of a real run's noise.
type Variant struct {
	Name string
	Side *Side
}

// Variants runs the prepared scenario sc under profile p as given, then
// under each perturbation. A real run whose outcome is one of these is one
// the model can produce: for a determined scenario they are all the same.
func Variants(sc *scenario.Scenario, p *model.Profile) ([]Variant, error) {
	return variants(sc, p, perturbations)
}

// variants is Variants under the perturbations pts.
func variants(sc *scenario.Scenario, p *model.Profile, pts []perturbation) ([]Variant, error) {
	base, err := variant(sc, p, perturbation{}, model.Run)
	if err != nil {
		return nil, err
	}
	out := []Variant{{Side: base}}
	for _, pt := range pts {
		side, err := variant(sc, p, pt, model.Run)
		if err != nil {
			return nil, err
		}
		out = append(out, Variant{Name: pt.name, Side: side})
	}
	return out, nil
}

// variant runs the prepared scenario sc under profile p and perturbation
// pt (the zero perturbation: as given) with run (model.Run, or a Runner's
// Run) and returns the model's side of it.
func variant(sc *scenario.Scenario, p *model.Profile, pt perturbation, run runFunc) (*Side, error) {
	res, err := runVariant(sc, p, pt, run, new(perturbMemory))
	if err != nil {
		return nil, err
	}
	return ModelSide(res), nil
}

// runFunc runs a scenario: model.Run, or a Runner's Run.
type runFunc = func(*scenario.Scenario, model.Config) (*model.Result, error)

// runVariant is variant's run, returning the model's result; a
// perturbation edits copies of sc and p in mem (unused, and may be nil,
// for the zero perturbation).
func runVariant(sc *scenario.Scenario, p *model.Profile, pt perturbation, run runFunc, mem *perturbMemory) (*model.Result, error) {
	cfg := model.Config{Profile: p}
	if pt.apply != nil {
		mem.prof = *p
		sc = mem.copyOf(sc)
		pt.apply(sc, &mem.prof)
		cfg.Profile = &mem.prof
	}
	if pt.races != nil {
		cfg.Races = pt.races()
	}
	return run(sc, cfg)
}

// Replayable reports whether a counterexample replays the same way on the
// real library of its profile: a real stack can play it (Prepare accepts
// it) and its outcome is determined (Determined, with the tolerance the
// harness uses). A profile without a real counterpart has nothing to
// replay on, so any scenario it can run counts. sc must be a scenario
// Parse accepts: read from a file, generated, or edited and checked with
// scenario.Scenario.Validate, as the shrinker's candidates are.
func Replayable(sc *scenario.Scenario) bool {
	if _, ok := counterparts[sc.Profile]; !ok {
		return true
	}
	// Of what Prepare(sc, 1) does, only supported can refuse a valid
	// scenario: its YAML round trip copies one (what Parse reads back is
	// sc again, but for the Line fields) and scaling by 1 changes no
	// value. agrees edits only copies (variant), so it runs sc itself:
	// the copy was a tenth of check --matrix's allocation
	// (TestReplayableIsPrepared).
	if supported(sc) != nil {
		return false
	}
	return determinedWithoutJitter(sc)
}

// determinedWithoutJitter is what Replayable asks of a scenario a real
// stack can play: that it is determined under its profile with the
// reconnect jitter off (a driver replays reconnects without it), with the
// harness's tolerance and the perturbations of a replay.
func determinedWithoutJitter(sc *scenario.Scenario) bool {
	prof, err := model.LookupProfile(sc.Profile)
	if err != nil {
		return false
	}
	noJitter := *prof
	noJitter.ReconnectJitter = 0
	return agrees(sc, &noJitter, DefaultTolerance, replayPerturbations)
}

// agrees reports whether determined(sc, p, tol, pts) finds sc determined
// (no error, no difference), asking no more than that needs: it stops at
// the first perturbation whose run fails or differs from the plain run
// (51 of the 165 calls of check --matrix --runs 300 stop there, most at
// the first or second perturbation, instead of running all 13), and runs
// them one after the other on a pooled replayer, whose memory each
// perturbed run's result, outcome and call groups reuse: they live only
// until the next one's comparison (TestAgreesIsDetermined).
func agrees(sc *scenario.Scenario, p *model.Profile, tol Tolerance, pts []perturbation) bool {
	rep := replayers.Get().(*replayer)
	defer replayers.Put(rep)
	res, err := runVariant(sc, p, perturbation{}, rep.runner.Run, nil)
	if err != nil {
		return false
	}
	// Compare's view of the plain run, derived once for every variant.
	view := rep.view.derive(rep.plain.sideOf(res), &GoObserves)
	for _, pt := range pts {
		res, err := runVariant(sc, p, pt, rep.runner.Run, &rep.perturbed)
		if err != nil {
			return false
		}
		if len(view.compareIn(rep.variant.sideOf(res), tol, &rep.real)) > 0 {
			return false
		}
	}
	return true
}

// A replayer is the memory agrees reuses from one run to the next, and
// from one scenario to the next: the runner (its results), the perturbed
// copy of the scenario, the sides of the plain run and of the perturbed
// run being compared (outcomes and keys), the plain run's view, and the
// perturbed run's projection and calls by source in the comparison.
// Made anew for every scenario, the plain run's side and view were a
// sixth of check --matrix's allocation.
type replayer struct {
	runner         model.Runner
	perturbed      perturbMemory
	plain, variant sideMemory
	view           modelView
	real           realMemory // the comparison's projection and call groups
}

// sideMemory is the memory of a run's Side (sideOf) that the next run's
// reuses.
type sideMemory struct {
	outcome model.Outcome
	side    Side
	keyer   keyer
}

// perturbMemory holds the copies of a scenario and its profile that a
// perturbation edits (runVariant). A replayer keeps one for all its
// perturbed runs, whose scenario copies were a tenth of the bytes of
// check --matrix's shrinks.
type perturbMemory struct {
	sc   *scenario.Scenario // the last copy made, as its perturbation left it; nil before the first
	prof model.Profile
}

// copyOf returns a copy of sc (prepared already: a copy costs far less
// than Prepare's YAML round trip and gives the same scenario,
// scenario.Scenario.Clone) in m's memory: the previous copy made equal to
// sc again (restore), or a new Clone when that copy's shape differs.
func (m *perturbMemory) copyOf(sc *scenario.Scenario) *scenario.Scenario {
	if m.sc == nil || !restore(reflect.ValueOf(m.sc).Elem(), reflect.ValueOf(sc).Elem()) {
		m.sc = sc.Clone()
	}
	return m.sc
}

// restore makes dst, a copy of src of the same type (scenario.Scenario.
// Clone's, or restore's) that a perturbation may have edited, equal to src
// again, in dst's own lists and pointed-to values, and reports whether it
// could: not when dst's shape differs (a nil pointer or list where src
// has none or the reverse, a list of another length), which leaves dst
// part restored. Perturbations edit values in place and keep the shape
// (TestPerturbedCopyIsClone). Like Clone it shares nothing with src but
// strings, which are immutable; a Scenario holds no map, interface,
// function or channel (scenario.TestCloneKinds).
func restore(dst, src reflect.Value) bool {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() || dst.IsNil() {
			return src.IsNil() == dst.IsNil()
		}
		return restore(dst.Elem(), src.Elem())
	case reflect.Slice:
		if src.IsNil() != dst.IsNil() || src.Len() != dst.Len() {
			return false
		}
		for i := range src.Len() {
			if !restore(dst.Index(i), src.Index(i)) {
				return false
			}
		}
	case reflect.Array:
		for i := range src.Len() {
			if !restore(dst.Index(i), src.Index(i)) {
				return false
			}
		}
	case reflect.Struct:
		for i := range src.NumField() {
			// An unexported field cannot be set (there is none).
			if f := dst.Field(i); !f.CanSet() || !restore(f, src.Field(i)) {
				return false
			}
		}
	default:
		dst.Set(src)
	}
	return true
}

// sideOf is ModelSide(res) in m's memory, valid until the next call.
func (m *sideMemory) sideOf(res *model.Result) *Side {
	res.OutcomeInto(&m.outcome)
	m.side = Side{Outcome: &m.outcome, Keys: m.keyer.keys(res)}
	return &m.side
}

// replayers lends agrees a replayer, so that the many short runs of
// Replayable reuse one another's memory.
var replayers = sync.Pool{New: func() any { return new(replayer) }}

// replayPerturbations are the perturbations plus a wider tie: a driver
// plays every client in one process, whose timers and writes on a loaded
// machine keep actions a millisecond or two apart in order no better than
// those 1 ms apart (nats.js 2.29.3 in CI reversed a publish and a
// subscription drain 1 ms later 10 runs in 10).
var replayPerturbations = append(slices.Clip(perturbations), perturbation{
	name:  "actions under replayGap apart reversed",
	apply: func(sc *scenario.Scenario, _ *model.Profile) { reverseWithin(sc, replayGap) },
})

// replayGap is how far apart actions must be for a counterexample to count
// as replaying in their order on a real library.
const replayGap = 3 * time.Millisecond
