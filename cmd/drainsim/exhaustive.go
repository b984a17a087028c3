package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

const exhaustiveUsage = `usage: drainsim check --exhaustive FILE [--bound N] [--max-branch N] [--ties] [--mutation M]... [--out OUT]

Runs the scenario FILE once for every sequence of choices the model can
make on it (queue-member picks, drain orders, oneof(...) draws and, with
--ties or the file's ties: permute, the order of events that fall at the
same virtual instant), depth first from the run 'drainsim run' would make
with every choice at its first option, and checks every invariant of the
catalogue (but the profile's known violations) and every assertion of the
file's expect: section on each run. The file's vary: section is not
applied: the scope is the file as written.

It prints "proved for N choice sequences" when every sequence was visited
and none violated an invariant (exit status 0), "bound reached after N
choice sequences, not a proof" when --bound stopped it first (exit status
3), or the first violating sequence as a runnable scenario whose choices:
replay it, with a Mermaid sequence diagram; with --out OUT the scenario is
written to OUT and the command that replays it, 'drainsim run OUT', is
printed (exit status 1). Only finite domains are enumerated: a continuous
distribution (uniform, exp, lognormal, empirical, percentiles) is refused
with the field at fault (write a constant or oneof(...)), as is a choice
with more than --max-branch options (exit status 2). Ctrl-C stops it and
prints what it visited, marked partial (exit status 130).

`

// exitBoundReached is check --exhaustive's exit status when the bound
// stopped it before every sequence was visited and none violated an
// invariant: not a failure, but not a proof either.
const exitBoundReached = 3

// exhaustiveRequested reports whether check's arguments ask for
// --exhaustive, which has flags and output of its own.
func exhaustiveRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "exhaustive" {
			return true
		}
	}
	return false
}

func cmdCheckExhaustive(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	exhaustive := fs.Bool("exhaustive", false, "visit every choice sequence of the scenario FILE")
	bound := fs.Int("bound", props.DefaultBound, "the most choice sequences to visit")
	maxBranch := fs.Int("max-branch", props.DefaultMaxBranch, "the most options one choice may have")
	ties := fs.Bool("ties", false, "also visit every order of equal-time events (as the file's ties: permute)")
	out := fs.String("out", "", "write the counterexample to `FILE`")
	var mutations multiFlag
	fs.Var(&mutations, "mutation", "enable a named model mutation (repeatable); see 'drainsim mutations'")
	fs.Usage = func() {
		fmt.Fprint(stderr, exhaustiveUsage)
		fs.PrintDefaults()
	}
	files, code := parseArgs(fs, args)
	switch {
	case code >= 0:
		return code
	case !*exhaustive:
		return usageError(fs, stderr, "check: --exhaustive=false: leave the flag out for a random check")
	case len(files) != 1:
		return usageError(fs, stderr, fmt.Sprintf("check --exhaustive: want one scenario FILE, got %d", len(files)))
	case *bound < 1:
		return usageError(fs, stderr, fmt.Sprintf("check: --bound %d: want at least 1", *bound))
	case *maxBranch < 2:
		return usageError(fs, stderr, fmt.Sprintf("check: --max-branch %d: want at least 2", *maxBranch))
	}
	muts, err := parseMutations(mutations)
	if err != nil {
		return usageError(fs, stderr, fmt.Sprintf("check: --mutation: %v", err))
	}
	sc, err := loadScenario(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	plan, err := planOutputs([]output{{flag: "--out", path: *out}}, []input{{what: "the scenario file", path: files[0]}})
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	rep, err := props.Exhaustive(sc, props.ExhaustiveConfig{Bound: *bound, MaxBranch: *maxBranch, Mutations: muts, Ties: *ties, Stop: interrupt})
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	counts := fmt.Sprintf("%d choice sequences (%d states, %d events)", rep.Sequences, rep.States, rep.Events)
	if len(rep.Failures) > 0 {
		return writeExhaustiveFailure(stdout, stderr, rep, counts, muts, plan)
	}
	writeApplied(stdout, rep)
	writeKnownSkipped(stdout, []string{sc.Profile})
	switch {
	case rep.Interrupted:
		fmt.Fprintf(stdout, "partial: interrupted after %s; no invariant violated in those, not a proof\n", counts)
		return exitInterrupted
	case rep.Complete:
		fmt.Fprintf(stdout, "proved for %s: every invariant holds on every one\n", counts)
		return 0
	}
	fmt.Fprintf(stdout, "bound reached after %s, not a proof: no invariant violated in those\n", counts)
	return exitBoundReached
}

// writeApplied prints, per invariant checked, how many of the sequences
// it applied to: one that applied to none holds only vacuously.
func writeApplied(w io.Writer, rep props.ExhaustiveReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tinvariant\tapplies to\t")
	for k, inv := range rep.Checked {
		verdict, note := "ok", fmt.Sprintf("%d of %d", rep.Applied[k], rep.Sequences)
		if rep.Applied[k] == 0 {
			verdict, note = "n/a", "none: holds vacuously"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", verdict, inv.ID, note)
	}
	tw.Flush()
}

// writeExhaustiveFailure prints the first violating sequence: what it
// violates, its choices, and the scenario that replays it (on stdout, or
// in the --out file with the replay command on stdout), with its diagram.
// It returns 1, or 2 when the file cannot be written.
func writeExhaustiveFailure(stdout, stderr io.Writer, rep props.ExhaustiveReport, counts string, muts model.MutationSet, plan []output) int {
	var head strings.Builder
	for _, f := range rep.Failures {
		fmt.Fprintf(&head, "FAIL %s violated (profile %s, choice sequence %d of the enumeration): %s\n", f.Invariant, f.Profile, rep.Sequences, f.Detail)
	}
	fmt.Fprintf(&head, "choices: %s\n", choiceList(rep.Sequence))
	fmt.Fprint(stdout, head.String())
	sc := rep.Failures[0].Shrunk
	var err error
	if len(plan) == 0 {
		err = props.WriteCounterexample(stdout, sc, rep.Failures[0].Invariant, muts)
	} else {
		path := plan[0].path
		err = writeFileAtomic(path, func(w io.Writer) error {
			for _, line := range strings.Split(strings.TrimSuffix(head.String(), "\n"), "\n") {
				fmt.Fprintf(w, "# %s\n", line)
			}
			fmt.Fprintf(w, "# found by drainsim check --exhaustive after %s\n# replay: %s\n", counts, replayCommand(path, muts))
			_, err := w.Write(sc.Marshal())
			return err
		})
		if err == nil {
			fmt.Fprintf(stdout, "counterexample written to %s; replay: %s\n", path, replayCommand(path, muts))
			err = props.WriteDiagram(stdout, sc, muts)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "\nviolation found after %s\n", counts)
	return 1
}

// choiceList renders a sequence's choices, or says there were none.
func choiceList(seq []sim.Choice) string {
	if len(seq) == 0 {
		return "none (the scenario makes no choice)"
	}
	parts := make([]string, len(seq))
	for i, c := range seq {
		parts[i] = c.String()
	}
	return strings.Join(parts, " ")
}
