package scenario

import (
	"time"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/sim"
)

// TestTopology checks what a topology parses to: a mesh: item and a
// missing routes: field both become explicit routes, and a link without a
// latency takes network.latency.
func TestTopology(t *testing.T) {
	s, err := Load("testdata/good/topology.yaml")
	require.NoError(t, err)
	tp := s.Topology
	require.NotNil(t, tp)
	require.Equal(t, []ServerNode{{"a", "east"}, {"b", "east"}, {"c", "east"}, {"x", "west"}, {"leaf", ""}}, tp.Servers)
	ms := sim.Const(1e6)
	require.Equal(t, []Link{{"a", "b", ms}, {"a", "c", ms}, {"b", "c", ms}}, tp.Routes)
	require.Equal(t, []Link{{"c", "leaf", sim.Dist{Kind: sim.Uniform, A: 1e6, B: 2e6}}}, tp.Leafnodes)
	require.Equal(t, []Link{{"a", "x", sim.Const(20e6)}}, tp.Gateways)
	require.Equal(t, "a", s.Clients[0].Server)
	require.Equal(t, []string{"b", "c"}, s.Clients[0].ReconnectServers)

	// Without routes: every cluster is a full mesh at network.latency.
	s, err = Parse("m.yaml", []byte("name: m\nservers: [{name: a, cluster: c}, {name: b, cluster: c}, {name: z}]\nnetwork: {latency: 3ms}\n"))
	require.NoError(t, err)
	require.Equal(t, []Link{{"a", "b", sim.Const(3e6)}}, s.Topology.Routes)

	// No servers: no topology, as before.
	s, err = Parse("one.yaml", []byte("name: one\nclients: [{name: a}]\n"))
	require.NoError(t, err)
	require.Nil(t, s.Topology)
}

// TestBadTopology checks that each topology nats-server would not form,
// or that names what does not exist, is refused with file, line, field
// and what was expected. Each case would pass a parser that lacked the
// check its name gives.
func TestBadTopology(t *testing.T) {
	const two = "name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: c}]\n"
	cases := []struct{ name, src, want string }{
		{"client on an unknown server", two + "clients: [{name: p, server: z}]\n",
			`bad.yaml:3: clients[0].server: unknown server "z"`},
		{"reconnect server unknown", two + "clients: [{name: p, server: a, reconnect_servers: [b, qqqq]}]\n",
			`bad.yaml:3: clients[0].reconnect_servers[1]: unknown server "qqqq" (want one of a, b)`},
		{"client server without servers", "name: x\nclients: [{name: p, server: a}]\n",
			`bad.yaml:2: clients[0].server: unknown server "a" (no servers are defined): list the servers under servers: to attach clients to them`},
		{"duplicate server", "name: x\nservers:\n  - {name: a}\n  - {name: a}\n",
			`bad.yaml:4: servers[1].name: duplicate server name "a" (first used by servers[0])`},
		{"route to itself", two + "routes: [{between: [a, a]}]\n",
			`bad.yaml:3: routes[0].between: links server "a" to itself; want two different servers`},
		{"leaf to itself", two + "leafnodes: [{hub: a, spoke: a}]\n",
			`bad.yaml:3: leafnodes[0].spoke: links server "a" to itself; want two different servers`},
		{"route between clusters", "name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: d}]\nroutes: [{between: [a, b]}]\n",
			`bad.yaml:3: routes[0]: a route joins two servers of one named cluster; "a" is in cluster "c" and "b" in cluster "d" (use a gateway between clusters)`},
		{"route to a server in no cluster", "name: x\nservers: [{name: a}, {name: b}]\nroutes: [{between: [a, b]}]\n",
			`bad.yaml:3: routes[0]: a route joins two servers of one named cluster; "a" is in cluster "" and "b" in cluster "" (use a gateway between clusters)`},
		{"gateway inside one cluster", two + "gateways: [{between: [a, b]}]\n",
			`bad.yaml:3: gateways[0]: a gateway joins servers of two different named clusters; "a" is in cluster "c" and "b" in cluster "c" (use a route inside a cluster)`},
		{"leaf loop", "name: x\nservers: [{name: h1, cluster: hub}, {name: h2, cluster: hub}, {name: l}]\nleafnodes:\n  - {hub: h1, spoke: l}\n  - {hub: h2, spoke: l}\n",
			`bad.yaml:5: leafnodes[1]: leaf loop: hub "h2" (cluster hub) and spoke "l" (server l) are already joined by leaf connections (or share a cluster); nats-server closes such a connection ("Loop detected"); want leaf connections that form a tree between clusters`},
		{"leaf inside one cluster", two + "routes: []\nleafnodes: [{hub: a, spoke: b}]\n",
			`bad.yaml:4: leafnodes[0]: leaf loop: hub "a" (cluster c) and spoke "b" (cluster c) are already joined by leaf connections (or share a cluster); nats-server closes such a connection ("Loop detected"); want leaf connections that form a tree between clusters`},
		{"same pair twice", two + "routes: [{between: [a, b]}, {between: [b, a]}]\n",
			`bad.yaml:3: routes[1]: servers "b" and "a" are already linked by routes[0]; want at most one link per pair`},
		{"link to an unknown server", two + "routes: [{between: [a, bb]}]\n",
			`bad.yaml:3: routes[0].between[1]: unknown server "bb" (did you mean "b"?)`},
		{"mesh of an unknown cluster", two + "routes: [{mesh: cc}]\n",
			`bad.yaml:3: routes[0].mesh: unknown cluster "cc" (did you mean "c"?)`},
		{"between and mesh", two + "routes: [{mesh: c, between: [a, b]}]\n",
			`bad.yaml:3: routes[0]: give either between: or mesh:, not both`},
		{"neither between nor mesh", two + "routes: [{latency: 1ms}]\n",
			`bad.yaml:3: routes[0]: missing between: [a, b] or mesh: CLUSTER`},
		{"between with three servers", two + "gateways: [{between: [a, b, a]}]\n",
			`bad.yaml:3: gateways[0].between: want the two servers the link joins, such as [a, b]; got 3 items`},
		{"routes without servers", "name: x\nroutes: []\n",
			`bad.yaml:2: routes: routes need servers: list the servers first (without servers: the scenario runs on one server)`},
		{"no servers listed", "name: x\nservers: []\n",
			`bad.yaml:2: servers: must list at least one server (leave servers out for one server)`},
		{"a bad link latency", two + "routes: [{mesh: c, latency: soon}]\n",
			`bad.yaml:3: routes[0].latency: `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.src))
			require.Error(t, err)
			require.IsType(t, (*Error)(nil), err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// TestTooManyServers checks the bound on servers, which bounds a default
// mesh's n·(n−1)/2 routes: without it a hostile file of 100,000 servers
// in one cluster would ask for 5·10⁹ routes.
func TestTooManyServers(t *testing.T) {
	src := "name: x\nservers:\n"
	for i := range MaxServers + 1 {
		src += "  - {name: s" + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + ", cluster: c}\n"
	}
	_, err := Parse("many.yaml", []byte(src))
	require.EqualError(t, err, "many.yaml:2: servers: 101 servers exceed the maximum of 100")
}

// TestLameDuck checks the lame_duck action and the client's reaction: the
// defaults are nats-server's (grace 10 s, duration 2 min), and both
// survive Marshal. (Breaks it catches: other defaults, or a marshaller
// that drops the fields.)
func TestLameDuck(t *testing.T) {
	src := "name: l\nservers: [{name: a, cluster: c}, {name: b, cluster: c}]\n" +
		"clients: [{name: p, server: a, reconnect_servers: [b], lame_duck: force_reconnect}, {name: q, server: b}]\n" +
		"actions:\n  - {at: 1ms, lame_duck: {server: a}}\n  - {at: 2ms, lame_duck: {server: b, grace: 1s, duration: 3s}}\n" +
		"  - {after: {event: lame_duck, client: q}, close: {client: q}}\n"
	s, err := Parse("l.yaml", []byte(src))
	require.NoError(t, err)
	require.Equal(t, LameDuckForceReconnect, s.Clients[0].LameDuck)
	require.Equal(t, LameDuckIgnore, s.Clients[1].LameDuck)
	require.Equal(t, &LameDuck{Server: "a", Grace: 10 * time.Second, Duration: 2 * time.Minute}, s.Actions[0].LameDuck)
	require.Equal(t, &LameDuck{Server: "b", Grace: time.Second, Duration: 3 * time.Second}, s.Actions[1].LameDuck)
	require.Equal(t, LameDuckNotice, s.Actions[2].After.Event)
	out := s.Marshal()
	back, err := Parse("l.yaml", out)
	require.NoError(t, err, string(out))
	require.Equal(t, s.Clients[0].LameDuck, back.Clients[0].LameDuck)
	for i := range 3 {
		require.Equal(t, s.Actions[i].LameDuck, back.Actions[i].LameDuck)
		if s.Actions[i].After != nil {
			require.Equal(t, s.Actions[i].After.Event, back.Actions[i].After.Event)
			require.Equal(t, s.Actions[i].After.Client, back.Actions[i].After.Client)
		}
	}
}

// TestBadLameDuck checks that lame-duck mode nats-server would refuse,
// or that names what does not exist, is refused with file, line, field
// and what was expected; each case would pass a parser without the check
// its name gives.
func TestBadLameDuck(t *testing.T) {
	const two = "name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: c}]\nclients: [{name: p}]\n"
	cases := []struct{ name, src, want string }{
		{"unknown server", two + "actions:\n  - {at: 0s, lame_duck: {server: qqqq}}\n",
			`bad.yaml:5: actions[0].lame_duck.server: unknown server "qqqq" (want one of a, b)`},
		{"no servers", "name: x\nclients: [{name: p}]\nactions:\n  - {at: 0s, lame_duck: {server: a}}\n",
			`bad.yaml:4: actions[0].lame_duck.server: unknown server "a" (no servers are defined): lame-duck mode needs servers: (one server shutting down for good leaves its clients nowhere to go)`},
		{"grace not below duration", two + "actions:\n  - {at: 0s, lame_duck: {server: a, grace: 30s, duration: 30s}}\n",
			`bad.yaml:5: actions[0].lame_duck: lame-duck grace 30s is not below its duration 30s: nats-server refuses that (lame_duck_grace_period must be less than lame_duck_duration; defaults 10s and 2m); want grace < duration`},
		{"default grace above a short duration", two + "actions:\n  - {at: 0s, lame_duck: {server: a, duration: 5s}}\n",
			`bad.yaml:5: actions[0].lame_duck: lame-duck grace 10s is not below its duration 5s: nats-server refuses that (lame_duck_grace_period must be less than lame_duck_duration; defaults 10s and 2m); want grace < duration`},
		{"twice on one server", two + "actions:\n  - {at: 0s, lame_duck: {server: a}}\n  - {at: 1s, lame_duck: {server: a}}\n",
			`bad.yaml:6: actions[1].lame_duck.server: server "a" already enters lame-duck mode in actions[0]: a server shuts down once; want one lame_duck action per server`},
		{"no server field", two + "actions:\n  - {at: 0s, lame_duck: {grace: 1s}}\n",
			`bad.yaml:5: actions[0].lame_duck.server: missing required field`},
		{"unknown reaction", "name: x\nservers: [{name: a, cluster: c}]\nclients: [{name: p, lame_duck: make_before_break}]\n",
			`bad.yaml:3: clients[0].lame_duck: unknown lame-duck reaction "make_before_break": want ignore or force_reconnect (make-before-break is a second client whose actions wait for the lame_duck event, docs/cluster.md#lame-duck-mode)`},
		{"reaction without servers", "name: x\nclients: [{name: p, lame_duck: force_reconnect}]\n",
			`bad.yaml:2: clients[0].lame_duck: a reaction to lame-duck mode needs servers to move between: list them under servers: (or leave lame_duck out)`},
		{"lame_duck event without client", two + "actions:\n  - {after: {event: lame_duck}, close: {client: p}}\n",
			`bad.yaml:5: actions[0].after.client: missing required field (event lame_duck needs client)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.src))
			require.Error(t, err)
			require.Equal(t, c.want, err.Error())
		})
	}
}

// TestCutLink checks the cut_link action: both ends in either order, a
// route, a leaf connection or a gateway, a server that is down at the
// cut, and that it survives Marshal. (Breaks it catches: a parser that
// loses either end or the duration, or a marshaller that drops them.)
func TestCutLink(t *testing.T) {
	src := "name: c\nservers: [{name: a, cluster: c}, {name: b, cluster: c}, {name: x, cluster: d}, {name: l}]\n" +
		"gateways: [{between: [a, x]}]\nleafnodes: [{hub: b, spoke: l}]\nclients: [{name: p}]\n" +
		"actions:\n  - {at: 1ms, cut_link: {between: [b, a], for: 50ms}}\n  - {at: 2ms, cut_link: {between: [x, a], for: 1s}}\n" +
		"  - {at: 3ms, restart_server: {server: l, for: 1s}}\n  - {at: 4ms, cut_link: {between: [l, b], for: 2s}}\n"
	s, err := Parse("c.yaml", []byte(src))
	require.NoError(t, err)
	require.Equal(t, &CutLink{Between: [2]string{"b", "a"}, For: 50 * time.Millisecond}, s.Actions[0].CutLink)
	require.Equal(t, &CutLink{Between: [2]string{"x", "a"}, For: time.Second}, s.Actions[1].CutLink)
	require.Equal(t, &CutLink{Between: [2]string{"l", "b"}, For: 2 * time.Second}, s.Actions[3].CutLink)
	require.Equal(t, "cut_link", s.Actions[0].Kind())
	out := s.Marshal()
	back, err := Parse("c.yaml", out)
	require.NoError(t, err, string(out))
	for i := range s.Actions {
		require.Equal(t, s.Actions[i].CutLink, back.Actions[i].CutLink)
	}
}

// TestBadCutLink checks that a cut_link naming what does not exist, or no
// cut at all, is refused with file, line, field and what was expected;
// each case would pass a parser without the check its name gives.
func TestBadCutLink(t *testing.T) {
	const three = "name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: c}, {name: z}]\nclients: [{name: p}]\n"
	cases := []struct{ name, src, want string }{
		{"unknown server", three + "actions:\n  - {at: 0s, cut_link: {between: [a, qqqq], for: 1s}}\n",
			`bad.yaml:5: actions[0].cut_link.between[1]: unknown server "qqqq" (want one of a, b, z)`},
		{"not linked", three + "actions:\n  - {at: 0s, cut_link: {between: [a, z], for: 1s}}\n",
			`bad.yaml:5: actions[0].cut_link.between: servers "a" and "z" are not linked: no route, leaf connection or gateway joins them; want two servers listed together under routes:, leafnodes: or gateways:`},
		{"itself", three + "actions:\n  - {at: 0s, cut_link: {between: [a, a], for: 1s}}\n",
			`bad.yaml:5: actions[0].cut_link.between: servers "a" and "a" are not linked: no route, leaf connection or gateway joins them; want two servers listed together under routes:, leafnodes: or gateways:`},
		{"zero for", three + "actions:\n  - {at: 0s, cut_link: {between: [a, b], for: 0s}}\n",
			`bad.yaml:5: actions[0].cut_link.for: a cut of 0s cuts nothing; want a duration above zero such as 100ms`},
		{"negative for", three + "actions:\n  - {at: 0s, cut_link: {between: [a, b], for: -1s}}\n",
			`bad.yaml:5: actions[0].cut_link.for: duration "-1s" must not be negative (allowed: 0 to 1000h)`},
		{"no for", three + "actions:\n  - {at: 0s, cut_link: {between: [a, b]}}\n",
			`bad.yaml:5: actions[0].cut_link.for: missing required field`},
		{"three servers", three + "actions:\n  - {at: 0s, cut_link: {between: [a, b, z], for: 1s}}\n",
			`bad.yaml:5: actions[0].cut_link.between: want the two servers the link joins, such as [a, b]; got 3 items`},
		{"no servers", "name: x\nclients: [{name: p}]\nactions:\n  - {at: 0s, cut_link: {between: [a, b], for: 1s}}\n",
			`bad.yaml:4: actions[0].cut_link.between: cut_link cuts a link between servers: list them under servers: (a client's connection breaks with disconnect)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.src))
			require.Error(t, err)
			require.Equal(t, c.want, err.Error())
		})
	}
}
