package scenario

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestLimits holds the reproducers of issue 11 that the parser answers:
// values beyond a documented limit are refused with the field, the value
// and the allowed range, where they once overflowed, wrapped or allocated.
// Each case fails if its limit check is removed (the value then parses).
func TestLimits(t *testing.T) {
	const head = "name: x\nclients: [{name: app}]\n" // lines 1-2
	for _, c := range []struct{ name, src, want string }{
		{"drain_timeout too long for a Duration (said 'bad duration')",
			"name: x\nclients: [{name: app, drain_timeout: 3000000h}]\n",
			`bad.yaml:2: clients[0].drain_timeout: duration "3000000h" exceeds the maximum 1000h (allowed: 0 to 1000h)`},
		{"drain_timeout that wrapped the deadline at t = 50 min",
			"name: x\nclients: [{name: app, drain_timeout: 2562047h}]\n",
			`bad.yaml:2: clients[0].drain_timeout: duration "2562047h" exceeds the maximum 1000h (allowed: 0 to 1000h)`},
		{"disconnect that wrapped the end of the outage",
			head + "actions:\n  - {at: 50m, disconnect: {client: app, for: 2562047h}}\n",
			`bad.yaml:4: actions[0].disconnect.for: duration "2562047h" exceeds the maximum 1000h (allowed: 0 to 1000h)`},
		{"duration just over the maximum",
			head + "actions:\n  - {at: 1000h0m0.000000001s, close: {client: app}}\n",
			`bad.yaml:4: actions[0].at: duration "1000h0m0.000000001s" exceeds the maximum 1000h`},
		{"distribution parameter over the maximum",
			"name: x\nnetwork: {latency: \"uniform(1ms,1001h)\"}\n",
			`bad.yaml:2: network.latency: duration "uniform(1ms,1001h)" exceeds the maximum 1000h`},
		{"distribution parameter too long for a Duration",
			"name: x\nnetwork: {latency: \"exp(3000000h)\"}\n",
			`bad.yaml:2: network.latency: duration "exp(3000000h)" exceeds the maximum 1000h`},
		{"max_time over the maximum",
			"name: x\nlimits: {max_time: 1001h}\n",
			`bad.yaml:2: limits.max_time: duration "1001h" exceeds the maximum 1000h`},
		{"publish count near 2^62 (panicked in the ledger's pre-sizing)",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: a, count: 4611686018427387904}}\n",
			`bad.yaml:4: actions[0].publish.count: 4611686018427387904 exceeds the maximum 1000000000 (allowed: 1 to 1000000000)`},
		{"request count 2^63-1",
			head + "actions:\n  - {at: 0s, request: {client: app, subject: a, count: 9223372036854775807}}\n",
			`bad.yaml:4: actions[0].request.count: 9223372036854775807 exceeds the maximum 1000000000 (allowed: 1 to 1000000000)`},
		{"count beyond 64 bits",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: a, count: 18446744073709551616}}\n",
			`bad.yaml:4: actions[0].publish.count: 18446744073709551616 exceeds the maximum 1000000000`},
		{"auto-unsubscribe max beyond the wire's int32",
			"name: x\nclients: [{name: app}]\nsubscriptions: [{id: s, client: app, subject: a, max: 2147483648}]\n",
			`bad.yaml:3: subscriptions[0].max: 2147483648 exceeds the maximum 1000000000 (allowed: 0 to 1000000000)`},
		{"pending_msgs_limit far below",
			"name: x\nclients: [{name: app, pending_msgs_limit: -9223372036854775808}]\n",
			`bad.yaml:2: clients[0].pending_msgs_limit: must be at least -1000000000, got -9223372036854775808 (allowed: -1000000000 to 1000000000)`},
		{"max_reconnect beyond 64 bits, negative",
			"name: x\nclients: [{name: app, max_reconnect: -99999999999999999999}]\n",
			`bad.yaml:2: clients[0].max_reconnect: must be at least -1000000000, got -99999999999999999999`},
		{"size over the maximum",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: a, size: 2TiB}}\n",
			`bad.yaml:4: actions[0].publish.size: size "2TiB" exceeds the maximum 1TiB (1099511627776 bytes)`},
		{"size too large for 64 bits",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: a, size: 99999999999TiB}}\n",
			`bad.yaml:4: actions[0].publish.size: size "99999999999TiB" exceeds the maximum 1TiB`},
		{"size as an integer over the maximum",
			"name: x\nserver: {max_pending: 1099511627777}\n",
			`bad.yaml:2: server.max_pending: 1099511627777 exceeds the maximum 1099511627776 (allowed: 0 to 1099511627776)`},
		{"bandwidth over the maximum",
			"name: x\nnetwork: {bandwidth: 2TiB/s}\n",
			`bad.yaml:2: network.bandwidth: bandwidth "2TiB/s" exceeds the maximum 1TiB/s (1099511627776 bytes per second)`},
		{"max_events over the maximum",
			"name: x\nlimits: {max_events: 10000000001}\n",
			`bad.yaml:2: limits.max_events: 10000000001 exceeds the maximum 10000000000 (allowed: 1 to 10000000000)`},
		{"max_records over the maximum",
			"name: x\nlimits: {max_records: 1000000001}\n",
			`bad.yaml:2: limits.max_records: 1000000001 exceeds the maximum 1000000000 (allowed: 1 to 1000000000)`},
		{"invalid UTF-8 names its line",
			"name: x\ndescription: ok\nclients: [{name: \"ab\xc3\"}]\n",
			`bad.yaml:3: invalid UTF-8 (byte 0xc3 at column 21): want UTF-8 text without control characters`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse("bad.yaml", []byte(c.src))
			require.Nil(t, s)
			require.Error(t, err)
			require.IsType(t, (*Error)(nil), err)
			require.True(t, strings.HasPrefix(err.Error(), c.want), "got  %s\nwant %s", err, c.want)
		})
	}
}

// TestLimitsAllowTheMaximum checks that every limit is inclusive: the
// largest allowed values parse. It catches an off-by-one in a bound.
func TestLimitsAllowTheMaximum(t *testing.T) {
	s, err := Parse("max.yaml", []byte(`name: max
limits: {max_time: 1000h, max_events: 10000000000}
network: {bandwidth: 1TiB/s, latency: "uniform(0s,1000h)"}
server: {max_pending: 1TiB}
clients: [{name: app, drain_timeout: 1000h, max_reconnect: -1000000000, pending_msgs_limit: 1000000000, pending_bytes_limit: -1099511627776}]
subscriptions: [{id: s, client: app, subject: a, max: 1000000000}]
actions:
  - {at: 1000h, publish: {client: app, subject: a, count: 1000000000, size: 1099511627776, interval: 1000h}}
`))
	require.NoError(t, err)
	require.Equal(t, MaxCount, s.Actions[0].Publish.Count)
	require.Equal(t, MaxDuration, *s.Clients[0].DrainTimeout)
	require.Equal(t, MaxBytes, s.Network.Bandwidth)
}

// TestReadFileLimit: a file larger than MaxFileSize (here /dev/zero, which
// never ends) is refused after reading at most MaxFileSize+1 bytes; it was
// read without a limit, gigabytes at a time. It fails if the limit goes.
func TestReadFileLimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := Load("/dev/zero")
	require.EqualError(t, err, "/dev/zero: file is larger than 16777216 bytes (16 MiB), the most a scenario or sweep file may hold")
}

// TestListLimit: a list longer than MaxItems is refused at its line, before
// its items are decoded. The list is built as a YAML tree (one item node
// repeated): a file of a million items takes seconds to parse.
func TestListLimit(t *testing.T) {
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 4}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: 3, Content: make([]*yaml.Node, MaxItems+1)}
	for i := range seq.Content {
		seq.Content[i] = item
	}
	d := &decoder{file: "long.yaml", lines: map[string]int{}}
	_, err := list(d, seq, "clients", d.client)
	require.EqualError(t, err, "long.yaml:3: clients: 1000001 items exceed the maximum of 1000000")
	seq.Content = seq.Content[:1]
	_, err = list(d, seq, "clients", d.client)
	require.EqualError(t, err, "long.yaml:4: clients[0].name: missing required field", "a short list is decoded item by item")
}
