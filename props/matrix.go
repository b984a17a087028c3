package props

import (
	"cmp"
	"math"
	"slices"
	"sync/atomic"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// Cell is one verdict of the matrix: whether a profile violated an
// invariant (or the determinism check) in any of the generated scenarios.
type Cell struct {
	Profile, Invariant string
	// Failure is the first violation found, shrunk; nil when the invariant
	// held in every run.
	Failure *Failure
	// Known is the catalogue's record of this violation, nil when the
	// profile is not known to violate the invariant.
	Known *KnownViolation
}

// Violated reports whether the cell shows a violation.
func (c Cell) Violated() bool { return c.Failure != nil }

// Unexpected reports whether the cell shows a violation the catalogue does
// not know: a bug in the model or a new finding about the library.
func (c Cell) Unexpected() bool { return c.Failure != nil && c.Known == nil }

// Matrix holds the verdicts of every invariant (rows, then the determinism
// check) under every profile (columns).
type Matrix struct {
	Profiles []string
	Rows     []string
	Cells    [][]Cell // [row][profile]
	Runs     int      // generated scenarios per profile
	// Interrupted is set when cfg.Stop ended the runs early: Profiles and
	// Cells then hold the profiles that ran, the last of them only LastRuns
	// of Runs scenarios.
	Interrupted bool
	LastRuns    int
}

// MatrixRows returns the matrix's row names: the catalogue's invariant
// IDs, then DeterminismID.
func MatrixRows() []string {
	var rows []string
	for _, inv := range Catalogue() {
		rows = append(rows, inv.ID)
	}
	return append(rows, DeterminismID)
}

// RunMatrix runs cfg.Runs generated scenarios per profile of cfg.Profiles
// (GenProfileScenario from PCG seeds cfg.Seed, cfg.Seed+1, ...), checks
// every invariant over each and the determinism of the first
// cfg.DeterminismRuns, and keeps for each profile and invariant the first
// scenario that violates it (preferring the first one that replays on the
// real library, cfg.Replayable, so that the counterexample can be checked
// on the library itself, and shrinking it through such scenarios; for a
// known violation the runs never showed, the scenario of its GenSeed), shrunk against that invariant (unless
// cfg.NoShrink), and compares it with KnownViolations. The error is
// non-nil only for an unknown profile.
func RunMatrix(cfg SwarmConfig) (Matrix, error) {
	rows := MatrixRows()
	m := Matrix{Profiles: cfg.Profiles, Rows: rows, Runs: cfg.Runs, Cells: make([][]Cell, len(rows))}
	for i := range m.Cells {
		m.Cells[i] = make([]Cell, len(cfg.Profiles))
	}
	cat := Catalogue()
	det := len(rows) - 1
	all := cfg
	all.SkipKnown = false // the matrix shows the known violations too
	profiles, err := all.swarmProfiles(cfg.Profiles)
	if err != nil {
		return m, err
	}
	// picks[j][k] is the scenario chosen so far to show row k's violation
	// under profile j.
	picks := make([][]pick, len(profiles))
	for j := range picks {
		picks[j] = make([]pick, len(rows))
		for k := range picks[j] {
			picks[j][k].settledBy.Store(math.MaxInt64)
		}
	}
	// Every profile's runs in one pass, so that the workers stay busy
	// across the profiles' boundaries: run g is the (g mod Runs)-th
	// scenario of profile g / Runs, as in Swarm.
	consumed, stopped := inOrder(len(profiles)*cfg.Runs, cfg.Workers, runChunk, cfg.Stop,
		func() func(int) swarmRun {
			w := new(swarmWorker)
			return func(g int) swarmRun {
				j := g / cfg.Runs
				r := all.swarmRun(w, &profiles[j], g%cfg.Runs)
				r.rank = -1
				if unsettled(picks[j], cat, r.violated, g) {
					r.rank = cfg.rank(r.sc)
				}
				if r.rank == 2 {
					for _, inv := range r.violated {
						picks[j][slices.IndexFunc(cat, inv.is)].settle(g)
					}
				}
				// r.sc is the worker's: the consumer draws the few it
				// keeps again (own), where drawing every violating one
				// in memory of its own was a tenth of the matrix's bytes.
				r.sc = nil
				return r
			}
		},
		func(g int, r swarmRun) bool {
			cfg.progress(1)
			if r.err != nil {
				err = r.err
				return false
			}
			row := picks[g/cfg.Runs]
			// own is r's scenario, drawn again on first use.
			own := func() *scenario.Scenario {
				if r.sc == nil {
					r.sc = all.redraw(&profiles[g/cfg.Runs], r.seed)
				}
				return r.sc
			}
			for _, inv := range r.violated {
				k := slices.IndexFunc(cat, inv.is)
				// The first violating scenario, replaced by a later one
				// that serves better on the real library (replays the
				// same way there, or at least can be played: rank).
				if row[k].sc == nil || row[k].rank < 2 {
					if r.rank < 0 {
						r.rank = cfg.rank(own())
					}
					if row[k].sc == nil || r.rank > row[k].rank {
						row[k].sc, row[k].seed, row[k].rank, row[k].events = own(), r.seed, r.rank, r.events
					}
				}
			}
			if row[det].sc == nil && r.nondeterministic {
				row[det].sc, row[det].seed, row[det].events = own(), r.seed, r.events
			}
			return true
		})
	if err != nil {
		return m, err
	}
	ran := len(profiles)
	if stopped {
		ran = consumed/cfg.Runs + 1
	}
	if !cfg.Topology {
		if err := all.playRareKnown(profiles[:ran], picks, cat); err != nil {
			return m, err
		}
	}
	// Shrink every chosen scenario of every profile that ran, in
	// parallel, the longest first; each cell goes to its own place in the
	// matrix, so the order changes nothing in it.
	order := longestFirst(picks[:ran])
	eachOf(len(order), cfg.Workers, func(t int) {
		j, k := order[t]/len(rows), order[t]%len(rows)
		m.Cells[k][j] = cfg.cell(cfg.Profiles[j], rows[k], cat, k, picks[j][k].sc, picks[j][k].seed)
	})
	if stopped {
		m.interrupt(consumed/cfg.Runs, consumed%cfg.Runs)
	}
	return m, nil
}

// playRareKnown plays, for each known violation of profiles with a
// GenSeed that the runs showed nowhere, the scenario its GenSeed draws, and
// picks it when it violates the invariant: a violation too rare for the
// matrix's runs still gets its cell and counterexample. picks[j] is
// profiles[j]'s row, indexed like cat.
func (cfg SwarmConfig) playRareKnown(profiles []swarmProfile, picks [][]pick, cat []Invariant) error {
	w := new(swarmWorker)
	for j := range profiles {
		p := &profiles[j]
		for _, kv := range knownViolations {
			k := slices.IndexFunc(cat, func(inv Invariant) bool { return inv.ID == kv.Invariant })
			if kv.Profile != p.Name || kv.GenSeed == 0 || k < 0 || picks[j][k].sc != nil {
				continue
			}
			one := cfg
			one.Seed, one.DeterminismRuns = kv.GenSeed, 0
			r := one.swarmRun(w, p, 0).kept(one, p)
			if r.err != nil {
				return r.err
			}
			if slices.ContainsFunc(r.violated, cat[k].is) {
				picks[j][k].sc, picks[j][k].seed, picks[j][k].events = r.sc, r.seed, r.events
			}
		}
	}
	return nil
}

// longestFirst returns the cells of picks (cell j*len(picks[j]) + k is
// picks[j][k]) in the order to shrink them: the ones likely to take
// longest first, so that the last to finish does not start last while
// the other workers idle (longest processing time first). A cell whose
// counterexample must keep replaying on the real library (rank 2) runs
// conformance.Replayable for every candidate that fails, the longest of
// a short matrix, bigger scenarios first; the others by the events of
// their scenario's run, which a candidate's run takes in proportion
// (over the cells of `check --matrix --runs 300`, 8-15 µs a candidate
// below 100 events, 60 µs at 1,600, while the candidates a shrink asks
// about number 40-120 whatever the size: ordered by size, the two costliest
// cells of rank 0 and 1, 6-7 ms of the phase's 51, started last and ran
// alone); a cell without a scenario costs next to nothing. Ties keep the
// cells' order.
func longestFirst(picks [][]pick) []int {
	// class 2 replays on the real library, 1 has a scenario, 0 none;
	// within a class, the heavier first.
	type cost struct {
		class  int
		weight uint64
	}
	var costs []cost
	for _, row := range picks {
		for k := range row {
			var c cost
			switch p := &row[k]; {
			case p.sc == nil:
			case p.rank == 2:
				c = cost{2, uint64(Size(p.sc))}
			default:
				c = cost{1, p.events}
			}
			costs = append(costs, c)
		}
	}
	order := make([]int, len(costs))
	for t := range order {
		order[t] = t
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(costs[b].class, costs[a].class), cmp.Compare(costs[b].weight, costs[a].weight))
	})
	return order
}

// pick is the scenario RunMatrix has chosen so far to show one row's
// violation under one profile: the first violating one, unless a later
// one serves better on the real library.
type pick struct {
	sc     *scenario.Scenario // nil while no scenario violated the row
	seed   uint64             // the generator seed sc was drawn from
	rank   int                // how well sc serves on the real library (SwarmConfig.rank)
	events uint64             // the events of sc's run, for longestFirst
	// settledBy is the least run index (RunMatrix's g) whose scenario
	// violates the row and was found to replay on the real library (rank
	// 2), or math.MaxInt64. Once that run is taken, no later scenario
	// replaces it: a worker need not rank run g when every row g violates
	// is settled by an earlier run, even one not yet taken (which is what
	// keeps two workers from ranking, ahead of the consumer, scenarios
	// that one worker would not: on 2 workers `check --matrix --runs 300`
	// ranked 322-358 scenarios instead of 228). Ranking in the workers
	// only saves the consumer work: the rank of a scenario is the same
	// wherever it is computed, and the consumer ranks any scenario it
	// needs that the worker did not.
	settledBy atomic.Int64
}

// unsettled reports whether the rank of run g, which violates the
// invariants violated, may be needed for the row picks (indexed like cat):
// whether one of them is not settled by an earlier run (pick.settledBy).
func unsettled(picks []pick, cat []Invariant, violated []Invariant, g int) bool {
	return slices.ContainsFunc(violated, func(inv Invariant) bool {
		return picks[slices.IndexFunc(cat, inv.is)].settledBy.Load() >= int64(g)
	})
}

// settle records that run g violates p's row and ranks 2 (settledBy).
func (p *pick) settle(g int) {
	for cur := p.settledBy.Load(); int64(g) < cur && !p.settledBy.CompareAndSwap(cur, int64(g)); {
		cur = p.settledBy.Load()
	}
}

// cell is the verdict of row k (invariant id, or DeterminismID) under
// profile prof: sc, the scenario chosen to show its violation (nil when
// none did), from generator seed, shrunk.
func (cfg SwarmConfig) cell(prof, id string, cat []Invariant, k int, sc *scenario.Scenario, seed uint64) Cell {
	c := Cell{Profile: prof, Invariant: id}
	if kv, ok := Known(prof, id); ok {
		c.Known = &kv
	}
	if sc == nil {
		return c
	}
	var f Failure
	if id == DeterminismID {
		f = cfg.determinismFailure(prof, seed, sc)
	} else {
		f = cfg.failure(cat[k], prof, seed, sc)
	}
	c.Failure = &f
	return c
}

// interrupt cuts the matrix after profile j, which ran only runs
// scenarios (and is left out when it ran none).
func (m *Matrix) interrupt(j, runs int) {
	m.Interrupted, m.LastRuns = true, runs
	if runs == 0 {
		j--
		m.LastRuns = m.Runs
	}
	m.Profiles = m.Profiles[:j+1]
	for k := range m.Cells {
		m.Cells[k] = m.Cells[k][:j+1]
	}
}

// restsOn returns the first inferred behaviour of p that, turned off, makes
// sc stop violating inv, or "".
func restsOn(p *model.Profile, sc *scenario.Scenario, inv Invariant, muts model.MutationSet) string {
	for _, inf := range p.Inferred {
		without, ok := p.WithoutInferred(inf.ID)
		if !ok {
			continue
		}
		res, err := model.Run(sc, model.Config{Profile: without, Mutations: muts})
		if err == nil && len(inv.Check(res)) == 0 {
			return inf.ID
		}
	}
	return ""
}

// Unexpected returns the cells that show a violation the catalogue does
// not know, in row and profile order.
func (m Matrix) Unexpected() []Cell {
	var out []Cell
	for _, row := range m.Cells {
		for _, c := range row {
			if c.Unexpected() {
				out = append(out, c)
			}
		}
	}
	return out
}

// is reports whether c is inv (for slices.IndexFunc).
func (inv Invariant) is(c Invariant) bool { return c.ID == inv.ID }
