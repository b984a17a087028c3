package explore

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tinyShards runs a cut-down sweep (3 × 2 cells, 5 seeds) as shards 1/2
// and 2/2 and returns their raw files.
func tinyShards(t testing.TB) (one, two []byte) {
	sw, err := Load("../examples/sweeps/request-timeout.yaml")
	require.NoError(t, err)
	sw.Seeds = 5
	timeouts := sw.Axes[len(sw.Axes)-1]
	timeouts.Values = timeouts.Values[:2]
	var raws [2][]byte
	for k := range raws {
		res, err := Run(sw, Options{Workers: 1, Shard: Shard{K: k + 1, N: 2}})
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, WriteRaw(&b, res))
		raws[k] = b.Bytes()
	}
	return raws[0], raws[1]
}

// edit applies change to the JSON of a raw file (numbers kept exact) and,
// with reseal, writes the checksum of the changed data, so that the
// change reaches Validate; without it, the checksum no longer matches.
func edit(t *testing.T, raw []byte, reseal bool, change func(m map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	change(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	if !reseal {
		return out
	}
	var r Results
	if json.Unmarshal(out, &r) != nil {
		return out // the change breaks decoding: no checksum to fix
	}
	sum, err := r.sum()
	require.NoError(t, err)
	m["checksum"] = sum
	out, err = json.Marshal(m)
	require.NoError(t, err)
	return out
}

// obj and arr walk the generic JSON of a raw file.
func obj(v any) map[string]any { return v.(map[string]any) }
func arr(v any) []any          { return v.([]any) }

func cell0(m map[string]any) map[string]any { return obj(arr(m["cells"])[0]) }
func axis(m map[string]any, i int) map[string]any {
	return obj(arr(obj(m["sweep"])["axes"])[i])
}

// zeros is an endless stream of NUL bytes, like /dev/zero.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestMergeRefusesCorruptedInput: each corrupted raw file is refused with
// an error that names the file, the field, its value and what is expected,
// before anything is allocated from it; none panics. The first cases are
// the reproducers of issue 11 (before the fix: "n": -2 and seeds: 0
// panicked, n = 2^63-1 or 2·10^11 and seeds 10^15 ran out of memory, an
// axis with no values crashed --svg, a negative lost was accepted). Each
// case fails if the check it names is removed from Validate, readRaw or
// Merge.
func TestMergeRefusesCorruptedInput(t *testing.T) {
	one, two := tinyShards(t)
	n := func(s string) json.Number { return json.Number(s) }
	set := func(path func(map[string]any) map[string]any, key string, v any) func(map[string]any) {
		return func(m map[string]any) { path(m)[key] = v }
	}
	top := func(m map[string]any) map[string]any { return m }
	sweep := func(m map[string]any) map[string]any { return obj(m["sweep"]) }
	shard := func(m map[string]any) map[string]any { return obj(m["shard"]) }
	ax0 := func(m map[string]any) map[string]any { return axis(m, 0) }
	ax1 := func(m map[string]any) map[string]any { return axis(m, 1) }
	cases := []struct {
		name   string
		change func(map[string]any) // nil: raw is the whole file
		raw    string
		keep   bool // keep the old checksum
		want   string
	}{
		{name: "shard n negative", change: set(shard, "n", n("-2")), want: "field shard.n = -2: want 1 <= n <= 5 (sweep.seeds)"},
		{name: "shard n 2^63-1", change: set(shard, "n", n("9223372036854775807")), want: "field shard.n = 9223372036854775807: want 1 <= n <= 5"},
		{name: "shard n 2e11", change: set(shard, "n", n("200000000000")), want: "field shard.n = 200000000000"},
		{name: "seeds 0", change: set(sweep, "seeds", n("0")), want: "field sweep.seeds = 0: want 1 <= seeds <= 10000000"},
		{name: "seeds 1e15", change: set(sweep, "seeds", n("1000000000000000")), want: "field sweep.seeds = 1000000000000000"},
		{name: "axis without values", change: set(ax0, "values", []any{}), want: "field sweep.axes[0].values = []: want one value or more"},
		{name: "negative lost", change: func(m map[string]any) { arr(cell0(m)["lost"])[0] = n("-1") }, want: "field cells[0].lost[0] = -1: want 0 <= lost <= 4294967296"},
		{name: "huge lost", change: func(m map[string]any) { arr(cell0(m)["lost"])[1] = n("4294967297") }, want: "field cells[0].lost[1] = 4294967297"},
		{name: "shard k 0", change: set(shard, "k", n("0")), want: "field shard.k = 0: want 1 <= k <= 2 (shard.n)"},
		{name: "shard k above n", change: set(shard, "k", n("3")), want: "field shard.k = 3"},
		{name: "drain_ns below -1", change: func(m map[string]any) { arr(cell0(m)["drain_ns"])[0] = n("-5") }, want: "field cells[0].drain_ns[0] = -5: want a duration >= 0, or -1"},
		{name: "negative count", change: set(cell0, "timeouts", n("-1")), want: "field cells[0].timeouts = -1: want 0 to 3, the number of runs"},
		{name: "count above runs", change: set(cell0, "budget", n("4")), want: "field cells[0].budget = 4: want 0 to 3"},
		{name: "silent without loss", change: func(m map[string]any) {
			c := cell0(m)
			c["lost"], c["silent"] = []any{n("0"), n("0"), n("0")}, n("1")
		}, want: "field cells[0].silent = 1: want 0 to 0, the number of runs that lost messages and did not time out"},
		{name: "cut without loss", change: func(m map[string]any) {
			c := cell0(m)
			c["lost"], c["cut"] = []any{n("0"), n("0"), n("0")}, n("2")
		}, want: "field cells[0].cut = 2: want 0 to 0"},
		{name: "a cell missing", change: func(m map[string]any) { m["cells"] = arr(m["cells"])[1:] }, want: "field cells = 5 cells: want 6"},
		{name: "runs missing", change: set(cell0, "lost", []any{n("0")}), want: "field cells[0].lost = 1 runs (drain_ns: 3): want 3 runs in each"},
		{name: "drain_ns missing", change: set(cell0, "drain_ns", []any{}), want: "field cells[0].lost = 3 runs (drain_ns: 0)"},
		{name: "target 0", change: set(sweep, "target", n("0")), want: "field sweep.target = 0: want 1e-09 <= target < 1"},
		{name: "target 2", change: set(sweep, "target", n("2")), want: "field sweep.target = 2"},
		{name: "fingerprint not hex", change: set(sweep, "fingerprint", "xyz"), want: `field sweep.fingerprint = "xyz": want 64 lowercase hex digits`},
		{name: "no name", change: set(sweep, "name", ""), want: `field sweep.name = "": want the sweep's name`},
		{name: "no scenario", change: set(sweep, "scenario", ""), want: `field sweep.scenario = ""`},
		{name: "unknown profile", change: set(sweep, "profile", "cobol"), want: `field sweep.profile = "cobol": want a profile name, one of [c `},
		{name: "unknown axis", change: set(ax0, "name", "colour"), want: `field sweep.axes[0].name = "colour": want one of [drain_timeout handler`},
		{name: "axis twice", change: set(ax0, "name", TimeoutAxis), want: `field sweep.axes[0].name = "drain_timeout": want drain_timeout as the last axis`},
		{name: "timeout not last", change: func(m map[string]any) {
			a := arr(obj(m["sweep"])["axes"])
			a[0], a[1] = a[1], a[0]
		}, want: `field sweep.axes[0].name = "drain_timeout": want drain_timeout as the last axis`},
		// Catches a check that takes any numeric axis, or none, as the x axis.
		{name: "last axis not an x axis", change: set(ax1, "name", "backlog"), want: `field sweep.axes[1].name = "backlog": want the x axis last, one of [drain_timeout at wait publish_rate]`},
		// Catches a report that reads a wait axis without saying what it measures.
		{name: "wait axis without its description", change: set(ax1, "name", WaitAxis), want: `field sweep.wait = "": want what the wait axis measures`},
		{name: "repeated axis", change: set(ax1, "name", "request_timeout"), want: `field sweep.axes[1].name = "request_timeout": want each axis once`},
		{name: "timeouts decreasing", change: set(ax1, "num", []any{n("2e9"), n("1e9")}), want: "field sweep.axes[1].num[1] = 1e+09: want a finite number (whole nanoseconds for drain_timeout, at and wait; increasing along drain_timeout and the x axis)"},
		{name: "fractional timeout", change: set(ax1, "num", []any{n("1"), n("2.5")}), want: "field sweep.axes[1].num[1] = 2.5: want a finite number (whole nanoseconds"},
		{name: "timeouts without numbers", change: func(m map[string]any) { delete(ax1(m), "num") }, want: "field sweep.axes[1].num = []: want the drain_timeout values as numbers (durations in nanoseconds)"},
		{name: "numbers not one per value", change: set(ax1, "num", []any{n("1")}), want: "field sweep.axes[1].num = 1 numbers: want none, or one per value (2)"},
		{name: "no axes", change: set(sweep, "axes", []any{}), want: "field sweep.axes = []: want one axis or more"},
		{name: "empty label", change: func(m map[string]any) { arr(ax0(m)["values"])[0] = "" }, want: `field sweep.axes[0].values[0] = "": want a value's label`},
		{name: "too many runs", change: set(sweep, "seeds", n("9000000")), want: "field sweep.axes = 5.4e+07 runs over 9000000 seeds: want at most 10000000 runs in all"},
		{name: "format 1", change: func(m map[string]any) { m["format"] = "drainsim-explore-raw/1"; delete(m, "checksum") },
			want: `format "drainsim-explore-raw/1" was written by an earlier drainsim and has no checksum: rerun drainsim explore --raw`},
		{name: "other format", change: set(top, "format", "something-else/9"), want: `field format = "something-else/9": want "drainsim-explore-raw/2"`},
		{name: "data changed", change: func(m map[string]any) { arr(cell0(m)["lost"])[0] = n("7") }, keep: true,
			want: "field checksum = \"", /* then the old sum */
		},
		{name: "no checksum", change: func(m map[string]any) { delete(m, "checksum") }, keep: true, want: `field checksum = "": want `},
		{name: "unknown field", change: set(top, "comment", "hi"), want: `not a drainsim explore --raw file: json: unknown field "comment"`},
		{name: "number too large", change: set(shard, "n", n("1e20")), want: "not a drainsim explore --raw file: json: cannot unmarshal number 1e20 into Go struct field Shard.shard.n of type int"},
		{name: "string for a number", change: set(sweep, "seeds", "many"), want: "cannot unmarshal string into Go struct field Header.sweep.seeds of type int"},
		{name: "trailing data", raw: string(one) + "{}", want: "more data after its JSON object"},
		{name: "not JSON", raw: "{", want: "not a drainsim explore --raw file: unexpected EOF"},
		{name: "empty file", raw: "", want: "not a drainsim explore --raw file: EOF"},
	}
	require.GreaterOrEqual(t, len(cases), 26, "the issue tried 26 corrupted merge inputs")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := []byte(c.raw)
			if c.change != nil {
				raw = edit(t, one, !c.keep, c.change)
			}
			err := func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("panic: %v", p)
					}
				}()
				a, err := ReadRaw("shard-1.json", bytes.NewReader(raw))
				if err != nil {
					return err
				}
				b, err := ReadRaw("shard-2.json", bytes.NewReader(two))
				require.NoError(t, err)
				_, err = Merge(a, b)
				return err
			}()
			require.Error(t, err)
			require.Contains(t, err.Error(), "shard-1.json")
			require.Contains(t, err.Error(), c.want)
		})
	}

	// The two shards themselves merge.
	a, err := ReadRaw("shard-1.json", bytes.NewReader(one))
	require.NoError(t, err)
	b, err := ReadRaw("shard-2.json", bytes.NewReader(two))
	require.NoError(t, err)
	_, err = Merge(b, a)
	require.NoError(t, err)
}

// TestMergeRefusesMismatchedShards: shards that are each valid but do not
// belong together are refused, naming the files.
func TestMergeRefusesMismatchedShards(t *testing.T) {
	one, two := tinyShards(t)
	read := func(name string, raw []byte) *Results {
		r, err := ReadRaw(name, bytes.NewReader(raw))
		require.NoError(t, err)
		return r
	}
	a, b := read("a.json", one), read("b.json", two)
	// Same fingerprint, another header: caught even though the checksum
	// was rewritten to match.
	edited := read("c.json", edit(t, two, true, func(m map[string]any) { obj(m["sweep"])["target"] = json.Number("0.01") }))
	cases := []struct {
		parts []*Results
		want  string
	}{
		{[]*Results{a, edited}, "merge: part 2 (c.json) has the fingerprint of part 1 (a.json) but another sweep.target: one of them was edited"},
		{[]*Results{a, a}, "merge: shard 1/2 given twice"},
		{[]*Results{b}, "merge: shard 1/2 is missing"},
		{[]*Results{a, b, a}, "merge: shard 1/2 given twice"},
		{[]*Results{a, read("d.json", edit(t, two, true, func(m map[string]any) { obj(m["sweep"])["fingerprint"] = strings.Repeat("0", 64) }))},
			"merge: part 2 (d.json) is from a different sweep (or seeds) than part 1 (a.json)"},
		{[]*Results{a, read("e.json", edit(t, two, true, func(m map[string]any) { obj(m["shard"])["n"] = json.Number("3") }))},
			"merge: part 2 (e.json) is shard 2/3, part 1 (a.json) is of 2 shards"},
		{[]*Results{{Format: RawFormat, Partial: &Partial{Seeds: 1, Of: 3}}}, "merge: part 1 holds an interrupted run (1 of 3 seeds)"},
	}
	for _, c := range cases {
		_, err := Merge(c.parts...)
		require.ErrorContains(t, err, c.want)
	}
}

// TestReadRawStopsEarly: an endless or oversized input is refused without
// reading it all (the cap of MaxRawBytes, here with a small one).
func TestReadRawStopsEarly(t *testing.T) {
	_, err := ReadRaw("/dev/zero", zeros{})
	require.ErrorContains(t, err, "/dev/zero: not a drainsim explore --raw file: invalid character '\\x00'")

	c := &cappedReader{r: strings.NewReader(strings.Repeat(" ", 100)), n: 10}
	got, err := io.ReadAll(c)
	require.ErrorIs(t, err, errTooLarge)
	require.Len(t, got, 10)
	var r Results
	err = json.NewDecoder(&cappedReader{r: strings.NewReader(`{"format": "` + strings.Repeat("x", 100) + `"}`), n: 20}).Decode(&r)
	require.True(t, errors.Is(err, errTooLarge), "%v", err)
}

// TestWriteRawRefusesPartialResults: the runs of an interrupted sweep are
// not a shard and cannot be merged, so they are not written as one.
func TestWriteRawRefusesPartialResults(t *testing.T) {
	err := WriteRaw(io.Discard, &Results{Partial: &Partial{Seeds: 1, Of: 2}})
	require.ErrorContains(t, err, "interrupted run cannot be written as a raw file")
}

// TestSVGOfHugeTimeouts: drain timeouts near 2^63 ns, close together, once
// made the SVG's tick loop spin forever (found by FuzzMerge: adding the
// tick step to 9e18 changed nothing); the ticks are now counted.
func TestSVGOfHugeTimeouts(t *testing.T) {
	ticks := linearTicks(9e18, 9e18+2048, 8)
	require.NotEmpty(t, ticks)
	require.LessOrEqual(t, len(ticks), 10)
	r := handMade(10, [2][3]int{})
	r.Sweep.Axes[1].Num = []float64{9e18, 9e18 + 2048, 9e18 + 4096}
	rep, err := Summarize(r, 0)
	require.NoError(t, err)
	require.NoError(t, rep.WriteSVG(io.Discard))
}

// FuzzMerge decodes two mutated raw files (without their checksum, so that
// mutations reach Validate) and merges them: Merge must fail or succeed,
// never panic, and never produce more runs than its inputs hold (an
// allocation from an unchecked number would). What merges must summarise
// and write in every format. ReadRaw, checksum included, must not panic on
// either input. Run it with: go test -run '^$' -fuzz FuzzMerge ./explore
func FuzzMerge(f *testing.F) {
	one, two := tinyShards(f)
	f.Add(one, two)
	f.Add(two, one)
	f.Add(one, one)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var parts []*Results
		inputRuns := 0
		for _, raw := range [][]byte{a, b} {
			_, _ = ReadRaw("fuzz.json", bytes.NewReader(raw))
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			var r Results
			if dec.Decode(&r) != nil {
				return
			}
			for _, c := range r.Cells {
				inputRuns += len(c.Lost)
			}
			parts = append(parts, &r)
		}
		m, err := Merge(parts...)
		if err != nil {
			return
		}
		runs := 0
		for _, c := range m.Cells {
			runs += len(c.Lost) + len(c.DrainNS)
		}
		if runs > 2*inputRuns {
			t.Fatalf("merge made %d run entries of %d in its inputs", runs, inputRuns)
		}
		rep, err := Summarize(m, 0)
		if err != nil {
			t.Fatalf("merged results do not summarise: %v", err)
		}
		for _, write := range []func(io.Writer) error{rep.WriteTable, rep.WriteCSV, rep.WriteJSON, rep.WriteSVG} {
			if err := write(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
	})
}
