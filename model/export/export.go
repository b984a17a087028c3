// Package export renders the trace of a model run for other tools: a
// Mermaid sequence diagram, short enough to read for a shrunk
// counterexample, and Chrome Trace Event JSON for whole runs, which
// Perfetto (ui.perfetto.dev) and chrome://tracing open.
//
// Both need to know what the model's trace events mean (which are message
// arrows between a client and the server, which open and close a callback,
// which change a connection's status), so they live here, next to the
// model, and package sim stays NATS-agnostic.
package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/drainsim/drainsim/sim"
)

// serverActor is the trace actor of the server's own events.
const serverActor = "server"

// scenarioActor is the trace actor of calls that belong to no client
// (restart_server).
const scenarioActor = "scenario"

// event is a trace event with its fields looked up by key.
type event struct {
	sim.Event
	tr *sim.Trace
}

func (e event) str(key string) string {
	if f, ok := e.tr.Field(e.Event, key); ok {
		return f.Value()
	}
	return ""
}

// details renders every field as key=value, in recording order.
func (e event) details() string {
	var b strings.Builder
	for i, f := range e.tr.Fields(e.Event) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.Key + "=" + f.Value())
	}
	return b.String()
}

// actors returns the trace's actors in order of first appearance, with the
// server second (between the first client and the others) and the
// scenario pseudo-actor folded into the server.
func actors(tr *sim.Trace) []string {
	var out []string
	add := func(a string) {
		for _, x := range out {
			if x == a {
				return
			}
		}
		out = append(out, a)
	}
	for _, e := range tr.Events() {
		if e.Actor != serverActor && e.Actor != scenarioActor {
			add(e.Actor)
		}
		if len(out) == 1 {
			add(serverActor)
		}
	}
	add(serverActor)
	return out
}

// MermaidLimit is the diagram size, in characters, above which Mermaid's
// renderer refuses a diagram unless configured otherwise (its default
// maxTextSize).
const MermaidLimit = 50000

// Mermaid writes the whole of tr as a Mermaid sequence diagram; see
// MermaidWindow.
func Mermaid(w io.Writer, tr *sim.Trace) error {
	return MermaidWindow(w, tr, Window{})
}

// MermaidWindow writes the events of tr inside win as a Mermaid sequence
// diagram: one participant per client and the server; publishes, SUBs and
// UNSUBs (when the server processed them) as arrows to the server;
// messages arriving at a client, queued or dropped, as arrows from it;
// callbacks as activations (ended by their return or their cancel; one
// that started before the window is not drawn as one, and those still
// open end with the diagram); status changes, API calls and faults as
// notes. Every line starts with the event's virtual time.
func MermaidWindow(w io.Writer, tr *sim.Trace, win Window) error {
	bw := bufio.NewWriter(w)
	ids := map[string]string{} // actor -> participant id; lookups only
	bw.WriteString("sequenceDiagram\n")
	for i, a := range actors(tr) {
		ids[a] = fmt.Sprintf("p%d", i)
		fmt.Fprintf(bw, "    participant %s as %s\n", ids[a], mermaidText(a))
	}
	ids[scenarioActor] = ids[serverActor]
	srv := ids[serverActor]
	type activation struct{ key, participant string }
	var active []activation // open activations, in order
	for _, ev := range win.events(tr) {
		e := event{ev, tr}
		me := ids[e.Actor]
		at := e.At.String() + " "
		line := func(format string, args ...any) {
			fmt.Fprintf(bw, "    "+format+"\n", args...)
		}
		switch e.Kind {
		case "publish", "reply":
			if r := e.str("result"); r != "ok" {
				line("Note over %s: %s", me, mermaidText(at+e.Kind+" by "+e.str("source")+" refused: "+r))
				continue
			}
			line("%s->>%s: %s", me, srv, mermaidText(at+"PUB "+e.str("subject")+" msg "+e.str("msg")+" ("+e.str("source")+")"))
		case "server.sub":
			line("%s->>%s: %s", me, srv, mermaidText(at+"SUB "+e.str("sub")+" processed"))
		case "server.unsub":
			line("%s->>%s: %s", me, srv, mermaidText(at+"UNSUB "+e.str("sub")+" processed"))
		case "msg.queued":
			line("%s->>%s: %s", srv, me, mermaidText(at+"MSG msg "+e.str("msg")+" to "+e.str("sub")+" (pending "+e.str("pending")+")"))
		case "msg.dropped":
			to := e.str("sub")
			if to == "" {
				to = "sid " + e.str("sid")
			}
			line("%s-x%s: %s", srv, me, mermaidText(at+"MSG msg "+e.str("msg")+" to "+to+" dropped: "+e.str("reason")))
		case "callback.start":
			line("Note right of %s: %s", me, mermaidText(at+e.str("sub")+" callback msg "+e.str("msg")))
			line("activate %s", me)
			active = append(active, activation{e.Actor + "/" + e.str("sub") + "/" + e.str("msg"), me})
		case "callback.end", "callback.cancelled":
			verb := " returned msg "
			if e.Kind == "callback.cancelled" {
				verb = " cancelled msg "
			}
			line("Note right of %s: %s", me, mermaidText(at+e.str("sub")+verb+e.str("msg")))
			key := e.Actor + "/" + e.str("sub") + "/" + e.str("msg")
			if j := slices.IndexFunc(active, func(a activation) bool { return a.key == key }); j >= 0 {
				active = slices.Delete(active, j, j+1)
				line("deactivate %s", me)
			}
		case "status":
			line("Note over %s: %s", me, mermaidText(at+e.str("to")))
		case "fault.disconnect", "conn.lost":
			line("Note over %s,%s: %s", me, srv, mermaidText(at+e.Kind+" "+e.details()))
		default:
			line("Note over %s: %s", me, mermaidText(at+e.Kind+" "+e.details()))
		}
	}
	for _, a := range active {
		fmt.Fprintf(bw, "    deactivate %s\n", a.participant)
	}
	return bw.Flush()
}

// mermaidText makes s safe as Mermaid message or note text: ';' and '#'
// have meanings there, and a line break would end the statement.
func mermaidText(s string) string {
	return strings.NewReplacer(";", ",", "#", " no.", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
}

// Window limits an export to the events whose virtual time lies in
// [From, To]; the zero Window (To == 0) holds the whole run. A long run's
// Mermaid diagram exceeds what renderers draw, so a window is how to look
// at part of it.
type Window struct {
	From, To sim.Time
}

// events returns the trace's events inside win, in trace order.
func (win Window) events(tr *sim.Trace) []sim.Event {
	all := tr.Events()
	if win.To == 0 && win.From == 0 {
		return all
	}
	var out []sim.Event
	for _, e := range all {
		if e.At >= win.From && (win.To == 0 || e.At <= win.To) {
			out = append(out, e)
		}
	}
	return out
}

// Chrome writes the whole of tr as Chrome Trace Event JSON; see
// ChromeWindow.
func Chrome(w io.Writer, tr *sim.Trace) error {
	return ChromeWindow(w, tr, Window{})
}

// ChromeWindow writes the events of tr inside win in the Chrome Trace Event
// format (a JSON object with a traceEvents array). Each client is a process
// and the server another; a process without events is left out. Within a
// client, thread 0 carries the connection's status as spans and its other
// events as instants, and each subscription has a thread on which
// callbacks are spans and its other events instants. Every span is closed:
// a callback cancelled by the close ends at the cancel (args.ended_by
// says so), one that started before the window starts at the window's
// first event, and spans still open end at the last event. Flow arrows
// ("s"/"f", one id per delivery) lead from each publish to every arrival
// of its message at a subscription, and a counter track per subscription
// ("pending SUB") shows its pending messages as the trace reports them:
// set at each msg.queued, one less at each callback.end, callback.cancelled
// and next_msg. Times (ts, and durations in args, whose keys end in _us)
// are microseconds of virtual time. Output is deterministic.
func ChromeWindow(w io.Writer, tr *sim.Trace, win Window) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`{"displayTimeUnit":"ms","traceEvents":[`)
	first := true
	emit := func(format string, a ...any) {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n" + fmt.Sprintf(format, a...))
	}
	evs := win.events(tr)
	present := map[string]bool{} // actor -> has events; lookups only
	for _, e := range evs {
		present[foldActor(e.Actor)] = true
	}
	pids := map[string]int{} // actor -> pid; lookups only
	for i, a := range actors(tr) {
		pids[a] = i + 1
		if !present[a] {
			continue
		}
		emit(`{"ph":"M","name":"process_name","pid":%d,"tid":0,"args":{"name":%s}}`, i+1, jsonString(a))
		emit(`{"ph":"M","name":"thread_name","pid":%d,"tid":0,"args":{"name":%s}}`, i+1, jsonString("connection"))
	}
	pids[scenarioActor] = pids[serverActor]
	tids := map[string]int{}     // actor + "/" + sub -> tid; lookups only
	perActor := map[string]int{} // actor -> subscription threads so far; lookups only
	tid := func(pid int, actor, sub string) int {
		if sub == "" {
			return 0
		}
		key := actor + "/" + sub
		if t, ok := tids[key]; ok {
			return t
		}
		perActor[actor]++
		t := perActor[actor]
		tids[key] = t
		emit(`{"ph":"M","name":"thread_name","pid":%d,"tid":%d,"args":{"name":%s}}`, pid, t, jsonString(sub))
		return t
	}
	type span struct {
		key, name string
		pid, tid  int
	}
	var open []span               // callback spans open, in order of opening
	status := map[string]string{} // actor -> open status span; lookups only
	pending := map[string]int64{} // actor + "/" + sub -> pending count; lookups only
	counter := func(us string, pid int, actor, sub string, n int64) {
		pending[actor+"/"+sub] = n
		emit(`{"ph":"C","name":%s,"ts":%s,"pid":%d,"args":{"pending":%d}}`, jsonString("pending "+sub), us, pid, n)
	}
	flows := flowIDs(tr, evs)
	arrived := map[string]int{} // msg -> arrivals so far; lookups only
	// Callbacks that started before the window begin at its first event,
	// so that events stay in time order.
	for _, e := range startedBefore(tr, evs) {
		pid := pids[e.Actor]
		t := tid(pid, e.Actor, e.str("sub"))
		name := "msg " + e.str("msg")
		open = append(open, span{e.Actor + "/" + e.str("sub") + "/" + name, name, pid, t})
		emit(`{"ph":"B","cat":"callback","name":%s,"ts":%s,"pid":%d,"tid":%d,"args":{"started_before_window":true}}`,
			jsonString(name), micros(evs[0].At), pid, t)
	}
	var last sim.Time
	for _, ev := range evs {
		e := event{ev, tr}
		last = e.At
		pid := pids[e.Actor]
		us := micros(e.At)
		sub := e.str("sub")
		switch e.Kind {
		case "callback.start":
			t := tid(pid, e.Actor, sub)
			name := "msg " + e.str("msg")
			open = append(open, span{e.Actor + "/" + sub + "/" + name, name, pid, t})
			emit(`{"ph":"B","cat":"callback","name":%s,"ts":%s,"pid":%d,"tid":%d}`, jsonString(name), us, pid, t)
		case "callback.end", "callback.cancelled":
			t := tid(pid, e.Actor, sub)
			name := "msg " + e.str("msg")
			key := e.Actor + "/" + sub + "/" + name
			if j := slices.IndexFunc(open, func(s span) bool { return s.key == key }); j >= 0 {
				open = slices.Delete(open, j, j+1)
			}
			emit(`{"ph":"E","cat":"callback","name":%s,"ts":%s,"pid":%d,"tid":%d,"args":{"ended_by":%s}}`,
				jsonString(name), us, pid, t, jsonString(e.Kind))
		case "status":
			if s, ok := status[e.Actor]; ok {
				emit(`{"ph":"E","cat":"status","name":%s,"ts":%s,"pid":%d,"tid":0}`, jsonString(s), us, pid)
			}
			to := e.str("to")
			status[e.Actor] = to
			emit(`{"ph":"B","cat":"status","name":%s,"ts":%s,"pid":%d,"tid":0}`, jsonString(to), us, pid)
		default:
			t := tid(pid, e.Actor, sub)
			emit(`{"ph":"i","s":"t","cat":%s,"name":%s,"ts":%s,"pid":%d,"tid":%d,"args":%s}`,
				jsonString(category(e.Kind)), jsonString(e.Kind), us, pid, t, args(e))
			switch e.Kind {
			case "publish", "reply":
				if e.str("result") == "ok" {
					for _, id := range flows[e.str("msg")] {
						emit(`{"ph":"s","cat":"flow","name":"delivery","id":%d,"ts":%s,"pid":%d,"tid":%d}`, id, us, pid, t)
					}
				}
			case "msg.queued":
				msg := e.str("msg")
				if ids := flows[msg]; arrived[msg] < len(ids) {
					emit(`{"ph":"f","bp":"e","cat":"flow","name":"delivery","id":%d,"ts":%s,"pid":%d,"tid":%d}`, ids[arrived[msg]], us, pid, t)
					arrived[msg]++
				}
				counter(us, pid, e.Actor, sub, intField(e, "pending"))
			}
		}
		switch e.Kind {
		case "callback.end", "callback.cancelled", "next_msg":
			if n := pending[e.Actor+"/"+sub]; n > 0 {
				counter(us, pid, e.Actor, sub, n-1)
			}
		}
	}
	// Close the spans still open: callbacks, then status spans in actor order.
	for _, s := range open {
		emit(`{"ph":"E","cat":"callback","name":%s,"ts":%s,"pid":%d,"tid":%d,"args":{"ended_by":"end of trace"}}`,
			jsonString(s.name), micros(last), s.pid, s.tid)
	}
	for _, a := range actors(tr) {
		if s, ok := status[a]; ok {
			emit(`{"ph":"E","cat":"status","name":%s,"ts":%s,"pid":%d,"tid":0}`, jsonString(s), micros(last), pids[a])
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// flowIDs numbers the arrivals (msg.queued) in evs of messages published
// in evs, from 1 in trace order, and returns each message's numbers.
func flowIDs(tr *sim.Trace, evs []sim.Event) map[string][]int {
	out := map[string][]int{}      // lookups only
	published := map[string]bool{} // lookups only
	n := 0
	for _, ev := range evs {
		e := event{ev, tr}
		switch {
		case (e.Kind == "publish" || e.Kind == "reply") && e.str("result") == "ok":
			published[e.str("msg")] = true
		case e.Kind == "msg.queued" && published[e.str("msg")]:
			n++
			out[e.str("msg")] = append(out[e.str("msg")], n)
		}
	}
	return out
}

// startedBefore returns the callback ends (callback.end or
// callback.cancelled) in evs whose callback.start is not in evs, in order.
func startedBefore(tr *sim.Trace, evs []sim.Event) []event {
	var out []event
	started := map[string]bool{} // actor/sub/msg; lookups only
	for _, ev := range evs {
		e := event{ev, tr}
		key := e.Actor + "/" + e.str("sub") + "/" + e.str("msg")
		switch e.Kind {
		case "callback.start":
			started[key] = true
		case "callback.end", "callback.cancelled":
			if !started[key] {
				out = append(out, e)
			}
			delete(started, key)
		}
	}
	return out
}

// foldActor maps the scenario pseudo-actor to the server, whose process
// and participant carry its events.
func foldActor(a string) string {
	if a == scenarioActor {
		return serverActor
	}
	return a
}

// intField returns the integer field key of e, or 0.
func intField(e event, key string) int64 {
	if f, ok := e.tr.Field(e.Event, key); ok {
		return f.Int
	}
	return 0
}

// category groups event kinds for Perfetto's filters: the part before the
// first dot ("msg", "server", "sub", "fault", ...), or "call" for API calls.
func category(kind string) string {
	if i := strings.IndexByte(kind, '.'); i > 0 {
		return kind[:i]
	}
	switch kind {
	case "no_interest":
		return "server"
	case "subscribe":
		return "sub"
	}
	return "call"
}

// args renders an event's fields as a JSON object, numbers as numbers and
// durations as microseconds (like ts) under their key with "_us" appended.
func args(e event) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range e.tr.Fields(e.Event) {
		if i > 0 {
			b.WriteByte(',')
		}
		switch f.Type {
		case sim.StrField:
			b.WriteString(jsonString(f.Key) + ":" + jsonString(f.Str))
		case sim.DurField:
			b.WriteString(jsonString(f.Key+"_us") + ":" + micros(sim.Time(f.Int)))
		default:
			fmt.Fprintf(&b, "%s:%d", jsonString(f.Key), f.Int)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// micros renders t in microseconds with nanosecond precision.
func micros(t sim.Time) string {
	return fmt.Sprintf("%d.%03d", int64(t)/1000, int64(t)%1000)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // marshaling a string cannot fail
	return string(b)
}
