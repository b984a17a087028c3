package props

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// failing runs file under muts and returns the IDs of the invariants that
// fail.
func failing(t *testing.T, file string, muts model.MutationSet) []string {
	t.Helper()
	sc, err := scenario.Load(file)
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Mutations: muts})
	require.NoError(t, err)
	var ids []string
	for _, v := range Verdicts(res) {
		if !v.Holds {
			ids = append(ids, v.ID)
		}
	}
	return ids
}

// TestClusterInvariants: on the two topology examples every invariant
// holds once the one-server promises are conditional as the reference
// measured: the plain subscriber's loss of an acknowledged publish from
// another server is the topology's (route_no_interest), and the queue
// member's bounced messages break per-publisher order, which a cluster
// promises only for plain subscriptions. (Breaks it catches: without
// topologyCaused, no-loss-under-drain and no-silent-loss fail on the
// first file; without the queue exemption, fifo-per-publisher fails on
// the second.)
func TestClusterInvariants(t *testing.T) {
	require.Empty(t, failing(t, "../examples/topology/cluster-plain-drain.yaml", 0))
	require.Empty(t, failing(t, "../examples/topology/cluster-queue-drain.yaml", 0))
}

// TestLeafEchoLossIsTheTopologys: on the leaf example q1's eleven drops
// (leaf_echo_suppressed) happen while q2 stays subscribed; the reference
// measured that loss on real leaf nodes (E5), so it is the topology's and
// every invariant holds. (Break it catches: topologyCaused without
// DropLeafEcho makes no-loss-under-drain, queue-drain-no-loss and
// no-silent-loss fail.)
func TestLeafEchoLossIsTheTopologys(t *testing.T) {
	require.Empty(t, failing(t, "../examples/topology/leaf-queue-drain.yaml", 0))
}

// TestGatewayLossIsTheTopologys: on the supercluster example q1's
// nineteen drops (no_gateway_fallback) happen while q2, in the other
// cluster, stays subscribed; the reference measured that loss on real
// superclusters (E4), so every invariant holds. (Break it catches:
// topologyCaused without DropNoGatewayFallback makes
// no-loss-under-drain, queue-drain-no-loss and no-silent-loss fail.)
func TestGatewayLossIsTheTopologys(t *testing.T) {
	require.Empty(t, failing(t, "../examples/topology/supercluster-queue-drain.yaml", 0))
}

// TestNoRsubFallbackIsKilled: without the rsub fallback the queue
// example's bounced messages are dropped while q2, known to every server
// from the start, stays subscribed: the drop is the drain's, not the
// topology's, and both loss invariants say so.
func TestNoRsubFallbackIsKilled(t *testing.T) {
	got := failing(t, "../examples/topology/cluster-queue-drain.yaml", model.MutationSet(0).With(model.NoRsubFallback))
	require.Contains(t, got, "no-loss-under-drain")
	require.Contains(t, got, "queue-drain-no-loss")
}

// TestLameDuckDropCauses: on the rolling-restart examples every invariant
// holds, the drops of an eviction or a shutdown (server_shutdown) are the
// topology's and those of ForceReconnect the application's; a subscriber
// draining when its server evicts it loses what is routed toward it to
// the topology, not to its drain. (Breaks it catches: without the
// server_shutdown and force_reconnect cases of dropAllowed, no-silent-loss
// fails on the first two files; without those of DropCause, the drops
// are the drain's and no-loss-under-drain fails on the draining one.)
func TestLameDuckDropCauses(t *testing.T) {
	for _, f := range []string{"ignore", "force-reconnect", "make-before-break"} {
		require.Empty(t, failing(t, "../examples/topology/rolling-restart-"+f+".yaml", 0), f)
	}
	want := map[string]model.DropCause{"ignore": model.CauseTopology, "force-reconnect": model.CauseApplication}
	for f, cause := range want {
		sc, err := scenario.Load("../examples/topology/rolling-restart-" + f + ".yaml")
		require.NoError(t, err)
		res, err := model.Run(sc, model.Config{})
		require.NoError(t, err)
		n := 0
		for i := range res.Ledger.Deliveries {
			if d := &res.Ledger.Deliveries[i]; d.Fate == model.DlvDropped {
				require.Equal(t, cause, DropCause(res, d), "%s: msg %d (%s)", f, d.Msg, d.Reason)
				n++
			}
		}
		require.NotZero(t, n, f)
	}

	// The subscriber drains slowly (its handler takes 10 ms a message)
	// while its server evicts it: what c routes toward it after the
	// eviction is the topology's loss.
	sc, err := scenario.Parse("d.yaml", []byte(`name: drain-evicted
seed: 1
network: {latency: 250us}
servers: [{name: a, cluster: e}, {name: c, cluster: e}]
routes: [{mesh: e, latency: 1ms}]
clients:
  - {name: sub, server: a, reconnect_servers: [c]}
  - {name: pub, server: c}
subscriptions:
  - {id: s, client: sub, subject: x, handler: {duration: 10ms}}
actions:
  - {at: 0s, publish: {client: pub, subject: x, count: 100, interval: 100us}}
  - {at: 5ms, drain_sub: {sub: s}}
  - {at: 0s, lame_duck: {server: a, grace: 5ms, duration: 10ms}}
`))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{})
	require.NoError(t, err)
	shut := 0
	for i := range res.Ledger.Deliveries {
		if d := &res.Ledger.Deliveries[i]; d.Fate == model.DlvDropped && d.Reason == model.DropServerShutdown {
			require.Equal(t, model.CauseTopology, DropCause(res, d))
			shut++
		}
	}
	var failed []string
	for _, v := range Verdicts(res) {
		if !v.Holds {
			failed = append(failed, v.ID+": "+v.Detail)
		}
	}
	require.NotZero(t, shut)
	require.Empty(t, failed)
}

// TestLinkCutDropsAreTheTopologys: on the route-cut example every
// invariant holds and message 11's two drops (link_cut), lost on the
// route when it was cut, are the topology's. Doctored records show each
// check the cut relies on: without the drops (what a link whose lost
// callback records nothing leaves) ledger-conserved fails, message 11
// being routed but committed to no subscription; without the cut_link
// call the drops are unexplained, so no-silent-loss fails and their cause
// falls to the drain. (Breaks it catches: a no-op lost callback on links
// between servers; the link_cut cases of dropAllowed and DropCause left
// out, or true without a cut.)
func TestLinkCutDropsAreTheTopologys(t *testing.T) {
	require.Empty(t, failing(t, "../examples/topology/route-cut.yaml", 0))
	sc, err := scenario.Load("../examples/topology/route-cut.yaml")
	require.NoError(t, err)
	run := func() *model.Result {
		res, err := model.Run(sc, model.Config{})
		require.NoError(t, err)
		return res
	}
	failed := func(res *model.Result) []string {
		var ids []string
		for _, v := range Verdicts(res) {
			if !v.Holds {
				ids = append(ids, v.ID)
			}
		}
		return ids
	}
	isCut := func(d model.Delivery) bool { return d.Fate == model.DlvDropped && d.Reason == model.DropLinkCut }

	res := run()
	n := 0
	for i := range res.Ledger.Deliveries {
		if d := &res.Ledger.Deliveries[i]; isCut(*d) {
			require.Equal(t, 11, int(d.Msg))
			require.Equal(t, model.CauseTopology, DropCause(res, d))
			n++
		}
	}
	require.Equal(t, 2, n)

	silent := run()
	detachHandled(silent)
	silent.Ledger.Deliveries = slices.DeleteFunc(silent.Ledger.Deliveries, isCut)
	require.Equal(t, []string{"ledger-conserved"}, failed(silent))

	uncalled := run()
	uncalled.SetCalls(slices.DeleteFunc(uncalled.Calls(), func(c model.CallRecord) bool { return uncalled.Str(c.Verb) == "cut_link" }))
	require.Contains(t, failed(uncalled), "no-silent-loss")
	for i := range uncalled.Ledger.Deliveries {
		if d := &uncalled.Ledger.Deliveries[i]; isCut(*d) {
			require.Equal(t, model.CauseDrain, DropCause(uncalled, d))
		}
	}
}
