package explore

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the cells as an aligned table, one row per cell with
// the x axis (the drain timeout by default) varying fastest, then the recommendation of each series
// and notes on silent loss and budget stops.
func (rep *Report) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "sweep %s: scenario %s, %s cells × %s seeds (from %d)\n\n", rep.Sweep.Name, rep.Sweep.Scenario,
		groupDigits(len(rep.Cells)), groupDigits(rep.Sweep.Seeds), rep.Sweep.FirstSeed)
	if p := rep.PartialText(); p != "" {
		fmt.Fprintln(bw, p)
	}
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', tabwriter.AlignRight)
	var head []string
	for _, a := range rep.Sweep.Axes {
		head = append(head, a.Name)
	}
	head = append(head, "runs", "loss", "P(loss)", "95% CI", "lost/run", "lost p99", "timeout", "cut", "drain p50", "drain p99", "drain max")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	silent, budget := 0, 0
	for i := range rep.Cells {
		c := &rep.Cells[i]
		silent += c.Silent
		budget += c.Budget
		row := append([]string(nil), c.Values...)
		row = append(row, groupDigits(c.Runs), groupDigits(c.LossRuns), fmtProb(c.PLoss),
			"["+fmtProb(c.Low)+", "+fmtProb(c.High)+"]", strconv.FormatFloat(c.LostMean, 'f', 1, 64),
			strconv.Itoa(c.LostP99), percent(c.TimeoutShare()), percent(c.CutShare()),
			fmtNS(c.DrainP50), fmtNS(c.DrainP99), fmtNS(c.DrainMax))
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(bw, "\nrecommendation (%s %s whose 95%% upper bound on P(loss) is at most %s):\n", rep.direction().pick, rep.XName(), fmtProb(rep.Target))
	if rep.Sweep.Wait != "" {
		fmt.Fprintf(bw, "  (the wait is %s)\n", rep.Sweep.Wait)
	}
	for i := range rep.Series {
		s := &rep.Series[i]
		if s.Label != "" {
			fmt.Fprintf(bw, "  %s:\n    %s\n", s.Label, rep.RecommendationText(s))
		} else {
			fmt.Fprintf(bw, "  %s\n", rep.RecommendationText(s))
		}
	}
	if silent > 0 {
		fmt.Fprintf(bw, "note: %s runs lost messages without reporting ErrDrainTimeout (silent loss; see the silent_runs column of --csv)\n", groupDigits(silent))
	}
	if budget > 0 {
		fmt.Fprintf(bw, "warning: %s runs stopped on a budget (the scenario's limits): what was still pending counts as lost\n", groupDigits(budget))
	}
	return bw.Flush()
}

// csvHeader lists the CSV columns after the axes, in order.
var csvHeader = []string{"runs", "loss_runs", "p_loss", "ci_low", "ci_high", "lost_mean", "lost_p99",
	"timeout_runs", "timeout_share", "cut_runs", "silent_runs", "budget_runs", "closed_runs",
	"drain_p50_ns", "drain_p99_ns", "drain_max_ns", "recommended"}

// WriteCSV writes one row per cell: the axis values, then csvHeader's
// columns at full precision. recommended is 1 on each series' recommended
// cell. When the runs were interrupted a last column, partial, says so on
// every row (Report.PartialText).
func (rep *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	var head []string
	for _, a := range rep.Sweep.Axes {
		head = append(head, a.Name)
	}
	head = append(head, csvHeader...)
	partial := rep.PartialText()
	if partial != "" {
		head = append(head, "partial")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	recommended := rep.recommendedCells()
	for i := range rep.Cells {
		c := &rep.Cells[i]
		f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
		d := func(x int64) string { return strconv.FormatInt(x, 10) }
		row := append(append([]string(nil), c.Values...),
			strconv.Itoa(c.Runs), strconv.Itoa(c.LossRuns), f(c.PLoss), f(c.Low), f(c.High), f(c.LostMean),
			strconv.Itoa(c.LostP99), strconv.Itoa(c.Timeouts), f(c.TimeoutShare()), strconv.Itoa(c.Cut), strconv.Itoa(c.Silent),
			strconv.Itoa(c.Budget), strconv.Itoa(c.Closed), d(c.DrainP50), d(c.DrainP99), d(c.DrainMax),
			strconv.Itoa(recommended[i]))
		if partial != "" {
			row = append(row, partial)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// recommendedCells returns 1 for each series' recommended cell, else 0.
func (rep *Report) recommendedCells() []int {
	out := make([]int, len(rep.Cells))
	for _, s := range rep.Series {
		if s.Rec.Found {
			out[s.Rec.Cell] = 1
		}
	}
	return out
}

// The JSON of a Report (drainsim explore --json). Field names are stable:
// fields may be added, never renamed or removed.
type (
	jsonReport struct {
		Sweep     string     `json:"sweep"`
		Scenario  string     `json:"scenario"`
		Seeds     int        `json:"seeds"`
		FirstSeed uint64     `json:"first_seed"`
		Target    float64    `json:"target"`
		Axes      []AxisInfo `json:"axes"`
		// Wait says what a wait axis measures (Header.Wait).
		Wait            string     `json:"wait,omitempty"`
		Cells           []jsonCell `json:"cells"`
		Recommendations []jsonRec  `json:"recommendations"`
		// Partial is present only when the runs were interrupted.
		Partial *jsonPartial `json:"partial,omitempty"`
	}
	jsonPartial struct {
		Runs  int    `json:"runs"`
		Of    int    `json:"of"`
		Seeds int    `json:"seeds"`
		Text  string `json:"text"`
	}
	jsonAxisValue struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	jsonCell struct {
		Axes         []jsonAxisValue `json:"axes"`
		Runs         int             `json:"runs"`
		LossRuns     int             `json:"loss_runs"`
		PLoss        float64         `json:"p_loss"`
		CILow        float64         `json:"ci_low"`
		CIHigh       float64         `json:"ci_high"`
		LostMean     float64         `json:"lost_mean"`
		LostP99      int             `json:"lost_p99"`
		TimeoutRuns  int             `json:"timeout_runs"`
		TimeoutShare float64         `json:"timeout_share"`
		CutRuns      int             `json:"cut_runs"`
		SilentRuns   int             `json:"silent_runs"`
		BudgetRuns   int             `json:"budget_runs"`
		ClosedRuns   int             `json:"closed_runs"`
		DrainP50NS   int64           `json:"drain_p50_ns"`
		DrainP99NS   int64           `json:"drain_p99_ns"`
		DrainMaxNS   int64           `json:"drain_max_ns"`
	}
	jsonRec struct {
		Series []jsonAxisValue `json:"series"`
		Found  bool            `json:"found"`
		// NoDrainTimeout: the series' profile has no drain timeout, so
		// the axis has no effect on it and nothing is recommended.
		NoDrainTimeout bool `json:"no_drain_timeout"`
		// SameRunsFrom is the drain timeout from which every larger value
		// had the same runs as the largest (the largest itself when the
		// last two differ).
		SameRunsFrom   string `json:"same_runs_from"`
		DrainTimeout   string `json:"drain_timeout"`
		DrainTimeoutNS int64  `json:"drain_timeout_ns"`
		// X, Value and ValueNS name the x axis and the recommended (or
		// reported) value when the x axis is not drain_timeout; the two
		// drain_timeout fields are then empty.
		X             string  `json:"x,omitempty"`
		Value         string  `json:"value,omitempty"`
		ValueNS       int64   `json:"value_ns,omitempty"`
		Cell          int     `json:"cell"`
		Upper         float64 `json:"upper"`
		RunsNeeded    int     `json:"runs_needed"`
		TighterTarget float64 `json:"tighter_target"`
		TighterRuns   int     `json:"tighter_runs"`
		Text          string  `json:"text"`
	}
)

// WriteJSON writes the report as one indented JSON object: the sweep, the
// statistics of every cell and the recommendation of every series.
func (rep *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{Sweep: rep.Sweep.Name, Scenario: rep.Sweep.Scenario, Seeds: rep.Sweep.Seeds,
		FirstSeed: rep.Sweep.FirstSeed, Target: rep.Target, Axes: rep.Sweep.Axes, Wait: rep.Sweep.Wait,
		Cells: make([]jsonCell, 0, len(rep.Cells)), Recommendations: make([]jsonRec, 0, len(rep.Series))}
	for i := range rep.Cells {
		c := &rep.Cells[i]
		out.Cells = append(out.Cells, jsonCell{Axes: rep.axisValues(c.Values), Runs: c.Runs, LossRuns: c.LossRuns,
			PLoss: c.PLoss, CILow: c.Low, CIHigh: c.High, LostMean: c.LostMean, LostP99: c.LostP99,
			TimeoutRuns: c.Timeouts, TimeoutShare: c.TimeoutShare(), CutRuns: c.Cut, SilentRuns: c.Silent, BudgetRuns: c.Budget,
			ClosedRuns: c.Closed, DrainP50NS: c.DrainP50, DrainP99NS: c.DrainP99, DrainMaxNS: c.DrainMax})
	}
	if p := rep.Partial; p != nil {
		out.Partial = &jsonPartial{Runs: p.Seeds * len(rep.Cells), Of: p.Of * len(rep.Cells), Seeds: p.Seeds, Text: rep.PartialText()}
	}
	for i := range rep.Series {
		s := &rep.Series[i]
		c := &rep.Cells[s.Rec.Cell]
		rec := jsonRec{Series: rep.axisValues(c.Values[:len(c.Values)-1]),
			Found: s.Rec.Found, NoDrainTimeout: s.Rec.NoTimeout, SameRunsFrom: rep.xLabel(s.Rec.SameFrom),
			Cell: s.Rec.Cell, Upper: c.High, RunsNeeded: s.Rec.RunsNeeded, TighterTarget: s.Rec.Tighter,
			TighterRuns: s.Rec.TighterRuns, Text: rep.RecommendationText(s)}
		if x := rep.XName(); x == TimeoutAxis {
			rec.DrainTimeout, rec.DrainTimeoutNS = s.Rec.Value, int64(rep.xNS(s.Rec.Cell))
		} else {
			rec.X, rec.Value, rec.ValueNS = x, s.Rec.Value, int64(rep.xNS(s.Rec.Cell))
		}
		out.Recommendations = append(out.Recommendations, rec)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// percent renders a share as a percentage with one decimal: 12.5%.
func percent(share float64) string { return strconv.FormatFloat(100*share, 'f', 1, 64) + "%" }

func (rep *Report) axisValues(values []string) []jsonAxisValue {
	out := make([]jsonAxisValue, len(values))
	for i, v := range values {
		out[i] = jsonAxisValue{Name: rep.Sweep.Axes[i].Name, Value: v}
	}
	return out
}
