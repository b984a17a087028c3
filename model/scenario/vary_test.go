package scenario

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

const varyHead = `name: x
clients: [{name: app}, {name: pub}]
subscriptions: [{id: s, client: app, subject: a, handler: {duration: 5ms}}, {id: q, client: app, subject: b, type: sync}]
`

// TestParseVaryExpect reads every field of vary: and every kind of
// expectation, and writes them back (Parse(Marshal) is equal).
func TestParseVaryExpect(t *testing.T) {
	src := varyHead + `vary:
  seed: true
  latency: {min: 100us, max: 2ms}
  handler_time: {min_factor: 0.5, max_factor: 3, subs: [s]}
  disconnects: {max: 2, at: {min: 0s, max: 1s}, for: {min: 0s, max: 50ms}, clients: [pub]}
  restarts: {max: 1, at: {min: 10ms, max: 20ms}}
  publish_jitter: {later: 5ms}
  drain_jitter: {earlier: 1ms, later: 2ms}
  tie_order: true
expect:
  - no_loss
  - no_async_error
  - {no_loss: {sub: s}}
  - {max_loss: {count: 2}}
  - {handled_before_drain: {sub: s}}
  - {drain_result: {client: app, result: timeout}}
  - {drain_result: {sub: s, result: ok}}
  - {drain_within: {client: app, time: 1s}}
  - {no_async_error: {client: app}}
`
	sc, err := Parse("v.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Vary{
		Seed:          true,
		Latency:       &DurationRange{100 * time.Microsecond, 2 * time.Millisecond},
		HandlerTime:   &HandlerTimeVary{MinFactor: 0.5, MaxFactor: 3, Subs: []string{"s"}},
		Disconnects:   &FaultVary{Max: 2, At: DurationRange{0, time.Second}, For: DurationRange{0, 50 * time.Millisecond}, Clients: []string{"pub"}},
		Restarts:      &FaultVary{Max: 1, At: DurationRange{10 * time.Millisecond, 20 * time.Millisecond}},
		PublishJitter: &Shift{Later: 5 * time.Millisecond},
		DrainJitter:   &Shift{Earlier: time.Millisecond, Later: 2 * time.Millisecond},
		TieOrder:      true,
		Keys:          varyKeys,
		Line:          5,
	}
	if !reflect.DeepEqual(sc.Vary, want) {
		t.Errorf("vary = %+v\nwant %+v", sc.Vary, want)
	}
	kinds := []string{"no_loss", "no_async_error", "no_loss", "max_loss", "handled_before_drain", "drain_result", "drain_result", "drain_within", "no_async_error"}
	for i, e := range sc.Expect {
		if e.Kind != kinds[i] || e.Line != 14+i {
			t.Errorf("expect[%d] = %+v, want kind %s on line %d", i, e, kinds[i], 14+i)
		}
	}
	if e := sc.Expect[5]; e.Client != "app" || e.Result != DrainTimeout {
		t.Errorf("expect[5] = %+v", e)
	}
	if e := sc.Expect[7]; e.Within != time.Second {
		t.Errorf("expect[7] = %+v", e)
	}
	again, err := Parse("v.yaml", sc.Marshal())
	if err != nil {
		t.Fatalf("%v\n%s", err, sc.Marshal())
	}
	if !bytes.Equal(again.Marshal(), sc.Marshal()) || !reflect.DeepEqual(again.Expect[3].Count, 2) {
		t.Errorf("round trip changed the scenario:\n%s\n%s", sc.Marshal(), again.Marshal())
	}
}

// TestParseVaryExpectBad: every mistake in vary: or expect: is an error
// naming the file, line and field, the value and what was expected.
func TestParseVaryExpectBad(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"vary: {latency: {min: 2ms, max: 1ms}}", `bad.yaml:4: vary.latency: min 2ms is above max 1ms: want min <= max`},
		{"vary: {latency: {min: 2ms}}", `bad.yaml:4: vary.latency.max: missing required field`},
		{"vary: {wobble: 2}", `bad.yaml:4: vary.wobble: unknown field "wobble" (want one of seed, latency, handler_time, disconnects, restarts, publish_jitter, drain_jitter, tie_order)`},
		{"vary: {handler_time: {max_factor: 0.5}}", `bad.yaml:4: vary.handler_time.max_factor: 0.5 is out of range: want a number from 1 to 1000`},
		{"vary: {handler_time: {min_factor: 2}}", `bad.yaml:4: vary.handler_time.min_factor: 2 is out of range: want a number from 0.001 to 1`},
		{"vary: {handler_time: {max_factor: fast}}", `bad.yaml:4: vary.handler_time.max_factor: want a number such as 2 or 0.5, got string "fast"`},
		{"vary: {handler_time: {subs: [zz]}}", `bad.yaml:4: vary.handler_time.subs[0]: unknown subscription "zz" (want one of s, q)`},
		{"vary: {handler_time: {subs: [q]}}", `bad.yaml:4: vary.handler_time.subs[0]: subscription "q" is sync: only an async subscription's handler has a duration to scale`},
		{"vary:\n  disconnects: {max: 101, at: {min: 0s, max: 1s}}", `bad.yaml:5: vary.disconnects.max: 101 exceeds the maximum 100 (allowed: 0 to 100)`},
		{"vary:\n  disconnects: {max: 1}", `bad.yaml:5: vary.disconnects.at: missing required field`},
		{"vary:\n  disconnects: {max: 1, at: {min: 0s, max: 1s}, clients: [ap]}", `bad.yaml:5: vary.disconnects.clients[0]: unknown client "ap" (did you mean "app"?)`},
		{"vary:\n  restarts: {max: 1, at: {min: 0s, max: 1s}, clients: [app]}", `bad.yaml:5: vary.restarts.clients: unknown field "clients" (want one of max, at, for)`},
		{"vary: {drain_jitter: {later: -1ms}}", `bad.yaml:4: vary.drain_jitter.later: duration "-1ms" must not be negative (allowed: 0 to 1000h)`},
		{"vary: {tie_order: yes please}", `bad.yaml:4: vary.tie_order: want true or false, got string "yes please"`},
		{"expect: [max_loss]", `bad.yaml:4: expect[0]: "max_loss": want no_loss or no_async_error alone, or a mapping such as {max_loss: {count: 2}} with one of no_loss, max_loss, handled_before_drain, drain_result, drain_within, no_async_error`},
		{"expect: [{no_los: {}}]", `bad.yaml:4: expect[0].no_los: unknown field "no_los" (did you mean "no_loss"?)`},
		{"expect: [{no_loss: {}, max_loss: {count: 1}}]", `bad.yaml:4: expect[0]: want exactly one assertion per item (one of no_loss, max_loss, handled_before_drain, drain_result, drain_within, no_async_error), got 2`},
		{"expect: [{max_loss: {sub: s}}]", `bad.yaml:4: expect[0].max_loss.count: missing required field`},
		{"expect: [{max_loss: {count: -1}}]", `bad.yaml:4: expect[0].max_loss.count: must be at least 0, got -1 (allowed: 0 to 1000000000)`},
		{"expect: [{handled_before_drain: {}}]", `bad.yaml:4: expect[0].handled_before_drain.sub: missing required field`},
		{"expect:\n  - handled_before_drain: {sub: t}", `bad.yaml:5: expect[0].handled_before_drain.sub: unknown subscription "t" (did you mean "s"?)`},
		{"expect: [{drain_result: {client: app, result: fine}}]", `bad.yaml:4: expect[0].drain_result.result: unknown drain result "fine": want ok or timeout`},
		{"expect: [{drain_result: {result: ok}}]", `bad.yaml:4: expect[0].drain_result: want client (a connection's drain) or sub (a subscription's drain), got neither`},
		{"expect: [{drain_result: {client: app, sub: s, result: ok}}]", `bad.yaml:4: expect[0].drain_result: want client (a connection's drain) or sub (a subscription's drain), not both`},
		{"expect: [{drain_within: {client: nobody, time: 1s}}]", `bad.yaml:4: expect[0].drain_within.client: unknown client "nobody" (want one of app, pub)`},
		{"expect: [{drain_within: {client: app, time: soon}}]", `bad.yaml:4: expect[0].drain_within.time: bad duration "soon": want a duration such as 250ms, 1.5s or 2m`},
		{"expect: {no_loss: {}}", `bad.yaml:4: expect: want a list, got a mapping`},
	} {
		_, err := Parse("bad.yaml", []byte(varyHead+c.src+"\n"))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
}

// TestHandlerTimeRefusesTables: a factor cannot scale a measured table,
// so a handler_time that would apply to one is refused.
func TestHandlerTimeRefusesTables(t *testing.T) {
	src := "name: x\nclients: [{name: app}]\nsubscriptions: [{id: s, client: app, subject: a, handler: {duration: \"percentiles(p50=1ms,max=5ms)\"}}]\nvary: {handler_time: {max_factor: 2}}\n"
	_, err := Parse("t.yaml", []byte(src))
	want := `t.yaml:4: vary.handler_time: subscription "s"'s handler duration percentiles(p50=1ms,max=5ms) is a measured table that a factor cannot scale: leave it out of handler_time.subs (its times still vary with seed: true)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestOverride: --vary replaces the fields it names and keeps the others;
// its errors name "--vary".
func TestOverride(t *testing.T) {
	sc, err := Parse("o.yaml", []byte(varyHead+"vary: {seed: true, latency: {min: 1ms, max: 2ms}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Override("--vary", []byte("{latency: {min: 0s, max: 5ms}, tie_order: true}")); err != nil {
		t.Fatal(err)
	}
	v := sc.Vary
	if !v.Seed || *v.Latency != (DurationRange{0, 5 * time.Millisecond}) || !v.TieOrder {
		t.Errorf("override gave %+v", v)
	}
	if err := sc.Override("--vary", []byte("{seed: false}")); err != nil || sc.Vary.Seed {
		t.Errorf("seed: false did not switch seed off: %v", err)
	}
	err = sc.Override("--vary", []byte("{disconnects: {max: 1, at: {min: 0s, max: 1s}, clients: [nobody]}}"))
	if want := `--vary:1: vary.disconnects.clients[0]: unknown client "nobody" (want one of app, pub)`; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if sc.Vary.Disconnects != nil {
		t.Errorf("a refused override changed the scenario")
	}
	none, _ := Parse("n.yaml", []byte(varyHead))
	if err := none.Override("--vary", []byte("{latency: {min: 0s, max: 1ms}}")); err != nil || none.Vary == nil || none.Vary.Latency == nil {
		t.Errorf("override of a file without vary: %v %+v", err, none.Vary)
	}
}
