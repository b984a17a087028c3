package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rec is a trace event spec, so tests can build variants of one trace.
type rec struct {
	at          Time
	actor, kind string
	fields      []Field
}

func build(recs []rec) *Trace {
	tr := NewTrace()
	for _, r := range recs {
		tr.Add(r.at, r.actor, r.kind, r.fields...)
	}
	return tr
}

// sample returns the hand-built trace behind the golden outputs.
func sample() []rec {
	return []rec{
		{0, "app", "start", nil},
		{12_345_000, "app", "publish", []Field{Str("subject", "updates"), Int("msg", 1)}},
		{201_600_000, "consumer-1", "deliver", []Field{
			Str("note", "hello world"), Str("empty", ""), Dur("lat", 1500*time.Microsecond), Int("neg", -3),
		}},
		{1_000_000_000, "srv", "quote", []Field{
			Str("q", `say "hi"`), Str("eq", "a=b"), Str("nl", "a\nb"), Str("tab", "a\tb"), Str("uni", "héllo<&>"),
		}},
	}
}

func TestTraceWriteTextGolden(t *testing.T) {
	// Columns: time right-aligned in 12, actor padded to the widest actor
	// (here "consumer-1", 10), kind padded to 18, then key=value fields.
	want := "" +
		"     0.000ms  app         start\n" +
		"    12.345ms  app         publish            subject=updates msg=1\n" +
		"   201.600ms  consumer-1  deliver            note=\"hello world\" empty=\"\" lat=1.5ms neg=-3\n" +
		"  1000.000ms  srv         quote              q=\"say \\\"hi\\\"\" eq=\"a=b\" nl=\"a\\nb\" tab=\"a\\tb\" uni=héllo<&>\n"
	var buf bytes.Buffer
	require.NoError(t, build(sample()).WriteText(&buf))
	require.Equal(t, want, buf.String())
	require.Equal(t, 4, strings.Count(buf.String(), "\n"), "one line per event")
}

func TestTraceWriteTextMinimumActorWidth(t *testing.T) {
	tr := NewTrace()
	tr.Add(1_000, "a", "k", Int("n", 1))
	var buf bytes.Buffer
	require.NoError(t, tr.WriteText(&buf))
	require.Equal(t, "     0.001ms  a       k                  n=1\n", buf.String())
}

func TestTraceWriteTextQuotesUnprintable(t *testing.T) {
	for _, v := range []string{"a\nb", "a\rb", "\x00", "a\u00a0b", "\xff", "x y", `"`, "=", ""} {
		tr := NewTrace()
		tr.Add(0, "a", "k", Str("v", v))
		var buf bytes.Buffer
		require.NoError(t, tr.WriteText(&buf))
		line := strings.TrimSuffix(buf.String(), "\n")
		require.NotContains(t, line, "\n", "value %q", v)
		require.True(t, strings.HasSuffix(line, " v="+strconv.Quote(v)), "value %q rendered as %q", v, line)
	}
	// Plain values, including non-ASCII letters and backslashes, stay bare.
	for _, v := range []string{"updates", "héllo", `a\b`, "x<y>&z"} {
		tr := NewTrace()
		tr.Add(0, "a", "k", Str("v", v))
		var buf bytes.Buffer
		require.NoError(t, tr.WriteText(&buf))
		require.True(t, strings.HasSuffix(buf.String(), " v="+v+"\n"), "value %q rendered as %q", v, buf.String())
	}
}

func TestTraceWriteNDJSONGolden(t *testing.T) {
	want := `{"seq":0,"t_ns":0,"actor":"app","kind":"start"}
{"seq":1,"t_ns":12345000,"actor":"app","kind":"publish","subject":"updates","msg":1}
{"seq":2,"t_ns":201600000,"actor":"consumer-1","kind":"deliver","note":"hello world","empty":"","lat":1500000,"neg":-3}
{"seq":3,"t_ns":1000000000,"actor":"srv","kind":"quote","q":"say \"hi\"","eq":"a=b","nl":"a\nb","tab":"a\tb","uni":"héllo\u003c\u0026\u003e"}
`
	tr := build(sample())
	var buf bytes.Buffer
	require.NoError(t, tr.WriteNDJSON(&buf))
	require.Equal(t, want, buf.String())

	// Every line is a JSON object carrying the event and its fields.
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, tr.Len())
	for i, line := range lines {
		e := tr.Events()[i]
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var obj map[string]any
		require.NoError(t, dec.Decode(&obj), "line %d: %s", i, line)
		require.False(t, dec.More(), "line %d has trailing data", i)

		require.Equal(t, json.Number(strconv.FormatInt(int64(e.Seq), 10)), obj["seq"])
		require.Equal(t, json.Number(strconv.FormatInt(int64(e.At), 10)), obj["t_ns"])
		require.Equal(t, e.Actor, obj["actor"])
		require.Equal(t, e.Kind, obj["kind"])
		fs := tr.Fields(e)
		require.Len(t, obj, 4+len(fs))
		for _, f := range fs {
			if f.Type == StrField {
				require.Equal(t, f.Str, obj[f.Key], "line %d field %s", i, f.Key)
			} else {
				require.Equal(t, json.Number(strconv.FormatInt(f.Int, 10)), obj[f.Key], "line %d field %s", i, f.Key)
			}
		}
	}
}

func TestTraceWriteNDJSONHostileStrings(t *testing.T) {
	hostile := []string{"", `"`, `\`, "\n\r\t", "\x00\x1f", "</script>", "\u2028\u2029", "日本語", "\xff\xfe"}
	tr := NewTrace()
	for _, s := range hostile {
		tr.Add(1, s, s, Str(s+"k", s))
	}
	var buf bytes.Buffer
	require.NoError(t, tr.WriteNDJSON(&buf))
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		require.True(t, json.Valid(sc.Bytes()), "invalid JSON: %s", sc.Text())
		var obj map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &obj))
		n++
	}
	require.Equal(t, len(hostile), n, "one line per event")
}

func TestTraceHash(t *testing.T) {
	base := build(sample())
	require.Equal(t, base.Hash(), build(sample()).Hash(), "equal traces hash equally")
	require.True(t, base.Equal(build(sample())), "equal traces are Equal")

	// Pinned so that an accidental change to the hash input is noticed:
	// trace hashes back cross-run and cross-platform determinism checks.
	require.Equal(t, uint64(0xecdcda75ae4a90c6), base.Hash())
	require.Equal(t, uint64(14695981039346656037), NewTrace().Hash(), "empty trace is the FNV-1a offset basis")

	mutations := map[string]func(r []rec) []rec{
		"time":        func(r []rec) []rec { r[2].at++; return r },
		"actor":       func(r []rec) []rec { r[1].actor = "App"; return r },
		"kind":        func(r []rec) []rec { r[0].kind = "stop"; return r },
		"field key":   func(r []rec) []rec { r[1].fields[0].Key = "subj"; return r },
		"field int":   func(r []rec) []rec { r[1].fields[1].Int = 2; return r },
		"field str":   func(r []rec) []rec { r[1].fields[0].Str = "update"; return r },
		"field dur":   func(r []rec) []rec { r[2].fields[2].Int++; return r },
		"field type":  func(r []rec) []rec { r[1].fields[1].Type = DurField; return r },
		"field order": func(r []rec) []rec { f := r[1].fields; f[0], f[1] = f[1], f[0]; return r },
		"drop field":  func(r []rec) []rec { r[3].fields = r[3].fields[:4]; return r },
		"add field":   func(r []rec) []rec { r[0].fields = []Field{Int("x", 0)}; return r },
		"drop event":  func(r []rec) []rec { return r[:3] },
		"event order": func(r []rec) []rec { r[0], r[1] = r[1], r[0]; return r },
		"dup event":   func(r []rec) []rec { return append(r, r[3]) },
		"empty str":   func(r []rec) []rec { r[2].fields[1].Str = " "; return r },
		"move field across events": func(r []rec) []rec {
			r[1].fields, r[0].fields = r[1].fields[:1], []Field{r[1].fields[1]}
			return r
		},
		"actor/kind boundary": func(r []rec) []rec { r[0].actor, r[0].kind = "apps", "tart"; return r },
		"key/value boundary":  func(r []rec) []rec { r[1].fields[0] = Str("subjectu", "pdates"); return r },
	}
	seen := map[uint64]string{base.Hash(): "base"}
	for name, mutate := range mutations {
		recs := sample()
		// Deep-copy the field slices so mutations don't leak between cases.
		for i := range recs {
			recs[i].fields = append([]Field(nil), recs[i].fields...)
		}
		mutated := build(mutate(recs))
		require.False(t, base.Equal(mutated), "%q: Equal to the base", name)
		h := mutated.Hash()
		prev, dup := seen[h]
		require.False(t, dup, "%q hashes like %q", name, prev)
		seen[h] = name
	}
}

func TestTraceHashCoversUnusedFieldParts(t *testing.T) {
	// The hash covers both Int and Str of every field, whatever its type, so
	// stray data in the unused part of a Field changes it too.
	a := build([]rec{{1, "a", "k", []Field{Str("s", "v")}}})
	f := Str("s", "v")
	f.Int = 7
	b := build([]rec{{1, "a", "k", []Field{f}}})
	require.NotEqual(t, a.Hash(), b.Hash())
}

func TestTraceAccessors(t *testing.T) {
	tr := build(sample())
	require.Equal(t, 4, tr.Len())
	evs := tr.Events()
	for i, e := range evs {
		require.Equal(t, uint64(i), e.Seq)
	}
	require.Equal(t, "consumer-1", evs[2].Actor)
	require.Empty(t, tr.Fields(evs[0]))
	require.Len(t, tr.Fields(evs[2]), 4)

	f, ok := tr.Field(evs[2], "lat")
	require.True(t, ok)
	require.Equal(t, Dur("lat", 1500*time.Microsecond), f)
	require.Equal(t, "1.5ms", f.Value())
	_, ok = tr.Field(evs[2], "subject")
	require.False(t, ok, "fields of another event are not visible")

	require.Equal(t, "-3", Int("n", -3).Value())
	require.Equal(t, "x y", Str("s", "x y").Value())
	require.Equal(t, "-2s", Dur("d", -2*time.Second).Value())
	require.Equal(t, "0s", Dur("d", 0).Value())
}

func TestTraceAddCopiesFields(t *testing.T) {
	tr := NewTrace()
	fs := []Field{Int("n", 1)}
	tr.Add(0, "a", "k", fs...)
	fs[0].Int = 99
	require.Equal(t, int64(1), tr.Fields(tr.Events()[0])[0].Int)
}

func TestNilTraceIsNoOp(t *testing.T) {
	var tr *Trace
	require.NotPanics(t, func() { tr.Add(1, "a", "k", Int("n", 1)) })
	require.Zero(t, tr.Len())
	require.Nil(t, tr.Events())
	require.Nil(t, tr.Fields(Event{}))
	_, ok := tr.Field(Event{}, "n")
	require.False(t, ok)
	require.Equal(t, NewTrace().Hash(), tr.Hash())

	var buf bytes.Buffer
	require.NoError(t, tr.WriteText(&buf))
	require.NoError(t, tr.WriteNDJSON(&buf))
	require.Zero(t, buf.Len())
}

func TestTraceAddDoesNotAllocateInSteadyState(t *testing.T) {
	tr := NewTrace()
	for range 100_000 {
		tr.Add(1, "actor", "kind", Int("n", 1), Str("s", "v"))
	}
	// Amortized slice growth may allocate once in a while; AllocsPerRun
	// reports the integer average, which must be 0.
	require.Zero(t, testing.AllocsPerRun(1000, func() {
		tr.Add(1, "actor", "kind", Int("n", 1), Str("s", "v"))
	}))
}

var errBoom = errors.New("boom")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errBoom }

func TestTraceWriteErrorsPropagate(t *testing.T) {
	tr := build(sample())
	require.ErrorIs(t, tr.WriteText(failWriter{}), errBoom)
	require.ErrorIs(t, tr.WriteNDJSON(failWriter{}), errBoom)
}
