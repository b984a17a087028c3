package model

import (
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// runChooser returns the Chooser a run of sc takes its choices from:
// cfg.Chooser when set; else the scenario's recorded choices (choices:,
// the replay of a sequence an exhaustive check found); else a PCG seeded
// with the scenario's seed. Equal-time events are ordered through its
// "ties" stream when the scenario opts in (ties: permute); the stream is
// separate, so opting in changes no other draw of a PCG run. A Runner
// (pool) holds the PCG, re-seeded for each run.
func runChooser(sc *scenario.Scenario, cfg Config, pool *Runner) sim.Chooser {
	switch {
	case cfg.Chooser != nil:
		return cfg.Chooser
	case sc.Choices != nil:
		return sim.NewTape(sc.Choices)
	}
	return pool.seeded(sc.Seed)
}
