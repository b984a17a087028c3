// Command drainsim runs deterministic simulations of NATS drain semantics.
//
// Usage:
//
//	drainsim run FILE [--seed N] [--format text|json|ndjson|mermaid|chrome] [--mutation NAME]...
//	drainsim check [--profile P] [--runs N] [--seed S] [--mutation M]...
//	drainsim check --matrix [--profile all] [--runs N] [--out DIR] [--format text|markdown]
//	drainsim explore SWEEP [--workers N] [--csv F] [--json F] [--svg F] [--shard k/n --raw F]...
//	drainsim merge RAW... [--csv F] [--json F] [--svg F]
//	drainsim profiles [--format text|markdown]
//	drainsim mutations
//
// Exit status: 0 on success, 1 when `run` or `check` finds an invariant
// violated (`check --matrix`: one that is not a known violation), 2 for bad
// usage or a bad scenario file, 130 when SIGINT interrupted `explore` or
// `check`, which then report what was complete, marked partial.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/export"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
)

const usage = `drainsim: a deterministic simulator of NATS drain semantics

Usage:
  drainsim run FILE [flags]   run one scenario; print a timeline and summary,
                              or the outcome as JSON, or the trace as NDJSON,
                              a Mermaid diagram or Chrome trace JSON
  drainsim check [flags]      run the invariants over generated scenarios;
                              print shrunk counterexamples; with --matrix,
                              the verdict of every invariant per profile
  drainsim explore SWEEP      sweep drain timeouts and other knobs over many
                              seeds: P(loss) with confidence, charts, and
                              the smallest timeout that meets a target
  drainsim merge RAW...       combine the --raw files of a sharded explore
  drainsim profiles           the client-library profiles and their knobs
  drainsim mutations          list the named model mutations
  drainsim help               show this text

Run 'drainsim run -h' (check -h, explore -h, merge -h) for a command's flags.
Exit status: 0 ok, 1 an invariant is violated, 2 bad usage or bad scenario file,
130 interrupted (explore and check report what is complete, marked partial).
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
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "check":
		return cmdCheck(args[1:], stdout, stderr)
	case "explore":
		return cmdExplore(args[1:], stdout, stderr)
	case "merge":
		return cmdMerge(args[1:], stdout, stderr)
	case "profiles":
		return cmdProfiles(args[1:], stdout, stderr)
	case "mutations":
		return cmdMutations(stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "drainsim: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "override the scenario's seed")
	format := fs.String("format", "text", "output: text (timeline and summary), json (outcome), ndjson (trace events), "+
		"mermaid (sequence diagram), chrome (Chrome Trace Event JSON for Perfetto)")
	var mutations multiFlag
	fs.Var(&mutations, "mutation", "enable a named model mutation (repeatable); see 'drainsim mutations'")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: drainsim run FILE [--seed N] [--format text|json|ndjson|mermaid|chrome] [--mutation NAME]...")
		fs.PrintDefaults()
	}
	// Accept flags before and after the file name.
	files, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(files) != 1 {
		return usageError(fs, stderr, "run: want exactly one scenario file")
	}
	switch *format {
	case "text", "json", "ndjson", "mermaid", "chrome":
	default:
		fmt.Fprintf(stderr, "drainsim run: --format %q: want text, json, ndjson, mermaid or chrome\n", *format)
		return 2
	}
	set, err := parseMutations(mutations)
	if err != nil {
		fmt.Fprintf(stderr, "drainsim run: --mutation: %v\n", err)
		return 2
	}
	sc, err := scenario.Load(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if seedSet {
		sc.Seed = *seed
	}
	res, err := model.Run(sc, model.Config{Trace: *format != "json", Mutations: set})
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	out := res.Outcome()
	out.Invariants = props.Verdicts(res)
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "drainsim: %v\n", err)
			return 2
		}
	case "ndjson":
		if err := res.Trace.WriteNDJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "drainsim: %v\n", err)
			return 2
		}
	case "mermaid", "chrome":
		write := export.Mermaid
		if *format == "chrome" {
			write = export.Chrome
		}
		if err := write(stdout, res.Trace); err != nil {
			fmt.Fprintf(stderr, "drainsim: %v\n", err)
			return 2
		}
	default:
		if err := res.Trace.WriteText(stdout); err != nil {
			fmt.Fprintf(stderr, "drainsim: %v\n", err)
			return 2
		}
		fmt.Fprintln(stdout)
		if err := out.WriteSummary(stdout); err != nil {
			fmt.Fprintf(stderr, "drainsim: %v\n", err)
			return 2
		}
	}
	for _, v := range out.Invariants {
		if !v.Holds {
			return 1
		}
	}
	return 0
}

func cmdMutations(stdout io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, m := range model.Mutations() {
		fmt.Fprintf(tw, "%s\t%s\n", m.Name(), m.About())
	}
	tw.Flush()
	return 0
}
