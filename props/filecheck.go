package props

import (
	"fmt"
	"strconv"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// FileCheckConfig configures CheckFile: Runs perturbations of Scenario,
// the first the scenario as written, the i-th (i >= 1) drawn by Perturb
// from a PCG seeded with Seed+i.
type FileCheckConfig struct {
	Scenario  *scenario.Scenario
	Runs      int
	Seed      uint64
	Mutations model.MutationSet
	// NoShrink reports the failing perturbation as drawn.
	NoShrink bool
	// Workers, Stop and Progress are as in SwarmConfig: the report is the
	// same for any number of workers.
	Workers  int
	Stop     <-chan struct{}
	Progress func(n int)
}

// FileFailure is one check (an invariant or an expectation) that a
// perturbation of the file fails.
type FileFailure struct {
	Check  string // invariant ID, or "expect[i].KIND"
	Detail string
	// Run is the failing perturbation's index: 0 is the file as written.
	Run int
	// Original is the perturbation as drawn, Shrunk the one shrunk
	// towards the file (equal to Original with NoShrink). Both are
	// perturbations of the file: Perturb made them, within its vary:
	// bounds.
	Original, Shrunk *scenario.Scenario
	// Choices is the shrunk perturbation's non-zero choices: how far it
	// is from the file as written (none: the file itself fails).
	Choices int
}

// FileReport is what CheckFile found.
type FileReport struct {
	Runs     int           // perturbations run
	Failures []FileFailure // for the first failing perturbation, one per check it fails
	// Skipped lists the invariants left out as known violations of the
	// file's profile.
	Skipped     []string
	Interrupted bool
}

// FileChecks returns what CheckFile checks on each run of sc: the
// invariant catalogue but the invariants sc's profile is known to violate
// (KnownViolations), then sc's expectations.
func FileChecks(sc *scenario.Scenario) []Invariant {
	var out []Invariant
	for _, inv := range Catalogue() {
		if !IsKnown(sc.Profile, inv.ID) {
			out = append(out, inv)
		}
	}
	return append(out, Expectations(sc)...)
}

// CheckFile runs perturbations of cfg.Scenario within its vary: bounds,
// each with its own seed as `drainsim run` replays it, and checks each
// against FileChecks, until one fails or the runs are exhausted. For the
// first failing perturbation each failed check is reported with the
// perturbation shrunk against that check alone: its choices lowered
// towards zero, which is towards the file as written, so that the result
// is always a perturbation the file's bounds allow. The error is non-nil
// only when a perturbation cannot run at all (model.Run refuses it).
func CheckFile(cfg FileCheckConfig) (FileReport, error) {
	sc := cfg.Scenario
	checks := FileChecks(sc)
	rep := FileReport{}
	for _, inv := range Catalogue() {
		if IsKnown(sc.Profile, inv.ID) {
			rep.Skipped = append(rep.Skipped, inv.ID)
		}
	}
	type fileRun struct {
		err    error
		failed []int // indices into checks
		tape   []int
	}
	var (
		err     error
		failing fileRun
		run     = -1
	)
	_, rep.Interrupted = inOrder(cfg.Runs, cfg.Workers, fileChunk, cfg.Stop,
		func() func(int) fileRun {
			runner := new(model.Runner)
			return func(i int) fileRun {
				t := &tape{}
				if i > 0 {
					t.src = sim.NewPCG(cfg.Seed + uint64(i))
				}
				res, err := runner.Run(Perturb(t, sc), model.Config{Mutations: cfg.Mutations})
				if err != nil {
					return fileRun{err: fmt.Errorf("perturbation %d: %w", i, err)}
				}
				r := fileRun{tape: t.got}
				for k, inv := range checks {
					if len(inv.Check(res)) > 0 {
						r.failed = append(r.failed, k)
					}
				}
				return r
			}
		},
		func(i int, r fileRun) bool {
			rep.Runs++
			if cfg.Progress != nil {
				cfg.Progress(1)
			}
			switch {
			case r.err != nil:
				err = r.err
			case len(r.failed) > 0:
				failing, run = r, i
			default:
				return true
			}
			return false
		})
	if err != nil || run < 0 {
		return rep, err
	}
	rep.Failures = make([]FileFailure, len(failing.failed))
	eachOf(len(failing.failed), cfg.Workers, func(k int) {
		rep.Failures[k] = cfg.failure(checks[failing.failed[k]], run, failing.tape)
	})
	return rep, nil
}

// fileChunk is how many perturbations a worker runs at a time: a
// workload's run takes from a tenth of a millisecond to many.
const fileChunk = 8

// failure shrinks the perturbation the choices drew against inv (unless
// NoShrink) and describes what the result fails.
func (cfg FileCheckConfig) failure(inv Invariant, run int, choices []int) FileFailure {
	replay := func(c []int) (*scenario.Scenario, []int) {
		t := &tape{replay: c}
		p := Perturb(t, cfg.Scenario)
		return p, t.got
	}
	f := FileFailure{Check: inv.ID, Run: run}
	f.Original, _ = replay(choices)
	if !cfg.NoShrink {
		choices = shrinkTape(choices, func(c []int) ([]int, bool) {
			p, used := replay(c)
			return used, Violates(p, inv, cfg.Mutations)
		})
	}
	f.Shrunk, _ = replay(choices)
	for _, v := range choices {
		if v != 0 {
			f.Choices++
		}
	}
	if res, err := model.Run(f.Shrunk, model.Config{Mutations: cfg.Mutations}); err == nil {
		f.Detail = Shorten(inv.Check(res))
	}
	return f
}

// String renders a failure's headline.
func (f FileFailure) String() string {
	where := "the file as written"
	if f.Run > 0 {
		where = "perturbation " + strconv.Itoa(f.Run) + "; shrunk to " + f.Distance()
	}
	return fmt.Sprintf("%s failed (%s): %s", f.Check, where, f.Detail)
}

// Distance says how far the shrunk perturbation is from the file: "the
// file as written", or "N choice(s) away from the file".
func (f FileFailure) Distance() string {
	switch f.Choices {
	case 0:
		return "the file as written"
	case 1:
		return "1 choice away from the file"
	}
	return strconv.Itoa(f.Choices) + " choices away from the file"
}
