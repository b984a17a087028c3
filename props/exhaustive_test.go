package props

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// tiedDrain is testdata/ties/tied-drain.yaml: a subscription drain and a
// publish of another connection that reach the server at the same instant.
func tiedDrain() string { return mustReadFile("../testdata/ties/tied-drain.yaml") }

func parseScenario(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("x.yaml", []byte(src))
	require.NoError(t, err)
	return sc
}

// TestExhaustiveProves: the scenario makes no choice in scheduling order
// (one sequence, a proof), and 610 with the tie orders, none violating an
// invariant; the invariants about subscription drains applied to all.
func TestExhaustiveProves(t *testing.T) {
	sc := parseScenario(t, tiedDrain())
	rep, err := Exhaustive(sc, ExhaustiveConfig{})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Equal(t, 1, rep.Sequences)
	require.Equal(t, uint64(1), rep.States)

	rep, err = Exhaustive(sc, ExhaustiveConfig{Ties: true})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Empty(t, rep.Failures)
	require.Equal(t, 610, rep.Sequences)
	require.Equal(t, uint64(1186), rep.States)
	for k, inv := range rep.Checked {
		if inv.ID == "no-loss-under-drain" {
			require.Equal(t, 610, rep.Applied[k])
		}
		if inv.ID == "queue-at-most-once" {
			require.Zero(t, rep.Applied[k], "no queue group: holds vacuously")
		}
	}
	require.False(t, sc.PermuteTies, "the caller's scenario is left alone")
}

// TestExhaustiveFindsTieCounterexample: with the mutation
// remove-sub-at-once, the message is lost to the drain only when the
// publish wins the tie. The scheduling order proves the scenario (the bug
// is out of its reach); the tie orders find it at the second sequence, and
// the reported scenario replays the violation through its choices:. It
// fails if Exhaustive ignores cfg.Ties, or reports a scenario without the
// sequence's choices (its replay then passes).
func TestExhaustiveFindsTieCounterexample(t *testing.T) {
	sc := parseScenario(t, tiedDrain())
	muts := model.MutationSet(0).With(model.RemoveSubAtOnce)
	rep, err := Exhaustive(sc, ExhaustiveConfig{Mutations: muts})
	require.NoError(t, err)
	require.True(t, rep.Complete, "unreachable in scheduling order")

	rep, err = Exhaustive(sc, ExhaustiveConfig{Mutations: muts, Ties: true})
	require.NoError(t, err)
	require.False(t, rep.Complete)
	require.Equal(t, 2, rep.Sequences)
	require.Len(t, rep.Failures, 1)
	f := rep.Failures[0]
	require.Equal(t, "no-loss-under-drain", f.Invariant)
	require.Contains(t, f.Detail, "msg 1 to s1 dropped (unknown_sid)")
	require.True(t, f.Shrunk.PermuteTies)
	require.Equal(t, []int{0, 0, 0, 0, 1}, f.Shrunk.Choices)
	require.Equal(t, "ties/tie=1/2", rep.Sequence[4].String())

	// The file it reports replays the violation, with drainsim run's
	// defaults, after a round trip through its text.
	replay, err := scenario.Parse("cx.yaml", f.Shrunk.Marshal())
	require.NoError(t, err)
	inv := invariantByID(t, "no-loss-under-drain")
	require.True(t, Violates(replay, inv, muts))
	require.False(t, Violates(replay, inv, 0), "the mutation is needed")
	replay.Choices = []int{}
	require.False(t, Violates(replay, inv, muts), "the choices are needed")
}

// TestExhaustiveChecksExpectations: the file's expect: assertions are
// checked on every sequence like the catalogue, after it. It fails if
// Exhaustive leaves Expectations out.
func TestExhaustiveChecksExpectations(t *testing.T) {
	sc := parseScenario(t, tiedDrain()+"expect: [no_loss]\n")
	rep, err := Exhaustive(sc, ExhaustiveConfig{Ties: true})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Equal(t, "expect[0].no_loss", rep.Checked[len(rep.Checked)-1].ID)
	require.Equal(t, 610, rep.Applied[len(rep.Applied)-1])

	rep, err = Exhaustive(sc, ExhaustiveConfig{Ties: true, Mutations: model.MutationSet(0).With(model.RemoveSubAtOnce)})
	require.NoError(t, err)
	var ids []string
	for _, f := range rep.Failures {
		ids = append(ids, f.Invariant)
	}
	require.Equal(t, []string{"no-loss-under-drain", "expect[0].no_loss"}, ids)
}

func invariantByID(t *testing.T, id string) Invariant {
	t.Helper()
	for _, inv := range Catalogue() {
		if inv.ID == id {
			return inv
		}
	}
	t.Fatalf("no invariant %s", id)
	return Invariant{}
}

// queuePicks has three queue members, one with a oneof handler time, two
// messages and a connection drain: 3 picks per message, 2 handler times
// for each message c handles, and the 3! orders the drain visits the
// subscriptions in.
const queuePicks = `name: queue-picks
network: {latency: 1ms}
clients: [{name: w}, {name: pub}]
subscriptions:
  - {id: a, client: w, subject: x, queue: q, handler: {duration: 1ms}}
  - {id: b, client: w, subject: x, queue: q, handler: {duration: 1ms}}
  - {id: c, client: w, subject: x, queue: q, handler: {duration: "oneof(1ms,3ms)"}}
actions:
  - {at: 0s, publish: {client: pub, subject: x, count: 2}}
  - {at: 5ms, drain: {client: w}}
`

// TestExhaustiveCountsChoices: every queue pick, oneof value and drain
// order is visited once: of the 9 pairs of picks for the two messages, 4
// leave c out, 4 give it one message (2 handler times each) and 1 both (4),
// which makes 16, times the 3! orders the drain visits the subscriptions
// in: 96 sequences. It fails if a choice is skipped or visited twice (a
// different count), and if the bound or Stop is not honoured.
func TestExhaustiveCountsChoices(t *testing.T) {
	rep, err := Exhaustive(parseScenario(t, queuePicks), ExhaustiveConfig{})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Equal(t, 96, rep.Sequences)
	// Bound: stops after the bound, not a proof.
	rep, err = Exhaustive(parseScenario(t, queuePicks), ExhaustiveConfig{Bound: 10})
	require.NoError(t, err)
	require.False(t, rep.Complete)
	require.Equal(t, 10, rep.Sequences)
	// Stop: interrupted before the first run.
	stop := make(chan struct{})
	close(stop)
	rep, err = Exhaustive(parseScenario(t, queuePicks), ExhaustiveConfig{Stop: stop})
	require.NoError(t, err)
	require.True(t, rep.Interrupted)
	require.Zero(t, rep.Sequences)
}

// TestExhaustiveRefusesInfinite: a continuous distribution anywhere a
// scenario has one is refused up front, naming the field and line; a
// choice wider than MaxBranch is refused when the run makes it. Without
// Finite the refusals would come from the run (sim.Enum), naming a draw's
// label instead of the file's field and line, and the tests fail.
func TestExhaustiveRefusesInfinite(t *testing.T) {
	for _, tt := range []struct{ old, new, want string }{
		{"network: {latency: 1ms}", `network: {latency: "uniform(1ms,2ms)"}`,
			"x.yaml: network.latency: uniform(1ms,2ms) is not a finite domain: exhaustive exploration visits finite domains only; write a constant or oneof(d1,d2,...) with the values to visit"},
		{"handler: {duration: 1ms}", `handler: {duration: "exp(1ms)"}`,
			"x.yaml:5: subscriptions[0].handler.duration: exp(1ms) is not a finite domain"},
		{"handler: {duration: 1ms}", `handler: {duration: 1ms, actions: [{sleep: "lognormal(1ms,0.5)"}]}`,
			"x.yaml:5: subscriptions[0].handler.actions[0].sleep: lognormal(1ms,0.5) is not a finite domain"},
	} {
		_, err := Exhaustive(parseScenario(t, strings.Replace(tiedDrain(), tt.old, tt.new, 1)), ExhaustiveConfig{})
		var e *scenario.Error
		require.ErrorAs(t, err, &e)
		require.Contains(t, err.Error(), tt.want)
	}
	_, err := Exhaustive(parseScenario(t, queuePicks), ExhaustiveConfig{MaxBranch: 2})
	require.True(t, errors.Is(err, sim.ErrWideChoice), "%v", err)
	require.Contains(t, err.Error(), "x.yaml: exhaustive exploration refused after 0 choice sequences: a choice with more options than one choice may have: server/queue-member has 3 options, more than 2")
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
