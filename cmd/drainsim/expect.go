package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/props"
)

// expectationVerdict is one expect: assertion's verdict on a run.
type expectationVerdict struct {
	inv      props.Invariant
	evidence []string // empty when it holds
}

// judgeExpectations checks each of the run's expect: assertions.
func judgeExpectations(res *model.Result) []expectationVerdict {
	var out []expectationVerdict
	for _, inv := range props.Expectations(res.Scenario) {
		out = append(out, expectationVerdict{inv: inv, evidence: inv.Check(res)})
	}
	return out
}

// writeExpectations prints the verdicts as the summary's last block: one
// line per assertion, ok or FAIL, its statement, and a failure's evidence.
func writeExpectations(w io.Writer, vs []expectationVerdict) error {
	if len(vs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "expectations:")
	for _, v := range vs {
		verdict := "ok"
		if len(v.evidence) > 0 {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "  %-4s %s\t%s\n", verdict, v.inv.ID, v.inv.Statement)
		for _, e := range v.evidence {
			fmt.Fprintf(tw, "       \t  %s\n", e)
		}
	}
	return tw.Flush()
}

// failedExpectations returns why the verdicts fail the run, one line
// each, for stderr.
func failedExpectations(vs []expectationVerdict) []string {
	var why []string
	for _, v := range vs {
		if len(v.evidence) > 0 {
			why = append(why, fmt.Sprintf("expectation %s failed: %s: %s", v.inv.ID, v.inv.Statement, props.Shorten(v.evidence)))
		}
	}
	return why
}
