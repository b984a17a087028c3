package explore

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/internal/template"
	"github.com/drainsim/drainsim/model/scenario"
)

// sweepTemplate is a valid sweep over baseYAML that uses every axis and
// field; each {{field}} is replaced by its valid value (sweepFields) or, in
// one case at a time, by a bad value.
const sweepTemplate = `name: {{name}}
scenario: base.yaml
seeds: {{seeds}}
first_seed: {{first_seed}}
target: {{target}}
axes:
  drain_timeout: {values: [{{drain_timeout}}, 10s], clients: [{{drain_timeout.clients}}]}
  handler: {values: [{{handler}}], subs: [{{handler.subs}}]}
  request_timeout: [{{request_timeout}}]
  backlog: {values: [{{backlog}}], actions: [{{backlog.actions}}]}
  publish_rate: [{{publish_rate}}]
  latency: [{{latency}}]
  conn_drain_poll: {from: {{conn_drain_poll.from}}, to: 20ms, count: {{conn_drain_poll.count}}, scale: {{conn_drain_poll.scale}}}
  sub_drain_poll: [{{sub_drain_poll}}]
  pending_msgs_limit: [{{pending_msgs_limit}}]
  pending_bytes_limit: [{{pending_bytes_limit}}]
  profile: [{{profile}}]
`

// sweepValue is a bad value of a field and the class of its mistake.
type sweepValue struct{ class, text string }

var (
	sweepBadDurations = []sweepValue{
		{"negative", "-1s"}, {"huge", "1001h"}, {"huge", "3000000h"}, {"2^63-1", "9223372036854775807ns"},
		{"NaN-ish", "NaN"}, {"wrong type", "[1s]"}, {"wrong type", "true"},
	}
	sweepBadCounts = []sweepValue{
		{"negative", "0"}, {"negative", "-5"}, {"huge", "1000000001"}, {"2^63-1", "9223372036854775807"},
		{"huge", "18446744073709551616"}, {"NaN-ish", ".nan"}, {"wrong type", `"5"`},
	}
	sweepBadDists = []sweepValue{
		{"negative", `"uniform(-1ms,1ms)"`}, {"huge", `"exp(3000000h)"`}, {"NaN-ish", `"lognormal(1ms,NaN)"`}, {"wrong type", "{a: 1}"},
	}
	sweepBadRefs = []sweepValue{{"unknown ref", "nobody"}, {"wrong type", `""`}, {"wrong type", "[x]"}}
)

// sweepFields lists every placeholder of sweepTemplate: the field an error
// about it must name, its valid value and the bad values to try.
var sweepFields = []struct {
	placeholder, field, good string
	bad                      []sweepValue
}{
	{"name", "name", "s", []sweepValue{{"wrong type", `""`}, {"wrong type", "[s]"}}},
	{"seeds", "seeds", "2", []sweepValue{{"negative", "0"}, {"huge", "10000001"}, {"huge", "1000000000000000"}, {"2^63-1", "9223372036854775807"}, {"NaN-ish", ".inf"}, {"wrong type", "all"}}},
	{"first_seed", "first_seed", "1", []sweepValue{{"negative", "-1"}, {"huge", "18446744073709551615"}, {"huge", "18446744073709551616"}, {"wrong type", "one"}}},
	{"target", "target", "0.001", []sweepValue{{"negative", "-0.1"}, {"huge", "1"}, {"NaN-ish", ".nan"}, {"NaN-ish", "NaN"}, {"huge", "1e-10"}, {"wrong type", "[0.1]"}}},
	{"drain_timeout", "axes.drain_timeout.values[0]", "1s", sweepBadDurations},
	{"drain_timeout.clients", "axes.drain_timeout.clients", "app", sweepBadRefs},
	{"handler", "axes.handler.values[0]", "1ms", sweepBadDists},
	{"handler.subs", "axes.handler.subs", "work", slices.Concat(sweepBadRefs, []sweepValue{{"unknown ref", "tap"}})},
	{"request_timeout", "axes.request_timeout[0]", "1s", slices.Concat(sweepBadDurations[:4], []sweepValue{{"negative", "0s"}})},
	{"backlog", "axes.backlog.values[0]", "5", sweepBadCounts},
	{"backlog.actions", "axes.backlog.actions", "0", []sweepValue{{"unknown ref", "1"}, {"unknown ref", "99"}, {"negative", "-1"}, {"2^63-1", "9223372036854775807"}}},
	{"publish_rate", "axes.publish_rate[0]", "100", []sweepValue{{"negative", "0"}, {"negative", "-1"}, {"huge", "1e10"}, {"NaN-ish", ".nan"}, {"NaN-ish", ".inf"}, {"wrong type", "fast"}}},
	{"latency", "axes.latency[0]", "1ms", sweepBadDists},
	{"conn_drain_poll.from", "axes.conn_drain_poll.from", "10ms", []sweepValue{{"negative", "-1ms"}, {"huge", "1001h"}, {"negative", "0s"}}},
	{"conn_drain_poll.count", "axes.conn_drain_poll.count", "3", []sweepValue{{"negative", "1"}, {"huge", "10001"}, {"2^63-1", "9223372036854775807"}, {"wrong type", "3.5"}}},
	{"conn_drain_poll.scale", "axes.conn_drain_poll.scale", "linear", []sweepValue{{"wrong type", "cubic"}, {"wrong type", "[log]"}}},
	{"sub_drain_poll", "axes.sub_drain_poll[0]", "10ms", sweepBadDurations[:3]},
	{"pending_msgs_limit", "axes.pending_msgs_limit[0]", "10", []sweepValue{{"negative", "0"}, {"huge", "1000000001"}, {"2^63-1", "9223372036854775807"}, {"2^63-1", "-9223372036854775808"}}},
	{"pending_bytes_limit", "axes.pending_bytes_limit[0]", "1MiB", []sweepValue{{"negative", "0"}, {"huge", "2TiB"}, {"2^63-1", "9223372036854775807"}, {"huge", "99999999999TiB"}}},
	{"profile", "axes.profile[0]", "go", []sweepValue{{"unknown ref", "rust"}, {"wrong type", "[go]"}, {"wrong type", `""`}}},
}

// fillSweep returns sweepTemplate with placeholder set to value and every
// other placeholder to its valid value.
func fillSweep(t testing.TB, placeholder, value string) string {
	return template.Fill(t, sweepTemplate, placeholder, value, func(name string) (string, bool) {
		for _, f := range sweepFields {
			if f.placeholder == name {
				return f.good, true
			}
		}
		return "", false
	})
}

// hostileSweep is one malformed sweep of the corpus.
type hostileSweep struct{ class, name, src, field string }

// hostileSweeps returns the malformed sweeps: every field of sweepFields
// with each of its bad values, then mistakes of structure.
func hostileSweeps(t testing.TB) []hostileSweep {
	var out []hostileSweep
	for _, f := range sweepFields {
		for _, v := range f.bad {
			out = append(out, hostileSweep{v.class, f.placeholder + "=" + v.text, fillSweep(t, f.placeholder, v.text), f.field})
		}
	}
	const head = "name: s\nscenario: b.yaml\n"
	add := func(class, name, src, field string) { out = append(out, hostileSweep{class, name, src, field}) }
	add("duplicate", "duplicate axis", head+"axes:\n  drain_timeout: [1s]\n  drain_timeout: [2s]\n", "axes.drain_timeout")
	add("duplicate", "duplicate value", head+"axes:\n  drain_timeout: [1s, 1s]\n", "axes.drain_timeout")
	add("duplicate", "duplicate field", head+"seeds: 1\nseeds: 2\naxes: {drain_timeout: [1s]}\n", "seeds")
	add("duplicate", "values and a range", head+"axes:\n  drain_timeout: {values: [1s], from: 1s, to: 2s, count: 2}\n", "axes.drain_timeout")
	add("unknown ref", "unknown axis", head+"axes:\n  drain_timeout: [1s]\n  colour: [red]\n", "axes.colour")
	add("unknown ref", "unknown field", head+"sedes: 3\naxes: {drain_timeout: [1s]}\n", "sedes")
	add("unknown ref", "missing timeout axis", head+"axes: {backlog: [5]}\n", "axes.drain_timeout")
	add("unknown ref", "missing scenario", "name: s\naxes: {drain_timeout: [1s]}\n", "scenario")
	add("unknown ref", "route_latency without servers", head+"axes:\n  drain_timeout: [1s]\n  route_latency: [2ms]\n", "axes.route_latency")
	add("unknown ref", "at without actions", head+"axes:\n  drain_timeout: [1s]\n  at: [10ms]\n", "axes.at.actions")
	add("unknown ref", "at of a missing action", head+"axes:\n  drain_timeout: [1s]\n  at: {values: [10ms], actions: [3]}\n", "axes.at.actions")
	add("negative", "at negative", head+"axes:\n  drain_timeout: [1s]\n  at: {values: [-1ms], actions: [1]}\n", "axes.at.values")
	add("unknown ref", "x not an axis kind", head+"x: colour\naxes: {drain_timeout: [1s]}\n", "x")
	add("unknown ref", "x without a direction", head+"x: latency\naxes: {drain_timeout: [1s], latency: [1ms]}\n", "x")
	add("unknown ref", "x not among the axes", head+"x: at\naxes: {drain_timeout: [1s]}\n", "x")
	add("wrong type", "x a list", head+"x: [wait]\naxes: {drain_timeout: [1s]}\n", "x")
	add("wrong type", "x rates decrease", head+"x: publish_rate\naxes:\n  publish_rate: [200, 100]\n", "axes.publish_rate")
	add("unknown ref", "wait without after_action", head+"x: wait\naxes:\n  wait: {values: [0s], actions: [1]}\n", "axes.wait.after_action")
	add("unknown ref", "wait after a missing action", head+"x: wait\naxes:\n  wait: {values: [0s], actions: [1], after_action: 3}\n", "axes.wait.after_action")
	add("negative", "wait after_action negative", head+"x: wait\naxes:\n  wait: {values: [0s], actions: [1], after_action: -1}\n", "axes.wait.after_action")
	add("2^63-1", "wait after_action 2^63-1", head+"x: wait\naxes:\n  wait: {values: [0s], actions: [1], after_action: 9223372036854775807}\n", "axes.wait.after_action")
	add("2^63-1", "wait 2^63-1 ns", head+"x: wait\naxes:\n  wait: {values: [9223372036854775807ns], actions: [1], after_action: 2}\n", "axes.wait.values")
	add("huge", "wait past the longest time", head+"x: wait\naxes:\n  wait: {values: [1000h], actions: [1], after_action: 2}\n", "axes.wait")
	add("negative", "wait negative", head+"x: wait\naxes:\n  wait: {values: [-1ms], actions: [1], after_action: 0}\n", "axes.wait.values")
	add("duplicate", "wait and at on one action", head+"x: wait\naxes:\n  at: {values: [1ms], actions: [1]}\n  wait: {values: [0s], actions: [1], after_action: 0}\n", "axes")
	add("unknown ref", "leaf_latency without leaf nodes", head+"axes:\n  drain_timeout: [1s]\n  leaf_latency: [2ms]\n", "axes.leaf_latency")
	add("unknown ref", "gateway_latency without gateways", head+"axes:\n  drain_timeout: [1s]\n  gateway_latency: [2ms]\n", "axes.gateway_latency")
	add("wrong type", "root is a list", "- name: s\n", "")
	add("wrong type", "axes is a list", head+"axes: [drain_timeout]\n", "axes")
	add("wrong type", "timeouts decrease", head+"axes:\n  drain_timeout: [2s, 1s]\n", "axes.drain_timeout")
	add("wrong type", "empty values", head+"axes:\n  drain_timeout: []\n", "axes.drain_timeout")
	add("huge", "too many runs", head+"seeds: 10000000\naxes:\n  drain_timeout: [1s, 2s]\n", "axes")
	add("huge", "log range from 0", head+"axes:\n  drain_timeout: {from: 0s, to: 1s, count: 3, scale: log}\n", "axes.drain_timeout")
	add("bad UTF-8", "bad UTF-8 in the name", "name: \"s\xff\"\nscenario: b.yaml\naxes: {drain_timeout: [1s]}\n", "")
	add("bad UTF-8", "control character", "name: s\x00\nscenario: b.yaml\naxes: {drain_timeout: [1s]}\n", "")
	add("deep nesting", "deep lists", head+"axes:\n  drain_timeout: "+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+"\n", "")
	add("deep nesting", "alias", head+"axes:\n  drain_timeout: &t [1s]\n  sub_drain_poll: *t\n", "axes.sub_drain_poll")
	add("broken YAML", "tab indentation", head+"axes:\n\tdrain_timeout: [1s]\n", "")
	add("broken YAML", "two documents", head+"axes: {drain_timeout: [1s]}\n---\nname: t\n", "")
	add("broken YAML", "empty file", "", "")
	return out
}

var sweepErrLine = regexp.MustCompile(`^sweep\.yaml:[1-9][0-9]*: `)

// TestHostileSweeps parses every sweep of the hostile-input corpus. Each
// must be refused with a *scenario.Error — never a panic — whose text
// starts with the file and a line and names the field (or an item of it),
// when the mistake is in one. It logs the count by class (run with -v).
func TestHostileSweeps(t *testing.T) {
	corpus := hostileSweeps(t)
	require.GreaterOrEqual(t, len(corpus), 50)
	_, err := parse(t, fillSweep(t, "", ""))
	require.NoError(t, err, "the template itself is valid")
	byClass := map[string]int{} // for the log only, printed sorted
	for _, h := range corpus {
		t.Run(h.name, func(t *testing.T) {
			byClass[h.class]++
			err := parseSweepNoPanic(t, h.src)
			require.Error(t, err, "accepted:\n%s", h.src)
			var se *scenario.Error
			require.ErrorAs(t, err, &se)
			require.Regexp(t, sweepErrLine, err.Error(), "no file and line")
			if h.field != "" { // the field, or an item of it
				require.True(t, se.Field == h.field || strings.HasPrefix(se.Field, h.field+"["), "want field %s: %v", h.field, err)
			}
		})
	}
	logClasses(t, byClass, len(corpus))
}

// TestHostileBases: a sweep whose base scenario is missing, unreadable,
// invalid, a sweep, a directory or endless is refused with the sweep's
// file, line and scenario field first, then the base's own error.
func TestHostileBases(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	write("invalid.yaml", "name: b\nclients: [{name: app, drain_timeout: 3000000h}]\n")
	write("sweep-base.yaml", "name: b\nscenario: invalid.yaml\naxes: {drain_timeout: [1s]}\n")
	write("empty.yaml", "")
	write("noname.yaml", "clients: [{name: app}]\n")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.yaml"), 0o755))
	unreadable := write("unreadable.yaml", "name: b\n")
	require.NoError(t, os.Chmod(unreadable, 0))
	bases := map[string]string{
		"missing.yaml":    "missing.yaml: no such file or directory",
		"invalid.yaml":    `invalid.yaml:2: clients[0].drain_timeout: duration "3000000h" exceeds the maximum 1000h`,
		"sweep-base.yaml": "sweep-base.yaml is a sweep file",
		"empty.yaml":      "empty.yaml:1: empty file",
		"noname.yaml":     "noname.yaml:1: name: missing required field",
		"dir.yaml":        "dir.yaml: is a directory",
	}
	if os.Getuid() != 0 {
		bases["unreadable.yaml"] = "unreadable.yaml: permission denied"
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		bases["/dev/zero"] = "/dev/zero: file is larger than 16777216 bytes"
	}
	names := make([]string, 0, len(bases))
	for name := range bases {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		_, err := Load(write("sweep.yaml", "name: s\nscenario: "+name+"\naxes: {drain_timeout: [1s]}\n"))
		require.Error(t, err, name)
		var se *scenario.Error
		require.ErrorAs(t, err, &se)
		require.Equal(t, "scenario", se.Field, "%v", err)
		require.Equal(t, 2, se.Line, "%v", err)
		require.Contains(t, err.Error(), bases[name])
	}
	t.Logf("%-13s %3d", "bad base", len(bases))
}

// logClasses logs counts by class in a stable order, then the total.
func logClasses(t *testing.T, byClass map[string]int, total int) {
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	for _, c := range classes {
		t.Logf("%-13s %3d", c, byClass[c])
	}
	t.Logf("%-13s %3d", "total", total)
}

// parseSweepNoPanic parses src as sweep.yaml over baseYAML; a panic fails
// the test instead of crashing it.
func parseSweepNoPanic(t *testing.T, src string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Parse panicked: %v", r)
		}
	}()
	_, err = parse(t, src)
	return err
}
