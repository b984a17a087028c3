package props

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// clusterRun draws a scenario on a generated topology (GenClusterScenario)
// and runs it, both through rapid, as genRun does on one server.
func clusterRun(t *rapid.T) (*scenario.Scenario, *model.Result) {
	ch := RapidChooser(t)
	sc := GenClusterScenario(ch.Stream("gen"), &model.GoProfile)
	return sc, runRapid(t, ch, sc)
}

// TestPropCluster checks every invariant over scenarios on generated
// topologies, the model's choices drawn through rapid. (Breaks it
// catches, each seen while it was written: a hub passing a message on to
// its spoke recording a route drop against the publisher's own
// subscription, no-loss-under-drain; a gateway receiver dropping a
// message for an interest withdrawn elsewhere without a record,
// ledger-conserved.)
func TestPropCluster(t *testing.T) {
	propertyPerInvariant(t, clusterRun)
}

// TestClusterSwarm runs the swarm check (`drainsim check --topology`)
// over generated topologies under every profile: no invariant but the
// profiles' known violations fails. It covers what rapid's small draws
// reach less often (two clusters, a leaf spoke, four servers).
func TestClusterSwarm(t *testing.T) {
	runs := 1000
	if testing.Short() {
		runs = 200
	}
	rep, err := Swarm(SwarmConfig{Profiles: model.ProfileNames(), Runs: runs, Seed: 1, SkipKnown: true, Topology: true, NoShrink: true, Workers: 2})
	require.NoError(t, err)
	for _, f := range rep.Failures {
		t.Errorf("%s\n%s", f, f.Original.Marshal())
	}
}

// TestGenClusterScenario: generated topologies are valid, round-trip
// through Parse, stay within 4 servers and spread the clients; the
// default generator draws no topology (so `drainsim check` without
// --topology is unchanged). (Breaks it catches: a topology drawn by
// GenScenario too; a gateway pair or leaf spoke never drawn; a client
// left without a server; a generated field Parse reads back differently.)
func TestGenClusterScenario(t *testing.T) {
	kinds := map[string]int{}
	for seed := uint64(1); seed <= 300; seed++ {
		sc := GenClusterScenario(sim.NewPCG(seed), &model.GoProfile)
		require.NotNil(t, sc.Topology)
		require.LessOrEqual(t, len(sc.Topology.Servers), maxGenServers)
		if d := roundTrip(sc); d != "" {
			t.Fatalf("seed %d: %s", seed, d)
		}
		for _, c := range sc.Clients {
			require.NotEmpty(t, c.Server, "seed %d: client %s on no server", seed, c.Name)
		}
		kinds["routes"] += min(len(sc.Topology.Routes), 1)
		kinds["leafnodes"] += len(sc.Topology.Leafnodes)
		kinds["gateways"] += min(len(sc.Topology.Gateways), 1)
		require.Nil(t, GenScenario(sim.NewPCG(seed)).Topology)
	}
	for _, k := range []string{"routes", "leafnodes", "gateways"} {
		require.Greater(t, kinds[k], 30, "%s drawn in too few of 300 topologies", k)
	}
}

// clusterKillers pairs each cluster mutation the generated-topology suite
// kills with an invariant that catches it. The other cluster mutations
// lose nothing an invariant sees and are killed by exact outcomes:
// no-leaf-echo-suppression and gateway-fallback-anywhere by the
// topology examples (TestLeafEchoSuppressionLosesQueueMessages,
// TestSuperclusterQueueDrainLosesWhatWasOnTheRoute), rs-reorder by
// TestRSReorderLosesInterest.
var clusterKillers = []struct{ mutation, invariant string }{
	{"no-rsub-fallback", "queue-drain-no-loss"},
	{"queue-unsub-as-plain", "no-silent-loss"},
}

// TestClusterMutationsKilled: the swarm over generated topologies finds
// each mutation of clusterKillers violating its invariant, and shrinks the
// counterexample to a small topology (at most 3 servers, so 3 links) that
// still violates it under `drainsim run`.
func TestClusterMutationsKilled(t *testing.T) {
	for _, k := range clusterKillers {
		t.Run(k.mutation, func(t *testing.T) {
			m, err := model.ParseMutation(k.mutation)
			require.NoError(t, err)
			muts := model.MutationSet(0).With(m)
			rep, err := Swarm(SwarmConfig{Runs: 5000, Seed: 1, SkipKnown: true, Topology: true, Mutations: muts, Workers: 2})
			require.NoError(t, err)
			var f *Failure
			for i := range rep.Failures {
				if rep.Failures[i].Invariant == k.invariant {
					f = &rep.Failures[i]
				}
			}
			require.NotNil(t, f, "%s not violated under %s in %d runs: %v", k.invariant, k.mutation, rep.Runs, rep.Failures)
			inv, _ := Lookup(k.invariant)
			require.True(t, Violates(f.Shrunk, inv, muts))
			require.False(t, Violates(f.Shrunk, inv, 0), "the shrunk scenario fails without the mutation too")
			top := f.Shrunk.Topology
			require.NotNil(t, top, "a cluster mutation needs servers")
			require.LessOrEqual(t, len(top.Servers), 3, "%s", f.Shrunk.Marshal())
			require.LessOrEqual(t, len(links(f.Shrunk)), 3, "%s", f.Shrunk.Marshal())
		})
	}
}
