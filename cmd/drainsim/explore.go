package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drainsim/drainsim/explore"
)

const exploreUsage = `usage: drainsim explore SWEEP [flags]

Runs every cell of the sweep file SWEEP (base scenario × axes) with the same
seeds, prints a table of P(loss) with 95% Wilson intervals, lost-message and
drain-duration statistics, and the smallest drain timeout whose upper bound
on P(loss) is at most the target (along the sweep's x: the smallest wait or
action time, the largest publish rate).

Output files are checked before the first run (writable, not an input, not
named twice) and written through a temporary file renamed over the old one.
Ctrl-C (SIGINT) stops the workers, reports the seeds complete in every cell
marked partial (no --raw file: it must hold every run) and exits with 130.

`

const mergeUsage = `usage: drainsim merge RAW... [flags]

Combines the --raw files of every shard of one sweep (drainsim explore
--shard k/n --raw FILE) and prints what the unsharded sweep would have.
Every field of every file is checked, with its checksum; no output may
overwrite an input shard.

`

// outputFlags are the report files explore and merge can write.
type outputFlags struct {
	csv, json, svg, raw *string
	target              *float64
}

func addOutputFlags(fs *flag.FlagSet) outputFlags {
	return outputFlags{
		csv:    fs.String("csv", "", "write one row per cell to `FILE` as CSV"),
		json:   fs.String("json", "", "write the cells and recommendations to `FILE` as JSON"),
		svg:    fs.String("svg", "", "write the charts to `FILE` as SVG"),
		raw:    fs.String("raw", "", "write every run's outcome to `FILE`, for drainsim merge"),
		target: fs.Float64("target", 0, "the P(loss) a recommended timeout must provably stay at or below (default: the sweep's, else 0.001)"),
	}
}

// list returns the outputs the flags name (planOutputs drops the unset).
func (o outputFlags) list() []output {
	return []output{{flag: "--csv", path: *o.csv}, {flag: "--json", path: *o.json}, {flag: "--svg", path: *o.svg}, {flag: "--raw", path: *o.raw}}
}

// maxWorkers bounds --workers: each worker holds a run's memory.
const maxWorkers = 1024

func cmdExplore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explore", exploreUsage, stderr)
	out := addOutputFlags(fs)
	workers := fs.Int("workers", min(runtime.NumCPU(), maxWorkers), "runs in parallel; the output is the same for any number")
	seeds := fs.Int("seeds", 0, "runs per cell, overriding the sweep file")
	shardFlag := fs.String("shard", "", "run only shard `k/n` of the seeds (write it with --raw, combine with drainsim merge); "+
		"env: k and n from the batch system ("+envShard+"=k/n, "+envK8sIndex+" with "+envShards+", or "+envSlurmID+")")
	progressFlag := fs.Bool("progress", false, "report progress on stderr even when it is not a terminal")
	files, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(files) != 1 {
		return usageError(fs, stderr, "explore: want exactly one sweep file")
	}
	var shard explore.Shard
	shardFrom := "" // the environment variables of --shard env
	if *shardFlag != "" {
		var err error
		if *shardFlag == "env" {
			shard, shardFrom, err = shardFromEnv(os.Getenv)
		} else {
			shard, err = explore.ParseShard(*shardFlag)
		}
		if err != nil {
			flag := "--shard"
			if *shardFlag == "env" {
				flag = "--shard env"
			}
			return usageError(fs, stderr, "explore: "+flag+": "+err.Error())
		}
		if *out.raw == "" || *out.csv != "" || *out.json != "" || *out.svg != "" {
			return usageError(fs, stderr, "explore: a shard holds part of the runs: write it with --raw FILE (no --csv, --json or --svg) and combine the shards with drainsim merge")
		}
	}
	switch {
	case *workers < 1 || *workers > maxWorkers:
		return usageError(fs, stderr, fmt.Sprintf("explore: --workers %d: want 1 to %d", *workers, maxWorkers))
	case isSet(fs, "seeds") && (*seeds < 1 || *seeds > explore.MaxRuns):
		return usageError(fs, stderr, fmt.Sprintf("explore: --seeds %d: want 1 to %d", *seeds, explore.MaxRuns))
	}
	if code := checkTarget(fs, stderr, *out.target); code >= 0 {
		return code
	}
	sw, err := explore.Load(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	if *seeds > 0 {
		sw.Seeds = *seeds
	}
	if *out.target > 0 {
		sw.Target = *out.target
	}
	if shard.N > sw.EffectiveSeeds() {
		return usageError(fs, stderr, fmt.Sprintf("explore: --shard %s: the sweep runs %d seeds per cell, fewer than %d shards", shardName(*shardFlag, shardFrom), sw.EffectiveSeeds(), shard.N))
	}
	plan, err := planOutputs(out.list(), []input{{"the sweep file", sw.File}, {"the sweep's base scenario", sw.Base.File}})
	if err != nil {
		fmt.Fprintf(stderr, "drainsim explore: %v\n", err)
		return 2
	}
	total := sw.NumRuns(shard)
	prog := startProgress(stderr, "explore", "runs", *progressFlag, total)
	res, err := explore.Run(sw, explore.Options{Workers: *workers, Shard: shard, Progress: prog.add, Stop: interrupt})
	prog.finish()
	if errors.Is(err, explore.ErrNothingComplete) {
		fmt.Fprintln(stderr, "drainsim explore: interrupted before any seed ran in every cell: nothing to report, no file written")
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	if shard.N > 0 {
		if res.Partial != nil {
			fmt.Fprintf(stderr, "drainsim explore: interrupted: shard %d/%d incomplete (%d of %d seeds in every cell), %s not written: a raw file holds every run of its shard\n",
				shard.K, shard.N, res.Partial.Seeds, res.Partial.Of, *out.raw)
			return exitInterrupted
		}
		if code := writeOutputs(plan, nil, res, stderr); code != 0 {
			return code
		}
		fmt.Fprintf(stdout, "shard %d/%d%s of sweep %s: %d runs written to %s; combine every shard with drainsim merge\n",
			shard.K, shard.N, shardSource(shardFrom), sw.Name, total, *out.raw)
		return 0
	}
	return report(res, *out.target, plan, stdout, stderr)
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("merge", mergeUsage, stderr)
	out := addOutputFlags(fs)
	files, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(files) == 0 {
		return usageError(fs, stderr, "merge: want the --raw file of every shard")
	}
	if code := checkTarget(fs, stderr, *out.target); code >= 0 {
		return code
	}
	var inputs []input
	for _, f := range files {
		inputs = append(inputs, input{"an input shard", f})
	}
	plan, err := planOutputs(out.list(), inputs)
	if err != nil {
		fmt.Fprintf(stderr, "drainsim merge: %v\n", err)
		return 2
	}
	var parts []*explore.Results
	for _, name := range files {
		r, err := readRaw(name)
		if err != nil {
			fmt.Fprintf(stderr, "drainsim merge: %v\n", err)
			return 2
		}
		parts = append(parts, r)
	}
	res, err := explore.Merge(parts...)
	if err != nil {
		fmt.Fprintf(stderr, "drainsim %v\n", err)
		return 2
	}
	return report(res, *out.target, plan, stdout, stderr)
}

// readRaw opens and reads a --raw file (explore.ReadRaw).
func readRaw(name string) (*explore.Results, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return explore.ReadRaw(name, f)
}

// report summarises the results: the table on stdout first, so that it is
// not lost when a file cannot be written, then the planned outputs. It
// returns the exit status: 130 for the partial results of an interrupted
// run.
func report(res *explore.Results, target float64, plan []output, stdout, stderr io.Writer) int {
	rep, err := explore.Summarize(res, target)
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	if code := writeOutputs(plan, rep, res, stderr); code != 0 {
		return code
	}
	if res.Partial != nil {
		return exitInterrupted
	}
	return 0
}

// writeOutputs writes each planned output, each through writeFileAtomic:
// the report's CSV, JSON and SVG (rep may be nil when there are none) and
// the raw results, which are not written when they are partial.
func writeOutputs(plan []output, rep *explore.Report, res *explore.Results, stderr io.Writer) int {
	for _, o := range plan {
		var write func(io.Writer) error
		switch o.flag {
		case "--csv":
			write = rep.WriteCSV
		case "--json":
			write = rep.WriteJSON
		case "--svg":
			write = rep.WriteSVG
		case "--raw":
			if res.Partial != nil {
				fmt.Fprintf(stderr, "drainsim: --raw %s not written: the run was interrupted, and a raw file holds every run\n", o.path)
				continue
			}
			write = func(w io.Writer) error { return explore.WriteRaw(w, res) }
		}
		if err := writeFileAtomic(o.target, write); err != nil {
			fmt.Fprintf(stderr, "drainsim: %s %s: %v\n", o.flag, o.path, err)
			return 2
		}
	}
	return 0
}

func checkTarget(fs *flag.FlagSet, stderr io.Writer, target float64) int {
	if target == 0 {
		return -1
	}
	if err := explore.CheckTarget(target); err != nil {
		return usageError(fs, stderr, fmt.Sprintf("%s: --target: %v: want a probability such as 0.001", fs.Name(), err))
	}
	return -1
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags given before, between and after file names and
// returns the file names; code is an exit status when parsing ended the
// command (-h, or a bad flag: one line on stderr), else -1.
func parseArgs(fs *flag.FlagSet, args []string) (files []string, code int) {
	// The flag package would print the error and the whole usage: print
	// the error alone, and the usage only when asked for.
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage; fs.SetOutput(out) }()
	for {
		if err := fs.Parse(args); err != nil {
			fs.SetOutput(out)
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, 0
			}
			return nil, usageError(fs, out, fs.Name()+": "+err.Error())
		}
		if fs.NArg() == 0 {
			return files, -1
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// usageError prints a one-line error for bad usage, with where to find
// the command's flags, and returns exit status 2.
func usageError(fs *flag.FlagSet, stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "drainsim %s (see drainsim %s -h)\n", msg, fs.Name())
	return 2
}

// progress prints "done/total units, rate, ETA" on stderr, headed by the
// command's name: rewritten in place every second on a terminal, or a line
// every five seconds when asked for elsewhere. It reads the wall clock,
// which never reaches the results.
type progress struct {
	w     io.Writer
	name  string // the command, e.g. "explore"
	unit  string // what it counts, e.g. "runs"
	tty   bool
	total int
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(stderr io.Writer, name, unit string, force bool, total int) *progress {
	p := &progress{w: stderr, name: name, unit: unit, total: total, start: time.Now(), stop: make(chan struct{})}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			p.tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	if !p.tty && !force {
		return p
	}
	every := 5 * time.Second
	if p.tty {
		every = time.Second
	}
	p.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.print(false)
			case <-p.stop:
				p.print(true)
				return
			}
		}
	})
	return p
}

func (p *progress) add(n int) { p.done.Add(int64(n)) }

func (p *progress) finish() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
}

func (p *progress) print(final bool) {
	done := int(p.done.Load())
	elapsed := time.Since(p.start).Seconds()
	rate := float64(done) / max(elapsed, 1e-9)
	line := fmt.Sprintf("%s: %d/%d %s (%.0f%%), %.0f %s/s", p.name, done, p.total, p.unit, 100*float64(done)/float64(max(p.total, 1)), rate, p.unit)
	if final {
		line += ", took " + strconv.FormatFloat(elapsed, 'f', 1, 64) + "s"
	} else if rate > 0 {
		line += ", ETA " + time.Duration(float64(p.total-done)/rate*float64(time.Second)).Round(time.Second).String()
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K"+line)
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	fmt.Fprintln(p.w, line)
}
