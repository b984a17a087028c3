package conformance

import (
	"fmt"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// tieBranch bounds how many events may be due at one instant in a
// TieVariants enumeration: more is not a small scope.
const tieBranch = 1 << 10

// TieVariants runs the prepared scenario sc under profile p once for every
// order of the events that fall at the same virtual instant (as ties:
// permute does, enumerated by sim.Enum), every other choice drawn from the
// scenario's seed exactly as in the model's run, up to bound orders. It
// returns one Variant per distinct outcome (distinct under tol), the
// first being the scheduling order's, named by the tie choices that
// produced it, and whether every order was visited.
//
// This is the set of outcomes the model produces at the written times:
// a real run that matches one of them differs from the model's run only by
// the order of events the model has at one instant, a race the real stack
// decides by chance. Unlike Variants it adds no noise (no event moves in
// time), and unlike Variants' reversed actions it orders every kernel
// event, not only actions (docs/exhaustive.md).
func TieVariants(sc *scenario.Scenario, p *model.Profile, tol Tolerance, bound int) ([]Variant, bool, error) {
	run := *sc
	run.PermuteTies = true
	run.Choices = nil
	e := sim.NewEnum(tieBranch)
	var out []Variant
	for n := 1; ; n++ {
		res, err := model.Run(&run, model.Config{Profile: p, Chooser: tiesFrom{Chooser: sim.NewPCG(sc.Seed), ties: e}})
		if err != nil {
			return nil, false, err
		}
		if err := e.Err(); err != nil {
			return nil, false, fmt.Errorf("tie orders of %s: %w", sc.Name, err)
		}
		side := ModelSide(res)
		seen := false
		for _, v := range out {
			if len(Compare(v.Side, side, tol)) == 0 {
				seen = true
				break
			}
		}
		if !seen {
			out = append(out, Variant{Name: "tie order " + choiceValues(e.Sequence()), Side: side})
		}
		if !e.Next() {
			if err := e.Err(); err != nil {
				return nil, false, fmt.Errorf("tie orders of %s: %w", sc.Name, err)
			}
			return out, true, nil
		}
		if n >= bound {
			return out, false, nil
		}
	}
}

// tiesFrom is a Chooser that takes the tie orders (the "ties" stream)
// from ties and every other choice from the embedded Chooser.
type tiesFrom struct {
	sim.Chooser
	ties sim.Chooser
}

// Stream implements sim.Chooser.
func (c tiesFrom) Stream(name string) sim.Chooser {
	if name == "ties" {
		return c.ties
	}
	return c.Chooser.Stream(name)
}

// choiceValues renders a sequence's values as choices: writes them.
func choiceValues(seq []sim.Choice) string {
	vs := make([]int, len(seq))
	for i, c := range seq {
		vs[i] = c.V
	}
	return fmt.Sprint(vs)
}
