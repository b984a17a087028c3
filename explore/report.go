package explore

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/drainsim/drainsim/model"
)

// Report is the summary of a complete sweep: statistics per cell and a
// recommendation per series.
type Report struct {
	Sweep  Header
	Target float64
	Cells  []CellStats
	// Series groups the cells that share every axis value but the x
	// axis's (the drain timeout unless the sweep's x names another), by
	// increasing x: one curve of the chart each.
	Series []Series
	// Partial is set when the runs were interrupted (Results.Partial):
	// every cell holds the first Partial.Seeds of Partial.Of seeds.
	Partial *Partial
	res     *Results
}

// CellStats are the statistics of one cell's runs.
type CellStats struct {
	// Values are the cell's axis value labels, in Sweep.Axes order.
	Values []string
	// Runs is the number of runs; LossRuns of them lost messages to the
	// drain (see CellRuns.Lost).
	Runs, LossRuns int
	// PLoss is LossRuns/Runs, Low and High its 95 % Wilson interval.
	PLoss, Low, High float64
	// LostMean and LostP99 are the mean and 99th percentile (nearest
	// rank) of the number of messages lost per run, over all runs.
	LostMean float64
	LostP99  int
	// Timeouts is the number of runs whose drain reported ErrDrainTimeout.
	Timeouts int
	// Silent is the number of runs that lost messages without a timeout
	// report; Budget the number stopped by a run budget.
	Silent, Budget int
	// Cut is the number of runs in which a drained connection closed while
	// one of its callbacks was running (its work after that failed).
	Cut int
	// Closed is the number of runs whose drains all reached CLOSED, over
	// which the drain-duration percentiles (nanoseconds from Drain() to
	// CLOSED, nearest rank) are taken; they are -1 when Closed is 0.
	Closed                       int
	DrainP50, DrainP99, DrainMax int64
}

// TimeoutShare is the share of runs that reported ErrDrainTimeout.
func (c *CellStats) TimeoutShare() float64 { return float64(c.Timeouts) / float64(c.Runs) }

// CutShare is the share of runs that closed under a running callback.
func (c *CellStats) CutShare() float64 { return float64(c.Cut) / float64(c.Runs) }

// Series is the cells that differ only by the x axis's value.
type Series struct {
	// Label names the other axes' values, e.g. "handler=exp(100µs)"; it
	// is "" when the drain timeout is the only axis.
	Label string
	// Cells are indices into Report.Cells, by increasing x.
	Cells []int
	Rec   Recommendation
}

// Recommendation is the smallest value of a series' x axis (the drain
// timeout, or the wait or time of an action) whose 95 % upper bound on
// P(loss) is at or below the target, or, when there is none, what the
// series shows instead.
type Recommendation struct {
	// Found is true when an x value of the series meets the target; Cell
	// is then the smallest such value's cell (the largest, for a publish
	// rate, whose remedy is a lower value). When none does, Cell is the
	// cell the text reports on: the first loss-free one, going the same
	// way, when some cell lost nothing (from it on, more seeds may show
	// the target), else the safest value tried, the largest (the smallest
	// rate): the loss there is the least the axis showed to persist; a tie
	// between losing cells never names a less safe one.
	Found bool
	Cell  int
	// Value is the recommended (or reported) cell's x value, e.g. "2ms".
	Value string
	// NoTimeout is set when the series' profile has no drain timeout
	// (model.NoTimeout: the JavaScript clients), so the drain_timeout axis
	// changes nothing for it and nothing is recommended; Profile names it.
	NoTimeout bool
	Profile   string
	// SameFrom is the first cell of the series from which every larger
	// x value had the same runs, seed by seed, as the largest: the series'
	// first cell when the timeout changed nothing at all over the values
	// tried, its last when the last two differ.
	SameFrom int
	// RunsNeeded is the number of loss-free runs per cell that a claim of
	// P(loss) <= target needs; Tighter is target/10 and TighterRuns the
	// loss-free runs per cell that claim would need.
	RunsNeeded  int
	Tighter     float64
	TighterRuns int
}

// Summarize computes the statistics and recommendations of complete
// Results (merge shards first) for the given target P(loss); a target of 0
// means the one the sweep was run with.
func Summarize(r *Results, target float64) (*Report, error) {
	if r.Shard.orWhole() != (Shard{K: 1, N: 1}) {
		return nil, fmt.Errorf("results of shard %d/%d hold part of the runs: merge every shard first", r.Shard.K, r.Shard.N)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	if target == 0 {
		target = r.Sweep.Target
	}
	if err := CheckTarget(target); err != nil {
		return nil, err
	}
	rep := &Report{Sweep: r.Sweep, Target: target, res: r, Cells: make([]CellStats, len(r.Cells)), Partial: r.Partial}
	sizes := make([]int, len(r.Sweep.Axes))
	for i, a := range r.Sweep.Axes {
		sizes[i] = len(a.Values)
	}
	for c := range r.Cells {
		rep.Cells[c] = cellStats(&r.Cells[c])
		for a, v := range cellIndex(sizes, c) {
			rep.Cells[c].Values = append(rep.Cells[c].Values, r.Sweep.Axes[a].Values[v])
		}
	}
	nt := sizes[len(sizes)-1]
	for start := 0; start < len(r.Cells); start += nt {
		s := Series{}
		var parts []string
		for a, v := range rep.Cells[start].Values[:len(sizes)-1] {
			parts = append(parts, r.Sweep.Axes[a].Name+"="+v)
		}
		s.Label = strings.Join(parts, " ")
		for c := start; c < start+nt; c++ {
			s.Cells = append(s.Cells, c)
		}
		s.Rec = rep.recommend(s.Cells, rep.seriesProfile(rep.Cells[start].Values))
		rep.Series = append(rep.Series, s)
	}
	return rep, nil
}

// PartialText says, for interrupted runs, how many of them are reported,
// e.g. "partial: 1200 of 5000 runs (interrupted: the first 24 of 100
// seeds of every cell)"; it is "" for complete runs.
func (rep *Report) PartialText() string {
	p := rep.Partial
	if p == nil {
		return ""
	}
	cells := len(rep.Cells)
	return fmt.Sprintf("partial: %d of %d runs (interrupted: the first %d of %d seeds of every cell)", p.Seeds*cells, p.Of*cells, p.Seeds, p.Of)
}

func cellStats(cr *CellRuns) CellStats {
	s := CellStats{Runs: len(cr.Lost), Timeouts: cr.Timeouts, Silent: cr.Silent, Budget: cr.Budget, Cut: cr.Cut,
		DrainP50: -1, DrainP99: -1, DrainMax: -1}
	total := 0
	for _, l := range cr.Lost {
		total += l
		if l > 0 {
			s.LossRuns++
		}
	}
	s.PLoss = float64(s.LossRuns) / float64(s.Runs)
	s.Low, s.High = Wilson(s.LossRuns, s.Runs)
	s.LostMean = float64(total) / float64(s.Runs)
	s.LostP99 = quantile(sortedCopy(cr.Lost), 0.99)
	var closed []int64
	for _, d := range cr.DrainNS {
		if d >= 0 {
			closed = append(closed, d)
		}
	}
	if s.Closed = len(closed); s.Closed > 0 {
		closed = sortedCopy(closed)
		s.DrainP50, s.DrainP99, s.DrainMax = quantile(closed, 0.5), quantile(closed, 0.99), closed[len(closed)-1]
	}
	return s
}

// recommend picks the first cell (by increasing x, or decreasing for a
// publish rate) whose upper bound meets the target; see Recommendation for what it reports when none does. prof
// is the series' profile, nil when the results do not name it; a profile
// without a drain timeout matters only when the x axis is drain_timeout.
func (rep *Report) recommend(cells []int, prof *model.Profile) Recommendation {
	rec := Recommendation{Cell: cells[len(cells)-1], RunsNeeded: RunsNeeded(rep.Target), Tighter: rep.Target / 10}
	rec.TighterRuns = RunsNeeded(rec.Tighter)
	rec.SameFrom = rec.Cell
	for i := len(cells) - 2; i >= 0 && rep.res.Cells[cells[i]].equal(&rep.res.Cells[rec.Cell]); i-- {
		rec.SameFrom = cells[i]
	}
	// Along a publish rate the remedy is a smaller value: the same search
	// runs from the largest down, and reports the smallest when it fails.
	safer := cells
	if lowerIsSafer(rep.XName()) {
		safer = slices.Clone(cells)
		slices.Reverse(safer)
		rec.Cell = cells[0]
	}
	if prof != nil && prof.TimeoutStart == model.NoTimeout && rep.XName() == TimeoutAxis {
		rec.NoTimeout, rec.Profile = true, prof.Name
	} else if c := slices.IndexFunc(safer, func(c int) bool { return rep.Cells[c].High <= rep.Target }); c >= 0 {
		rec.Found, rec.Cell = true, safer[c]
	} else if c := slices.IndexFunc(safer, func(c int) bool { return rep.Cells[c].LossRuns == 0 }); c >= 0 {
		rec.Cell = safer[c]
	}
	rec.Value = rep.xLabel(rec.Cell)
	return rec
}

// seriesProfile returns the profile of the series whose cell has the
// given axis values: the profile axis's value, else the base scenario's;
// nil when neither names a known profile (raw files that predate
// Header.Profile).
func (rep *Report) seriesProfile(values []string) *model.Profile {
	name := rep.Sweep.Profile
	if a := slices.IndexFunc(rep.Sweep.Axes, func(a AxisInfo) bool { return a.Name == "profile" }); a >= 0 {
		name = values[a]
	}
	p, err := model.LookupProfile(name)
	if err != nil {
		return nil
	}
	return p
}

// XName returns the name of the x axis: the last axis, drain_timeout
// unless the sweep's x named another.
func (rep *Report) XName() string { return rep.Sweep.Axes[len(rep.Sweep.Axes)-1].Name }

// xLabel returns the x value of cell c, as written.
func (rep *Report) xLabel(c int) string {
	v := rep.Cells[c].Values
	return v[len(v)-1]
}

// xNS returns the x value of cell c in nanoseconds.
func (rep *Report) xNS(c int) float64 {
	nums := rep.Sweep.Axes[len(rep.Sweep.Axes)-1].Num
	return nums[c%len(nums)]
}

// RecommendationText renders a series' recommendation as one sentence,
// naming the x axis ("drain_timeout 2s or more", "wait 2ms or more",
// "publish_rate 500 or less").
func (rep *Report) RecommendationText(s *Series) string {
	r, c, x, dir := &s.Rec, &rep.Cells[s.Rec.Cell], rep.XName(), rep.direction()
	lost := fmt.Sprintf("%s of %s runs lost messages", groupDigits(c.LossRuns), groupDigits(c.Runs))
	first, last, same := rep.xLabel(s.Cells[0]), rep.xLabel(s.Cells[len(s.Cells)-1]), rep.xLabel(r.SameFrom)
	switch {
	case r.NoTimeout:
		seen := "every value from " + first + " to " + last + " gave the same runs"
		if r.SameFrom != s.Cells[0] {
			seen = "at " + last + ", the largest value tried"
		}
		return fmt.Sprintf("no drain_timeout to recommend: profile %s has no drain timeout, so the drain_timeout axis has no effect on it; %s: %s (P(loss) %s, 95%% CI [%s, %s])",
			r.Profile, seen, lost, fmtProb(c.PLoss), fmtProb(c.Low), fmtProb(c.High))
	case r.Found:
		return fmt.Sprintf("%s %s or %s: at %s, %s, so P(loss) <= %s (95%% upper bound) <= target %s; a claim of P(loss) <= %s would need %s loss-free runs per cell",
			x, r.Value, dir.more, r.Value, lost, fmtProb(c.High), fmtProb(rep.Target), fmtProb(r.Tighter), groupDigits(r.TighterRuns))
	case c.LossRuns == 0:
		return fmt.Sprintf("no %s shows the target with %s runs per cell: at %s none of them lost messages, but the 95%% upper bound is %s > target %s; showing P(loss) <= %s needs %s loss-free runs per cell (raise seeds)",
			x, groupDigits(c.Runs), r.Value, fmtProb(c.High), fmtProb(rep.Target), fmtProb(rep.Target), groupDigits(r.RunsNeeded))
	case r.SameFrom != r.Cell && x == TimeoutAxis && c.Timeouts == 0:
		return fmt.Sprintf("no drain_timeout meets the target, and from %s to %s, the largest value tried, the drain timeout changed nothing: every value gave the same runs, in which %s without the drain timing out, so a longer drain_timeout is unlikely to help: the loss has another cause",
			same, last, lost)
	case r.SameFrom != r.Cell && x != TimeoutAxis && !lowerIsSafer(x):
		noun, later := "wait", "longer"
		if x == "at" {
			noun, later = "action time", "later"
		}
		return fmt.Sprintf("no %s meets the target, and from %s to %s, the largest value tried, the %s changed nothing: every value gave the same runs, in which %s (P(loss) %s, 95%% CI [%s, %s]), so a %s %s is unlikely to help: the loss has another cause",
			x, same, last, noun, lost, fmtProb(c.PLoss), fmtProb(c.Low), fmtProb(c.High), later, noun)
	}
	return fmt.Sprintf("no %s %s %s, the %s value tried, meets the target: at %s, %s (P(loss) %s, 95%% CI [%s, %s]); extend the %s axis %s %s",
		x, dir.upTo, r.Value, dir.extreme, r.Value, lost, fmtProb(c.PLoss), fmtProb(c.Low), fmtProb(c.High), x, dir.beyond, r.Value)
}

// direction is the words of a recommendation along an x axis whose remedy
// is a larger value ("2ms or more", "up to 5ms, the largest value tried",
// "above", the chart's "≥") or a smaller one (a publish rate: "or less",
// "down to", "below", "≤").
// pick is the value the advice names: "smallest" or "largest".
type direction struct{ pick, more, upTo, extreme, beyond, sign string }

func (rep *Report) direction() direction {
	if lowerIsSafer(rep.XName()) {
		return direction{"largest", "less", "down to", "smallest", "below", "≤"}
	}
	return direction{"smallest", "more", "up to", "largest", "above", "≥"}
}

// fmtProb renders a probability with three significant digits and no
// exponent: 0, 1, 0.5, 0.00192.
func fmtProb(p float64) string {
	if p <= 0 || p >= 1 {
		return fmt.Sprint(math.Round(p))
	}
	digits := max(0, 2-int(math.Floor(math.Log10(p))))
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.*f", digits, p), "0"), ".")
}

// fmtNS renders a drain duration for tables: to 1 µs below 1 ms, to
// 0.1 ms below 1 s, to 1 ms above; "-" for none.
func fmtNS(ns int64) string {
	if ns < 0 {
		return "-"
	}
	d := time.Duration(ns)
	switch {
	case d < time.Millisecond:
		d = d.Round(time.Microsecond)
	case d < time.Second:
		d = d.Round(100 * time.Microsecond)
	default:
		d = d.Round(time.Millisecond)
	}
	return d.String()
}

// groupDigits renders n with thousands separators: 38,413.
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
