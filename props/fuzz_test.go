package props

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// Small budgets for FuzzRunScenario: every input must finish in
// milliseconds, so the fuzzer tries many.
const (
	fuzzMaxEvents = 20_000
	fuzzMaxTime   = time.Minute
	// fuzzMaxRecords bounds messages, deliveries and calls, also within
	// one action: a publish with count 1000000000 and no interval makes
	// all its calls in one event, which only the record budget stops.
	fuzzMaxRecords = 20_000
)

// fuzzSeeds returns the scenario files the fuzzer starts from: the bundled
// examples, the profiles' examples, the conformance scenarios, the stored
// counterexamples and the parser's good files.
func fuzzSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, glob := range []string{
		"../examples/*.yaml", "../examples/profiles/*.yaml",
		"../testdata/conformance/*.yaml", "../testdata/conformance/*/*.yaml",
		"testdata/counterexamples/*.yaml", "../model/scenario/testdata/good/*.yaml",
	} {
		names, err := filepath.Glob(glob)
		require.NoError(t, err)
		for _, name := range names {
			data, err := os.ReadFile(name)
			require.NoError(t, err)
			out = append(out, data)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// smallBudgets bounds the run of sc for fuzzing (see the constants).
func smallBudgets(sc *scenario.Scenario) {
	sc.Limits.MaxEvents = min(sc.Limits.MaxEvents, fuzzMaxEvents)
	sc.Limits.MaxTime = min(sc.Limits.MaxTime, fuzzMaxTime)
	sc.Limits.MaxRecords = min(sc.Limits.MaxRecords, fuzzMaxRecords)
}

// FuzzRunScenario runs the model on arbitrary scenario files: bytes that
// parse into a valid scenario are run under small budgets, then every
// invariant of the catalogue is checked and the outcome rendered. Any of
// these may report a violation or an error; none may panic or hang (a hang
// shows as the fuzzer's per-input timeout). Run it with:
//
//	go test -run '^$' -fuzz FuzzRunScenario -fuzztime 90s -parallel 1 ./props
//
// Crashers it finds go under testdata/fuzz/FuzzRunScenario and are replayed
// by every go test run.
func FuzzRunScenario(f *testing.F) {
	for _, data := range fuzzSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenario.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		smallBudgets(sc)
		res, err := model.Run(sc, model.Config{})
		if err != nil {
			return // e.g. an unknown profile: refused, not run
		}
		for _, inv := range Catalogue() {
			inv.Check(res)
		}
		require.NoError(t, res.Outcome().WriteSummary(io.Discard))
	})
}
