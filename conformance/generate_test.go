package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/internal/update"
	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// Generated scenarios: how many to keep, from which seeds, and how long
// (in real time) one may run.
const (
	generatedWant    = 60
	generatedMaxSeed = 2000
	generatedBudget  = 2500 * time.Millisecond
)

// scales are the factors tried, largest first, to fit a generated scenario
// into generatedBudget.
var scales = []float64{1, 0.5, 0.25, 0.1}

// TestRegenerate rewrites testdata/conformance/generated from fixed seeds
// with -update (go test ./conformance -run TestRegenerate -update, or go
// test ./... -update with everything else). Each seed's props.GenScenario
// draw is made constant (every distribution becomes its mean), scaled to fit the
// time budget, and kept only if the real runner supports it and its outcome
// is Determined; the log says why the others were left out.
func TestRegenerate(t *testing.T) {
	if !update.Enabled() {
		t.Skip("run with -update to rewrite the generated corpus")
	}
	old, err := filepath.Glob(filepath.Join(generatedDir, "*.yaml"))
	require.NoError(t, err)
	for _, f := range old {
		require.NoError(t, os.Remove(f))
	}
	require.NoError(t, os.MkdirAll(generatedDir, 0o755))
	rejected := map[string]int{}
	kept := 0
	for seed := uint64(1); kept < generatedWant && seed <= generatedMaxSeed; seed++ {
		sc, why := generate(seed)
		if sc == nil {
			rejected[why]++
			continue
		}
		path := filepath.Join(generatedDir, sc.Name+".yaml")
		require.NoError(t, os.WriteFile(path, sc.Marshal(), 0o644))
		kept++
	}
	require.Equal(t, generatedWant, kept, "not enough usable seeds")
	var reasons []string
	for why, n := range rejected {
		reasons = append(reasons, fmt.Sprintf("%4d %s", n, why))
	}
	sort.Strings(reasons)
	t.Logf("kept %d; left out:\n%s", kept, strings.Join(reasons, "\n"))
}

// generate draws the scenario of seed and prepares it for conformance, or
// says why it cannot be used.
func generate(seed uint64) (*scenario.Scenario, string) {
	sc := props.GenScenario(sim.NewPCG(seed))
	sc.Name = fmt.Sprintf("gen-%04d", seed)
	constantDurations(sc)
	if err := supported(sc); err != nil {
		return nil, "unsupported: " + firstWords(err.Error())
	}
	for _, scale := range scales {
		p, err := Prepare(sc, scale)
		if err != nil {
			return nil, "unsupported: " + firstWords(err.Error())
		}
		res, err := model.Run(p, model.Config{Profile: profile()})
		if err != nil {
			return nil, "model: " + err.Error()
		}
		if res.Stop.Reason != sim.Quiescent {
			return nil, "model run does not end: " + res.Stop.Reason.String()
		}
		if realDuration(res.Outcome()) > generatedBudget {
			continue
		}
		if pt, diffs, err := Determined(p, profile(), tolerance); err != nil || len(diffs) > 0 {
			return nil, "not determined under " + pt
		}
		p.Description = fmt.Sprintf("props.GenScenario(sim.NewPCG(%d)), every duration made constant (its mean), scaled by %v; determined under the conformance perturbations", seed, scale)
		return p, ""
	}
	return nil, "too long even at the smallest scale"
}

func firstWords(s string) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(len(f), 4)], " ")
}

// constantDurations replaces every distribution by its mean and drops
// pending byte limits, which the real runner cannot honour exactly.
func constantDurations(sc *scenario.Scenario) {
	mean := func(d *sim.Dist) { *d = sim.Const(d.Mean().Round(10 * time.Microsecond)) }
	mean(&sc.Network.Latency)
	for i := range sc.Clients {
		sc.Clients[i].PendingBytesLimit = nil
	}
	for i := range sc.Subs {
		s := &sc.Subs[i]
		s.PendingBytesLimit = nil
		mean(&s.Handler.Duration)
		for j := range s.Handler.Actions {
			if a := s.Handler.Actions[j].Sleep; a != nil {
				mean(a)
			}
		}
	}
}
