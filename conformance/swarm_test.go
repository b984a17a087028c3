package conformance

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// The differential swarm: scenarios drawn by props.GenScenario, restricted
// to what the real runner can express, are played on the model and on the
// real nats.go and nats-server in virtual time, and compared.

// swarmRuns is how many virtual runs a scenario gets before it counts as
// disagreeing: ties (events at one virtual instant) are settled by the Go
// scheduler, so a run may differ where another agrees. Two clients
// reconnecting at one instant after a server restart are such a tie that
// the model's variants do not show (the model reconnects them in order).
const swarmRuns = 5

// swarmShrinks is how many disagreements the swarm shrinks (shrinking runs
// the real stack up to a few thousand times).
const swarmShrinks = 3

// swarmTally counts what the swarm did with each seed.
type swarmTally struct {
	seeds     int
	setAside  map[string]int // not compared, by reason
	compared  int
	agreed    int // agreed with the model's own run
	ties      int // agreed with a model variant (a tie decided otherwise)
	racy      int // disagreed, but the scenario is not determined: set aside as tie-nondeterministic
	disagreed []swarmCase
	bandwidth int           // of those compared, how many had a bandwidth
	realWall  time.Duration // the compared scenarios' real runs (virtual time)
	modelWall time.Duration // the model's runs of the same scenarios
}

// swarmCase is one disagreement.
type swarmCase struct {
	seed  uint64
	sc    *scenario.Scenario // prepared
	diffs []Diff
}

// swarmScenario draws the scenario of seed and prepares it for the real
// runner; it returns the reason when the runner cannot express it. With
// bandwidth, a scenario the generator drew without one and with no
// reconnection (which Prepare refuses with a bandwidth) gets one of
// swarmBandwidths, drawn from a stream of its own so that the rest of the
// scenario is the one the seed draws without.
func swarmScenario(seed uint64, bandwidth bool) (*scenario.Scenario, string) {
	rng := sim.NewPCG(seed)
	sc := props.GenScenario(rng)
	sc.Name = fmt.Sprintf("swarm-%d", seed)
	if bandwidth && sc.Network.Bandwidth == 0 && !reconnects(sc) {
		sc.Network.Bandwidth = swarmBandwidths[rng.Stream("swarm-bandwidth").IntN("bandwidth", len(swarmBandwidths))]
	}
	constantDurations(sc)
	p, err := Prepare(sc, 1)
	if err != nil {
		return nil, "unsupported: " + numbers.ReplaceAllString(strings.TrimPrefix(err.Error(), sc.Name+": "), "N")
	}
	return p, ""
}

// swarmBandwidths are the bandwidths the swarm draws from
// (DRAINSIM_SWARM_BANDWIDTH=1), in bytes per second: at 20KB/s one of the
// generator's messages (up to 128 bytes) takes about 7 ms to cross a link,
// so a burst builds a backlog of hundreds of milliseconds; at 1MB/s the
// links are rarely the bottleneck.
var swarmBandwidths = []int{20_000, 100_000, 1_000_000}

// reconnects reports whether sc disconnects a client or restarts the
// server.
func reconnects(sc *scenario.Scenario) bool {
	return slices.ContainsFunc(sc.Actions, func(a scenario.Action) bool { return a.Disconnect != nil || a.RestartServer != nil })
}

// numbers are replaced by N in the reasons a scenario is set aside for, so
// that one reason counts once.
var numbers = regexp.MustCompile(`[0-9]+`)

// TestSwarm compares the model and the real nats.go on generated
// scenarios: DRAINSIM_SWARM=N seeds from DRAINSIM_SWARM_SEED (default 1);
// with DRAINSIM_SWARM_BANDWIDTH=1, with a bandwidth drawn for each
// scenario that has no reconnection (see swarmScenario).
// Each scenario the real runner can express and whose model run ends is
// played up to swarmRuns times in virtual time; it agrees when a run agrees
// with the model's run or with one of its variants (a tie); one that never
// does is set aside when the scenario is not Determined (its outcome turns
// on a race the perturbations show), and otherwise is a disagreement, shrunk
// (the first swarmShrinks) and written as a scenario file to replay on both
// (TestReplay). It logs the tally and the throughput of both sides.
func TestSwarm(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DRAINSIM_SWARM"))
	if n <= 0 {
		t.Skip("set DRAINSIM_SWARM=N to compare the model and nats.go on N generated scenarios")
	}
	first := uint64(1)
	if s := os.Getenv("DRAINSIM_SWARM_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "DRAINSIM_SWARM_SEED=%q: want a seed", s)
		first = v
	}
	bandwidth := os.Getenv("DRAINSIM_SWARM_BANDWIDTH") == "1"
	tally := &swarmTally{setAside: map[string]int{}}
	start := time.Now()
	for seed := first; seed < first+uint64(n); seed++ {
		tally.seeds++
		p, why := swarmScenario(seed, bandwidth)
		if p == nil {
			tally.setAside[why]++
			continue
		}
		swarmOne(t, tally, seed, p)
	}
	wall := time.Since(start)
	t.Log(tally.report(wall))
	out := os.Getenv("DRAINSIM_SWARM_OUT")
	if out == "" {
		out = t.TempDir()
	}
	for i, c := range tally.disagreed {
		msg := fmt.Sprintf("seed %d disagrees with nats.go:\n  %s", c.seed, strings.Join(diffStrings(c.diffs), "\n  "))
		if i < swarmShrinks {
			small := props.Shrink(c.sc, func(sc *scenario.Scenario) bool { return disagrees(t, sc) != nil })
			path := filepath.Join(out, c.sc.Name+".yaml")
			require.NoError(t, os.WriteFile(path, small.Marshal(), 0o644))
			msg += fmt.Sprintf("\nshrunk to %d actions, %s; replay on both with DRAINSIM_REPLAY=%s go test ./conformance -run TestReplay -v:\n%s",
				props.Size(small), path, path, small.Marshal())
		}
		t.Error(msg)
	}
}

// swarmOne compares one prepared scenario and counts the result.
func swarmOne(t *testing.T, tally *swarmTally, seed uint64, p *scenario.Scenario) {
	mStart := time.Now()
	res, err := model.Run(p, model.Config{Profile: profile()})
	mWall := time.Since(mStart)
	require.NoError(t, err, "seed %d", seed)
	if res.Stop.Reason != sim.Quiescent {
		tally.setAside["model run does not end: "+res.Stop.Reason.String()]++
		return
	}
	m := ModelSide(res)
	until := realDuration(m.Outcome)
	vary := variantsOf(p)
	tally.compared++
	if p.Network.Bandwidth != 0 {
		tally.bandwidth++
	}
	tally.modelWall += mWall
	var diffs []Diff
	for run := range swarmRuns {
		rStart := time.Now()
		r, err := runVirtual(t, p, until)
		if run == 0 {
			tally.realWall += time.Since(rStart)
		}
		if err != nil { // a stalled bubble: the harness's limit, not a verdict
			t.Logf("seed %d: %v", seed, err)
			tally.setAside["harness: "+numbers.ReplaceAllString(strings.TrimPrefix(err.Error(), p.Name+": "), "N")]++
			tally.compared--
			if p.Network.Bandwidth != 0 {
				tally.bandwidth--
			}
			return
		}
		var tie string
		if diffs, tie, err = judge(m, r, vary); err != nil {
			require.NoError(t, err, "seed %d", seed)
		}
		switch {
		case len(diffs) > 0:
			continue
		case tie != "":
			tally.ties++
		default:
			tally.agreed++
		}
		return
	}
	if why := tieCause(t, p); why != "" {
		tally.setAside["tie-nondeterministic: "+why]++
		tally.racy++
		if os.Getenv("DRAINSIM_SWARM_VERBOSE") != "" {
			t.Logf("seed %d set aside (%s): %s", seed, why, diffs[0])
		}
		return
	}
	tally.disagreed = append(tally.disagreed, swarmCase{seed: seed, sc: p, diffs: diffs})
}

// tieCause says why a scenario (prepared) whose real runs all disagree with
// the model may owe it to a tie, "" when no tie explains it: its model
// outcome is not Determined, or it agrees once an untie removes a tie the
// model breaks one way and the real system either way (see unties).
func tieCause(t *testing.T, p *scenario.Scenario) string {
	if pt, ds, err := Determined(p, profile(), tolerance); err != nil || len(ds) > 0 {
		return "not determined under " + pt
	}
	for _, u := range unties {
		cp, err := Prepare(p, 1)
		if err != nil || !u.apply(cp) {
			continue
		}
		res, err := model.Run(cp, model.Config{Profile: profile()})
		if err != nil || res.Stop.Reason != sim.Quiescent {
			continue
		}
		m := ModelSide(res)
		r, err := runVirtual(t, cp, realDuration(m.Outcome))
		if err != nil {
			continue
		}
		if diffs, _, err := judge(m, r, variantsOf(cp)); err == nil && len(diffs) == 0 {
			return u.why
		}
	}
	return ""
}

// An untie changes a scenario so that events the model puts at one instant
// (and orders) happen 1 ms apart; apply reports whether there was such a
// tie to remove.
type untie struct {
	why   string
	apply func(sc *scenario.Scenario) bool
}

// unties are the ties the swarm met that the model's variants do not vary:
//
//   - actions due at one instant: the goroutine one starts in nats.go (a
//     subscription drain's flush) runs before or after the next action as
//     the scheduler picks, while the model runs it at once;
//   - clients reconnecting at one instant (after a server restart, with
//     equal reconnect waits): which one is back first is the scheduler's
//     choice, while the model takes them in order.
var unties = []untie{
	{"actions at one instant race a goroutine (agrees with them 1 ms apart)", spreadTies},
	{"clients reconnect at one instant (agrees with their reconnect waits 1 ms apart)", staggerReconnects},
}

// staggerReconnects makes each client's reconnect wait 1 ms longer than
// the one before it; false for a single client.
func staggerReconnects(sc *scenario.Scenario) bool {
	if len(sc.Clients) < 2 {
		return false
	}
	for i := range sc.Clients {
		c := &sc.Clients[i]
		w := profile().ReconnectWait
		if c.ReconnectWait != nil {
			w = *c.ReconnectWait
		}
		w += time.Duration(i) * time.Millisecond
		c.ReconnectWait = &w
	}
	return true
}

// spreadTies makes actions due less than 1 ms after the one before them
// follow it 1 ms apart, in file order; false when no two actions are that
// close.
func spreadTies(sc *scenario.Scenario) bool {
	order := make([]int, len(sc.Actions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sc.Actions[a].At, sc.Actions[b].At) })
	moved := false
	for k := 1; k < len(order); k++ {
		prev, a := &sc.Actions[order[k-1]], &sc.Actions[order[k]]
		if a.At-prev.At < time.Millisecond {
			a.At = prev.At + time.Millisecond
			moved = true
		}
	}
	return moved
}

// disagrees reports the differences when sc (already prepared) can be
// played, its model run ends, swarmRuns virtual runs all disagree with the
// model and its variants, and no tie explains it (tieCause); nil
// otherwise. It is the swarm's shrinking predicate.
func disagrees(t *testing.T, sc *scenario.Scenario) []Diff {
	p, err := Prepare(sc, 1)
	if err != nil {
		return nil
	}
	res, err := model.Run(p, model.Config{Profile: profile()})
	if err != nil || res.Stop.Reason != sim.Quiescent {
		return nil
	}
	m := ModelSide(res)
	vary := variantsOf(p)
	var diffs []Diff
	for range swarmRuns {
		r, err := runVirtual(t, p, realDuration(m.Outcome))
		if err != nil {
			return nil
		}
		if diffs, _, err = judge(m, r, vary); err != nil || len(diffs) == 0 {
			return nil
		}
	}
	if tieCause(t, p) != "" {
		return nil
	}
	return diffs
}

// report is the tally as the log shows it.
func (s *swarmTally) report(wall time.Duration) string {
	var b strings.Builder
	set := 0
	var reasons []string
	for why, k := range s.setAside {
		set += k
		reasons = append(reasons, fmt.Sprintf("  %6d %s", k, why))
	}
	slices.Sort(reasons)
	fmt.Fprintf(&b, "%d seeds in %s: %d compared on model and nats.go (%d agree, %d agree as ties, %d disagree), %d set aside:\n%s\n",
		s.seeds, wall.Round(time.Millisecond), s.compared-s.racy, s.agreed, s.ties, len(s.disagreed), set, strings.Join(reasons, "\n"))
	if s.bandwidth > 0 {
		fmt.Fprintf(&b, "%d of the scenarios run on both had a bandwidth\n", s.bandwidth)
	}
	if s.compared > 0 {
		fmt.Fprintf(&b, "throughput on the %d scenarios run on both: nats.go in virtual time %.0f scenarios/s (%s each), the model %.0f scenarios/s (%s each)",
			s.compared, float64(s.compared)/s.realWall.Seconds(), (s.realWall / time.Duration(s.compared)).Round(time.Microsecond),
			float64(s.compared)/s.modelWall.Seconds(), (s.modelWall / time.Duration(s.compared)).Round(time.Microsecond))
	}
	return b.String()
}

// TestReplay plays one scenario file on the model and on the real stack
// (DRAINSIM_REPLAY=FILE; in virtual time, or real time as well with
// DRAINSIM_CONFORMANCE set) and logs the comparison: how a swarm's
// disagreement is replayed.
func TestReplay(t *testing.T) {
	path := os.Getenv("DRAINSIM_REPLAY")
	if path == "" {
		t.Skip("set DRAINSIM_REPLAY=FILE to replay a scenario on the model and nats.go")
	}
	sc, err := scenario.Load(path)
	require.NoError(t, err)
	runners := []runner{virtualTime}
	if os.Getenv("DRAINSIM_CONFORMANCE") != "" {
		runners = append(runners, realTime)
	}
	var rows []verdict
	for _, k := range runners {
		v, err := conform(t, sc, k)
		require.NoError(t, err)
		rows = append(rows, *v)
		if len(v.Diffs) > 0 {
			t.Errorf("%s disagrees (%s):\n  %s", sc.Name, k, strings.Join(diffStrings(v.Diffs), "\n  "))
		}
	}
	var b strings.Builder
	writeTable(&b, rows)
	t.Log("\n" + b.String())
}
