// Package explore runs parameter sweeps over a drainsim scenario to answer
// "which drain timeout loses nothing here, with what confidence".
//
// A sweep file names a base scenario and a few axes (drain timeout, handler
// service time, backlog, publish rate, latency, poll intervals, pending
// limits, profile). Every combination of axis values is a cell; every cell
// runs the same list of seeds, and because the model draws each subsystem's
// randomness from its own stream, the cells are paired (common random
// numbers): for one seed, two cells differ only by what the axes changed.
//
// Run executes a sweep (or one shard of it) on parallel workers and returns
// Results, the per-run outcomes, which Merge combines across shards. Summarize
// turns complete Results into a Report: per cell the probability of drain
// loss with a 95 % Wilson interval, lost-message and drain-duration
// statistics, and a recommended timeout per series. The Report writes an
// aligned table, CSV, JSON and SVG charts. Nothing here reads the wall clock
// or depends on scheduling: the output is byte-identical for any number of
// workers or shards.
package explore

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// DefaultTarget is the P(loss) a recommended timeout must provably stay
// below when neither the sweep file nor the command line sets one.
const DefaultTarget = 1e-3

// MaxRuns bounds the number of runs of one sweep, so that a typo in a range
// does not start a sweep that would never finish.
const MaxRuns = 10_000_000

// Sweep is a validated sweep file: a base scenario, the axes whose
// cartesian product gives the cells, and how many seeds each cell runs.
type Sweep struct {
	File        string
	Name        string
	Description string
	// Base is the scenario every cell starts from, read from the file the
	// sweep's scenario field names (relative to the sweep file).
	Base *scenario.Scenario
	// Seeds is the number of runs per cell: seeds FirstSeed,
	// FirstSeed+1, ... for every cell. Zero means "just enough for a
	// loss-free cell to meet Target" (RunsNeeded).
	Seeds     int
	FirstSeed uint64
	// Target is the P(loss) the recommendation must show, at 95 %
	// confidence, to be at or below; zero means DefaultTarget.
	Target float64
	// Axes in cell order: the x axis (the file's x:, drain_timeout by
	// default) is always last, so that it varies fastest and each series
	// of cells is contiguous.
	Axes []*Axis
}

// Load reads and parses the sweep file at path and the scenario it names.
// Every error names the file, line and field at fault and is an
// *scenario.Error.
func Load(path string) (*Sweep, error) {
	data, err := scenario.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, func(name string) (*scenario.Scenario, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(filepath.Dir(path), name)
		}
		return loadBase(name)
	})
}

// loadBase reads the base scenario of a sweep. A base that is itself a
// sweep file is a likely mistake, and said so rather than reported as a
// scenario with unknown fields.
func loadBase(name string) (*scenario.Scenario, error) {
	data, err := scenario.ReadFile(name)
	if err != nil {
		return nil, err
	}
	sc, err := scenario.Parse(name, data)
	if err != nil && isSweep(name, data) {
		return nil, fmt.Errorf("%s is a sweep file (it has scenario: and axes:), not a scenario: a sweep's base must be a scenario file: %w", name, err)
	}
	return sc, err
}

// isSweep reports whether data is a YAML mapping with the fields that make
// a sweep file: scenario and axes.
func isSweep(name string, data []byte) bool {
	dec := scenario.NewDecoder(name)
	root, err := dec.Root(data)
	if err != nil || root.Kind != yaml.MappingNode {
		return false
	}
	has := map[string]bool{} // lookups only
	for i := 0; i+1 < len(root.Content); i += 2 {
		has[root.Content[i].Value] = true
	}
	return has["scenario"] && has["axes"]
}

// Parse parses a sweep written in YAML. File names it in messages; load
// reads the base scenario the sweep names. Parsing is strict, as for
// scenario files: unknown or repeated fields, wrong types, values out of
// range and targets that do not exist in the base scenario are errors.
func Parse(file string, data []byte, load func(name string) (*scenario.Scenario, error)) (*Sweep, error) {
	dec := scenario.NewDecoder(file)
	root, err := dec.Root(data)
	if err != nil {
		return nil, err
	}
	if root.Kind != yaml.MappingNode {
		return nil, dec.TypeError(root, "", "a mapping with the sweep's fields (name:, scenario:, axes:, ...)")
	}
	fields, err := dec.Mapping(root, "", "name", "description", "scenario", "seeds", "first_seed", "target", "x", "axes")
	if err == nil {
		err = dec.Require(root, "", fields, "name", "scenario", "axes")
	}
	if err != nil {
		return nil, err
	}
	sw := &Sweep{File: file, FirstSeed: 1}
	var axesField, firstSeed, base, x scenario.Field
	for _, f := range fields {
		switch f.Name {
		case "name":
			sw.Name, err = dec.Name(f.Value, f.Path)
		case "description":
			sw.Description, err = dec.Str(f.Value, f.Path)
		case "scenario":
			base = f
			var name string
			if name, err = dec.Name(f.Value, f.Path); err == nil {
				// The base's own error (its file, line and field)
				// follows the sweep's position, and stays wrapped.
				if sw.Base, err = load(name); err != nil {
					err = dec.Wrap(f.Line, f.Path, err)
				}
			}
		case "seeds":
			sw.Seeds, err = dec.Between(f.Value, f.Path, 1, MaxRuns)
		case "first_seed":
			sw.FirstSeed, err = dec.Seed(f.Value, f.Path)
			firstSeed = f
		case "target":
			sw.Target, err = probability(dec, f.Value, f.Path)
		case "x":
			x = f
		case "axes":
			axesField = f
		}
		if err != nil {
			return nil, err
		}
	}
	// Axes are decoded last: their targets refer to the base scenario.
	if sw.Axes, err = parseAxes(dec, sw.Base, axesField, x); err != nil {
		return nil, err
	}
	if err := checkBase(sw); err != nil {
		return nil, dec.Wrap(base.Line, base.Path, err)
	}
	if err := sw.checkSize(); err != nil {
		return nil, dec.Wrap(axesField.Line, "axes", err)
	}
	if last := sw.FirstSeed + uint64(sw.EffectiveSeeds()-1); last < sw.FirstSeed {
		return nil, dec.Errorf(firstSeed.Line, firstSeed.Path, "first_seed %d plus %d seeds passes 2^64-1: want at most %d",
			sw.FirstSeed, sw.EffectiveSeeds(), uint64(math.MaxUint64)-uint64(sw.EffectiveSeeds()-1))
	}
	return sw, nil
}

// checkSize reports an error when the sweep has more than MaxRuns runs.
func (sw *Sweep) checkSize() error {
	cells := 1.0 // a float: a product of many axes must not wrap around
	for _, a := range sw.Axes {
		cells *= float64(len(a.Values))
	}
	if runs := cells * float64(sw.EffectiveSeeds()); runs > MaxRuns {
		return fmt.Errorf("%.0f cells × %d seeds is %.3g runs, more than the limit of %d", cells, sw.EffectiveSeeds(), runs, MaxRuns)
	}
	return nil
}

// probability decodes a number strictly between 0 and 1, such as 1e-3.
func probability(dec *scenario.Decoder, n *yaml.Node, path string) (float64, error) {
	const want = "a probability between 0 and 1 such as 0.001 or 1e-3"
	s, err := dec.Scalar(n, path, want, "!!float", "!!int", "!!str")
	if err != nil {
		return 0, err
	}
	p, err := strconv.ParseFloat(s, 64)
	if err == nil {
		err = CheckTarget(p)
	}
	if err != nil {
		return 0, dec.Errorf(n.Line, path, "bad value %q: want %s (%v)", s, want, err)
	}
	return p, nil
}

// MinTarget is the smallest target P(loss) a sweep may aim for: showing it
// would take billions of runs per cell.
const MinTarget = 1e-9

// CheckTarget reports whether p can be a target P(loss): at least
// MinTarget and below 1.
func CheckTarget(p float64) error {
	if !(p >= MinTarget && p < 1) {
		return fmt.Errorf("target %v is not between %v and 1", p, MinTarget)
	}
	return nil
}

// NumCells returns the number of cells: the product of the axes' sizes.
func (sw *Sweep) NumCells() int {
	n := 1
	for _, a := range sw.Axes {
		n *= len(a.Values)
	}
	return n
}

// EffectiveTarget returns Target, or DefaultTarget when it is unset.
func (sw *Sweep) EffectiveTarget() float64 {
	if sw.Target > 0 {
		return sw.Target
	}
	return DefaultTarget
}

// EffectiveSeeds returns Seeds, or when it is unset the number of
// loss-free runs a cell needs to show EffectiveTarget.
func (sw *Sweep) EffectiveSeeds() int {
	if sw.Seeds > 0 {
		return sw.Seeds
	}
	return RunsNeeded(sw.EffectiveTarget())
}

// checkBase checks what the sweep needs of its base scenario: a known
// profile (unless a profile axis sets one) and a drain: of a connection,
// or of a subscription (drain_sub), whose losses a sweep of its time (the
// at axis) measures even though the drain timeout does not apply to it.
func checkBase(sw *Sweep) error {
	b := sw.Base
	if !slices.ContainsFunc(sw.Axes, func(a *Axis) bool { return a.Name == "profile" }) {
		if _, err := model.LookupProfile(b.Profile); err != nil {
			return &scenario.Error{File: b.File, Line: b.ProfileLine, Field: "profile", Msg: err.Error(), Err: err}
		}
	}
	drains := slices.ContainsFunc(b.Actions, func(a scenario.Action) bool { return a.Drain != nil || a.DrainSub != nil })
	for _, s := range b.Subs {
		drains = drains || slices.ContainsFunc(s.Handler.Actions, func(a scenario.HandlerAction) bool { return a.Drain != nil })
	}
	if !drains {
		return &scenario.Error{File: b.File, Msg: "the scenario never drains a connection or subscription, so the sweep has nothing to measure: add a drain or drain_sub action"}
	}
	return nil
}
