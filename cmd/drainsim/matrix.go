package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/props"
)

// matrixRuns is the default --runs of `check --matrix`: enough generated
// scenarios per profile to reproduce every known violation.
const matrixRuns = 20000

// matrixGCPercent is the garbage collector's target for check --matrix,
// unless GOGC is set: twice check's (checkGCPercent). The matrix's
// shrinks and its ranking on the real library's terms (YAML candidates,
// conformance.Replayable's 13 runs a scenario) allocate several times
// what a generated scenario's run does, and at 400 `check --matrix --runs
// 300` collected 19-28 times; while a collection marks, every pointer
// write of the workers goes through the write barrier, which two workers
// both pay, while one worker's collector marks on the idle core
// (docs/performance-history.md, h18matrix). At 800 it collects 6-10 times, for a
// heap of 30-50 MB instead of 15-25 MB.
const matrixGCPercent = 800

// matrixLegend says what the cells of the matrix show.
const matrixLegend = "ok holds; R[n] violated, and the counterexample does the same on the real library; V[n] violated, not run on the real library; I[n] violated, resting on an inferred behaviour; NEW[n] violated, not known; ok?[n] known, not reproduced"

// note is one footnote of the matrix: a violated cell, or a known
// violation the runs did not reproduce.
type note struct {
	cell props.Cell
	path string // the counterexample file, "" when not reproduced
}

// mark is what a cell of the matrix shows: ok, R[n] (violated, and seen
// on the real library), V[n] (violated, not run on the real library), I[n]
// (violated, resting on an inferred behaviour), NEW[n] (violated, not a
// known violation) or ok?[n] (a known violation the runs did not
// reproduce).
func (n note) mark(i int) string {
	c := n.cell
	switch {
	case !c.Violated():
		return fmt.Sprintf("ok?[%d]", i)
	case c.Unexpected():
		return fmt.Sprintf("NEW[%d]", i)
	case c.Failure.RestsOn != "" || c.Known.Inferred != "":
		return fmt.Sprintf("I[%d]", i)
	case c.Known.Seen != "":
		return fmt.Sprintf("R[%d]", i)
	}
	return fmt.Sprintf("V[%d]", i)
}

// runMatrix runs the matrix (reporting to prog, finished before the
// output starts), writes each violation's shrunk counterexample
// to dir (prepared by prepareCounterexampleDir; none when dir is ""), and
// prints the matrix in format (text or markdown). It returns the exit
// status: 0 when every violation is a known one, 1 when one is not, 2 when
// a file cannot be written, 130 when the runs were interrupted.
func runMatrix(cfg props.SwarmConfig, dir, format string, prog *progress, stdout, stderr io.Writer) int {
	m, err := props.RunMatrix(cfg)
	prog.finish()
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	if len(m.Profiles) == 0 {
		fmt.Fprintln(stderr, "drainsim check: interrupted before a scenario ran: no matrix, no file written")
		return exitInterrupted
	}
	if dir != "" {
		removeErr, writeErr := writeMatrixCounterexamples(dir, m, cfg.Mutations)
		switch {
		case removeErr != nil:
			fmt.Fprintf(stderr, "drainsim check: removing earlier counterexamples: %v\n", removeErr)
			return 2
		case writeErr != nil:
			fmt.Fprintf(stderr, "drainsim check: %v\n", writeErr)
			return 2
		}
	}
	grid := make([][]string, len(m.Rows))
	var notes []note
	for i, row := range m.Cells {
		grid[i] = make([]string, len(row))
		for j, c := range row {
			grid[i][j] = "ok"
			if !c.Violated() && c.Known == nil {
				continue
			}
			n := note{cell: c}
			if c.Violated() && dir != "" {
				n.path = matrixCounterexamplePath(dir, c)
			}
			notes = append(notes, n)
			grid[i][j] = n.mark(len(notes))
		}
	}
	if format == "markdown" {
		writeMatrixMarkdown(stdout, m, cfg, grid, notes)
	} else {
		writeMatrixText(stdout, m, cfg, dir, grid, notes)
	}
	switch {
	case m.Interrupted:
		return exitInterrupted
	case len(m.Unexpected()) > 0:
		return 1
	}
	return 0
}

// partialText says how much of an interrupted matrix ran, e.g. "partial:
// interrupted; go and c ran 20000 scenarios each, java 1234 of 20000";
// it is "" for a complete matrix.
func partialText(m props.Matrix, cfg props.SwarmConfig) string {
	if !m.Interrupted {
		return ""
	}
	n := len(m.Profiles)
	s := "partial: interrupted; "
	if n > 1 {
		s += fmt.Sprintf("%s ran %d scenarios each, ", strings.Join(m.Profiles[:n-1], ", "), m.Runs)
	}
	s += fmt.Sprintf("%s %d of %d", m.Profiles[n-1], m.LastRuns, m.Runs)
	if rest := cfg.Profiles[n:]; len(rest) > 0 {
		s += "; not run: " + strings.Join(rest, ", ")
	}
	return s
}

// writeMatrixCounterexamples replaces the counterexamples in dir with
// those of m's violated cells: it removes the earlier ones
// (isCounterexample), then stages the new ones (stageCounterexampleFile),
// then commits them, up to fileWriters files at a time, each in a
// goroutine of its own with a P of its own (runtime.GOMAXPROCS raised for
// the time it takes). One after the other, each write waiting on the disk
// in its own fsync, they took 10-17 ms of `check --matrix --runs 300 --out
// DIR` (22 files) with every core idle, on one worker as on two; a commit
// waits in fsync holding its P, and the syncs of files all staged before
// go to the disk together. It returns the first error of a removal, and
// the first of a write in the matrix's order (nothing is written when a
// removal failed, nothing committed when a staging failed).
func writeMatrixCounterexamples(dir string, m props.Matrix, muts model.MutationSet) (removeErr, writeErr error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err, nil
	}
	var cells []props.Cell
	for _, row := range m.Cells {
		for _, c := range row {
			if c.Violated() {
				cells = append(cells, c)
			}
		}
	}
	writers := min(max(len(entries), len(cells)), fileWriters)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(writers, runtime.GOMAXPROCS(0))))
	if err := inParallel(len(entries), func(i int) error {
		if !isCounterexample(dir, entries[i]) {
			return nil
		}
		return os.Remove(filepath.Join(dir, entries[i].Name()))
	}); err != nil {
		return err, nil
	}
	staged := make([]*stagedFile, len(cells))
	if err := inParallel(len(cells), func(i int) error {
		path := matrixCounterexamplePath(dir, cells[i])
		s, err := stageCounterexampleFile(path, matrixHow, cells[i], muts)
		staged[i] = s
		return counterexampleError(path, err)
	}); err != nil {
		for _, s := range staged {
			if s != nil {
				s.abort()
			}
		}
		return nil, err
	}
	return nil, inParallel(len(staged), func(i int) error {
		return counterexampleError(staged[i].path, staged[i].commit())
	})
}

// matrixHow is the command check --matrix's counterexamples say they were
// found by (writeCounterexampleFile's how).
const matrixHow = "drainsim check --matrix"

// fileWriters bounds how many files writeMatrixCounterexamples removes or
// writes at once (and the Ps it asks for): a matrix has at most a few
// dozen violated cells, but the directory may hold any number of files.
const fileWriters = 64

// inParallel calls f(i) for i = 0, 1, ..., n-1, in up to fileWriters
// goroutines at once, and returns the error of the least i whose call
// failed.
func inParallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for g := range min(n, fileWriters) {
		wg.Go(func() {
			for i := g; i < n; i += fileWriters {
				errs[i] = f(i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// matrixCounterexamplePath is the path of a violated cell's
// counterexample in dir: PROFILE--INVARIANT.yaml.
func matrixCounterexamplePath(dir string, c props.Cell) string {
	return filepath.Join(dir, c.Profile+"--"+c.Invariant+".yaml")
}

// writeCounterexampleFile writes a violated cell's shrunk scenario to path
// as a runnable file headed by what it shows (found by the command how)
// and how to replay it.
func writeCounterexampleFile(path, how string, c props.Cell, muts model.MutationSet) error {
	s, err := stageCounterexampleFile(path, how, c, muts)
	if err == nil {
		err = s.commit()
	}
	return counterexampleError(path, err)
}

// counterexampleError says that writing the counterexample path failed
// with err; it is nil when err is.
func counterexampleError(path string, err error) error {
	if err != nil {
		return fmt.Errorf("writing the counterexample %s: %w", path, err)
	}
	return nil
}

// stageCounterexampleFile stages (stageFile) what writeCounterexampleFile
// writes to path.
func stageCounterexampleFile(path, how string, c props.Cell, muts model.MutationSet) (*stagedFile, error) {
	sc := *c.Failure.Shrunk
	sc.Name = c.Profile + "--" + c.Invariant
	sc.Description = fmt.Sprintf("%s: %s violated under profile %s; generator seed %d, shrunk",
		how, c.Invariant, c.Profile, c.Failure.GenSeed)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s%s%s: %s\n", c.Invariant, counterexampleMark, c.Profile, c.Failure.Detail)
	if k := c.Known; k != nil {
		fmt.Fprintf(&b, "# known: %s (source: %s)\n", k.Why, k.Source)
		fmt.Fprintf(&b, "# %s\n", seen(k))
	} else {
		fmt.Fprintf(&b, "# NOT a known violation of this profile (props.KnownViolations)\n")
	}
	if c.Failure.RestsOn != "" {
		fmt.Fprintf(&b, "# rests on the profile's inferred behaviour %s: without it the scenario passes\n", c.Failure.RestsOn)
	}
	fmt.Fprintf(&b, "# replay: %s\n", replayCommand(path, muts))
	b.Write(sc.Marshal())
	return stageFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// replayCommand is the `drainsim run` command line that replays path.
func replayCommand(path string, muts model.MutationSet) string {
	cmd := "drainsim run " + filepath.ToSlash(path)
	for _, m := range model.AllMutations() {
		if muts.Has(m) {
			cmd += " --mutation " + m.Name()
		}
	}
	return cmd
}

// explain says what a footnote's cell shows, in one line.
func (n note) explain() string {
	c := n.cell
	switch {
	case !c.Violated():
		return fmt.Sprintf("known violation not reproduced in these runs: %s (source: %s)", c.Known.Why, c.Known.Source)
	case c.Unexpected():
		return "NEW violation, not in props.KnownViolations: a bug in the model or a new finding"
	}
	s := fmt.Sprintf("%s (source: %s)", c.Known.Why, c.Known.Source)
	if c.Failure.RestsOn != "" {
		s += fmt.Sprintf("; rests on inferred %s", c.Failure.RestsOn)
	}
	return s + "; " + seen(c.Known)
}

// seen says whether a known violation was seen on the real library.
func seen(k *props.KnownViolation) string {
	if k.Seen == "" {
		return "not run on the real library"
	}
	return "seen on the real library, " + k.Seen
}

func writeMatrixText(w io.Writer, m props.Matrix, cfg props.SwarmConfig, dir string, grid [][]string, notes []note) {
	where := "counterexamples in " + filepath.ToSlash(dir)
	if dir == "" {
		where = "counterexamples not written (--out DIR writes them)"
	}
	fmt.Fprintf(w, "verdict matrix: %d generated scenarios per profile from seed %d%s; %s\n", m.Runs, cfg.Seed, onTopologies(cfg), where)
	if p := partialText(m, cfg); p != "" {
		fmt.Fprintln(w, p)
	}
	fmt.Fprintln(w, matrixLegend)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INVARIANT\t"+strings.Join(m.Profiles, "\t"))
	for i, id := range m.Rows {
		fmt.Fprintln(tw, id+"\t"+strings.Join(grid[i], "\t"))
	}
	tw.Flush()
	for i, n := range notes {
		c := n.cell
		fmt.Fprintf(w, "\n[%d] %s x %s: %s\n", i+1, c.Profile, c.Invariant, n.explain())
		if c.Violated() {
			replay := "counterexample not written (--out DIR writes it)"
			if n.path != "" {
				replay = replayCommand(n.path, cfg.Mutations)
			}
			fmt.Fprintf(w, "    %s (generator seed %d, %d actions)\n", replay, c.Failure.GenSeed, props.Size(c.Failure.Shrunk))
			fmt.Fprintf(w, "    %s\n", c.Failure.Detail)
		}
	}
	writeInferred(w, m.Profiles, "\nINFERRED behaviours (not yet checked against the library; I[n] marks the violations that rest on one):\n", "  %s %s (%s): %s\n")
}

// writeInferred lists the inferred behaviours of the profiles, after a
// heading, each through format (profile, id, ref, behaviour); it writes
// nothing, not even the heading, when the profiles have none.
func writeInferred(w io.Writer, profiles []string, heading, format string) {
	for _, name := range profiles {
		p, _ := model.LookupProfile(name)
		for _, inf := range p.Inferred {
			fmt.Fprint(w, heading)
			heading = ""
			fmt.Fprintf(w, format, p.Name, inf.ID, inf.Ref, inf.Behaviour)
		}
	}
}

func writeMatrixMarkdown(w io.Writer, m props.Matrix, cfg props.SwarmConfig, grid [][]string, notes []note) {
	if p := partialText(m, cfg); p != "" {
		fmt.Fprintf(w, "**%s**\n\n", p)
	}
	if cfg.Topology {
		fmt.Fprintf(w, "%d generated scenarios per profile from seed %d%s.\n\n", m.Runs, cfg.Seed, onTopologies(cfg))
	}
	fmt.Fprintf(w, "%s.\n\n", matrixLegend)
	fmt.Fprintf(w, "| invariant | %s |\n|%s\n", strings.Join(m.Profiles, " | "), strings.Repeat("---|", len(m.Profiles)+1))
	for i, id := range m.Rows {
		fmt.Fprintf(w, "| `%s` | %s |\n", id, strings.Join(grid[i], " | "))
	}
	fmt.Fprintln(w)
	for i, n := range notes {
		c := n.cell
		fmt.Fprintf(w, "%d. **%s × %s**: %s", i+1, c.Profile, c.Invariant, n.explain())
		if n.path != "" {
			p := filepath.ToSlash(n.path)
			fmt.Fprintf(w, ". Counterexample: [%s](%s)", p, p)
		}
		fmt.Fprintln(w, ".")
	}
	writeInferred(w, m.Profiles, "\nInferred behaviours (I[n] marks the violations that rest on one):\n\n", "* %s %s (%s): %s.\n")
}

// onTopologies says, for a matrix over generated topologies (--topology),
// so and which mutations were on, for the heading; it is "" otherwise, so
// that the one-server matrix reads as before.
func onTopologies(cfg props.SwarmConfig) string {
	if !cfg.Topology {
		return ""
	}
	s := " on generated topologies (1-4 servers: routes, gateways, a leaf spoke)"
	for _, mu := range model.AllMutations() {
		if cfg.Mutations.Has(mu) {
			s += ", mutation " + mu.Name()
		}
	}
	return s
}
