package props

import (
	"fmt"
	"io"
	"strings"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/export"
	"github.com/drainsim/drainsim/model/scenario"
)

// WriteCounterexample writes sc as a runnable scenario file, headed by a
// comment that says which check it fails and how to replay it, then a
// Mermaid sequence diagram of its run with the mutations in a fenced
// block, so that a counterexample can be read at a glance and saved for
// `drainsim run`.
func WriteCounterexample(w io.Writer, sc *scenario.Scenario, check string, muts model.MutationSet) error {
	replay := "drainsim run FILE"
	for _, m := range model.AllMutations() {
		if muts.Has(m) {
			replay += " --mutation " + m.Name()
		}
	}
	fmt.Fprintf(w, "# %s fails on this scenario (%d actions); save it as FILE and replay with: %s\n", check, Size(sc), replay)
	if _, err := w.Write(sc.Marshal()); err != nil {
		return fmt.Errorf("writing the scenario: %w", err)
	}
	return WriteDiagram(w, sc, muts)
}

// WriteDiagram writes the Mermaid sequence diagram of sc's run with the
// mutations in a fenced block: the counterexample at a glance.
func WriteDiagram(w io.Writer, sc *scenario.Scenario, muts model.MutationSet) error {
	res, err := model.Run(sc, model.Config{Trace: true, Mutations: muts})
	if err != nil {
		return fmt.Errorf("running the counterexample: %w", err)
	}
	var diagram strings.Builder
	if err := export.Mermaid(&diagram, res.Trace); err != nil {
		return fmt.Errorf("drawing the counterexample: %w", err)
	}
	_, err = fmt.Fprintf(w, "```mermaid\n%s```\n", diagram.String())
	return err
}
