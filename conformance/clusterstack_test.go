package conformance

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drainsim/drainsim/model/scenario"
)

// This file is the real-cluster runner: one embedded nats-server per
// scenario server on 127.0.0.1, in real time (routes, leaf connections and
// gateways dial real sockets, so a cluster cannot run in a synctest
// bubble), every server-to-server link through a TCP relay (proxy) that
// delays each direction by the link's latency, in order, and every client
// through its own relay with the network's latency. One cluster plays a
// scenario many times (trials); each trial connects fresh clients and ends
// when their interest has left every server again.

// realCluster is a running cluster of a scenario's topology.
type realCluster struct {
	sc     *scenario.Scenario
	top    *scenario.Topology
	srvs   []*server.Server // by index in top.Servers
	relays []*proxy         // the server-to-server links
	conns  []*proxy         // the clients' links, one per server (by index in top.Servers)
	stop   chan struct{}    // closed by close: wakes every relay
	clk    *clock           // the relays' clock
	base   []uint32         // each server's subscription count without clients
	wait   time.Duration    // a client's round trip plus one over the slowest server link: how long interest must be still to have settled
}

// relayPorts are a server's listening ports for the other servers, with
// the relays in front of them.
type relayPorts struct {
	cluster, gateway, leaf int
	route, gw              *proxy // nil when the server has no such link
}

// startCluster starts the servers of sc's topology and waits until every
// route, leaf connection and gateway is up. The real cluster differs from
// a scenario's topology in ways the runner cannot hide, so those are
// refused: nats-server meshes a cluster fully (list every pair); a relay
// sits in front of each server's route and gateway port, so every route
// (and every gateway) touching one server has one latency; every server
// of a cluster that has gateways has one.
func startCluster(sc *scenario.Scenario) (_ *realCluster, err error) {
	top := sc.Topology
	rc := &realCluster{sc: sc, top: top, stop: make(chan struct{})}
	rc.clk = &clock{stop: rc.stop}
	defer func() {
		if err != nil {
			rc.close()
		}
	}()
	routeLat, err := linkLatencies(sc, top.Routes, "route")
	if err != nil {
		return nil, err
	}
	gwLat, err := linkLatencies(sc, top.Gateways, "gateway")
	if err != nil {
		return nil, err
	}
	if err := meshed(sc); err != nil {
		return nil, err
	}
	ports := make([]relayPorts, len(top.Servers))
	for i, s := range top.Servers {
		p := &ports[i]
		if s.Cluster != "" {
			if p.cluster, err = freePort(); err != nil {
				return nil, err
			}
			if d, ok := routeLat[s.Name]; ok {
				if p.route, err = rc.relay(p.cluster, d); err != nil {
					return nil, err
				}
			}
		}
		if d, ok := gwLat[s.Name]; ok {
			if p.gateway, err = freePort(); err != nil {
				return nil, err
			}
			if p.gw, err = rc.relay(p.gateway, d); err != nil {
				return nil, err
			}
		}
		if slices.ContainsFunc(top.Leafnodes, func(l scenario.Link) bool { return l.A == s.Name }) {
			if p.leaf, err = freePort(); err != nil {
				return nil, err
			}
		}
	}
	// Hubs first, so that a spoke's first dial finds its hub listening
	// (a failed one is retried only after a second).
	order := make([]int, len(top.Servers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return boolInt(ports[i].leaf == 0) - boolInt(ports[j].leaf == 0) })
	rc.srvs = make([]*server.Server, len(top.Servers))
	for _, i := range order {
		o, err := rc.options(i, ports)
		if err != nil {
			return nil, err
		}
		s, err := server.NewServer(o)
		if err != nil {
			return nil, fmt.Errorf("nats-server %s: %w", top.Servers[i].Name, err)
		}
		s.Start()
		rc.srvs[i] = s
		if !s.ReadyForConnections(5 * time.Second) {
			return nil, fmt.Errorf("nats-server %s: not ready after 5s", top.Servers[i].Name)
		}
	}
	for _, links := range topologyLinks(top) {
		for _, l := range links.links {
			rc.wait = max(rc.wait, l.Latency.A)
		}
	}
	rc.wait = 2*sc.Network.Latency.A + 2*rc.wait + 5*time.Millisecond
	if err := rc.formed(10 * time.Second); err != nil {
		return nil, err
	}
	for i := range top.Servers {
		addr := rc.srvs[i].Addr().String()
		p, err := newProxy(addr, sc.Network.Latency.A, pacing{}, rc.clk)
		if err != nil {
			return nil, err
		}
		rc.conns = append(rc.conns, p)
	}
	// The servers' own subscriptions (a leaf connection's, for one) cross
	// the links too: the base is what is left once they have settled.
	if err := rc.settled(false, 10*time.Second); err != nil {
		return nil, err
	}
	for _, s := range rc.srvs {
		rc.base = append(rc.base, s.NumSubscriptions())
	}
	return rc, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// relay starts a relay with latency d in front of port.
func (rc *realCluster) relay(port int, d time.Duration) (*proxy, error) {
	p, err := newProxy("127.0.0.1:"+strconv.Itoa(port), d, pacing{}, rc.clk)
	if err != nil {
		return nil, err
	}
	rc.relays = append(rc.relays, p)
	return p, nil
}

// freePort returns a port of 127.0.0.1 that was free a moment ago: a
// server's route and gateway ports must be known before any server starts,
// since each server names its peers' relays, which forward to them.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// linkLatencies returns, per server, the latency of its links in links;
// an error when two of them differ (one relay fronts the server's port).
func linkLatencies(sc *scenario.Scenario, links []scenario.Link, kind string) (map[string]time.Duration, error) {
	lat := map[string]time.Duration{}
	for _, l := range links {
		for _, s := range []string{l.A, l.B} {
			if d, ok := lat[s]; ok && d != l.Latency.A {
				return nil, fmt.Errorf("%s:%d: %ss of server %s at %v and %v: the real cluster runner puts one relay in front of each server's %s port, want one latency per server", sc.File, sc.Topology.Line, kind, s, d, l.Latency.A, kind)
			}
			lat[s] = l.Latency.A
		}
	}
	return lat, nil
}

// meshed reports a cluster the scenario does not mesh fully, and a
// cluster with gateways that one of its servers lacks: nats-server would
// add those links itself.
func meshed(sc *scenario.Scenario) error {
	top := sc.Topology
	linked := func(links []scenario.Link, a, b string) bool {
		return slices.ContainsFunc(links, func(l scenario.Link) bool { return l.A == a && l.B == b || l.A == b && l.B == a })
	}
	hasGateway := func(s string) bool {
		return slices.ContainsFunc(top.Gateways, func(l scenario.Link) bool { return l.A == s || l.B == s })
	}
	for i, a := range top.Servers {
		for _, b := range top.Servers[i+1:] {
			if a.Cluster == "" || a.Cluster != b.Cluster {
				continue
			}
			if !linked(top.Routes, a.Name, b.Name) {
				return fmt.Errorf("%s:%d: servers %s and %s of cluster %s have no route: nats-server meshes a cluster fully, want every pair routed", sc.File, top.Line, a.Name, b.Name, a.Cluster)
			}
			if hasGateway(a.Name) != hasGateway(b.Name) {
				return fmt.Errorf("%s:%d: servers %s and %s of cluster %s: one has a gateway, the other not: nats-server gives every server of a cluster its gateways, want one on each", sc.File, top.Line, a.Name, b.Name, a.Cluster)
			}
		}
	}
	return nil
}

// bypassRelays, set by TestClusterRelayCheck only, breaks options: routes
// dial their peers' ports directly, not through the relays.
var bypassRelays bool

// options are the options of server i: its routes to every other server
// of its cluster, its gateways and its leaf remotes, each dialled through
// the peer's relay; each port it listens on for peers advertises its
// relay, so that the servers' gossip (implicit routes and gateways)
// dials the relays too, and finds them already configured.
func (rc *realCluster) options(i int, ports []relayPorts) (*server.Options, error) {
	top := rc.top
	me := top.Servers[i]
	o := &server.Options{ServerName: me.Name, Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true, NoSystemAccount: true}
	p := ports[i]
	if me.Cluster != "" {
		o.Cluster = server.ClusterOpts{Name: me.Cluster, Host: "127.0.0.1", Port: p.cluster, PoolSize: -1}
		if p.route != nil {
			o.Cluster.Advertise = p.route.addr
		}
		for _, l := range top.Routes {
			peer, ok := other(l, me.Name)
			if !ok {
				continue
			}
			addr := ports[top.Index(peer)].route.addr
			if bypassRelays {
				addr = "127.0.0.1:" + strconv.Itoa(ports[top.Index(peer)].cluster)
			}
			u, err := url.Parse("nats-route://" + addr)
			if err != nil {
				return nil, err
			}
			o.Routes = append(o.Routes, u)
		}
	}
	if p.gw != nil {
		o.Gateway = server.GatewayOpts{Name: me.Cluster, Host: "127.0.0.1", Port: p.gateway, Advertise: p.gw.addr}
		for _, l := range top.Gateways {
			peer, ok := other(l, me.Name)
			if !ok {
				continue
			}
			u, err := url.Parse("nats://" + ports[top.Index(peer)].gw.addr)
			if err != nil {
				return nil, err
			}
			name := top.Servers[top.Index(peer)].Cluster
			k := slices.IndexFunc(o.Gateway.Gateways, func(g *server.RemoteGatewayOpts) bool { return g.Name == name })
			if k < 0 {
				o.Gateway.Gateways = append(o.Gateway.Gateways, &server.RemoteGatewayOpts{Name: name})
				k = len(o.Gateway.Gateways) - 1
			}
			o.Gateway.Gateways[k].URLs = append(o.Gateway.Gateways[k].URLs, u)
		}
	}
	if p.leaf != 0 {
		o.LeafNode = server.LeafNodeOpts{Host: "127.0.0.1", Port: p.leaf}
	}
	for _, l := range top.Leafnodes {
		if l.B != me.Name {
			continue
		}
		r, err := rc.relay(ports[top.Index(l.A)].leaf, l.Latency.A)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse("nats-leaf://" + r.addr)
		if err != nil {
			return nil, err
		}
		o.LeafNode.Remotes = append(o.LeafNode.Remotes, &server.RemoteLeafOpts{URLs: []*url.URL{u}})
	}
	return o, nil
}

// other returns the server at l's other end from me, if l touches me.
func other(l scenario.Link, me string) (string, bool) {
	switch me {
	case l.A:
		return l.B, true
	case l.B:
		return l.A, true
	}
	return "", false
}

// formed waits until every server has its routes, leaf connections and
// outbound gateways, and reports what is missing after timeout.
func (rc *realCluster) formed(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var missing []string
		for i, me := range rc.top.Servers {
			s := rc.srvs[i]
			routes, leafs := 0, 0
			remote := map[string]bool{}
			for _, l := range rc.top.Routes {
				if _, ok := other(l, me.Name); ok {
					routes++
				}
			}
			for _, l := range rc.top.Leafnodes {
				if _, ok := other(l, me.Name); ok {
					leafs++
				}
			}
			for _, l := range rc.top.Gateways {
				if peer, ok := other(l, me.Name); ok {
					remote[rc.top.Servers[rc.top.Index(peer)].Cluster] = true
				}
			}
			if n := s.NumRoutes(); n != routes {
				missing = append(missing, fmt.Sprintf("%s has %d of %d routes", me.Name, n, routes))
			}
			if n := s.NumLeafNodes(); n != leafs {
				missing = append(missing, fmt.Sprintf("%s has %d of %d leaf connections", me.Name, n, leafs))
			}
			if n := s.NumOutboundGateways(); n != len(remote) {
				missing = append(missing, fmt.Sprintf("%s has %d of %d outbound gateways", me.Name, n, len(remote)))
			}
			slow, err := rc.throughRelays(i)
			if err != nil {
				return err
			}
			missing = append(missing, slow...)
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: the cluster did not form in %v: %s", rc.sc.Name, timeout, strings.Join(missing, "; "))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// throughRelays checks that every link of server i goes through its
// relay: its measured round trip is at least half the link's latency (a
// link that bypassed the relay, say by the servers' gossip, would take
// microseconds; nats-server's first measurement of a leaf connection comes
// out at about one latency, not two, and once came out at 8.4 ms on a
// 10 ms link, so half a latency is the bound). It lists the links whose
// round trip is not measured yet.
func (rc *realCluster) throughRelays(i int) ([]string, error) {
	s, me := rc.srvs[i], rc.top.Servers[i].Name
	var pending []string
	check := func(kind, peer, rtt string, lat time.Duration) error {
		if lat == 0 {
			return fmt.Errorf("%s: a %s to %q, which the scenario does not list", me, kind, peer)
		}
		if rtt == "" || rtt == "0s" {
			pending = append(pending, fmt.Sprintf("%s: the round trip of its %s to %s is not measured yet", me, kind, peer))
			return nil
		}
		d, err := time.ParseDuration(rtt)
		if err != nil {
			return fmt.Errorf("%s: %s to %s: round trip %q: %w", me, kind, peer, rtt, err)
		}
		if d < lat/2 {
			return fmt.Errorf("%s: %s to %s: round trip %v, want at least half the link's latency %v: the link bypasses its relay", me, kind, peer, d, lat)
		}
		return nil
	}
	// lat is the latency of me's link in links to peer, or to anyone for
	// peer "" (a gateway names its cluster, and every gateway of one
	// server has one latency: linkLatencies).
	lat := func(links []scenario.Link, peer string) time.Duration {
		k := slices.IndexFunc(links, func(l scenario.Link) bool { p, ok := other(l, me); return ok && (peer == "" || p == peer) })
		if k < 0 {
			return 0
		}
		return links[k].Latency.A
	}
	rz, err := s.Routez(&server.RoutezOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: routez: %w", me, err)
	}
	for _, r := range rz.Routes {
		if err := check("route", r.RemoteName, r.RTT, lat(rc.top.Routes, r.RemoteName)); err != nil {
			return nil, err
		}
	}
	lz, err := s.Leafz(&server.LeafzOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: leafz: %w", me, err)
	}
	for _, l := range lz.Leafs {
		if err := check("leaf connection", l.Name, l.RTT, lat(rc.top.Leafnodes, l.Name)); err != nil {
			return nil, err
		}
	}
	gz, err := s.Gatewayz(&server.GatewayzOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: gatewayz: %w", me, err)
	}
	for name, g := range gz.OutboundGateways {
		if g.Connection == nil {
			continue
		}
		if err := check("gateway", name, g.Connection.RTT, lat(rc.top.Gateways, "")); err != nil {
			return nil, err
		}
	}
	return pending, nil
}

// settled waits until no server's subscription count has changed for
// rc.wait (a round trip over the slowest link and back to a client) and,
// when want is set, each server's count is its base count: every trial's
// interest has gone. It reports the counts after timeout.
func (rc *realCluster) settled(want bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	counts := func() []uint32 {
		var c []uint32
		for _, s := range rc.srvs {
			c = append(c, s.NumSubscriptions())
		}
		return c
	}
	last, since := counts(), time.Now()
	for {
		time.Sleep(time.Millisecond)
		now := counts()
		if !slices.Equal(now, last) {
			last, since = now, time.Now()
		}
		if time.Since(since) >= rc.wait && (!want || slices.Equal(now, rc.base)) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: interest did not settle in %v: subscriptions per server %v, %v without clients", rc.sc.Name, timeout, now, rc.base)
		}
	}
}

func (rc *realCluster) close() {
	for _, s := range rc.srvs {
		if s != nil {
			s.Shutdown()
		}
	}
	for _, s := range rc.srvs {
		if s != nil {
			s.WaitForShutdown()
		}
	}
	for _, p := range slices.Concat(rc.relays, rc.conns) {
		p.close()
	}
	close(rc.stop)
}

// clusterTrial is one trial in progress.
type clusterTrial struct {
	rc    *realCluster
	clk   *clock // the actions' clock; its lateness is the trial's timing error
	t0    time.Time
	ncs   map[string]*nats.Conn
	subs  []*nats.Subscription // by index in sc.Subs; nil until subscribed
	wg    sync.WaitGroup
	mu    sync.Mutex
	pub   []PubKey
	ranks map[string]int // each client's next publish rank
	hand  [][]PubKey     // by index in sc.Subs
	last  time.Time      // the last handling began then
	fails []error
}

// trial plays the scenario once: connects its clients, subscribes, waits
// until the interest has propagated, plays the actions from time 0, waits
// until nothing has been handled for a while after the last of them, and
// tallies. It also returns the most the actions' clock woke late.
func (rc *realCluster) trial() (Tally, time.Duration, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8)) // as runReal: precise sleeps hold a P
	sc := rc.sc
	stop := make(chan struct{})
	tr := &clusterTrial{rc: rc, clk: &clock{stop: stop}, ncs: map[string]*nats.Conn{}, ranks: map[string]int{},
		subs: make([]*nats.Subscription, len(sc.Subs)), hand: make([][]PubKey, len(sc.Subs))}
	var probe sync.WaitGroup
	stopClock := sync.OnceFunc(func() { close(stop); probe.Wait() })
	defer stopClock()
	defer tr.closeAll()
	for _, c := range sc.Clients {
		srv := rc.top.Index(c.Server)
		nc, err := rc.conns[srv].connect([]nats.Option{nats.Name(c.Name), nats.NoReconnect()})
		if err != nil {
			return Tally{}, 0, fmt.Errorf("%s: connecting %s to %s: %w", sc.Name, c.Name, c.Server, err)
		}
		tr.ncs[c.Name] = nc
	}
	for i, s := range sc.Subs {
		if !s.Deferred {
			if err := tr.subscribe(i); err != nil {
				return Tally{}, 0, err
			}
		}
	}
	for name, nc := range tr.ncs {
		if err := nc.FlushTimeout(5 * time.Second); err != nil {
			return Tally{}, 0, fmt.Errorf("%s: flushing %s: %w", sc.Name, name, err)
		}
	}
	if err := rc.settled(false, 10*time.Second); err != nil {
		return Tally{}, 0, err
	}
	// The trial's timing error: how late its actions, the relays and a
	// probe waking every millisecond (clock.watch) woke, from time 0 on.
	rc.clk.resetLate()
	tr.clk.watch(&probe)
	tr.t0 = time.Now()
	tr.last = tr.t0
	for i := range sc.Actions {
		a := &sc.Actions[i]
		tr.clk.until(tr.t0.Add(a.At))
		if err := tr.act(a); err != nil {
			return Tally{}, 0, err
		}
	}
	tr.wg.Wait()
	for {
		tr.mu.Lock()
		quiet := time.Since(tr.last)
		tr.mu.Unlock()
		if quiet >= 2*rc.wait+50*time.Millisecond {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopClock()
	tr.closeAll()
	if err := rc.settled(true, 10*time.Second); err != nil {
		return Tally{}, 0, err
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.fails) > 0 {
		return Tally{}, 0, errors.Join(tr.fails...)
	}
	queue := make([]string, len(sc.Subs))
	for i, s := range sc.Subs {
		queue[i] = s.Queue
	}
	return TallyKeys(tr.pub, tr.hand, queue), max(tr.clk.worst(), rc.clk.worst()), nil
}

// resetLate forgets how late c woke so far.
func (c *clock) resetLate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.late = 0
}

func (tr *clusterTrial) closeAll() {
	for _, nc := range tr.ncs {
		nc.Close()
	}
}

func (tr *clusterTrial) fail(err error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.fails = append(tr.fails, err)
}

// subscribe subscribes sc.Subs[i]: its callback records each message's
// key, then is busy for the handler's duration.
func (tr *clusterTrial) subscribe(i int) error {
	spec := &tr.rc.sc.Subs[i]
	cb := func(m *nats.Msg) {
		from, seq, ok := strings.Cut(string(m.Data), " ")
		n, err := strconv.Atoi(seq)
		tr.mu.Lock()
		tr.last = time.Now()
		if ok && err == nil {
			tr.hand[i] = append(tr.hand[i], PubKey{from, n})
		} else {
			tr.fails = append(tr.fails, fmt.Errorf("%s: message %q: not a key", spec.ID, m.Data))
		}
		tr.mu.Unlock()
		time.Sleep(spec.Handler.Duration.A)
	}
	nc := tr.ncs[spec.Client]
	var err error
	if spec.Queue != "" {
		tr.subs[i], err = nc.QueueSubscribe(spec.Subject, spec.Queue, cb)
	} else {
		tr.subs[i], err = nc.Subscribe(spec.Subject, cb)
	}
	if err != nil {
		return fmt.Errorf("%s: subscribing %s: %w", tr.rc.sc.Name, spec.ID, err)
	}
	return nil
}

// act performs one action at its time: a subscribe or a drain at once, a
// publish run (and a flush, which waits) in a goroutine of its own, so
// that the next action keeps its time.
func (tr *clusterTrial) act(a *scenario.Action) error {
	sc := tr.rc.sc
	switch {
	case a.Publish != nil:
		p := *a.Publish
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			tr.publish(p, tr.t0.Add(a.At))
		}()
	case a.Flush != nil:
		nc := tr.ncs[a.Flush.Client]
		timeout := cmp.Or(a.Flush.Timeout, 10*time.Second)
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			if err := nc.FlushTimeout(timeout); err != nil {
				tr.fail(fmt.Errorf("%s: line %d: flush: %w", sc.Name, a.Line, err))
			}
		}()
	case a.Subscribe != nil:
		return tr.subscribe(slices.IndexFunc(sc.Subs, func(s scenario.Subscription) bool { return s.ID == a.Subscribe.Sub }))
	case a.DrainSub != nil:
		s := tr.subs[slices.IndexFunc(sc.Subs, func(s scenario.Subscription) bool { return s.ID == a.DrainSub.Sub })]
		if s == nil {
			return fmt.Errorf("%s: line %d: drain_sub %s: not subscribed", sc.Name, a.Line, a.DrainSub.Sub)
		}
		if err := s.Drain(); err != nil {
			return fmt.Errorf("%s: line %d: drain_sub %s: %w", sc.Name, a.Line, a.DrainSub.Sub, err)
		}
	default:
		return fmt.Errorf("%s: line %d: the real cluster runner plays publish, flush, subscribe and drain_sub actions only", sc.Name, a.Line)
	}
	return nil
}

// publish publishes p's messages, Interval apart from start, each
// carrying its key "client rank".
func (tr *clusterTrial) publish(p scenario.Publish, start time.Time) {
	nc := tr.ncs[p.Client]
	for k := range max(p.Count, 1) {
		if !tr.clk.until(start.Add(time.Duration(k) * p.Interval)) {
			return // the trial is over (failed)
		}
		tr.mu.Lock()
		key := PubKey{p.Client, tr.ranks[p.Client]}
		tr.ranks[p.Client]++
		tr.mu.Unlock()
		if err := nc.Publish(p.Subject, []byte(key.From+" "+strconv.Itoa(key.Seq))); err != nil {
			tr.fail(fmt.Errorf("%s: publish %s: %w", tr.rc.sc.Name, p.Subject, err))
			return
		}
		tr.mu.Lock()
		tr.pub = append(tr.pub, key)
		tr.mu.Unlock()
	}
}
