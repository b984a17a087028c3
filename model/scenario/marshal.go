package scenario

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/sim"
)

// Marshal renders s as a scenario file that Parse reads back as an equal
// Scenario, apart from File and the Line fields. Fields that hold their
// default value are left out, except name, profile and seed. Clients and
// subscriptions are written one field per line, actions one per line.
func (s *Scenario) Marshal() []byte {
	var b bytes.Buffer
	top := func(key, value string) {
		b.WriteString(key + ": " + value + "\n")
	}
	top("name", quote(s.Name))
	if s.Description != "" {
		top("description", quote(s.Description))
	}
	top("profile", quote(s.Profile))
	top("seed", strconv.FormatUint(s.Seed, 10))
	if s.PermuteTies {
		top("ties", TiesPermute)
	}
	if s.Choices != nil {
		top("choices", choices(s.Choices))
	}

	var limits pairs
	if s.Limits.MaxTime != DefaultMaxTime {
		limits.add("max_time", duration(s.Limits.MaxTime))
	}
	if s.Limits.MaxEvents != DefaultMaxEvents {
		limits.add("max_events", strconv.FormatUint(s.Limits.MaxEvents, 10))
	}
	if s.Limits.MaxRecords != DefaultMaxRecords {
		limits.add("max_records", strconv.FormatUint(s.Limits.MaxRecords, 10))
	}
	if len(limits) > 0 {
		top("limits", limits.flow())
	}
	var network pairs
	if s.Network.Latency != sim.Const(DefaultLatency) {
		network.add("latency", dist(s.Network.Latency))
	}
	if s.Network.Bandwidth != 0 {
		network.add("bandwidth", quote(size(s.Network.Bandwidth)+"/s"))
	}
	if len(network) > 0 {
		top("network", network.flow())
	}
	var server pairs
	if !s.Server.NoResponders {
		server.add("no_responders", "false")
	}
	if s.Server.MaxPending != 0 {
		server.add("max_pending", size(s.Server.MaxPending))
	}
	if s.Server.NoFastProducerStall {
		server.add("no_fast_producer_stall", "true")
	}
	if len(server) > 0 {
		top("server", server.flow())
	}

	if s.Topology != nil {
		for _, l := range marshalTopology(s.Topology) {
			b.WriteString(l + "\n")
		}
	}
	if len(s.Clients) > 0 {
		b.WriteString("clients:\n")
		for _, c := range s.Clients {
			writeItem(&b, clientLines(&c))
		}
	}
	if len(s.Subs) > 0 {
		b.WriteString("subscriptions:\n")
		for _, sub := range s.Subs {
			writeItem(&b, subLines(&sub))
		}
	}
	if len(s.Actions) > 0 {
		b.WriteString("actions:\n")
		for _, a := range s.Actions {
			b.WriteString("  - " + actionPairs(&a).flow() + "\n")
		}
	}
	if s.Vary != nil {
		b.WriteString("vary:\n")
		for _, l := range marshalVary(s.Vary) {
			b.WriteString(l + "\n")
		}
	}
	if len(s.Expect) > 0 {
		b.WriteString("expect:\n")
		for _, e := range s.Expect {
			b.WriteString("  - " + marshalExpect(&e) + "\n")
		}
	}
	return b.Bytes()
}

// writeItem writes lines as one item of a top-level block list.
func writeItem(b *bytes.Buffer, lines []string) {
	for i, l := range lines {
		if i == 0 {
			b.WriteString("  - " + l + "\n")
		} else {
			b.WriteString("    " + l + "\n")
		}
	}
}

func clientLines(c *Client) []string {
	p := pairs{"name: " + quote(c.Name)}
	if c.DrainTimeout != nil {
		p.add("drain_timeout", duration(*c.DrainTimeout))
	}
	if c.PendingMsgsLimit != nil {
		p.add("pending_msgs_limit", strconv.Itoa(*c.PendingMsgsLimit))
	}
	if c.PendingBytesLimit != nil {
		p.add("pending_bytes_limit", size(*c.PendingBytesLimit))
	}
	if !c.AllowReconnect {
		p.add("allow_reconnect", "false")
	}
	if c.ReconnectWait != nil {
		p.add("reconnect_wait", duration(*c.ReconnectWait))
	}
	if c.MaxReconnect != nil {
		p.add("max_reconnect", strconv.Itoa(*c.MaxReconnect))
	}
	if c.ReconnectBufSize != nil {
		p.add("reconnect_buf_size", size(*c.ReconnectBufSize))
	}
	if c.NoCallbacksAfterClose {
		p.add("no_callbacks_after_close", "true")
	}
	if c.Server != "" {
		p.add("server", quote(c.Server))
	}
	if len(c.ReconnectServers) > 0 {
		quoted := make([]string, len(c.ReconnectServers))
		for i, r := range c.ReconnectServers {
			quoted[i] = quote(r)
		}
		p.add("reconnect_servers", "["+strings.Join(quoted, ", ")+"]")
	}
	if c.PingInterval != nil {
		p.add("ping_interval", duration(*c.PingInterval))
	}
	if c.MaxPingsOut != nil {
		p.add("max_pings_out", strconv.Itoa(*c.MaxPingsOut))
	}
	if c.OfflineUntil != nil {
		p.add("offline_until", duration(*c.OfflineUntil))
	}
	if c.LameDuck != LameDuckIgnore {
		p.add("lame_duck", c.LameDuck.String())
	}
	return p
}

func subLines(s *Subscription) []string {
	p := pairs{"id: " + quote(s.ID)}
	p.add("client", quote(s.Client))
	p.add("subject", quote(s.Subject))
	if s.Queue != "" {
		p.add("queue", quote(s.Queue))
	}
	if s.Type != Async {
		p.add("type", s.Type.String())
	}
	if s.Deferred {
		p.add("deferred", "true")
	}
	if s.Max != 0 {
		p.add("max", strconv.Itoa(s.Max))
	}
	if s.Type == Chan {
		p.add("chan_len", strconv.Itoa(s.ChanLen))
	}
	if s.StatusEvents {
		p.add("status_events", "true")
	}
	if s.PendingMsgsLimit != nil {
		p.add("pending_msgs_limit", strconv.Itoa(*s.PendingMsgsLimit))
	}
	if s.PendingBytesLimit != nil {
		p.add("pending_bytes_limit", size(*s.PendingBytesLimit))
	}
	if s.Dispatcher != "" {
		p.add("dispatcher", quote(s.Dispatcher))
	}
	h := s.Handler
	if h.Duration.IsZero() && !h.Blocking && len(h.Actions) == 0 {
		return p
	}
	p = append(p, "handler:")
	if !h.Duration.IsZero() {
		p = append(p, "  duration: "+dist(h.Duration))
	}
	if h.Blocking {
		p = append(p, "  blocking: true")
	}
	if len(h.Actions) > 0 {
		p = append(p, "  actions:")
		for _, a := range h.Actions {
			p = append(p, "    - "+handlerActionPairs(&a).flow())
		}
	}
	return p
}

func handlerActionPairs(a *HandlerAction) pairs {
	var p pairs
	if a.Nth != 0 {
		p.add("nth", strconv.Itoa(a.Nth))
	}
	switch {
	case a.Reply != nil:
		var r pairs
		if a.Reply.Size != 0 {
			r.add("size", size(a.Reply.Size))
		}
		p.add("reply", r.flow())
	case a.Publish != nil:
		p.add("publish", publishPairs(a.Publish, false).flow())
	case a.Request != nil:
		p.add("request", requestPairs(a.Request, false).flow())
	case a.Unsubscribe != nil:
		p.add("unsubscribe", "{}")
	case a.DrainSub != nil:
		p.add("drain_sub", drainSubPairs(a.DrainSub).flow())
	case a.Subscribe != nil:
		p.add("subscribe", subRef(a.Subscribe.Sub))
	case a.Drain != nil && a.Drain.Wait:
		p.add("drain", "{wait: true}")
	case a.Drain != nil:
		p.add("drain", "{}")
	case a.Sleep != nil:
		p.add("sleep", dist(*a.Sleep))
	}
	return p
}

func drainSubPairs(ds *DrainSub) pairs {
	var p pairs
	if ds.Sub != "" {
		p.add("sub", quote(ds.Sub))
	}
	if ds.Timeout != nil {
		p.add("timeout", duration(*ds.Timeout))
	}
	return p
}

func actionPairs(a *Action) pairs {
	p := pairs{"at: " + duration(a.At)}
	if a.After != nil {
		p = pairs{"after: " + triggerPairs(a.After).flow()}
	}
	switch {
	case a.Publish != nil:
		p.add("publish", publishPairs(a.Publish, true).flow())
	case a.Request != nil:
		p.add("request", requestPairs(a.Request, true).flow())
	case a.Flush != nil:
		f := pairs{"client: " + quote(a.Flush.Client)}
		if a.Flush.Timeout != DefaultFlushTimeout {
			f.add("timeout", duration(a.Flush.Timeout))
		}
		p.add("flush", f.flow())
	case a.Subscribe != nil:
		p.add("subscribe", subRef(a.Subscribe.Sub))
	case a.Unsubscribe != nil:
		p.add("unsubscribe", subRef(a.Unsubscribe.Sub))
	case a.Counters != nil:
		p.add("counters", subRef(a.Counters.Sub))
	case a.AutoUnsubscribe != nil:
		au := pairs{"sub: " + quote(a.AutoUnsubscribe.Sub), "max: " + strconv.Itoa(a.AutoUnsubscribe.Max)}
		p.add("auto_unsubscribe", au.flow())
	case a.DrainSub != nil:
		p.add("drain_sub", drainSubPairs(a.DrainSub).flow())
	case a.Drain != nil:
		p.add("drain", clientRef(a.Drain.Client))
	case a.Close != nil:
		p.add("close", clientRef(a.Close.Client))
	case a.NextMsg != nil:
		n := pairs{"sub: " + quote(a.NextMsg.Sub)}
		if a.NextMsg.Timeout != DefaultNextMsgTimeout {
			n.add("timeout", duration(a.NextMsg.Timeout))
		}
		if a.NextMsg.Count != 1 {
			n.add("count", strconv.Itoa(a.NextMsg.Count))
		}
		p.add("next_msg", n.flow())
	case a.Disconnect != nil:
		dc := pairs{"client: " + quote(a.Disconnect.Client)}
		if a.Disconnect.For != 0 {
			dc.add("for", duration(a.Disconnect.For))
		}
		p.add("disconnect", dc.flow())
	case a.RestartServer != nil:
		var rs pairs
		if a.RestartServer.For != 0 {
			rs.add("for", duration(a.RestartServer.For))
		}
		if a.RestartServer.Server != "" {
			rs.add("server", quote(a.RestartServer.Server))
		}
		p.add("restart_server", rs.flow())
	case a.Stall != nil:
		p.add("stall", pairs{"client: " + quote(a.Stall.Client), "for: " + duration(a.Stall.For)}.flow())
	case a.LameDuck != nil:
		ld := pairs{"server: " + quote(a.LameDuck.Server)}
		if a.LameDuck.Grace != DefaultLameDuckGrace {
			ld.add("grace", duration(a.LameDuck.Grace))
		}
		if a.LameDuck.Duration != DefaultLameDuckDuration {
			ld.add("duration", duration(a.LameDuck.Duration))
		}
		p.add("lame_duck", ld.flow())
	case a.CutLink != nil:
		c := a.CutLink
		p.add("cut_link", pairs{between(c.Between[0], c.Between[1]), "for: " + duration(c.For)}.flow())
	}
	return p
}

func publishPairs(pub *Publish, withClient bool) pairs {
	var p pairs
	if withClient {
		p.add("client", quote(pub.Client))
	}
	p.add("subject", quote(pub.Subject))
	if pub.Reply != "" {
		p.add("reply", quote(pub.Reply))
	}
	if pub.Size != 0 {
		p.add("size", size(pub.Size))
	}
	if pub.Headers != 0 {
		p.add("headers", size(pub.Headers))
	}
	if pub.Count != 1 {
		p.add("count", strconv.Itoa(pub.Count))
	}
	if pub.Interval != 0 {
		p.add("interval", duration(pub.Interval))
	}
	return p
}

func requestPairs(r *Request, withClient bool) pairs {
	var p pairs
	if withClient {
		p.add("client", quote(r.Client))
	}
	p.add("subject", quote(r.Subject))
	if r.Size != 0 {
		p.add("size", size(r.Size))
	}
	if r.Timeout != DefaultRequestTimeout {
		p.add("timeout", duration(r.Timeout))
	}
	if r.Count != 1 {
		p.add("count", strconv.Itoa(r.Count))
	}
	if r.Interval != 0 {
		p.add("interval", duration(r.Interval))
	}
	return p
}

func subRef(id string) string      { return "{sub: " + quote(id) + "}" }
func clientRef(name string) string { return "{client: " + quote(name) + "}" }

// pairs are rendered "key: value" fields of one mapping.
type pairs []string

func (p *pairs) add(key, value string) { *p = append(*p, key+": "+value) }

// flow renders p as a YAML flow mapping: {k: v, k: v}.
func (p pairs) flow() string { return "{" + strings.Join(p, ", ") + "}" }

func duration(d time.Duration) string { return quote(d.String()) }

func dist(d sim.Dist) string { return quote(d.String()) }

// size renders n bytes, in KiB, MiB or GiB when that is exact.
func size(n int) string {
	for _, u := range []struct {
		suffix string
		bytes  int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n > 0 && n%u.bytes == 0 {
			return strconv.Itoa(n/u.bytes) + u.suffix
		}
	}
	return strconv.Itoa(n)
}

// quote renders s as a YAML scalar: plain if that is safe in both block and
// flow context and reads back as the same string, else double-quoted.
// Go's quoting escapes are a subset of YAML's double-quoted escapes.
func quote(s string) string {
	if plainSafe(s) {
		return s
	}
	return strconv.Quote(s)
}

// plainWords remembers plainSafe's YAML verdict per word: a shrink
// marshals thousands of candidates that repeat the same few names, and
// parsing each name as YAML was a fifth of a short check --matrix. At
// most maxPlainWords words are kept (plainWordsKept counts them), so a
// long-running caller with ever-new names does not grow it without bound.
var (
	plainWords     sync.Map // string -> bool
	plainWordsKept atomic.Int64
)

const maxPlainWords = 1 << 14

// plainSafe reports whether s can be written as a plain (unquoted) YAML
// scalar that reads back as the string s.
func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '_', r == 'µ':
		case r == '.' || r == '/' || r == '-' || r == '*' || r == '>' || r == '(' || r == ')':
			if i == 0 {
				return false
			}
		case r == ' ':
			if i == 0 || i == len(s)-1 || s[i-1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	// Rule out words YAML reads as something else: true, null, 1e3, 0x1F...
	if safe, ok := plainWords.Load(s); ok {
		return safe.(bool)
	}
	var n yaml.Node
	safe := yaml.Unmarshal([]byte(s), &n) == nil && len(n.Content) == 1 &&
		n.Content[0].Kind == yaml.ScalarNode && n.Content[0].ShortTag() == "!!str" && n.Content[0].Value == s
	if plainWordsKept.Add(1) <= maxPlainWords {
		plainWords.Store(s, safe)
	}
	return safe
}
