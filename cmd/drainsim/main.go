// Command drainsim runs deterministic simulations of NATS drain semantics.
//
// Usage:
//
//	drainsim run FILE|- [--seed N] [--format text|json|ndjson|mermaid|chrome] [--from T] [--to T] [--summary] [-v] [--fail-on violation,loss>N] [--mutation NAME]...
//	drainsim check [--profile P] [--runs N] [--seed S] [--mutation M]... [--out FILE] [--workers N] [--progress] [--topology]
//	drainsim check --matrix [--profile P] [--runs N] [--out DIR] [--format text|markdown] [--workers N] [--progress] [--topology]
//	drainsim check FILE [--runs N] [--seed S] [--vary YAML] [--mutation M]... [--out OUT] [--workers N] [--progress]
//	drainsim explore SWEEP [--workers N] [--csv F] [--json F] [--svg F] [--shard k/n|env --raw F]...
//	drainsim merge RAW... [--csv F] [--json F] [--svg F]
//	drainsim profiles [--format text|markdown]
//	drainsim mutations [--cluster]
//	drainsim version
//	drainsim help [CMD]
//
// Exit status: 0 on success, 1 when `run` meets a --fail-on condition (by
// default an invariant violated) or an expect: assertion of the file
// fails, or `check` finds an invariant violated or (check FILE) an
// expectation failed (`check --matrix`: one that is not a known
// violation), 2 for bad
// usage or a bad scenario file, 130 when SIGINT interrupted `explore` or
// `check`, which then report what was complete, marked partial.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/export"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

const usage = `drainsim: a deterministic simulator of NATS drain semantics

Usage:
  drainsim run FILE [flags]   run one scenario ('-': read it from stdin); print
                              a timeline and summary, or the outcome as JSON,
                              or the trace as NDJSON, a Mermaid diagram or
                              Chrome trace JSON
  drainsim check [flags]      run the invariants over generated scenarios;
                              print shrunk counterexamples; with --matrix,
                              the verdict of every invariant per profile
  drainsim check FILE         the same over perturbations of FILE within
                              its vary: bounds, with its expect: assertions
  drainsim explore SWEEP      sweep drain timeouts and other knobs over many
                              seeds: P(loss) with confidence, charts, and
                              the smallest timeout that meets a target
  drainsim merge RAW...       combine the --raw files of a sharded explore
  drainsim profiles           the client-library profiles and their knobs
  drainsim mutations          list the named model mutations
  drainsim version            the module version, VCS revision and Go version
  drainsim help [CMD]         show this text, or CMD's flags (as CMD -h)

Exit status: 0 ok, 1 an invariant is violated (run: a --fail-on condition),
2 bad usage or bad scenario file, 130 interrupted (explore and check report
what is complete, marked partial).
`

func main() {
	if len(os.Args) > 1 && slices.Contains(interruptible, os.Args[1]) {
		interrupt = catchInterrupt()
	}
	os.Exit(mainWithArgs(os.Args[1:], os.Stdout, os.Stderr))
}

// mainWithArgs runs the command line and returns the exit status.
func mainWithArgs(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(args[1:], stdout, stderr)
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "drainsim: unknown command %q (see drainsim help)\n", args[0])
	return 2
}

// A command runs with the arguments after its name and returns the exit
// status.
type command func(args []string, stdout, stderr io.Writer) int

// commands maps each command's name to it (set in init: help refers to
// it).
var commands map[string]command

func init() {
	commands = map[string]command{
		"run":       cmdRun,
		"check":     cmdCheck,
		"explore":   cmdExplore,
		"merge":     cmdMerge,
		"profiles":  cmdProfiles,
		"mutations": cmdMutations,
		"version":   cmdVersion,
		"help":      cmdHelp,
	}
}

// cmdHelp prints the top-level help, or with a command's name what that
// command prints for -h, on stdout.
func cmdHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, usage)
		return 0
	case len(args) > 1:
		fmt.Fprintf(stderr, "drainsim help: want at most one command name, got %d arguments\n", len(args))
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "drainsim help: unknown command %q (see drainsim help)\n", args[0])
		return 2
	}
	return cmd([]string{"-h"}, stdout, stdout)
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

const runUsage = `usage: drainsim run FILE [flags]

Runs the scenario file FILE ('-' reads it from stdin) and prints, by
default, its timeline and a summary: how it stopped, each connection and
subscription, the messages lost to drains (dropped by a drain, its timeout
or close, or cut: their callback still running when the drained connection
closed; what 'drainsim explore' counts), and one line per invariant, ok,
FAIL, or n/a when the run never reached the situation it is about (the
statement only for a failure, or with -v). --summary leaves out
the timeline; the other formats print the outcome as JSON, the trace as
NDJSON, a Mermaid diagram or Chrome trace JSON. --from and --to limit the
Mermaid diagram or Chrome trace to a window of virtual time; a Mermaid
diagram over the renderer's default limit of 50,000 characters is printed
with a warning on stderr that suggests them.

Exit status: 1 when a --fail-on condition is met (by default: an invariant
is violated) or an assertion of the file's expect: section fails, 0
otherwise, 2 on bad usage or a bad scenario file. Conditions,
comma-separated: violation (an invariant is violated), loss (the drains lost
a message), loss>N (they lost more than N), none (never exit 1, not even
for expect:). With --format text the summary ends with a verdict per
expect: assertion and the evidence of each failure; with every format a
failed one is named on stderr.

`

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", runUsage, stderr)
	seed := fs.Uint64("seed", 0, "override the scenario's seed")
	format := fs.String("format", "text", "output: text (timeline and summary), json (outcome), ndjson (trace events), "+
		"mermaid (sequence diagram), chrome (Chrome Trace Event JSON for Perfetto)")
	failOnFlag := fs.String("fail-on", "violation", "exit 1 when any of these `conditions` holds: violation, loss, loss>N, or none")
	summary := fs.Bool("summary", false, "with --format text: print the summary only, without the timeline")
	verbose := fs.Bool("v", false, "with --format text: print every invariant's statement, not only those that failed")
	from := fs.Duration("from", 0, "with --format mermaid or chrome: only the events at or after this virtual `time` (e.g. 50ms)")
	to := fs.Duration("to", 0, "with --format mermaid or chrome: only the events at or before this virtual `time`")
	var mutations multiFlag
	fs.Var(&mutations, "mutation", "enable a named model mutation (repeatable); see 'drainsim mutations'")
	// Accept flags before and after the file name.
	files, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(files) != 1 {
		return usageError(fs, stderr, "run: want exactly one scenario file ('-' for stdin)")
	}
	switch *format {
	case "text", "json", "ndjson", "mermaid", "chrome":
	default:
		return usageError(fs, stderr, fmt.Sprintf("run: --format %q: want text, json, ndjson, mermaid or chrome", *format))
	}
	for _, name := range []string{"--summary", "-v"} {
		if *format != "text" && isSet(fs, strings.TrimLeft(name, "-")) {
			return usageError(fs, stderr, fmt.Sprintf("run: %s works only with --format text, not %s", name, *format))
		}
	}
	win, msg := traceWindow(fs, *format, *from, *to)
	if msg != "" {
		return usageError(fs, stderr, "run: "+msg)
	}
	failOn, err := parseFailOn(*failOnFlag)
	if err != nil {
		return usageError(fs, stderr, "run: --fail-on: "+err.Error())
	}
	set, err := parseMutations(mutations)
	if err != nil {
		return usageError(fs, stderr, "run: --mutation: "+err.Error())
	}
	sc, err := loadScenario(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	if isSet(fs, "seed") {
		sc.Seed = *seed
	}
	timeline := *format != "json" && !*summary
	res, err := model.Run(sc, model.Config{Trace: timeline, Mutations: set})
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	out := res.Outcome()
	out.Invariants = props.Verdicts(res)
	out.DrainLoss = props.MeasureLoss(res).Outcome(res)
	expects := judgeExpectations(res)
	if err := writeRun(stdout, stderr, *format, timeline, win, model.SummaryOptions{Verbose: *verbose}, res, out); err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	if *format == "text" {
		if err := writeExpectations(stdout, expects); err != nil {
			fmt.Fprintf(stderr, "drainsim: %v\n", err)
			return 2
		}
	}
	status := 0
	if why := failOn.failed(out); why != "" {
		fmt.Fprintf(stderr, "drainsim run: %s (--fail-on %s)\n", why, *failOnFlag)
		status = 1
	}
	if *failOnFlag != "none" {
		for _, why := range failedExpectations(expects) {
			fmt.Fprintf(stderr, "drainsim run: %s\n", why)
			status = 1
		}
	}
	return status
}

// loadScenario loads the scenario file path, or reads it from stdin when
// path is "-".
func loadScenario(path string) (*scenario.Scenario, error) {
	if path != "-" {
		return scenario.Load(path)
	}
	data, err := scenario.Read(stdinName, stdin)
	if err != nil {
		return nil, err
	}
	return scenario.Parse(stdinName, data)
}

// stdin is what 'drainsim run -' reads; tests replace it.
var stdin io.Reader = os.Stdin

// stdinName names stdin in error messages and the outcome's file field.
const stdinName = "stdin"

// traceWindow returns the window of virtual time --from and --to ask for,
// or what is wrong with them: they apply to the mermaid and chrome formats
// only, and --to must come after --from.
func traceWindow(fs *flag.FlagSet, format string, from, to time.Duration) (export.Window, string) {
	for _, name := range []string{"from", "to"} {
		if isSet(fs, name) && format != "mermaid" && format != "chrome" {
			return export.Window{}, fmt.Sprintf("--%s works only with --format mermaid or chrome, not %s", name, format)
		}
	}
	switch {
	case from < 0:
		return export.Window{}, fmt.Sprintf("--from %v: want a time of 0 or later", from)
	case isSet(fs, "to") && to <= from:
		return export.Window{}, fmt.Sprintf("--to %v: want a time after --from (%v)", to, from)
	}
	return export.Window{From: sim.Time(from), To: sim.Time(to)}, ""
}

// writeRun prints a run in format: for text, the timeline (when asked
// for) and the summary; for mermaid and chrome, the events in win. A
// Mermaid diagram too long for the renderer's default limit is printed
// all the same, with a one-line warning on stderr.
func writeRun(w, stderr io.Writer, format string, timeline bool, win export.Window, opts model.SummaryOptions, res *model.Result, out *model.Outcome) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "ndjson":
		return res.Trace.WriteNDJSON(w)
	case "mermaid":
		var b bytes.Buffer
		if err := export.MermaidWindow(&b, res.Trace, win); err != nil {
			return err
		}
		if n := utf8.RuneCount(b.Bytes()); n > export.MermaidLimit {
			evs := res.Trace.Events() // not empty: the diagram is long
			fmt.Fprintf(stderr, "drainsim run: warning: the Mermaid diagram is %d characters, over the renderer's default limit of %d (maxTextSize); draw part of the run (0s to %v) with --from and --to\n",
				n, export.MermaidLimit, evs[len(evs)-1].At)
		}
		_, err := b.WriteTo(w)
		return err
	case "chrome":
		return export.ChromeWindow(w, res.Trace, win)
	}
	if timeline {
		if err := res.Trace.WriteText(w); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return out.WriteSummaryWith(w, opts)
}

const mutationsUsage = `usage: drainsim mutations [--cluster]

Lists the named model mutations (deliberate defects: 'drainsim run
--mutation NAME' and 'drainsim check --mutation NAME' switch them on), one
line each. With --cluster it lists the cluster model's mutations instead,
which only a scenario with servers: reaches ('drainsim check --topology
--mutation NAME'; docs/cluster.md#mutations). It takes no arguments.

`

func cmdMutations(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("mutations", mutationsUsage, stderr)
	cluster := fs.Bool("cluster", false, "list the cluster model's mutations")
	rest, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(rest) > 0 {
		return usageError(fs, stderr, fmt.Sprintf("mutations: unexpected argument %q", rest[0]))
	}
	list := model.Mutations()
	if *cluster {
		list = model.ClusterMutations()
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, m := range list {
		fmt.Fprintf(tw, "%s\t%s\n", m.Name(), m.About())
	}
	tw.Flush()
	return 0
}
