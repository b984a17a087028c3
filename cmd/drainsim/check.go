package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/drainsim/drainsim/conformance"
	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/props"
)

const checkUsage = `usage: drainsim check [--profile P] [--runs N] [--seed S] [--mutation M]... [--out FILE] [--workers N] [--progress] [--ties] [--topology]
       drainsim check FILE [--runs N] [--seed S] [--vary YAML] [--mutation M]... [--out OUT] [--workers N] [--progress]
       drainsim check --matrix [--profile P] [--runs N] [--out DIR] [--format text|markdown] [--workers N] [--progress] [--topology] [--mutation M]...
       drainsim check --exhaustive FILE [--bound N] [--max-branch N] [--ties] [--mutation M]... [--out OUT]   (see drainsim check --exhaustive -h)

Generates --runs scenarios per profile (the i-th from PCG seed S+i, drawn for
that profile's library: clients, subscriptions, handlers, publishes, drains,
unsubscribes, faults), runs each with its own seed, and checks every
invariant of the catalogue, except those the profile is known to violate
(listed, with --matrix, in the verdict matrix). The first scenario that
violates an invariant is shrunk, against each invariant it violates, and
printed as a runnable scenario file plus a Mermaid sequence diagram; with
--out FILE the scenario is written to FILE instead (a further violation of
the same scenario to FILE--INVARIANT.yaml) and the command that replays
it, 'drainsim run FILE', is printed. Exit status: 0 when nothing is
violated, 1 on a violation, 2 on bad usage.
With --ties every generated scenario opts in to ties: permute: its seed
also orders the events that fall at the same virtual instant.
With --topology every generated scenario runs on a generated topology of
1-4 servers (routes, gateways, a leaf spoke, small latencies), with the
clients spread over them, and the cluster mutations ('drainsim mutations
--cluster') apply; with --matrix the matrix says which invariants hold
on clusters.

With --matrix it runs every scenario to the end and prints the verdict of
every invariant under every profile (--profile defaults to all there, to
go without --matrix): ok, or violated with a footnote that
says why (the known violation's source, whether it rests on a behaviour the
reference only infers) and, with --out DIR, names the shrunk counterexample
written to DIR, which 'drainsim run' replays (without --out none is
written). DIR must be new, empty, or hold only counterexamples of an
earlier run, which are replaced. --runs defaults to 20,000 there, enough to
reproduce every known violation. Exit status: 0 when the matrix was
produced and every violation in it is a known one, 1 when one is not (a
model bug or a new finding), 2 on bad usage or a file that cannot be
written.

Scenarios run, and counterexamples shrink, on --workers goroutines (default:
every CPU); the output is byte-identical for any number. On a terminal, or
with --progress, stderr shows scenarios done, the rate and the time left.
Ctrl-C (SIGINT) stops the runs, prints what is complete marked "partial"
(with --matrix: the profiles that ran, and writes their counterexamples)
and exits with status 130.

` + checkFileUsage

// parseMutations turns --mutation names into a set.
func parseMutations(names []string) (model.MutationSet, error) {
	var set model.MutationSet
	for _, name := range names {
		m, err := model.ParseMutation(name)
		if err != nil {
			return 0, err
		}
		set = set.With(m)
	}
	return set, nil
}

// profileNames resolves --profile: one profile name, or "all".
func profileNames(p string) ([]string, error) {
	if p == "all" {
		return model.ProfileNames(), nil
	}
	if _, err := model.LookupProfile(p); err != nil {
		return nil, err
	}
	return []string{p}, nil
}

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	if exhaustiveRequested(args) {
		return cmdCheckExhaustive(args, stdout, stderr)
	}
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "", `client-library profile to check, or "all" (see 'drainsim profiles'; default go, with --matrix all)`)
	runs := fs.Int("runs", 1000, "generated scenarios per profile")
	seed := fs.Uint64("seed", 1, "PCG seed of the first generated scenario")
	determinism := fs.Int("determinism", 100, "how many of the first scenarios per profile also run 8 times, traced, to compare their traces")
	noShrink := fs.Bool("no-shrink", false, "print counterexamples as generated, without shrinking")
	matrix := fs.Bool("matrix", false, "print the verdict matrix of invariants x profiles")
	out := fs.String("out", "", "write the counterexample to `FILE` (with --matrix: the directory for every counterexample; none without it)")
	workers := fs.Int("workers", min(runtime.NumCPU(), maxWorkers), "scenarios run in parallel; the output is the same for any number")
	progressFlag := fs.Bool("progress", false, "report progress on stderr even when it is not a terminal")
	format := fs.String("format", "text", "with --matrix: text or markdown")
	ties := fs.Bool("ties", false, "generated scenarios opt in to ties: permute (their seed also orders equal-time events)")
	vary := fs.String("vary", "", "with a scenario FILE: a YAML mapping of vary: fields that replace FILE's")
	topology := fs.Bool("topology", false, "draw every scenario on a generated topology: 1-4 servers in 1-2 clusters, routes, gateways, a leaf spoke (docs/cluster.md#generated-topologies)")
	var mutations multiFlag
	fs.Var(&mutations, "mutation", "enable a named model mutation (repeatable); see 'drainsim mutations'")
	fs.Usage = func() {
		fmt.Fprint(stderr, checkUsage)
		fs.PrintDefaults()
	}
	rest, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(rest) > 1 {
		return usageError(fs, stderr, fmt.Sprintf("check: unexpected argument %q", rest[1]))
	}
	if name := misplacedFlag(fs, len(rest) == 1); name != "" {
		with := "without"
		if len(rest) == 0 {
			with = "with"
		}
		return usageError(fs, stderr, fmt.Sprintf("check: --%s works only %s a scenario FILE", name, with))
	}
	if *matrix && !isSet(fs, "runs") {
		*runs = matrixRuns
	}
	if !isSet(fs, "profile") {
		// The matrix compares the profiles; a plain check looks for new
		// violations in the default library.
		*profile = "go"
		if *matrix {
			*profile = "all"
		}
	}
	if !*matrix && isSet(fs, "format") {
		return usageError(fs, stderr, "check: --format works only with --matrix")
	}
	if *workers < 1 || *workers > maxWorkers {
		return usageError(fs, stderr, fmt.Sprintf("check: --workers %d: want 1 to %d", *workers, maxWorkers))
	}
	if *format != "text" && *format != "markdown" {
		return usageError(fs, stderr, fmt.Sprintf("check: --format %q: want text or markdown", *format))
	}
	if *runs < 1 {
		return usageError(fs, stderr, fmt.Sprintf("check: --runs %d: want at least 1", *runs))
	}
	if *determinism < 0 {
		return usageError(fs, stderr, fmt.Sprintf("check: --determinism %d: want 0 or more", *determinism))
	}
	profiles, err := profileNames(*profile)
	if err != nil {
		return usageError(fs, stderr, fmt.Sprintf("check: --profile: %v", err))
	}
	muts, err := parseMutations(mutations)
	if err != nil {
		return usageError(fs, stderr, fmt.Sprintf("check: --mutation: %v", err))
	}
	if len(rest) == 1 {
		cfg := props.FileCheckConfig{Runs: *runs, Seed: *seed, Mutations: muts, NoShrink: *noShrink, Stop: interrupt, Workers: *workers}
		return checkFile(fs, rest[0], *vary, cfg, *out, stdout, stderr, *progressFlag)
	}
	cfg := props.SwarmConfig{
		Profiles: profiles, Runs: *runs, Seed: *seed, Mutations: muts,
		DeterminismRuns: *determinism, NoShrink: *noShrink, SkipKnown: true, Stop: interrupt, Workers: *workers, Ties: *ties,
		Topology: *topology,
	}
	// --out is checked before the runs: a directory for the matrix, a
	// file otherwise.
	var plan []output
	switch {
	case *out != "" && *matrix:
		err = prepareCounterexampleDir(*out)
	case *out != "":
		plan, err = planOutputs([]output{{flag: "--out", path: *out}}, nil)
	}
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	gcPercent := checkGCPercent
	if *matrix {
		gcPercent = matrixGCPercent
	}
	relaxGC(gcPercent)
	prog := startProgress(stderr, "check", "scenarios", *progressFlag, len(profiles)*cfg.Runs)
	cfg.Progress = prog.add
	defer prog.finish()
	if *matrix {
		// Counterexamples that replay the same way on the real library,
		// where the library has a driver (conformance.Replayable).
		cfg.Replayable = conformance.Replayable
		return runMatrix(cfg, *out, *format, prog, stdout, stderr)
	}
	rep, err := props.Swarm(cfg)
	prog.finish()
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	if rep.Interrupted {
		fmt.Fprintf(stdout, "partial: interrupted after %d of %d scenarios; no invariant violated in those\n", rep.Runs, len(profiles)*cfg.Runs)
		return exitInterrupted
	}
	if len(rep.Failures) > 0 {
		return writeFailures(stdout, stderr, rep, muts, plan)
	}
	writeCoverage(stdout, rep)
	writeKnownSkipped(stdout, profiles)
	fmt.Fprintf(stdout, "ok: %d scenarios run, no invariant violated\n", rep.Runs)
	return 0
}

// writeCoverage prints how many runs reached each coverage target.
func writeCoverage(w io.Writer, rep props.SwarmReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "coverage\truns\t")
	for i, t := range props.Targets() {
		note := ""
		if rep.Coverage[i] == 0 {
			note = "never reached: the generator does not exercise this"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", t.ID, rep.Coverage[i], note)
	}
	tw.Flush()
}

// writeKnownSkipped says which invariants the check left out because a
// profile is known to violate them.
func writeKnownSkipped(w io.Writer, profiles []string) {
	for _, k := range props.KnownViolations() {
		if slices.Contains(profiles, k.Profile) {
			fmt.Fprintf(w, "not checked: %s under %s, a known violation (%s); see drainsim check --matrix\n", k.Invariant, k.Profile, k.Source)
		}
	}
}

// writeFailures prints each failure of the first failing scenario: its
// headline, then, without --out (plan empty), the shrunk scenario and its
// Mermaid diagram; with --out FILE, the scenario goes to FILE (the first
// failure) or to FILE's name with "--INVARIANT" before the extension (the
// others) and stdout gets the one-line command that replays it, and the
// diagram. It returns the exit status: 1, or 2 when a file cannot be
// written.
func writeFailures(stdout, stderr io.Writer, rep props.SwarmReport, muts model.MutationSet, plan []output) int {
	for i, f := range rep.Failures {
		fmt.Fprintf(stdout, "FAIL %s\n", f)
		var err error
		if len(plan) == 0 {
			err = props.WriteCounterexample(stdout, f.Shrunk, f.Invariant, muts)
		} else {
			path := plan[0].path
			if i > 0 {
				ext := filepath.Ext(path)
				path = strings.TrimSuffix(path, ext) + "--" + f.Invariant + ext
			}
			err = writeCounterexampleFile(path, "drainsim check", props.Cell{Profile: f.Profile, Invariant: f.Invariant, Failure: &f}, muts)
			if err == nil {
				fmt.Fprintf(stdout, "counterexample (%d actions) written to %s; replay: %s\n", props.Size(f.Shrunk), path, replayCommand(path, muts))
				err = props.WriteDiagram(stdout, f.Shrunk, muts)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "drainsim check: %v\n", err)
			return 2
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "%d scenarios run; a violation was found\n", rep.Runs)
	return 1
}

// checkGCPercent is the garbage collector's target for check, unless GOGC
// is set. A generated scenario runs in about 0.1 ms and leaves nothing
// live, so with the default (100) the heap stays at a few MB and the
// collector runs hundreds of times a second, which serializes the
// workers: 5,000 scenarios per profile of every profile took 6.3 s on
// one worker and 6.5 s on two at GOGC=100, 4.3 s and 3.0 s at 400, for a
// peak of 58 MB instead of 18 MB.
const checkGCPercent = 400

// relaxGC sets the collector's target to percent (checkGCPercent, or
// matrixGCPercent) unless the user set GOGC.
func relaxGC(percent int) {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(percent)
	}
}
