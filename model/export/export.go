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

// Mermaid writes tr as a Mermaid sequence diagram: one participant per
// client and the server; publishes, SUBs and UNSUBs (when the server
// processed them) as arrows to the server; messages arriving at a client,
// queued or dropped, as arrows from it; callbacks as activations; status
// changes, API calls and faults as notes. Every line starts with the
// event's virtual time.
func Mermaid(w io.Writer, tr *sim.Trace) error {
	bw := bufio.NewWriter(w)
	ids := map[string]string{} // actor -> participant id; lookups only
	bw.WriteString("sequenceDiagram\n")
	for i, a := range actors(tr) {
		ids[a] = fmt.Sprintf("p%d", i)
		fmt.Fprintf(bw, "    participant %s as %s\n", ids[a], mermaidText(a))
	}
	ids[scenarioActor] = ids[serverActor]
	srv := ids[serverActor]
	for _, ev := range tr.Events() {
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
		case "callback.end":
			line("Note right of %s: %s", me, mermaidText(at+e.str("sub")+" returned msg "+e.str("msg")))
			line("deactivate %s", me)
		case "status":
			line("Note over %s: %s", me, mermaidText(at+e.str("to")))
		case "fault.disconnect", "conn.lost":
			line("Note over %s,%s: %s", me, srv, mermaidText(at+e.Kind+" "+e.details()))
		default:
			line("Note over %s: %s", me, mermaidText(at+e.Kind+" "+e.details()))
		}
	}
	return bw.Flush()
}

// mermaidText makes s safe as Mermaid message or note text: ';' and '#'
// have meanings there, and a line break would end the statement.
func mermaidText(s string) string {
	return strings.NewReplacer(";", ",", "#", " no.", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
}

// Chrome writes tr in the Chrome Trace Event format (a JSON object with a
// traceEvents array). Each client is a process and the server another;
// within a client, thread 0 carries the connection's status as spans and
// its other events as instants, and each subscription has a thread on
// which callbacks are spans and its other events instants. Times are
// microseconds of virtual time. Output is deterministic.
func Chrome(w io.Writer, tr *sim.Trace) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`{"displayTimeUnit":"ms","traceEvents":[`)
	first := true
	emit := func(obj string) {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n" + obj)
	}
	pids := map[string]int{} // actor -> pid; lookups only
	for i, a := range actors(tr) {
		pids[a] = i + 1
		emit(fmt.Sprintf(`{"ph":"M","name":"process_name","pid":%d,"tid":0,"args":{"name":%s}}`, i+1, jsonString(a)))
		emit(fmt.Sprintf(`{"ph":"M","name":"thread_name","pid":%d,"tid":0,"args":{"name":%s}}`, i+1, jsonString("connection")))
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
		emit(fmt.Sprintf(`{"ph":"M","name":"thread_name","pid":%d,"tid":%d,"args":{"name":%s}}`, pid, t, jsonString(sub)))
		return t
	}
	status := map[string]string{} // actor -> open status span; lookups only
	var last sim.Time
	for _, ev := range tr.Events() {
		e := event{ev, tr}
		last = e.At
		pid := pids[e.Actor]
		us := micros(e.At)
		switch e.Kind {
		case "callback.start", "callback.end":
			ph := "B"
			if e.Kind == "callback.end" {
				ph = "E"
			}
			emit(fmt.Sprintf(`{"ph":"%s","cat":"callback","name":%s,"ts":%s,"pid":%d,"tid":%d}`,
				ph, jsonString("msg "+e.str("msg")), us, pid, tid(pid, e.Actor, e.str("sub"))))
		case "status":
			if s, ok := status[e.Actor]; ok {
				emit(fmt.Sprintf(`{"ph":"E","cat":"status","name":%s,"ts":%s,"pid":%d,"tid":0}`, jsonString(s), us, pid))
			}
			to := e.str("to")
			status[e.Actor] = to
			emit(fmt.Sprintf(`{"ph":"B","cat":"status","name":%s,"ts":%s,"pid":%d,"tid":0}`, jsonString(to), us, pid))
		default:
			emit(fmt.Sprintf(`{"ph":"i","s":"t","cat":%s,"name":%s,"ts":%s,"pid":%d,"tid":%d,"args":%s}`,
				jsonString(category(e.Kind)), jsonString(e.Kind), us, pid, tid(pid, e.Actor, e.str("sub")), args(e)))
		}
	}
	// Close the status spans still open, in actor order.
	for _, a := range actors(tr) {
		if s, ok := status[a]; ok {
			emit(fmt.Sprintf(`{"ph":"E","cat":"status","name":%s,"ts":%s,"pid":%d,"tid":0}`, jsonString(s), micros(last), pids[a]))
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
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

// args renders an event's fields as a JSON object, numbers as numbers.
func args(e event) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range e.tr.Fields(e.Event) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(f.Key) + ":")
		if f.Type == sim.StrField {
			b.WriteString(jsonString(f.Str))
		} else {
			fmt.Fprintf(&b, "%d", f.Int)
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
