package props

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestValidateAgreesWithParse checks what Shrink relies on when it checks
// a candidate with valid (scenario.Scenario.Validate) instead of the YAML
// round trip (reparse): on every candidate of a walk down the shrink
// edits from generated scenarios of every profile, with and without a
// topology, and from every scenario file of the repository (fuzzSeeds:
// triggers, vary: and expect: sections, topologies written by hand),
// valid accepts exactly the candidates reparse accepts, and an accepted
// candidate is what reparse reads back, but for the Line fields (sameScenario).
//
// It fails when Validate leaves out a rule Parse applies after decoding
// (make Validate return nil: a removal leaves an action, a trigger or an
// expectation naming what is gone), when a shrink edit moves a value out
// of the range Parse reads (make the count edit set Publish.Count to 0),
// and when an accepted candidate is not what Parse reads back (make
// simplerDist leave Sigma at 1, a field Marshal does not write for a
// constant).
func TestValidateAgreesWithParse(t *testing.T) {
	var n candidateCounts
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 2; seed++ {
			for _, sc := range []*scenario.Scenario{GenProfileScenario(sim.NewPCG(seed), p), GenClusterScenario(sim.NewPCG(seed), p)} {
				n.add(walkCandidates(t, sc, seed, fmt.Sprintf("%s seed %d", name, seed)))
			}
		}
	}
	for i, data := range fuzzSeeds(t) {
		if sc, err := scenario.Parse(fmt.Sprintf("seed%d.yaml", i), data); err == nil {
			n.add(walkCandidates(t, sc, uint64(i), fmt.Sprintf("file %d (%s)", i, sc.Name)))
		}
	}
	t.Logf("%d candidates, %d accepted, %d refused", n.accepted+n.refused, n.accepted, n.refused)
	require.Greater(t, n.refused, 20, "the walk makes invalid candidates too (dangling references)")
}

// FuzzValidateAgreesWithParse is TestValidateAgreesWithParse's check on
// arbitrary scenario files and walks:
//
//	go test -run '^$' -fuzz FuzzValidateAgreesWithParse -fuzztime 90s -parallel 1 ./props
func FuzzValidateAgreesWithParse(f *testing.F) {
	for i, data := range fuzzSeeds(f) {
		f.Add(data, uint64(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, walk uint64) {
		sc, err := scenario.Parse("fuzz.yaml", data)
		if err != nil || places(sc) > fuzzMaxPlaces {
			return
		}
		walkCandidates(t, sc, walk, "fuzz")
	})
}

// walkSteps bounds a walk: the first steps make the most candidates.
const walkSteps = 8

// fuzzMaxPlaces bounds the scenarios FuzzValidateAgreesWithParse walks:
// a walk round-trips every candidate of every step, and a scenario with
// thousands of places (examples/backlog-1000.yaml) takes minutes.
const fuzzMaxPlaces = 300

// places counts the candidates of one pass of the shrink edits over sc.
func places(sc *scenario.Scenario) int {
	n := 0
	for _, e := range shrinkEdits {
		n += e.n(sc)
	}
	return n
}

// candidateCounts counts the candidates a walk checked.
type candidateCounts struct{ accepted, refused int }

func (c *candidateCounts) add(d candidateCounts) {
	c.accepted, c.refused = c.accepted+d.accepted, c.refused+d.refused
}

// walkCandidates walks down the shrink edits from sc (once reparsed, as
// Shrink starts): at each step it makes every candidate of every edit
// (shrinkEdits, at every place), checks that valid and reparse agree on
// it, and moves to one of the accepted candidates, drawn from seed, as
// the edited value itself (as Shrink keeps it, Line fields and all), until
// none is accepted or walkSteps steps are taken.
func walkCandidates(t testing.TB, sc *scenario.Scenario, seed uint64, what string) candidateCounts {
	var n candidateCounts
	cur, ok := reparse(sc)
	if !ok {
		return n // Shrink returns such a scenario as it is
	}
	r := sim.NewPCG(seed)
	for step := 0; step < walkSteps; step++ {
		var accepted []*scenario.Scenario
		for k, e := range shrinkEdits {
			for i := range e.n(cur) {
				cand := cur.Clone()
				if !e.apply(cand, i) {
					continue
				}
				back, parsed := reparse(cand)
				err := cand.Validate()
				require.Equal(t, parsed, err == nil, "%s, step %d, edit %d at %d: Validate says %v, Parse of\n%s", what, step, k, i, err, cand.Marshal())
				if !parsed {
					n.refused++
					continue
				}
				n.accepted++
				require.Equal(t, sameScenario(back), sameScenario(cand), "%s, step %d, edit %d at %d: the round trip changes the candidate", what, step, k, i)
				accepted = append(accepted, cand)
			}
		}
		if len(accepted) == 0 {
			break
		}
		cur = accepted[r.IntN("walk", len(accepted))]
	}
	return n
}

// sameScenario returns a copy of sc that compares equal (require.Equal)
// with a copy of another exactly when the two are the same scenario to
// everything that reads one but error messages: its Line fields (the lines
// of the file it was read from; Shrink reparses the scenario it returns)
// are zeroed and its empty slices made nil (Parse reads an empty list
// as nil, an edit may leave one empty).
func sameScenario(sc *scenario.Scenario) *scenario.Scenario {
	c := sc.Clone()
	normalise(reflect.ValueOf(c).Elem())
	return c
}

// normalise zeroes the Line fields (Line, ProfileLine, ...) under v and
// makes its empty slices nil.
func normalise(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			normalise(v.Elem())
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.SetZero()
		}
		for i := range v.Len() {
			normalise(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			switch {
			case !f.CanSet():
			case strings.HasSuffix(v.Type().Field(i).Name, "Line") && f.Kind() == reflect.Int:
				f.SetInt(0)
			default:
				normalise(f)
			}
		}
	}
}
