package scenario

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/sim"
)

func ptr[T any](v T) *T { return &v }

// goodFiles returns the contents of testdata/good/*.yaml by file name.
func goodFiles(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob("testdata/good/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	files := make(map[string][]byte)
	for _, name := range names {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		files[name] = data
	}
	return files
}

// clearPositions zeroes File and every Line field of s.
func clearPositions(s *Scenario) {
	s.File, s.ProfileLine, s.Server.MaxPendingLine = "", 0, 0
	for i := range s.Clients {
		s.Clients[i].Line = 0
	}
	for i := range s.Subs {
		s.Subs[i].Line = 0
		for j := range s.Subs[i].Handler.Actions {
			s.Subs[i].Handler.Actions[j].Line = 0
		}
	}
	for i := range s.Actions {
		s.Actions[i].Line = 0
		if t := s.Actions[i].After; t != nil {
			t.Line = 0
		}
	}
	if s.Vary != nil {
		s.Vary.Line = 0
	}
	for i := range s.Expect {
		s.Expect[i].Line = 0
	}
	if s.Topology != nil {
		s.Topology.Line = 0
	}
}

func TestParseFull(t *testing.T) {
	s, err := Load("testdata/good/full.yaml")
	require.NoError(t, err)
	want := &Scenario{
		File:        "testdata/good/full.yaml",
		Name:        "conn-drain-slow-handler",
		Description: "free text",
		Profile:     "go",
		ProfileLine: 4,
		Seed:        1,
		Limits:      Limits{MaxTime: time.Minute, MaxEvents: 1_000_000, MaxRecords: 200_000},
		Network:     Network{Latency: sim.Dist{Kind: sim.Uniform, A: 200 * time.Microsecond, B: time.Millisecond}},
		Server:      Server{NoResponders: true},
		Clients: []Client{
			{
				Name:              "app",
				DrainTimeout:      ptr(10 * time.Second),
				PendingMsgsLimit:  ptr(500000),
				PendingBytesLimit: ptr(64 << 20),
				AllowReconnect:    true,
				ReconnectWait:     ptr(2 * time.Second),
				MaxReconnect:      ptr(60),
				ReconnectBufSize:  ptr(8 << 20),
				Line:              10,
			},
			{Name: "svc", AllowReconnect: true, PingInterval: ptr(20 * time.Millisecond), MaxPingsOut: ptr(3), OfflineUntil: ptr(5 * time.Millisecond), Line: 19},
		},
		Subs: []Subscription{
			{
				ID: "s1", Client: "app", Subject: "updates", Queue: "workers",
				PendingMsgsLimit: ptr(10), PendingBytesLimit: ptr(1 << 20),
				Handler: Handler{
					Duration: sim.Const(200 * time.Millisecond),
					Actions: []HandlerAction{
						{Reply: &Reply{Size: 16}, Line: 33},
						{Publish: &Publish{Subject: "audit", Size: 10, Count: 1}, Line: 34},
						{Request: &Request{Subject: "svc", Timeout: 500 * time.Millisecond, Count: 1}, Line: 35},
						{Unsubscribe: &struct{}{}, Line: 36},
						{DrainSub: &DrainSub{}, Line: 37},
						{Subscribe: &SubRef{Sub: "s2"}, Line: 38},
						{Drain: &HandlerDrain{}, Line: 39},
						{Sleep: ptr(sim.Const(50 * time.Millisecond)), Line: 40},
						{Nth: 3, Drain: &HandlerDrain{}, Line: 41},
					},
				},
				Line: 21,
			},
			{ID: "s2", Client: "app", Subject: "updates.*.>", Deferred: true, Line: 42},
			{ID: "s3", Client: "app", Subject: "jobs", Type: Sync, Line: 46},
			{
				ID: "svc", Client: "svc", Subject: "svc",
				Handler: Handler{
					Duration: sim.Dist{Kind: sim.Exponential, A: time.Millisecond},
					Actions:  []HandlerAction{{Reply: &Reply{}, Line: 53}},
				},
				Line: 50,
			},
		},
		Actions: []Action{
			{At: 0, Publish: &Publish{Client: "app", Subject: "updates", Reply: "inbox.x", Size: 128, Headers: 64, Count: 10, Interval: time.Millisecond}, Line: 55},
			{At: 5 * time.Millisecond, Request: &Request{Client: "app", Subject: "svc", Timeout: time.Second, Count: 10}, Line: 56},
			{At: 6 * time.Millisecond, Flush: &Flush{Client: "app", Timeout: 10 * time.Second}, Line: 57},
			{At: 7 * time.Millisecond, Subscribe: &SubRef{Sub: "s2"}, Line: 58},
			{At: 8 * time.Millisecond, Unsubscribe: &SubRef{Sub: "s1"}, Line: 59},
			{At: 8 * time.Millisecond, AutoUnsubscribe: &AutoUnsubscribe{Sub: "s1", Max: 5}, Line: 60},
			{At: 9 * time.Millisecond, DrainSub: &DrainSub{Sub: "s1"}, Line: 61},
			{At: 10 * time.Millisecond, Drain: &ClientRef{Client: "app"}, Line: 62},
			{At: 11 * time.Millisecond, Close: &ClientRef{Client: "app"}, Line: 63},
			{At: 12 * time.Millisecond, NextMsg: &NextMsg{Sub: "s3", Timeout: time.Second, Count: 5}, Line: 64},
			{At: 12 * time.Millisecond, Counters: &SubRef{Sub: "s3"}, Line: 65},
			{At: 13 * time.Millisecond, Disconnect: &Disconnect{Client: "app", For: 500 * time.Millisecond}, Line: 66},
			{At: 14 * time.Millisecond, RestartServer: &RestartServer{For: time.Second}, Line: 67},
			{At: 15 * time.Millisecond, Stall: &Stall{Client: "svc", For: 200 * time.Millisecond}, Line: 68},
		},
	}
	require.Equal(t, want, s)

	var kinds []string
	for _, a := range s.Actions {
		kinds = append(kinds, a.Kind())
	}
	// lame_duck and cut_link need servers: (TestLameDuck and TestCutLink
	// parse them).
	verbs := slices.DeleteFunc(slices.Clone(actionVerbs), func(v string) bool { return v == "lame_duck" || v == "cut_link" })
	require.Equal(t, verbs, kinds, "full.yaml uses every verb once, in order, but lame_duck and cut_link")
	kinds = nil
	for _, a := range s.Subs[0].Handler.Actions[:8] {
		kinds = append(kinds, a.Kind())
	}
	require.Equal(t, handlerVerbs, kinds, "full.yaml uses every handler verb")
}

func TestParseDefaults(t *testing.T) {
	s, err := Parse("defaults.yaml", []byte(`
name: defaults
clients: [{name: c}]
subscriptions:
  - {id: s, client: c, subject: x, type: sync}
actions:
  - {at: 0s, publish: {client: c, subject: x}}
  - {at: 0s, request: {client: c, subject: x}}
  - {at: 0s, flush: {client: c}}
  - {at: 0s, next_msg: {sub: s}}
`))
	require.NoError(t, err)
	require.Equal(t, &Scenario{
		File:    "defaults.yaml",
		Name:    "defaults",
		Profile: "go",
		Limits:  Limits{MaxTime: 10 * time.Minute, MaxEvents: 50_000_000, MaxRecords: 1_000_000},
		Network: Network{Latency: sim.Const(250 * time.Microsecond)},
		Server:  Server{NoResponders: true},
		Clients: []Client{{Name: "c", AllowReconnect: true, Line: 3}},
		Subs:    []Subscription{{ID: "s", Client: "c", Subject: "x", Type: Sync, Line: 5}},
		Actions: []Action{
			{Publish: &Publish{Client: "c", Subject: "x", Count: 1}, Line: 7},
			{Request: &Request{Client: "c", Subject: "x", Timeout: time.Second, Count: 1}, Line: 8},
			{Flush: &Flush{Client: "c", Timeout: 10 * time.Second}, Line: 9},
			{NextMsg: &NextMsg{Sub: "s", Timeout: time.Second, Count: 1}, Line: 10},
		},
	}, s)
}

func TestParseGood(t *testing.T) {
	for name, data := range goodFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			_, err := Parse(name, data)
			require.NoError(t, err)
		})
	}
}

func TestParseValues(t *testing.T) {
	s, err := Parse("values.yaml", []byte(`
name: values
seed: 0x10
clients:
  - {name: a, pending_bytes_limit: 2GiB, reconnect_buf_size: 3 KB}
  - {name: b, pending_bytes_limit: -5, reconnect_buf_size: 7B}
subscriptions:
  - {id: s, client: a, subject: "a.*.>", pending_bytes_limit: "1024"}
actions:
  - {at: 1h2m3.5s, publish: {client: a, subject: x.y-z/w, size: 1_000}}
`))
	require.NoError(t, err)
	require.Equal(t, uint64(16), s.Seed)
	require.Equal(t, 2<<30, *s.Clients[0].PendingBytesLimit)
	require.Equal(t, 3000, *s.Clients[0].ReconnectBufSize)
	require.Equal(t, -5, *s.Clients[1].PendingBytesLimit)
	require.Equal(t, 7, *s.Clients[1].ReconnectBufSize)
	require.Equal(t, 1024, *s.Subs[0].PendingBytesLimit)
	require.Equal(t, time.Hour+2*time.Minute+3500*time.Millisecond, s.Actions[0].At)
	require.Equal(t, 1000, s.Actions[0].Publish.Size)
}

func TestParseServerRealism(t *testing.T) {
	s, err := Parse("slow.yaml", []byte(`
name: slow
network: {bandwidth: 512KiB/s}
server:
  max_pending: 4MB
  no_fast_producer_stall: true
`))
	require.NoError(t, err)
	require.Equal(t, Network{Latency: sim.Const(DefaultLatency), Bandwidth: 512 << 10}, s.Network)
	require.Equal(t, Server{NoResponders: true, MaxPending: 4_000_000, MaxPendingLine: 5, NoFastProducerStall: true}, s.Server)
	require.Contains(t, string(s.Marshal()), "network: {bandwidth: 512KiB/s}\nserver: {max_pending: 4000000, no_fast_producer_stall: true}\n")

	s, err = Parse("default.yaml", []byte("name: d\n"))
	require.NoError(t, err)
	require.Zero(t, s.Network.Bandwidth, "unlimited by default")
	require.Zero(t, s.Server.MaxPending, "0: the model applies nats-server's 64MiB")
	require.False(t, s.Server.NoFastProducerStall, "the stall is on by default, as in nats-server v2.15")
}

func TestParseDispatcherAndSubDrainTimeout(t *testing.T) {
	src := `name: d
profile: java
clients: [{name: app}]
subscriptions:
  - {id: a, client: app, subject: x, dispatcher: shared}
  - {id: b, client: app, subject: y, dispatcher: shared, handler: {actions: [{drain_sub: {timeout: 20ms}}]}}
  - {id: c, client: app, subject: z, handler: {actions: [{drain_sub: {}}]}}
actions:
  - {at: 1ms, drain_sub: {sub: a, timeout: 50ms}}
  - {at: 2ms, drain_sub: {sub: c}}
`
	s, err := Parse("d.yaml", []byte(src))
	require.NoError(t, err)
	require.Equal(t, "shared", s.Subs[0].Dispatcher)
	require.Equal(t, 5, s.Subs[0].DispatcherLine)
	require.Equal(t, "", s.Subs[2].Dispatcher)
	ms20, ms50 := 20*time.Millisecond, 50*time.Millisecond
	require.Equal(t, &DrainSub{Timeout: &ms20}, s.Subs[1].Handler.Actions[0].DrainSub)
	require.Equal(t, &DrainSub{}, s.Subs[2].Handler.Actions[0].DrainSub)
	require.Equal(t, &DrainSub{Sub: "a", Timeout: &ms50}, s.Actions[0].DrainSub)
	require.Equal(t, &DrainSub{Sub: "c"}, s.Actions[1].DrainSub)
	// Marshal writes both back.
	again, err := Parse("again.yaml", s.Marshal())
	require.NoError(t, err)
	require.Equal(t, s.Subs[1].Handler.Actions[0].DrainSub, again.Subs[1].Handler.Actions[0].DrainSub)
	require.Equal(t, s.Actions[0].DrainSub, again.Actions[0].DrainSub)
	require.Equal(t, "shared", again.Subs[1].Dispatcher)
}

func TestParseBad(t *testing.T) {
	const head = "name: x\nclients: [{name: app}]\n" // lines 1-2
	tests := []struct {
		name string
		src  string
		want string // the whole error message
	}{
		{
			"unknown field with suggestion",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: a, cuont: 3}}\n",
			`bad.yaml:4: actions[0].publish.cuont: unknown field "cuont" (did you mean "count"?)`,
		},
		{
			"blocking not a boolean",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, handler: {blocking: sometimes}}\n",
			`bad.yaml:4: subscriptions[0].handler.blocking: want true or false, got string "sometimes"`,
		},
		{
			"unknown top-level field",
			head + "color: blue\n",
			`bad.yaml:3: color: unknown field "color" (want one of name, description, profile, seed, limits, network, server, servers, routes, leafnodes, gateways, clients, subscriptions, actions, vary, expect, ties, choices)`,
		},
		{
			"unknown client",
			head + "actions:\n  - at: 0s\n    publish:\n      client: ap\n      subject: a\n",
			`bad.yaml:6: actions[0].publish.client: unknown client "ap" (did you mean "app"?)`,
		},
		{
			"unknown client of subscription",
			head + "subscriptions:\n  - id: s\n    client: nobody\n    subject: a\n",
			`bad.yaml:5: subscriptions[0].client: unknown client "nobody" (want one of app)`,
		},
		{
			"unknown subscription",
			head + "actions:\n  - {at: 0s, drain_sub: {sub: s1}}\n",
			`bad.yaml:4: actions[0].drain_sub.sub: unknown subscription "s1" (no subscriptions are defined)`,
		},
		{
			"bad duration",
			head + "actions:\n  - at: 10 seconds\n    close: {client: app}\n",
			`bad.yaml:4: actions[0].at: bad duration "10 seconds": want a duration such as 250ms, 1.5s or 2m`,
		},
		{
			"duration without unit",
			head + "actions:\n  - {at: 5, close: {client: app}}\n",
			`bad.yaml:4: actions[0].at: bad duration "5": want a duration such as 250ms, 1.5s or 2m`,
		},
		{
			"negative duration",
			head + "actions:\n  - {at: 0s, disconnect: {client: app, for: -1s}}\n",
			`bad.yaml:4: actions[0].disconnect.for: duration "-1s" must not be negative (allowed: 0 to 1000h)`,
		},
		{
			"duration of wrong type",
			head + "actions:\n  - {at: [1s], close: {client: app}}\n",
			`bad.yaml:4: actions[0].at: want a duration such as 250ms, got a list`,
		},
		{
			"negative count",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: a, count: -2}}\n",
			`bad.yaml:4: actions[0].publish.count: must be at least 1, got -2 (allowed: 1 to 1000000000)`,
		},
		{
			"zero count",
			head + "subscriptions: [{id: s, client: app, subject: a, type: sync}]\nactions:\n  - {at: 0s, next_msg: {sub: s, count: 0}}\n",
			`bad.yaml:5: actions[0].next_msg.count: must be at least 1, got 0 (allowed: 1 to 1000000000)`,
		},
		{
			"count of wrong type",
			head + "actions:\n  - {at: 0s, request: {client: app, subject: a, count: abc}}\n",
			`bad.yaml:4: actions[0].request.count: want an integer, got string "abc"`,
		},
		{
			"quoted count",
			head + "actions:\n  - {at: 0s, request: {client: app, subject: a, count: \"3\"}}\n",
			`bad.yaml:4: actions[0].request.count: want an integer, got string "3"`,
		},
		{
			"count out of range",
			head + "actions:\n  - {at: 0s, request: {client: app, subject: a, count: 99999999999999999999}}\n",
			`bad.yaml:4: actions[0].request.count: 99999999999999999999 exceeds the maximum 1000000000 (allowed: 1 to 1000000000)`,
		},
		{
			"wildcard in publish subject",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: foo.*}}\n",
			`bad.yaml:4: actions[0].publish.subject: subject "foo.*" has wildcard *: only subscriptions may use wildcards`,
		},
		{
			"wildcard in reply subject",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: a, reply: \">\"}}\n",
			`bad.yaml:4: actions[0].publish.reply: subject ">" has wildcard >: only subscriptions may use wildcards`,
		},
		{
			"full wildcard not last",
			head + "subscriptions:\n  - {id: s, client: app, subject: a.>.b}\n",
			`bad.yaml:4: subscriptions[0].subject: subject "a.>.b" has > before its last token: > must be the last token`,
		},
		{
			"wildcard inside token",
			head + "subscriptions:\n  - {id: s, client: app, subject: a.b*}\n",
			`bad.yaml:4: subscriptions[0].subject: subject "a.b*" has token "b*": the wildcards * and > must stand alone as a token`,
		},
		{
			"empty token",
			head + "subscriptions:\n  - {id: s, client: app, subject: a..b}\n",
			`bad.yaml:4: subscriptions[0].subject: subject "a..b" has an empty token`,
		},
		{
			"space in subject",
			head + "subscriptions:\n  - {id: s, client: app, subject: a b}\n",
			`bad.yaml:4: subscriptions[0].subject: subject "a b" contains white space or a control character`,
		},
		{
			"space in queue",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, queue: my workers}\n",
			`bad.yaml:4: subscriptions[0].queue: queue name "my workers" contains white space or a control character`,
		},
		{
			"duplicate subscription id",
			head + "subscriptions:\n  - {id: s, client: app, subject: a}\n  - {id: s, client: app, subject: b}\n",
			`bad.yaml:5: subscriptions[1].id: duplicate subscription id "s" (first used by subscriptions[0] on line 4)`,
		},
		{
			"duplicate client name",
			"name: x\nclients:\n  - name: app\n  - name: app\n",
			`bad.yaml:4: clients[1].name: duplicate client name "app" (first used by clients[0] on line 3)`,
		},
		{
			"empty name",
			"name: x\nclients:\n  - name: \"\"\n",
			`bad.yaml:3: clients[0].name: must not be empty`,
		},
		{
			"duplicate key",
			"name: x\nseed: 1\nseed: 2\n",
			`bad.yaml:3: seed: duplicate field (first set on line 2)`,
		},
		{
			"two verbs",
			head + "actions:\n  - {at: 0s, drain: {client: app}, close: {client: app}}\n",
			`bad.yaml:4: actions[0]: two verbs, drain and close: want exactly one per action`,
		},
		{
			"no verb",
			head + "actions:\n  - {at: 0s}\n",
			`bad.yaml:4: actions[0]: no verb: want one of publish, request, flush, subscribe, unsubscribe, auto_unsubscribe, drain_sub, drain, close, next_msg, counters, disconnect, restart_server, stall, lame_duck, cut_link`,
		},
		{
			"no verb in handler action",
			head + "subscriptions:\n  - id: s\n    client: app\n    subject: a\n    handler:\n      actions:\n        - nth: 2\n",
			`bad.yaml:9: subscriptions[0].handler.actions[0]: no verb: want one of reply, publish, request, unsubscribe, drain_sub, subscribe, drain, sleep`,
		},
		{
			"missing at",
			head + "actions:\n  - {close: {client: app}}\n",
			`bad.yaml:4: actions[0].at: missing required field: want at (a time) or after (an event)`,
		},
		{
			"missing subject",
			head + "actions:\n  - {at: 0s, publish: {client: app}}\n",
			`bad.yaml:4: actions[0].publish.subject: missing required field`,
		},
		{
			"missing name",
			"seed: 1\n",
			`bad.yaml:1: name: missing required field`,
		},
		{
			"sync subscription with handler",
			head + "subscriptions:\n  - id: s\n    client: app\n    subject: a\n    handler: {duration: 1ms}\n    type: sync\n",
			`bad.yaml:7: subscriptions[0].handler: a sync subscription cannot have a handler (the application calls next_msg instead)`,
		},
		{
			"chan subscription with handler",
			head + "subscriptions:\n  - id: s\n    client: app\n    subject: a\n    type: chan\n    handler: {duration: 1ms}\n",
			`bad.yaml:8: subscriptions[0].handler: a chan subscription cannot have a handler (the application calls next_msg instead)`,
		},
		{
			"chan_len on a sync subscription",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, type: sync, chan_len: 4}\n",
			`bad.yaml:4: subscriptions[0].chan_len: chan_len is the capacity of a chan subscription's channel: give the subscription type: chan, or leave chan_len out`,
		},
		{
			"chan_len zero",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, type: chan, chan_len: 0}\n",
			`bad.yaml:4: subscriptions[0].chan_len: must be at least 1, got 0 (allowed: 1 to 1000000000)`,
		},
		{
			"pending limit on a chan subscription",
			head + "subscriptions:\n  - id: s\n    client: app\n    subject: a\n    type: chan\n    pending_msgs_limit: 4\n",
			`bad.yaml:8: subscriptions[0].pending_msgs_limit: a chan subscription has no pending limits (nats.go's SetPendingLimits returns ErrTypeSubscription): its channel's capacity, chan_len, limits it`,
		},
		{
			"next_msg on async subscription",
			head + "subscriptions: [{id: s, client: app, subject: a}]\nactions:\n  - {at: 0s, next_msg: {sub: s}}\n",
			`bad.yaml:5: actions[0].next_msg.sub: subscription "s" is async: next_msg needs a sync or chan subscription (type: sync or chan)`,
		},
		{
			"subscribe of a subscription that is not deferred",
			head + "subscriptions: [{id: s, client: app, subject: a}]\nactions:\n  - {at: 0s, subscribe: {sub: s}}\n",
			`bad.yaml:5: actions[0].subscribe.sub: subscription "s" is not deferred: it is subscribed at the start (set deferred: true on it to subscribe it later)`,
		},
		{
			"handler subscribes another client's subscription",
			"name: x\nclients: [{name: a}, {name: b}]\nsubscriptions:\n" +
				"  - {id: s, client: a, subject: x, handler: {actions: [{subscribe: {sub: t}}]}}\n" +
				"  - {id: t, client: b, subject: y, deferred: true}\n",
			`bad.yaml:4: subscriptions[0].handler.actions[0].subscribe.sub: subscription "t" belongs to client "b", but this handler runs on client "a"`,
		},
		{
			"client in handler publish",
			head + "subscriptions:\n  - id: s\n    client: app\n    subject: a\n    handler:\n      actions:\n        - publish: {client: app, subject: b}\n",
			`bad.yaml:9: subscriptions[0].handler.actions[0].publish.client: not allowed in a handler: the handler's own connection is used`,
		},
		{
			"negative nth",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, handler: {actions: [{nth: -1, drain: {}}]}}\n",
			`bad.yaml:4: subscriptions[0].handler.actions[0].nth: must be at least 0, got -1 (allowed: 0 to 1000000000)`,
		},
		{
			"dispatcher on a sync subscription",
			head + "subscriptions:\n  - id: s\n    client: app\n    subject: a\n    type: sync\n    dispatcher: d\n",
			`bad.yaml:8: subscriptions[0].dispatcher: a sync subscription cannot belong to a dispatcher (a dispatcher runs callbacks)`,
		},
		{
			"empty dispatcher name",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, dispatcher: ''}\n",
			`bad.yaml:4: subscriptions[0].dispatcher: must not be empty`,
		},
		{
			"sub in a handler's drain_sub",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, handler: {actions: [{drain_sub: {sub: s}}]}}\n",
			`bad.yaml:4: subscriptions[0].handler.actions[0].drain_sub.sub: unknown field "sub" (want one of timeout)`,
		},
		{
			"drain_sub without sub",
			head + "subscriptions: [{id: s, client: app, subject: a}]\nactions:\n  - {at: 0s, drain_sub: {timeout: 1s}}\n",
			`bad.yaml:5: actions[0].drain_sub.sub: missing required field`,
		},
		{
			"negative drain_sub timeout",
			head + "subscriptions: [{id: s, client: app, subject: a}]\nactions:\n  - {at: 0s, drain_sub: {sub: s, timeout: -1s}}\n",
			`bad.yaml:5: actions[0].drain_sub.timeout: duration "-1s" must not be negative (allowed: 0 to 1000h)`,
		},
		{
			"field in empty verb",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, handler: {actions: [{unsubscribe: {sub: s}}]}}\n",
			`bad.yaml:4: subscriptions[0].handler.actions[0].unsubscribe.sub: unknown field "sub" (this takes no fields)`,
		},
		{
			"bad distribution",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, handler: {duration: gauss(1ms)}}\n",
			`bad.yaml:4: subscriptions[0].handler.duration: distribution "gauss(1ms)": unknown family "gauss" (want a duration, uniform(lo,hi), exp(mean), lognormal(median,sigma), percentiles(p50=...,max=...), oneof(d1,d2,...) or empirical(file))`,
		},
		{
			"unquoted distribution in flow mapping",
			"name: x\nnetwork: {latency: uniform(200us,1ms)}\n",
			`bad.yaml:2: network.latency: "uniform(200us" was cut short at a comma: YAML splits {...} at commas, so quote the value: "uniform(200us,1ms)"`,
		},
		{
			"bad size",
			"name: x\nclients:\n  - name: app\n    reconnect_buf_size: 12 parsecs\n",
			`bad.yaml:4: clients[0].reconnect_buf_size: bad size "12 parsecs": want a size in bytes such as 1024, 64KiB or 8MiB`,
		},
		{
			"negative size",
			head + "actions:\n  - {at: 0s, publish: {client: app, subject: a, size: -1}}\n",
			`bad.yaml:4: actions[0].publish.size: must be at least 0, got -1 (allowed: 0 to 1099511627776)`,
		},
		{
			"zero pending limit",
			"name: x\nclients:\n  - {name: app, pending_msgs_limit: 0}\n",
			`bad.yaml:3: clients[0].pending_msgs_limit: must not be 0 (use a negative value for no limit)`,
		},
		{
			"negative seed",
			"name: x\nseed: -1\n",
			`bad.yaml:2: seed: want a non-negative integer below 2^64, got -1`,
		},
		{
			"empty profile",
			"name: x\nprofile: ''\n",
			`bad.yaml:2: profile: must not be empty`,
		},
		{
			"boolean of wrong type",
			"name: x\nserver: {no_responders: yes}\n",
			`bad.yaml:2: server.no_responders: want true or false, got string "yes"`,
		},
		{
			"zero max_time",
			"name: x\nlimits: {max_time: 0s}\n",
			`bad.yaml:2: limits.max_time: must be positive`,
		},
		{
			"zero max_records",
			"name: x\nlimits: {max_records: 0}\n",
			`bad.yaml:2: limits.max_records: must be at least 1, got 0 (allowed: 1 to 1000000000)`,
		},
		{
			"unknown subscription type",
			head + "subscriptions:\n  - {id: s, client: app, subject: a, type: pull}\n",
			`bad.yaml:4: subscriptions[0].type: unknown subscription type "pull": want async, sync or chan`,
		},
		{
			"list where a mapping belongs",
			"name: x\nlimits: [1, 2]\n",
			`bad.yaml:2: limits: want a mapping, got a list`,
		},
		{
			"alias",
			"name: &n x\ndescription: *n\n",
			`bad.yaml:2: description: YAML aliases (*name) are not supported`,
		},
		{
			// The YAML library reports the line of the enclosing block.
			"YAML syntax error",
			"name: x\nclients:\n  - name: app\n   bad: indentation\n",
			`bad.yaml:2: invalid YAML: did not find expected '-' indicator`,
		},
		{
			"YAML syntax error in flow",
			"name: x\nactions: [{at: 0s\n",
			`bad.yaml:1: invalid YAML: did not find expected ',' or '}'`,
		},
		{
			"tab indentation",
			"name: x\n\tseed: 1\n",
			`bad.yaml:2: invalid YAML: found a tab character that violates indentation`,
		},
		{
			"empty file",
			"# nothing here\n",
			`bad.yaml:1: empty file: want a scenario (name:, clients:, actions:, ...)`,
		},
		{
			"two documents",
			"name: x\n---\nname: y\n",
			`bad.yaml:2: more than one YAML document: want exactly one scenario per file`,
		},
		{
			"not a mapping",
			"- name: x\n",
			`bad.yaml:1: want a mapping with the scenario's fields (name:, clients:, actions:, ...), got a list`,
		},
		{
			"bandwidth without /s",
			"name: x\nnetwork: {bandwidth: 10MB}\n",
			`bad.yaml:2: network.bandwidth: bad bandwidth "10MB": want bytes per second such as 10MB/s, 512KiB/s or 125000/s (leave bandwidth out for unlimited)`,
		},
		{
			"bandwidth in bits",
			"name: x\nnetwork: {bandwidth: 100Mbit/s}\n",
			`bad.yaml:2: network.bandwidth: bad bandwidth "100Mbit/s": want bytes per second such as 10MB/s, 512KiB/s or 125000/s (leave bandwidth out for unlimited)`,
		},
		{
			"zero bandwidth",
			"name: x\nnetwork:\n  bandwidth: 0/s\n",
			`bad.yaml:3: network.bandwidth: bandwidth "0/s" must be positive: want bytes per second such as 10MB/s, 512KiB/s or 125000/s (leave bandwidth out for unlimited)`,
		},
		{
			"bandwidth as a number",
			"name: x\nnetwork: {bandwidth: 1000}\n",
			`bad.yaml:2: network.bandwidth: want a rate such as 10MB/s, got integer 1000`,
		},
		{
			"zero max_pending",
			"name: x\nserver: {max_pending: 0}\n",
			`bad.yaml:2: server.max_pending: must be positive (leave max_pending out for nats-server's default, 64MiB)`,
		},
		{
			"negative max_pending",
			"name: x\nserver: {max_pending: -1}\n",
			`bad.yaml:2: server.max_pending: must be at least 0, got -1 (allowed: 0 to 1099511627776)`,
		},
		{
			"unknown ties",
			"name: x\nties: shuffle\n",
			`bad.yaml:2: ties: unknown value "shuffle": want scheduled (equal-time events in scheduling order, the default) or permute (in an order the run's choices decide)`,
		},
		{
			"ties not a string",
			"name: x\nties: true\n",
			`bad.yaml:2: ties: want scheduled or permute, got true`,
		},
		{
			"choices not a list",
			"name: x\nchoices: 3\n",
			`bad.yaml:2: choices: want a list, got integer 3`,
		},
		{
			"negative choice",
			"name: x\nchoices: [0, -1]\n",
			`bad.yaml:2: choices[1]: must be at least 0, got -1 (allowed: 0 to 1000000000)`,
		},
		{
			"empty oneof",
			"name: x\nnetwork: {latency: oneof()}\n",
			`bad.yaml:2: network.latency: distribution "oneof()": value 1: bad duration "" (want e.g. 250ms, 1.5s) (want oneof(d1,d2,...) with at least one duration)`,
		},
		{
			"no_fast_producer_stall not a boolean",
			"name: x\nserver: {no_fast_producer_stall: yes please}\n",
			`bad.yaml:2: server.no_fast_producer_stall: want true or false, got string "yes please"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("bad.yaml", []byte(tt.src))
			require.Nil(t, s)
			require.Error(t, err)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.want, err.Error())
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "f.yaml", Line: 3, Field: "a.b", Msg: "bad"}, "f.yaml:3: a.b: bad"},
		{Error{File: "f.yaml", Msg: "bad"}, "f.yaml: bad"},
		{Error{Line: 3, Msg: "bad"}, "line 3: bad"},
		{Error{Field: "seed", Msg: "bad"}, "seed: bad"},
		{Error{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.err.Error())
	}
}

func TestErrorUnwrap(t *testing.T) {
	_, err := Parse("d.yaml", []byte("name: x\nnetwork: {latency: exp(1)}\n"))
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, 2, e.Line)
	require.Equal(t, "network.latency", e.Field)
	require.NotNil(t, errors.Unwrap(err), "the distribution error is wrapped")
}

func TestLoad(t *testing.T) {
	s, err := Load("testdata/good/minimal.yaml")
	require.NoError(t, err)
	require.Equal(t, "testdata/good/minimal.yaml", s.File)
	require.Equal(t, "minimal", s.Name)

	_, err = Load("testdata/no-such-file.yaml")
	var e *Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Equal(t, "testdata/no-such-file.yaml: no such file or directory", err.Error())
}

func TestRoundTrip(t *testing.T) {
	for name, data := range goodFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			s, err := Parse(name, data)
			require.NoError(t, err)
			out := s.Marshal()
			s2, err := Parse("marshaled.yaml", out)
			require.NoError(t, err, "Marshal output:\n%s", out)
			clearPositions(s)
			clearPositions(s2)
			require.Equal(t, s, s2, "Marshal output:\n%s", out)
			require.Equal(t, string(out), string(s2.Marshal()), "Marshal is stable")
		})
	}
}

func TestMarshal(t *testing.T) {
	s, err := Load("testdata/good/request-reply.yaml")
	require.NoError(t, err)
	want := strings.TrimLeft(`
name: request-reply-during-drain
description: a service drains while requests are in flight
profile: go
seed: 42
clients:
  - name: requester
  - name: service
    drain_timeout: 5s
subscriptions:
  - id: svc
    client: service
    subject: svc.echo
    queue: echo
    handler:
      duration: "uniform(1ms,3ms)"
      actions:
        - {reply: {size: 64}}
actions:
  - {at: 0s, request: {client: requester, subject: svc.echo, size: 64, count: 100, interval: 100µs}}
  - {at: 5ms, drain: {client: service}}
`, "\n")
	require.Equal(t, want, string(s.Marshal()))
}

func TestMarshalQuoting(t *testing.T) {
	for _, v := range []string{"", "true", "null", "~", "1", "0x1F", "1e3", ".inf", "-", "*", ">", "a: b", "a #b",
		" lead", "trail ", "x,y", "{x}", "[x]", "&a", "!t", "%p", "@x", "`x", "'q'", "\"q\"", "line\nbreak",
		"tab\there", "ünï", "\u2028", "\x7f", "2024-01-01", "<<", "a  b", "é", "y", "no", "on"} {
		require.Equal(t, v, unquote(t, quote(v)), "quote(%q) = %s", v, quote(v))
	}
}

// unquote reads the YAML scalar s back as a string, both in block context
// and inside a flow mapping.
func unquote(t *testing.T, s string) string {
	t.Helper()
	block, err := Parse("q.yaml", []byte("name: q\ndescription: "+s+"\n"))
	require.NoError(t, err, "block: %s", s)
	flow, err := Parse("q.yaml", []byte("{name: q, description: "+s+"}\n"))
	require.NoError(t, err, "flow: %s", s)
	require.Equal(t, block.Description, flow.Description)
	return block.Description
}
