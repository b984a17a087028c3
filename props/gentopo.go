package props

import (
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// GenClusterScenario is GenProfileScenario on a generated topology
// (docs/cluster.md#generated-topologies): after the clients and
// subscriptions it draws 1–4 servers in one or two clusters, each a full
// mesh of routes, the two joined by one gateway or by a gateway per pair
// of servers, now and then with a leaf spoke on one of them; each kind of
// link gets a small latency distribution; and it places the clients on
// the servers, spread round them by default so that the members of a
// queue group (on consecutive clients) sit on different servers. It never
// draws restart_server, which the model refuses in a cluster. Every
// choice is a zero draw for the smallest topology, so rapid's shrinking
// moves towards one server with instant links; Shrink removes servers,
// leaf connections and gateways too (shrinktopo.go).
func GenClusterScenario(c sim.Chooser, p *model.Profile) *scenario.Scenario {
	return genScenario(c, p, true)
}

// Server and cluster names of generated topologies.
var (
	genServers  = [...]string{"a", "b", "c", "d"}
	genClusters = [...]string{"east", "west"}
)

// maxGenServers is the most servers a generated topology has, and
// maxGenRoutes the most routes: between every two of them.
const (
	maxGenServers = len(genServers)
	maxGenRoutes  = maxGenServers * (maxGenServers - 1) / 2
)

// topology draws the servers and links and places the clients.
func (b *builder) topology() {
	n := b.intIn("servers", 1, maxGenServers)
	spoke := n >= 2 && b.chance("leaf-spoke", 35)
	core := n // servers in the clusters: all but the spoke
	if spoke {
		core--
	}
	split := core // servers [0, split) are in the first cluster, the rest in the second
	if core >= 2 && b.chance("two-clusters", 40) {
		split = b.intIn("cluster-split", 1, core-1)
	}
	t := b.vals.topologies.put(scenario.Topology{
		Servers: b.vals.servers.list(n), Routes: b.vals.links.list(maxGenRoutes), Gateways: b.vals.links.list(maxGenServers / 2),
	})
	for i := range core {
		t.Servers = append(t.Servers, scenario.ServerNode{Name: genServers[i], Cluster: genClusters[min(i/split, 1)]})
	}
	routeLat := b.dist(&routeLatencyLabels, 100*time.Microsecond, 30)
	for i := range core {
		for j := i + 1; j < core; j++ {
			if t.Servers[i].Cluster == t.Servers[j].Cluster {
				t.Routes = append(t.Routes, scenario.Link{A: genServers[i], B: genServers[j], Latency: routeLat})
			}
		}
	}
	if split < core {
		// Gateways pair the i-th servers of the two clusters: one
		// between the first servers, or, now and then, every pair. The
		// model's gateway is one connection that both ends send on, so
		// no server gets two to one cluster (nats-server gives each
		// server exactly one outbound gateway per remote cluster).
		gwLat := b.dist(&gatewayLatencyLabels, 500*time.Microsecond, 20)
		pairs := 1
		if b.chance("gateway-every-server", 50) {
			pairs = min(split, core-split)
		}
		for i := range pairs {
			t.Gateways = append(t.Gateways, scenario.Link{A: genServers[i], B: genServers[split+i], Latency: gwLat})
		}
	}
	if spoke {
		sv := scenario.ServerNode{Name: genServers[core]}
		if b.chance("spoke-cluster", 50) {
			sv.Cluster = "edge"
		}
		t.Servers = append(t.Servers, sv)
		t.Leafnodes = append(b.vals.links.list(1), scenario.Link{A: genServers[b.pick("leaf-hub", core)], B: sv.Name,
			Latency: b.dist(&leafLatencyLabels, 100*time.Microsecond, 30)})
	}
	t.Routes, t.Gateways = orNil(t.Routes), orNil(t.Gateways)
	b.sc.Topology = t
	for i := range b.sc.Clients {
		b.sc.Clients[i].Server = genServers[(i+b.intIn("client-server", 0, n-1))%n]
	}
}
