package conformance

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
)

// This file is the harness side of the driver protocol
// (docs/driver-protocol.md): it plays a scenario through a driver written
// in a client library's own language against an embedded nats-server, and
// compares what the driver saw with the model.

// driver is one real client library and how to run its driver.
type driver struct {
	name     string   // what DRAINSIM_DRIVER selects
	dir      string   // its directory under drivers/ ("" = name)
	profiles []string // the profiles its library is checked for
	// optIn drivers run only when DRAINSIM_DRIVER names them.
	optIn bool
	// corpus, when set, replaces the profiles' default corpus.
	corpus func(t *testing.T) []string
	tol    Tolerance
	// missing says why the driver cannot run here ("" when it can).
	missing func() string
	// build prepares the driver in dir (its source directory) and returns
	// the command that plays a plan, and extra environment.
	build func(dir, tmp string) (cmd []string, env []string, err error)
}

// drivers are the libraries checked through the driver protocol. nats.go is
// checked in-process (realstack_test.go) and has no driver.
var drivers = []driver{
	{name: "go-1.53", dir: "go", profiles: []string{"go-1.53"}, tol: tolerance,
		missing: func() string { return tool("go") },
		build:   goDriver("go153.mod")},
	// The v1.55.0 build checks the driver protocol itself: through it, the
	// go profile must agree with nats.go as the in-process runner does.
	{name: "go", dir: "go", profiles: []string{"go"}, tol: tolerance, optIn: true,
		missing: func() string { return tool("go") },
		build:   goDriver("go.mod"),
		corpus: func(t *testing.T) []string {
			var out []string
			for _, e := range entries(t, true) {
				out = append(out, e.path)
			}
			return out
		}},
	{name: "c", profiles: []string{"c-3.4"}, tol: tolerance,
		missing: func() string {
			return firstMissing(tool("gcc"), file("/usr/include/nats/nats.h", "libnats-dev"), file("/usr/include/cjson/cJSON.h", "libcjson-dev"))
		},
		build: func(dir, tmp string) ([]string, []string, error) {
			bin := filepath.Join(tmp, "driver")
			out, err := exec.Command("gcc", "-O2", "-Wall", "-o", bin, filepath.Join(dir, "driver.c"), "-lnats", "-lcjson", "-lpthread").CombinedOutput()
			if err != nil {
				return nil, nil, fmt.Errorf("building the C driver: %w\n%s", err, out)
			}
			return []string{bin}, nil, nil
		}},
	{name: "node-v1", profiles: []string{"node-v1"}, tol: tolerance,
		missing: func() string { return firstMissing(tool("node"), nodeModules("node-v1")) },
		build: func(dir, _ string) ([]string, []string, error) {
			return []string{"node", filepath.Join(dir, "driver.js")}, nil, nil
		}},
	// node runs every handler's timer on one event loop: with many
	// callbacks in flight (nats.js calls them on arrival) each fires up to
	// a few ms late, and a chain of them drifts (8 ms seen over 17
	// concurrent 18 ms handlers, examples/matrix/natsjs--replies-reach-requester.yaml).
	{name: "natsjs", profiles: []string{"natsjs"}, tol: Tolerance{Base: 10 * time.Millisecond, Rel: tolerance.Rel, ConnPoll: tolerance.ConnPoll},
		missing: func() string { return firstMissing(tool("node"), nodeModules("natsjs")) },
		build: func(dir, _ string) ([]string, []string, error) {
			return []string{"node", filepath.Join(dir, "driver.mjs")}, nil, nil
		}},
	{name: "python", profiles: []string{"python"}, tol: tolerance,
		missing: func() string { return firstMissing(tool("python3"), env("DRAINSIM_NATS_PY", "a nats.py checkout")) },
		build: func(dir, _ string) ([]string, []string, error) {
			return []string{"python3", filepath.Join(dir, "driver.py")}, []string{"PYTHONPATH=" + os.Getenv("DRAINSIM_NATS_PY")}, nil
		}},
	{name: "ruby", profiles: []string{"ruby-em"}, tol: tolerance,
		missing: func() string {
			return firstMissing(tool("ruby"), env("DRAINSIM_RUBY_NATS", "a ruby-nats checkout"))
		},
		build: func(dir, _ string) ([]string, []string, error) {
			return []string{"ruby", "-I", filepath.Join(os.Getenv("DRAINSIM_RUBY_NATS"), "lib"), filepath.Join(dir, "driver.rb")}, nil, nil
		}},
	{name: "java", profiles: []string{"java"}, tol: tolerance,
		missing: func() string {
			return firstMissing(tool("javac"), tool("java"), env("DRAINSIM_JNATS", "a nats.java jar or classes directory"))
		},
		build: func(dir, tmp string) ([]string, []string, error) {
			jnats := os.Getenv("DRAINSIM_JNATS")
			out, err := exec.Command("javac", "-cp", jnats, "-d", tmp, filepath.Join(dir, "Driver.java")).CombinedOutput()
			if err != nil {
				return nil, nil, fmt.Errorf("building the Java driver: %w\n%s", err, out)
			}
			return []string{"java", "-cp", tmp + string(os.PathListSeparator) + jnats, "Driver"}, nil, nil
		}},
}

// goDriver builds the nats.go driver against the nats.go version modfile
// pins.
func goDriver(modfile string) func(dir, tmp string) ([]string, []string, error) {
	return func(dir, tmp string) ([]string, []string, error) {
		bin := filepath.Join(tmp, "driver")
		c := exec.Command("go", "build", "-modfile="+modfile, "-o", bin, ".")
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			return nil, nil, fmt.Errorf("building the nats.go driver (%s): %w\n%s", modfile, err, out)
		}
		return []string{bin}, nil, nil
	}
}

// firstMissing returns the first non-empty reason.
func firstMissing(reasons ...string) string {
	for _, r := range reasons {
		if r != "" {
			return r
		}
	}
	return ""
}

func tool(name string) string {
	if _, err := exec.LookPath(name); err != nil {
		return name + " is not installed"
	}
	return ""
}

func file(path, pkg string) string {
	if _, err := os.Stat(path); err != nil {
		return path + " is missing (install " + pkg + ")"
	}
	return ""
}

func env(name, what string) string {
	if os.Getenv(name) == "" {
		return name + " is not set (point it at " + what + ")"
	}
	return ""
}

func nodeModules(dir string) string {
	if _, err := os.Stat(filepath.Join("drivers", dir, "node_modules")); err != nil {
		return "conformance/drivers/" + dir + "/node_modules is missing (run npm ci there)"
	}
	return ""
}

// driverCorpus lists the scenarios a profile is checked on: its own corpus,
// its examples and its verdict-matrix counterexamples.
func driverCorpus(t *testing.T, profile string) []string {
	var out []string
	for _, pat := range []string{
		filepath.Join(corpusDir, profile, "*.yaml"),
		filepath.Join("../examples/profiles", profile+".yaml"),
		filepath.Join("../examples/profiles", profile+"-*.yaml"),
		filepath.Join("../examples/matrix", profile+"--*.yaml"),
	} {
		files, err := filepath.Glob(pat)
		require.NoError(t, err)
		out = append(out, files...)
	}
	return out
}

// TestDriver plays each library's corpus through its driver and compares
// it with the model. DRAINSIM_DRIVER=name runs one driver;
// DRAINSIM_DRIVER_SCENARIO=file one scenario; DRAINSIM_DRIVER_RUNS=n makes
// n real runs of each scenario and reports how many agree.
func TestDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("real-library runs are skipped with -short")
	}
	runs := 1
	if v := os.Getenv("DRAINSIM_DRIVER_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "DRAINSIM_DRIVER_RUNS")
		runs = max(n, 1)
	}
	only := os.Getenv("DRAINSIM_DRIVER")
	for _, d := range drivers {
		if only != d.name && (only != "" || d.optIn) {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			if why := d.missing(); why != "" {
				t.Skip(why)
			}
			dir, err := filepath.Abs(filepath.Join("drivers", cmp.Or(d.dir, d.name)))
			require.NoError(t, err)
			cmd, env, err := d.build(dir, t.TempDir())
			require.NoError(t, err)
			var files []string
			if f := os.Getenv("DRAINSIM_DRIVER_SCENARIO"); f != "" {
				files = []string{f}
			} else if d.corpus != nil {
				files = d.corpus(t)
			} else {
				for _, p := range d.profiles {
					files = append(files, driverCorpus(t, p)...)
				}
			}
			var rows []driverVerdict
			for _, f := range files {
				sc, err := scenario.Load(f)
				require.NoError(t, err)
				if !slices.Contains(d.profiles, sc.Profile) {
					t.Logf("%s: profile %s is not checked by the %s driver (it checks %v)", f, sc.Profile, d.name, d.profiles)
					continue
				}
				v, err := conformDriver(sc, &d, cmd, env, dir, runs)
				require.NoError(t, err, f)
				rows = append(rows, *v)
				switch {
				case v.Runs == 0:
					t.Logf("%s: not judged, the machine kept every run waiting (up to %s late):\n  %s", sc.Name, v.Late, strings.Join(diffStrings(v.Diffs), "\n  "))
				case v.Agreed == 0 && !v.Determined:
					// The model's own outcome changes under real-run noise:
					// a race on the real library, measured, not asserted.
					t.Logf("%s: no run agreed, but its outcome is a race (not determined):\n  %s", sc.Name, strings.Join(diffStrings(v.Diffs), "\n  "))
				case v.Agreed == 0:
					t.Errorf("%s disagrees with %s:\n  %s", sc.Name, v.Library, strings.Join(diffStrings(v.Diffs), "\n  "))
				}
			}
			var b strings.Builder
			writeDriverTable(&b, rows)
			t.Log("\n" + b.String())
			if os.Getenv("DRAINSIM_DRIVER_SCENARIO") == "" {
				checkProvenance(t, d.profiles, rows)
			}
		})
	}
}

// checkProvenance: a known violation is marked seen on the real library
// (props.KnownViolation.Seen) exactly when its committed counterexample
// just agreed with the model on that library, whose driver reported the
// same library and version. A counterexample whose model outcome is not
// determined is a race there, and its mark is not checked.
func checkProvenance(t *testing.T, profiles []string, rows []driverVerdict) {
	t.Helper()
	for _, k := range props.KnownViolations() {
		if !slices.Contains(profiles, k.Profile) {
			continue
		}
		name := k.Profile + "--" + k.Invariant
		i := slices.IndexFunc(rows, func(v driverVerdict) bool { return v.Name == name })
		if i < 0 {
			t.Errorf("the counterexample of %s under %s (examples/matrix/%s.yaml) was not run", k.Invariant, k.Profile, name)
			continue
		}
		v := rows[i]
		switch {
		case v.Runs == 0: // not judged: the machine was too busy
		case !v.Determined: // a race on the real library: measured, no claim either way
		case v.Agreed > 0 && k.Seen != v.Library:
			t.Errorf("%s: the counterexample agreed on %s: set Seen: %q in props/known.go (it says %q)", name, v.Library, v.Library, k.Seen)
		case v.Agreed == 0 && k.Seen != "":
			t.Errorf("%s: props/known.go says it was seen on %s, but it disagreed with %s", name, k.Seen, v.Library)
		}
	}
}

// driverAttempts bounds the real runs of one scenario in the one-run mode:
// a scenario agrees when one of them does. Some outcomes are races on the
// real library (which queue member the server picks, a PONG against a
// server restart): at the agreement rate of the raciest corpus scenario
// measured (4 in 10, node-v1--queue-drain-no-loss) ten attempts all miss
// with probability 0.6^10 < 1 %. DRAINSIM_DRIVER_RUNS measures the rate.
const driverAttempts = 10

// driverPerturbations are Variants' perturbations and one more: an
// outage 6 ms shorter. On 7 December 2026 nats.js 2.29.3's first reconnect
// attempt came after a 5 ms server restart had ended in every judged run
// on a quiet machine (natsjs--drain-closes: the drain closed at ~5.02 s in
// 0 of 5 runs agreeing, and in 10 of 10 with 8f9e88f's model), where in
// issue 10 it came within it; on a loaded machine the runs were late and
// not judged. So an outage's end is uncertain here by up to 6 ms against a
// driver's library. Replayable (the matrix's choice of counterexamples)
// keeps the 3 ms of perturbations until the matrix is regenerated with it.
var driverPerturbations = append(perturbations[:len(perturbations):len(perturbations)], outagesShorter(6*time.Millisecond))

// driverVerdict is the comparison of one scenario over one or more real
// runs.
type driverVerdict struct {
	Name     string
	Library  string
	Asked    int // real runs asked for: 1 retries a disagreement, more count frequencies
	Runs     int // real runs made
	Agreed   int
	Diffs    []Diff // of the last disagreeing run
	RealWall time.Duration
	// Busy counts runs the machine kept waiting more than maxLate: they
	// are repeated and not judged. A scenario whose every run was busy
	// says nothing about the library.
	Busy int
	Late time.Duration // the most the last busy run was late
	// Determined: the model's outcome is the same under every perturbation
	// of real-run size (see Variants). Otherwise a real run agrees when it
	// matches the model under one of them, named by MatchedVariant.
	Determined     bool
	MatchedVariant string
}

// conformDriver runs sc on the model and runs times through the driver. With
// one run asked for, a disagreeing run is repeated up to maxAttempts times
// (a loaded machine can push one run past the tolerance) and the scenario
// agrees when one run does; with several, every run counts.
func conformDriver(sc *scenario.Scenario, d *driver, cmd, env []string, dir string, runs int) (*driverVerdict, error) {
	p, err := Prepare(sc, 1)
	if err != nil {
		return nil, err
	}
	prof, err := model.LookupProfile(p.Profile)
	if err != nil {
		return nil, err
	}
	noJitter := *prof
	noJitter.ReconnectJitter = 0
	variants, err := variants(p, &noJitter, driverPerturbations)
	if err != nil {
		return nil, err
	}
	ms := variants[0].Side
	until := realDuration(ms.Outcome)
	v := &driverVerdict{Name: sc.Name, Asked: runs, Determined: true}
	for _, vr := range variants[1:] {
		if len(CompareObserved(ms, vr.Side, d.tol, &GoObserves)) > 0 {
			v.Determined = false
			break
		}
	}
	for attempt := 1; ; attempt++ {
		start := time.Now()
		run, err := runDriver(p, &noJitter, cmd, env, dir, until)
		if err != nil {
			return nil, err
		}
		v.RealWall, v.Library = time.Since(start), run.Library
		diffs := CompareObserved(ms, run.Side, d.tol, &run.Observes)
		for _, vr := range variants[1:] {
			if len(diffs) > 0 && len(CompareObserved(vr.Side, run.Side, d.tol, &run.Observes)) == 0 {
				diffs, v.MatchedVariant = nil, vr.Name
			}
		}
		if run.Late > maxLate && len(diffs) > 0 {
			v.Busy, v.Late, v.Diffs = v.Busy+1, run.Late, diffs
		} else {
			v.Runs++
			if len(diffs) == 0 {
				v.Agreed++
			} else {
				v.Diffs = diffs
			}
		}
		if attempt >= driverAttempts*runs || v.Runs >= runs && (runs > 1 || v.Agreed > 0) {
			break
		}
	}
	return v, nil
}

// runDriver plays a prepared scenario once through the driver and returns
// what it reported.
func runDriver(sc *scenario.Scenario, prof *model.Profile, cmd, env []string, dir string, until time.Duration) (*DriverRun, error) {
	stop := make(chan struct{})
	r := &realRun{sc: sc, st: tcpStack{}, stop: stop, clk: &clock{stop: stop}}
	if err := r.startServer(); err != nil {
		return nil, err
	}
	defer r.shutdownServer()
	urls := map[string]string{}
	for i := range sc.Clients {
		px, err := newProxy(r.addr, sc.Network.Latency.A, pacing{bandwidth: sc.Network.Bandwidth, names: &r.names, client: i}, r.clk)
		if err != nil {
			return nil, err
		}
		defer px.close()
		r.conns = append(r.conns, &realConn{r: r, spec: &sc.Clients[i], ln: px})
		urls[sc.Clients[i].Name] = px.url()
	}
	plan, err := Compile(sc, prof, urls, until)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		return nil, err
	}
	planFile := filepath.Join(os.TempDir(), fmt.Sprintf("drainsim-plan-%d.json", time.Now().UnixNano()))
	if err := os.WriteFile(planFile, b, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(planFile)

	// Setting up (starting the runtime, connecting) may take a while; the
	// plan itself lasts until, and the driver must be gone soon after.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second+until)
	defer cancel()
	c := exec.CommandContext(ctx, cmd[0], append(cmd[1:], planFile)...)
	c.Dir, c.Env = dir, append(os.Environ(), env...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	stdout, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("starting the driver: %w", err)
	}
	var lines [][]byte
	started := make(chan time.Time, 1)
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := bufio.NewScanner(stdout)
		s.Buffer(make([]byte, 64<<10), 16<<20)
		seen := false
		for s.Scan() {
			line := append([]byte(nil), s.Bytes()...)
			var ev struct{ Ev string }
			if !seen && json.Unmarshal(line, &ev) == nil && ev.Ev == "start" {
				seen = true
				started <- time.Now()
			}
			lines = append(lines, line)
		}
		readErr = s.Err()
	}()
	var faults []Event
	var faultErr error
	select {
	case t0 := <-started:
		// The harness's own clock (the relays' waits, and a probe waking
		// every millisecond) notices the machine keeping the run waiting
		// where the driver's timers cannot: in the relays.
		r.clk.watch(&r.wg)
		faults, faultErr = r.playFaults(t0, until)
	case <-ctx.Done():
	}
	wg.Wait()
	waitErr := c.Wait()
	close(stop)
	r.wg.Wait()
	if faultErr != nil {
		return nil, faultErr
	}
	if readErr != nil {
		return nil, readErr
	}
	if waitErr != nil {
		return nil, fmt.Errorf("driver %s: %w\nstderr:\n%s\nlast output:\n%s", cmd[0], waitErr, tail(stderr.String()), tailLines(lines))
	}
	run, err := ReadEvents(bytes.NewReader(bytes.Join(lines, []byte("\n"))), sc)
	if err != nil {
		return nil, fmt.Errorf("%w\nstderr:\n%s", err, tail(stderr.String()))
	}
	run.Late = max(run.Late, r.clk.worst())
	if !run.Ended {
		return nil, fmt.Errorf("driver %s ended without its end event\nstderr:\n%s", cmd[0], tail(stderr.String()))
	}
	for _, f := range faults {
		run.Side.Outcome.Calls = append(run.Side.Outcome.Calls, model.CallOutcome{Source: f.Source, Verb: f.Verb,
			Client: f.Client, AtNS: f.At, ReturnedAtNS: f.Returned, Result: model.OK})
	}
	return run, nil
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func tailLines(lines [][]byte) string {
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// playFaults realises the scenario's disconnects and server restarts at
// their times after t0, the driver's start, and returns them as calls.
func (r *realRun) playFaults(t0 time.Time, until time.Duration) ([]Event, error) {
	r.t0 = t0
	var steps []int
	for i, a := range r.sc.Actions {
		if a.Disconnect != nil || a.RestartServer != nil {
			steps = append(steps, i)
		}
	}
	slices.SortStableFunc(steps, func(a, b int) int { return cmp.Compare(r.sc.Actions[a].At, r.sc.Actions[b].At) })
	var out []Event
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, i := range steps {
		a := &r.sc.Actions[i]
		if a.At > until || !r.sleepUntil(a.At) {
			break
		}
		src := "actions[" + strconv.Itoa(i) + "]"
		at := r.now()
		switch {
		case a.Disconnect != nil:
			r.cut(r.conn(a.Disconnect.Client), a.Disconnect.For)
			out = append(out, Event{Source: src, Verb: "disconnect", Client: a.Disconnect.Client, At: at, Returned: r.now()})
		case a.RestartServer != nil:
			out = append(out, Event{Source: src, Verb: "restart_server", At: at, Returned: r.now()})
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.restartServer(a.RestartServer.For); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return out, errors.Join(append(errs, r.failure())...)
}

// writeDriverTable prints one line per scenario: whether it agrees, how
// many real runs agreed, whether the model's outcome is determined (else
// the perturbation whose outcome a real run matched), the wall time of the
// last real run and the first difference.
func writeDriverTable(b *strings.Builder, rows []driverVerdict) {
	fmt.Fprintf(b, "%-44s %-9s %7s  %-26s %8s  %s\n", "scenario", "result", "agreed", "model", "real", "first difference")
	agree, racy := 0, 0
	lib := ""
	for _, v := range rows {
		res, first := "agree", ""
		switch {
		case v.Runs == 0:
			res, first = "busy", fmt.Sprintf("(%s late) %s", v.Late.Round(1e5), v.Diffs[0])
		case v.Agreed == v.Runs, v.Agreed > 0 && v.Asked == 1:
			agree++
		case v.Agreed > 0:
			res, first = "racy", v.Diffs[0].String()
			racy++
		case !v.Determined:
			res, first = "race", v.Diffs[0].String()
			racy++
		default:
			res, first = "DISAGREE", v.Diffs[0].String()
		}
		det := "determined"
		if !v.Determined {
			det = "varies"
			if v.MatchedVariant != "" {
				det += ", as " + v.MatchedVariant
			}
		}
		lib = v.Library
		fmt.Fprintf(b, "%-44s %-9s %3d/%-3d  %-26s %8s  %s\n", v.Name, res, v.Agreed, v.Runs, det, v.RealWall.Round(time.Millisecond), first)
	}
	fmt.Fprintf(b, "%s: %d of %d scenarios agree", lib, agree, len(rows))
	if racy > 0 {
		fmt.Fprintf(b, ", %d racy", racy)
	}
	b.WriteString("\n")
}
