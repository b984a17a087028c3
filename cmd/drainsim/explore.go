package main

import (
	"bytes"
	"encoding/json"
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
on P(loss) is at most the target.

`

const mergeUsage = `usage: drainsim merge RAW... [flags]

Combines the --raw files of every shard of one sweep (drainsim explore
--shard k/n --raw FILE) and prints what the unsharded sweep would have.

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

func cmdExplore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explore", exploreUsage, stderr)
	out := addOutputFlags(fs)
	workers := fs.Int("workers", runtime.NumCPU(), "runs in parallel; the output is the same for any number")
	seeds := fs.Int("seeds", 0, "runs per cell, overriding the sweep file")
	shardFlag := fs.String("shard", "", "run only shard `k/n` of the seeds (write it with --raw, combine with drainsim merge)")
	progressFlag := fs.Bool("progress", false, "report progress on stderr even when it is not a terminal")
	files, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(files) != 1 {
		return usageError(fs, stderr, "explore: want exactly one sweep file")
	}
	var shard explore.Shard
	if *shardFlag != "" {
		var err error
		if shard, err = explore.ParseShard(*shardFlag); err != nil {
			return usageError(fs, stderr, "explore: --shard: "+err.Error())
		}
		if *out.raw == "" || *out.csv != "" || *out.json != "" || *out.svg != "" {
			return usageError(fs, stderr, "explore: a shard holds part of the runs: write it with --raw FILE (no --csv, --json or --svg) and combine the shards with drainsim merge")
		}
	}
	switch {
	case *workers < 1:
		return usageError(fs, stderr, fmt.Sprintf("explore: --workers %d: want at least 1", *workers))
	case *seeds < 0:
		return usageError(fs, stderr, fmt.Sprintf("explore: --seeds %d: want at least 1", *seeds))
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
	total := sw.NumRuns(shard)
	prog := startProgress(stderr, *progressFlag, total)
	res, err := explore.Run(sw, explore.Options{Workers: *workers, Shard: shard, Progress: prog.add})
	prog.finish()
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	if shard.N > 0 {
		if code := writeRaw(stderr, *out.raw, res); code != 0 {
			return code
		}
		fmt.Fprintf(stdout, "shard %d/%d of sweep %s: %d runs written to %s; combine every shard with drainsim merge\n",
			shard.K, shard.N, sw.Name, total, *out.raw)
		return 0
	}
	return report(res, out, stdout, stderr)
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
	var parts []*explore.Results
	for _, f := range files {
		r, err := readRaw(f)
		if err != nil {
			fmt.Fprintf(stderr, "drainsim: %v\n", err)
			return 2
		}
		parts = append(parts, r)
	}
	res, err := explore.Merge(parts...)
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	return report(res, out, stdout, stderr)
}

// report summarises complete results: the table on stdout, and the files
// the flags ask for.
func report(res *explore.Results, out outputFlags, stdout, stderr io.Writer) int {
	rep, err := explore.Summarize(res, *out.target)
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{{*out.csv, rep.WriteCSV}, {*out.json, rep.WriteJSON}, {*out.svg, rep.WriteSVG}}
	for _, f := range files {
		if f.name == "" {
			continue
		}
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			fmt.Fprintf(stderr, "drainsim: %s: %v\n", f.name, err)
			return 2
		}
		if err := os.WriteFile(f.name, b.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "drainsim: %v\n", err)
			return 2
		}
	}
	if *out.raw != "" {
		if code := writeRaw(stderr, *out.raw, res); code != 0 {
			return code
		}
	}
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	return 0
}

func writeRaw(stderr io.Writer, name string, res *explore.Results) int {
	data, err := json.Marshal(res)
	if err == nil {
		err = os.WriteFile(name, append(data, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "drainsim: %v\n", err)
		return 2
	}
	return 0
}

// readRaw reads a --raw file strictly: unknown fields are errors.
func readRaw(name string) (*explore.Results, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r explore.Results
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: not a drainsim explore --raw file: %w", name, err)
	}
	if r.Format != explore.RawFormat {
		return nil, fmt.Errorf("%s: format %q, want %q (written by drainsim explore --raw)", name, r.Format, explore.RawFormat)
	}
	return &r, nil
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
// command (-h or a bad flag), else -1.
func parseArgs(fs *flag.FlagSet, args []string) (files []string, code int) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0
			}
			return nil, 2
		}
		if fs.NArg() == 0 {
			return files, -1
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func usageError(fs *flag.FlagSet, stderr io.Writer, msg string) int {
	fmt.Fprintln(stderr, "drainsim "+msg)
	fs.Usage()
	return 2
}

// progress prints "done/total, rate, ETA" on stderr: rewritten in place
// every second on a terminal, or a line every five seconds when asked for
// elsewhere. It reads the wall clock, which never reaches the results.
type progress struct {
	w     io.Writer
	tty   bool
	total int
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(stderr io.Writer, force bool, total int) *progress {
	p := &progress{w: stderr, total: total, start: time.Now(), stop: make(chan struct{})}
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
	line := fmt.Sprintf("explore: %d/%d runs (%.0f%%), %.0f runs/s", done, p.total, 100*float64(done)/float64(max(p.total, 1)), rate)
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
