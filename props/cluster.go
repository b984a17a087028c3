package props

import (
	"slices"

	"github.com/drainsim/drainsim/sim"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// The one-server promises that a cluster breaks, and only where it does
// (docs/cluster.md#what-the-invariants-promise-in-a-cluster): a drop of a
// message routed from another server is the topology's when the
// subscription's server had removed it, and for a queue group only when
// no other member that every server knew from the start was left to take
// it; per-publisher order holds only for plain subscriptions.

// clientServer is the server client connects to: "" without a topology.
func clientServer(r *model.Result, client string) string {
	sc := r.Scenario
	if sc == nil || sc.Topology == nil {
		return ""
	}
	i := slices.IndexFunc(sc.Clients, func(c scenario.Client) bool { return c.Name == client })
	if i >= 0 && sc.Clients[i].Server != "" {
		return sc.Clients[i].Server
	}
	return sc.Topology.Servers[0].Name
}

// topologyCaused reports whether the cluster, not the drain, lost d: a
// route drop of a message whose publisher is on another server than the
// subscriber, whose server had removed the subscription by then; for a
// queue group, only when no other member that every server knew from the
// start stayed subscribed (that member's route entry is the fallback
// that must have taken the message). Leaf echo suppression, and a
// gateway tried only where the message entered the cluster, lose a queue
// message even while another member lives (the reference's E5 and E4).
func topologyCaused(r *model.Result, d *model.Delivery, s *model.SubRecord) bool {
	switch d.Reason {
	case model.DropRouteNoInterest, model.DropRouteNoFallback, model.DropLeafEcho, model.DropNoGatewayFallback:
	default:
		return false
	}
	m := message(r, d.Msg)
	if m == nil || clientServer(r, m.From) == clientServer(r, s.Client) ||
		s.UnsubProcessedAt == model.NoTime || s.UnsubProcessedAt > d.DroppedAt {
		return false
	}
	if d.Reason == model.DropRouteNoFallback {
		for _, g := range queueGroups(r) {
			if slices.Contains(g, s) && liveReplacement(r, g, s) != nil {
				return false
			}
		}
	}
	return true
}

// routed reports whether the run has servers joined by routes or leaf
// connections, over which a queue message can bounce.
func routed(r *model.Result) bool {
	if r.Scenario == nil || r.Scenario.Topology == nil {
		return false
	}
	t := r.Scenario.Topology
	return len(t.Routes)+len(t.Leafnodes) > 0
}

// serverWentDown reports whether a server entered lame-duck mode or
// restarted at or before t: only then does a server close a client's
// connection as it goes down, and a drop of what was routed toward it
// (server_shutdown) follow.
func serverWentDown(r *model.Result, t sim.Time) bool {
	for _, call := range r.Calls {
		if (call.Verb == "lame_duck" || call.Verb == "restart_server") && call.At <= t {
			return true
		}
	}
	return false
}

// forcedReconnect reports whether connection c called ForceReconnect at
// or before t: its scenario client reacts to lame-duck mode so
// (lame_duck: force_reconnect) and its lame_duck callback ran by then.
func forcedReconnect(r *model.Result, c *model.ConnRecord, t sim.Time) bool {
	if r.Scenario == nil {
		return false
	}
	spec := r.Scenario.Client(c.Client)
	if spec == nil || spec.LameDuck != scenario.LameDuckForceReconnect {
		return false
	}
	for _, cb := range c.Callbacks {
		if cb.Kind == "lame_duck" && cb.At <= t {
			return true
		}
	}
	return false
}
