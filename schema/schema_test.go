package schema_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/explore"
	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/schema"
)

// schemas holds the compiled schemas by file name.
type schemas map[string]*jsonschema.Schema

// compile compiles the three embedded schemas; the sweep schema refers to
// the scenario schema's definitions by its $id.
func compile(t *testing.T) schemas {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	names := []string{"scenario.schema.json", "sweep.schema.json", "outcome.schema.json"}
	raw := map[string]map[string]any{}
	for _, name := range names {
		data, err := fs.ReadFile(schema.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw[name] = doc.(map[string]any)
		if err := c.AddResource(raw[name]["$id"].(string), doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	out := schemas{}
	for _, name := range names {
		s, err := c.Compile(raw[name]["$id"].(string))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

// instance converts YAML (or JSON) text into a value the validator takes,
// through JSON so that numbers keep their exact digits.
func instance(t *testing.T, name string, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return inst
}

// glob returns the files matching each pattern, relative to the module
// root, and fails if a pattern matches nothing (a moved directory must not
// silently empty the test).
func glob(t *testing.T, patterns ...string) []string {
	t.Helper()
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join("..", p))
		if err != nil || len(m) == 0 {
			t.Fatalf("%s matches no file (%v)", p, err)
		}
		files = append(files, m...)
	}
	return files
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := scenario.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// scenarioFiles are every scenario file the project ships.
func scenarioFiles(t *testing.T) []string {
	return glob(t, "examples/*.yaml", "examples/profiles/*.yaml", "examples/matrix/*.yaml", "examples/orders/*.yaml",
		"examples/topology/*.yaml", "testdata/conformance/*.yaml", "testdata/conformance/*/*.yaml")
}

// TestExamplesValidate checks that every example scenario and sweep, which
// the parsers accept, validates against its schema: it catches a schema
// stricter than the parser (e.g. a distribution pattern that refuses
// lognormal(...) or a duration pattern that refuses 1.5s).
func TestExamplesValidate(t *testing.T) {
	s := compile(t)
	for _, f := range scenarioFiles(t) {
		data := readFile(t, f)
		if _, err := scenario.Parse(f, data); err != nil {
			t.Fatalf("%s: an example the parser refuses: %v", f, err)
		}
		if err := s["scenario.schema.json"].Validate(instance(t, f, data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, f := range glob(t, "examples/sweeps/*.yaml") {
		if _, err := explore.Load(f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := s["sweep.schema.json"].Validate(instance(t, f, readFile(t, f))); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestOutcomesValidate runs every scenario file the project ships as `drainsim run
// --format json` does and validates the outcome. The outcome schema
// allows no field it does not list, so a field added to model.Outcome
// without the schema fails here; so does a schema_version left out.
func TestOutcomesValidate(t *testing.T) {
	s := compile(t)
	for _, f := range scenarioFiles(t) {
		sc, err := scenario.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := model.Run(sc, model.Config{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := res.Outcome()
		out.Invariants = props.Verdicts(res)
		out.DrainLoss = props.MeasureLoss(res).Outcome(res)
		if out.SchemaVersion != model.OutcomeSchemaVersion {
			t.Errorf("%s: schema_version %d, want %d", f, out.SchemaVersion, model.OutcomeSchemaVersion)
		}
		j, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := s["outcome.schema.json"].Validate(instance(t, f, j)); err != nil {
			t.Errorf("%s: outcome: %v", f, err)
		}
	}
}

// TestRejects checks inputs the schemas must refuse, each of which the
// parser refuses too. Each case names the schema mistake it catches.
func TestRejects(t *testing.T) {
	s := compile(t)
	cases := []struct{ schema, why, doc string }{
		{"scenario.schema.json", "additionalProperties dropped at the top", "name: x\nclientz: []\n"},
		{"scenario.schema.json", "name no longer required", "clients: [{name: a}]\n"},
		{"scenario.schema.json", "an action may have two verbs (oneOf lost)", "name: x\nactions: [{at: 0, drain: {client: a}, close: {client: a}}]\n"},
		{"scenario.schema.json", "an action may lack at", "name: x\nactions: [{drain: {client: a}}]\n"},
		{"scenario.schema.json", "an action may have both at and after (not lost)", "name: x\nclients: [{name: a}]\nactions: [{at: 0, after: {event: reconnected, client: a}, drain: {client: a}}]\n"},
		{"scenario.schema.json", "a trigger may lack its event", "name: x\nclients: [{name: a}]\nactions: [{after: {client: a}, drain: {client: a}}]\n"},
		{"scenario.schema.json", "a trigger may carry a field of another event (if/then lost)", "name: x\nclients: [{name: a}]\nactions: [{after: {event: reconnected, client: a, nth: 1}, drain: {client: a}}]\n"},
		{"scenario.schema.json", "a callback trigger may lack its sub", "name: x\nclients: [{name: a}]\nactions: [{after: {event: callback_start, nth: 1}, drain: {client: a}}]\n"},
		{"scenario.schema.json", "a status outside nats.go's", "name: x\nclients: [{name: a}]\nactions: [{after: {event: status, client: a, status: DRAINING}, drain: {client: a}}]\n"},
		{"scenario.schema.json", "a subscription type outside async/sync", "name: x\nsubscriptions: [{id: s, client: a, subject: x, type: push}]\n"},
		{"scenario.schema.json", "a duration pattern that takes anything", "name: x\nclients: [{name: a, drain_timeout: soon}]\n"},
		{"scenario.schema.json", "a handler publish may name a client", "name: x\nsubscriptions: [{id: s, client: a, subject: x, handler: {actions: [{publish: {client: a, subject: y}}]}}]\n"},
		{"scenario.schema.json", "a size pattern that takes a fraction", "name: x\nserver: {max_pending: 1.5MiB}\n"},
		{"scenario.schema.json", "a bandwidth without /s", "name: x\nnetwork: {bandwidth: 10MB}\n"},
		{"scenario.schema.json", "a pending limit of 0", "name: x\nclients: [{name: a, pending_msgs_limit: 0}]\n"},
		{"scenario.schema.json", "a vary: range without max", "name: x\nvary: {latency: {min: 1ms}}\n"},
		{"scenario.schema.json", "a vary: fault count above 100", "name: x\nvary: {restarts: {max: 101, at: {min: 0s, max: 1s}}}\n"},
		{"scenario.schema.json", "a handler_time max_factor below 1", "name: x\nvary: {handler_time: {max_factor: 0.5}}\n"},
		{"scenario.schema.json", "an expect: item with two kinds", "name: x\nexpect: [{no_loss: {}, no_async_error: {}}]\n"},
		{"scenario.schema.json", "an expect: kind alone that needs fields", "name: x\nexpect: [max_loss]\n"},
		{"scenario.schema.json", "a drain_result with both client and sub", "name: x\nclients: [{name: a}]\nsubscriptions: [{id: s, client: a, subject: x}]\nexpect: [{drain_result: {client: a, sub: s, result: ok}}]\n"},
		{"scenario.schema.json", "a route with both between and mesh (oneOf lost)", "name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: c}]\nroutes: [{between: [a, b], mesh: c}]\n"},
		{"scenario.schema.json", "a gateway between three servers", "name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: d}]\ngateways: [{between: [a, b, a]}]\n"},
		{"scenario.schema.json", "a cut_link without for", "name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: c}]\nactions: [{at: 0, cut_link: {between: [a, b]}}]\n"},
		{"scenario.schema.json", "a cut_link between three servers", "name: x\nservers: [{name: a, cluster: c}, {name: b, cluster: c}]\nactions: [{at: 0, cut_link: {between: [a, b, a], for: 1s}}]\n"},
		{"scenario.schema.json", "a leafnode without its spoke", "name: x\nservers: [{name: a}]\nleafnodes: [{hub: a}]\n"},
		{"scenario.schema.json", "a drain_result other than ok or timeout", "name: x\nclients: [{name: a}]\nexpect: [{drain_result: {client: a, result: fine}}]\n"},
		{"sweep.schema.json", "drain_timeout axis no longer required", "name: x\nscenario: a.yaml\naxes: {handler: [1ms]}\n"},
		{"sweep.schema.json", "an x the parser refuses (only drain_timeout, at and wait have a direction)", "name: x\nscenario: a.yaml\nx: handler\naxes: {drain_timeout: [1s], handler: [1ms]}\n"},
		{"sweep.schema.json", "drain_timeout not required with x: at, or still required", "name: x\nscenario: a.yaml\nx: drain_timeout\naxes: {at: {values: [1ms], actions: [0]}}\n"},
		{"sweep.schema.json", "a wait without after_action", "name: x\nscenario: a.yaml\nx: wait\naxes: {wait: {values: [1ms], actions: [1]}}\n"},
		{"sweep.schema.json", "an unknown axis", "name: x\nscenario: a.yaml\naxes: {drain_timeout: [1s], speed: [1]}\n"},
		{"sweep.schema.json", "a target key on an axis of the whole scenario", "name: x\nscenario: a.yaml\naxes: {drain_timeout: [1s], latency: {values: [1ms], subs: [s]}}\n"},
		{"outcome.schema.json", "schema_version no longer required", `{"scenario":"x","profile":"go","seed":1,"profile_inferred":[],"stop":{"reason":"quiescent","at_ns":0,"events":0,"records":0},"calls":[],"connections":[],"subscriptions":[],"messages":{"published":0,"refused":0,"no_interest":0,"routed":0,"lost_unsent":0,"lost_in_flight":0,"deliveries":0,"handled":0,"in_callback_at_end":0,"dropped":{},"late_after_unsub":0},"drain_loss":null,"invariants":[]}`},
		{"outcome.schema.json", "an unknown drop reason in messages.dropped", `{"schema_version":1,"scenario":"x","profile":"go","seed":1,"profile_inferred":[],"stop":{"reason":"quiescent","at_ns":0,"events":0,"records":0},"calls":[],"connections":[],"subscriptions":[],"messages":{"published":0,"refused":0,"no_interest":0,"routed":0,"lost_unsent":0,"lost_in_flight":0,"deliveries":0,"handled":0,"in_callback_at_end":0,"dropped":{"vanished":1},"late_after_unsub":0},"drain_loss":null,"invariants":[]}`},
	}
	for _, c := range cases {
		if s[c.schema].Validate(instance(t, c.why, []byte(c.doc))) == nil {
			t.Errorf("%s accepts %q, which it must refuse (catches: %s)", c.schema, c.doc, c.why)
		}
		if c.schema == "scenario.schema.json" {
			if _, err := scenario.Parse("case.yaml", []byte(c.doc)); err == nil {
				t.Errorf("the parser accepts %q: the case does not show a schema mistake (%s)", c.doc, c.why)
			}
		}
	}
}

// unknownKey is a field name no parser knows and none suggests a
// correction for; wantOneOf reads the parser's list of known fields from
// the error it gives for unknownKey.
const unknownKey = "zzzzzzzz"

var wantOneOf = regexp.MustCompile(`unknown field "` + unknownKey + `" \((?:want one of ([^)]*)|(this takes no fields))\)`)

// probe is a document with unknownKey in one mapping, and the JSON
// pointer of the schema object that describes that mapping.
type probe struct{ pointer, doc string }

// scenarioProbes puts unknownKey in every mapping of a scenario file.
func scenarioProbes() []probe {
	z := "{" + unknownKey + ": 1}"
	sub := "name: x\nsubscriptions: [{id: s, client: a, subject: x, handler: "
	ps := []probe{
		{"", unknownKey + ": 1\n"},
		{"/properties/limits", "name: x\nlimits: " + z},
		{"/properties/network", "name: x\nnetwork: " + z},
		{"/properties/server", "name: x\nserver: " + z},
		{"/$defs/client", "name: x\nclients: [" + z + "]"},
		{"/$defs/subscription", "name: x\nsubscriptions: [" + z + "]"},
		{"/$defs/handler", sub + z + "}]"},
		{"/$defs/handler_action", sub + "{actions: [" + z + "]}}]"},
		{"/$defs/action", "name: x\nactions: [" + z + "]"},
		{"/$defs/trigger", "name: x\nactions: [{after: " + z + ", close: {client: a}}]"},
		{"/$defs/server_node", "name: x\nservers: [" + z + "]"},
		{"/$defs/route", "name: x\nservers: [{name: a}]\nroutes: [" + z + "]"},
		{"/$defs/leafnode", "name: x\nservers: [{name: a}]\nleafnodes: [" + z + "]"},
		{"/$defs/gateway", "name: x\nservers: [{name: a}]\ngateways: [" + z + "]"},
	}
	vary := "name: x\nvary: "
	ps = append(ps,
		probe{"/properties/vary", vary + z},
		probe{"/$defs/duration_range", vary + "{latency: " + z + "}"},
		probe{"/properties/vary/properties/handler_time", vary + "{handler_time: " + z + "}"},
		probe{"/properties/vary/properties/disconnects", vary + "{disconnects: " + z + "}"},
		probe{"/properties/vary/properties/restarts", vary + "{restarts: " + z + "}"},
		probe{"/properties/vary/properties/publish_jitter", vary + "{publish_jitter: " + z + "}"},
		probe{"/properties/vary/properties/drain_jitter", vary + "{drain_jitter: " + z + "}"},
		probe{"/$defs/expectation/oneOf/1", "name: x\nexpect: [" + z + "]"},
	)
	for _, k := range []string{"no_loss", "max_loss", "handled_before_drain", "drain_result", "drain_within", "no_async_error"} {
		ps = append(ps, probe{"/$defs/expectation/oneOf/1/properties/" + k, "name: x\nexpect: [{" + k + ": " + z + "}]"})
	}
	for _, v := range []string{"reply", "publish", "request", "unsubscribe", "drain_sub", "subscribe", "drain"} {
		ps = append(ps, probe{"/$defs/handler_action/properties/" + v, sub + "{actions: [{" + v + ": " + z + "}]}}]"})
	}
	for _, v := range []string{"publish", "request", "flush", "subscribe", "unsubscribe", "auto_unsubscribe",
		"drain_sub", "drain", "close", "next_msg", "counters", "disconnect", "restart_server", "stall", "lame_duck", "cut_link"} {
		ps = append(ps, probe{"/$defs/action/properties/" + v, "name: x\nactions: [{at: 0, " + v + ": " + z + "}]"})
	}
	return ps
}

// sweepProbes puts unknownKey in every mapping of a sweep file.
func sweepProbes(axes []string) []probe {
	head := "name: x\nscenario: base.yaml\n"
	ps := []probe{{"", head + "axes: {drain_timeout: [1s]}\n" + unknownKey + ": 1\n"},
		{"/properties/axes", head + "axes: {drain_timeout: [1s], " + unknownKey + ": 1}\n"}}
	for _, a := range axes {
		other := "drain_timeout: [1s], " // the required axis
		if a == explore.TimeoutAxis {
			other = ""
		}
		ps = append(ps, probe{"/properties/axes/properties/" + a + "/anyOf/1", head + "axes: {" + other + a + ": {" + unknownKey + ": 1}}\n"})
	}
	return ps
}

// closedObjects returns the JSON pointers of every object schema under v
// that allows only the fields it lists (additionalProperties: false).
func closedObjects(v any, pointer string, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		if v["additionalProperties"] == false {
			*out = append(*out, pointer)
		}
		for k, sub := range v {
			closedObjects(sub, pointer+"/"+k, out)
		}
	case []any:
		for i, sub := range v {
			closedObjects(sub, pointer+"/"+strconv.Itoa(i), out)
		}
	}
}

// resolve returns the value at pointer in doc.
func resolve(t *testing.T, doc any, pointer string) map[string]any {
	t.Helper()
	for _, k := range strings.Split(pointer, "/")[1:] {
		switch d := doc.(type) {
		case map[string]any:
			doc = d[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(d) {
				t.Fatalf("schema has no %s", pointer)
			}
			doc = d[i]
		}
	}
	m, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("schema has no object at %q", pointer)
	}
	return m
}

// TestFieldsMatchParsers keeps the schemas from going stale: for every
// mapping of a scenario or sweep file, the fields the schema lists must be
// the fields the parser accepts, read from the parser's own error for an
// unknown field; and every closed object of the schemas must be probed. A
// field added to the parser (or removed from the schema) fails here, and
// so does a schema object no probe reaches.
func TestFieldsMatchParsers(t *testing.T) {
	base, err := scenario.Parse("base.yaml", []byte("name: base\nclients: [{name: a}]\nsubscriptions: [{id: s, client: a, subject: x}]\nactions: [{at: 0, publish: {client: a, subject: x}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	parseSweep := func(data []byte) error {
		_, err := explore.Parse("probe.yaml", data, func(string) (*scenario.Scenario, error) { return base, nil })
		return err
	}
	parseScenario := func(data []byte) error {
		_, err := scenario.Parse("probe.yaml", data)
		return err
	}
	for _, c := range []struct {
		file   string
		parse  func([]byte) error
		probes func(doc map[string]any) []probe
	}{
		{"scenario.schema.json", parseScenario, func(map[string]any) []probe { return scenarioProbes() }},
		{"sweep.schema.json", parseSweep, func(doc map[string]any) []probe {
			var axes []string
			for a := range resolve(t, doc, "/properties/axes/properties") {
				axes = append(axes, a)
			}
			slices.Sort(axes)
			return sweepProbes(axes)
		}},
	} {
		data, err := fs.ReadFile(schema.FS, c.file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var closed []string
		closedObjects(doc, "", &closed)
		probed := map[string]bool{}
		for _, p := range c.probes(doc) {
			probed[p.pointer] = true
			err := c.parse([]byte(p.doc))
			m := wantOneOf.FindStringSubmatch(fmtMessage(err))
			if m == nil {
				t.Errorf("%s %s: the parser's error for %q names no known fields: %v", c.file, p.pointer, p.doc, err)
				continue
			}
			var known []string
			if m[1] != "" {
				known = strings.Split(m[1], ", ")
			}
			var listed []string
			props, _ := resolve(t, doc, p.pointer)["properties"].(map[string]any)
			for k := range props {
				listed = append(listed, k)
			}
			slices.Sort(known)
			slices.Sort(listed)
			if !slices.Equal(known, listed) {
				t.Errorf("%s %s lists fields %v; the parser accepts %v", c.file, p.pointer, listed, known)
			}
		}
		for _, p := range closed {
			if !probed[p] {
				t.Errorf("%s %s: no probe checks this object's fields against the parser", c.file, p)
			}
		}
	}
}

// fmtMessage is err's message, or "" for nil.
func fmtMessage(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestDistributionsAccepted checks that the scenario schema takes any
// distribution written name(args), so that a distribution added to
// sim.ParseDist (empirical, percentiles) needs no schema change; a
// pattern listing today's names would refuse these.
func TestDistributionsAccepted(t *testing.T) {
	s := compile(t)
	for _, d := range []string{"200ms", "0", "1m30s", "uniform(1ms,5ms)", "lognormal(100ms,0.5)",
		"empirical(handler-latencies.txt)", "percentiles(p50=2ms,p90=10ms,p99=40ms,max=80ms)"} {
		doc := "name: x\nnetwork: {latency: \"" + d + "\"}\n"
		if err := s["scenario.schema.json"].Validate(instance(t, d, []byte(doc))); err != nil {
			t.Errorf("latency %q: %v", d, err)
		}
	}
}

// TestOutcomeFieldsMatchStruct checks that the outcome schema lists
// exactly the JSON fields of model.Outcome and of every struct in it, so
// that a field added to the Go types (even one omitted when empty, which
// no example run may print) must be added to the schema too.
func TestOutcomeFieldsMatchStruct(t *testing.T) {
	data, err := fs.ReadFile(schema.FS, "outcome.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	matchStruct(t, doc, doc, reflect.TypeFor[model.Outcome](), "outcome")
}

// matchStruct compares the struct type typ with the object schema node,
// and recurses into its fields; root resolves $ref.
func matchStruct(t *testing.T, root, node map[string]any, typ reflect.Type, path string) {
	node = objectSchema(t, root, node, path)
	props, _ := node["properties"].(map[string]any)
	var fields, listed []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields = append(fields, name)
		if sub, ok := props[name].(map[string]any); ok {
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				if ft.Kind() == reflect.Slice {
					sub = objectSchema(t, root, sub, path+"."+name)["items"].(map[string]any)
				}
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				matchStruct(t, root, sub, ft, path+"."+name)
			}
		}
	}
	for k := range props {
		listed = append(listed, k)
	}
	slices.Sort(fields)
	slices.Sort(listed)
	if !slices.Equal(fields, listed) {
		t.Errorf("%s: the schema lists %v; the Go type %s has %v", path, listed, typ, fields)
	}
}

// objectSchema follows $ref and picks the non-null branch of a oneOf.
func objectSchema(t *testing.T, root, node map[string]any, path string) map[string]any {
	t.Helper()
	if ref, ok := node["$ref"].(string); ok {
		return objectSchema(t, root, resolve(t, root, strings.TrimPrefix(ref, "#")), path)
	}
	if alts, ok := node["oneOf"].([]any); ok {
		for _, a := range alts {
			if a := a.(map[string]any); a["type"] != "null" {
				return objectSchema(t, root, a, path)
			}
		}
	}
	if node == nil {
		t.Fatalf("%s: no schema", path)
	}
	return node
}
