package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/props"
)

// checkFileUsage is the part of check's help about check FILE.
const checkFileUsage = `With a scenario FILE ('drainsim check FILE [--runs N] [--seed S] [--vary YAML]
[--out OUT] [--workers N]'), it checks that workload instead: --runs
perturbations of FILE within the bounds of its vary: section (the first is
FILE as written, the i-th drawn from PCG seed S+i): other seeds, latencies,
handler times, publish and drain times, equal-time orders, added
disconnects and server restarts. Each runs with its own seed and is checked
against every invariant but the known violations of FILE's profile, and
against FILE's expect: assertions. --vary replaces fields of the vary:
section, e.g. --vary '{disconnects: {max: 2, at: {min: 0s, max: 1s}}}'. The
first perturbation that fails is shrunk towards FILE, against each check it
fails, and printed as a runnable scenario (with --out OUT written to OUT,
and the command that replays it printed). Exit status as above.

`

// checkFile is 'drainsim check FILE': the flags that apply are parsed; the
// others were refused by the caller.
func checkFile(fs *flag.FlagSet, path, vary string, cfg props.FileCheckConfig, out string, stdout, stderr io.Writer, progressFlag bool) int {
	sc, err := loadScenario(path)
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	if vary != "" {
		if err := sc.Override("--vary", []byte(vary)); err != nil {
			return usageError(fs, stderr, fmt.Sprintf("check: %v", err))
		}
	}
	var plan []output
	if out != "" {
		plan, err = planOutputs([]output{{flag: "--out", path: out}}, []input{{what: "the scenario file", path: path}})
		if err != nil {
			fmt.Fprintf(stderr, "drainsim check: %v\n", err)
			return 2
		}
	}
	cfg.Scenario = sc
	if sc.Vary == nil {
		// Every perturbation would be the file itself.
		fmt.Fprintf(stdout, "note: %s has no vary: section, so the one run is the file as written (see docs/check.md)\n", path)
		cfg.Runs = 1
	}
	relaxGC(checkGCPercent)
	prog := startProgress(stderr, "check", "perturbations", progressFlag, cfg.Runs)
	cfg.Progress = prog.add
	rep, err := props.CheckFile(cfg)
	prog.finish()
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	if rep.Interrupted {
		fmt.Fprintf(stdout, "partial: interrupted after %d of %d perturbations of %s; nothing failed in those\n", rep.Runs, cfg.Runs, path)
		return exitInterrupted
	}
	for _, id := range rep.Skipped {
		fmt.Fprintf(stdout, "not checked: %s, a known violation of profile %s (see drainsim check --matrix)\n", id, sc.Profile)
	}
	if len(rep.Failures) == 0 {
		fmt.Fprintf(stdout, "ok: %s, %s: no invariant violated, %d expectations held\n", path, runsOf(rep.Runs), len(sc.Expect))
		return 0
	}
	for i, f := range rep.Failures {
		fmt.Fprintf(stdout, "FAIL %s\n", f)
		for _, c := range props.Changes(sc, f.Shrunk) {
			fmt.Fprintf(stdout, "  changed: %s\n", c)
		}
		if err := writeFileFailure(stdout, plan, i, f, cfg.Mutations); err != nil {
			fmt.Fprintf(stderr, "drainsim check: %v\n", err)
			return 2
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "%s, %s: a check failed\n", path, runsOf(rep.Runs))
	return 1
}

// writeFileFailure prints the i-th failure's shrunk perturbation as a
// runnable scenario and its diagram, or, with --out (plan not empty),
// writes it to the --out file (the first failure) or to that name with
// "--CHECK" before the extension, and prints the command that replays it.
func writeFileFailure(stdout io.Writer, plan []output, i int, f props.FileFailure, muts model.MutationSet) error {
	sc := *f.Shrunk
	sc.Description = fmt.Sprintf("drainsim check: %s failed on this perturbation of %s, shrunk to %s", f.Check, f.Shrunk.File, f.Distance())
	if len(plan) == 0 {
		return props.WriteCounterexample(stdout, &sc, f.Check, muts)
	}
	path := plan[0].path
	if i > 0 {
		ext := filepath.Ext(path)
		path = strings.TrimSuffix(path, ext) + "--" + f.Check + ext
	}
	err := writeFileAtomic(path, func(w io.Writer) error {
		if _, err := fmt.Fprintf(w, "# %s: %s\n# replay: %s\n", f.Check, f.Detail, replayCommand(path, muts)); err != nil {
			return err
		}
		_, err := w.Write(sc.Marshal())
		return err
	})
	if err != nil {
		return fmt.Errorf("writing the counterexample %s: %w", path, err)
	}
	fmt.Fprintf(stdout, "counterexample written to %s; replay: %s\n", path, replayCommand(path, muts))
	return props.WriteDiagram(stdout, &sc, muts)
}

// runsOf says how many runs check FILE made: the file as written, then
// perturbations.
func runsOf(n int) string {
	if n == 1 {
		return "1 run (the file as written)"
	}
	return fmt.Sprintf("%d runs (the file as written and %d perturbations)", n, n-1)
}

// fileOnlyFlags and swarmOnlyFlags are the check flags that apply only
// with a scenario FILE, and only without one.
var (
	fileOnlyFlags  = []string{"vary"}
	swarmOnlyFlags = []string{"matrix", "profile", "format", "determinism", "ties", "topology"}
)

// misplacedFlag returns the first flag set that does not apply to check
// with (file) or without a scenario FILE, or "".
func misplacedFlag(fs *flag.FlagSet, file bool) string {
	names := fileOnlyFlags
	if file {
		names = swarmOnlyFlags
	}
	for _, n := range names {
		if isSet(fs, n) {
			return n
		}
	}
	return ""
}
