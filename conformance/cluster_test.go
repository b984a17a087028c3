package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// The cluster conformance (docs/conformance/cluster.md): the cluster
// corpus on real nats-server clusters, N trials each, against the model
// over many seeds, judged by JudgeCluster.

// clusterScale slows the cluster corpus down: every time ×10, so a 1 ms
// route is 10 ms, a 250 µs client link 2.5 ms and 100 µs between
// publishes 1 ms. At scale 1 a route delay is the size of the scheduling
// noise on a loaded 2-core machine (the reference measured 0.1–0.3 ms of
// it at p50, up to 11 ms at p90); at ×10 a trial that keeps to its times
// (lateMax) decides every loss window by link delays. ×20 was tried: its
// trials, twice as long, were discarded as often.
const clusterScale = 10

// clusterJitter is the model's stand-in for that noise: every latency
// d is drawn from [d, d+clusterJitter].
const clusterJitter = time.Millisecond

// lateMax is how late a trial's clock (its actions, the relays and a
// probe waking every millisecond) may wake for the trial to count: half
// the scenario's shortest server link. What a drain loses in a cluster is
// decided by windows about one link delay wide (a message routed within
// one delay before the UNSUB, an RS+ one delay behind the SUB); a stall
// half that long moves a window's edge by at most half of it. A trial the
// machine kept waiting longer did not realise the scenario's times, so it
// says nothing about nats-server; it is played again (at most 3×N times
// per scenario; beyond, the default run skips the scenario and the full
// run fails) and counted in the table.
func lateMax(sc *scenario.Scenario) time.Duration {
	least := time.Duration(0)
	for _, links := range topologyLinks(sc.Topology) {
		for _, l := range links.links {
			if least == 0 || l.Latency.A < least {
				least = l.Latency.A
			}
		}
	}
	return least / 2
}

// clusterCase is one scenario of the cluster corpus. mutant, when set,
// names a model mutation whose runs the judge must find in disagreement
// with the real cluster: the judge's own test.
type clusterCase struct {
	path, covers string
	mutant       model.Mutation // 0: none
}

// clusterCorpus is the cluster corpus: the topology examples and the
// reference's other experiments (testdata/cluster).
var clusterCorpus = []clusterCase{
	{"../examples/topology/cluster-plain-drain.yaml", "a plain subscriber drains on a, the publisher's acknowledged message from b is lost on the route", 0},
	{"../examples/topology/cluster-queue-drain.yaml", "a queue member drains on a, the messages in flight bounce back to b (rsub fallback): late, not lost", model.NoRsubFallback},
	{"../examples/topology/cluster-queue-handoff.yaml", "hand-off, new member on c, old one drained on a at once: lost until c's RS+ reaches a", 0},
	{"../testdata/cluster/cluster-queue-handoff-wait.yaml", "the same hand-off waiting two route delays before the drain: nothing lost", 0},
	{"../examples/topology/supercluster-queue-drain.yaml", "the last member of cluster east drains, the other is across a gateway: lost on the route", model.GatewayFallbackAnywhere},
	{"../examples/topology/leaf-queue-drain.yaml", "a member drains on a leaf, the other on another leaf of a named hub: leaf echo suppression drops", model.NoLeafEchoSuppression},
	{"../testdata/cluster/leaf-queue-drain-unnamed-hub.yaml", "the same with an unnamed hub: the leaf bounces the message back, nothing lost", 0},
}

// clusterRun is one scenario's comparison.
type clusterRun struct {
	c           clusterCase
	sc          *scenario.Scenario // prepared
	real, model []Tally
	late        time.Duration // the most a counted trial's clock woke late
	lateMax     time.Duration // lateMax(sc)
	discarded   int           // trials not counted: their clock woke more than lateMax late
	unfinished  string        // why the trials were given up, "" when they were not
	wall        time.Duration // the real trials' wall time, cluster start included
	verdict     Judgement
	mutant      Judgement
}

// clusterTrials is how many times each side plays a scenario: a few real
// trials by default (the corpus then takes about 20 s), 20 with
// DRAINSIM_CONFORMANCE=full; the model, whose runs cost microseconds,
// plays 200 seeds either way.
func clusterTrials() (real, mdl int, full bool) {
	if os.Getenv("DRAINSIM_CONFORMANCE") == "full" {
		return 20, 200, true
	}
	return 3, 200, false
}

// TestCluster plays the cluster corpus on real nats-server clusters and on
// the model and requires every scenario to agree, and every scenario with
// a mutant to disagree with the mutated model. With
// DRAINSIM_CONFORMANCE=full it plays 20 trials each and rewrites
// docs/conformance/cluster.md.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("plays real nats-server clusters in real time (about 20 s)")
	}
	nReal, nModel, full := clusterTrials()
	load0 := loadAverage()
	var runs []clusterRun
	for _, c := range clusterCorpus {
		t.Run(strings.TrimSuffix(filepath.Base(c.path), ".yaml"), func(t *testing.T) {
			t.Log(c.covers)
			run := playCluster(t, c, nReal, nModel)
			runs = append(runs, run)
			if run.unfinished != "" {
				// Not a finding about nats-server or the model: say so,
				// and fail only the full run, whose table must be complete.
				if full {
					t.Fatal(run.unfinished)
				}
				t.Skip(run.unfinished)
			}
			if !run.verdict.Agree {
				t.Errorf("the real cluster and the model disagree: %s", strings.Join(run.verdict.Why, "; "))
			}
			if c.mutant != 0 && run.mutant.Agree {
				t.Errorf("the model with mutation %s agrees with the real cluster: the judge cannot tell it from the model", c.mutant)
			}
		})
	}
	table := clusterTable(runs, nReal, nModel, load0)
	t.Log("\n" + table)
	if full { // disagreements included: the table reports them
		require.NoError(t, os.WriteFile("../docs/conformance/cluster.md", []byte(table), 0o644))
	}
}

// playCluster loads, prepares and plays one case on both sides.
func playCluster(t *testing.T, c clusterCase, nReal, nModel int) clusterRun {
	t.Helper()
	orig, err := scenario.Load(c.path)
	require.NoError(t, err)
	sc, err := PrepareCluster(orig, clusterScale)
	require.NoError(t, err)
	run := clusterRun{c: c, sc: sc}
	run.model, err = ModelCluster(sc, nModel, clusterJitter, 0)
	require.NoError(t, err)
	emptyTimerPool()
	server.SetGatewaysSolicitDelay(0)
	defer server.ResetGatewaysSolicitDelay()
	start := time.Now()
	rc, err := startCluster(sc)
	require.NoError(t, err)
	defer rc.close()
	run.lateMax = lateMax(sc)
	for len(run.real) < nReal {
		if run.discarded >= 3*nReal {
			run.unfinished = fmt.Sprintf("%d trials woke more than %v late (%d counted): the machine is too loaded for this scenario now", run.discarded, run.lateMax, len(run.real))
			return run
		}
		tally, late, err := rc.trial()
		require.NoError(t, err)
		t.Logf("trial: %+v, clock %v late", tally, late.Round(100*time.Microsecond))
		if late > run.lateMax {
			run.discarded++
			continue
		}
		run.real = append(run.real, tally)
		run.late = max(run.late, late)
	}
	run.wall = time.Since(start)
	run.verdict = JudgeCluster(run.real, run.model)
	if c.mutant != 0 {
		mt, err := ModelCluster(sc, nModel, clusterJitter, model.MutationSet(0).With(c.mutant))
		require.NoError(t, err)
		run.mutant = JudgeCluster(run.real, mt)
	}
	return run
}

// clusterTable is docs/conformance/cluster.md: per scenario the real
// trials' and the model's spread and the verdict.
func clusterTable(runs []clusterRun, nReal, nModel int, load0 string) string {
	var b strings.Builder
	natsgo, nserver := moduleVersion("github.com/nats-io/nats.go"), moduleVersion("github.com/nats-io/nats-server/v2")
	fmt.Fprintf(&b, "# Cluster conformance: results\n\n")
	fmt.Fprintf(&b, "Generated by `DRAINSIM_CONFORMANCE=full go test ./conformance -run 'TestCluster$' -v` (see\n")
	fmt.Fprintf(&b, "[../conformance.md](../conformance.md#against-a-real-cluster)); do not edit. Real: nats-server %s and nats.go %s,\n", nserver, natsgo)
	fmt.Fprintf(&b, "%d trials per scenario, every time ×%d, on %d CPUs, load average %s at the start and %s at the end; model: %d seeds, every latency d drawn from [d, d+%v].\n", nReal, clusterScale, runtime.NumCPU(), load0, loadAverage(), nModel, clusterJitter)
	b.WriteString(clusterSummary(runs))
	fmt.Fprintf(&b, "\n## Per scenario\n\n")
	fmt.Fprintf(&b, "Lost: messages no subscription handled, per trial (min / median / max); P(loss): trials that lost any.\n")
	fmt.Fprintf(&b, "Late: trials with a message handled after a later one of its publisher (a re-route). Clock: the most a counted trial's clock woke late\n")
	fmt.Fprintf(&b, "(its actions, the relays, a 1 ms probe); discarded: trials that woke later than the limit (half the shortest server link), played again.\n\n")
	fmt.Fprintf(&b, "| topology | scenario | real P(loss) | real lost | model P(loss) | model lost | real late | model late | clock (limit) | discarded | agreement |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		if r.unfinished != "" {
			fmt.Fprintf(&b, "| %s | %s | | | | | | | | %d | not run: %s |\n", topologyKind(r.sc.Topology), r.sc.Name, r.discarded, r.unfinished)
			continue
		}
		rs, ms := Summarise(r.real), Summarise(r.model)
		verdict := "agree"
		if !r.verdict.Agree {
			verdict = "**disagree**: " + strings.Join(r.verdict.Why, "; ")
		}
		if r.c.mutant != 0 {
			verdict += fmt.Sprintf(" (model with %s: %s)", r.c.mutant, map[bool]string{true: "agrees, judge too weak", false: "disagrees, as it must"}[r.mutant.Agree])
		}
		fmt.Fprintf(&b, "| %s | [%s](../../%s) | %d/%d | %d / %d / %d | %d/%d | %d / %d / %d | %d/%d | %d/%d | %v (%v) | %d | %s |\n",
			topologyKind(r.sc.Topology), r.sc.Name, strings.TrimPrefix(r.c.path, "../"),
			rs.LossRuns, rs.Runs, rs.MinLost, rs.MedLost, rs.MaxLost,
			ms.LossRuns, ms.Runs, ms.MinLost, ms.MedLost, ms.MaxLost,
			rs.LateRuns, rs.Runs, ms.LateRuns, ms.Runs, r.late.Round(100*time.Microsecond), r.lateMax, r.discarded, verdict)
	}
	return b.String()
}

// clusterSummary is the table per topology that the README can embed:
// how many of its scenarios agree, and each scenario's messages lost per
// trial, real against model (median, min–max).
func clusterSummary(runs []clusterRun) string {
	var b strings.Builder
	b.WriteString("\n| topology | agree | messages lost per trial, real vs model: median (min–max) |\n|---|---|---|\n")
	for _, kind := range []string{"route cluster", "supercluster", "leaf nodes"} {
		agree, n := 0, 0
		var cells []string
		for _, r := range runs {
			if topologyKind(r.sc.Topology) != kind {
				continue
			}
			n++
			if r.unfinished != "" {
				cells = append(cells, r.sc.Name+": not run")
				continue
			}
			if r.verdict.Agree {
				agree++
			}
			rs, ms := Summarise(r.real), Summarise(r.model)
			cells = append(cells, fmt.Sprintf("%s: %d (%d–%d) vs %d (%d–%d)", r.sc.Name, rs.MedLost, rs.MinLost, rs.MaxLost, ms.MedLost, ms.MinLost, ms.MaxLost))
		}
		if n > 0 {
			fmt.Fprintf(&b, "| %s | %d of %d | %s |\n", kind, agree, n, strings.Join(cells, "; "))
		}
	}
	return b.String()
}

// topologyKind names the kind of topology: supercluster, leaf nodes or
// route cluster.
func topologyKind(t *scenario.Topology) string {
	switch {
	case len(t.Gateways) > 0:
		return "supercluster"
	case len(t.Leafnodes) > 0:
		return "leaf nodes"
	}
	return "route cluster"
}

// moduleVersion is the version of module path in go.mod.
func moduleVersion(path string) string {
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		return "?"
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == path {
			return f[1]
		}
	}
	return "?"
}

// TestClusterRelayCheck breaks the runner so that routes bypass their
// relays and expects startCluster to refuse the cluster: it catches a
// throughRelays that checked nothing.
func TestClusterRelayCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real nats-server cluster")
	}
	sc, err := scenario.Load("../examples/topology/cluster-plain-drain.yaml")
	require.NoError(t, err)
	sc, err = PrepareCluster(sc, clusterScale)
	require.NoError(t, err)
	bypassRelays = true
	defer func() { bypassRelays = false }()
	rc, err := startCluster(sc)
	if err == nil {
		rc.close()
	}
	require.ErrorContains(t, err, "bypasses its relay")
}

// loadAverage is the machine's 1-minute load average (Linux), "?" where
// it cannot be read: the cluster trials' timing depends on it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
