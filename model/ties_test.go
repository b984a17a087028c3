package model_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// tiedPublish is testdata/ties/tied-drain.yaml: a subscription drain and a
// publish of another connection that reach the server at the same instant.
func tiedPublish() string { return mustReadFile("../testdata/ties/tied-drain.yaml") }

// tieOutcome summarises what became of the one message.
func tieOutcome(res *model.Result) string {
	m := res.Ledger.Message(1)
	return fmt.Sprintf("fate=%v handled=%d", m.Fate, res.Subs[0].NumHandled())
}

func parseTied(t *testing.T, extra string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("tied.yaml", []byte(tiedPublish()+extra))
	require.NoError(t, err)
	return sc
}

// TestTiesOffByDefault: without ties: permute the run is the same for any
// Chooser (there is no choice to make), byte for byte, and the message
// finds no interest.
func TestTiesOffByDefault(t *testing.T) {
	sc := parseTied(t, "")
	a, err := model.Run(sc, model.Config{Trace: true})
	require.NoError(t, err)
	b, err := model.Run(sc, model.Config{Trace: true, Chooser: sim.NewPCG(99)})
	require.NoError(t, err)
	require.Equal(t, a.Trace.Hash(), b.Trace.Hash())
	require.Equal(t, "fate=no_interest handled=0", tieOutcome(a))
	// With ties: permute and every choice at option 0 the run is the
	// one in scheduling order.
	c, err := model.Run(parseTied(t, "ties: permute\nchoices: []\n"), model.Config{Trace: true})
	require.NoError(t, err)
	require.Equal(t, a.Trace.Hash(), c.Trace.Hash())
}

// TestTiesBothOutcomes: an enumeration of the tie orders of the scenario
// shows both outcomes, and the choices of a sequence that shows the
// second replay it through choices:. Without ties: permute (a mutation of
// runChooser/newWorld that ignores it) the enumeration sees one run and
// one outcome, and the replay of the second fails.
func TestTiesBothOutcomes(t *testing.T) {
	sc := parseTied(t, "ties: permute\n")
	e := sim.NewEnum(16)
	seen := map[string][]int{}
	runs := 0
	for {
		res, err := model.Run(sc, model.Config{Chooser: e})
		require.NoError(t, err)
		runs++
		if o := tieOutcome(res); seen[o] == nil {
			var vals []int
			for _, c := range e.Sequence() {
				vals = append(vals, c.V)
			}
			seen[o] = append([]int{}, vals...)
		}
		if !e.Next() {
			break
		}
	}
	require.NoError(t, e.Err())
	outcomes := slices.Sorted(func(yield func(string) bool) {
		for o := range seen {
			if !yield(o) {
				return
			}
		}
	})
	require.Equal(t, []string{"fate=no_interest handled=0", "fate=routed handled=1"}, outcomes, "after %d runs", runs)
	require.Equal(t, 610, runs)

	choices := seen["fate=routed handled=1"]
	var b strings.Builder
	fmt.Fprintf(&b, "ties: permute\nchoices: %s\n", strings.ReplaceAll(fmt.Sprint(choices), " ", ", "))
	res, err := model.Run(parseTied(t, b.String()), model.Config{})
	require.NoError(t, err)
	require.Equal(t, "fate=routed handled=1", tieOutcome(res))
}

// TestTiesPCGStream: with ties: permute a PCG run draws the tie order from
// a stream of its own, so the latency draws are those of the run in
// scheduling order (the stream independence that keeps sweeps paired), and
// some seed takes the other order.
func TestTiesPCGStream(t *testing.T) {
	latencies := func(res *model.Result) []sim.Time {
		var out []sim.Time
		for _, e := range res.Trace.Events() {
			if e.Kind == "msg.queued" || e.Kind == "server.unsub" {
				out = append(out, e.At)
			}
		}
		return out
	}
	uniform := "network: {latency: \"oneof(1ms,2ms,3ms)\"}\n"
	base := strings.Replace(tiedPublish(), "network: {latency: 1ms}\n", uniform, 1)
	outcomes := map[string]bool{}
	for seed := range uint64(40) {
		off, err := scenario.Parse("a.yaml", []byte(strings.Replace(base, "name: tied-drain", fmt.Sprintf("name: a\nseed: %d", seed), 1)))
		require.NoError(t, err)
		on := *off
		on.PermuteTies = true
		a, err := model.Run(off, model.Config{Trace: true})
		require.NoError(t, err)
		b, err := model.Run(&on, model.Config{Trace: true})
		require.NoError(t, err)
		require.Equal(t, a.Trace.Events()[0].At, b.Trace.Events()[0].At)
		require.Equal(t, latencies(a)[:1], latencies(b)[:1], "seed %d: the UNSUB's latency draw is the same", seed)
		outcomes[tieOutcome(b)] = true
	}
	require.Len(t, outcomes, 2, "some seed routes the message, some does not: %v", outcomes)
}

// mustReadFile returns the contents of a test data file, read by the
// test that needs it (so that go test's cache sees the file).
func mustReadFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}
