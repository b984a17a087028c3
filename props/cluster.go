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
// route drop of a message whose subscriber's server had removed the
// subscription by then; for a plain subscription only when the publisher
// is on another server (an acknowledged publish is promised to a
// subscriber on its own server); for a queue group, whose message the
// publisher's server may have sent to a member elsewhere and got back
// (a bounce), wherever the publisher is, but only when no other member
// that every server knew from the start stayed subscribed (that member's
// route entry is the fallback that must have taken the message; one
// across a gateway, or on a server not joined to this one, is none). Leaf echo suppression, and a
// gateway tried only where the message entered the cluster, lose a queue
// message even while another member lives (the reference's E5 and E4).
func topologyCaused(r *model.Result, d *model.Delivery, s *model.SubRecord) bool {
	switch d.Reason {
	case model.DropRouteNoInterest, model.DropRouteNoFallback, model.DropLeafEcho, model.DropNoGatewayFallback:
	default:
		return false
	}
	m := message(r, int(d.Msg))
	if m == nil || s.UnsubProcessedAt == model.NoTime || s.UnsubProcessedAt > d.DroppedAt ||
		d.Reason == model.DropRouteNoInterest && clientServer(r, r.Str(m.From)) == clientServer(r, r.Str(s.Client)) {
		return false
	}
	if d.Reason == model.DropRouteNoFallback {
		for g := range queueGroups(r) {
			if l := liveReplacement(r, g, s); slices.Contains(g, s) && l != nil && !acrossGateway(r, r.Str(s.Client), r.Str(l.Client)) {
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
	return calledBy(r, t, "lame_duck", "restart_server")
}

// linkWasCut reports whether a cut_link broke a link between servers at
// or before t: only then is a message lost on one (link_cut).
func linkWasCut(r *model.Result, t sim.Time) bool {
	return calledBy(r, t, "cut_link")
}

// calledBy reports whether an action of one of verbs was made at or
// before t.
func calledBy(r *model.Result, t sim.Time, verbs ...string) bool {
	for _, call := range r.Calls() {
		if call.At <= t && slices.Contains(verbs, r.Str(call.Verb)) {
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
	spec := r.Scenario.Client(r.Str(c.Client))
	if spec == nil || spec.LameDuck != scenario.LameDuckForceReconnect {
		return false
	}
	for _, cb := range c.Callbacks {
		if r.Str(cb.Kind) == "lame_duck" && cb.At <= t {
			return true
		}
	}
	return false
}

// sharesWithQueue reports whether plain subscription s shares its
// subject with a queue group, whose messages, in a routed topology, may
// reach s again and late: nats-server hands a queue message none of a
// receiving server's members can take to a route entry it still has for
// the group, possibly back to the server it came from (the rsub
// fallback), and a server delivers a routed message to every local plain
// subscription on its subject, whatever queue groups the RMSG names
// (processInboundRoutedMsg and the psubs loop of processMsgResults in
// nats-server's server/route.go and server/client.go filter only queue
// groups by the RMSG's list). So a plain subscription on a server a
// queue message of its subject bounces through gets it again, or, if it
// subscribed after the message was published there, late
// (docs/cluster.md#what-the-invariants-promise-in-a-cluster).
func sharesWithQueue(r *model.Result, s *model.SubRecord) bool {
	if s.Queue != 0 {
		return false
	}
	return slices.ContainsFunc(r.Subs, func(o *model.SubRecord) bool {
		return o.Queue != 0 && (model.SubjectMatches(r.Str(o.Subject), r.Str(s.Subject)) || model.SubjectMatches(r.Str(s.Subject), r.Str(o.Subject)))
	})
}

// acrossGateway reports whether the servers of clients a and b are joined
// only through a gateway (or not at all). nats-server routes a reply
// there with the _GR_. reply prefix, which the model does not have
// (docs/cluster.md#not-yet-modelled), so a reply across a gateway finds
// no interest; and a queue member there is no fallback for a message
// routed inside the publisher's cluster (the reference's E4).
func acrossGateway(r *model.Result, a, b string) bool {
	sa, sb := clientServer(r, a), clientServer(r, b)
	if sa == sb {
		return false
	}
	t := r.Scenario.Topology
	// Union the servers joined by routes and leaf connections.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			return find(p)
		}
		return x
	}
	for _, l := range slices.Concat(t.Routes, t.Leafnodes) {
		parent[find(l.A)] = find(l.B)
	}
	return find(sa) != find(sb)
}
