package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/drainsim/drainsim/model"
)

// failOn is what makes 'drainsim run' exit 1, from --fail-on.
type failOn struct {
	violation bool
	// maxLoss is the most messages the drains may lose; -1 when loss
	// does not fail the run.
	maxLoss int
}

// parseFailOn parses --fail-on: a comma-separated list of violation, loss
// (the same as loss>0) and loss>N, or none alone.
func parseFailOn(v string) (failOn, error) {
	f := failOn{maxLoss: -1}
	if v == "none" {
		return f, nil
	}
	for _, c := range strings.Split(v, ",") {
		switch {
		case c == "violation":
			f.violation = true
		case c == "loss":
			f.maxLoss = 0
		case strings.HasPrefix(c, "loss>"):
			n, err := strconv.Atoi(strings.TrimPrefix(c, "loss>"))
			if err != nil || n < 0 {
				return f, fmt.Errorf("%q: want loss>N with N a whole number, 0 or more", c)
			}
			f.maxLoss = n
		case c == "none":
			return f, errors.New(`"none" goes alone: it means never exit 1`)
		default:
			return f, fmt.Errorf("%q: want a comma-separated list of violation, loss, loss>N, or none", c)
		}
	}
	return f, nil
}

// failed returns why the outcome o fails the run, or "" if it does not.
// o.DrainLoss must be filled in.
func (f failOn) failed(o *model.Outcome) string {
	var why []string
	if f.violation {
		for _, v := range o.Invariants {
			if !v.Holds {
				why = append(why, "invariant "+v.ID+" violated")
			}
		}
	}
	if f.maxLoss >= 0 && o.DrainLoss.Lost > f.maxLoss {
		why = append(why, fmt.Sprintf("messages lost to drains: %d (dropped %d, cut %d), more than %d",
			o.DrainLoss.Lost, o.DrainLoss.Dropped, o.DrainLoss.Cut, f.maxLoss))
	}
	return strings.Join(why, "; ")
}
