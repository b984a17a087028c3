package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/sim"
)

// measured is a scenario whose handler duration is dist.
func measured(dist string) []byte {
	return []byte(`name: measured
clients: [{name: a}]
subscriptions:
  - {id: s, client: a, subject: x, handler: {duration: "` + dist + `"}}
actions:
  - {at: 0s, publish: {client: a, subject: x}}
`)
}

// writeFile writes data to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	return p
}

// TestParseEmpirical: the file is found relative to the scenario, comments
// and blank lines are skipped, and the values are those recorded. It
// catches resolving the path against the working directory instead.
func TestParseEmpirical(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "data/times.txt", "# handler times, ms\n12ms\n\n  3ms  # fast one\r\n7.5ms\n")
	file := writeFile(t, dir, "s.yaml", string(measured("empirical(data/times.txt)")))
	s, err := Load(file)
	require.NoError(t, err)
	d := s.Subs[0].Handler.Duration
	require.Equal(t, sim.Empirical, d.Kind)
	require.Equal(t, []time.Duration{3 * time.Millisecond, 7500 * time.Microsecond, 12 * time.Millisecond}, d.Table.V)
	require.Equal(t, "empirical(data/times.txt)", d.String())

	// Marshal writes it back as written, and it parses again from the
	// same directory.
	s2, err := Parse(filepath.Join(dir, "again.yaml"), s.Marshal())
	require.NoError(t, err)
	require.Equal(t, d, s2.Subs[0].Handler.Duration)
}

// TestParsePercentilesInScenario: percentiles(...) works wherever a
// distribution does, here the network latency and a handler.
func TestParsePercentilesInScenario(t *testing.T) {
	s, err := Parse("p.yaml", []byte(`name: p
network: {latency: "percentiles(p50=200us, p99=1ms, max=5ms)"}
clients: [{name: a}]
subscriptions:
  - {id: s, client: a, subject: x, handler: {duration: "percentiles(min=1ms,p90=20ms,max=1s)"}}
`))
	require.NoError(t, err)
	require.Equal(t, sim.Percentiles, s.Network.Latency.Kind)
	require.Equal(t, 5*time.Millisecond, s.Network.Latency.B)
	require.Equal(t, time.Millisecond, s.Subs[0].Handler.Duration.A)
}

// TestParseMeasuredErrors checks that each mistake is reported with the
// scenario's file, line and field and, for a bad line of the durations
// file, that file's name, line number and text.
func TestParseMeasuredErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bad.txt", "1ms\n# ok\n2ms\nfast\n")
	writeFile(t, dir, "neg.txt", "1ms\n-2ms\n")
	writeFile(t, dir, "long.txt", "1001h\n")
	writeFile(t, dir, "empty.txt", "# nothing\n\n")
	writeFile(t, dir, "nul.txt", "1ms\x00\n")
	writeFile(t, dir, "big.txt", strings.Repeat("1ms\n", MaxDurationsFileSize/4+1))
	writeFile(t, dir, "many.txt", strings.Repeat("0\n", sim.MaxTablePoints+1))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	at := filepath.Join(dir, "s.yaml") + ":4: subscriptions[0].handler.duration: "
	for dist, want := range map[string]string{
		"empirical(bad.txt)":             at + `distribution "empirical(bad.txt)": ` + filepath.Join(dir, "bad.txt") + `:4: "fast": want a duration between 0 and 1000h`,
		"empirical(neg.txt)":             filepath.Join(dir, "neg.txt") + `:2: "-2ms": want a duration`,
		"empirical(long.txt)":            filepath.Join(dir, "long.txt") + `:1: "1001h": want a duration between 0 and 1000h`,
		"empirical(empty.txt)":           filepath.Join(dir, "empty.txt") + " holds no durations",
		"empirical(nul.txt)":             "file holds NUL bytes",
		"empirical(big.txt)":             "file is larger than 4194304 bytes (4 MiB), the most a file of durations may hold",
		"empirical(missing.txt)":         "reading " + filepath.Join(dir, "missing.txt") + ": no such file or directory",
		"empirical(many.txt)":            filepath.Join(dir, "many.txt") + ":262145: more than 262144 durations",
		"empirical(/dev/zero)":           "reading /dev/zero: not a regular file",
		"empirical(sub)":                 "not a regular file",
		"empirical( )":                   at + `distribution "empirical( )": missing file name`,
		"percentiles(p50=1ms)":           at + `distribution "percentiles(p50=1ms)": missing max=DURATION`,
		"percentiles(p50=1ms,max=1001h)": at + `duration "percentiles(p50=1ms,max=1001h)" exceeds the maximum 1000h`,
	} {
		_, err := Parse(filepath.Join(dir, "s.yaml"), measured(dist))
		require.Error(t, err, dist)
		require.IsType(t, (*Error)(nil), err)
		require.Contains(t, err.Error(), want, dist)
	}
}
