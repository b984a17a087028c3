package explore

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// palette holds ten colours that stay apart for colour-blind readers: the
// Okabe-Ito palette without its yellow, then Paul Tol's wine, olive and
// grey. With up to ten series no colour repeats.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255", "#999933", "#7F7F7F"}

// dashes are the line patterns series cycle through; with ten colours and
// four patterns, no two of the first twenty series share both.
var dashes = []string{"", "8 4", "2 3", "10 3 2 3"}

// markerShapes are the point markers, as SVG path data for a marker of
// radius about 4 centred on the origin, five shapes filled then the same
// five hollow: ten, so that with up to ten series no marker repeats.
var markerShapes = []string{
	"M-3.5 0a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0 -7 0Z", // circle
	"M-3.2 -3.2h6.4v6.4h-6.4Z",                      // square
	"M0 -4.2L3.8 2.8H-3.8Z",                         // triangle
	"M0 -4.4L4.4 0L0 4.4L-4.4 0Z",                   // diamond
	"M0 4.2L3.8 -2.8H-3.8Z",                         // triangle down
}

// style is how series i is drawn: its colour, dash pattern and marker.
type style struct {
	colour, dash string
	shape        int  // index into markerShapes
	hollow       bool // the marker is outlined, not filled
}

func seriesStyle(i int) style {
	return style{colour: palette[i%len(palette)], dash: dashes[i%len(dashes)],
		shape: i % len(markerShapes), hollow: i/len(markerShapes)%2 == 1}
}

// dashAttr is the stroke-dasharray attribute of the style, "" when solid.
func (st style) dashAttr() string {
	if st.dash == "" {
		return ""
	}
	return ` stroke-dasharray="` + st.dash + `"`
}

// marker draws the style's marker at (x, y); data tags it for tests.
func (d *svgDoc) marker(st style, x, y float64, data string) {
	fill := st.colour
	if st.hollow {
		fill = "#fff"
	}
	d.el(`<path d="%s" transform="translate(%.1f %.1f)" fill="%s" stroke="%s" stroke-width="1.4" data-marker="%d/%t" %s/>`,
		markerShapes[st.shape], x, y, fill, st.colour, st.shape, st.hollow, data)
}

// Chart geometry, in SVG user units (pixels at 100 %).
const (
	svgWidth   = 820.0
	plotLeft   = 82.0
	plotRight  = svgWidth - 28
	lossHeight = 300.0
	cdfHeight  = 220.0
	zeroGap    = 18.0 // between the lowest decade of the P(loss) axis and its 0 line
	dodge      = 7.0  // horizontal distance between markers that would coincide
)

// WriteSVG writes the report's two charts as one self-contained SVG: P(loss)
// with its 95 % interval against the x axis (the drain timeout unless the
// sweep's x names another), one curve per series, with the target and the
// recommended values; and the cumulative distribution of drain durations
// at the largest x value of each series (left out when no drain of a
// connection reached CLOSED and x is not the drain timeout).
// Each series has its own colour, dash pattern and marker; markers that
// would fall on the same point are set side by side; when whole curves
// coincide the P(loss) chart becomes small multiples (lossChart), and the
// legend says which series have the same curve as an earlier one.
func (rep *Report) WriteSVG(w io.Writer) error {
	d := &svgDoc{}
	y := 30.0
	d.text(plotLeft-60, y, "start", "t", "drainsim explore: "+rep.Sweep.Name)
	y += 20
	d.text(plotLeft-60, y, "start", "s", fmt.Sprintf("scenario %s · %s seeds per cell · target P(loss) ≤ %s at 95 %% confidence",
		rep.Sweep.Scenario, groupDigits(rep.Sweep.Seeds), fmtProb(rep.Target)))
	if p := rep.PartialText(); p != "" {
		y += 18
		d.text(plotLeft-60, y, "start", "s", p)
	}
	y += 12
	if len(rep.Series) > 1 {
		same := rep.sameCurves()
		for i, s := range rep.Series {
			y += 20
			st := seriesStyle(i)
			d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`, plotLeft-62, y-4, plotLeft-26, y-4, st.colour, st.dashAttr())
			d.marker(st, plotLeft-44, y-4, "")
			label := s.Label
			switch {
			case s.Rec.NoTimeout:
				label += " (no drain timeout: the axis has no effect)"
			case same[i] >= 0:
				label += " (same P(loss) curve as " + rep.Series[same[i]].Label + ")"
			}
			d.text(plotLeft-18, y, "start", "a", label)
		}
	}
	y += 56
	y = rep.lossChart(d, y)
	// Along another x axis than the drain timeout, a sweep whose drains
	// are of subscriptions only has no drain durations to show.
	if rep.XName() == TimeoutAxis || slices.ContainsFunc(rep.Cells, func(c CellStats) bool { return c.Closed > 0 }) {
		y = rep.cdfChart(d, y+100)
	}
	y += 72
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">
<style>
text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:#222}
.t{font-size:19px;font-weight:600}.s{font-size:12.5px;fill:#555}.h{font-size:14.5px;font-weight:600}
.a{font-size:12.5px;fill:#333}.k{font-size:11.5px;fill:#555}
.g{stroke:#e8e8e8;stroke-width:1}.ax{stroke:#555;stroke-width:1}
</style>
<rect width="100%%" height="100%%" fill="#fff"/>
%s</svg>
`, svgWidth, y, svgWidth, y, d.b.String())
	return err
}

// sameCurves returns, per series, the first earlier series whose cells have
// the same P(loss) and interval at every timeout, or -1: such curves lie on
// top of each other and the legend says so.
func (rep *Report) sameCurves() []int {
	out := make([]int, len(rep.Series))
	for i, s := range rep.Series {
		out[i] = slices.IndexFunc(rep.Series[:i], func(o Series) bool {
			return slices.EqualFunc(s.Cells, o.Cells, func(a, b int) bool {
				ca, cb := &rep.Cells[a], &rep.Cells[b]
				return ca.PLoss == cb.PLoss && ca.Low == cb.Low && ca.High == cb.High
			})
		})
	}
	return out
}

// area is a plot's rectangle, in SVG user units.
type area struct{ left, right, top, bottom float64 }

// Small multiples: panels per row, their height and the gaps around them.
const (
	panelCols   = 2
	panelHeight = 170.0
	panelGapX   = 70.0
	panelGapY   = 84.0
)

// xTitle names the x axis for the P(loss) chart's title.
func (rep *Report) xTitle() string {
	switch rep.XName() {
	case TimeoutAxis:
		return "drain timeout (DrainTimeout)"
	case WaitAxis:
		return "wait " + rep.Sweep.Wait
	case RateAxis:
		return "publish rate (messages per second)"
	}
	return "at: the time of the actions the at axis sets"
}

// xTick names one value of the x axis, for the chart's title.
func (rep *Report) xTick() string {
	if rep.XName() == TimeoutAxis {
		return "timeout"
	}
	return rep.XName()
}

// xTickLabel labels a value of the x axis: a duration, or a publish rate.
func (rep *Report) xTickLabel(v float64) string {
	if rep.XName() == RateAxis {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return durationTick(v)
}

// lossChart draws P(loss) against the x axis with its top at top and
// returns its bottom. When a curve would lie on another (sameCurves), the
// series are drawn as small multiples, one panel each with the other
// series in grey behind it, so that no curve hides another.
func (rep *Report) lossChart(d *svgDoc, top float64) float64 {
	d.text(plotLeft, top-36, "start", "h", "P(loss): share of runs that lost messages to the drain, with 95 % Wilson interval")
	lowest, zeroHigh := rep.Target, 0.0
	for _, c := range rep.Cells {
		if c.LossRuns == 0 {
			zeroHigh = max(zeroHigh, c.High)
			continue
		}
		lowest = min(lowest, c.Low)
	}
	if zeroHigh > 0 {
		d.text(plotLeft, top-18, "start", "k", fmt.Sprintf("on the 0 line: no run of the cell lost messages; with %s runs per cell its P(loss) ≤ %s (95 %% upper bound, not drawn)",
			groupDigits(rep.Cells[0].Runs), fmtProb(zeroHigh)))
	}
	// The y axis is logarithmic down to the power of ten below everything
	// worth showing (with some room); zeros are drawn on a separate 0 line
	// under it.
	ylo := math.Pow(10, math.Floor(math.Log10(lowest/1.5)))
	all := make([]int, len(rep.Series))
	for i := range all {
		all[i] = i
	}
	title := rep.xTitle() + ", " + valueAxis(rep.Sweep.Axes[len(rep.Sweep.Axes)-1].Num, area{}).name() + "; a tick at every " + rep.xTick() + " run"
	if !slices.ContainsFunc(rep.sameCurves(), func(j int) bool { return j >= 0 }) {
		a := area{plotLeft, plotRight, top, top + lossHeight}
		rep.lossPanel(d, a, ylo, all, nil)
		d.vlabel(a, "P(loss), log scale")
		d.text((plotLeft+plotRight)/2, a.bottom+62, "middle", "a", title)
		return a.bottom + 10
	}
	d.text(plotLeft, top-4, "start", "k", "curves that coincide: one panel per series, the others in grey")
	width := (plotRight - plotLeft - panelGapX*(panelCols-1)) / panelCols
	bottom := top
	for i := range rep.Series {
		col, row := i%panelCols, i/panelCols
		left := plotLeft + float64(col)*(width+panelGapX)
		ptop := top + 24 + float64(row)*(panelHeight+panelGapY)
		a := area{left, left + width, ptop, ptop + panelHeight}
		st := seriesStyle(i)
		d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`, a.left, a.top-12, a.left+30, a.top-12, st.colour, st.dashAttr())
		d.marker(st, a.left+15, a.top-12, "")
		d.text(a.left+38, a.top-8, "start", "a", rep.Series[i].Label)
		rep.lossPanel(d, a, ylo, []int{i}, slices.Delete(slices.Clone(all), i, i+1))
		if col == 0 {
			d.vlabel(a, "P(loss)")
		}
		bottom = a.bottom
	}
	d.text((plotLeft+plotRight)/2, bottom+62, "middle", "a", title)
	return bottom + 10
}

// lossPanel draws P(loss) against the x axis in a: the series of
// show in their styles, those of grey as thin grey context lines. Cells
// with losses have a marker and a 95 % interval bar; loss-free cells sit
// on a separate 0 line with no interval drawn (lossChart states their
// bound). Curves join neighbouring cells on the same side of that break
// only, so that no segment suggests a P(loss) at timeouts that were not
// run. Markers of several series on one point are set side by side.
func (rep *Report) lossPanel(d *svgDoc, a area, ylo float64, show, grey []int) {
	nums := rep.Sweep.Axes[len(rep.Sweep.Axes)-1].Num
	xs := valueAxis(nums, a)
	ys := scale{lo: ylo, hi: 1, a: a.bottom - zeroGap, b: a.top, log: true}
	py := func(p float64) float64 {
		if p < ys.lo {
			return a.bottom
		}
		return ys.at(p)
	}
	for _, t := range decades(ys.lo, ys.hi) {
		d.hgrid(a, ys.at(t), probTick(t))
	}
	d.hgrid(a, a.bottom, "0")
	d.el(`<path d="M%.1f %.1fl6 -4m-6 8l6 -4" class="ax" fill="none"/>`, a.left-3, a.bottom-zeroGap/2+2)
	d.xticks(xs, nums, a, rep.xTickLabel)
	d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#b2182b" stroke-width="1.5" stroke-dasharray="6 4"/>`, a.left, py(rep.Target), a.right, py(rep.Target))
	d.text(a.right-4, py(rep.Target)-5, "end", "k", "target "+fmtProb(rep.Target))
	// lines returns a series' curve: polylines of the cells on either side
	// of the 0 line's break.
	lines := func(s *Series) [][]string {
		var out [][]string
		var line []string
		for j, c := range s.Cells {
			if j > 0 && (rep.Cells[c].LossRuns == 0) != (rep.Cells[s.Cells[j-1]].LossRuns == 0) {
				out, line = append(out, line), nil
			}
			line = append(line, pt(xs.at(rep.xNS(c)), py(rep.Cells[c].PLoss)))
		}
		return append(out, line)
	}
	for _, i := range grey {
		for _, l := range lines(&rep.Series[i]) {
			d.curve(l, style{colour: "#c8c8c8"}, 1.2)
		}
	}
	type key struct{ x, y float64 }
	at := map[key][]int{} // point -> series there, in series order (lookups only)
	pos := func(c int) key { return key{math.Round(xs.at(rep.xNS(c))), math.Round(py(rep.Cells[c].PLoss))} }
	for _, i := range show {
		for _, c := range rep.Series[i].Cells {
			at[pos(c)] = append(at[pos(c)], i)
		}
	}
	rows := 0
	for _, i := range show {
		s := &rep.Series[i]
		st := seriesStyle(i)
		d.el(`<g data-series="%d">`, i)
		for _, l := range lines(s) {
			d.curve(l, st, 2)
		}
		for _, c := range s.Cells {
			cell := &rep.Cells[c]
			group := at[pos(c)]
			step := min(dodge, 28/float64(max(len(group)-1, 1)))
			x := xs.at(rep.xNS(c)) + step*(float64(slices.Index(group, i))-float64(len(group)-1)/2)
			if cell.LossRuns > 0 {
				d.el(`<path d="M%.1f %.1fV%.1fM%.1f %.1fh6M%.1f %.1fh6" stroke="%s" stroke-width="1.2" fill="none" data-ci="%d"/>`,
					x, py(cell.Low), py(cell.High), x-3, py(cell.Low), x-3, py(cell.High), st.colour, c)
			}
			d.marker(st, x, py(cell.PLoss), fmt.Sprintf(`data-cell="%d"`, c))
		}
		if s.Rec.Found {
			x := xs.at(rep.xNS(s.Rec.Cell))
			d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" stroke-dasharray="3 3"/>`, x, a.top, x, a.bottom, st.colour)
			d.el(`<text x="%.1f" y="%.1f" class="k" style="fill:%s;font-weight:600">%s</text>`, x+4, a.top+13+14*float64(rows), st.colour, esc(rep.direction().sign+" "+s.Rec.Value))
			rows++
		}
		d.el(`</g>`)
	}
	d.frame(a)
}

// curve draws a polyline of two points or more in the style, width wide.
func (d *svgDoc) curve(points []string, st style, width float64) {
	if len(points) > 1 {
		d.el(`<polyline points="%s" fill="none" stroke="%s" stroke-width="%.1f" stroke-linejoin="round"%s/>`, strings.Join(points, " "), st.colour, width, st.dashAttr())
	}
}

// cdfChart draws, per series, the cumulative distribution of drain
// durations at the series' largest x value, and returns its bottom. Only
// recommended drain timeouts are marked on it: another x axis's values are
// not durations of the drain.
func (rep *Report) cdfChart(d *svgDoc, top float64) float64 {
	bottom := top + cdfHeight
	axis := rep.Sweep.Axes[len(rep.Sweep.Axes)-1]
	largest := axis.Values[len(axis.Values)-1]
	d.text(plotLeft, top-24, "start", "h", "Drain duration, Drain() to CLOSED, at "+axis.Name+" "+largest+": share of runs done by then")
	marks := rep.XName() == TimeoutAxis
	lo, hi := math.Inf(1), math.Inf(-1)
	durs := make([][]int64, len(rep.Series))
	for i, s := range rep.Series {
		last := s.Cells[len(s.Cells)-1]
		for _, ns := range rep.res.Cells[last].DrainNS {
			if ns >= 0 {
				durs[i] = append(durs[i], ns)
			}
		}
		slices.Sort(durs[i])
		if n := len(durs[i]); n > 0 {
			lo, hi = min(lo, float64(durs[i][0])), max(hi, float64(durs[i][n-1]))
		}
		if marks && s.Rec.Found {
			lo, hi = min(lo, rep.xNS(s.Rec.Cell)), max(hi, rep.xNS(s.Rec.Cell))
		}
	}
	if math.IsInf(lo, 0) {
		d.text((plotLeft+plotRight)/2, (top+bottom)/2, "middle", "a", "no drain reached CLOSED")
		return bottom
	}
	// Series with the same durations are drawn on top of each other: a
	// note under the chart names each group.
	var notes []string
	for i := range rep.Series {
		if len(durs[i]) == 0 || slices.ContainsFunc(durs[:i], func(o []int64) bool { return slices.Equal(o, durs[i]) }) {
			continue
		}
		group := []string{rep.Series[i].Label}
		for j := i + 1; j < len(durs); j++ {
			if slices.Equal(durs[j], durs[i]) {
				group = append(group, rep.Series[j].Label)
			}
		}
		if len(group) > 1 {
			notes = append(notes, wrap("same durations, one curve on top of the other: "+strings.Join(group, ", "), 110)...)
		}
	}
	a := area{plotLeft, plotRight, top, bottom}
	xs, xticks := durationAxis(lo, hi, a)
	ys := scale{lo: 0, hi: 1, a: bottom, b: top}
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		d.hgrid(a, ys.at(t), fmt.Sprintf("%.0f%%", 100*t))
	}
	d.xticks(xs, xticks, a, durationTick)
	for i, s := range rep.Series {
		st := seriesStyle(i)
		if marks && s.Rec.Found {
			x := xs.at(rep.xNS(s.Rec.Cell))
			d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" stroke-dasharray="3 3"/>`, x, top, x, bottom, st.colour)
		}
		if len(durs[i]) == 0 {
			continue
		}
		d.el(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s data-series="%d"/>`, strings.Join(cdfPoints(durs[i], xs, ys), " "), st.colour, st.dashAttr(), i)
	}
	d.frame(a)
	title := "drain duration, " + xs.name()
	if marks {
		title += " (dashed verticals: recommended timeouts)"
	}
	d.text((plotLeft+plotRight)/2, bottom+52, "middle", "a", title)
	d.vlabel(a, "runs done")
	for _, n := range notes {
		bottom += 16
		d.text(plotLeft, bottom+56, "start", "k", n)
	}
	return bottom
}

// wrap splits text at spaces into lines of at most width characters
// (longer words stay whole).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// cdfPoints samples the empirical CDF of sorted at 400 points across the
// x scale, as a step line.
func cdfPoints(sorted []int64, xs, ys scale) []string {
	const steps = 400
	var pts []string
	prev := 0.0
	for k := 0; k <= steps; k++ {
		x := xs.lo + (xs.hi-xs.lo)*float64(k)/steps
		n := sort.Search(len(sorted), func(i int) bool { return float64(sorted[i]) > x })
		f := float64(n) / float64(len(sorted))
		if k > 0 && f != prev {
			pts = append(pts, pt(xs.at(x), ys.at(prev)))
		}
		pts = append(pts, pt(xs.at(x), ys.at(f)))
		prev = f
	}
	return pts
}

// xScale returns an x scale over [lo, hi]: logarithmic when lo > 0 and
// hi/lo is 10 or more, so that both short and long values can be read,
// linear otherwise; a single value sits in the middle.
func xScale(lo, hi float64, a area) scale {
	s := scale{lo: lo, hi: hi, a: a.left + 8, b: a.right - 8, log: lo > 0 && hi/lo >= 10}
	if hi <= lo {
		s.lo, s.hi = lo/2, max(lo*1.5, 1)
	}
	return s
}

// valueAxis returns the x scale of the drain timeouts tried (increasing).
func valueAxis(nums []float64, a area) scale { return xScale(nums[0], nums[len(nums)-1], a) }

// durationAxis returns an x scale over [lo, hi] nanoseconds and its grid
// values: 1, 2 and 5 times each power of ten on a log scale, about eight
// round values on a linear one.
func durationAxis(lo, hi float64, a area) (scale, []float64) {
	s := xScale(lo, hi, a)
	var ticks []float64
	if s.log {
		for _, t := range decades(s.lo, s.hi) {
			for _, m := range []float64{1, 2, 5} {
				ticks = append(ticks, t*m)
			}
		}
	} else {
		ticks = linearTicks(s.lo, s.hi, 8)
	}
	ticks = slices.DeleteFunc(ticks, func(t float64) bool { return t < s.lo || t > s.hi })
	return s, ticks
}

// name says which scale it is, for the axis title.
func (s scale) name() string {
	if s.log {
		return "log scale"
	}
	return "linear scale"
}

// xticks draws a grid line and a label (label(v): a duration, a rate) at
// each of values (increasing). When neighbouring labels would overlap they
// are turned 45°; a label still closer than a line of text to the last one
// written is left out, its grid line kept.
func (d *svgDoc) xticks(xs scale, values []float64, a area, label func(float64) string) {
	top, bottom := a.top, a.bottom
	const charWidth, lineHeight = 6.6, 13.0
	turn := false
	for i := 1; i < len(values); i++ {
		gap := xs.at(values[i]) - xs.at(values[i-1])
		// Centred labels each take half their width on either side.
		width := charWidth * float64(utf8.RuneCountInString(label(values[i]))+utf8.RuneCountInString(label(values[i-1]))) / 2
		turn = turn || gap < width+6
	}
	last := math.Inf(-1)
	for _, v := range values {
		x := xs.at(v)
		d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="g"/>`, x, top, x, bottom)
		d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="ax"/>`, x, bottom, x, bottom+4)
		if x-last < lineHeight {
			continue
		}
		last = x
		if turn {
			d.el(`<text transform="translate(%.1f %.1f) rotate(-45)" text-anchor="end" class="k" data-tick="%s">%s</text>`, x+4, bottom+14, esc(label(v)), esc(label(v)))
			continue
		}
		d.el(`<text x="%.1f" y="%.1f" text-anchor="middle" class="k" data-tick="%s">%s</text>`, x, bottom+17, esc(label(v)), esc(label(v)))
	}
}

// scale maps a data interval [lo, hi] onto the pixel interval [a, b].
type scale struct {
	lo, hi, a, b float64
	log          bool
}

func (s scale) at(v float64) float64 {
	f := (v - s.lo) / (s.hi - s.lo)
	if s.log {
		f = math.Log(v/s.lo) / math.Log(s.hi/s.lo)
	}
	return s.a + f*(s.b-s.a)
}

// decades returns the powers of ten from lo's decade up to hi.
func decades(lo, hi float64) []float64 {
	var out []float64
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi*1.0000001; e++ {
		out = append(out, math.Pow(10, e))
	}
	return out
}

// linearTicks returns about n evenly spaced round values (1, 2 or 5 times
// a power of ten apart) that cover [lo, hi].
func linearTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{2, 5, 10} {
		if step >= raw {
			break
		}
		step = mag * m
	}
	// Ticks by index, not by adding step: near 2^63 ns an addition can be
	// lost to rounding, which looped forever (FuzzMerge). There are at most
	// n+2 of them.
	var out []float64
	first := math.Floor(lo / step)
	for i := 0.0; i <= float64(n)+2; i++ {
		v := (first + i) * step
		if v >= hi+step*0.999 {
			break
		}
		out = append(out, v)
	}
	return out
}

// durationTick labels a tick in nanoseconds as a duration: 250µs, 20ms, 1.5s.
func durationTick(ns float64) string {
	return time.Duration(math.Round(ns)).String()
}

// probTick labels a decade of the P(loss) axis: 1, 0.1, 0.01, 0.001, 10⁻⁴.
func probTick(p float64) string {
	e := int(math.Round(math.Log10(p)))
	if e >= -3 {
		return fmtProb(p)
	}
	sup := strings.NewReplacer("-", "⁻", "0", "⁰", "1", "¹", "2", "²", "3", "³", "4", "⁴", "5", "⁵", "6", "⁶", "7", "⁷", "8", "⁸", "9", "⁹")
	return "10" + sup.Replace(fmt.Sprint(e))
}

func pt(x, y float64) string { return fmt.Sprintf("%.1f,%.1f", x, y) }

func esc(s string) string { return html.EscapeString(s) }

// svgDoc accumulates the elements of an SVG document.
type svgDoc struct{ b strings.Builder }

func (d *svgDoc) el(format string, args ...any) {
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

func (d *svgDoc) text(x, y float64, anchor, class, s string) {
	d.el(`<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, esc(s))
}

// hgrid draws a horizontal grid line across a at y with its label left
// of it.
func (d *svgDoc) hgrid(a area, y float64, label string) {
	d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="g"/>`, a.left, y, a.right, y)
	d.text(a.left-8, y+4, "end", "k", label)
}

// frame draws the plot's left and bottom axes.
func (d *svgDoc) frame(a area) {
	d.el(`<path d="M%.1f %.1fV%.1fH%.1f" class="ax" fill="none"/>`, a.left, a.top, a.bottom, a.right)
}

// vlabel writes a rotated y-axis title left of a.
func (d *svgDoc) vlabel(a area, s string) {
	y := (a.top + a.bottom) / 2
	d.el(`<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle" class="a">%s</text>`, a.left-62, y, esc(s))
}
