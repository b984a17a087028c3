package explore

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// palette is the Okabe-Ito colour-blind-safe palette without its yellow.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}

// Chart geometry, in SVG user units (pixels at 100 %).
const (
	svgWidth   = 820.0
	plotLeft   = 82.0
	plotRight  = svgWidth - 28
	lossHeight = 300.0
	cdfHeight  = 220.0
	zeroGap    = 18.0 // between the lowest decade of the P(loss) axis and its 0 line
)

// WriteSVG writes the report's two charts as one self-contained SVG: P(loss)
// with its 95 % band against the drain timeout, one curve per series, with
// the target and the recommended timeouts; and the cumulative distribution
// of drain durations at the largest timeout of each series.
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
		for i, s := range rep.Series {
			y += 18
			col := palette[i%len(palette)]
			d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`, plotLeft-60, y-4, plotLeft-40, y-4, col)
			d.text(plotLeft-34, y, "start", "a", s.Label)
		}
	}
	y += 56
	y = rep.lossChart(d, y) + 90
	y = rep.cdfChart(d, y) + 46
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

// lossChart draws P(loss) against the drain timeout with its top at top and
// returns the y of its x axis.
func (rep *Report) lossChart(d *svgDoc, top float64) float64 {
	bottom := top + lossHeight
	d.text(plotLeft, top-22, "start", "h", "P(loss): share of runs that lost messages to the drain, with 95 % Wilson interval")
	nums := rep.Sweep.Axes[len(rep.Sweep.Axes)-1].Num
	xs, xticks := durationAxis(nums[0], nums[len(nums)-1])
	// The y axis is logarithmic down to the power of ten below everything
	// worth showing (with some room); zeros are drawn on a separate 0 line
	// under it.
	lowest := rep.Target
	for _, c := range rep.Cells {
		for _, p := range []float64{c.PLoss, c.Low, c.High} {
			if p > 0 {
				lowest = min(lowest, p)
			}
		}
	}
	ys := scale{lo: math.Pow(10, math.Floor(math.Log10(lowest/1.5))), hi: 1, a: bottom - zeroGap, b: top, log: true}
	py := func(p float64) float64 {
		if p < ys.lo {
			return bottom
		}
		return ys.at(p)
	}
	for _, t := range decades(ys.lo, ys.hi) {
		d.hgrid(ys.at(t), probTick(t))
	}
	d.hgrid(bottom, "0")
	d.el(`<path d="M%.1f %.1fl6 -4m-6 8l6 -4" class="ax" fill="none"/>`, plotLeft-3, bottom-zeroGap/2+2)
	for _, t := range xticks {
		d.vgrid(xs.at(t), top, bottom, durationTick(t))
	}
	d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#b2182b" stroke-width="1.5" stroke-dasharray="6 4"/>`, plotLeft, py(rep.Target), plotRight, py(rep.Target))
	d.text(plotRight-4, py(rep.Target)-5, "end", "k", "target "+fmtProb(rep.Target))
	for i, s := range rep.Series {
		col := palette[i%len(palette)]
		var band, line []string
		for _, c := range s.Cells {
			x := xs.at(rep.timeoutNS(c))
			band = append(band, pt(x, py(rep.Cells[c].High)))
			line = append(line, pt(x, py(rep.Cells[c].PLoss)))
		}
		for _, c := range slices.Backward(s.Cells) {
			band = append(band, pt(xs.at(rep.timeoutNS(c)), py(rep.Cells[c].Low)))
		}
		d.el(`<polygon points="%s" fill="%s" fill-opacity="0.13"/>`, strings.Join(band, " "), col)
		d.el(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"/>`, strings.Join(line, " "), col)
		for _, c := range s.Cells {
			d.el(`<circle cx="%.1f" cy="%.1f" r="2.3" fill="%s"/>`, xs.at(rep.timeoutNS(c)), py(rep.Cells[c].PLoss), col)
		}
		if s.Rec.Found {
			x := xs.at(rep.timeoutNS(s.Rec.Cell))
			d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" stroke-dasharray="3 3"/>`, x, top, x, bottom, col)
			d.el(`<text x="%.1f" y="%.1f" class="k" style="fill:%s;font-weight:600">%s</text>`, x+4, top+13+14*float64(i), col, esc("≥ "+s.Rec.Timeout))
		}
	}
	d.frame(top, bottom)
	d.text((plotLeft+plotRight)/2, bottom+38, "middle", "a", "drain timeout (DrainTimeout)")
	d.vlabel(top, bottom, "P(loss)")
	return bottom
}

// cdfChart draws, per series, the cumulative distribution of drain
// durations at the series' largest timeout, and returns its bottom.
func (rep *Report) cdfChart(d *svgDoc, top float64) float64 {
	bottom := top + cdfHeight
	axis := rep.Sweep.Axes[len(rep.Sweep.Axes)-1]
	largest := axis.Values[len(axis.Values)-1]
	d.text(plotLeft, top-22, "start", "h", "Drain duration, Drain() to CLOSED, at drain_timeout "+largest+": share of runs done by then")
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
		if s.Rec.Found {
			lo, hi = min(lo, rep.timeoutNS(s.Rec.Cell)), max(hi, rep.timeoutNS(s.Rec.Cell))
		}
	}
	if math.IsInf(lo, 0) {
		d.text((plotLeft+plotRight)/2, (top+bottom)/2, "middle", "a", "no drain reached CLOSED")
		return bottom
	}
	xs, xticks := durationAxis(lo, hi)
	ys := scale{lo: 0, hi: 1, a: bottom, b: top}
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		d.hgrid(ys.at(t), fmt.Sprintf("%.0f%%", 100*t))
	}
	for _, t := range xticks {
		d.vgrid(xs.at(t), top, bottom, durationTick(t))
	}
	for i, s := range rep.Series {
		col := palette[i%len(palette)]
		if s.Rec.Found {
			x := xs.at(rep.timeoutNS(s.Rec.Cell))
			d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" stroke-dasharray="3 3"/>`, x, top, x, bottom, col)
		}
		if len(durs[i]) == 0 {
			continue
		}
		d.el(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(cdfPoints(durs[i], xs, ys), " "), col)
	}
	d.frame(top, bottom)
	d.text((plotLeft+plotRight)/2, bottom+38, "middle", "a", "drain duration (dashed: recommended timeout)")
	d.vlabel(top, bottom, "runs done")
	return bottom
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

// durationAxis returns an x scale over [lo, hi] nanoseconds and its grid
// values: logarithmic when hi/lo is 20 or more, so that both short and long
// durations can be read.
func durationAxis(lo, hi float64) (scale, []float64) {
	s := scale{lo: lo, hi: hi, a: plotLeft + 8, b: plotRight - 8, log: lo > 0 && hi/lo >= 20}
	if hi <= lo { // a single value
		s.lo, s.hi = lo/2, max(lo*1.5, 1)
	}
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

// hgrid draws a horizontal grid line at y with its label left of the plot.
func (d *svgDoc) hgrid(y float64, label string) {
	d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="g"/>`, plotLeft, y, plotRight, y)
	d.text(plotLeft-8, y+4, "end", "k", label)
}

// vgrid draws a vertical grid line at x with its label under the plot.
func (d *svgDoc) vgrid(x, top, bottom float64, label string) {
	d.el(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="g"/>`, x, top, x, bottom)
	d.text(x, bottom+17, "middle", "k", label)
}

// frame draws the plot's left and bottom axes.
func (d *svgDoc) frame(top, bottom float64) {
	d.el(`<path d="M%.1f %.1fV%.1fH%.1f" class="ax" fill="none"/>`, plotLeft, top, bottom, plotRight)
}

// vlabel writes a rotated y-axis title.
func (d *svgDoc) vlabel(top, bottom float64, s string) {
	y := (top + bottom) / 2
	d.el(`<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle" class="a">%s</text>`, plotLeft-62, y, esc(s))
}
