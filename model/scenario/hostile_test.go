package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/internal/template"
)

// A hostile is one malformed scenario file of the hostile-input corpus.
type hostile struct {
	class string // what kind of mistake, for the count by class
	name  string
	src   string
	field string // the field the error must name; "" when there is none
}

// hostileTemplate is a valid scenario that uses every field; each
// {{field}} is replaced by the field's valid value (hostileFields) or, in
// one case at a time, by a bad value.
const hostileTemplate = `name: hostile
seed: {{seed}}
ties: {{ties}}
choices: [0, {{choices[1]}}]
limits: {max_time: {{limits.max_time}}, max_events: {{limits.max_events}}, max_records: {{limits.max_records}}}
network: {latency: {{network.latency}}, bandwidth: {{network.bandwidth}}}
server: {no_responders: {{server.no_responders}}, max_pending: {{server.max_pending}}}
servers: [{name: a, cluster: {{servers[0].cluster}}}, {name: b, cluster: east}]
routes: [{between: [a, {{routes[0].between[1]}}], latency: {{routes[0].latency}}}]
clients:
  - {name: app, server: {{clients[0].server}}, drain_timeout: {{clients[0].drain_timeout}}, pending_msgs_limit: {{clients[0].pending_msgs_limit}}, pending_bytes_limit: {{clients[0].pending_bytes_limit}}, reconnect_wait: {{clients[0].reconnect_wait}}, max_reconnect: {{clients[0].max_reconnect}}, reconnect_buf_size: {{clients[0].reconnect_buf_size}}, allow_reconnect: {{clients[0].allow_reconnect}}, ping_interval: {{clients[0].ping_interval}}, max_pings_out: {{clients[0].max_pings_out}}, offline_until: {{clients[0].offline_until}}, reconnect_servers: [{{clients[0].reconnect_servers[0]}}], lame_duck: {{clients[0].lame_duck}}}
subscriptions:
  - id: s
    client: {{subscriptions[0].client}}
    subject: {{subscriptions[0].subject}}
    max: {{subscriptions[0].max}}
    pending_msgs_limit: {{subscriptions[0].pending_msgs_limit}}
    handler:
      duration: {{subscriptions[0].handler.duration}}
      actions:
        - {nth: {{subscriptions[0].handler.actions[0].nth}}, reply: {size: {{subscriptions[0].handler.actions[0].reply.size}}}}
        - {sleep: {{subscriptions[0].handler.actions[1].sleep}}}
  - {id: q, client: app, subject: q, type: {{subscriptions[1].type}}}
actions:
  - {at: {{actions[0].at}}, publish: {client: {{actions[0].publish.client}}, subject: {{actions[0].publish.subject}}, size: {{actions[0].publish.size}}, headers: {{actions[0].publish.headers}}, count: {{actions[0].publish.count}}, interval: {{actions[0].publish.interval}}}}
  - {at: 1ms, request: {client: app, subject: a, size: {{actions[1].request.size}}, timeout: {{actions[1].request.timeout}}, count: {{actions[1].request.count}}, interval: {{actions[1].request.interval}}}}
  - {at: 2ms, flush: {client: app, timeout: {{actions[2].flush.timeout}}}}
  - {at: 3ms, next_msg: {sub: {{actions[3].next_msg.sub}}, timeout: {{actions[3].next_msg.timeout}}, count: {{actions[3].next_msg.count}}}}
  - {at: 4ms, disconnect: {client: app, for: {{actions[4].disconnect.for}}}}
  - {at: 5ms, restart_server: {for: {{actions[5].restart_server.for}}, server: {{actions[5].restart_server.server}}}}
  - {at: 6ms, drain_sub: {sub: s, timeout: {{actions[6].drain_sub.timeout}}}}
  - {at: 7ms, auto_unsubscribe: {sub: s, max: {{actions[7].auto_unsubscribe.max}}}}
  - {at: 8ms, drain: {client: app}}
  - {after: {event: {{actions[9].after.event}}, sub: {{actions[9].after.sub}}, nth: {{actions[9].after.nth}}, delay: {{actions[9].after.delay}}, every: {{actions[9].after.every}}}, drain: {client: app}}
  - {after: {event: status, client: {{actions[10].after.client}}, status: {{actions[10].after.status}}}, flush: {client: app}}
  - {after: {event: returned, action: {{actions[11].after.action}}}, flush: {client: app}}
  - {at: 9ms, stall: {client: {{actions[12].stall.client}}, for: {{actions[12].stall.for}}}}
  - {at: 10ms, lame_duck: {server: {{actions[13].lame_duck.server}}, grace: {{actions[13].lame_duck.grace}}, duration: {{actions[13].lame_duck.duration}}}}
  - {after: {event: lame_duck, client: {{actions[14].after.client}}}, flush: {client: app}}
  - {at: 11ms, cut_link: {between: [{{actions[15].cut_link.between[0]}}, b], for: {{actions[15].cut_link.for}}}}
`

// The kinds of field of hostileTemplate, each with values it must refuse.
var (
	badDurations = []hostileValue{
		{"negative", "-1s"}, {"huge", "1001h"}, {"huge", "3000000h"}, {"huge", "2562047h"},
		{"2^63-1", "9223372036854775807ns"}, {"NaN-ish", "NaN"}, {"NaN-ish", ".inf"}, {"NaN-ish", "1e3"},
		{"wrong type", "[1s]"}, {"wrong type", "{s: 1}"}, {"wrong type", "true"}, {"wrong type", "~"},
	}
	badDists = []hostileValue{
		{"negative", `"uniform(-1ms,2ms)"`}, {"huge", `"exp(3000000h)"`}, {"huge", `"lognormal(1001h,1)"`},
		{"NaN-ish", `"lognormal(1ms,NaN)"`}, {"NaN-ish", `"uniform(2ms,1ms)"`}, {"wrong type", "[1ms]"}, {"wrong type", `"gamma(1ms)"`},
	}
	badCounts = []hostileValue{
		{"negative", "-1"}, {"negative", "0"}, {"huge", "1000000001"}, {"2^63-1", "9223372036854775807"},
		{"huge", "4611686018427387904"}, {"huge", "18446744073709551616"}, {"NaN-ish", ".nan"},
		{"NaN-ish", "1.5"}, {"wrong type", `"3"`}, {"wrong type", "[1]"}, {"wrong type", "0x7fffffffffffffff"},
	}
	badNth = []hostileValue{
		{"negative", "-1"}, {"2^63-1", "9223372036854775807"}, {"huge", "2147483648"}, {"wrong type", "first"},
	}
	badPending = []hostileValue{
		{"negative", "0"}, {"huge", "1000000001"}, {"2^63-1", "-9223372036854775808"}, {"wrong type", "lots"},
	}
	badSizes = []hostileValue{
		{"negative", "-1"}, {"huge", "2TiB"}, {"huge", "99999999999999999999"}, {"2^63-1", "9223372036854775807"},
		{"NaN-ish", "1.5KiB"}, {"wrong type", "[1]"}, {"wrong type", "big"},
	}
	badLimits = []hostileValue{
		{"negative", "0"}, {"huge", "2TiB"}, {"2^63-1", "-9223372036854775807"}, {"wrong type", "none"},
	}
	badBandwidths = []hostileValue{
		{"negative", "0/s"}, {"huge", "2TiB/s"}, {"huge", "99999999999999999999/s"}, {"wrong type", "100"}, {"wrong type", "10Mbit/s"},
	}
	badMaxEvents = []hostileValue{
		{"negative", "0"}, {"huge", "10000000001"}, {"2^63-1", "9223372036854775807"}, {"wrong type", "many"},
	}
	badMaxRecords = []hostileValue{
		{"negative", "-1"}, {"negative", "0"}, {"huge", "1000000001"}, {"2^63-1", "9223372036854775807"}, {"wrong type", "[1]"},
	}
	badSeeds = []hostileValue{
		{"negative", "-1"}, {"huge", "18446744073709551616"}, {"NaN-ish", ".nan"}, {"wrong type", "[1]"},
	}
	badBools = []hostileValue{{"wrong type", "yes please"}, {"wrong type", "2"}, {"wrong type", "[true]"}}
	badRefs  = []hostileValue{{"unknown ref", "nobody"}, {"wrong type", "[app]"}, {"wrong type", `""`}}
	badSubjs = []hostileValue{{"NaN-ish", `"a b"`}, {"NaN-ish", `"a..b"`}, {"NaN-ish", `"a.>.b"`}, {"wrong type", "{a: b}"}}
)

// hostileValue is a bad value of a field and the class of its mistake.
type hostileValue struct{ class, text string }

// hostileFields lists every placeholder of hostileTemplate: its valid value
// and the bad values to try in it.
var hostileFields = []struct {
	field, good string
	bad         []hostileValue
}{
	{"seed", "1", badSeeds},
	{"ties", "permute", []hostileValue{{"unknown ref", "shuffle"}, {"unknown ref", "PERMUTE"}, {"wrong type", "true"}, {"wrong type", "[permute]"}}},
	{"choices[1]", "1", []hostileValue{{"negative", "-1"}, {"huge", "1000000001"}, {"2^63-1", "9223372036854775807"},
		{"NaN-ish", "1.5"}, {"wrong type", "a"}, {"wrong type", "[1]"}}},
	{"limits.max_time", "1m", badDurations},
	{"limits.max_events", "1000", badMaxEvents},
	{"limits.max_records", "1000", badMaxRecords},
	{"network.latency", "1ms", badDists},
	{"network.bandwidth", "1MB/s", badBandwidths},
	{"server.no_responders", "true", badBools},
	{"server.max_pending", "64MiB", badSizes},
	{"servers[0].cluster", "east", []hostileValue{{"wrong type", "[east]"}, {"wrong type", `""`}, {"wrong type", "{a: b}"}}},
	{"routes[0].between[1]", "b", []hostileValue{{"unknown ref", "c"}, {"wrong type", "[b]"}, {"wrong type", `""`}}},
	{"routes[0].latency", "1ms", badDists},
	{"clients[0].server", "a", []hostileValue{{"unknown ref", "z"}, {"wrong type", "[a]"}, {"wrong type", `""`}}},
	{"clients[0].drain_timeout", "1s", badDurations},
	{"clients[0].pending_msgs_limit", "10", badPending},
	{"clients[0].pending_bytes_limit", "1MiB", badLimits},
	{"clients[0].reconnect_wait", "1s", badDurations[:4]},
	{"clients[0].max_reconnect", "5", badNth[1:]},
	{"clients[0].reconnect_buf_size", "1MiB", badSizes[:4]},
	{"clients[0].allow_reconnect", "true", badBools},
	{"clients[0].ping_interval", "20ms", slices.Concat(badDurations, []hostileValue{{"negative", "0s"}})},
	{"clients[0].max_pings_out", "2", badNth},
	{"clients[0].offline_until", "5ms", badDurations},
	{"clients[0].reconnect_servers[0]", "b", []hostileValue{{"unknown ref", "z"}, {"wrong type", "[b]"}, {"wrong type", `""`}}},
	{"clients[0].lame_duck", "force_reconnect", []hostileValue{{"unknown ref", "make_before_break"}, {"unknown ref", "IGNORE"},
		{"wrong type", "[ignore]"}, {"wrong type", "1"}, {"wrong type", "~"}}},
	{"subscriptions[0].client", "app", badRefs},
	{"subscriptions[0].subject", "a", badSubjs},
	{"subscriptions[0].max", "3", badNth},
	{"subscriptions[0].pending_msgs_limit", "5", badPending},
	{"subscriptions[0].handler.duration", "1ms", badDists},
	{"subscriptions[0].handler.actions[0].nth", "1", badNth},
	{"subscriptions[0].handler.actions[0].reply.size", "10", badSizes},
	{"subscriptions[0].handler.actions[1].sleep", "1ms", badDists[:3]},
	{"subscriptions[1].type", "sync", []hostileValue{{"wrong type", "asynchronous"}, {"wrong type", "1"}}},
	{"actions[0].at", "0s", badDurations},
	{"actions[0].publish.client", "app", badRefs},
	{"actions[0].publish.subject", "a", badSubjs},
	{"actions[0].publish.size", "10", badSizes},
	{"actions[0].publish.headers", "100", badSizes},
	{"actions[0].publish.count", "2", badCounts},
	{"actions[0].publish.interval", "1ms", badDurations[:4]},
	{"actions[1].request.size", "10", badSizes[:4]},
	{"actions[1].request.timeout", "1s", badDurations[:4]},
	{"actions[1].request.count", "1", badCounts},
	{"actions[1].request.interval", "0s", badDurations[:4]},
	{"actions[2].flush.timeout", "1s", badDurations[:4]},
	{"actions[3].next_msg.sub", "q", slices.Concat(badRefs, []hostileValue{{"unknown ref", "s"}})},
	{"actions[3].next_msg.timeout", "1s", badDurations[:4]},
	{"actions[3].next_msg.count", "1", badCounts[:6]},
	{"actions[4].disconnect.for", "1s", badDurations},
	{"actions[5].restart_server.for", "1s", badDurations[:4]},
	{"actions[5].restart_server.server", "a", []hostileValue{{"unknown ref", "z"}, {"wrong type", "[a]"}, {"wrong type", `""`}}},
	{"actions[6].drain_sub.timeout", "1s", badDurations[:4]},
	{"actions[7].auto_unsubscribe.max", "5", badNth},
	{"actions[9].after.event", "callback_start", []hostileValue{{"unknown ref", "callback_begin"}, {"unknown ref", "CALLBACK_START"},
		{"wrong type", "[callback_start]"}, {"wrong type", "1"}, {"wrong type", "~"}}},
	{"actions[9].after.sub", "s", slices.Concat(badRefs, []hostileValue{{"unknown ref", "q"}})}, // q is sync: no callbacks
	{"actions[9].after.nth", "2", slices.Concat(badNth, []hostileValue{{"negative", "0"}})},
	{"actions[9].after.delay", "1ms", badDurations},
	{"actions[9].after.every", "false", badBools},
	{"actions[10].after.client", "app", badRefs},
	{"actions[10].after.status", "DRAINING_PUBS", []hostileValue{{"unknown ref", "DRAINING"}, {"unknown ref", "draining_pubs"},
		{"wrong type", "[CLOSED]"}, {"wrong type", "1"}}},
	{"actions[11].after.action", "8", []hostileValue{{"unknown ref", "16"}, {"unknown ref", "11"}, {"2^63-1", "9223372036854775807"},
		{"negative", "-1"}, {"wrong type", "drain"}, {"NaN-ish", "1.5"}}},
	{"actions[12].stall.client", "app", badRefs},
	{"actions[12].stall.for", "1s", badDurations},
	{"actions[13].lame_duck.server", "b", []hostileValue{{"unknown ref", "z"}, {"wrong type", "[b]"}, {"wrong type", `""`}}},
	{"actions[13].lame_duck.grace", "1s", badDurations},
	{"actions[13].lame_duck.duration", "30s", badDurations},
	{"actions[14].after.client", "app", badRefs},
	{"actions[15].cut_link.between[0]", "a", []hostileValue{{"unknown ref", "z"}, {"wrong type", "[a]"}, {"wrong type", `""`}, {"wrong type", "~"}}},
	{"actions[15].cut_link.for", "1s", slices.Concat(badDurations, []hostileValue{{"negative", "0s"}})},
}

// fillHostile returns hostileTemplate with field set to value and every
// other placeholder to its valid value.
func fillHostile(t testing.TB, field, value string) string {
	return template.Fill(t, hostileTemplate, field, value, func(name string) (string, bool) {
		for _, f := range hostileFields {
			if f.field == name {
				return f.good, true
			}
		}
		return "", false
	})
}

// hostileCorpus returns the malformed scenarios: every field of
// hostileFields with each of its bad values, then mistakes of structure
// (duplicates, unknown fields and references, bad UTF-8, deep nesting,
// aliases, broken YAML) written out one by one.
func hostileCorpus(t testing.TB) []hostile {
	var out []hostile
	for _, f := range hostileFields {
		for _, v := range f.bad {
			out = append(out, hostile{v.class, f.field + "=" + v.text, fillHostile(t, f.field, v.text), f.field})
		}
	}
	good := fillHostile(t, "", "")
	const head = "name: x\nclients: [{name: app}]\n"
	add := func(class, name, src, field string) { out = append(out, hostile{class, name, src, field}) }
	add("duplicate", "duplicate client", head+"clients: [{name: b}]\n", "clients")
	add("duplicate", "duplicate client name", "name: x\nclients: [{name: a}, {name: a}]\n", "clients[1].name")
	add("duplicate", "duplicate subscription id", head+"subscriptions: [{id: s, client: app, subject: a}, {id: s, client: app, subject: b}]\n", "subscriptions[1].id")
	add("duplicate", "duplicate field in an action", head+"actions: [{at: 0s, at: 1s, close: {client: app}}]\n", "actions[0].at")
	add("duplicate", "two verbs", head+"actions: [{at: 0s, close: {client: app}, drain: {client: app}}]\n", "actions[0]")
	add("unknown ref", "unknown field", strings.Replace(good, "seed: 1", "sead: 1", 1), "sead")
	add("unknown ref", "unknown verb", head+"actions: [{at: 0s, explode: {}}]\n", "actions[0].explode")
	add("unknown ref", "subscribe of a sub that is not deferred", head+"subscriptions: [{id: s, client: app, subject: a}]\nactions: [{at: 0s, subscribe: {sub: s}}]\n", "actions[0].subscribe.sub")
	add("unknown ref", "handler subscribes another client's sub", "name: x\nclients: [{name: a}, {name: b}]\nsubscriptions:\n  - {id: s, client: a, subject: a, handler: {actions: [{subscribe: {sub: t}}]}}\n  - {id: t, client: b, subject: b, deferred: true}\n", "subscriptions[0].handler.actions[0].subscribe.sub")
	add("unknown ref", "unknown profile field", head+"limits: {max_memory: 1GiB}\n", "limits.max_memory")
	add("wrong type", "sync subscription with a handler", head+"subscriptions: [{id: s, client: app, subject: a, type: sync, handler: {duration: 1ms}}]\n", "subscriptions[0].handler")
	add("wrong type", "client in a handler publish", head+"subscriptions: [{id: s, client: app, subject: a, handler: {actions: [{publish: {client: app, subject: b}}]}}]\n", "subscriptions[0].handler.actions[0].publish.client")
	add("wrong type", "root is a list", "- name: x\n", "")
	add("wrong type", "root is a string", "hello\n", "")
	add("wrong type", "clients is a mapping", "name: x\nclients: {name: app}\n", "clients")
	add("wrong type", "action without a verb", head+"actions: [{at: 0s}]\n", "actions[0]")
	add("wrong type", "missing at", head+"actions: [{close: {client: app}}]\n", "actions[0].at")
	add("wrong type", "at and after", head+"actions: [{at: 0s, after: {event: reconnected, client: app}, close: {client: app}}]\n", "actions[0].after")
	add("wrong type", "trigger without an event", head+"actions: [{after: {client: app}, close: {client: app}}]\n", "actions[0].after.event")
	add("wrong type", "trigger field of another event", head+"actions: [{after: {event: reconnected, client: app, nth: 1}, close: {client: app}}]\n", "actions[0].after.nth")
	add("wrong type", "trigger with nth and msg", head+"subscriptions: [{id: s, client: app, subject: a}]\nactions: [{after: {event: callback_end, sub: s, nth: 1, msg: 1}, close: {client: app}}]\n", "actions[0].after.msg")
	add("unknown ref", "trigger cycle of two", head+"actions: [{after: {event: returned, action: 1}, close: {client: app}}, {after: {event: returned, action: 0}, flush: {client: app}}]\n", "actions[0].after.action")
	add("unknown ref", "trigger on a message never published", head+"actions: [{at: 0s, publish: {client: app, subject: a}}, {after: {event: published, msg: 2}, close: {client: app}}]\n", "actions[1].after.msg")
	add("unknown ref", "unknown trigger field", head+"actions: [{after: {event: published, message: 1}, close: {client: app}}]\n", "actions[0].after.message")
	add("wrong type", "missing name", "clients: [{name: app}]\n", "name")
	add("wrong type", "key is a list", "name: x\n[a]: 1\n", "")
	add("bad UTF-8", "bad UTF-8 in a name", "name: x\nclients: [{name: \"a\xffb\"}]\n", "")
	add("bad UTF-8", "bad UTF-8 in a comment", "name: x # \xc3\x28\n", "")
	add("bad UTF-8", "truncated UTF-8 at the end", "name: x\ndescription: caf\xc3", "")
	add("bad UTF-8", "UTF-8 encoded surrogate", "name: x\ndescription: \xed\xa0\x80\n", "")
	add("bad UTF-8", "escaped invalid code point", "name: x\ndescription: \"\\udc00\"\n", "")
	add("deep nesting", "deep flow lists", "name: x\ndescription: "+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+"\n", "")
	add("deep nesting", "deep block mappings", "name: x\ndescription:\n"+deepBlock(2000), "description")
	add("deep nesting", "nested mapping where a scalar goes", head+"actions: [{at: {a: {b: {c: 1}}}, close: {client: app}}]\n", "actions[0].at")
	add("deep nesting", "alias", "name: &n x\ndescription: *n\n", "description")
	add("deep nesting", "billion laughs", "name: x\na: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n", "a")
	add("broken YAML", "tab indentation", "name: x\nclients:\n\t- {name: app}\n", "")
	add("broken YAML", "unclosed flow", "name: x\nclients: [{name: app}\n", "")
	add("broken YAML", "unclosed quote", "name: \"x\nseed: 1\n", "")
	add("broken YAML", "two documents", "name: x\n---\nname: y\n", "")
	add("broken YAML", "binary junk", "name: x\n\x00\x01\x02\x03\n", "")
	add("broken YAML", "C1 control character", "name: x\ndescription: a\u0090b\n", "")
	add("broken YAML", "escape character", "name: x\ndescription: \x1b[31mred\n", "")
	add("wrong type", "choices not a list", "name: x\nchoices: 3\n", "choices")
	add("huge", "lame-duck grace not below its duration", strings.Replace(good, "grace: 1s", "grace: 30s", 1), "actions[13].lame_duck")
	add("huge", "lame-duck default grace above its duration", strings.Replace(good, "grace: 1s, duration: 30s", "duration: 5s", 1), "actions[13].lame_duck")
	add("duplicate", "lame_duck twice on one server", strings.Replace(good, "restart_server: {for: 1s, server: a}", "lame_duck: {server: b}", 1), "actions[13].lame_duck.server")
	add("unknown ref", "cut_link of a server to itself", strings.Replace(good, "between: [a, b], for", "between: [b, b], for", 1), "actions[15].cut_link.between")
	add("unknown ref", "cut_link of servers not linked", strings.Replace(good, "routes: [{between: [a, b], latency: 1ms}]", "routes: []", 1), "actions[15].cut_link.between")
	add("wrong type", "cut_link of three servers", strings.Replace(good, "between: [a, b], for", "between: [a, b, a], for", 1), "actions[15].cut_link.between")
	add("wrong type", "cut_link without for", strings.Replace(good, "b], for: 1s}", "b]}", 1), "actions[15].cut_link.for")
	add("unknown ref", "cut_link without servers", head+"actions: [{at: 0s, cut_link: {between: [a, b], for: 1s}}]\n", "actions[0].cut_link.between")
	add("unknown ref", "lame_duck without servers", head+"actions: [{at: 0s, lame_duck: {server: a}}]\n", "actions[0].lame_duck.server")
	add("negative", "oneof with a negative value", "name: x\nnetwork: {latency: \"oneof(1ms,-1ms)\"}\n", "network.latency")
	add("wrong type", "empty oneof", "name: x\nnetwork: {latency: \"oneof()\"}\n", "network.latency")
	add("huge", "oneof with a huge value", "name: x\nnetwork: {latency: \"oneof(1ms,3000000h)\"}\n", "network.latency")
	add("broken YAML", "flow split at a comma", "name: x\nnetwork: {latency: uniform(1ms,5ms)}\n", "network.latency")
	add("broken YAML", "bad indentation", "name: x\n  seed: 1\n seed: 2\n", "")
	add("broken YAML", "UTF-16 without content", "\xff\xfe", "")
	return out
}

// deepBlock returns n levels of nested block mappings.
func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%sk:\n", strings.Repeat(" ", i+1))
	}
	return b.String()
}

var errLine = regexp.MustCompile(`^hostile\.yaml:[1-9][0-9]*: `)

// TestHostileScenarios parses every file of the hostile-input corpus. Each
// must be refused with an *Error — never a panic (recovered and reported as
// a failure) — whose text starts with the file and a line and names the
// field, when the mistake is in one. It logs the count by class, which the
// docs/reliability.md quotes; run it with -v to see it.
func TestHostileScenarios(t *testing.T) {
	corpus := hostileCorpus(t)
	require.GreaterOrEqual(t, len(corpus), 90)
	_, err := Parse("hostile.yaml", []byte(fillHostile(t, "", "")))
	require.NoError(t, err, "the template itself is valid")
	byClass := map[string]int{} // for the log only, printed sorted
	for _, h := range corpus {
		t.Run(h.name, func(t *testing.T) {
			byClass[h.class]++
			err := parseNoPanic(t, h.src)
			require.Error(t, err, "accepted:\n%s", h.src)
			require.IsType(t, (*Error)(nil), err)
			require.Regexp(t, errLine, err.Error(), "no file and line")
			if h.field != "" {
				require.Equal(t, h.field, err.(*Error).Field, "%v", err)
			}
			require.NotContains(t, err.Error(), "bad duration \"3000000h\"")
		})
	}
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	for _, c := range classes {
		t.Logf("%-13s %3d", c, byClass[c])
	}
	t.Logf("%-13s %3d", "total", len(corpus))
}

// parseNoPanic parses src as hostile.yaml; a panic fails the test instead
// of crashing it.
func parseNoPanic(t *testing.T, src string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Parse panicked: %v", r)
		}
	}()
	_, err = Parse("hostile.yaml", []byte(src))
	return err
}
