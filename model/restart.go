package model

import (
	"slices"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Restarting a server of a cluster (restart_server with servers:), as the
// reference describes a rolling restart (docs/cluster.md#restarting-a-server):
// the server stops (its clients' connections close, its links close and
// its peers drop its interest), comes back after For with no state, and
// accepts clients at once; its routes, leaf connections and gateways
// connect again linkReconnect later (nats-server's DEFAULT_ROUTE_CONNECT,
// DEFAULT_LEAF_NODE_RECONNECT and the gateway's reconnect, 1 s each),
// and then each side sends the other all the interest it carries on that
// connection (sendSubsToRoute). Until then a client that publishes there
// reaches only the server's own subscriptions: what the rest of the
// cluster wants is dropped for no interest (nats-server issues #439 and
// #754). A server that lame-duck mode shut down starts again the same way.

// linkReconnect is how long after a server starts its links connect again.
const linkReconnect = time.Second

// restartInCluster restarts server a.Server (the first one by default).
func (w *World) restartInCluster(a *scenario.RestartServer) {
	s := w.cl.servers[max(0, w.sc.Topology.Index(a.Server))]
	w.trace("server/"+s.cl.name, "fault.restart", sim.Dur("for", a.For))
	if s.up {
		s.stop()
	}
	w.sim.After(a.For, s.start)
}

// start brings a stopped server back, empty and accepting clients, and
// connects its links again linkReconnect later, but a link still cut
// (cut.go), which the cut's own reconnect attempt connects.
func (s *Server) start() {
	if s.up {
		return // a second restart_server already started it
	}
	s.up, s.cl.lameDuck = true, false
	s.cl.starts++
	life := s.cl.starts
	s.w.trace("server/"+s.cl.name, "server.up")
	s.cl.linksAt = s.w.sim.Now().Add(linkReconnect)
	s.w.sim.After(linkReconnect, func() {
		if !s.up || s.cl.starts != life {
			return // stopped, or stopped and started again, meanwhile
		}
		now := s.w.sim.Now()
		for e := range s.ends() {
			if e.peer.s.up && e.down && now >= e.cutUntil {
				s.relink(e)
			}
		}
	})
}

// relink connects e again: each side sends the other the interest it
// carries on that connection, in key order.
func (s *Server) relink(e *routeEnd) {
	s.w.trace("server/"+s.cl.name, "server.relink", sim.Str("to", e.peer.s.cl.name))
	e.down, e.peer.down = false, false
	e.out.down, e.peer.out.down = false, false // up again after a cut
	if e.gw && s.w.mut.Has(GatewayTallyReset) {
		e.smap, e.peer.smap = nil, nil
	}
	e.s.dumpInterest(e)
	e.peer.s.dumpInterest(e.peer)
}

// dumpInterest writes on e an RS+ (LS+) for every key its server
// announces there: its route count for a route, the connection's own
// count for a leaf connection or a gateway, with the weight announce
// would give.
func (s *Server) dumpInterest(e *routeEnd) {
	counts := s.cl.rm
	if e.leaf || e.gw {
		counts = e.smap
	}
	keys := make([]int32, 0, len(counts))
	for k, n := range counts {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		f := frame{op: opRSub, arg: int32(counts[k]), frameRefs: frameRefs{ref: k}}
		if e.gw || s.w.cl.keys[k].queue == "" {
			f.arg = 1
		}
		e.send(f)
	}
}
