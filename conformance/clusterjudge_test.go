package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestTallyKeys pins what a tally counts. It fails if Lost counted a
// message one member of a group handled as lost for the others (the
// group's members share a copy), if Late compared across publishers, or
// if a repeat were not a duplicate.
func TestTallyKeys(t *testing.T) {
	k := func(from string, seq int) PubKey { return PubKey{from, seq} }
	published := []PubKey{k("p", 0), k("p", 1), k("p", 2), k("p", 3), k("o", 0)}
	handled := [][]PubKey{
		{k("p", 0), k("p", 2)},            // q1 of group g
		{k("o", 0), k("p", 3), k("p", 2)}, // q2 of g: p's 2 after its 3 is late; and a second copy for g
		{k("p", 0)},                       // a plain subscription of its own
	}
	got := TallyKeys(published, handled, []string{"g", "g", ""})
	require.Equal(t, Tally{Published: 5, Lost: 1, Late: 1, Duplicates: 1}, got) // p's 1 lost
}

// TestJudgeCluster checks each of the judge's rules on its own; each case
// names the rule whose removal it catches.
func TestJudgeCluster(t *testing.T) {
	lost := func(n ...int) []Tally {
		var ts []Tally
		for _, x := range n {
			ts = append(ts, Tally{Published: 30, Lost: x})
		}
		return ts
	}
	late := func(ts []Tally, n int) []Tally {
		for i := range ts {
			ts[i].Late = n
		}
		return ts
	}
	for _, c := range []struct {
		name        string
		real, model []Tally
		why         string // "" when they agree
	}{
		{"both lossless", lost(0, 0, 0), lost(0, 0, 0, 0), ""},
		{"ranges overlap", lost(20, 24, 30), lost(18, 21, 24), ""},
		{"rare real loss, the model's range still reaches it", lost(0, 0, 2), lost(0, 1, 1, 3), ""},
		// rule 1 (loss) removed: both ranges contain 0, only rule 1 sees it
		{"real loses, the model never", lost(0, 1, 0), lost(0, 0, 0), "loss: real lost messages in 1 of 3 runs, the model in 0 of 3"},
		// rule 2 (count) removed
		{"disjoint counts", lost(20, 22), lost(5, 9), "loss count: real 20..22 per run, model 5..9"},
		// rule 3 (late) removed
		{"re-routed only in the model", lost(0, 0), late(lost(0, 0), 3), "late delivery: real reordered in 0 of 2 runs, the model in 2 of 2"},
		// rule 4 (duplicates) removed
		{"a duplicate", []Tally{{Published: 3, Duplicates: 1}}, []Tally{{Published: 3}}, "duplicates: real in 1 of 1 runs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := JudgeCluster(c.real, c.model)
			require.Equal(t, c.why == "", j.Agree, "%v", j.Why)
			if c.why != "" {
				require.Len(t, j.Why, 1)
				require.True(t, strings.HasPrefix(j.Why[0], c.why), "%s", j.Why[0])
			}
		})
	}
}

// TestPrepareCluster checks the scaling of a topology (link latencies
// too: left out, the cluster corpus would run 1 ms routes under 10×
// client links) and what PrepareCluster refuses.
func TestPrepareCluster(t *testing.T) {
	sc, err := scenario.Load("../examples/topology/supercluster-queue-drain.yaml")
	require.NoError(t, err)
	p, err := PrepareCluster(sc, 10)
	require.NoError(t, err)
	require.Equal(t, sim.Const(2500*time.Microsecond), p.Network.Latency)
	require.Equal(t, sim.Const(10*time.Millisecond), p.Topology.Routes[0].Latency)
	require.Equal(t, sim.Const(50*time.Millisecond), p.Topology.Gateways[1].Latency)
	require.Equal(t, 20*time.Millisecond, p.Actions[1].At)
	require.Equal(t, sim.Const(time.Millisecond), sc.Topology.Routes[0].Latency, "the original is left alone")

	_, err = PrepareCluster(sc, 0.5)
	require.ErrorContains(t, err, "want a factor in [1, 1000]")
	one, err := scenario.Load("../testdata/conformance/sub-drain-barrier.yaml")
	require.NoError(t, err)
	_, err = PrepareCluster(one, 10)
	require.ErrorContains(t, err, "no servers")
	sc.Topology.Gateways[0].Latency = sim.Dist{Kind: sim.Uniform, A: time.Millisecond, B: 2 * time.Millisecond}
	_, err = PrepareCluster(sc, 10)
	require.ErrorContains(t, err, "gateway between a and x")
	require.ErrorContains(t, err, "want a constant")
}

// TestJittered checks that every constant latency becomes [d, d+j] and
// that the original is untouched.
func TestJittered(t *testing.T) {
	sc, err := scenario.Load("../examples/topology/leaf-queue-drain.yaml")
	require.NoError(t, err)
	j, err := Jittered(sc, time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, sim.Dist{Kind: sim.Uniform, A: 250 * time.Microsecond, B: 1250 * time.Microsecond}, j.Network.Latency)
	for _, l := range j.Topology.Leafnodes {
		require.Equal(t, sim.Dist{Kind: sim.Uniform, A: time.Millisecond, B: 2 * time.Millisecond}, l.Latency)
	}
	require.Equal(t, sim.Const(time.Millisecond), sc.Topology.Leafnodes[0].Latency)
}

// TestTallyModel checks the model side's tally on the hand-off example,
// whose outcome the example's description gives: 19 of 300 lost.
func TestTallyModel(t *testing.T) {
	sc, err := scenario.Load("../examples/topology/cluster-queue-handoff.yaml")
	require.NoError(t, err)
	ts, err := ModelCluster(sc, 1, 0, 0)
	require.NoError(t, err)
	require.Equal(t, 300, ts[0].Published)
	require.Equal(t, 19, ts[0].Lost)
	require.Zero(t, ts[0].Duplicates)
}

// TestClusterRunnerRefuses checks, without starting a server, what the
// real cluster runner refuses because nats-server would build another
// topology: each case fails if its check (meshed, linkLatencies) is
// removed.
func TestClusterRunnerRefuses(t *testing.T) {
	const head = "name: t\nservers:\n  - {name: a, cluster: east}\n  - {name: b, cluster: east}\n  - {name: c, cluster: east}\n  - {name: x, cluster: west}\n"
	const tail = "clients:\n  - {name: p, server: a}\n"
	for _, c := range []struct{ name, links, want string }{
		{"not meshed", "routes:\n  - {between: [a, b]}\n  - {between: [b, c]}\n",
			"t.yaml:2: servers a and c of cluster east have no route"},
		{"routes of one server at two latencies", "routes:\n  - {between: [a, b], latency: 1ms}\n  - {between: [b, c], latency: 2ms}\n  - {between: [a, c], latency: 1ms}\n",
			"t.yaml:2: routes of server b at 1ms and 2ms"},
		{"gateways of one server at two latencies", "gateways:\n  - {between: [a, x], latency: 1ms}\n  - {between: [b, x], latency: 2ms}\n  - {between: [c, x], latency: 2ms}\n",
			"t.yaml:2: gateways of server x at 1ms and 2ms"},
		{"a gateway on some servers of a cluster", "gateways:\n  - {between: [a, x]}\n",
			"t.yaml:2: servers a and b of cluster east: one has a gateway, the other not"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc, err := scenario.Parse("t.yaml", []byte(head+c.links+tail))
			require.NoError(t, err)
			_, err = startCluster(sc)
			require.ErrorContains(t, err, c.want)
		})
	}
}
