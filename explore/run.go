package explore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// Shard selects part of a sweep's runs: shard K of N (1 <= K <= N) runs,
// in every cell, the seeds whose 0-based index i has i mod N = K-1. The
// zero Shard means the whole sweep.
type Shard struct {
	K int `json:"k"`
	N int `json:"n"`
}

// ParseShard parses "k/n", e.g. "2/8".
func ParseShard(s string) (Shard, error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, kerr := strconv.Atoi(ks)
	n, nerr := strconv.Atoi(ns)
	if !ok || kerr != nil || nerr != nil || n < 1 || k < 1 || k > n {
		return Shard{}, fmt.Errorf("bad shard %q: want k/n with 1 <= k <= n, e.g. 1/4", s)
	}
	return Shard{K: k, N: n}, nil
}

func (s Shard) orWhole() Shard {
	if s.N == 0 {
		return Shard{K: 1, N: 1}
	}
	return s
}

// size returns how many of seeds seed indices the shard holds.
func (s Shard) size(seeds int) int { return (seeds - s.K + s.N) / s.N }

// seedIndex returns the index of the shard's j-th seed.
func (s Shard) seedIndex(j int) int { return s.K - 1 + j*s.N }

// NumRuns returns the number of runs of the sweep's shard.
func (sw *Sweep) NumRuns(s Shard) int { return sw.NumCells() * s.orWhole().size(sw.EffectiveSeeds()) }

// Results are the outcomes of every run of a sweep, or of one shard of it:
// what `drainsim explore --raw` writes and `drainsim merge` reads. The
// per-run values are in seed order; the counts are sums, so shards merge
// exactly.
type Results struct {
	Format string     `json:"format"`
	Sweep  Header     `json:"sweep"`
	Shard  Shard      `json:"shard"`
	Cells  []CellRuns `json:"cells"`
	// Checksum is the SHA-256 of the data above, set by WriteRaw and
	// checked by ReadRaw; Run leaves it empty.
	Checksum string `json:"checksum"`
	// Partial is set when Options.Stop interrupted Run: every cell then
	// holds the runs of the shard's first Partial.Seeds seeds only. Such
	// results can be summarised but not written as a raw file or merged.
	Partial *Partial `json:"-"`
	// file names the raw file the results were read from, for messages.
	file string
}

// Partial says how much of an interrupted Run is complete.
type Partial struct {
	// Seeds is the number of the shard's seeds (the first ones) that ran
	// in every cell, out of Of.
	Seeds, Of int
}

// Header describes the sweep that produced Results: enough to summarise
// them without the sweep file, and a fingerprint that only shards of the
// same sweep share.
type Header struct {
	// Name is the sweep's name and Scenario its base scenario's (the name
	// fields of the files, so that the output does not depend on paths).
	Name     string `json:"name"`
	Scenario string `json:"scenario"`
	// Profile is the base scenario's profile, which a profile axis
	// overrides per cell: the report needs it to tell a profile without a
	// drain timeout. Raw files written before it was recorded lack it.
	Profile string `json:"profile,omitempty"`
	// Fingerprint is a SHA-256 over the base scenario, the axes and the
	// seeds; shards with different fingerprints cannot be merged.
	Fingerprint string     `json:"fingerprint"`
	Seeds       int        `json:"seeds"`
	FirstSeed   uint64     `json:"first_seed"`
	Target      float64    `json:"target"`
	Axes        []AxisInfo `json:"axes"`
	// Wait says, for a sweep with a wait axis, what the wait is: "from
	// actions[1] (subscribe at 10ms) to actions[2] (drain_sub)".
	Wait string `json:"wait,omitempty"`
}

// AxisInfo is one axis of a Header, in cell order (the x axis last).
type AxisInfo struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
	// Num is each value's number for numeric axes (nanoseconds for
	// durations); empty for the others.
	Num []float64 `json:"num,omitempty"`
}

// CellRuns are the outcomes of one cell's runs.
type CellRuns struct {
	// Lost is the number of messages lost to the drain in each run: those
	// it dropped (props.DrainLoss) and those whose callback it closed the
	// connection under (props.DrainInterrupted), and those a topology
	// dropped on a route (routeDrops).
	Lost []int `json:"lost"`
	// DrainNS is each run's drain duration, from Drain() returning to
	// CLOSED (the longest, if several connections drained), or -1 when a
	// drained connection never closed or nothing drained.
	DrainNS []int64 `json:"drain_ns"`
	// Timeouts counts runs whose drain reported ErrDrainTimeout.
	Timeouts int `json:"timeouts"`
	// Silent counts runs that lost messages without reporting a timeout.
	Silent int `json:"silent"`
	// Budget counts runs stopped by a budget (events, time or records).
	Budget int `json:"budget"`
	// Cut counts runs in which a drained connection closed while one of
	// its callbacks was still running (props.DrainInterrupted).
	Cut int `json:"cut"`
}

// Options control how Run executes a sweep.
type Options struct {
	// Workers is the number of runs executed in parallel (at least 1).
	// It changes nothing but the speed.
	Workers int
	// Shard restricts the run to part of the seeds; zero means all.
	Shard Shard
	// Progress, when set, is called after each batch of runs with the
	// batch's size, from the worker goroutines.
	Progress func(runs int)
	// Stop, when closed, interrupts the run: each worker stops after its
	// current run, and Run returns the runs of the first seeds that
	// completed in every cell, marked Partial (nil, ErrNothingComplete
	// when no seed did).
	Stop <-chan struct{}
}

// ErrNothingComplete is Run's error when Options.Stop interrupted it
// before any seed had run in every cell.
var ErrNothingComplete = errors.New("explore: interrupted before any seed ran in every cell")

// Run executes every run of the sweep's shard and returns the outcomes.
// The same sweep and shard give the same Results for any Options.Workers.
func Run(sw *Sweep, opt Options) (*Results, error) {
	shard := opt.Shard.orWhole()
	if shard.K < 1 || shard.K > shard.N {
		return nil, fmt.Errorf("explore: bad shard %d/%d", shard.K, shard.N)
	}
	if err := sw.checkSize(); err != nil {
		return nil, fmt.Errorf("explore: sweep %s: %w", sw.Name, err)
	}
	seeds := sw.EffectiveSeeds()
	if shard.N > seeds {
		return nil, fmt.Errorf("explore: shard %d/%d: the sweep has %d seeds per cell, fewer than the shards", shard.K, shard.N, seeds)
	}
	per := shard.size(seeds)
	sizes := make([]int, len(sw.Axes))
	for i, a := range sw.Axes {
		sizes[i] = len(a.Values)
	}
	r := &sweepRun{sw: sw, shard: shard, per: per, cells: make([]*cellSpec, sw.NumCells()), progress: opt.Progress, stop: opt.Stop}
	r.res = &Results{Format: RawFormat, Sweep: sw.header(), Shard: shard, Cells: make([]CellRuns, len(r.cells))}
	for i := range r.cells {
		r.cells[i] = sw.cell(cellIndex(sizes, i))
		r.res.Cells[i] = CellRuns{Lost: make([]int, per), DrainNS: make([]int64, per)}
	}
	r.flags = make([]uint8, len(r.cells)*per)
	errs := make([]error, min(max(opt.Workers, 1), len(r.flags)))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() { errs[w] = r.work() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	complete := r.completeSeeds()
	if complete == 0 {
		return nil, ErrNothingComplete
	}
	if complete < per {
		r.res.Partial = &Partial{Seeds: complete, Of: per}
	}
	for c := range r.res.Cells {
		cr := &r.res.Cells[c]
		cr.Lost, cr.DrainNS = cr.Lost[:complete], cr.DrainNS[:complete]
		for j := range complete {
			cr.count(r.flags[j*len(r.cells)+c])
		}
	}
	return r.res, nil
}

// sweepRun is a Run in progress. Runs are numbered seed by seed, u = j ×
// cells + cell for the shard's j-th seed, so that the runs done when Stop
// interrupts cover the first seeds of every cell; workers take batches of
// run numbers and write each outcome at its number, so the order in which
// they finish does not matter.
type sweepRun struct {
	sw       *Sweep
	shard    Shard
	per      int // runs per cell in this shard
	cells    []*cellSpec
	res      *Results
	flags    []uint8 // per run number
	next     atomic.Int64
	failed   atomic.Bool
	progress func(int)
	stop     <-chan struct{}
}

// work is one worker: it runs batches of runs until none are left, a run
// fails or Stop is closed.
func (r *sweepRun) work() error {
	const batch = 16
	var runner model.Runner // reuses each run's memory for the next
	total := int64(len(r.flags))
	for !r.failed.Load() {
		start := r.next.Add(batch) - batch
		if start >= total {
			return nil
		}
		end := min(start+batch, total)
		for u := start; u < end; u++ {
			select {
			case <-r.stop:
				r.report(int(u - start))
				return nil
			default:
			}
			j, c := int(u)/len(r.cells), int(u)%len(r.cells)
			seed := r.sw.FirstSeed + uint64(r.shard.seedIndex(j))
			res, err := runner.Run(r.cells[c].sc, model.Config{Chooser: sim.NewPCG(seed), Profile: r.cells[c].prof})
			if err != nil {
				r.failed.Store(true)
				return fmt.Errorf("explore: cell %d, seed %d: %w", c, seed, err)
			}
			cr := &r.res.Cells[c]
			var f uint8
			cr.Lost[j], cr.DrainNS[j], f = measure(res)
			r.flags[u] = f | flagDone
		}
		r.report(int(end - start))
	}
	return nil
}

// report passes the number of runs just done to the progress callback.
func (r *sweepRun) report(runs int) {
	if r.progress != nil && runs > 0 {
		r.progress(runs)
	}
}

// completeSeeds returns the number of the shard's seeds, from the first,
// whose runs are done in every cell: all of them unless Stop interrupted
// the run.
func (r *sweepRun) completeSeeds() int {
	for u, f := range r.flags {
		if f&flagDone == 0 {
			return u / len(r.cells)
		}
	}
	return r.per
}

// Flags of one run's outcome.
const (
	flagTimeout uint8 = 1 << iota
	flagSilent
	flagBudget
	flagCut
	flagDone // the run has completed
)

// equal reports whether two cells had the same runs, seed by seed.
func (cr *CellRuns) equal(o *CellRuns) bool {
	return slices.Equal(cr.Lost, o.Lost) && slices.Equal(cr.DrainNS, o.DrainNS) &&
		cr.Timeouts == o.Timeouts && cr.Silent == o.Silent && cr.Budget == o.Budget && cr.Cut == o.Cut
}

func (cr *CellRuns) count(f uint8) {
	if f&flagTimeout != 0 {
		cr.Timeouts++
	}
	if f&flagSilent != 0 {
		cr.Silent++
	}
	if f&flagBudget != 0 {
		cr.Budget++
	}
	if f&flagCut != 0 {
		cr.Cut++
	}
}

// measure extracts what a sweep keeps of one run: the deliveries lost to
// the drain, the drain duration (-1 if a drain never closed or nothing
// drained) and the outcome flags.
func measure(r *model.Result) (lost int, drainNS int64, flags uint8) {
	loss := props.MeasureLoss(r)
	lost = loss.Total() + routeDrops(r)
	if len(loss.Cut) > 0 {
		flags |= flagCut
	}
	if props.DrainTimeoutReported(r) {
		flags |= flagTimeout
	} else if lost > 0 {
		flags |= flagSilent
	}
	if r.Stop.Reason.Exhausted() {
		flags |= flagBudget
	}
	drainNS = -1
	for _, c := range r.Conns {
		if c.DrainCalledAt == model.NoTime {
			continue
		}
		if c.ClosedAt == model.NoTime {
			return lost, -1, flags
		}
		drainNS = max(drainNS, int64(c.ClosedAt-c.DrainCalledAt))
	}
	return lost, drainNS, flags
}

// routeDrops counts the messages a topology dropped on the way to a
// subscriber (route_no_fallback, route_no_interest and the other drops
// whose reason can be the topology's, docs/cluster.md#drops). A hand-off
// of a queue group across servers loses these, not messages the drain
// itself drops, so props.DrainLoss leaves them out; a sweep counts them
// as lost, which is what an operator choosing the hand-off's wait needs.
// A run without servers: has none.
func routeDrops(r *model.Result) int {
	if r.Ledger == nil {
		return 0
	}
	n := 0
	for i := range r.Ledger.Deliveries {
		d := &r.Ledger.Deliveries[i]
		if d.Fate == model.DlvDropped && d.Reason.Causes().Has(model.CauseTopology) {
			n++
		}
	}
	return n
}

// header describes the sweep for its Results.
func (sw *Sweep) header() Header {
	h := Header{Name: sw.Name, Scenario: sw.Base.Name, Seeds: sw.EffectiveSeeds(), FirstSeed: sw.FirstSeed, Target: sw.EffectiveTarget()}
	if _, err := model.LookupProfile(sw.Base.Profile); err == nil { // else a profile axis sets every cell's
		h.Profile = sw.Base.Profile
	}
	fp := sha256.New()
	fp.Write(sw.Base.Marshal())
	fmt.Fprintf(fp, "seeds %d from %d\n", h.Seeds, h.FirstSeed)
	for _, a := range sw.Axes {
		fmt.Fprintln(fp, describeAxis(a))
		if a.Name == WaitAxis {
			h.Wait = describeWait(sw.Base, a)
		}
		info := AxisInfo{Name: a.Name}
		for _, v := range a.Values {
			info.Values = append(info.Values, v.Label)
			if a.kind.fromNum != nil {
				info.Num = append(info.Num, v.Num)
			}
		}
		h.Axes = append(h.Axes, info)
	}
	h.Fingerprint = hex.EncodeToString(fp.Sum(nil))
	return h
}

// Merge combines the Results of every shard of one sweep into the Results
// of the whole sweep, exactly as an unsharded Run would have produced them.
// It fails unless parts are shards 1..N of the same sweep, each once, each
// valid (Results.Validate) and complete, with the same header. It
// allocates no more than the parts hold.
func Merge(parts ...*Results) (*Results, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no results")
	}
	first := parts[0]
	for i, p := range parts {
		if p.Partial != nil {
			return nil, fmt.Errorf("merge: %s holds an interrupted run (%d of %d seeds)", p.name(i), p.Partial.Seeds, p.Partial.Of)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("merge: %s: %w", p.name(i), err)
		}
		if i == 0 {
			continue
		}
		if p.Sweep.Fingerprint != first.Sweep.Fingerprint {
			return nil, fmt.Errorf("merge: %s is from a different sweep (or seeds) than %s: fingerprints %.12s and %.12s", p.name(i), first.name(0), p.Sweep.Fingerprint, first.Sweep.Fingerprint)
		}
		if field := headerDiff(&first.Sweep, &p.Sweep); field != "" {
			return nil, fmt.Errorf("merge: %s has the fingerprint of %s but another sweep.%s: one of them was edited", p.name(i), first.name(0), field)
		}
		if p.Shard.N != first.Shard.N {
			return nil, fmt.Errorf("merge: %s is shard %d/%d, %s is of %d shards", p.name(i), p.Shard.K, p.Shard.N, first.name(0), first.Shard.N)
		}
	}
	// Every part is one of n shards; n is at most the seeds, and it can be
	// at most len(parts) without a shard missing.
	n := first.Shard.N
	byK := make([]*Results, min(n, len(parts))+1)
	for _, p := range parts {
		if p.Shard.K < len(byK) && byK[p.Shard.K] != nil {
			return nil, fmt.Errorf("merge: shard %d/%d given twice", p.Shard.K, n)
		}
		if p.Shard.K < len(byK) {
			byK[p.Shard.K] = p
		}
	}
	for k := 1; k <= n; k++ {
		if k >= len(byK) || byK[k] == nil {
			return nil, fmt.Errorf("merge: shard %d/%d is missing", k, n)
		}
	}
	seeds := first.Sweep.Seeds
	out := &Results{Format: RawFormat, Sweep: first.Sweep, Shard: Shard{K: 1, N: 1}, Cells: make([]CellRuns, len(first.Cells))}
	for c := range out.Cells {
		oc := &out.Cells[c]
		oc.Lost, oc.DrainNS = make([]int, seeds), make([]int64, seeds)
		for _, p := range parts {
			pc := &p.Cells[c]
			for j := range pc.Lost {
				i := p.Shard.seedIndex(j)
				oc.Lost[i], oc.DrainNS[i] = pc.Lost[j], pc.DrainNS[j]
			}
			oc.Timeouts += pc.Timeouts
			oc.Silent += pc.Silent
			oc.Budget += pc.Budget
			oc.Cut += pc.Cut
		}
	}
	return out, nil
}

// name names the i-th part of a merge in messages: its file, if it was
// read from one.
func (r *Results) name(i int) string {
	if r.file != "" {
		return fmt.Sprintf("part %d (%s)", i+1, r.file)
	}
	return fmt.Sprintf("part %d", i+1)
}

// headerDiff returns the name of the first field in which two headers
// differ, or "".
func headerDiff(a, b *Header) string {
	switch {
	case a.Name != b.Name:
		return "name"
	case a.Scenario != b.Scenario:
		return "scenario"
	case a.Seeds != b.Seeds:
		return "seeds"
	case a.FirstSeed != b.FirstSeed:
		return "first_seed"
	case a.Target != b.Target:
		return "target"
	case !slices.EqualFunc(a.Axes, b.Axes, func(x, y AxisInfo) bool {
		return x.Name == y.Name && slices.Equal(x.Values, y.Values) && slices.Equal(x.Num, y.Num)
	}):
		return "axes"
	}
	return ""
}
