package scenario

import (
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/sim"
)

// MaxServers is the most servers a topology may list. A cluster's default
// full mesh has n·(n−1)/2 routes, so this bounds the links too (4,950).
const MaxServers = 100

// Topology is a scenario's set of nats-servers and the links between them
// (docs/cluster.md). A scenario without one runs on a single server.
type Topology struct {
	Servers []ServerNode
	// Routes join two servers of one named cluster. Without a routes:
	// field every cluster is a full mesh; the list here is always explicit.
	Routes []Link
	// Leafnodes join a hub (A) and a spoke (B), the spoke soliciting.
	Leafnodes []Link
	// Gateways join two servers of different clusters.
	Gateways []Link
	Line     int // line of the servers field, for errors found later
}

// ServerNode is one nats-server: its name and the cluster it belongs to
// ("" for a server in no cluster).
type ServerNode struct {
	Name    string
	Cluster string
}

// Link is one connection between servers A and B: two FIFO directions,
// each write delayed by a draw of Latency (network.latency when the file
// gives none).
type Link struct {
	A, B    string
	Latency sim.Dist
}

// Index returns the position of the server named name, or -1.
func (t *Topology) Index(name string) int {
	return slices.IndexFunc(t.Servers, func(s ServerNode) bool { return s.Name == name })
}

// topologyKeys are the top-level fields that describe the topology.
var topologyKeys = []string{"servers", "routes", "leafnodes", "gateways"}

// topology decodes the top-level topology fields, after the others: a
// link's default latency is network.latency, wherever that is written.
func (d *decoder) topology(s *Scenario, fields []field) error {
	byName := map[string]field{}
	for _, f := range fields {
		if slices.Contains(topologyKeys, f.name) {
			byName[f.name] = f
		}
	}
	if len(byName) == 0 {
		return nil
	}
	sf, ok := byName["servers"]
	if !ok {
		for _, k := range topologyKeys[1:] {
			if f, ok := byName[k]; ok {
				return d.errorf(f.line, f.path, "%s need servers: list the servers first (without servers: the scenario runs on one server)", k)
			}
		}
	}
	t := &Topology{Line: sf.line}
	items, err := d.sequence(sf.val, sf.path)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return d.errorf(sf.line, sf.path, "must list at least one server (leave servers out for one server)")
	}
	if len(items) > MaxServers {
		return d.errorf(sf.line, sf.path, "%d servers exceed the maximum of %d", len(items), MaxServers)
	}
	for i, n := range items {
		p := index(sf.path, i)
		var sv ServerNode
		err := d.object(n, p,
			key{"name", true, func(v *yaml.Node, p string) (err error) { sv.Name, err = d.name(v, p); return }},
			key{"cluster", false, func(v *yaml.Node, p string) (err error) { sv.Cluster, err = d.name(v, p); return }})
		if err != nil {
			return err
		}
		if j := t.Index(sv.Name); j >= 0 {
			return d.errorf(d.line(p+".name"), p+".name", "duplicate server name %q (first used by servers[%d])", sv.Name, j)
		}
		t.Servers = append(t.Servers, sv)
	}
	lat := s.Network.Latency
	if f, ok := byName["routes"]; ok {
		if t.Routes, err = d.links(t, f, lat, "between", "mesh"); err != nil {
			return err
		}
	} else {
		t.Routes = t.mesh("", lat)
	}
	if f, ok := byName["leafnodes"]; ok {
		if t.Leafnodes, err = d.links(t, f, lat, "hub", "spoke"); err != nil {
			return err
		}
	}
	if f, ok := byName["gateways"]; ok {
		if t.Gateways, err = d.links(t, f, lat, "between"); err != nil {
			return err
		}
	}
	s.Topology = t // its links are checked with the other rules that span fields (validate)
	return nil
}

// mesh returns a route between every two servers of cluster, or of every
// named cluster when cluster is "".
func (t *Topology) mesh(cluster string, lat sim.Dist) []Link {
	var out []Link
	for i, a := range t.Servers {
		for _, b := range t.Servers[i+1:] {
			if a.Cluster != "" && a.Cluster == b.Cluster && (cluster == "" || a.Cluster == cluster) {
				out = append(out, Link{A: a.Name, B: b.Name, Latency: lat})
			}
		}
	}
	return out
}

// links decodes a list of links. Routes and gateways name their ends with
// between: [a, b] (a route item may instead give mesh: CLUSTER, every pair
// of that cluster); leaf nodes with hub: and spoke:.
func (d *decoder) links(t *Topology, f field, lat sim.Dist, ends ...string) ([]Link, error) {
	items, err := d.sequence(f.val, f.path)
	if err != nil {
		return nil, err
	}
	if len(items) > MaxServers*MaxServers {
		return nil, d.errorf(f.line, f.path, "%d links exceed the maximum of %d", len(items), MaxServers*MaxServers)
	}
	var out []Link
	for i, n := range items {
		p := index(f.path, i)
		l := Link{Latency: lat}
		mesh := ""
		server := func(v *yaml.Node, p string, into *string) error {
			name, err := d.name(v, p)
			if err == nil && t.Index(name) < 0 {
				err = d.errorf(v.Line, p, "%s", unknownName("server", name, t.names()))
			}
			*into = name
			return err
		}
		keys := []key{{"latency", false, func(v *yaml.Node, p string) (err error) { l.Latency, err = d.dist(v, p); return }}}
		switch ends[0] {
		case "between":
			keys = append(keys, key{"between", ends[len(ends)-1] != "mesh", func(v *yaml.Node, p string) error {
				pair, err := d.serverPair(v, p)
				if err == nil {
					err = server(pair[0], index(p, 0), &l.A)
				}
				if err == nil {
					err = server(pair[1], index(p, 1), &l.B)
				}
				return err
			}})
		case "hub":
			keys = append(keys,
				key{"hub", true, func(v *yaml.Node, p string) error { return server(v, p, &l.A) }},
				key{"spoke", true, func(v *yaml.Node, p string) error { return server(v, p, &l.B) }})
		}
		if ends[len(ends)-1] == "mesh" {
			keys = append(keys, key{"mesh", false, func(v *yaml.Node, p string) (err error) { mesh, err = d.name(v, p); return }})
		}
		if err := d.object(n, p, keys...); err != nil {
			return nil, err
		}
		switch {
		case mesh != "" && l.A != "":
			return nil, d.errorf(n.Line, p, "give either between: or mesh:, not both")
		case mesh == "" && l.A == "":
			return nil, d.errorf(n.Line, p, "missing between: [a, b] or mesh: CLUSTER")
		case mesh != "":
			if !slices.ContainsFunc(t.Servers, func(s ServerNode) bool { return s.Cluster == mesh }) {
				return nil, d.errorf(d.line(p+".mesh"), p+".mesh", "%s", unknownName("cluster", mesh, t.clusters()))
			}
			out = append(out, t.mesh(mesh, l.Latency)...)
			continue
		}
		if l.A == l.B {
			field := p + "." + ends[0]
			if ends[0] == "hub" {
				field = p + ".spoke"
			}
			return nil, d.errorf(d.line(field), field, "links server %q to itself; want two different servers", l.A)
		}
		out = append(out, l)
	}
	return out, nil
}

// serverPair decodes between: [a, b], the two servers a link joins, as
// nodes.
func (d *decoder) serverPair(v *yaml.Node, p string) ([]*yaml.Node, error) {
	pair, err := d.sequence(v, p)
	if err == nil && len(pair) != 2 {
		err = d.errorf(v.Line, p, "want the two servers the link joins, such as [a, b]; got %d items", len(pair))
	}
	return pair, err
}

// checkLinks refuses links nats-server would not form or that make no
// sense together: a route between clusters or with a server in none, a
// gateway inside one cluster or from a server in none, the same pair
// linked twice, and a leaf loop: a cycle of leaf connections between
// clusters (a server in no cluster counts as a cluster of its own), which
// nats-server detects and closes ("Loop detected").
func (d *decoder) checkLinks(t *Topology) error {
	cluster := func(name string) string { return t.Servers[t.Index(name)].Cluster }
	seen := map[[2]string]string{}
	for _, kind := range []struct {
		path  string
		links []Link
	}{{"routes", t.Routes}, {"leafnodes", t.Leafnodes}, {"gateways", t.Gateways}} {
		for i, l := range kind.links {
			p := index(kind.path, i)
			line := d.line(p + ".between")
			if line == 0 {
				line = d.line(p + ".hub")
			}
			if line == 0 {
				line = d.line(p + ".mesh")
			}
			for _, end := range [...]string{l.A, l.B} {
				if t.Index(end) < 0 { // only in a value built in code: the decoder refuses it (links)
					return d.errorf(line, p, "%s", unknownName("server", end, t.names()))
				}
			}
			ca, cb := cluster(l.A), cluster(l.B)
			switch kind.path {
			case "routes":
				if ca == "" || ca != cb {
					return d.errorf(line, p, "a route joins two servers of one named cluster; %q is in cluster %q and %q in cluster %q (use a gateway between clusters)", l.A, ca, l.B, cb)
				}
			case "gateways":
				if ca == "" || cb == "" || ca == cb {
					return d.errorf(line, p, "a gateway joins servers of two different named clusters; %q is in cluster %q and %q in cluster %q (use a route inside a cluster)", l.A, ca, l.B, cb)
				}
			}
			pair := [2]string{min(l.A, l.B), max(l.A, l.B)}
			if prev, dup := seen[pair]; dup {
				return d.errorf(line, p, "servers %q and %q are already linked by %s; want at most one link per pair", l.A, l.B, prev)
			}
			seen[pair] = p
		}
	}
	// Leaf loops: union-find over clusters; a leaf link whose ends are
	// already connected by leaf links closes a cycle.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			r := find(p)
			parent[x] = r
			return r
		}
		return x
	}
	node := func(name string) string {
		if c := cluster(name); c != "" {
			return "cluster " + c
		}
		return "server " + name
	}
	for i, l := range t.Leafnodes {
		a, b := find(node(l.A)), find(node(l.B))
		if a == b {
			p := index("leafnodes", i)
			return d.errorf(d.line(p+".hub"), p, "leaf loop: hub %q (%s) and spoke %q (%s) are already joined by leaf connections (or share a cluster); nats-server closes such a connection (\"Loop detected\"); want leaf connections that form a tree between clusters",
				l.A, node(l.A), l.B, node(l.B))
		}
		parent[a] = b
	}
	return nil
}

// names returns the server names in file order, for suggestions.
func (t *Topology) names() []string {
	out := make([]string, len(t.Servers))
	for i, s := range t.Servers {
		out[i] = s.Name
	}
	return out
}

// clusters returns the cluster names in first-use order, for suggestions.
func (t *Topology) clusters() []string {
	var out []string
	for _, s := range t.Servers {
		if s.Cluster != "" && !slices.Contains(out, s.Cluster) {
			out = append(out, s.Cluster)
		}
	}
	return out
}

// validateClientServers checks that every client's server and reconnect
// servers, and every lame_duck and restart_server action's server, exist,
// and every cut_link action names two linked servers: with no topology,
// no client or action may name one, and no client may react to lame-duck
// mode.
func (d *decoder) validateClientServers(s *Scenario) error {
	var names []string
	if s.Topology != nil {
		names = s.Topology.names()
	}
	for i, c := range s.Clients {
		p := index("clients", i)
		check := func(path, name string) error {
			line := d.line(path)
			if line == 0 { // an item of reconnect_servers
				line = d.line(p + ".reconnect_servers")
			}
			if !slices.Contains(names, name) {
				msg := unknownName("server", name, names)
				if s.Topology == nil {
					msg += ": list the servers under servers: to attach clients to them"
				}
				return d.errorf(line, path, "%s", msg)
			}
			return nil
		}
		if c.Server != "" {
			if err := check(p+".server", c.Server); err != nil {
				return err
			}
		}
		for j, r := range c.ReconnectServers {
			if err := check(index(p+".reconnect_servers", j), r); err != nil {
				return err
			}
		}
		if c.LameDuck != LameDuckIgnore && s.Topology == nil {
			path := p + ".lame_duck"
			return d.errorf(d.line(path), path, "a reaction to lame-duck mode needs servers to move between: list them under servers: (or leave lame_duck out)")
		}
	}
	for i, a := range s.Actions {
		if a.CutLink != nil {
			if err := d.validateCut(s.Topology, index("actions", i)+".cut_link.between", a.CutLink); err != nil {
				return err
			}
		}
		if a.RestartServer != nil && a.RestartServer.Server != "" {
			path := index("actions", i) + ".restart_server.server"
			if err := d.knownServer(s, names, path, a.RestartServer.Server, "without servers: restart_server restarts the only server; leave server out"); err != nil {
				return err
			}
		}
		if a.LameDuck == nil {
			continue
		}
		path := index("actions", i) + ".lame_duck.server"
		if err := d.knownServer(s, names, path, a.LameDuck.Server, "lame-duck mode needs servers: (one server shutting down for good leaves its clients nowhere to go)"); err != nil {
			return err
		}
		for j, b := range s.Actions[:i] {
			if b.LameDuck != nil && b.LameDuck.Server == a.LameDuck.Server {
				return d.errorf(d.line(path), path, "server %q already enters lame-duck mode in actions[%d]: a server shuts down once; want one lame_duck action per server", a.LameDuck.Server, j)
			}
		}
	}
	return nil
}

// validateCut checks that the servers a cut_link names exist and that a
// route, leaf connection or gateway joins them. A server that is down when
// the cut comes is fine: the cut then only keeps the link from connecting
// again until it ends.
func (d *decoder) validateCut(t *Topology, path string, c *CutLink) error {
	if t == nil {
		return d.errorf(d.line(path), path, "cut_link cuts a link between servers: list them under servers: (a client's connection breaks with disconnect)")
	}
	names := t.names()
	for i, name := range c.Between {
		if !slices.Contains(names, name) {
			p := index(path, i)
			return d.errorf(d.line(path), p, "%s", unknownName("server", name, names))
		}
	}
	if !t.Linked(c.Between[0], c.Between[1]) {
		return d.errorf(d.line(path), path, "servers %q and %q are not linked: no route, leaf connection or gateway joins them; want two servers listed together under routes:, leafnodes: or gateways:", c.Between[0], c.Between[1])
	}
	return nil
}

// Linked reports whether a route, leaf connection or gateway joins
// servers a and b (in either order).
func (t *Topology) Linked(a, b string) bool {
	joins := func(l Link) bool { return l.A == a && l.B == b || l.A == b && l.B == a }
	return slices.ContainsFunc(t.Routes, joins) || slices.ContainsFunc(t.Leafnodes, joins) || slices.ContainsFunc(t.Gateways, joins)
}

// marshalTopology renders t as top-level fields; every route is explicit.
func marshalTopology(t *Topology) []string {
	out := []string{"servers:"}
	for _, s := range t.Servers {
		p := pairs{"name: " + quote(s.Name)}
		if s.Cluster != "" {
			p.add("cluster", quote(s.Cluster))
		}
		out = append(out, "  - "+p.flow())
	}
	link := func(key string, ls []Link, ends func(Link) pairs) {
		out = append(out, key+":")
		if len(ls) == 0 {
			out[len(out)-1] += " []"
		}
		for _, l := range ls {
			p := ends(l)
			p.add("latency", dist(l.Latency))
			out = append(out, "  - "+p.flow())
		}
	}
	ends := func(l Link) pairs { return pairs{between(l.A, l.B)} }
	link("routes", t.Routes, ends)
	if len(t.Leafnodes) > 0 {
		link("leafnodes", t.Leafnodes, func(l Link) pairs { return pairs{"hub: " + quote(l.A), "spoke: " + quote(l.B)} })
	}
	if len(t.Gateways) > 0 {
		link("gateways", t.Gateways, ends)
	}
	return out
}

// between renders the field naming the two servers of a link.
func between(a, b string) string { return "between: [" + quote(a) + ", " + quote(b) + "]" }

// knownServer refuses an action's server name that is not one of names,
// adding noServers to the message when the scenario lists no servers.
func (d *decoder) knownServer(s *Scenario, names []string, path, name, noServers string) error {
	if slices.Contains(names, name) {
		return nil
	}
	msg := unknownName("server", name, names)
	if s.Topology == nil {
		msg += ": " + noServers
	}
	return d.errorf(d.line(path), path, "%s", msg)
}
