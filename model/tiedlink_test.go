package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// scriptedTies answers the tie choices from a script (option 0 once it
// runs out, or where the script names an option that does not exist) and
// option 0 of every other choice.
type scriptedTies struct {
	sim.Fixed
	script []int
	next   *int
}

func (c scriptedTies) IntN(label string, n int) int {
	if label != "tie" {
		return 0
	}
	k := *c.next
	*c.next++
	if k < len(c.script) && c.script[k] < n {
		return c.script[k]
	}
	return 0
}

func (c scriptedTies) Stream(string) sim.Chooser { return c }

// TestTiedArrivalsOnOneLinkThenCut: two segments written on one link at
// the same instant arrive at the same instant, so a tie order may fire the
// second one's arrival event first. The link still delivers in FIFO order
// and must then keep the pending event with the segment still queued:
// when it kept each segment's own timer, the cut that follows cancelled
// the event that had already run, left the other pending, and the run
// panicked when it fired on an empty link (found by TestPropTies; the
// script is the first tie order, in depth-first order, that panicked).
func TestTiedArrivalsOnOneLinkThenCut(t *testing.T) {
	sc, err := scenario.Parse("tied-link.yaml", []byte(`
name: tied-link
ties: permute
network: {latency: 0s}
clients: [{name: c0}]
subscriptions: [{id: s0, client: c0, subject: t0}]
actions:
  - {at: 0s, publish: {client: c0, subject: t0}}
  - {at: 0s, publish: {client: c0, subject: t0}}
  - {at: 0s, disconnect: {client: c0}}
  - {at: 1ms, drain: {client: c0}}
`))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Chooser: scriptedTies{script: []int{0, 2, 1, 1, 1, 1, 1, 2, 2}, next: new(int)}})
	require.NoError(t, err)
	require.Len(t, res.Ledger.Messages, 2)
}
