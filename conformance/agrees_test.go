package conformance

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// TestAgreesIsDetermined: agrees, Replayable's early-stopping check on a
// pooled Runner, answers what determined's full list of variants does, on
// the first 15 generated scenarios a real stack can play of every profile
// with a real counterpart, under both perturbation lists and under each
// perturbation alone. It catches an agrees that stops at the first
// perturbation that agrees rather than the first that differs, and one
// that skips the first or the last perturbation; determined runs every
// variant with plain model.Run, so a Runner whose recycled memory changed
// a variant would show too.
func TestAgreesIsDetermined(t *testing.T) {
	seen := map[bool]int{}
	for name := range counterparts {
		prof, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed, played := uint64(0), 0; seed < 400 && played < 15; seed++ {
			p, err := Prepare(props.GenProfileScenario(sim.NewPCG(seed), prof), 1)
			if err != nil {
				continue // a real stack cannot play it: Replayable stops before agrees
			}
			played++
			lists := [][]perturbation{perturbations, replayPerturbations}
			for _, pt := range replayPerturbations {
				lists = append(lists, []perturbation{pt})
			}
			for _, pts := range lists {
				_, diffs, err := determined(p, prof, DefaultTolerance, pts)
				want := err == nil && len(diffs) == 0
				require.Equal(t, want, agrees(p, prof, DefaultTolerance, pts), "profile %s, generator seed %d", name, seed)
				seen[want]++
			}
		}
	}
	require.Positive(t, seen[true], "no determined scenario: the test covers too little")
	require.Positive(t, seen[false], "no undetermined scenario: the test covers too little")
}

// TestReplayerComparesLikeCompare: the comparisons agrees makes in a
// replayer's memory (each perturbed run's outcome, keys, projection and
// call groups, and each plain run's side and view, written over the
// previous one's, across scenarios of
// different sizes) list the
// differences a fresh Compare of fresh ModelSides lists, for every
// replay perturbation of the first 12 playable generated scenarios of
// every profile with a real counterpart. It catches reused memory not
// emptied first: with grouping.group's clear(g.by) removed, a source of
// an earlier run is found in the groups of a run that has none (go,
// generator seed 20, near-simultaneous actions reversed); with keyer.keys'
// clear(k.out) removed, an earlier run's keys name messages of the next
// (the comparison indexes past a subscription's deliveries and panics);
// with its clear(g.count) removed, the calls of a source outgrow its share;
// with projectInto keeping a connection's previous statuses (prev.Status
// for resized(prev.Status, 0)), a status list doubles (natsjs, generator
// seed 12, near-simultaneous actions reversed, when natsjs comes first:
// the profiles are taken in map order). The plain run's side and view are
// the replayer's too, derived over the previous scenario's: with derive
// keeping a view's earlier maps and groups (returning once pubAt is
// made), the view of an earlier scenario is compared (node-v1, generator
// seed 14, latency +0.5ms).
func TestReplayerComparesLikeCompare(t *testing.T) {
	rep := new(replayer)
	var last *scenario.Scenario
	eachReplayVariant(t, 12, func(what string, p *scenario.Scenario, prof *model.Profile, pt perturbation, base *Side, _ *modelView) bool {
		if p != last {
			// The plain run's view, derived in the memory of the
			// previous scenario's, as agrees derives it.
			last = p
			res, err := runVariant(p, prof, perturbation{}, rep.runner.Run, nil)
			require.NoError(t, err)
			rep.view.derive(rep.plain.sideOf(res), &GoObserves)
		}
		res, err := runVariant(p, prof, pt, rep.runner.Run, &rep.perturbed)
		require.NoError(t, err)
		want := Compare(base, ModelSide(res), DefaultTolerance)
		require.Equal(t, want, rep.view.compareIn(rep.variant.sideOf(res), DefaultTolerance, &rep.real), what)
		return len(want) > 0
	})
}

// eachReplayVariant calls check with every replay perturbation of the
// first n playable generated scenarios of every profile with a real
// counterpart, with the plain run's side and its modelView, and requires
// that some comparison found a difference (check's result), so that a
// test built on it compares more than equal sides.
func eachReplayVariant(t *testing.T, n int, check func(what string, p *scenario.Scenario, prof *model.Profile, pt perturbation, base *Side, view *modelView) bool) {
	t.Helper()
	differing := 0
	for name := range counterparts {
		prof, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed, played := uint64(0), 0; seed < 400 && played < n; seed++ {
			p, err := Prepare(props.GenProfileScenario(sim.NewPCG(seed), prof), 1)
			if err != nil {
				continue
			}
			played++
			base, err := variant(p, prof, perturbation{}, model.Run)
			require.NoError(t, err)
			view := newModelView(base, &GoObserves)
			for _, pt := range replayPerturbations {
				if check(fmt.Sprintf("profile %s, generator seed %d, %s", name, seed, pt.name), p, prof, pt, base, view) {
					differing++
				}
			}
		}
	}
	require.Positive(t, differing, "no variant differs: the test covers too little")
}

// TestPerturbedCopyIsClone: the copy a replayer's perturbMemory hands
// runVariant, made over and over in one memory (every replay perturbation
// of the first playable generated scenarios of every profile with a real
// counterpart, one scenario after another), equals a new Clone of the
// scenario before the perturbation and what the perturbation makes of a
// Clone after it, and the perturbation leaves the scenario itself
// unchanged; most copies are restored, not cloned. Breaks caught, each
// tried: restore not visiting a list's elements (a perturbed action time
// stays in the next copy), and restore taking src's pointer instead of
// copying through it (the perturbation edits the scenario itself).
func TestPerturbedCopyIsClone(t *testing.T) {
	var mem perturbMemory
	restored, copies := 0, 0
	for _, name := range slices.Sorted(maps.Keys(counterparts)) {
		prof, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed, played := uint64(0), 0; seed < 400 && played < 6; seed++ {
			p, err := Prepare(props.GenProfileScenario(sim.NewPCG(seed), prof), 1)
			if err != nil {
				continue
			}
			played++
			orig := p.Clone()
			for _, pt := range replayPerturbations {
				if pt.apply == nil {
					continue // only draws races: runs the scenario itself
				}
				what := fmt.Sprintf("profile %s, generator seed %d, %s", name, seed, pt.name)
				last := mem.sc
				c := mem.copyOf(p)
				copies++
				if c == last {
					restored++
				}
				require.Equal(t, p.Clone(), c, what)
				want, wantProf := p.Clone(), *prof
				gotProf := *prof
				pt.apply(want, &wantProf)
				pt.apply(c, &gotProf)
				require.Equal(t, want, c, what)
				require.Equal(t, orig, p, "%s: the perturbation changed the scenario itself", what)
			}
		}
	}
	require.Greater(t, restored, copies/2, "few copies restored: the test checks little of restore")
}
