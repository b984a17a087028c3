package explore

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// handMade returns complete Results with one axis "handler" (series a and
// b) and three drain timeouts, n runs per cell, where lost[s][t] runs of
// series s at timeout t lost one message.
func handMade(n int, lost [2][3]int) *Results {
	r := &Results{Format: RawFormat, Shard: Shard{K: 1, N: 1}, Sweep: Header{Name: "hand", Scenario: "base", Fingerprint: strings.Repeat("f", 64), Seeds: n, Target: 1e-3,
		Axes: []AxisInfo{{Name: "handler", Values: []string{"a", "b"}},
			{Name: TimeoutAxis, Values: []string{"1s", "2s", "3s"}, Num: []float64{1e9, 2e9, 3e9}}}}}
	for s := range 2 {
		for ti := range 3 {
			c := CellRuns{Lost: make([]int, n), DrainNS: make([]int64, n), Timeouts: lost[s][ti]}
			for i := range n {
				c.DrainNS[i] = int64(i+1) * 1e6
				if i < lost[s][ti] {
					c.Lost[i] = 1 + i%3
				}
			}
			r.Cells = append(r.Cells, c)
		}
	}
	return r
}

func TestRecommendation(t *testing.T) {
	rep, err := Summarize(handMade(4000, [2][3]int{{40, 0, 0}, {900, 30, 9}}), 0)
	require.NoError(t, err)
	require.Equal(t, 1e-3, rep.Target, "the sweep's target by default")
	a, b := rep.Series[0], rep.Series[1]
	require.Equal(t, "handler=a", a.Label)
	require.True(t, a.Rec.Found)
	require.Equal(t, "2s", a.Rec.Value, "the smallest timeout that meets the target")
	require.Equal(t, 1, a.Rec.Cell)
	require.Equal(t, RunsNeeded(1e-4), a.Rec.TighterRuns)
	require.Contains(t, rep.RecommendationText(&a), "drain_timeout 2s or more: at 2s, 0 of 4,000 runs lost messages, so P(loss) <= 0.000959")
	require.False(t, b.Rec.Found)
	require.Equal(t, "3s", b.Rec.Value, "the largest value tried")
	require.Contains(t, rep.RecommendationText(&b), "no drain_timeout up to 3s, the largest value tried, meets the target: at 3s, 9 of 4,000 runs lost messages (P(loss) 0.00225, 95% CI [0.00118, 0.00427]); extend the drain_timeout axis above 3s")

	c := rep.Cells[0]
	require.Equal(t, []string{"a", "1s"}, c.Values)
	require.Equal(t, 40, c.LossRuns)
	require.InDelta(t, 0.01, c.PLoss, 1e-15)
	lo, hi := Wilson(40, 4000)
	require.Equal(t, [2]float64{lo, hi}, [2]float64{c.Low, c.High})
	require.InDelta(t, float64(14*1+13*2+13*3)/4000, c.LostMean, 1e-12) // 40 runs lose 1, 2, 3, 1, 2, 3...
	require.Equal(t, 0, c.LostP99, "99 % of runs lost nothing")
	require.Equal(t, int64(2000e6), c.DrainP50)
	require.Equal(t, int64(3960e6), c.DrainP99)
	require.Equal(t, int64(4000e6), c.DrainMax)

	// Too few runs: nothing lost, but the bound cannot reach the target.
	rep, err = Summarize(handMade(1000, [2][3]int{{5, 0, 0}, {5, 0, 0}}), 0)
	require.NoError(t, err)
	require.False(t, rep.Series[0].Rec.Found)
	require.Contains(t, rep.RecommendationText(&rep.Series[0]),
		"no drain_timeout shows the target with 1,000 runs per cell: at 2s none of them lost messages, but the 95% upper bound is 0.00383 > target 0.001; showing P(loss) <= 0.001 needs 3,838 loss-free runs per cell")
	// A looser target, given on the command line, is met with those runs.
	rep, err = Summarize(handMade(1000, [2][3]int{{5, 0, 0}, {5, 0, 0}}), 0.01)
	require.NoError(t, err)
	_, hi5 := Wilson(5, 1000)
	require.Greater(t, hi5, 0.01, "premise: 5 losses in 1,000 runs do not show 0.01")
	require.True(t, rep.Series[0].Rec.Found)
	require.Equal(t, "2s", rep.Series[0].Rec.Value)
}

// TestNoTargetNamesTheLargestValue is the reproducer of issue 13's "even at
// 50ms": when every timeout loses equally the advice named the first cell
// of the tie, the smallest timeout. It must name the largest one tried.
// Mutation caught: keeping the first cell of a tie of upper bounds.
func TestNoTargetNamesTheLargestValue(t *testing.T) {
	rep, err := Summarize(handMade(200, [2][3]int{{200, 200, 200}, {200, 150, 150}}), 0)
	require.NoError(t, err)
	for _, s := range rep.Series {
		require.False(t, s.Rec.Found)
		require.Equal(t, "3s", s.Rec.Value, s.Label)
		require.Contains(t, rep.RecommendationText(&s), "no drain_timeout up to 3s, the largest value tried, meets the target: at 3s, ")
		require.Contains(t, rep.RecommendationText(&s), "extend the drain_timeout axis above 3s")
	}
	require.Equal(t, 0, rep.Series[0].Rec.SameFrom, "every cell of a had the same runs")
	require.Equal(t, 4, rep.Series[1].Rec.SameFrom, "b's 2s and 3s had the same runs")
}

// TestTimeoutThatChangesNothing: when the largest timeouts had the same
// runs and none of them timed out, a longer timeout will not help, and
// the advice must not say to extend the axis (csharp-v1 and ruby-em on
// conn-drain-slow-handler.yaml). Mutation caught: dropping the SameFrom
// case, which advised extending the axis.
func TestTimeoutThatChangesNothing(t *testing.T) {
	r := handMade(200, [2][3]int{{200, 200, 200}, {200, 150, 150}})
	for c := range r.Cells {
		r.Cells[c].Timeouts = 0
	}
	rep, err := Summarize(r, 0)
	require.NoError(t, err)
	a, b := rep.RecommendationText(&rep.Series[0]), rep.RecommendationText(&rep.Series[1])
	require.Equal(t, "no drain_timeout meets the target, and from 1s to 3s, the largest value tried, the drain timeout changed nothing: every value gave the same runs, in which 200 of 200 runs lost messages without the drain timing out, so a longer drain_timeout is unlikely to help: the loss has another cause", a)
	require.Contains(t, b, "from 2s to 3s, the largest value tried, the drain timeout changed nothing")
	require.NotContains(t, a+b, "extend")
}

// TestProfileWithoutDrainTimeout is the reproducer of issue 13's natsjs
// and node-v1 advice: a profile without a drain timeout (TimeoutStart
// NoTimeout) gets no recommendation, even when its runs lose nothing, and
// the text says the axis has no effect on it. Mutation caught: ignoring
// the profile (it then recommended 1s for a loss-free natsjs).
func TestProfileWithoutDrainTimeout(t *testing.T) {
	r := handMade(4000, [2][3]int{{0, 0, 0}, {9, 9, 0}})
	r.Sweep.Profile = "natsjs"
	rep, err := Summarize(r, 0)
	require.NoError(t, err)
	for _, s := range rep.Series {
		require.True(t, s.Rec.NoTimeout, s.Label)
		require.False(t, s.Rec.Found, s.Label)
		require.Contains(t, rep.RecommendationText(&s), "no drain_timeout to recommend: profile natsjs has no drain timeout, so the drain_timeout axis has no effect on it; ")
	}
	require.Contains(t, rep.RecommendationText(&rep.Series[0]), "every value from 1s to 3s gave the same runs: 0 of 4,000 runs lost messages")
	require.Contains(t, rep.RecommendationText(&rep.Series[1]), "at 3s, the largest value tried: 0 of 4,000 runs lost messages")
	var csvOut bytes.Buffer
	require.NoError(t, rep.WriteCSV(&csvOut))
	require.NotContains(t, csvOut.String(), ",1\n", "no cell recommended")
	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	require.Contains(t, js.String(), `"no_drain_timeout": true`)
}

// TestAllProfilesOnSlowHandler is issue 13's reproducer run for real: every
// profile swept over drain_timeout on examples/conn-drain-slow-handler.yaml
// (examples/sweeps/all-profiles.yaml with 20 seeds, a loose target). natsjs and node-v1 have no drain timeout and
// get no recommendation; go's is 200 ms (the handler's time); csharp-v1
// loses at every timeout without one firing, so extending the axis is not
// advised.
func TestAllProfilesOnSlowHandler(t *testing.T) {
	sw, err := Load("../examples/sweeps/all-profiles.yaml")
	require.NoError(t, err)
	sw.Seeds = 20
	rep, err := Summarize(run(t, sw, Options{Workers: 2}), 0.2)
	require.NoError(t, err)
	recs := map[string]*Series{}
	for i := range rep.Series {
		recs[rep.Series[i].Label] = &rep.Series[i]
	}
	require.Len(t, recs, len(model.ProfileNames()), "a series per profile")
	for _, p := range []string{"natsjs", "node-v1"} {
		s := recs["profile="+p]
		require.True(t, s.Rec.NoTimeout, p)
		require.Contains(t, rep.RecommendationText(s), "profile "+p+" has no drain timeout")
	}
	require.True(t, recs["profile=go"].Rec.Found)
	require.Equal(t, "200ms", recs["profile=go"].Rec.Value)
	require.Contains(t, rep.RecommendationText(recs["profile=csharp-v1"]), "unlikely to help")
	for _, s := range recs {
		require.NotContains(t, rep.RecommendationText(s), "at 50ms", "%s: never the smallest value as the best", s.Label)
	}
}

func TestReportOutputs(t *testing.T) {
	rep, err := Summarize(run(t, smallSweep(t), Options{Workers: 2}), 0)
	require.NoError(t, err)

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	lines := strings.Split(table.String(), "\n")
	require.Contains(t, lines[2], "request_timeout")
	require.Contains(t, lines[2], "P(loss)")
	for i := range rep.Cells {
		// The axes, then 12 statistics (the CI is two fields).
		require.Len(t, strings.Fields(lines[3+i]), 2+12, "row %d: %q", i, lines[3+i])
	}
	require.Contains(t, table.String(), "recommendation (smallest drain_timeout whose 95% upper bound on P(loss) is at most 0.001):")
	for _, s := range rep.Series {
		require.Contains(t, table.String(), "  "+s.Label+":\n    "+rep.RecommendationText(&s))
	}

	var csvOut bytes.Buffer
	require.NoError(t, rep.WriteCSV(&csvOut))
	rows, err := csv.NewReader(&csvOut).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+len(rep.Cells))
	require.Equal(t, append([]string{"request_timeout", TimeoutAxis}, csvHeader...), rows[0])
	col := func(name string) int { return indexOf(rows[0], name) }
	for i, c := range rep.Cells {
		row := rows[i+1]
		require.Equal(t, c.Values, row[:2])
		require.Equal(t, strconv.Itoa(c.LossRuns), row[col("loss_runs")])
		p, err := strconv.ParseFloat(row[col("ci_high")], 64)
		require.NoError(t, err)
		require.Equal(t, c.High, p, "full precision")
		require.Equal(t, strconv.FormatInt(c.DrainP99, 10), row[col("drain_p99_ns")])
	}

	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	var out struct {
		Cells []struct {
			Axes  []struct{ Name, Value string }
			Runs  int
			PLoss float64 `json:"p_loss"`
		}
		Recommendations []struct {
			Found          bool
			DrainTimeoutNS int64 `json:"drain_timeout_ns"`
			Text           string
		}
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &out))
	require.Len(t, out.Cells, len(rep.Cells))
	require.Equal(t, "request_timeout", out.Cells[0].Axes[0].Name)
	require.Equal(t, rep.Cells[3].PLoss, out.Cells[3].PLoss)
	require.Len(t, out.Recommendations, len(rep.Series))
	require.Equal(t, rep.RecommendationText(&rep.Series[1]), out.Recommendations[1].Text)

	var svg bytes.Buffer
	require.NoError(t, rep.WriteSVG(&svg))
	requireWellFormedSVG(t, svg.Bytes(), len(rep.Series))
}

// requireWellFormedSVG parses doc as XML and checks it has an svg root, no
// interval bands (intervals are bars, TestChartZeroLossCells) and a curve
// per series at least.
func requireWellFormedSVG(t *testing.T, doc []byte, series int) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	counts := map[string]int{}
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if el, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = el.Name.Local
			}
			counts[el.Name.Local]++
		}
	}
	require.Equal(t, "svg", root)
	require.Zero(t, counts["polygon"], "no interval bands")
	require.GreaterOrEqual(t, counts["polyline"], series, "curves")
}

// manySeries returns complete Results with a handler axis of n values and
// the given drain timeouts (ns), 100 runs per cell, where lost(s, t) runs of
// series s at timeout t lost a message.
func manySeries(n int, timeouts []float64, lost func(s, t int) int) *Results {
	const runs = 100
	h := Header{Name: "many", Scenario: "base", Fingerprint: strings.Repeat("f", 64), Seeds: runs, Target: 1e-3,
		Axes: []AxisInfo{{Name: "handler"}, {Name: TimeoutAxis, Num: timeouts}}}
	for s := range n {
		h.Axes[0].Values = append(h.Axes[0].Values, "h"+strconv.Itoa(s))
	}
	for _, ns := range timeouts {
		h.Axes[1].Values = append(h.Axes[1].Values, durationTick(ns))
	}
	r := &Results{Format: RawFormat, Shard: Shard{K: 1, N: 1}, Sweep: h}
	for s := range n {
		for ti := range timeouts {
			c := CellRuns{Lost: make([]int, runs), DrainNS: make([]int64, runs), Timeouts: lost(s, ti)}
			for i := range runs {
				c.DrainNS[i] = int64(s+i+1) * 1e6
				if i < lost(s, ti) {
					c.Lost[i] = 1
				}
			}
			r.Cells = append(r.Cells, c)
		}
	}
	return r
}

// svgElement is one element of a chart: its name, attributes, and the
// data-series of the group it is in (-1 outside one).
type svgElement struct {
	name   string
	attr   map[string]string
	series int
	text   string
}

func chartElements(t *testing.T, rep *Report) []svgElement {
	t.Helper()
	var svg bytes.Buffer
	require.NoError(t, rep.WriteSVG(&svg))
	dec := xml.NewDecoder(&svg)
	var out []svgElement
	series := -1
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		switch el := tok.(type) {
		case xml.StartElement:
			e := svgElement{name: el.Name.Local, attr: map[string]string{}, series: series}
			for _, a := range el.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			if v, ok := e.attr["data-series"]; ok && e.name == "g" {
				series, err = strconv.Atoi(v)
				require.NoError(t, err)
			}
			out = append(out, e)
		case xml.EndElement:
			if el.Name.Local == "g" {
				series = -1
			}
		case xml.CharData:
			if len(out) > 0 {
				out[len(out)-1].text += string(el)
			}
		}
	}
}

// TestChartStylesAreDistinct: with 1 to 10 series every series has its own
// colour, marker and dash pattern, and no colour repeats (issue 13: the
// palette had 7 colours, so the 8th series looked like the 1st). Mutation
// caught: a 7-colour palette, or one marker for all.
func TestChartStylesAreDistinct(t *testing.T) {
	for n := 1; n <= 10; n++ {
		rep, err := Summarize(manySeries(n, []float64{1e9, 2e9, 3e9}, func(s, ti int) int { return (s + 1) * (3 - ti) }), 0)
		require.NoError(t, err)
		colours, markers, styles := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, e := range chartElements(t, rep) {
			switch {
			case e.series < 0:
			case e.name == "polyline":
				styles[strconv.Itoa(e.series)+" "+e.attr["stroke"]+" "+e.attr["stroke-dasharray"]] = true
				colours[e.attr["stroke"]] = true
			case e.attr["data-marker"] != "":
				markers[strconv.Itoa(e.series)+" "+e.attr["data-marker"]] = true
			}
		}
		require.Len(t, colours, n, "%d series: a colour each", n)
		require.Len(t, styles, n, "%d series: one line style each", n)
		distinct := map[string]bool{}
		for m := range markers {
			distinct[strings.Fields(m)[1]] = true
		}
		require.Len(t, distinct, n, "%d series: a marker each", n)
	}
	for i := range 20 {
		for j := range i {
			a, b := seriesStyle(i), seriesStyle(j)
			require.False(t, a.colour == b.colour && a.dash == b.dash, "series %d and %d look alike", i, j)
		}
	}
}

// TestChartZeroLossCells: a loss-free cell gets a marker on the 0 line but
// no interval (their bands stacked into an opaque block, issue 13), the
// bound is stated in a label, and no line joins a cell with losses to the
// 0 line (it crossed the target line at timeouts never run). Mutations
// caught: an interval bar for every cell; one polyline per series.
func TestChartZeroLossCells(t *testing.T) {
	rep, err := Summarize(manySeries(2, []float64{1e9, 2e9, 3e9, 4e9, 5e9}, func(s, ti int) int { return max(0, 50-(s+1)*ti*20) }), 0)
	require.NoError(t, err)
	bars, lines := map[int]bool{}, map[int]int{}
	label := false
	for _, e := range chartElements(t, rep) {
		if v, ok := e.attr["data-ci"]; ok {
			c, err := strconv.Atoi(v)
			require.NoError(t, err)
			require.Positive(t, rep.Cells[c].LossRuns, "an interval drawn for the loss-free cell %d", c)
			bars[c] = true
		}
		if e.name == "polyline" && e.series >= 0 {
			lines[e.series]++
		}
		label = label || strings.Contains(e.text, "with 100 runs per cell its P(loss) ≤ 0.037 (95 % upper bound, not drawn)")
	}
	for c, cell := range rep.Cells {
		require.Equal(t, cell.LossRuns > 0, bars[c], "cell %d", c)
	}
	require.True(t, label, "the zero cells' bound is stated")
	require.Equal(t, map[int]int{0: 2, 1: 2}, lines, "each curve breaks at the 0 line")
}

// TestChartAxes: the x axis is logarithmic when the timeouts span a factor
// of 10 or more and linear otherwise, its title says which, and every
// timeout tried has a tick label (60-90 ms had none in the committed
// backlog chart, issue 13). Mutation caught: ticks at round values only.
func TestChartAxes(t *testing.T) {
	for _, tc := range []struct {
		timeouts []float64
		scale    string
	}{
		{[]float64{60e6, 70e6, 80e6, 90e6, 100e6, 110e6, 120e6, 130e6, 150e6, 200e6, 250e6}, "linear scale"},
		{[]float64{100e6, 250e6, 500e6, 750e6, 1e9, 1.5e9, 2e9, 3e9, 4e9, 5e9, 6e9, 8e9, 10e9, 12e9, 15e9, 20e9, 30e9}, "log scale"},
	} {
		rep, err := Summarize(manySeries(2, tc.timeouts, func(s, ti int) int { return max(0, 60-s-10*ti) }), 0)
		require.NoError(t, err)
		ticks, titled := map[string]bool{}, false
		for _, e := range chartElements(t, rep) {
			if v, ok := e.attr["data-tick"]; ok {
				ticks[v] = true
			}
			titled = titled || strings.HasPrefix(e.text, "drain timeout (DrainTimeout), "+tc.scale)
		}
		for _, v := range tc.timeouts {
			require.True(t, ticks[durationTick(v)], "%s: a tick label at %s", tc.scale, durationTick(v))
		}
		require.True(t, titled, "the axis title says %s", tc.scale)
	}
}

// TestChartCoincidingCurves: when curves coincide (issue 13: a 4-profile
// sweep showed one line) the chart has a panel per series, each series
// drawn once in colour, and the legend names the curve it coincides with.
// Mutation caught: one shared plot whatever the curves.
func TestChartCoincidingCurves(t *testing.T) {
	rep, err := Summarize(manySeries(4, []float64{1e9, 2e9, 3e9}, func(s, ti int) int { return []int{100, 0, 0}[ti] }), 0)
	require.NoError(t, err)
	groups, frames, legend := 0, 0, 0
	for _, e := range chartElements(t, rep) {
		if e.name == "g" {
			groups++
		}
		if e.name == "path" && e.attr["class"] == "ax" && strings.Contains(e.attr["d"], "V") {
			frames++
		}
		if strings.Contains(e.text, "(same P(loss) curve as handler=h0)") {
			legend++
		}
	}
	require.Equal(t, 4, groups, "each series drawn once")
	require.Equal(t, 4+1, frames, "a P(loss) panel per series, and the CDF")
	require.Equal(t, 3, legend)
}

// waitResults is handMade with the wait of a hand-off as its x axis in
// place of the drain timeout, and no drain of a connection (every
// drain_ns -1), as in a sweep of a drain_sub.
func waitResults(lost [2][3]int) *Results {
	r := handMade(4000, lost)
	r.Sweep.Axes[1] = AxisInfo{Name: WaitAxis, Values: []string{"1ms", "2ms", "3ms"}, Num: []float64{1e6, 2e6, 3e6}}
	r.Sweep.Wait = "from subscribe q3 (actions[1], at 10ms) to drain_sub q1 (actions[2])"
	for c := range r.Cells {
		r.Cells[c].Timeouts = 0
		for i := range r.Cells[c].DrainNS {
			r.Cells[c].DrainNS[i] = -1
		}
		for i, l := range r.Cells[c].Lost {
			if l > 0 {
				r.Cells[c].Lost[i] = 1 // the same runs whatever the wait, where the counts are equal
			}
		}
		r.Cells[c].Silent = len(slices.DeleteFunc(slices.Clone(r.Cells[c].Lost), func(l int) bool { return l == 0 }))
	}
	return r
}

// TestWaitRecommendation checks the advice along a wait axis: the smallest
// wait that meets the target, "extend the wait axis" when losses fall but
// stay, and "a longer wait is unlikely to help" when the last waits had
// the same runs; the table, JSON and chart name the wait. It fails if the
// text still says drain_timeout, if a series that stays lossy is advised a
// wait, or if the JSON puts the wait in drain_timeout.
func TestWaitRecommendation(t *testing.T) {
	rep, err := Summarize(waitResults([2][3]int{{40, 0, 0}, {900, 30, 9}}), 0)
	require.NoError(t, err)
	a, b := rep.Series[0], rep.Series[1]
	require.Equal(t, "wait", rep.XName())
	require.Contains(t, rep.RecommendationText(&a), "wait 2ms or more: at 2ms, 0 of 4,000 runs lost messages, so P(loss) <= 0.000959 (95% upper bound) <= target 0.001")
	require.Contains(t, rep.RecommendationText(&b), "no wait up to 3ms, the largest value tried, meets the target: at 3ms, 9 of 4,000 runs lost messages")
	require.Contains(t, rep.RecommendationText(&b), "extend the wait axis above 3ms")

	var table, js, svg bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	require.Contains(t, table.String(), "recommendation (smallest wait whose 95% upper bound on P(loss) is at most 0.001):\n  (the wait is from subscribe q3 (actions[1], at 10ms) to drain_sub q1 (actions[2]))\n")
	require.NoError(t, rep.WriteJSON(&js))
	var out struct {
		Wait string
		Recs []map[string]any `json:"recommendations"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &out))
	require.Equal(t, rep.Sweep.Wait, out.Wait)
	require.Equal(t, "wait", out.Recs[0]["x"])
	require.Equal(t, "2ms", out.Recs[0]["value"])
	require.Equal(t, 2e6, out.Recs[0]["value_ns"])
	require.Equal(t, "", out.Recs[0]["drain_timeout"])
	require.NoError(t, rep.WriteSVG(&svg))
	requireWellFormedSVG(t, svg.Bytes(), 2)
	require.Contains(t, svg.String(), "wait from subscribe q3 (actions[1], at 10ms) to drain_sub q1 (actions[2]), linear scale; a tick at every wait run")
	require.NotContains(t, svg.String(), "Drain duration", "no drain of a connection: no duration chart")

	rep, err = Summarize(waitResults([2][3]int{{40, 0, 0}, {900, 9, 9}}), 0)
	require.NoError(t, err)
	require.Contains(t, rep.RecommendationText(&rep.Series[1]), "no wait meets the target, and from 2ms to 3ms, the largest value tried, the wait changed nothing: every value gave the same runs, in which 9 of 4,000 runs lost messages (P(loss) 0.00225, 95% CI [0.00118, 0.00427]), so a longer wait is unlikely to help")
	rep.Sweep.Axes[1].Name = "at"
	require.Contains(t, rep.RecommendationText(&rep.Series[1]), "no at meets the target, and from 2ms to 3ms, the largest value tried, the action time changed nothing")
	require.Contains(t, rep.RecommendationText(&rep.Series[1]), "so a later action time is unlikely to help")
}

// TestRateRecommendation checks the advice along a publish_rate x axis,
// where a lower rate is the remedy: the largest rate that meets the
// target, else the smallest rate tried and "extend the axis below it",
// with "≤" on the chart and rates, not durations, as tick labels. It fails
// if the search runs from the smallest value up (it would advise 100, the
// smallest safe rate, not 1000) or the ticks are formatted as durations.
func TestRateRecommendation(t *testing.T) {
	r := handMade(4000, [2][3]int{{0, 0, 40}, {9, 30, 900}})
	r.Sweep.Axes[1] = AxisInfo{Name: RateAxis, Values: []string{"100", "1000", "10000"}, Num: []float64{100, 1000, 10000}}
	rep, err := Summarize(r, 0)
	require.NoError(t, err)
	a, b := rep.Series[0], rep.Series[1]
	require.Contains(t, rep.RecommendationText(&a), "publish_rate 1000 or less: at 1000, 0 of 4,000 runs lost messages")
	require.Equal(t, "100", b.Rec.Value, "the smallest rate tried")
	require.Contains(t, rep.RecommendationText(&b), "no publish_rate down to 100, the smallest value tried, meets the target: at 100, 9 of 4,000 runs lost messages (P(loss) 0.00225, 95% CI [0.00118, 0.00427]); extend the publish_rate axis below 100")
	var table, svg bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	require.Contains(t, table.String(), "recommendation (largest publish_rate whose 95% upper bound")
	require.NoError(t, rep.WriteSVG(&svg))
	requireWellFormedSVG(t, svg.Bytes(), 2)
	require.Contains(t, svg.String(), ">≤ 1000<")
	require.Contains(t, svg.String(), `data-tick="10000"`)
	require.Contains(t, svg.String(), "publish rate (messages per second), log scale")
}
