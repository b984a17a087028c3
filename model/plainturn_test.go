package model_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// TestPlainTurnKeptUpToDate: a subscription's plainTurn flag, which the
// callback's return and the executor's turn test instead of what it
// stands for, is what it stands for after the set-up and after every
// event, over the conformance scenarios (drains, closes, auto-unsubscribe
// limits, triggers) under every profile and generated scenarios of every
// profile, with and without each mutation. It fails when one of the
// places that change what the flag stands for does not work it out again:
// with setPlainTurn's call dropped from setClosed (a subscription
// unsubscribed or closed mid-run), from setMax (an auto-unsubscribe limit
// set up front or by a call) or from setProgress (a drain check set or
// run), with the formula's test of closed or of PendingLIFO dropped, and
// with newSub's call dropped (each was tried).
func TestPlainTurnKeptUpToDate(t *testing.T) {
	files, err := filepath.Glob("../testdata/conformance/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	checked := 0
	check := func(name string, sc *scenario.Scenario, cfg model.Config) {
		t.Helper()
		stale, err := model.StalePlainTurn(sc, cfg)
		if err != nil {
			return // a profile refuses a scenario it cannot run
		}
		checked++
		require.Empty(t, stale, "%s\n%s", name, sc.Marshal())
	}
	muts := model.Mutations()
	for i, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for _, f := range files {
			sc, err := scenario.Load(f)
			require.NoError(t, err)
			check(f+" under "+name, sc, model.Config{Profile: p})
		}
		for k := range uint64(40) {
			seed := uint64(i)*1000 + k
			sc := props.GenProfileScenario(sim.NewPCG(seed), p)
			check(name, sc, model.Config{})
			check(name, sc, model.Config{Mutations: model.MutationSet(0).With(muts[int(seed)%len(muts)])})
		}
	}
	t.Log(checked, "runs checked")
	require.Greater(t, checked, 1000)
}
