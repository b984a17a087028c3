package props

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// TestMeasureLoss: the loss `drainsim run` reports and `drainsim explore`
// counts is DrainLoss plus DrainInterrupted, rendered per subscription as
// message ids. Fails if Total or Outcome leave out either part (say, a
// Total of len(Dropped) alone) or attribute a message to the wrong
// subscription.
func TestMeasureLoss(t *testing.T) {
	res := tenSlowMessages(t, "300ms")
	l := MeasureLoss(res)
	require.Equal(t, DrainLoss(res), l.Dropped)
	require.Equal(t, DrainInterrupted(res), l.Cut)
	require.Equal(t, 7, l.Total())
	require.Equal(t, &model.LossOutcome{Lost: 7, Dropped: 6, Cut: 1, Subscriptions: []model.SubLossOutcome{
		{ID: "s", Dropped: []int{5, 6, 7, 8, 9, 10}, Cut: []int{4}},
	}}, l.Outcome(res))

	clean := tenSlowMessages(t, "10s")
	require.Equal(t, &model.LossOutcome{Subscriptions: []model.SubLossOutcome{}}, MeasureLoss(clean).Outcome(clean))
}
