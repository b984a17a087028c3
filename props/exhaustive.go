package props

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// DefaultBound is how many choice sequences an exhaustive check visits at
// most, unless told otherwise: enough for the small scopes it is meant for
// (a few clients, subscriptions and choices), few enough to end in seconds.
const DefaultBound = 100_000

// DefaultMaxBranch is the most options one choice may have in an
// exhaustive check: a oneof(...) or a queue group of that size is a small
// scope; a uniform draw over nanoseconds is not, and is refused.
const DefaultMaxBranch = 64

// ExhaustiveConfig configures an exhaustive check of one scenario.
type ExhaustiveConfig struct {
	// Bound is the most choice sequences to visit; 0 means DefaultBound.
	Bound int
	// MaxBranch is the most options of one choice; 0 means
	// DefaultMaxBranch.
	MaxBranch int
	// Mutations are the model mutations to run with.
	Mutations model.MutationSet
	// Ties also visits every order of the events that fall at the same
	// virtual instant, as the scenario's ties: permute does.
	Ties bool
	// Stop, when closed, ends the check before its next run; the report
	// is marked Interrupted.
	Stop <-chan struct{}
}

// ExhaustiveReport is what an exhaustive check found.
type ExhaustiveReport struct {
	// Sequences is how many choice sequences were visited: one run each.
	Sequences int
	// States is how many distinct prefixes of those sequences the runs
	// reached (sim.Enum.States): the nodes of the tree of choices.
	States uint64
	// Events is how many events the runs executed in all.
	Events uint64
	// Complete is set when every choice sequence of the scenario was
	// visited and none violated a checked invariant: the catalogue holds
	// for this scope, a proof rather than a sample.
	Complete bool
	// Interrupted is set when Stop ended the check.
	Interrupted bool
	// Checked lists the invariants checked, in catalogue order (the
	// profile's known violations are left out) and then the file's
	// expect: assertions (Expectations), and Applied how many of
	// the sequences each applied to: an invariant that applied to none
	// holds only vacuously.
	Checked []Invariant
	Applied []int
	// Failures, when not empty, are the invariants the first violating
	// sequence (in the enumeration's order) violates, in Checked order,
	// each with Shrunk (= Original) the scenario that replays it: the
	// file with that sequence as its choices.
	Failures []Failure
	// Sequence is the first violating sequence's choices, with labels.
	Sequence []sim.Choice
}

// Exhaustive runs sc once for every sequence of choices the model can
// make on it (sim.Enum: queue-member picks, drain orders, oneof(...)
// draws and, with cfg.Ties or ties: permute, the order of equal-time
// events), depth first from the all-zero sequence, and checks every
// invariant of the catalogue (but the profile's known violations) and
// every assertion of the file's expect: section on each run. The file's
// vary: section is not applied: the scope is the file as written. It stops at the first violating sequence, at cfg.Bound sequences,
// or when every sequence was visited (Complete).
//
// Only finite domains are enumerated: a scenario with a continuous or wide
// distribution (uniform, exp, lognormal, empirical, percentiles) is
// refused up front with the field at fault (Finite), and a wide draw the
// profile makes (a reconnect jitter of ns resolution) is refused when the
// run reaches it. The error is non-nil for such a refusal, an unknown
// profile, or a run that does not repeat its choices (a model bug).
func Exhaustive(sc *scenario.Scenario, cfg ExhaustiveConfig) (ExhaustiveReport, error) {
	var rep ExhaustiveReport
	if err := Finite(sc); err != nil {
		return rep, err
	}
	bound := cfg.Bound
	if bound <= 0 {
		bound = DefaultBound
	}
	branch := cfg.MaxBranch
	if branch <= 0 {
		branch = DefaultMaxBranch
	}
	run := *sc
	run.Choices = nil
	run.PermuteTies = sc.PermuteTies || cfg.Ties
	for _, inv := range Catalogue() {
		if !IsKnown(sc.Profile, inv.ID) {
			rep.Checked = append(rep.Checked, inv)
		}
	}
	rep.Checked = append(rep.Checked, Expectations(sc)...)
	rep.Applied = make([]int, len(rep.Checked))
	e := sim.NewEnum(branch)
	var runner model.Runner
	for {
		select {
		case <-cfg.Stop:
			rep.Interrupted = true
			rep.States = e.States()
			return rep, nil
		default:
		}
		res, err := runner.Run(&run, model.Config{Chooser: e, Mutations: cfg.Mutations})
		if err != nil {
			return rep, err
		}
		if err := e.Err(); err != nil {
			return rep, enumRefused(sc, rep.Sequences, err)
		}
		rep.Sequences++
		rep.Events += res.Stop.Events
		var violated []Invariant
		for k, inv := range rep.Checked {
			if inv.Applies == nil || inv.Applies(res) {
				rep.Applied[k]++
			}
			if len(inv.Check(res)) > 0 {
				violated = append(violated, inv)
			}
		}
		if len(violated) > 0 {
			rep.Sequence = e.Sequence()
			rep.Failures = failures(&run, rep.Sequence, violated, cfg.Mutations)
			rep.States = e.States()
			return rep, nil
		}
		if rep.Sequences >= bound {
			rep.States = e.States()
			return rep, nil
		}
		if !e.Next() {
			rep.States = e.States()
			if err := e.Err(); err != nil {
				return rep, enumRefused(sc, rep.Sequences, err)
			}
			rep.Complete = true
			return rep, nil
		}
	}
}

// enumRefused says why the enumeration of sc stopped after n sequences.
func enumRefused(sc *scenario.Scenario, n int, err error) error {
	what := "exhaustive exploration refused"
	if errors.Is(err, sim.ErrDiverged) {
		what = "exhaustive exploration stopped (a model bug)"
	}
	return &scenario.Error{File: sc.File, Msg: fmt.Sprintf("%s after %d choice sequences: %v", what, n, err), Err: err}
}

// failures describes the invariants the sequence violates on run, with the
// scenario that replays it: run with the sequence's values as its choices
// (trailing zeros left out, since a replay takes option 0 past the end).
func failures(run *scenario.Scenario, seq []sim.Choice, violated []Invariant, muts model.MutationSet) []Failure {
	replay := *run
	replay.Choices = []int{}
	for _, c := range seq {
		replay.Choices = append(replay.Choices, c.V)
	}
	n := len(replay.Choices)
	for n > 0 && replay.Choices[n-1] == 0 {
		n--
	}
	replay.Choices = replay.Choices[:n]
	res, err := model.Run(&replay, model.Config{Mutations: muts})
	var out []Failure
	for _, inv := range violated {
		f := Failure{Invariant: inv.ID, Profile: replay.Profile, Original: &replay, Shrunk: &replay}
		if err == nil {
			f.Detail = Shorten(inv.Check(res))
		}
		out = append(out, f)
	}
	return out
}

// Finite reports, as a *scenario.Error naming the field, the first
// distribution of sc that is not a finite domain (a constant or
// oneof(...)): an exhaustive check cannot visit every value of a
// continuous one, and does not pretend to by sampling it.
func Finite(sc *scenario.Scenario) error {
	bad := func(line int, field string, d sim.Dist) error {
		return &scenario.Error{File: sc.File, Line: line, Field: field,
			Msg: fmt.Sprintf("%s is not a finite domain: exhaustive exploration visits finite domains only; write a constant or oneof(d1,d2,...) with the values to visit", d)}
	}
	finite := func(d sim.Dist) bool { return d.Kind == sim.Constant || d.Kind == sim.OneOf }
	if !finite(sc.Network.Latency) {
		return bad(0, "network.latency", sc.Network.Latency)
	}
	for i, s := range sc.Subs {
		path := "subscriptions[" + strconv.Itoa(i) + "].handler"
		if !finite(s.Handler.Duration) {
			return bad(s.Line, path+".duration", s.Handler.Duration)
		}
		for j, a := range s.Handler.Actions {
			if a.Sleep != nil && !finite(*a.Sleep) {
				return bad(a.Line, path+".actions["+strconv.Itoa(j)+"].sleep", *a.Sleep)
			}
		}
	}
	return nil
}
