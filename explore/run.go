package explore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// RawFormat identifies the JSON of Results (drainsim explore --raw).
const RawFormat = "drainsim-explore-raw/1"

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
}

// Header describes the sweep that produced Results: enough to summarise
// them without the sweep file, and a fingerprint that only shards of the
// same sweep share.
type Header struct {
	// Name is the sweep's name and Scenario its base scenario's (the name
	// fields of the files, so that the output does not depend on paths).
	Name     string `json:"name"`
	Scenario string `json:"scenario"`
	// Fingerprint is a SHA-256 over the base scenario, the axes and the
	// seeds; shards with different fingerprints cannot be merged.
	Fingerprint string     `json:"fingerprint"`
	Seeds       int        `json:"seeds"`
	FirstSeed   uint64     `json:"first_seed"`
	Target      float64    `json:"target"`
	Axes        []AxisInfo `json:"axes"`
}

// AxisInfo is one axis of a Header, in cell order (drain_timeout last).
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
	// connection under (props.DrainInterrupted).
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
}

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
	per := shard.size(seeds)
	sizes := make([]int, len(sw.Axes))
	for i, a := range sw.Axes {
		sizes[i] = len(a.Values)
	}
	r := &sweepRun{sw: sw, shard: shard, per: per, cells: make([]*cellSpec, sw.NumCells()), progress: opt.Progress}
	r.res = &Results{Format: RawFormat, Sweep: sw.header(), Shard: shard, Cells: make([]CellRuns, len(r.cells))}
	for i := range r.cells {
		r.cells[i] = sw.cell(cellIndex(sizes, i))
		r.res.Cells[i] = CellRuns{Lost: make([]int, per), DrainNS: make([]int64, per)}
	}
	r.flags = make([]uint8, len(r.cells)*per)
	errs := make([]error, max(opt.Workers, 1))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() { errs[w] = r.work() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for c := range r.res.Cells {
		for _, f := range r.flags[c*per : (c+1)*per] {
			r.res.Cells[c].count(f)
		}
	}
	return r.res, nil
}

// sweepRun is a Run in progress. Runs are numbered cell by cell, u = cell
// × per + j for the shard's j-th seed; workers take batches of run numbers
// and write each outcome at its number, so the order in which they finish
// does not matter.
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
}

// work is one worker: it runs batches of runs until none are left or a
// run fails.
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
			c, j := int(u)/r.per, int(u)%r.per
			seed := r.sw.FirstSeed + uint64(r.shard.seedIndex(j))
			res, err := runner.Run(r.cells[c].sc, model.Config{Chooser: sim.NewPCG(seed), Profile: r.cells[c].prof})
			if err != nil {
				r.failed.Store(true)
				return fmt.Errorf("explore: cell %d, seed %d: %w", c, seed, err)
			}
			cr := &r.res.Cells[c]
			cr.Lost[j], cr.DrainNS[j], r.flags[u] = measure(res)
		}
		if r.progress != nil {
			r.progress(int(end - start))
		}
	}
	return nil
}

// Flags of one run's outcome.
const (
	flagTimeout uint8 = 1 << iota
	flagSilent
	flagBudget
	flagCut
)

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
	cut := len(props.DrainInterrupted(r))
	lost = len(props.DrainLoss(r)) + cut
	if cut > 0 {
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

// header describes the sweep for its Results.
func (sw *Sweep) header() Header {
	h := Header{Name: sw.Name, Scenario: sw.Base.Name, Seeds: sw.EffectiveSeeds(), FirstSeed: sw.FirstSeed, Target: sw.EffectiveTarget()}
	fp := sha256.New()
	fp.Write(sw.Base.Marshal())
	fmt.Fprintf(fp, "seeds %d from %d\n", h.Seeds, h.FirstSeed)
	for _, a := range sw.Axes {
		fmt.Fprintln(fp, describeAxis(a))
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
// It fails unless parts are shards 1..N of the same sweep, each once.
func Merge(parts ...*Results) (*Results, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no results")
	}
	first := parts[0]
	n := first.Shard.N
	seen := make([]bool, n+1)
	for i, p := range parts {
		switch {
		case p.Format != RawFormat:
			return nil, fmt.Errorf("merge: part %d: format %q, want %q", i+1, p.Format, RawFormat)
		case p.Sweep.Fingerprint != first.Sweep.Fingerprint:
			return nil, fmt.Errorf("merge: part %d is from a different sweep (or seeds) than part 1: fingerprints %.12s and %.12s", i+1, p.Sweep.Fingerprint, first.Sweep.Fingerprint)
		case p.Shard.N != n || p.Shard.K < 1 || p.Shard.K > n:
			return nil, fmt.Errorf("merge: part %d is shard %d/%d, part 1 is of %d shards", i+1, p.Shard.K, p.Shard.N, n)
		case seen[p.Shard.K]:
			return nil, fmt.Errorf("merge: shard %d/%d given twice", p.Shard.K, n)
		}
		seen[p.Shard.K] = true
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("merge: part %d (shard %d/%d): %w", i+1, p.Shard.K, n, err)
		}
	}
	for k := 1; k <= n; k++ {
		if !seen[k] {
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

// check verifies that r's cells hold as many runs as its sweep and shard
// say, so that a truncated or edited file is not merged silently.
func (r *Results) check() error {
	cells := 1
	for _, a := range r.Sweep.Axes {
		cells *= len(a.Values)
	}
	if len(r.Cells) != cells {
		return fmt.Errorf("%d cells, want %d", len(r.Cells), cells)
	}
	per := r.Shard.size(r.Sweep.Seeds)
	for c, cr := range r.Cells {
		if len(cr.Lost) != per || len(cr.DrainNS) != per {
			return fmt.Errorf("cell %d holds %d and %d runs, want %d", c, len(cr.Lost), len(cr.DrainNS), per)
		}
		for _, n := range []int{cr.Timeouts, cr.Silent, cr.Budget, cr.Cut} {
			if n < 0 || n > per {
				return fmt.Errorf("cell %d: a count (%d) is out of range", c, n)
			}
		}
	}
	return nil
}
