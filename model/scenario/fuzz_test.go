package scenario

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse checks that Parse never panics, that every error it returns is
// an *Error, and that every scenario it accepts survives Marshal and Parse.
func FuzzParse(f *testing.F) {
	for _, data := range goodFiles(f) {
		f.Add(data)
	}
	f.Add([]byte("name: x\nnetwork: {latency: uniform(200us,1ms)}\n"))
	f.Add([]byte("name: x\nnetwork: {latency: \"percentiles(p50=1ms, p99=9ms, max=20ms)\"}\n"))
	f.Add([]byte("name: x\nnetwork: {latency: empirical(testdata/durations.txt)}\n"))
	f.Add([]byte("name: x\nclients: [{name: a}]\nvary: {tie_order: true, seed: true, latency: {min: 1ms, max: 2ms}, disconnects: {max: 1, at: {min: 0s, max: 1s}, clients: [a]}}\n"))
	f.Add([]byte("name: x\nclients: [{name: a}]\nexpect: [no_loss, {max_loss: {count: 1}}, {drain_result: {client: a, result: ok}}, {drain_within: {client: a, time: 1s}}]\n"))
	f.Add([]byte("name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: c}]\nclients: [{name: p, server: a, reconnect_servers: [b], lame_duck: force_reconnect}]\n" +
		"actions: [{at: 0s, lame_duck: {server: a, grace: 1s, duration: 5s}}, {at: 6s, restart_server: {server: a, for: 1s}}, {after: {event: lame_duck, client: p}, close: {client: p}}]\n"))
	f.Add([]byte("name: &a [*a]\n"))
	f.Add([]byte("name: x\n---\nname: y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			require.Nil(t, s)
			require.IsType(t, (*Error)(nil), err)
			return
		}
		out := s.Marshal()
		s2, err := Parse("marshaled.yaml", out)
		require.NoError(t, err, "Marshal output:\n%s", out)
		clearPositions(s)
		clearPositions(s2)
		require.Equal(t, s, s2, "Marshal output:\n%s", out)
	})
}
