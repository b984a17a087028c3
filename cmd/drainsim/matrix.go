package main

import (
	"fmt"
	"io"
	"path/filepath"
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
	var files *matrixFiles
	if dir != "" {
		files = newMatrixFiles(dir, cfg.Mutations)
		cfg.CellDone = files.cellDone
	}
	m, err := props.RunMatrix(cfg)
	prog.finish()
	if files != nil {
		// Wait for the files of the cells done before the error or
		// the interrupt too: none is left half written.
		files.wait()
	}
	if err != nil {
		fmt.Fprintf(stderr, "drainsim check: %v\n", err)
		return 2
	}
	if len(m.Profiles) == 0 {
		fmt.Fprintln(stderr, "drainsim check: interrupted before a scenario ran: no matrix, no file written")
		return exitInterrupted
	}
	if files != nil {
		if err := files.clear(); err != nil {
			fmt.Fprintf(stderr, "drainsim check: removing earlier counterexamples: %v\n", err)
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
			if c.Violated() && files != nil {
				if n.path, err = files.written(c); err != nil {
					fmt.Fprintf(stderr, "drainsim check: %v\n", err)
					return 2
				}
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

// matrixFiles writes the counterexamples of a matrix's violated cells to
// a directory while the matrix runs: each in a goroutine of its own,
// started as the cell is shrunk (props.SwarmConfig.CellDone), after the
// counterexamples of an earlier run are removed (clearCounterexamples,
// itself started at the first cell done). Writing them one after the
// other once the matrix was done (an fsync each, and the removals) took
// 10-13 ms of `check --matrix --runs 300 --out DIR`, on one worker as on
// two, with every core idle; now the writes wait on the disk while the
// other cells shrink.
type matrixFiles struct {
	dir      string
	muts     model.MutationSet
	start    sync.Once     // starts the removal of the earlier counterexamples
	cleared  chan struct{} // closed once they are removed
	clearErr error         // the removal's error, set before cleared is closed
	writes   sync.WaitGroup
	mu       sync.Mutex
	errs     map[string]error // the failed writes, by path
}

func newMatrixFiles(dir string, muts model.MutationSet) *matrixFiles {
	return &matrixFiles{dir: dir, muts: muts, cleared: make(chan struct{}), errs: map[string]error{}}
}

// startClear starts removing the earlier counterexamples, once. It is
// first called when a cell is done (a matrix with a scenario run), so
// that a matrix interrupted before its first scenario leaves the
// directory as it was.
func (f *matrixFiles) startClear() {
	f.start.Do(func() {
		go func() {
			f.clearErr = clearCounterexamples(f.dir)
			close(f.cleared)
		}()
	})
}

// cellDone starts writing c's counterexample when c is violated, once
// the earlier counterexamples are removed (which a new file must follow,
// or the removal would take it too). It is called from the matrix's
// workers.
func (f *matrixFiles) cellDone(c props.Cell) {
	f.startClear()
	if !c.Violated() {
		return
	}
	f.writes.Go(func() {
		<-f.cleared
		if f.clearErr != nil {
			return
		}
		if path, err := writeMatrixCounterexample(f.dir, c, f.muts); err != nil {
			f.mu.Lock()
			f.errs[path] = err
			f.mu.Unlock()
		}
	})
}

// wait returns when every write started is done.
func (f *matrixFiles) wait() { f.writes.Wait() }

// clear finishes removing the earlier counterexamples (starting it if no
// cell started it: a matrix without a violation removes them too) and
// returns the removal's error.
func (f *matrixFiles) clear() error {
	f.startClear()
	<-f.cleared
	return f.clearErr
}

// written returns the path of the violated cell c's counterexample, and
// the error of its write (after wait).
func (f *matrixFiles) written(c props.Cell) (string, error) {
	path := matrixCounterexamplePath(f.dir, c)
	return path, f.errs[path]
}

// matrixCounterexamplePath is the path of a violated cell's
// counterexample in dir: PROFILE--INVARIANT.yaml.
func matrixCounterexamplePath(dir string, c props.Cell) string {
	return filepath.Join(dir, c.Profile+"--"+c.Invariant+".yaml")
}

// writeMatrixCounterexample writes a violated cell's shrunk scenario to
// dir (matrixCounterexamplePath, writeCounterexampleFile) and returns its
// path.
func writeMatrixCounterexample(dir string, c props.Cell, muts model.MutationSet) (string, error) {
	path := matrixCounterexamplePath(dir, c)
	return path, writeCounterexampleFile(path, "drainsim check --matrix", c, muts)
}

// writeCounterexampleFile writes a violated cell's shrunk scenario to path
// as a runnable file headed by what it shows (found by the command how)
// and how to replay it.
func writeCounterexampleFile(path, how string, c props.Cell, muts model.MutationSet) error {
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
	err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
	if err != nil {
		return fmt.Errorf("writing the counterexample %s: %w", path, err)
	}
	return nil
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
