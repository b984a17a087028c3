package props

import (
	"fmt"
	"slices"
	"sync"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// SwarmConfig configures a swarm check: Runs generated scenarios per
// profile, the i-th drawn by GenScenario from a PCG seeded with Seed+i.
type SwarmConfig struct {
	Profiles  []string // profile names; empty means the scenario default
	Runs      int
	Seed      uint64
	Mutations model.MutationSet
	// DeterminismRuns is how many of the first runs of each profile are
	// also run determinismReruns times with a full trace to compare the
	// traces (the determinism check, Nondeterministic).
	DeterminismRuns int
	// NoShrink reports counterexamples as generated, without shrinking.
	NoShrink bool
	// SkipKnown leaves out the invariants a profile is known to violate
	// (KnownViolations), so that the swarm looks for new violations only.
	SkipKnown bool
	// Replayable, when set, says whether a counterexample replays the same
	// way on the real library (conformance.Replayable: a scenario a real
	// stack can play whose outcome the noise of a real run does not
	// change). The matrix then prefers such counterexamples and shrinks
	// them only through such scenarios.
	Replayable func(*scenario.Scenario) bool
	// Stop, when closed, ends Swarm and RunMatrix before their next
	// scenario; they report the scenarios run so far, marked Interrupted.
	Stop <-chan struct{}
	// Workers is how many scenarios run (and counterexamples shrink) in
	// parallel; 0 or 1 runs them one after the other. The report is the
	// same for any number: results are taken in generator-seed order.
	Workers int
	// Progress, when set, is called with 1 after each scenario is taken
	// into the report, on the goroutine that called Swarm or RunMatrix.
	Progress func(n int)
	// Ties makes every generated scenario opt in to ties: permute: its
	// seed's PCG then also orders the events that fall at the same
	// instant, and a counterexample replays with that order.
	Ties bool
	// Topology draws every scenario on a generated topology
	// (GenClusterScenario) instead of one server.
	Topology bool
}

// generate draws the scenario of seed for profile p in m, as
// GenClusterScenario does with cfg.Topology and GenProfileScenario
// without, with cfg's tie order.
func (cfg SwarmConfig) generate(m *genMemory, seed uint64, p *model.Profile) *scenario.Scenario {
	m.pcg = *sim.NewPCG(seed)
	sc := m.draw(&m.pcg, p, cfg.Topology)
	sc.PermuteTies = cfg.Ties
	return sc
}

// progress reports n scenarios done to cfg.Progress, if set.
func (cfg SwarmConfig) progress(n int) {
	if cfg.Progress != nil {
		cfg.Progress(n)
	}
}

// DeterminismID names the determinism check in a Failure: the same
// scenario and seed gave two different traces.
const DeterminismID = "determinism"

// Failure is one violated invariant (or the determinism check) found by a
// swarm check, with the scenario that shows it.
type Failure struct {
	Invariant string // invariant ID, or DeterminismID
	Detail    string
	Profile   string
	GenSeed   uint64             // the PCG seed GenScenario drew the scenario from
	Original  *scenario.Scenario // as generated
	Shrunk    *scenario.Scenario // shrunk; equal to Original with NoShrink
	// RestsOn names the profile's inferred behaviour without which the
	// shrunk scenario no longer fails: the violation is inferred, not
	// established. Empty when no single inferred behaviour explains it.
	RestsOn string
}

// SwarmReport is what a swarm check found.
type SwarmReport struct {
	Runs     int       // scenarios run
	Failures []Failure // for the first failing scenario, one per violation
	// Coverage counts, per coverage target in Targets order, the runs that
	// reached it.
	Coverage []int
	// Interrupted is set when cfg.Stop ended the check before its runs
	// were exhausted.
	Interrupted bool
}

// Swarm runs generated scenarios until one violates an invariant or the
// runs are exhausted. Each scenario runs with its own seed and no other
// Chooser, exactly as `drainsim run` replays it. For the first failing
// scenario every violated invariant is reported with a scenario shrunk
// against that invariant alone. The scenarios run on cfg.Workers
// goroutines, and the report is the same for any number: the first
// failing scenario is the first in profile and seed order, and the
// coverage counts the runs up to it. The error is non-nil only when a
// scenario cannot run at all (an unknown profile).
func Swarm(cfg SwarmConfig) (SwarmReport, error) {
	names := cfg.Profiles
	if len(names) == 0 {
		names = []string{scenario.DefaultProfile}
	}
	profiles, err := cfg.swarmProfiles(names)
	if err != nil {
		return SwarmReport{Coverage: make([]int, len(Targets()))}, err
	}
	rep := SwarmReport{Coverage: make([]int, len(Targets()))}
	var (
		violated []Invariant // by the first failing scenario
		failing  swarmRun
	)
	// Run g is the (g mod Runs)-th scenario of profile g / Runs.
	_, rep.Interrupted = inOrder(len(profiles)*cfg.Runs, cfg.Workers, runChunk, cfg.Stop,
		func() func(int) swarmRun {
			w := new(swarmWorker)
			return func(g int) swarmRun {
				p := &profiles[g/cfg.Runs]
				return cfg.swarmRun(w, p, g%cfg.Runs).kept(cfg, p)
			}
		},
		func(_ int, r swarmRun) bool {
			rep.Runs++
			cfg.progress(1)
			if r.err != nil {
				err = r.err
				return false
			}
			for k := range rep.Coverage {
				if r.reached.has(k) {
					rep.Coverage[k]++
				}
			}
			if len(r.violated) > 0 || r.nondeterministic {
				violated, failing = r.violated, r
				return false
			}
			return true
		})
	if err != nil {
		return rep, err
	}
	// Shrink against each violated invariant, in parallel; the failures
	// are in catalogue order.
	if len(violated) > 0 {
		rep.Failures = make([]Failure, len(violated))
		eachOf(len(violated), cfg.Workers, func(k int) {
			rep.Failures[k] = cfg.failure(violated[k], failing.profile, failing.seed, failing.sc)
		})
	}
	if len(violated) == 0 && failing.nondeterministic {
		rep.Failures = append(rep.Failures, cfg.determinismFailure(failing.profile, failing.seed, failing.sc))
	}
	return rep, nil
}

// runChunk is how many generated scenarios a worker runs at a time
// (inOrder): a scenario takes about 50 µs (ten times that with its
// determinism reruns), a hand-over between goroutines microseconds, and
// up to a millisecond on a busy machine; chunks of 32 keep the hand-overs
// below 1 % and let the other workers pass a slow chunk.
const runChunk = 32

// swarmRun is what one generated scenario of a swarm check showed.
type swarmRun struct {
	profile  string
	seed     uint64
	err      error
	events   uint64      // the events its run executed
	reached  targetSet   // the coverage targets it reached
	violated []Invariant // the invariants it violates (but the known ones, with SkipKnown)
	// nondeterministic is set when it is one of the first
	// cfg.DeterminismRuns and traced runs gave different hashes.
	nondeterministic bool
	// sc is the scenario when it fails (else nil): the worker's, valid
	// until its next run, unless kept.
	sc *scenario.Scenario
	// rank is SwarmConfig.rank of sc when the matrix's worker computed it,
	// else -1.
	rank int
}

// targetSet is a set of coverage targets, by their index in Targets: a
// swarm run's, which a slice of its own would make one allocation more
// per scenario. It holds up to 64 (TestTargetsFitTheSet).
type targetSet uint64

// add puts target k in the set.
func (s *targetSet) add(k int) { *s |= 1 << k }

// has reports whether target k is in the set.
func (s targetSet) has(k int) bool { return s&(1<<k) != 0 }

// The catalogue and the coverage targets, built once for the swarm's
// checks: building them for every scenario was a sixth of a check's
// allocations. They are only read.
var (
	catalogue = sync.OnceValue(Catalogue)
	targets   = sync.OnceValue(Targets)
)

// runners lends a model.Runner to the determinism check and to a file
// check's workers, so that a run reuses the ledger and queue memory of an
// earlier one instead of allocating its own (Runner's results are Run's).
// A Runner is returned once its Result has been checked. A swarm's
// workers each keep their own (inOrder's newWork): a pool empties at
// every collection, and hands a worker the Runner another core last used.
var runners = sync.Pool{New: func() any { return new(model.Runner) }}

// swarmProfile is one profile of a swarm check, with the invariants
// checked over its scenarios.
type swarmProfile struct {
	*model.Profile
	// invariants is the catalogue, without the profile's known violations
	// when SkipKnown: chosen once per profile, as looking every invariant
	// up in KnownViolations for every scenario was 4 % of a check's
	// instructions.
	invariants []Invariant
}

// swarmProfiles looks up the named profiles and the invariants checked
// under each.
func (cfg SwarmConfig) swarmProfiles(names []string) ([]swarmProfile, error) {
	profiles := make([]swarmProfile, len(names))
	for j, name := range names {
		p, err := model.LookupProfile(name)
		if err != nil {
			return nil, err
		}
		profiles[j] = cfg.swarmProfile(p)
	}
	return profiles, nil
}

// swarmProfile returns p with the invariants checked under it.
func (cfg SwarmConfig) swarmProfile(p *model.Profile) swarmProfile {
	sp := swarmProfile{Profile: p, invariants: catalogue()}
	if cfg.SkipKnown {
		sp.invariants = slices.DeleteFunc(slices.Clone(sp.invariants), func(inv Invariant) bool { return IsKnown(p.Name, inv.ID) })
	}
	return sp
}

// swarmWorker is the memory one worker of a swarm check reuses from one
// scenario to the next: the Runner it runs them on, the Runner of the
// determinism check's reruns and the memory it draws them in. The
// determinism check's first traced run is on runner, whose untraced
// Result has been checked by then; on a pooled Runner and plain
// model.Run, as Nondeterministic runs, its traces and worlds were new
// memory for every scenario (137 KB, 42 times an untraced scenario's),
// and two workers streaming that through the heap ran the check's first
// 100 scenarios per profile 1.3x as fast as one.
type swarmWorker struct {
	runner model.Runner
	rerun  model.Runner
	gen    genMemory
}

// swarmRun draws the i-th generated scenario of profile p in w's memory,
// runs it on w's Runner and checks it.
func (cfg SwarmConfig) swarmRun(w *swarmWorker, p *swarmProfile, i int) swarmRun {
	r := swarmRun{profile: p.Name, seed: cfg.Seed + uint64(i)}
	sc := cfg.generate(&w.gen, r.seed, p.Profile)
	res, err := w.runner.Run(sc, model.Config{Mutations: cfg.Mutations})
	if err != nil {
		r.err = fmt.Errorf("generator seed %d: %w", r.seed, err)
		return r
	}
	r.events = res.Stop.Events
	for k, t := range targets() {
		if t.Reached(res) {
			r.reached.add(k)
		}
	}
	for _, inv := range p.invariants {
		if len(inv.Check(res)) > 0 {
			r.violated = append(r.violated, inv)
		}
	}
	if i < cfg.DeterminismRuns && nondeterministicOn(&w.runner, &w.rerun, sc, cfg.Mutations) {
		r.nondeterministic = true
	}
	if len(r.violated) > 0 || r.nondeterministic {
		r.sc = sc
	}
	return r
}

// kept is r with its scenario, which swarmRun left in the worker's memory
// (overwritten by the worker's next scenario), drawn again from its seed
// in memory of its own, for a caller that keeps it beyond that.
func (r swarmRun) kept(cfg SwarmConfig, p *swarmProfile) swarmRun {
	if r.sc != nil {
		r.sc = cfg.redraw(p, r.seed)
	}
	return r
}

// redraw draws the scenario of generator seed for profile p in memory of
// its own, equal to the one swarmRun ran.
func (cfg SwarmConfig) redraw(p *swarmProfile, seed uint64) *scenario.Scenario {
	return cfg.generate(new(genMemory), seed, p.Profile)
}

// determinismFailure reports sc, a scenario the generator drew which gave
// two different traces, shrunk against the determinism check unless
// NoShrink.
func (cfg SwarmConfig) determinismFailure(prof string, seed uint64, sc *scenario.Scenario) Failure {
	f := Failure{Invariant: DeterminismID, Detail: "the same scenario and seed gave different trace hashes",
		Profile: prof, GenSeed: seed, Original: sc, Shrunk: sc}
	if !cfg.NoShrink {
		f.Shrunk = shrinkDrawn(sc, func(c *scenario.Scenario) bool { return Nondeterministic(c, cfg.Mutations) })
	}
	return f
}

// rank says how well a counterexample serves on the real library: 2 when
// it replays the same way there (cfg.Replayable, when set), 1 when a real
// stack can at least play it (scenario.Playable), 0 otherwise.
func (cfg SwarmConfig) rank(sc *scenario.Scenario) int {
	switch {
	case sc.Playable() != nil:
		return 0
	case cfg.Replayable != nil && cfg.Replayable(sc):
		return 2
	}
	return 1
}

// servesAsWell reports whether cfg.rank(sc) >= rank, asking no more than
// that needs: nothing for rank 0, scenario.Playable for rank 1, and
// cfg.Replayable (which runs the scenario under many perturbations, half
// of a short check --matrix) only for rank 2.
func (cfg SwarmConfig) servesAsWell(sc *scenario.Scenario, rank int) bool {
	switch {
	case rank <= 0:
		return true
	case sc.Playable() != nil:
		return false
	case rank == 1:
		return true
	}
	return cfg.Replayable != nil && cfg.Replayable(sc)
}

// failure shrinks sc, a scenario the generator drew, against inv (unless
// NoShrink) and describes what the scenario it reports violates.
func (cfg SwarmConfig) failure(inv Invariant, prof string, seed uint64, sc *scenario.Scenario) Failure {
	f := Failure{Invariant: inv.ID, Profile: prof, GenSeed: seed, Original: sc, Shrunk: sc}
	if !cfg.NoShrink {
		rank := cfg.rank(sc)
		f.Shrunk = shrinkDrawn(sc, func(c *scenario.Scenario) bool {
			return Violates(c, inv, cfg.Mutations) && cfg.servesAsWell(c, rank)
		})
	}
	if res, err := model.Run(f.Shrunk, model.Config{Mutations: cfg.Mutations}); err == nil {
		f.Detail = Shorten(inv.Check(res))
	}
	if p, err := model.LookupProfile(prof); err == nil {
		f.RestsOn = restsOn(p, f.Shrunk, inv, cfg.Mutations)
	}
	return f
}

// Violates reports whether running sc with its own seed and the mutations
// violates inv.
func Violates(sc *scenario.Scenario, inv Invariant, muts model.MutationSet) bool {
	// On a pooled Runner: a shrink runs hundreds of candidates, and a
	// plain Run's fresh world was a sixth of a short check --matrix's
	// allocations. The Result is dropped once checked.
	runner := runners.Get().(*model.Runner)
	defer runners.Put(runner)
	res, err := runner.Run(sc, model.Config{Mutations: muts})
	return err == nil && len(inv.Check(res)) > 0
}

// determinismReruns is how many traced runs Nondeterministic compares.
const determinismReruns = 8

// Nondeterministic reports whether traced runs of sc with its own seed give
// different traces (and so different trace hashes), on two pooled Runners
// (nondeterministicOn).
func Nondeterministic(sc *scenario.Scenario, muts model.MutationSet) bool {
	first, rerun := runners.Get().(*model.Runner), runners.Get().(*model.Runner)
	defer runners.Put(first)
	defer runners.Put(rerun)
	return nondeterministicOn(first, rerun, sc, muts)
}

// nondeterministicOn is Nondeterministic on the Runners given: the first
// traced run is on first, the others on rerun, each reusing the previous
// one's ledger memory (a Runner's results are Run's), and each compares
// its events with the first's as it traces them (model.Config.CompareTrace:
// recording each rerun to compare it afterwards with sim.Trace.Equal
// wrote and read a second trace), which stays valid as it is first's.
func nondeterministicOn(first, rerun *model.Runner, sc *scenario.Scenario, muts model.MutationSet) bool {
	cfg := model.Config{Mutations: muts, Trace: true}
	ref, err := first.Run(sc, cfg)
	if err != nil {
		return false
	}
	cfg.CompareTrace = ref.Trace
	for i := 1; i < determinismReruns; i++ {
		res, err := rerun.Run(sc, cfg)
		if err != nil {
			return false
		}
		if !res.Trace.Matches() {
			return true
		}
	}
	return false
}

// String renders a failure's headline.
func (f Failure) String() string {
	s := fmt.Sprintf("%s violated (profile %s, generator seed %d, scenario seed %d): %s",
		f.Invariant, f.Profile, f.GenSeed, f.Shrunk.Seed, f.Detail)
	if f.RestsOn != "" {
		s += " [rests on the profile's INFERRED behaviour " + f.RestsOn + "]"
	}
	return s
}
