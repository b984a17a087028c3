package props

import (
	"slices"

	"github.com/drainsim/drainsim/model/scenario"
)

// The shrinker's edits of a topology (docs/cluster.md#generated-topologies):
// remove a server with its links, remove a leaf connection or a gateway
// (never a route: a cluster stays a full mesh), attach a client to
// the first server, make a link's latency constant and lower it, and
// finally run a one-server topology as no topology at all. A scenario
// without a topology has no place for any of them, so they cost its
// shrinking nothing.

// countServers counts the servers of a topology with more than one.
func countServers(sc *scenario.Scenario) int {
	if sc.Topology == nil || len(sc.Topology.Servers) < 2 {
		return 0
	}
	return len(sc.Topology.Servers)
}

// removeServer removes server i, its links, and the clients' references
// to it: a client on it moves to the first server left.
func removeServer(sc *scenario.Scenario, i int) bool {
	t := sc.Topology
	name := t.Servers[i].Name
	t.Servers = slices.Delete(t.Servers, i, i+1)
	touches := func(l scenario.Link) bool { return l.A == name || l.B == name }
	t.Routes = slices.DeleteFunc(t.Routes, touches)
	t.Leafnodes = slices.DeleteFunc(t.Leafnodes, touches)
	t.Gateways = slices.DeleteFunc(t.Gateways, touches)
	for k := range sc.Clients {
		c := &sc.Clients[k]
		if c.Server == name {
			c.Server = ""
		}
		c.ReconnectServers = slices.DeleteFunc(c.ReconnectServers, func(s string) bool { return s == name })
	}
	return true
}

// links returns pointers to the topology's links, routes first.
func links(sc *scenario.Scenario) []*scenario.Link {
	if sc.Topology == nil {
		return nil
	}
	t := sc.Topology
	var out []*scenario.Link
	for _, ls := range [...][]scenario.Link{t.Routes, t.Leafnodes, t.Gateways} {
		for i := range ls {
			out = append(out, &ls[i])
		}
	}
	return out
}

func countLinks(sc *scenario.Scenario) int { return len(links(sc)) }

// countBridges counts the leaf connections and gateways, the links the
// shrinker may remove: a cluster stays a full mesh of routes, as
// nats-server's clusters are (routes are gossiped), and a scenario
// promises what it does only of full meshes.
func countBridges(sc *scenario.Scenario) int {
	if sc.Topology == nil {
		return 0
	}
	return len(sc.Topology.Leafnodes) + len(sc.Topology.Gateways)
}

// removeBridge removes the i-th leaf connection or gateway.
func removeBridge(sc *scenario.Scenario, i int) bool {
	t := sc.Topology
	if i < len(t.Leafnodes) {
		t.Leafnodes = slices.Delete(t.Leafnodes, i, i+1)
	} else {
		i -= len(t.Leafnodes)
		t.Gateways = slices.Delete(t.Gateways, i, i+1)
	}
	return true
}

// topologyClients counts the clients when there is a topology.
func topologyClients(sc *scenario.Scenario) int {
	if sc.Topology == nil {
		return 0
	}
	return len(sc.Clients)
}

// oneServer counts the one place of a one-server topology.
func oneServer(sc *scenario.Scenario) int {
	if sc.Topology == nil || len(sc.Topology.Servers) > 1 {
		return 0
	}
	return 1
}

// noTopology runs a one-server topology's scenario on the default server.
func noTopology(sc *scenario.Scenario, _ int) bool {
	sc.Topology = nil
	for k := range sc.Clients {
		sc.Clients[k].Server, sc.Clients[k].ReconnectServers = "", nil
	}
	return true
}

// Topology edits, removals first (they take their places in
// shrinkEdits).
var (
	shrinkServers = shrinkEdit{countServers, removeServer}
	shrinkLinks   = shrinkEdit{countBridges, removeBridge}
	shrinkHome    = shrinkEdit{topologyClients, func(sc *scenario.Scenario, i int) bool {
		return set(&sc.Clients[i].Server, "")
	}}
	shrinkLatency = shrinkEdit{countLinks, func(sc *scenario.Scenario, i int) bool {
		return simplerDist(&links(sc)[i].Latency)
	}}
	shrinkToOne = shrinkEdit{oneServer, noTopology}
)
